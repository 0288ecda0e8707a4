/*
 * ppdev-client.c - the per-file state of /dev/parportN: open and close,
 * registration, claim and release, the file's mode, and its pending call
 *
 * Each open file of a client is a struct pp_file with the kernel's per-file
 * state (struct pp_struct). Calls that the kernel would sleep in become a
 * pending struct op that the scheduler here moves on from the main loop. The
 * kernel ends such a sleep when a signal arrives; the client cannot tell us
 * (umockdev blocks its signals while it waits), so pending calls of a process
 * with a deliverable signal pending in /proc/PID/status are ended as the
 * kernel would end them.
 *
 * Whether a client's fd is O_NONBLOCK is read from /proc/PID/fdinfo, since
 * umockdev does not forward fcntl().
 */
#include "config.h"

#include "ppdev-private.h"

#include "record.h"
#include "schedule.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/parport.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_US 5000000  /* a pardevice's inactivity timeout: 5 s */

GList *pp_files;
static bool poll_signals(void);
static struct sim_sched sched = { .evaluate = pp_evaluate_all, .poll_signals = poll_signals };

/* ---- the client's call and memory ---- */

static int init_phase(int mode)
{
	switch (mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR)) {
	case IEEE1284_MODE_NIBBLE:
	case IEEE1284_MODE_BYTE:
		return SIM_PH_REV_IDLE;
	}
	return SIM_PH_FWD_IDLE;
}

bool pp_get_bytes(struct pp_file *f, unsigned long addr, void *v, size_t n)
{
	return sim_conn_read_mem(f->conn, addr, v, n);
}

bool pp_put_bytes(struct pp_file *f, unsigned long addr, const void *v, size_t n)
{
	return sim_conn_write_mem(f->conn, addr, v, n);
}

void pp_complete(struct pp_file *f, long result, int err)
{
	sim_conn_complete(f->conn, result, err);
}

void pp_op_free(struct op *op)
{
	if (!op)
		return;
	g_free(op->buf);
	g_free(op);
}

void pp_op_finish(struct pp_file *f, long result, int err)
{
	pp_op_free(f->op);
	f->op = NULL;
	pp_complete(f, result, err);
}

/* ---- the client's fd: O_NONBLOCK and pending signals from /proc ---- */

static int fd_links_to(pid_t pid, int fd, const char *path)
{
	char link[64], target[4096];
	ssize_t n;

	g_snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(link, target, sizeof target - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	return strcmp(target, path) == 0;
}

static bool fd_taken(const struct pp_file *self, int fd)
{
	for (GList *l = pp_files; l; l = l->next) {
		const struct pp_file *o = l->data;

		if (o != self && o->pid == self->pid && o->client_fd == fd)
			return true;
	}
	return false;
}

/* Which of the client's fds is this file? Known when exactly one fd fits. */
static void find_client_fd(struct pp_file *f)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/fd", (int)f->pid);
	GDir *d = f->port && f->pid > 0 ? g_dir_open(dir, 0, NULL) : NULL;
	const char *name;
	int found = -1, count = 0;

	f->client_fd = -1;
	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		int fd = atoi(name);

		if (fd_links_to(f->pid, fd, f->port->node_path) == 1 && !fd_taken(f, fd)) {
			found = fd;
			count++;
		}
	}
	g_dir_close(d);
	if (count == 1)
		f->client_fd = found;
}

static int fd_flags(pid_t pid, int fd)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fdinfo/%d", (int)pid, fd);
	g_autofree char *text = NULL;
	const char *flags;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	flags = strstr(text, "flags:");
	return flags ? (int)strtol(flags + 6, NULL, 8) : -1;
}

/* Is the client's fd non-blocking? If its fd is not known, only when all of
 * the process's fds on this node are. */
bool pp_client_nonblock(struct pp_file *f)
{
	g_autofree char *dir = NULL;
	GDir *d;
	const char *name;
	bool any = false, all = true;

	if (f->client_fd >= 0 && fd_links_to(f->pid, f->client_fd, f->port->node_path) != 1)
		find_client_fd(f);
	if (f->client_fd >= 0) {
		int fl = fd_flags(f->pid, f->client_fd);

		return fl >= 0 && (fl & O_NONBLOCK);
	}
	dir = g_strdup_printf("/proc/%d/fd", (int)f->pid);
	d = g_dir_open(dir, 0, NULL);
	if (!d)
		return false;
	while ((name = g_dir_read_name(d))) {
		int fd = atoi(name);

		if (fd_links_to(f->pid, fd, f->port->node_path) == 1) {
			int fl = fd_flags(f->pid, fd);

			any = true;
			if (fl < 0 || !(fl & O_NONBLOCK))
				all = false;
		}
	}
	g_dir_close(d);
	return any && all;
}

