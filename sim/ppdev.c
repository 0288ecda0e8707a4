/*
 * ppdev.c - /dev/parportN as Linux's ppdev driver answers it
 *
 * Each open file of a client is a struct pp_file with the kernel's per-file
 * state (struct pp_struct). Calls that the kernel would sleep in - PPCLAIM
 * on a held port, a read with no data, a write to a printer that is not
 * ready or a slow link, a late negotiation - become a pending struct op that
 * is completed later from the main loop. The kernel ends such a sleep when a
 * signal arrives; the client cannot tell us (umockdev blocks its signals while
 * it waits), so pending calls of a process with a deliverable signal pending
 * in /proc/PID/status are ended as the kernel would end them.
 *
 * Whether a client's fd is O_NONBLOCK is read from /proc/PID/fdinfo, since
 * umockdev does not forward fcntl().
 */
#include "config.h"

#include "ppdev.h"

#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/parport.h>
#include <linux/ppdev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

#define HZ 250                      /* Debian's kernel: jiffies are 4 ms */
#define JIFFY_US (1000000 / HZ)
#define PP_BUFFER_SIZE 1024         /* the most one read() returns */
#define DEFAULT_TIMEOUT_US 5000000  /* a pardevice's inactivity timeout: 5 s */
#define XFER_CHUNK 65536            /* client memory fetched per step */
#define SIGNAL_POLL_MS 20

#define ST_ERROR 0x08
#define ST_SELECT 0x10
#define ST_PAPEROUT 0x20
#define ST_BUSY 0x80

#define PPGETTIME32 _IOR(PP_IOCTL, 0x95, int32_t[2])
#define PPSETTIME32 _IOW(PP_IOCTL, 0x96, int32_t[2])
#define PPGETTIME64 _IOR(PP_IOCTL, 0x95, int64_t[2])
#define PPSETTIME64 _IOW(PP_IOCTL, 0x96, int64_t[2])

void (*sim_ppdev_port_gone_hook)(struct sim_port *p);
void (*sim_ppdev_active_hook)(struct sim_port *p, bool claimed);

enum op_kind { OP_CLAIM, OP_NEGOT, OP_READ, OP_WRITE };
enum write_path { PATH_COMPAT_SW, PATH_COMPAT_FIFO, PATH_ECP, PATH_EPP };

struct op {
	enum op_kind kind;
	gint64 not_before;      /* complete no earlier than this (handshake delays) */

	/* OP_NEGOT */
	long result;
	int err;

	/* OP_READ and OP_WRITE */
	unsigned long addr;     /* client buffer */
	size_t len, done;
	bool nonblock;
	int rate_family;        /* enum sim_rate */
	guint8 *buf;            /* read: bytes taken from the device, in flight */

	/* OP_WRITE */
	enum write_path path;
	bool command;           /* ECP command / EPP address cycles */
	gint64 timeout_us;
	gint64 last_progress;
	gint64 stretch_start;   /* rate accounting since the link last started moving */
	guint64 stretch_bytes;
	bool stalled;
};

struct pp_file {
	struct sim_conn *conn;
	struct sim_port *port;      /* NULL: a node with no port behind it */
	pid_t pid;
	int client_fd;              /* the client's fd number, -1 unknown */
	bool registered, excl, claimed;
	int mode, phase;            /* pp->state */
	int saved_mode, saved_phase;
	gint64 timeout_us;
	int uflags;
	struct op *op;
};

static struct sim_port **ports;
static unsigned n_ports;
static bool stopping;           /* every call now fails as on a port that went away */
static GList *files;            /* every open pp_file */
static GSource *timer;
static guint signal_poll;
static guint kick_idle;

static void evaluate_all(void);

/* ---- small helpers ---- */

static int init_phase(int mode)
{
	switch (mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR)) {
	case IEEE1284_MODE_NIBBLE:
	case IEEE1284_MODE_BYTE:
		return SIM_PH_REV_IDLE;
	}
	return SIM_PH_FWD_IDLE;
}

static bool get_bytes(struct pp_file *f, unsigned long addr, void *v, size_t n)
{
	return sim_conn_read_mem(f->conn, addr, v, n);
}

static bool put_bytes(struct pp_file *f, unsigned long addr, const void *v, size_t n)
{
	return sim_conn_write_mem(f->conn, addr, v, n);
}

static void complete(struct pp_file *f, long result, int err)
{
	sim_conn_complete(f->conn, result, err);
}

