/*
 * stream.c - the print data from the input to the printer: reading the
 * input, writing it in slices, and the loop that does between writes what
 * is due (status, reverse reads, the side channel, sharing, progress)
 *
 * Data is taken off the buffer only as the library reports it written, so a
 * printer that stalls, goes offline or runs out of paper loses nothing and
 * gets nothing twice: the job waits and then goes on from the next byte.
 * Runs on the job's thread only.
 */
#include "config.h"

#include <cups/backend.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

#define WRITE_WAIT_MS 250      /* how long one write waits for the printer to take data */
#define COMPAT_POLL_MS 100     /* status while streaming in compatibility mode */
#define ECP_POLL_FACTOR 10     /* status while streaming in ECP mode: every 10 poll periods */
#define PEEK_MS 25             /* between looks at the "reverse data waits" signal */
#define PEEK_READ_MS 500       /* and at least this between reads it causes: each turns the link */
#define PROGRESS_MS 250
#define STALL_REPORT_MS 10000  /* tell the user when the printer takes nothing this long */
#define WRITE_FAILURES_FALLBACK 3
#define WRITE_FAILURES_FATAL 6
#define MIN_CHUNK 4096
#define REFUSED_MS 50          /* a write that took nothing in less than this was refused at once ... */
#define REFUSED_PAUSE_MS 100   /* ... and the next one waits this long */
#define DRAIN_CHECK_MS 20      /* between looks at the Busy line while DRAIN_OUTPUT waits */

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
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
			bk_job_fail(job, CUPS_BACKEND_FAILED, "Unable to read print data: %s", strerror(errno));
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
void bk_job_idle(struct bk_job *job, int ms, bool input)
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
		bk_job_fail(job, CUPS_BACKEND_FAILED, "%s is gone: the port disappeared while printing", job->location);
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
		bk_job_fail(job, CUPS_BACKEND_FAILED, "Unable to send print data to %s: %s", job->location, parclass_strerror(r));
	}
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
		return BK_SLOW_POLL_MS;
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
				bk_job_fail(job, CUPS_BACKEND_FAILED, "The printer on %s took no data for %d s (stall-timeout)",
				     job->location, (int)(quiet / BK_MS_PER_S));
		}
	}
	if (job->read_mode && now >= job->next_read) {
		bk_job_read_back(job);
		job->next_read = now + (slow ? BK_SLOW_POLL_MS : job->opt->poll_ms);
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
	bk_job_maybe_share(job, now, false);
	if (job->tty && now >= job->next_progress) {
		job->next_progress = now + PROGRESS_MS;
		bk_job_progress(job, bk_job_state_text(job));
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
	if (next - now > BK_SLOW_POLL_MS)
		return BK_SLOW_POLL_MS;
	return next > now ? (int)(next - now) : 0;
}

/* Send the input to the printer, to its end. */
void bk_job_stream(struct bk_job *job)
{
	while (!job->fatal && !bk_cancel_signal) {
		if (job->off == job->len) {
			if (job->in_eof)
				return;
			bk_job_idle(job, until_next(job), true);
		} else if (job->condition & BK_ABSENT) {
			/* Data for a printer that is off or not there would be lost. */
			bk_job_idle(job, until_next(job), false);
		} else {
			int64_t t0 = bk_now_ms();
			uint64_t before = job->sent;

			bk_job_idle(job, 0, false);
			write_some(job);
			/* A printer that refuses at once must not make us spin. */
			if (job->sent == before && bk_now_ms() - t0 < REFUSED_MS)
				bk_job_idle(job, REFUSED_PAUSE_MS, false);
		}
		periodic(job);
	}
}
