/*
 * job.c - printing one job: open the device, wait for the port, negotiate,
 * stream the data, read the printer's answers, report, let go
 *
 * One thread does the work: between write calls it serves the side
 * channel, reads the back channel (when the printer signals data, and every
 * poll period), checks the status lines and lets waiting neighbours use the
 * port. A write hands the library a slice of about 125 ms of data, so that
 * nothing waits long behind it. Only while waiting for the port does a
 * second thread watch who holds it (for the user) and answer the side
 * channel's requests that need no device: the device ID, and the state
 * from the status lines last read (side.c, through side_state()). It never
 * touches job->dev, and the job's thread, blocked in the library's lock
 * call meanwhile, changes nothing it reads.
 *
 * Data is taken off the buffer only as the library reports it written, so a
 * printer that stalls, goes offline or runs out of paper loses nothing and
 * gets nothing twice: the job waits and then goes on from the next byte.
 */
#include "config.h"

#include <cups/backend.h>
#include <cups/cups.h>
#include <cups/sidechannel.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

#define WRITE_WAIT_MS 250      /* how long one write waits for the printer to take data */
#define SLOW_POLL_MS 250       /* status and back channel while the printer does not take data */
#define COMPAT_POLL_MS 100     /* status while streaming in compatibility mode */
#define ECP_POLL_FACTOR 10     /* status while streaming in ECP mode: every 10 poll periods */
#define PEEK_MS 25             /* between looks at the "reverse data waits" signal */
#define PEEK_READ_MS 500       /* and at least this between reads it causes: each turns the link */
#define SHARE_CHECK_MS 250     /* between looks at the port's waiters */
#define PROGRESS_MS 250
#define STALL_REPORT_MS 10000  /* tell the user when the printer takes nothing this long */
#define WRITE_FAILURES_FALLBACK 3
#define WRITE_FAILURES_FATAL 6
#define MIN_CHUNK 4096
#define RETRY_MS 250           /* between tries while another program has the device or the kernel claim */
#define WATCH_MS 500           /* between the watcher thread's looks at who holds the port */
#define READ_SIZE 4096         /* bytes per reverse read */
#define READS_MAX 16           /* reverse reads in a row: 64 KiB, so that a chatty printer cannot stop the job */
#define REFUSED_MS 50          /* a write that took nothing in less than this was refused at once ... */
#define REFUSED_PAUSE_MS 100   /* ... and the next one waits this long */
#define DRAIN_CHECK_MS 20      /* between looks at the Busy line while DRAIN_OUTPUT waits */
#define JOB_END_POLL_MS 100    /* between reads while waiting for the printer to end the job */
#define ID_LINE_SPACE 64       /* of a message line, for the words around the device ID */

volatile sig_atomic_t bk_cancel_signal;
parclass_device *volatile bk_cancel_device;

#define ABSENT (PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED)
#define CONDITIONS (PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_POWER_OFF | \
		    PARCLASS_STATUS_NOT_CONNECTED | PARCLASS_STATUS_ERROR)
/* Not a status bit: which of Windows's POWER_OFF it is, from the lines. */
#define NO_CABLE 0x10000

int64_t bk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- messages ---- */

static void progress_clear(struct bk_job *job)
{
	if (job->progress_shown) {
		fputs("\r\033[K", stderr);
		job->progress_shown = false;
	}
}

void bk_say(struct bk_job *job, const char *fmt, ...)
{
	va_list ap;

	progress_clear(job);
	va_start(ap, fmt);
	bk_vline(stderr, fmt, ap);   /* whole, as cupsd reads it */
	va_end(ap);
}

static void flush_reasons(struct bk_job *job)
{
	progress_clear(job);
	bk_reasons_flush(&job->reasons);
}