static void op_free(struct op *op)
{
	if (!op)
		return;
	g_free(op->buf);
	g_free(op);
}

static void op_finish(struct pp_file *f, long result, int err)
{
	op_free(f->op);
	f->op = NULL;
	complete(f, result, err);
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
	for (GList *l = files; l; l = l->next) {
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
static bool client_nonblock(struct pp_file *f)
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

/* ---- claim, release, registration ---- */

static void set_active(struct sim_port *p, bool claimed)
{
	if (sim_ppdev_active_hook)
		sim_ppdev_active_hook(p, claimed);
}

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
	set_active(p, true);
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
	set_active(p, false);
	sim_ppdev_kick(NULL);  /* the next waiter, if any */
}

/* ---- scheduling ---- */

static bool op_interruptible(const struct op *op)
{
	return op->kind == OP_CLAIM || op->kind == OP_READ || op->kind == OP_WRITE;
}

static gboolean signal_poll_cb(gpointer data)
{
	bool any = false;

	for (GList *l = files; l; l = l->next) {
		struct pp_file *f = l->data;

		if (!f->op || !op_interruptible(f->op))
			continue;
		any = true;
		if (!signal_pending_for(f->pid))
			continue;
		switch (f->op->kind) {
		case OP_CLAIM:
			g_queue_remove(&f->port->waiters, f);
			op_finish(f, -1, EINTR);
			break;
		case OP_READ:
			if (!f->op->buf)
				op_finish(f, -1, EINTR);
			break;
		case OP_WRITE:
			op_finish(f, (long)f->op->done, 0);
			break;
		default:
			break;
		}
	}
	if (!any)
		signal_poll = 0;
	return any ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean timer_cb(gpointer data)
{
	evaluate_all();
	return G_SOURCE_CONTINUE;
}

static gboolean timer_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	g_source_set_ready_time(source, -1);
	return callback(data);
}

/* A source woken at a monotonic time, in microseconds (g_timeout_add has ms). */
static void arm_timer(gint64 when)
{
	static GSourceFuncs funcs = { .dispatch = timer_dispatch };

	if (!timer) {
		timer = g_source_new(&funcs, sizeof(GSource));
		g_source_set_callback(timer, timer_cb, NULL, NULL);
		g_source_attach(timer, NULL);
	}
	g_source_set_ready_time(timer, when);
}

static gboolean kick_cb(gpointer data)
{
	kick_idle = 0;
	evaluate_all();
	return G_SOURCE_REMOVE;
}

void sim_ppdev_kick(void *unused)
{
	if (!kick_idle)
		kick_idle = g_idle_add_full(G_PRIORITY_DEFAULT, kick_cb, NULL, NULL);
}

/* ---- read ---- */

static guint64 device_rate(struct sim_device *d, int family)
{
	return d ? sim_device_model(d)->rate[family] : 0;
}

/* Is the device at the other end in a reverse phase that matches the port's mode? */
static bool device_can_send(const struct sim_port *p, const struct sim_device *d)
{
	int mode = p->ieee_mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR);
	int xb;

	if (!d || !sim_device_alive(d) || sim_device_link_stopped(d))
		return false;
	xb = sim_device_xbyte(d);
	switch (mode) {
	case IEEE1284_MODE_NIBBLE:
	case IEEE1284_MODE_BYTE:
		return xb >= 0 && (xb & ~0x05) == 0;
	case IEEE1284_MODE_ECP:
	case IEEE1284_MODE_ECPRLE:
	case IEEE1284_MODE_ECPSWE:
		return xb >= 0 && (xb & 0x10) && sim_device_ecp_reverse(d);
	default:
		return xb == 0x40;
	}
}