static guint64 status_mask(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? g_ascii_strtoull(p + strlen(key), NULL, 16) : 0;
}

/* Would the kernel see signal_pending() for this process? Signals the
 * process ignores, or whose default action is to ignore or stop, do not end
 * a sleep. */
static bool signal_pending_for(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	guint64 pending, caught, ignored, benign = 0;
	static const int benign_signals[] = { SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU };

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return false;
	pending = status_mask(text, "\nSigPnd:") | status_mask(text, "\nShdPnd:");
	caught = status_mask(text, "\nSigCgt:");
	ignored = status_mask(text, "\nSigIgn:");
	for (size_t i = 0; i < G_N_ELEMENTS(benign_signals); i++)
		benign |= G_GUINT64_CONSTANT(1) << (benign_signals[i] - 1);
	return (pending & ~ignored & (caught | ~benign)) != 0;
}

bool sim_ppdev_signal_pending(pid_t pid)
{
	return signal_pending_for(pid);
}

/* ---- the file's mode and phase ---- */

int pp_mode(const struct pp_file *f)
{
	return f->claimed ? f->port->ieee_mode : f->mode;
}

void pp_set_mode(struct pp_file *f, int mode)
{
	f->mode = mode;
	f->phase = init_phase(mode);
	if (f->claimed) {
		f->port->ieee_mode = mode;
		f->port->ieee_phase = f->phase;
	}
}

int pp_phase(const struct pp_file *f)
{
	return f->claimed ? f->port->ieee_phase : f->phase;
}

void pp_set_phase(struct pp_file *f, int phase)
{
	f->phase = phase;
	if (f->claimed)
		f->port->ieee_phase = phase;
}

/* ---- claim, release, registration ---- */

static int register_file(struct pp_file *f)
{
	struct sim_port *p = f->port;

	if (!p || p->gone)
		return -ENXIO;  /* "no associated port" */
	if (p->excl)
		return -ENXIO;
	if (f->excl && (p->registered || p->model->lp_driver))
		return -ENXIO;
	p->registered = g_list_prepend(p->registered, f);
	if (f->excl)
		p->excl = true;
	f->registered = true;
	return 0;
}

static void unregister_file(struct pp_file *f)
{
	if (!f->registered)
		return;
	f->port->registered = g_list_remove(f->port->registered, f);
	if (f->excl)
		f->port->excl = false;
	f->registered = false;
}

static void grant(struct pp_file *f)
{
	struct sim_port *p = f->port;

	p->holder = f;
	f->claimed = true;
	f->saved_mode = p->ieee_mode;
	f->saved_phase = p->ieee_phase;
	p->ieee_mode = f->mode;
	p->ieee_phase = f->phase;
	sim_event(p->name, "claim pid=%d", (int)f->pid);
	pp_show_active(p, true);
}

static void release(struct pp_file *f, const char *why)
{
	struct sim_port *p = f->port;

	f->mode = p->ieee_mode;
	f->phase = p->ieee_phase;
	p->ieee_mode = f->saved_mode;
	p->ieee_phase = f->saved_phase;
	f->claimed = false;
	p->holder = NULL;
	sim_port_session_end(p);
	sim_event(p->name, "release pid=%d%s", (int)f->pid, why);
	pp_show_active(p, false);
	sim_ppdev_kick(NULL);  /* the next waiter, if any */
}

void pp_claim(struct pp_file *f)
{
	struct sim_port *p = f->port;
	int r;

	if (f->claimed)
		return pp_complete(f, -1, EINVAL);
	if (!f->registered) {
		r = register_file(f);
		if (r)
			return pp_complete(f, -1, -r);
	}
	if (!p->holder && g_queue_is_empty(&p->waiters)) {
		grant(f);
		return pp_complete(f, 0, 0);
	}
	f->op = g_new0(struct op, 1);
	f->op->kind = OP_CLAIM;
	g_queue_push_tail(&p->waiters, f);
	/* Tests order their steps on this: the claim sleeps in the kernel now. */
	sim_event(p->name, "claim waits pid=%d", (int)f->pid);
	pp_evaluate_all();
}

void pp_yield(struct pp_file *f)
{
	struct sim_port *p = f->port;

	if (!g_queue_is_empty(&p->waiters)) {
		/* parport_yield_blocking(): let the waiters in, then queue again. */
		int mode = p->ieee_mode, phase = p->ieee_phase;

		release(f, " (yield)");
		f->mode = mode;
		f->phase = phase;
		f->op = g_new0(struct op, 1);
		f->op->kind = OP_CLAIM;
		g_queue_push_tail(&p->waiters, f);
		pp_evaluate_all();
		return;
	}
	pp_complete(f, 0, 0);
}