/* The job cannot go on: say why, once. */
static void fail(struct bk_job *job, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(struct bk_job *job, int code, const char *fmt, ...)
{
	va_list ap;

	if (job->fatal)
		return;
	progress_clear(job);
	/* Once every byte went, nothing can fail the job any more. */
	fputs(job->all_sent ? "WARNING: " : "ERROR: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!job->all_sent)
		job->fatal = code;
}

static const char *mode_text(unsigned mode)
{
	if (mode & (PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ))
		return "ECP";
	if (mode & PARCLASS_MODE_ECP_SW)
		return "software ECP";
	if (mode & (PARCLASS_MODE_EPP_HW | PARCLASS_MODE_EPP_SW))
		return "EPP";
	if (mode & PARCLASS_MODE_BYTE_BIDIR)
		return "byte";
	if (mode & PARCLASS_MODE_NIBBLE)
		return "nibble";
	return "compatibility";
}

/* The lines of a port with no cable: nothing drives them but the host's pull-ups. */
static bool no_cable(unsigned lines)
{
	return (lines & PARCLASS_LINES_STATUS) == PARCLASS_LINES_STATUS;
}

static const char *condition_text(unsigned status)
{
	if (status & (PARCLASS_STATUS_NOT_CONNECTED | NO_CABLE))
		return "No printer is connected";
	if (status & PARCLASS_STATUS_POWER_OFF)
		return "The printer is off";
	if (status & PARCLASS_STATUS_PAPER_EMPTY)
		return "The printer is out of paper";
	if (status & PARCLASS_STATUS_OFF_LINE)
		return "The printer is offline";
	if (status & PARCLASS_STATUS_ERROR)
		return "The printer reports an error";
	return "The printer is ready";
}

static void human_bytes(char *buf, size_t len, double n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB" };
	int u = 0;

	while (n >= 1024 && u < 3) {
		n /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", n, unit[u]);
}

/* One line, redrawn in place, when a person watches on a terminal. */
static void progress(struct bk_job *job, const char *state)
{
	char sent[32], total[32] = "", rate[32];
	double secs = (double)(bk_now_ms() - job->started) / 1000.0;

	if (!job->tty)
		return;
	human_bytes(sent, sizeof sent, (double)job->sent);
	if (job->total) {
		strcpy(total, " of ");
		human_bytes(total + 4, sizeof total - 4, (double)job->total);
	}
	human_bytes(rate, sizeof rate, secs > 0 ? (double)job->sent / secs : 0);
	fprintf(stderr, "\r\033[K%s: %s%s sent, %s/s, %s mode, %s", job->location, sent, total, rate,
		mode_text(job->write_mode), state);
	job->progress_shown = true;
}

static const char *state_text(struct bk_job *job)
{
	if (job->condition)
		return condition_text(job->condition);
	if (job->stalled_since)
		return "printer busy";
	return "printing";
}

/* ---- status ---- */

int bk_job_check_status(struct bk_job *job)
{
	unsigned lines, st, cond;
	int r = parclass_device_get_lines(job->dev, &lines);

	if (r == -ENODEV)
		fail(job, CUPS_BACKEND_FAILED, "%s is gone: the port disappeared", job->location);
	if (r < 0)
		return r;
	st = parclass_status_from_lines(lines);
	cond = st & CONDITIONS;
	if ((st & PARCLASS_STATUS_POWER_OFF) && no_cable(lines))
		cond |= NO_CABLE;
	if (st != job->status) {
		char names[128] = "";

		for (unsigned bit = 1; bit <= PARCLASS_STATUS_ERROR; bit <<= 1)
			if (st & bit)
				snprintf(names + strlen(names), sizeof names - strlen(names), " %s",
					 parclass_status_name(bit));
		bk_say(job, "DEBUG: Status of %s:%s\n", job->location, *names ? names : " none");
	}
	if (cond != job->condition)
		bk_say(job, "INFO: %s\n", cond ? condition_text(cond) : job->off < job->len || !job->in_eof
			      ? "Printing" : "The printer is ready");
	job->status = st;
	job->lines = lines;
	job->status_seen = true;
	job->condition = cond;
	bk_reasons_set(&job->reasons, BK_FROM_LINES, bk_reasons_from_status(st));
	flush_reasons(job);
	/* A printer switched off loses what it had: going on would print a torso.
	 * (A pulled cable loses nothing: the printer keeps what it has.) */
	if ((cond & PARCLASS_STATUS_POWER_OFF) && !(cond & NO_CABLE) && job->sent && !job->all_sent)
		fail(job, CUPS_BACKEND_FAILED, "The printer on %s was switched off during the job and lost what "
		     "it had received: print the job again", job->location);
	return 0;
}

/* ---- the back channel ---- */

static void report_pages(struct bk_job *job)
{
	int total = job->pages_done + job->page_now;

	if (total > job->pages_reported) {
		bk_say(job, "PAGE: total %d\n", total);
		job->pages_reported = total;
	}
}

static void on_pjl(const struct pjl_message *m, void *userdata)
{
	struct bk_job *job = userdata;

	switch (m->kind) {
	case PJL_DEVICE:
		if (m->code == job->pjl_code)
			break;
		job->pjl_code = m->code;
		bk_say(job, "DEBUG: PJL status %d (%s)\n", m->code, pjl_code_text(m->code));
		bk_reasons_set(&job->reasons, BK_FROM_PJL, pjl_code_reasons(m->code));
		flush_reasons(job);
		bk_say(job, "ATTR: printer-alert=\"%s\" printer-alert-description=\"%s\"\n", pjl_code_alert(m->code),
		       *m->text ? m->text : pjl_code_text(m->code));
		bk_say(job, "INFO: %s\n", *m->text ? m->text : pjl_code_text(m->code));
		break;
	case PJL_JOB_START:
		bk_say(job, "DEBUG: The printer started PJL job \"%s\"\n", m->text);
		job->page_now = 0;
		break;
	case PJL_JOB_END:
		bk_say(job, "DEBUG: The printer ended PJL job \"%s\" (%d pages)\n", m->text, m->pages);
		if (!job->sent)
			break;   /* an earlier job's */
		job->ends_seen++;
		job->pages_done += m->pages >= 0 ? m->pages : job->page_now;
		job->page_now = 0;
		report_pages(job);
		break;
	case PJL_PAGE:
		if (!job->sent)
			break;
		job->page_now = m->pages;
		report_pages(job);
		break;
	case PJL_ECHO:
	case PJL_OTHER:
		bk_say(job, "DEBUG: PJL: %s\n", m->text);
		break;
	}
}

static void to_back_channel(struct bk_job *job, const char *data, size_t n)
{
	if (job->back_fd < 0)
		return;
	/* Never wait for filters that do not read: the forward stream comes first. */
	if (cupsBackChannelWrite(data, n, 0.0) < 0) {
		if (errno == EPIPE || errno == EBADF) {
			bk_say(job, "DEBUG: The back channel is closed\n");
			job->back_fd = -1;
		} else {
			job->back_dropped += n;
		}
	}
}

int bk_job_read_back(struct bk_job *job)
{
	char data[READ_SIZE];
	int r = 0;

	if (!job->read_mode)
		return 0;
	for (int i = 0; i < READS_MAX; i++) {
		size_t got = 0;

		r = parclass_device_read(job->dev, data, sizeof data, 0, &got);
		if (r == -ENODEV)
			fail(job, CUPS_BACKEND_FAILED, "%s is gone: the port disappeared", job->location);
		if (r < 0 || !got)
			break;
		job->last_reverse = bk_now_ms();
		to_back_channel(job, data, got);
		pjl_reader_feed(&job->reader, data, got, on_pjl, job);
	}
	return r;
}

/* ---- input ---- */

/* Read what the input has now (more than one pipe's worth when it is there). */
static void fill(struct bk_job *job)
{
	job->off = job->len = 0;
	while (job->len < sizeof job->buf) {
		struct pollfd p = { .fd = job->in_fd, .events = POLLIN };
		ssize_t n;

		if (job->len && poll(&p, 1, 0) <= 0)
			break;
		n = read(job->in_fd, job->buf + job->len, sizeof job->buf - job->len);
		if (n > 0) {
			pjl_scan_feed(&job->scan, job->buf + job->len, (size_t)n);
			job->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			job->in_eof = true;
		} else if (errno != EINTR && errno != EAGAIN) {
			fail(job, CUPS_BACKEND_FAILED, "Unable to read print data: %s", strerror(errno));
			job->in_eof = true;
		}
		break;
	}
}

/* Is more input there right now? (A file always is: only a pipe can be drained.) */
static bool input_pending(struct bk_job *job)
{
	struct pollfd p = { .fd = job->in_fd, .events = POLLIN };
	struct stat st;

	if (job->in_eof || (fstat(job->in_fd, &st) == 0 && S_ISREG(st.st_mode)))
		return false;
	return poll(&p, 1, 0) > 0;
}

/*
 * Wait up to @ms for the side channel or (with @input, when the buffer is
 * empty) for print data, and serve what came.
 */
static void idle(struct bk_job *job, int ms, bool input)
{
	struct pollfd p[2];
	nfds_t n = 0;
	int side = -1, in = -1, side_fd = bk_side_poll_fd(&job->side);

	if (side_fd >= 0) {
		side = (int)n;
		p[n++] = (struct pollfd){ .fd = side_fd, .events = POLLIN };
	}
	if (input && job->off == job->len && !job->in_eof) {
		in = (int)n;
		p[n++] = (struct pollfd){ .fd = job->in_fd, .events = POLLIN };
	}
	if (poll(p, n, ms < 0 ? 0 : ms) <= 0)
		return;
	if (side >= 0 && p[side].revents)
		bk_side_service(&job->side);
	if (in >= 0 && p[in].revents)
		fill(job);
}

/* ---- waiting for the device and the port ---- */

/* "cupsd" for a pid, or "?" */
static void process_name(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "?");
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	/* Any process names itself as it likes: only printable ASCII reaches cupsd. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			*p = '?';
}

static int open_wait(struct bk_job *job)
{
	int64_t start = bk_now_ms();
	bool told = false;

	for (;;) {
		int r = parclass_device_open_at(job->ctx, job->opt->port, job->opt->address,
						job->opt->behind_chain ? PARCLASS_LOCATION_BEHIND_CHAIN : 0, &job->dev);

		if (r != -EBUSY)
			return r;
		if (bk_cancel_signal)
			return -ECANCELED;
		if (job->opt->lock_timeout_ms && bk_now_ms() - start >= job->opt->lock_timeout_ms)
			return -ETIMEDOUT;
		if (!told) {
			bk_reasons_set(&job->reasons, BK_FROM_BACKEND, BK_CONNECTING);
			flush_reasons(job);
			bk_say(job, "INFO: Waiting for the printer: another program has it open\n");
			told = true;
		}
		poll(NULL, 0, RETRY_MS);
	}
}

struct watcher {
	struct bk_job *job;
	parclass_port *port;       /* a handle of its own: the job's is busy waiting */
	parclass_context *ctx;
	int stop[2];               /* a pipe: readable when the wait is over */
};

/* While the job waits in the queue: who has the port, and device-ID requests. */
static void *watch(void *data)
{
	struct watcher *w = data;
	struct bk_job *job = w->job;
	pid_t last = -1;

	for (;;) {
		int side_fd = bk_side_poll_fd(&job->side);
		struct pollfd p[2] = { { .fd = w->stop[0], .events = POLLIN }, { .fd = side_fd, .events = POLLIN } };
		nfds_t n = side_fd >= 0 ? 2 : 1;
		pid_t holder = 0;
		unsigned waiters = 0;

		if (w->port && parclass_port_get_holder(w->port, &holder) == 0 && holder != last &&
		    holder != getpid()) {
			char name[32];

			parclass_port_query_waiters(w->port, &waiters);
			if (holder) {
				process_name(holder, name, sizeof name);
				bk_say(job, "INFO: Waiting for %s: process %d (%s) is using it\n", job->location,
				       (int)holder, name);
			} else {
				bk_say(job, "INFO: Waiting for %s\n", job->location);
			}
			last = holder;
		}
		if (poll(p, n, WATCH_MS) > 0) {
			if (p[0].revents)
				break;
			if (n > 1 && p[1].revents)
				bk_side_service(&job->side);
		}
	}
	return NULL;
}

static int lock_wait(struct bk_job *job, bool first)
{
	struct watcher w = { .job = job, .stop = { -1, -1 } };
	pthread_t thread;
	bool watching = false;
	int r;

	/* The port at once when it is free: no thread, no messages. */
	r = parclass_device_lock(job->dev, 0, 0);
	if (r != -ETIMEDOUT && r != -EBUSY)
		return r;
	if (first) {
		bk_reasons_set(&job->reasons, BK_FROM_BACKEND, BK_CONNECTING);
		flush_reasons(job);
	}
	if (parclass_context_new(&w.ctx) == 0 && parclass_port_open(w.ctx, parclass_device_get_name(job->dev), &w.port) < 0)
		w.port = NULL;
	if (pipe2(w.stop, O_CLOEXEC) == 0 && pthread_create(&thread, NULL, watch, &w) == 0)
		watching = true;

	/* One request for the whole wait: asking again would lose our place. */
	for (;;) {
		int timeout = job->opt->lock_timeout_ms ? job->opt->lock_timeout_ms : -1;

		if (bk_cancel_signal) {
			r = -ECANCELED;
			break;
		}
		r = parclass_device_lock(job->dev, timeout, 0);
		if (r != -EBUSY && !(r == -ECANCELED && !bk_cancel_signal))
			break;
		/* A program outside parclass holds the kernel's claim: try again soon. */
		if (r == -EBUSY)
			poll(NULL, 0, RETRY_MS);
	}

	if (watching) {
		(void)!write(w.stop[1], "x", 1);
		pthread_join(thread, NULL);
	}
	if (w.stop[0] >= 0) {
		close(w.stop[0]);
		close(w.stop[1]);
	}
	parclass_port_close(w.port);
	parclass_context_unref(w.ctx);
	return r;
}

/* ---- writing ---- */

/* About 125 ms of data per write call at the rate the printer takes it. */
static void adapt_chunk(struct bk_job *job, size_t n, int64_t us)
{
	uint64_t rate = (uint64_t)n * 1000000 / (uint64_t)(us > 0 ? us : 1);
	uint64_t want = rate / 8;

	if (want > BK_BUFFER)
		want = BK_BUFFER;
	want -= want % MIN_CHUNK;
	job->chunk = want < MIN_CHUNK ? MIN_CHUNK : (size_t)want;
}

static void write_some(struct bk_job *job)
{
	size_t n = job->len - job->off, w = 0;
	int64_t t0 = now_us();
	int r;

	if (n > job->chunk)
		n = job->chunk;
	r = parclass_device_write(job->dev, job->buf + job->off, n, WRITE_WAIT_MS, &w);
	if (w) {
		job->off += w;
		job->sent += w;
		job->stalled_since = 0;
		job->write_failures = 0;
		if (job->stall_reported) {
			bk_say(job, "INFO: Printing\n");
			job->stall_reported = false;
		}
	}
	if (r == 0) {
		adapt_chunk(job, w, now_us() - t0);
		return;
	}
	if (r == -EINTR || r == -ECANCELED)
		return;
	if (r == -ENODEV) {
		fail(job, CUPS_BACKEND_FAILED, "%s is gone: the port disappeared while printing", job->location);
		return;
	}
	if (!job->stalled_since)
		job->stalled_since = bk_now_ms();
	job->next_status = 0;   /* why? */
	if (r == -ETIMEDOUT || job->condition)
		return;

	/* The link failed and the printer says nothing is wrong. */
	job->write_failures++;
	bk_say(job, "DEBUG: Writing to %s failed: %s\n", job->location, parclass_strerror(r));
	if (job->write_failures == WRITE_FAILURES_FALLBACK && !job->opt->write_forced &&
	    (job->write_mode & (PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ)) &&
	    parclass_device_negotiate(job->dev, parclass_mode_from_name("compat"), 0, &job->write_mode, NULL) == 0) {
		bk_say(job, "WARNING: ECP mode keeps failing on %s; going on in compatibility mode\n", job->location);
		job->write_failures = 0;
	} else if (job->write_failures >= WRITE_FAILURES_FATAL) {
		fail(job, CUPS_BACKEND_FAILED, "Unable to send print data to %s: %s", job->location, parclass_strerror(r));
	}
}

/* ---- sharing ---- */

/*
 * Others wait for the port: let them have it, then queue again. While the
 * port is theirs the device is not ours to use (and the watcher thread
 * answers the side channel): requests that need it wait until it is back.
 */
static void share(struct bk_job *job, unsigned waiters)
{
	int r;

	bk_say(job, "INFO: Letting %u other user%s of %s go first\n", waiters, waiters == 1 ? "" : "s", job->location);
	bk_side_port(&job->side, false);
	parclass_device_unlock(job->dev, 0);
	r = lock_wait(job, false);
	if (r == -ECANCELED)
		return;
	if (r < 0) {
		fail(job, CUPS_BACKEND_FAILED, "Unable to get %s back: %s", job->location, parclass_strerror(r));
		return;
	}
	job->held_since = bk_now_ms();
	bk_say(job, "INFO: Printing\n");
	bk_side_port(&job->side, true);
}

static void maybe_share(struct bk_job *job, int64_t now, bool between_copies)
{
	unsigned waiters = 0;

	if (job->opt->share_ms < 0 || now < job->next_share)
		return;
	if (!between_copies && now - job->held_since < job->opt->share_ms)
		return;
	job->next_share = now + SHARE_CHECK_MS;
	if (parclass_port_query_waiters(parclass_device_get_port(job->dev), &waiters) == 0 && waiters)
		share(job, waiters);
}

/* ---- the loop ---- */

/*
 * How soon to look at the status lines again. In compatibility mode a
 * printer that is switched off reads "not busy" and a FIFO port keeps
 * sending into nothing: look often (a status read there changes nothing on
 * the link). An ECP link stalls by itself when the printer stops taking
 * data, and a look costs it a termination and a negotiation: while data
 * flows, rarely.
 */
static int status_period(struct bk_job *job)
{
	unsigned mode = 0;

	if (job->stalled_since || job->condition)
		return SLOW_POLL_MS;
	if (parclass_device_get_current_mode(job->dev, &mode) < 0)
		return job->opt->poll_ms;
	if (mode & (PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY))
		return job->opt->poll_ms < COMPAT_POLL_MS ? job->opt->poll_ms : COMPAT_POLL_MS;
	if (mode & (PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_SW))
		return job->opt->poll_ms * ECP_POLL_FACTOR;
	return job->opt->poll_ms;
}

static void periodic(struct bk_job *job)
{
	int64_t now = bk_now_ms();
	bool slow = job->stalled_since || job->condition;

	if (now >= job->next_status) {
		bk_job_check_status(job);
		job->next_status = now + status_period(job);
		if (job->stalled_since && job->condition) {
			job->stalled_since = now;   /* explained: a person must act, and the job waits */
		} else if (job->stalled_since) {
			int64_t quiet = now - job->stalled_since;

			if (quiet >= STALL_REPORT_MS && !job->stall_reported) {
				bk_say(job, "INFO: The printer has taken no data for %d seconds\n", (int)(quiet / BK_MS_PER_S));
				job->stall_reported = true;
			}
			if (job->opt->stall_timeout_ms && quiet >= job->opt->stall_timeout_ms)
				fail(job, CUPS_BACKEND_FAILED, "The printer on %s took no data for %d s (stall-timeout)",
				     job->location, (int)(quiet / BK_MS_PER_S));
		}
	}
	if (job->read_mode && now >= job->next_read) {
		bk_job_read_back(job);
		job->next_read = now + (slow ? SLOW_POLL_MS : job->opt->poll_ms);
		job->next_peek = now + PEEK_READ_MS;
	} else if (job->read_mode && now >= job->next_peek) {
		job->next_peek = now + PEEK_MS;
		if (parclass_device_reverse_pending(job->dev) == 1) {
			bk_job_read_back(job);
			job->next_peek = now + PEEK_READ_MS;
		}
	}
	if (job->side.drain_pending && job->off == job->len && !input_pending(job)) {
		/* The Busy line itself: Windows's BUSY leaves it out while nFault is low. */
		if (bk_job_check_status(job) == 0 && !(job->lines & PARCLASS_LINE_BUSY))
			bk_side_drained(&job->side, true);
	}
	maybe_share(job, now, false);
	if (job->tty && now >= job->next_progress) {
		job->next_progress = now + PROGRESS_MS;
		progress(job, state_text(job));
	}
}

/* Time to the next periodic duty, for an idle wait. */
static int until_next(struct bk_job *job)
{
	int64_t next = job->next_status, now = bk_now_ms();

	if (job->read_mode && job->next_read < next)
		next = job->next_read;
	if (job->side.drain_pending)
		next = now + DRAIN_CHECK_MS;
	if (next - now > SLOW_POLL_MS)
		return SLOW_POLL_MS;
	return next > now ? (int)(next - now) : 0;
}

/* Send the input to the printer, to its end. */
static void stream(struct bk_job *job)
{
	while (!job->fatal && !bk_cancel_signal) {
		if (job->off == job->len) {
			if (job->in_eof)
				return;
			idle(job, until_next(job), true);
		} else if (job->condition & ABSENT) {
			/* Data for a printer that is off or not there would be lost. */
			idle(job, until_next(job), false);
		} else {
			int64_t t0 = bk_now_ms();
			uint64_t before = job->sent;

			idle(job, 0, false);
			write_some(job);
			/* A printer that refuses at once must not make us spin. */
			if (job->sent == before && bk_now_ms() - t0 < REFUSED_MS)
				idle(job, REFUSED_PAUSE_MS, false);
		}
		periodic(job);
	}
}

/* After the data: wait for the printer to say the job is done, if asked. */
static void wait_for_job_end(struct bk_job *job)
{
	unsigned expect = job->scan.ends_expected;

	if (job->opt->waitjob == BK_WAITJOB_NO || (!expect && job->opt->waitjob == BK_WAITJOB_AUTO))
		return;
	if (!expect)
		expect = 1;
	if (!job->read_mode) {
		bk_say(job, "WARNING: Cannot wait for the printer to finish: %s has no back channel\n", job->location);
		return;
	}
	bk_job_read_back(job);
	if (job->ends_seen >= expect)
		return;
	bk_reasons_set(&job->reasons, BK_FROM_BACKEND, BK_WAITING_JOB);
	flush_reasons(job);
	bk_say(job, "INFO: Waiting for the printer to finish the job\n");
	job->last_reverse = bk_now_ms();
	while (job->ends_seen < expect && !bk_cancel_signal) {
		int64_t now = bk_now_ms();

		/* The printer talks while it works: only its silence ends the wait. */
		if (now - job->last_reverse >= job->opt->waitjob_timeout_ms) {
			bk_say(job, "WARNING: The printer did not say that the job ended; stopped waiting after %d "
				    "seconds of silence\n", job->opt->waitjob_timeout_ms / BK_MS_PER_S);
			break;
		}
		idle(job, JOB_END_POLL_MS, false);
		if (now >= job->next_status) {
			bk_job_check_status(job);
			job->next_status = now + job->opt->poll_ms;
		}
		if (bk_job_read_back(job) == -ENODEV)
			break;
	}
	bk_reasons_set(&job->reasons, BK_FROM_BACKEND, 0);
	flush_reasons(job);
}

/* ---- the job ---- */

static int cancelled(struct bk_job *job)
{
	bk_say(job, "INFO: Job cancelled after %llu bytes\n", (unsigned long long)job->sent);
	if (job->opt->reset_on_cancel && job->dev && parclass_port_is_held(parclass_device_get_port(job->dev)) &&
	    parclass_device_reset(job->dev) == 0)
		bk_say(job, "INFO: The printer was reset\n");
	if (job->side.drain_pending)
		bk_side_drained(&job->side, false);
	/* cupsd has cancelled the job already; anyone else learns that it did not print. */
	return job->all_sent ? CUPS_BACKEND_OK : CUPS_BACKEND_CANCEL;
}

static int open_error(struct bk_job *job, int r)
{
	switch (r) {
	case -ECANCELED:
		return cancelled(job);
	case -ENODEV:
		fail(job, CUPS_BACKEND_STOP, "%s: there is no such parallel port", job->opt->location);
		return CUPS_BACKEND_STOP;
	case -EACCES:
	case -EPERM:
		fail(job, CUPS_BACKEND_STOP, "Unable to use %s: %s (the runtime directory %s must be writable "
		     "for group lp)", job->opt->location, parclass_strerror(r), parclass_context_get_runtime_dir(job->ctx));
		return CUPS_BACKEND_STOP;
	case -ETIMEDOUT:
		fail(job, CUPS_BACKEND_RETRY, "The printer stayed open in another program for %d seconds",
		     job->opt->lock_timeout_ms / BK_MS_PER_S);
		return CUPS_BACKEND_RETRY;
	}
	fail(job, CUPS_BACKEND_RETRY, "Unable to open %s: %s", job->opt->location, parclass_strerror(r));
	return CUPS_BACKEND_RETRY;
}

static int lock_error(struct bk_job *job, int r)
{
	switch (r) {
	case -ECANCELED:
		return cancelled(job);
	case -ETIMEDOUT:
		fail(job, CUPS_BACKEND_RETRY, "%s stayed busy for %d seconds", job->location,
		     job->opt->lock_timeout_ms / BK_MS_PER_S);
		return CUPS_BACKEND_RETRY;
	case -ENXIO:
		fail(job, CUPS_BACKEND_RETRY, "The printer at %s does not answer on the daisy chain: is it on?",
		     job->location);
		return CUPS_BACKEND_RETRY;
	case -ENODEV:
	case -EACCES:
	case -EPERM:
		fail(job, CUPS_BACKEND_STOP, "Unable to use %s: %s", job->location, parclass_strerror(r));
		return CUPS_BACKEND_STOP;
	}
	fail(job, CUPS_BACKEND_RETRY, "Unable to get %s: %s", job->location, parclass_strerror(r));
	return CUPS_BACKEND_RETRY;
}

/* The fastest modes the URI allows. @return 0 or a CUPS_BACKEND_* code */
static int negotiate(struct bk_job *job)
{
	const struct bk_options *opt = job->opt;
	unsigned w = 0, rd = 0;
	int r = parclass_device_negotiate(job->dev, opt->write_mask, 0, &w, NULL);

	if (r == -ENOTSUP) {
		/* Only a mode= that names one mode leaves nothing to fall back on. */
		fail(job, CUPS_BACKEND_STOP, "%s cannot print in the mode the device URI asks for (mode=%s)",
		     job->location, opt->write_mask & PARCLASS_MODE_CENTRONICS ? "compat" : "ecp");
		return CUPS_BACKEND_STOP;
	}
	if (r < 0) {
		fail(job, CUPS_BACKEND_RETRY, "Unable to talk to the printer on %s: %s", job->location, parclass_strerror(r));
		return CUPS_BACKEND_RETRY;
	}
	job->write_mode = w;
	if (opt->read_mask) {
		r = parclass_device_negotiate(job->dev, 0, opt->read_mask, NULL, &rd);
		if (r == -ENOTSUP && opt->read_forced) {
			fail(job, CUPS_BACKEND_STOP, "%s cannot send status in the mode the device URI asks for (reverse=)",
			     job->location);
			return CUPS_BACKEND_STOP;
		}
		if (r < 0)
			rd = 0;
	}
	job->read_mode = rd;
	job->side.bidi = rd != 0;
	if (opt->channel >= 0) {
		if (w & (PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_SW))
			parclass_device_set_write_channel(job->dev, opt->channel);
		else
			bk_say(job, "WARNING: channel= needs ECP mode; %s prints in %s mode\n", job->location,
			       mode_text(w));
	}
	if (rd)
		bk_say(job, "INFO: Printing on %s in %s mode, status in %s mode\n", job->location, mode_text(w),
		       mode_text(rd));
	else
		bk_say(job, "INFO: Printing on %s in %s mode, without status from the printer\n", job->location,
		       mode_text(w));
	return 0;
}

/* The device ID, fresh or cached; a fresh one replaces a cached one. */
static void read_id(struct bk_job *job, enum parclass_id_flags flags)
{
	parclass_device_id *parsed;
	char *id;

	if (parclass_device_get_id_parsed(job->dev, flags, &parsed) < 0)
		return;
	id = strdup(parclass_device_id_text(parsed));
	parclass_device_id_free(parsed);
	if (id) {
		free(job->id);
		job->id = id;
		job->side.id = id;
	}
}

/* A printer that is off or not connected cannot be asked anything: wait for it. */
static bool wait_for_printer(struct bk_job *job)
{
	for (;;) {
		if (bk_job_check_status(job) < 0 && job->fatal)
			return false;
		if (!(job->condition & ABSENT))
			return true;
		idle(job, SLOW_POLL_MS, false);
		if (bk_cancel_signal)
			return false;
	}
}

/* Rewind the file for the next copy. */
static bool rewind_input(struct bk_job *job)
{
	if (lseek(job->in_fd, 0, SEEK_SET) < 0) {
		fail(job, CUPS_BACKEND_FAILED, "Unable to read the print file again: %s", strerror(errno));
		return false;
	}
	job->in_eof = false;
	job->off = job->len = 0;
	return true;
}

static int run(struct bk_job *job, int copies)
{
	int r;

	r = open_wait(job);
	if (r < 0)
		return open_error(job, r);
	job->location = parclass_device_get_location(job->dev);
	bk_cancel_device = job->dev;
	read_id(job, 0);   /* for the side channel while we wait */
	r = lock_wait(job, true);
	if (r < 0)
		return lock_error(job, r);
	job->held_since = bk_now_ms();
	bk_reasons_set(&job->reasons, BK_FROM_BACKEND, 0);
	if (!wait_for_printer(job))
		return bk_cancel_signal ? cancelled(job) : job->fatal;
	read_id(job, PARCLASS_ID_FRESH);
	if (job->id) {
		/* The printer's words in one line cupsd reads whole, cut at a pair. */
		char fit[BK_LINE_MAX];

		bk_id_fit(job->id, BK_LINE_MAX - ID_LINE_SPACE, fit, sizeof fit);
		bk_say(job, "DEBUG: Device ID of %s: %s\n", job->location, fit);
	}
	r = negotiate(job);
	if (r)
		return r;
	bk_side_port(&job->side, true);
	bk_job_check_status(job);
	/* What the printer still had to say belongs to earlier jobs: pass it on, count nothing. */
	bk_job_read_back(job);
	job->next_read = job->next_status = bk_now_ms() + job->opt->poll_ms;

	for (int copy = 0; copy < copies && !job->fatal && !bk_cancel_signal; copy++) {
		if (copy) {
			if (!rewind_input(job))
				break;
			maybe_share(job, bk_now_ms(), true);
		}
		stream(job);
	}
	if (bk_cancel_signal)
		return cancelled(job);
	if (job->fatal)
		return job->fatal;

	/* A printer switched off took the last data into nothing: look before saying done. */
	bk_job_check_status(job);
	if (job->fatal)
		return job->fatal;
	/* Everything went: the job is done whatever the printer says from here on. */
	job->all_sent = true;
	bk_job_read_back(job);
	wait_for_job_end(job);
	if (bk_cancel_signal)
		return cancelled(job);
	if (job->side.drain_pending)
		bk_side_drained(&job->side, true);
	if (job->back_dropped)
		bk_say(job, "DEBUG: %llu bytes from the printer were dropped: no filter read the back channel\n",
		       (unsigned long long)job->back_dropped);
	if (job->reader.garbled)
		bk_say(job, "DEBUG: %u status messages from the printer made no sense and were ignored\n",
		       job->reader.garbled);
	return CUPS_BACKEND_OK;
}

/* ---- what the side channel may ask of the job (side.c) ---- */

/* Any thread: the watcher's reads what the job's, blocked in the lock call, left. */
static bool side_state(void *data, struct bk_side_state *out)
{
	struct bk_job *job = data;

	if (!job->status_seen)
		return false;
	out->status = job->status;
	out->lines = job->lines;
	out->reasons = bk_reasons_now(&job->reasons);
	return true;
}

/* The job's thread, with the port. */
static int side_check_status(void *data)
{
	return bk_job_check_status(data);
}

/* The job's thread, with the port. */
static int side_reset(void *data)
{
	struct bk_job *job = data;

	return parclass_device_reset(job->dev);
}

static void side_say(void *data, const char *line)
{
	bk_say(data, "%s", line);
}

static const struct bk_side_ops side_ops = {
	.state = side_state,
	.check_status = side_check_status,
	.reset = side_reset,
	.say = side_say,
};

/*
 * cupsd gives the back channel as fd 3 (the write end of a pipe) and the
 * side channel as fd 4 (one end of a socket pair); a shell gives neither,
 * and then fd 3 or 4 may be anything (under emulation, umockdev's preload
 * library keeps a socket there). Only the kinds cupsd gives count; a person
 * may also point fd 3 at a file to keep what the printer said.
 */
void bk_channels_probe(struct bk_channels *ch)
{
	struct sockaddr_un peer;
	socklen_t len = sizeof peer;
	struct stat st;
	int fl = fcntl(3, F_GETFL);

	ch->back_fd = fl >= 0 && (fl & O_ACCMODE) != O_RDONLY && fstat(3, &st) == 0 &&
			      (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode)) ? 3 : -1;
	/* A socket pair's peer has no name; a socket connected to a path does. */
	ch->side_fd = fstat(4, &st) == 0 && S_ISSOCK(st.st_mode) &&
			      getpeername(4, (struct sockaddr *)&peer, &len) == 0 && peer.sun_family == AF_UNIX &&
			      len <= offsetof(struct sockaddr_un, sun_path) ? 4 : -1;
}

int bk_print(parclass_context *ctx, const struct bk_options *opt, const struct bk_channels *ch, const char *file,
	     int copies)
{
	struct bk_job *job = calloc(1, sizeof *job);
	struct stat st;
	int code;

	if (!job) {
		fputs("ERROR: Out of memory\n", stderr);
		return CUPS_BACKEND_FAILED;
	}
	job->ctx = ctx;
	job->opt = opt;
	job->location = opt->location;
	job->in_fd = 0;
	job->back_fd = ch->back_fd;
	bk_side_init(&job->side, ch->side_fd, &side_ops, job);
	job->chunk = BK_BUFFER;
	job->tty = isatty(2);
	job->started = bk_now_ms();
	bk_reasons_init(&job->reasons, getenv("PRINTER_STATE_REASONS"), stderr);
	pjl_reader_init(&job->reader);
	pjl_scan_init(&job->scan);

	if (file) {
		job->in_fd = open(file, O_RDONLY | O_CLOEXEC);
		if (job->in_fd < 0) {
			bk_say(job, "ERROR: Unable to open print file %s: %s\n", file, strerror(errno));
			free(job);
			return CUPS_BACKEND_FAILED;
		}
		if (fstat(job->in_fd, &st) == 0 && S_ISREG(st.st_mode))
			job->total = (uint64_t)st.st_size * (uint64_t)copies;
	} else {
		copies = 1;   /* the filters made the copies */
	}

	code = run(job, copies);

	bk_cancel_device = NULL;
	if (job->tty && job->dev) {
		progress(job, code == CUPS_BACKEND_OK ? "done" : "stopped");
		fputc('\n', stderr);
	}
	parclass_device_close(job->dev);
	if (file)
		close(job->in_fd);
	free(job->id);
	free(job);
	return code;
}