/* Returns the time at which to look again, 0 when finished. */
static gint64 read_progress(struct pp_file *f, gint64 now)
{
	struct op *op = f->op;
	struct sim_port *p = f->port;
	struct sim_device *d = sim_port_target(p);

	if (op->buf) {
		/* Bytes on their way over a slow link. */
		if (now < op->not_before)
			return op->not_before;
		if (put_bytes(f, op->addr, op->buf, op->done))
			op_finish(f, (long)op->done, 0);
		return 0;
	}
	if (p->gone) {
		if (op->nonblock) {
			op_finish(f, -1, EAGAIN);
			return 0;
		}
		return G_MAXINT64;  /* dead port: the kernel reads 0 bytes forever */
	}
	if (device_can_send(p, d) && sim_device_has_reverse(d)) {
		guint64 rate = device_rate(d, op->rate_family);

		op->buf = g_malloc(op->len);
		op->done = sim_device_reverse_read(d, op->buf, op->len);
		if ((p->ieee_mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR)) <= IEEE1284_MODE_BYTE)
			p->ieee_phase = sim_device_has_reverse(d) ? SIM_PH_HBUSY_DAVAIL : SIM_PH_REV_IDLE;
		op->not_before = MAX(op->not_before, now + (rate ? (gint64)(op->done * G_USEC_PER_SEC / rate) : 0));
		return read_progress(f, now);
	}
	if (op->nonblock) {
		op_finish(f, -1, EAGAIN);
		return 0;
	}
	return G_MAXINT64;  /* sleep until data, a signal or the client goes */
}

static void do_read(struct pp_file *f, unsigned long addr, size_t count)
{
	struct sim_port *p = f->port;
	struct op *op;
	int mode, delay = 0;

	if (!p)
		return complete(f, -1, EINVAL);
	if (!f->claimed)
		return complete(f, -1, EINVAL);
	if (count == 0)
		return complete(f, 0, 0);

	op = g_new0(struct op, 1);
	op->kind = OP_READ;
	op->addr = addr;
	op->len = MIN(count, PP_BUFFER_SIZE);
	op->nonblock = client_nonblock(f);

	mode = p->ieee_mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR);
	if (p->gone) {
		/* falls through to the dead port's zero-byte reads */
	} else if (mode == IEEE1284_MODE_COMPAT) {
		/* The kernel negotiates a reverse mode by itself. */
		int d1 = 0, d2 = 0;

		if ((p->model->hw_modes & PARPORT_MODE_TRISTATE) &&
		    sim_port_negotiate(p, IEEE1284_MODE_BYTE, &d1) == 0) {
			mode = IEEE1284_MODE_BYTE;
		} else if (sim_port_negotiate(p, IEEE1284_MODE_NIBBLE, &d2) == 0) {
			mode = IEEE1284_MODE_NIBBLE;
		} else {
			op_free(op);
			return complete(f, -1, EIO);
		}
		delay = d1 + d2;
	} else if (mode == IEEE1284_MODE_ECP || mode == IEEE1284_MODE_ECPRLE || mode == IEEE1284_MODE_ECPSWE) {
		struct sim_device *d = sim_port_target(p);

		if (p->ieee_phase != SIM_PH_REV_IDLE || !d || !sim_device_ecp_reverse(d))
			sim_port_ecp_reverse(p);
	} else if (mode != IEEE1284_MODE_NIBBLE && mode != IEEE1284_MODE_BYTE && mode != IEEE1284_MODE_EPP &&
		   mode != IEEE1284_MODE_EPPSWE && mode != IEEE1284_MODE_EPPSL) {
		op_free(op);
		return complete(f, -1, ENOSYS);
	}

	switch (mode) {
	case IEEE1284_MODE_NIBBLE: op->rate_family = SIM_RATE_NIBBLE; break;
	case IEEE1284_MODE_BYTE: op->rate_family = SIM_RATE_BYTE; break;
	case IEEE1284_MODE_EPP:
	case IEEE1284_MODE_EPPSWE:
	case IEEE1284_MODE_EPPSL: op->rate_family = SIM_RATE_EPP; break;
	default: op->rate_family = SIM_RATE_ECP; break;
	}
	op->not_before = g_get_monotonic_time() + (gint64)delay * 1000;
	f->op = op;
	evaluate_all();
}

/* ---- write ---- */

static guint64 bytes_before_gone(const struct sim_port *p);
static void check_gone_bytes(struct sim_port *p);

/* Can the link move a byte now? -1: the printer is upset, stop at once. */
static int write_ready(const struct op *op, uint8_t st)
{
	switch (op->path) {
	case PATH_COMPAT_SW:
		/* parport_ieee1284_write_compat(): paper out, offline or fault end the write. */
		if ((st & (ST_PAPEROUT | ST_SELECT | ST_ERROR)) != (ST_SELECT | ST_ERROR))
			return -1;
		return (st & (ST_ERROR | ST_BUSY)) == (ST_ERROR | ST_BUSY);
	default:
		/* A FIFO (compat or ECP) or EPP handshake only watches Busy / PeriphAck / nWait. */
		return (st & ST_BUSY) != 0;
	}
}

