/*
 * job.c - printing one job: from the device URI's options to an exit code
 *
 * The order of things: open the device and wait for the port (wait.c),
 * read the device ID, negotiate the modes, stream every copy (stream.c),
 * wait for the printer to end the job (backchannel.c), and say how it went
 * (report.c). Also what the side channel (side.c) may ask of the job, and
 * which fds cupsd gave.
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
 */
#include "config.h"

#include <cups/backend.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "job.h"

#define ID_LINE_SPACE 64       /* of a message line, for the words around the device ID */

volatile sig_atomic_t bk_cancel_signal;
parclass_device *volatile bk_cancel_device;

int64_t bk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
		bk_job_fail(job, CUPS_BACKEND_STOP, "%s: there is no such parallel port", job->opt->location);
		return CUPS_BACKEND_STOP;
	case -EACCES:
	case -EPERM:
		bk_job_fail(job, CUPS_BACKEND_STOP, "Unable to use %s: %s (the runtime directory %s must be writable "
		     "for group lp)", job->opt->location, parclass_strerror(r), parclass_context_get_runtime_dir(job->ctx));
		return CUPS_BACKEND_STOP;
	case -ETIMEDOUT:
		bk_job_fail(job, CUPS_BACKEND_RETRY, "The printer stayed open in another program for %d seconds",
		     job->opt->lock_timeout_ms / BK_MS_PER_S);
		return CUPS_BACKEND_RETRY;
	}
	bk_job_fail(job, CUPS_BACKEND_RETRY, "Unable to open %s: %s", job->opt->location, parclass_strerror(r));
	return CUPS_BACKEND_RETRY;
}

static int lock_error(struct bk_job *job, int r)
{
	switch (r) {
	case -ECANCELED:
		return cancelled(job);
	case -ETIMEDOUT:
		bk_job_fail(job, CUPS_BACKEND_RETRY, "%s stayed busy for %d seconds", job->location,
		     job->opt->lock_timeout_ms / BK_MS_PER_S);
		return CUPS_BACKEND_RETRY;
	case -ENXIO:
		bk_job_fail(job, CUPS_BACKEND_RETRY, "The printer at %s does not answer on the daisy chain: is it on?",
		     job->location);
		return CUPS_BACKEND_RETRY;
	case -ENODEV:
	case -EACCES:
	case -EPERM:
		bk_job_fail(job, CUPS_BACKEND_STOP, "Unable to use %s: %s", job->location, parclass_strerror(r));
		return CUPS_BACKEND_STOP;
	}
	bk_job_fail(job, CUPS_BACKEND_RETRY, "Unable to get %s: %s", job->location, parclass_strerror(r));
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
		bk_job_fail(job, CUPS_BACKEND_STOP, "%s cannot print in the mode the device URI asks for (mode=%s)",
		     job->location, opt->write_mask & PARCLASS_MODE_CENTRONICS ? "compat" : "ecp");
		return CUPS_BACKEND_STOP;
	}
	if (r < 0) {
		bk_job_fail(job, CUPS_BACKEND_RETRY, "Unable to talk to the printer on %s: %s", job->location, parclass_strerror(r));
		return CUPS_BACKEND_RETRY;
	}
	job->write_mode = w;
	if (opt->read_mask) {
		r = parclass_device_negotiate(job->dev, 0, opt->read_mask, NULL, &rd);
		if (r == -ENOTSUP && opt->read_forced) {
			bk_job_fail(job, CUPS_BACKEND_STOP, "%s cannot send status in the mode the device URI asks for (reverse=)",
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
			       bk_mode_text(w));
	}
	if (rd)
		bk_say(job, "INFO: Printing on %s in %s mode, status in %s mode\n", job->location, bk_mode_text(w),
		       bk_mode_text(rd));
	else
		bk_say(job, "INFO: Printing on %s in %s mode, without status from the printer\n", job->location,
		       bk_mode_text(w));
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
		if (!(job->condition & BK_ABSENT))
			return true;
		bk_job_idle(job, BK_SLOW_POLL_MS, false);
		if (bk_cancel_signal)
			return false;
	}
}

/* Rewind the file for the next copy. */
static bool rewind_input(struct bk_job *job)
{
	if (lseek(job->in_fd, 0, SEEK_SET) < 0) {
		bk_job_fail(job, CUPS_BACKEND_FAILED, "Unable to read the print file again: %s", strerror(errno));
		return false;
	}
	job->in_eof = false;
	job->off = job->len = 0;
	return true;
}

static int run(struct bk_job *job, int copies)
{
	int r;

	r = bk_job_open_wait(job);
	if (r < 0)
		return open_error(job, r);
	job->location = parclass_device_get_location(job->dev);
	bk_cancel_device = job->dev;
	read_id(job, 0);   /* for the side channel while we wait */
	r = bk_job_lock_wait(job, true);
	if (r < 0)
		return lock_error(job, r);
	job->held_since = bk_now_ms();
	reasons_set(&job->reasons, REASON_FROM_PROGRAM, 0);
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
			bk_job_maybe_share(job, bk_now_ms(), true);
		}
		bk_job_stream(job);
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
	bk_job_wait_for_end(job);
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
	out->reasons = reasons_now(&job->reasons);
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
	reasons_init(&job->reasons, getenv("PRINTER_STATE_REASONS"), stderr);
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
		bk_job_progress(job, code == CUPS_BACKEND_OK ? "done" : "stopped");
		fputc('\n', stderr);
	}
	parclass_device_close(job->dev);
	if (file)
		close(job->in_fd);
	free(job->id);
	free(job);
	return code;
}