void pp_release(struct pp_file *f)
{
	release(f, "");
	pp_complete(f, 0, 0);
}

/* ---- scheduling ---- */

static bool op_interruptible(const struct op *op)
{
	return op->kind == OP_CLAIM || op->kind == OP_READ || op->kind == OP_WRITE;
}

static bool poll_signals(void)
{
	bool any = false;

	for (GList *l = pp_files; l; l = l->next) {
		struct pp_file *f = l->data;

		if (!f->op || !op_interruptible(f->op))
			continue;
		any = true;
		if (!signal_pending_for(f->pid))
			continue;
		switch (f->op->kind) {
		case OP_CLAIM:
			g_queue_remove(&f->port->waiters, f);
			pp_op_finish(f, -1, EINTR);
			break;
		case OP_READ:
			if (!f->op->buf)
				pp_op_finish(f, -1, EINTR);
			break;
		case OP_WRITE:
			pp_op_finish(f, (long)f->op->done, 0);
			break;
		default:
			break;
		}
	}
	return any;
}

void sim_ppdev_kick(void *unused)
{
	sim_sched_kick(&sched);
}

static gint64 op_progress(struct pp_file *f, gint64 now)
{
	struct op *op = f->op;

	if (op->kind != OP_CLAIM && now < op->not_before)
		return op->not_before;
	switch (op->kind) {
	case OP_CLAIM:
		if (!f->port->holder && g_queue_peek_head(&f->port->waiters) == f) {
			g_queue_pop_head(&f->port->waiters);
			grant(f);
			pp_op_finish(f, 0, 0);
			return 0;
		}
		return G_MAXINT64;
	case OP_NEGOT:
		pp_op_finish(f, op->result, op->err);
		return 0;
	case OP_READ:
		return pp_read_progress(f, now);
	case OP_WRITE:
		return pp_write_progress(f, now);
	}
	return 0;
}

void pp_evaluate_all(void)
{
	gint64 now = g_get_monotonic_time(), next = G_MAXINT64;
	bool interruptible = false;
	GList *snapshot = g_list_copy(pp_files);

	/* Oldest files first, so that claims are granted in arrival order. */
	snapshot = g_list_reverse(snapshot);
	for (GList *l = snapshot; l; l = l->next) {
		struct pp_file *f = l->data;
		gint64 t;

		if (!g_list_find(pp_files, f) || !f->op)
			continue;
		t = op_progress(f, now);
		if (t)
			next = MIN(next, t);
		if (f->op && op_interruptible(f->op))
			interruptible = true;
	}
	g_list_free(snapshot);
	sim_sched_rearm(&sched, next, interruptible);
}

void pp_sched_shutdown(void)
{
	sim_sched_shutdown(&sched);
}

/* ---- open and close ---- */

struct pp_file *pp_file_open(struct sim_conn *c, struct sim_port *port)
{
	struct pp_file *f = g_new0(struct pp_file, 1);

	f->conn = c;
	f->port = port;
	f->pid = sim_conn_pid(c);
	f->mode = IEEE1284_MODE_COMPAT;
	f->phase = init_phase(f->mode);
	f->timeout_us = DEFAULT_TIMEOUT_US;
	find_client_fd(f);
	pp_files = g_list_prepend(pp_files, f);
	return f;
}

void pp_file_close(struct pp_file *f)
{
	struct sim_port *p = f->port;

	pp_files = g_list_remove(pp_files, f);
	if (f->op && f->op->kind == OP_CLAIM)
		g_queue_remove(&p->waiters, f);
	pp_op_free(f->op);
	f->op = NULL;

	if (p && !p->gone) {
		/* The kernel returns the link to compatibility mode "because
		 * user-space forgot", claiming the port for it if need be (it would
		 * sleep for a held port; we leave a held port alone). */
		int delay;

		if (f->claimed && p->ieee_mode != IEEE1284_MODE_COMPAT) {
			sim_port_negotiate(p, IEEE1284_MODE_COMPAT, &delay);
		} else if (!f->claimed && f->registered && f->mode != IEEE1284_MODE_COMPAT && !p->holder) {
			int saved = p->ieee_mode;

			p->ieee_mode = f->mode;
			sim_port_negotiate(p, IEEE1284_MODE_COMPAT, &delay);
			p->ieee_mode = saved;
		}
	}
	if (f->claimed)
		release(f, " (closed)");
	if (p)
		unregister_file(f);
	g_free(f);
	sim_ppdev_kick(NULL);
}