/* Hand bytes to the device at the other end, if it is listening. */
static void write_deliver(struct pp_file *f, const guint8 *buf, size_t n)
{
	struct op *op = f->op;
	struct sim_device *d = sim_port_target(f->port);
	int xb = d ? sim_device_xbyte(d) : -1;
	bool listening;

	if (!d || !sim_device_alive(d)) {
		sim_event(f->port->name, "lost %zu bytes: nothing listening", n);
		return;
	}
	switch (op->path) {
	case PATH_EPP:
		listening = xb == 0x40;
		break;
	default:
		/* A device in compatibility mode or in ECP forward takes strobed data. */
		listening = xb < 0 || ((xb & 0x10) && !sim_device_ecp_reverse(d));
		break;
	}
	if (!listening) {
		sim_event(sim_device_location(d), "lost %zu bytes: device in %s mode", n,
			  xb < 0 ? "compat" : "another");
		return;
	}
	if (op->path == PATH_ECP && xb < 0 && op->command)
		sim_event(sim_device_location(d), "ecp command bytes taken as data: device in compat mode");
	sim_device_forward(d, buf, n, op->command && (xb & 0x10) && xb >= 0);
}

static gint64 write_progress(struct pp_file *f, gint64 now)
{
	struct op *op = f->op;
	struct sim_port *p = f->port;

	for (;;) {
		struct sim_device *d;
		guint64 rate, chunk, limit;
		int ready;

		if (op->done == op->len || p->gone) {
			op_finish(f, p->gone ? 0 : (long)op->done, 0);
			return 0;
		}
		ready = write_ready(op, sim_port_read_status(p));
		if (ready < 0) {
			op_finish(f, (long)op->done, 0);
			return 0;
		}
		if (!ready) {
			op->stalled = true;
			if (now - op->last_progress >= op->timeout_us) {
				op_finish(f, (long)op->done, 0);
				return 0;
			}
			return op->last_progress + op->timeout_us;
		}
		if (op->stalled) {
			op->stalled = false;
			op->stretch_start = now;
			op->stretch_bytes = 0;
			op->last_progress = now;
		}

		d = sim_port_target(p);
		chunk = op->len - op->done;
		rate = device_rate(d, op->rate_family);
		if (rate) {
			guint64 allowed = (guint64)(now - op->stretch_start) * rate / G_USEC_PER_SEC;

			allowed = allowed > op->stretch_bytes ? allowed - op->stretch_bytes : 0;
			if (!allowed)
				return op->stretch_start +
				       (gint64)((op->stretch_bytes + 1) * G_USEC_PER_SEC + rate - 1) / (gint64)rate;
			chunk = MIN(chunk, allowed);
		}
		limit = d ? sim_device_bytes_before_fault(d) : G_MAXUINT64;
		chunk = MIN(chunk, limit);
		chunk = MIN(chunk, bytes_before_gone(p));
		chunk = MIN(chunk, XFER_CHUNK);

		if (!op->buf)
			op->buf = g_malloc(XFER_CHUNK);
		if (!get_bytes(f, op->addr + op->done, op->buf, (size_t)chunk))
			return 0;  /* the client is gone; its file is dropped */
		write_deliver(f, op->buf, (size_t)chunk);
		p->forward_bytes += chunk;
		check_gone_bytes(p);
		op->done += (size_t)chunk;
		op->stretch_bytes += chunk;
		op->last_progress = now;
	}
}

