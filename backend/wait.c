/*
 * wait.c - waiting for the device and the port: the exclusive open, the
 * lock in the port's queue with a watcher thread, and letting waiting
 * neighbours go first (sharing)
 *
 * The watcher thread runs only while the job's thread is blocked in the
 * library's lock call. It says who holds the port and serves the side
 * channel (bk_side_service: only what needs no device), and never touches
 * job->dev; it has a port handle and a context of its own.
 */
#include "config.h"

#include <cups/backend.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/process.h"
#include "job.h"

#define RETRY_MS 250           /* between tries while another program has the device or the kernel claim */
/* The first retry of a device open: another process (parclassd's probe, a
 * parclassctl command) usually has it for one short step; a longer holder
 * is tried again at intervals that double up to RETRY_MS. */
#define OPEN_RETRY_FIRST_MS 5
#define WATCH_MS 500           /* between the watcher thread's looks at who holds the port */
#define SHARE_CHECK_MS 250     /* between looks at the port's waiters */

/* ---- waiting for the device and the port ---- */

/* "cupsd" for a pid, or "?": its name up to any newline, printable ASCII only. */
static void holder_name(pid_t pid, char *buf, size_t len)
{
	process_name(pid, buf, len);
	buf[strcspn(buf, "\n")] = '\0';
	/* Any process names itself as it likes: only printable ASCII reaches cupsd. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			*p = '?';
}

int bk_job_open_wait(struct bk_job *job)
{
	int64_t start = bk_now_ms();
	int delay = OPEN_RETRY_FIRST_MS;
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
		/* Said once the first quick retry failed too: a probe's short
		 * step does not flash a reason in CUPS. */
		if (!told && delay > OPEN_RETRY_FIRST_MS) {
			reasons_set(&job->reasons, REASON_FROM_PROGRAM, REASON_CONNECTING);
			bk_job_flush_reasons(job);
			bk_say(job, "INFO: Waiting for the printer: another program has it open\n");
			told = true;
		}
		poll(NULL, 0, delay);
		delay = delay * 2 < RETRY_MS ? delay * 2 : RETRY_MS;
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
				holder_name(holder, name, sizeof name);
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

int bk_job_lock_wait(struct bk_job *job, bool first)
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
		reasons_set(&job->reasons, REASON_FROM_PROGRAM, REASON_CONNECTING);
		bk_job_flush_reasons(job);
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
	r = bk_job_lock_wait(job, false);
	if (r == -ECANCELED)
		return;
	if (r < 0) {
		bk_job_fail(job, CUPS_BACKEND_FAILED, "Unable to get %s back: %s", job->location, parclass_strerror(r));
		return;
	}
	job->held_since = bk_now_ms();
	job->publish_again = true;   /* another holder may have published meanwhile */
	bk_say(job, "INFO: Printing\n");
	bk_side_port(&job->side, true);
}

void bk_job_maybe_share(struct bk_job *job, int64_t now, bool between_copies)
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