static void do_write(struct pp_file *f, unsigned long addr, size_t count)
{
	struct sim_port *p = f->port;
	struct op *op;
	int mode, delay = 0;

	if (!p || !f->claimed)
		return complete(f, -1, EINVAL);
	if (p->gone)
		return complete(f, 0, 0);  /* the unregistered port's dead_ops write nothing */

	op = g_new0(struct op, 1);
	op->kind = OP_WRITE;
	op->addr = addr;
	op->nonblock = client_nonblock(f);
	op->len = op->nonblock ? MIN(count, PP_BUFFER_SIZE) : count;
	op->timeout_us = op->nonblock ? JIFFY_US : f->timeout_us;
	op->command = (p->ieee_mode & IEEE1284_ADDR) != 0;

	mode = p->ieee_mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR);
	switch (mode) {
	case IEEE1284_MODE_NIBBLE:
	case IEEE1284_MODE_BYTE:
		sim_port_negotiate(p, IEEE1284_MODE_COMPAT, &delay);
		/* fall through */
	case IEEE1284_MODE_COMPAT:
		/* parport_pc uses its FIFO when it has ECP hardware and may sleep. */
		op->path = (p->model->hw_modes & PARPORT_MODE_ECP) && !op->nonblock ? PATH_COMPAT_FIFO : PATH_COMPAT_SW;
		op->rate_family = SIM_RATE_COMPAT;
		op->command = false;
		break;
	case IEEE1284_MODE_ECP:
	case IEEE1284_MODE_ECPRLE:
	case IEEE1284_MODE_ECPSWE: {
		struct sim_device *d = sim_port_target(p);

		if (p->ieee_phase != SIM_PH_FWD_IDLE || (d && sim_device_ecp_reverse(d)))
			sim_port_ecp_forward(p);
		op->path = PATH_ECP;
		op->rate_family = SIM_RATE_ECP;
		break;
	}
	case IEEE1284_MODE_EPP:
	case IEEE1284_MODE_EPPSL:
	case IEEE1284_MODE_EPPSWE:
		op->path = PATH_EPP;
		op->rate_family = SIM_RATE_EPP;
		break;
	default:
		op_free(op);
		return complete(f, -1, ENOSYS);
	}
	op->not_before = g_get_monotonic_time() + (gint64)delay * 1000;
	op->last_progress = op->stretch_start = op->not_before;
	f->op = op;
	evaluate_all();
}

/* ---- evaluation of every pending call ---- */

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
			op_finish(f, 0, 0);
			return 0;
		}
		return G_MAXINT64;
	case OP_NEGOT:
		op_finish(f, op->result, op->err);
		return 0;
	case OP_READ:
		return read_progress(f, now);
	case OP_WRITE:
		return write_progress(f, now);
	}
	return 0;
}

static void evaluate_all(void)
{
	gint64 now = g_get_monotonic_time(), next = G_MAXINT64;
	bool interruptible = false;
	GList *snapshot = g_list_copy(files);

	/* Oldest files first, so that claims are granted in arrival order. */
	snapshot = g_list_reverse(snapshot);
	for (GList *l = snapshot; l; l = l->next) {
		struct pp_file *f = l->data;
		gint64 t;

		if (!g_list_find(files, f) || !f->op)
			continue;
		t = op_progress(f, now);
		if (t)
			next = MIN(next, t);
		if (f->op && op_interruptible(f->op))
			interruptible = true;
	}
	g_list_free(snapshot);
	if (next != G_MAXINT64)
		arm_timer(next);
	else if (timer)
		g_source_set_ready_time(timer, -1);
	if (interruptible && !signal_poll)
		signal_poll = g_timeout_add(SIGNAL_POLL_MS, signal_poll_cb, NULL);
}

/* ---- ioctl ---- */

static void ioctl_int_out(struct pp_file *f, unsigned long arg, int v)
{
	if (put_bytes(f, arg, &v, sizeof v))
		complete(f, 0, 0);
}

static void ioctl_u8_out(struct pp_file *f, unsigned long arg, uint8_t v)
{
	if (put_bytes(f, arg, &v, sizeof v))
		complete(f, 0, 0);
}

static void do_claim(struct pp_file *f)
{
	struct sim_port *p = f->port;
	int r;

	if (f->claimed)
		return complete(f, -1, EINVAL);
	if (!f->registered) {
		r = register_file(f);
		if (r)
			return complete(f, -1, -r);
	}
	if (!p->holder && g_queue_is_empty(&p->waiters)) {
		grant(f);
		return complete(f, 0, 0);
	}
	f->op = g_new0(struct op, 1);
	f->op->kind = OP_CLAIM;
	g_queue_push_tail(&p->waiters, f);
	/* Tests order their steps on this: the claim sleeps in the kernel now. */
	sim_event(p->name, "claim waits pid=%d", (int)f->pid);
	evaluate_all();
}

static void do_negotiate(struct pp_file *f, int mode)
{
	int delay = 0, r;

	if (f->port->gone)
		return complete(f, -1, EIO);
	r = sim_port_negotiate(f->port, mode, &delay);
	f->op = g_new0(struct op, 1);
	f->op->kind = OP_NEGOT;
	f->op->not_before = g_get_monotonic_time() + (gint64)delay * 1000;
	switch (r) {
	case 0: f->op->result = 0; break;
	case -1: f->op->result = -1; f->op->err = EIO; break;
	case 1: f->op->result = -1; f->op->err = ENXIO; break;
	default: f->op->result = -1; f->op->err = -r; break;
	}
	evaluate_all();
}

static bool generic_vfs_ioctl(unsigned long req)
{
	/* Handled by the VFS before a driver sees them: let the real fd take them,
	 * so that O_NONBLOCK set with FIONBIO shows in /proc like fcntl's. */
	return req == FIONBIO || req == FIOCLEX || req == FIONCLEX || req == FIOASYNC;
}

static void set_timeout(struct pp_file *f, gint64 sec, gint64 usec)
{
	gint64 jiffies;

	if (sec < 0 || usec < 0)
		return complete(f, -1, EINVAL);
	jiffies = (usec + JIFFY_US - 1) / JIFFY_US + sec * HZ;
	if (jiffies <= 0)
		return complete(f, -1, EINVAL);
	f->timeout_us = jiffies * JIFFY_US;
	complete(f, 0, 0);
}

static void do_ioctl(struct pp_file *f, unsigned long req, unsigned long arg)
{
	struct sim_port *p = f->port;
	int iv;
	uint8_t u8[2];

	if (generic_vfs_ioctl(req))
		return complete(f, SIM_WIRE_UNHANDLED, 0);
	/* copy_to_user()/copy_from_user() on NULL; other bad pointers would make
	 * umockdev's preload abort the client instead. */
	if (!arg && _IOC_SIZE(req) && _IOC_TYPE(req) == PP_IOCTL)
		return complete(f, -1, EFAULT);

	/* The calls that do not need the port claimed. */
	switch (req) {
	case PPCLAIM:
		return do_claim(f);
	case PPEXCL:
		if (f->registered)
			return complete(f, f->excl ? 0 : -1, f->excl ? 0 : EINVAL);
		f->excl = true;
		return complete(f, 0, 0);
	case PPSETMODE:
		if (!get_bytes(f, arg, &iv, sizeof iv))
			return;
		f->mode = iv;
		f->phase = init_phase(iv);
		if (f->claimed) {
			p->ieee_mode = iv;
			p->ieee_phase = f->phase;
		}
		return complete(f, 0, 0);
	case PPGETMODE:
		return ioctl_int_out(f, arg, f->claimed ? p->ieee_mode : f->mode);
	case PPSETPHASE:
		if (!get_bytes(f, arg, &iv, sizeof iv))
			return;
		f->phase = iv;
		if (f->claimed)
			p->ieee_phase = iv;
		return complete(f, 0, 0);
	case PPGETPHASE:
		return ioctl_int_out(f, arg, f->claimed ? p->ieee_phase : f->phase);
	case PPGETMODES:
		if (!p || p->gone)
			return complete(f, -1, ENODEV);
		return ioctl_int_out(f, arg, (int)p->model->hw_modes);
	case PPSETFLAGS:
		if (!get_bytes(f, arg, &iv, sizeof iv))
			return;
		f->uflags = iv & PP_FLAGMASK;
		return complete(f, 0, 0);
	case PPGETFLAGS:
		return ioctl_int_out(f, arg, f->uflags);
	}

	if (!f->claimed)
		return complete(f, -1, EINVAL);

	switch (req) {
	case PPRSTATUS:
		return ioctl_u8_out(f, arg, p->gone ? 0 : sim_port_read_status(p));
	case PPRDATA:
		return ioctl_u8_out(f, arg, p->gone ? 0 : sim_port_read_data(p));
	case PPRCONTROL:
		return ioctl_u8_out(f, arg, p->gone ? 0 : sim_port_read_control(p));
	case PPYIELD:
		if (!g_queue_is_empty(&p->waiters)) {
			/* parport_yield_blocking(): let the waiters in, then queue again. */
			int mode = p->ieee_mode, phase = p->ieee_phase;

			release(f, " (yield)");
			f->mode = mode;
			f->phase = phase;
			f->op = g_new0(struct op, 1);
			f->op->kind = OP_CLAIM;
			g_queue_push_tail(&p->waiters, f);
			evaluate_all();
			return;
		}
		return complete(f, 0, 0);
	case PPRELEASE:
		release(f, "");
		return complete(f, 0, 0);
	case PPWCONTROL:
		if (!get_bytes(f, arg, u8, 1))
			return;
		if (!p->gone)
			sim_port_write_control(p, u8[0]);
		sim_ppdev_kick(NULL);
		return complete(f, 0, 0);
	case PPWDATA:
		if (!get_bytes(f, arg, u8, 1))
			return;
		if (!p->gone)
			sim_port_write_data(p, u8[0]);
		return complete(f, 0, 0);
	case PPFCONTROL:
		if (!get_bytes(f, arg, u8, 2))
			return;
		if (!p->gone)
			sim_port_frob_control(p, u8[0], u8[1]);
		sim_ppdev_kick(NULL);
		return complete(f, 0, 0);
	case PPDATADIR:
		if (!get_bytes(f, arg, &iv, sizeof iv))
			return;
		if (!p->gone)
			sim_port_data_dir(p, iv != 0);
		return complete(f, 0, 0);
	case PPNEGOT:
		if (!get_bytes(f, arg, &iv, sizeof iv))
			return;
		return do_negotiate(f, iv);
	case PPWCTLONIRQ:
		if (!get_bytes(f, arg, u8, 1))
			return;
		return complete(f, 0, 0);
	case PPCLRIRQ:
		/* The emulated ports have no interrupt line: the count stays 0. */
		return ioctl_int_out(f, arg, 0);
	case PPSETTIME64: {
		int64_t tv[2];

		if (!get_bytes(f, arg, tv, sizeof tv))
			return;
		return set_timeout(f, tv[0], tv[1]);
	}
	case PPSETTIME32: {
		int32_t tv[2];

		if (!get_bytes(f, arg, tv, sizeof tv))
			return;
		return set_timeout(f, tv[0], tv[1]);
	}
	case PPGETTIME64: {
		int64_t tv[2] = { f->timeout_us / G_USEC_PER_SEC, f->timeout_us % G_USEC_PER_SEC };

		if (put_bytes(f, arg, tv, sizeof tv))
			complete(f, 0, 0);
		return;
	}
	case PPGETTIME32: {
		int32_t tv[2] = { (int32_t)(f->timeout_us / G_USEC_PER_SEC), (int32_t)(f->timeout_us % G_USEC_PER_SEC) };

		if (put_bytes(f, arg, tv, sizeof tv))
			complete(f, 0, 0);
		return;
	}
	}
	complete(f, -1, EINVAL);
}

/* ---- wire callbacks ---- */

static void file_opened(struct sim_conn *c, void *data)
{
	struct pp_file *f = g_new0(struct pp_file, 1);

	f->conn = c;
	f->port = data;
	f->pid = sim_conn_pid(c);
	f->mode = IEEE1284_MODE_COMPAT;
	f->phase = init_phase(f->mode);
	f->timeout_us = DEFAULT_TIMEOUT_US;
	sim_conn_set_data(c, f);
	find_client_fd(f);
	files = g_list_prepend(files, f);
}

static void file_request(struct sim_conn *c, unsigned long cmd, unsigned long a1, unsigned long a2)
{
	struct pp_file *f = sim_conn_get_data(c);

	if (f->op) {
		/* umockdev serialises calls per fd; a second one is a protocol error. */
		complete(f, -1, EBUSY);
		return;
	}
	if (stopping) {
		complete(f, cmd == SIM_WIRE_WRITE ? 0 : -1, cmd == SIM_WIRE_WRITE ? 0 : ENODEV);
		return;
	}
	switch (cmd) {
	case SIM_WIRE_IOCTL:
		if (!f->port && a1 != PPEXCL && a1 != PPCLAIM && !generic_vfs_ioctl(a1))
			return complete(f, -1, a1 == PPGETMODES ? ENODEV : EINVAL);
		do_ioctl(f, a1, a2);
		break;
	case SIM_WIRE_READ:
	case SIM_WIRE_WRITE:
		if (!a1 && a2 && f->claimed)
			return complete(f, -1, EFAULT);
		if (cmd == SIM_WIRE_READ)
			do_read(f, a1, a2);
		else
			do_write(f, a1, a2);
		break;
	}
}

/* pp_release(): a file closed, or its process died. */
static void file_gone(struct sim_conn *c)
{
	struct pp_file *f = sim_conn_get_data(c);
	struct sim_port *p = f->port;

	files = g_list_remove(files, f);
	if (f->op && f->op->kind == OP_CLAIM)
		g_queue_remove(&p->waiters, f);
	op_free(f->op);
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

unsigned sim_ppdev_open_files(void)
{
	return g_list_length(files);
}

const struct sim_wire_ops sim_ppdev_ops = {
	.opened = file_opened,
	.request = file_request,
	.gone = file_gone,
};

/* ---- faults that concern the port, and signals ---- */

struct gone_fault {
	struct sim_port *port;
	const struct sim_fault_model *m;
	bool fired;
};

static GPtrArray *gone_faults;

static void port_gone(struct gone_fault *g)
{
	struct sim_port *p = g->port;

	if (g->fired || p->gone)
		return;
	g->fired = true;
	p->gone = true;
	if (sim_ppdev_port_gone_hook)
		sim_ppdev_port_gone_hook(p);
	/* Logged once /proc no longer has it: a client that reads the log sees it gone. */
	sim_event(p->name, "fault %s begin port-gone", g->m->name);
	/* Sleepers wake to the dead port: claims fail, reads and writes see nothing. */
	for (GList *l = files; l; l = l->next) {
		struct pp_file *f = l->data;

		if (f->port == p && f->op && f->op->kind == OP_CLAIM) {
			g_queue_remove(&p->waiters, f);
			op_finish(f, -1, ENXIO);
		}
	}
	sim_ppdev_kick(NULL);
}

/* A port-gone fault due after so many bytes: how many may still go through. */
static guint64 bytes_before_gone(const struct sim_port *p)
{
	guint64 left = G_MAXUINT64;

	for (guint i = 0; gone_faults && i < gone_faults->len; i++) {
		const struct gone_fault *g = g_ptr_array_index(gone_faults, i);

		if (g->port == p && !g->fired && g->m->after_bytes && g->m->after_bytes > p->forward_bytes)
			left = MIN(left, g->m->after_bytes - p->forward_bytes);
	}
	return left;
}

static void check_gone_bytes(struct sim_port *p)
{
	for (guint i = 0; gone_faults && i < gone_faults->len; i++) {
		struct gone_fault *g = g_ptr_array_index(gone_faults, i);

		if (g->port == p && g->m->after_bytes && p->forward_bytes >= g->m->after_bytes)
			port_gone(g);
	}
}

static gboolean gone_timer(gpointer data)
{
	port_gone(data);
	return G_SOURCE_REMOVE;
}

void sim_ppdev_init(struct sim_port **p, unsigned n)
{
	ports = p;
	n_ports = n;
	gone_faults = g_ptr_array_new_with_free_func(g_free);
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < p[i]->model->faults->len; k++) {
			const struct sim_fault_model *m = g_ptr_array_index(p[i]->model->faults, k);
			struct gone_fault *g;

			if (m->kind != SIM_FAULT_PORT_GONE)
				continue;
			g = g_new0(struct gone_fault, 1);
			g->port = p[i];
			g->m = m;
			g_ptr_array_add(gone_faults, g);
			if (m->after_ms >= 0)
				g_timeout_add((guint)m->after_ms, gone_timer, g);
		}
	}
}

void sim_ppdev_signal(bool start)
{
	for (unsigned i = 0; i < n_ports; i++) {
		struct sim_port *p = ports[i];

		if (p->end)
			sim_device_signal(p->end, start);
		for (unsigned k = 0; k < p->n_chain; k++)
			sim_device_signal(p->chain[k], start);
	}
	if (start && gone_faults)
		for (guint i = 0; i < gone_faults->len; i++) {
			struct gone_fault *g = g_ptr_array_index(gone_faults, i);

			if (g->m->on_signal)
				port_gone(g);
		}
	sim_ppdev_kick(NULL);
}

/* The simulator stops: calls that wait end as on a port that went away, so
 * that no client is left inside a call when its connection closes (umockdev's
 * preload would abort it). */
void sim_ppdev_stop(void)
{
	stopping = true;
	for (GList *l = files; l; l = l->next) {
		struct pp_file *f = l->data;

		if (!f->op)
			continue;
		if (f->op->kind == OP_CLAIM && f->port)
			g_queue_remove(&f->port->waiters, f);
		if (f->op->kind == OP_WRITE)
			op_finish(f, (long)f->op->done, 0);
		else
			op_finish(f, -1, ENODEV);
	}
}

void sim_ppdev_shutdown(void)
{
	if (timer) {
		g_source_destroy(timer);
		g_source_unref(timer);
		timer = NULL;
	}
	if (signal_poll)
		g_source_remove(signal_poll);
	signal_poll = 0;
	if (kick_idle)
		g_source_remove(kick_idle);
	kick_idle = 0;
	g_clear_pointer(&gone_faults, g_ptr_array_unref);
}
