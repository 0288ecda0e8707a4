/*
 * lp.c - /dev/lpN as Linux's lp driver answers it (drivers/char/lp.c): open
 * rules, compatibility (or ECP) writes with the driver's status checks and
 * timeouts, nibble reads, the ioctls, and the port claim shared with ppdev
 *
 * Per minor the driver keeps state across opens (flags, timeout, best mode,
 * whether it holds the port); that is struct lp_dev here, one per port with
 * lp-driver=true. lp takes part in the port's claim as one more pardevice:
 * it is a holder (sim_port.holder) and a waiter (sim_port.waiters) like a
 * ppdev file, so claims are granted in arrival order across both drivers. As
 * in the kernel, lp claims the port for a write, keeps it after the write,
 * and gives it up at the end of a write during which someone asked for it,
 * when its timeslice ran out while someone waits, during its 10 s error
 * sleeps, and for LPGETSTATUS, LPRESET, read and close.
 *
 * umockdev has no open hook: open() always succeeds. What lp_open() decides
 * is decided at the file's first call instead: a second opener of a minor
 * (LP_BUSY) gets EBUSY from every call, and the LP_ABORTOPEN status check
 * fails the first call (and every later one) with ENOSPC or EIO.
 */
#include "config.h"

#include "lp.h"

#include "ppdev.h"
#include "record.h"
#include "schedule.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/lp.h>
#include <linux/parport.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define LP_MINORS 8
#define LP_BUFFER_SIZE 4096         /* PAGE_SIZE: what one copy moves */
#define HZ 250                      /* Debian's kernel: jiffies are 4 ms */
#define JIFFY_US (G_USEC_PER_SEC / HZ)
#define LP_DEFAULT_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define LP_POLLED_SLEEP_US (10 * G_USEC_PER_SEC)   /* LP_TIMEOUT_POLLED */
#define TIMESLICE_US (200 * 1000)                  /* parport's default timeslice */

/* lp's per-minor state (struct lp_struct). */
struct lp_dev {
	struct sim_port *port;
	unsigned minor;
	char name[8];               /* "lpN": its pardevice's name */
	int flags;                  /* LP_F(minor) */
	int chars, time, wait;      /* LPCHAR, LPTIME, LPWAIT: stored only */
	gint64 timeout_us;          /* LPSETTIMEOUT */
	int best_mode;
	int current_mode;
	unsigned last_error;
	bool claimed;               /* LP_PARPORT_CLAIMED */
	pid_t claim_pid;            /* on whose behalf (for the events log) */
	gint64 claim_time;
	struct lp_file *owner;      /* the open file (LP_BUSY) */
};

enum lp_op_kind { LP_OP_WRITE, LP_OP_READ, LP_OP_STATUS, LP_OP_RESET };

struct lp_op {
	enum lp_op_kind kind;
	unsigned long addr;         /* client buffer */
	size_t len;                 /* write: what is left to send */
	long retv;                  /* bytes so far */
	bool nonblock;              /* O_NONBLOCK or LP_ABORT */
	bool fd_nonblock;           /* O_NONBLOCK alone */

	/* write */
	bool negotiated;            /* went to the best mode after claiming */
	guint8 buf[LP_BUFFER_SIZE];
	size_t copy_size, copied;   /* the chunk in buf and how much of it went */
	bool ready_checked;         /* lp_wait_ready() passed for this chunk */
	bool short_chunk;           /* the chunk stopped early: check the printer */
	gint64 last_progress;
	gint64 stretch_start;
	guint64 stretch_bytes;
	gint64 sleep_until;         /* in lp_error()'s sleep */
	int sleep_err;              /* what the check before the sleep found */
	gint64 retry_at;            /* no progress and nothing wrong: look again */
};

/* One open file of a client. */
struct lp_file {
	struct sim_conn *conn;
	struct lp_dev *dev;         /* NULL: no port behind the node */
	pid_t pid;
	bool busy;                  /* the minor was open already: open() failed with EBUSY */
	bool fd_nonblock_at_open;
	bool open_done;             /* lp_open()'s status check and ECP probe ran */
	int open_err;               /* what lp_open() would have returned */
	struct lp_op *op;
};

static struct lp_dev *devs[LP_MINORS];
static GList *files;
static bool stopping;
static void (*show_active)(struct sim_port *p, const char *holder);

static void evaluate_all(void);
static bool poll_signals(void);
static struct sim_sched sched = { .evaluate = evaluate_all, .poll_signals = poll_signals };
static void close_file(struct lp_file *f);

/* ---- the client: its call, memory, fd flags and signals ---- */

static void complete(struct lp_file *f, long result, int err)
{
	sim_conn_complete(f->conn, result, err);
}

static void op_finish(struct lp_file *f, long result, int err)
{
	g_free(f->op);
	f->op = NULL;
	complete(f, result, err);
}

/* Are the client's fds on this node O_NONBLOCK? (umockdev does not forward
 * fcntl(); /proc shows the flags.) With several fds, only if all are. */
static bool client_nonblock(struct lp_file *f)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/fd", (int)f->pid);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	bool any = false, all = true;

	if (!d || !f->dev)
		goto out;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *link = g_strdup_printf("%s/%s", dir, name);
		g_autofree char *target = g_file_read_link(link, NULL);
		g_autofree char *info = NULL, *text = NULL;
		const char *flags;

		if (!target || !g_str_has_suffix(target, f->dev->name) || !strstr(target, "/dev/"))
			continue;
		info = g_strdup_printf("/proc/%d/fdinfo/%s", (int)f->pid, name);
		if (!g_file_get_contents(info, &text, NULL, NULL))
			continue;
		flags = strstr(text, "flags:");
		any = true;
		if (!flags || !(strtol(flags + 6, NULL, 8) & O_NONBLOCK))
			all = false;
	}
out:
	if (d)
		g_dir_close(d);
	return any && all;
}

static bool poll_signals(void)
{
	bool any = false;

	for (GList *l = files; l; l = l->next) {
		struct lp_file *f = l->data;

		if (!f->op)
			continue;
		any = true;
		if (!sim_ppdev_signal_pending(f->pid))
			continue;
		/* A signal ends the sleep: the bytes so far, else EINTR. */
		if (f->dev->port->holder != f->dev)
			g_queue_remove(&f->dev->port->waiters, f->dev);
		if (f->op->retv > 0)
			op_finish(f, f->op->retv, 0);
		else
			op_finish(f, -1, EINTR);
	}
	return any;
}

/* ---- the port claim, shared with ppdev ---- */

static void grant(struct lp_dev *dev, pid_t pid)
{
	struct sim_port *p = dev->port;

	p->holder = dev;
	dev->claimed = true;
	dev->claim_pid = pid;
	dev->claim_time = g_get_monotonic_time();
	sim_event(p->name, "claim %s pid=%d", dev->name, (int)pid);
	if (show_active)
		show_active(p, dev->name);
}

/* lp_claim_parport_or_block(): true once lp holds the port; else lp waits
 * in the port's queue (the caller tries again when kicked). */
static bool claim(struct lp_dev *dev, pid_t pid)
{
	struct sim_port *p = dev->port;
	bool queued;

	if (dev->claimed)
		return true;
	queued = g_queue_find(&p->waiters, dev) != NULL;
	if (!p->holder && (g_queue_is_empty(&p->waiters) || g_queue_peek_head(&p->waiters) == dev)) {
		if (queued)
			g_queue_pop_head(&p->waiters);
		grant(dev, pid);
		return true;
	}
	if (!queued) {
		g_queue_push_tail(&p->waiters, dev);
		/* Tests order their steps on this: the claim sleeps in the kernel now. */
		sim_event(p->name, "claim waits %s pid=%d", dev->name, (int)pid);
	}
	return false;
}

/* lp_release_parport(). */
static void release(struct lp_dev *dev, const char *why)
{
	struct sim_port *p = dev->port;

	if (!dev->claimed)
		return;
	dev->claimed = false;
	p->holder = NULL;
	sim_port_session_end(p);
	sim_event(p->name, "release %s pid=%d%s", dev->name, (int)dev->claim_pid, why);
	if (show_active)
		show_active(p, NULL);
	sim_ppdev_kick(NULL);  /* a ppdev waiter, if any */
	sim_lp_kick(NULL);
}

static void negotiate(struct lp_dev *dev, int mode)
{
	int delay;

	if (!dev->port->gone)
		sim_port_negotiate(dev->port, mode, &delay);
}

/* lp_negotiate(): the best mode, else compatibility. */
static int negotiate_best(struct lp_dev *dev)
{
	int delay;

	if (dev->best_mode != IEEE1284_MODE_COMPAT && !dev->port->gone &&
	    sim_port_negotiate(dev->port, dev->best_mode, &delay) == 0)
		return dev->best_mode;
	negotiate(dev, IEEE1284_MODE_COMPAT);
	return IEEE1284_MODE_COMPAT;
}

/* Someone waits for the port: lp's preempt callback recorded the request. */
static bool preempt_requested(const struct lp_dev *dev)
{
	return !g_queue_is_empty(&dev->port->waiters);
}

/* parport_yield_blocking(): give waiters the port once the timeslice is over. */
static bool yield_due(const struct lp_dev *dev, gint64 now)
{
	return dev->claimed && preempt_requested(dev) && now - dev->claim_time >= TIMESLICE_US;
}

static uint8_t status(const struct lp_dev *dev)
{
	return dev->port->gone ? 0 : sim_port_read_status(dev->port);
}

/* ---- open ---- */

/* lp_open() after its LP_BUSY test; needs the port (false: waiting for it). */
static bool open_work(struct lp_file *f)
{
	struct lp_dev *dev = f->dev;
	uint8_t st;

	if (f->open_done)
		return true;
	if (!claim(dev, f->pid))
		return false;
	f->open_done = true;
	if ((dev->flags & LP_ABORTOPEN) && !f->fd_nonblock_at_open) {
		st = status(dev);
		if (st & ST_PAPEROUT)
			f->open_err = ENOSPC;
		else if (!(st & ST_SELECT))
			f->open_err = EIO;
		else if (!(st & ST_ERROR))
			f->open_err = EIO;
		if (f->open_err) {
			release(dev, "");
			dev->owner = NULL;  /* the open failed: LP_BUSY is cleared */
			return true;
		}
	}
	/* Does the peripheral take ECP? */
	if ((dev->port->model->hw_modes & PARPORT_MODE_ECP) && !dev->port->gone) {
		int delay;

		dev->best_mode = sim_port_negotiate(dev->port, IEEE1284_MODE_ECP, &delay) == 0 ? IEEE1284_MODE_ECP
											  : IEEE1284_MODE_COMPAT;
	} else {
		dev->best_mode = IEEE1284_MODE_COMPAT;
	}
	negotiate(dev, IEEE1284_MODE_COMPAT);
	release(dev, "");
	dev->current_mode = IEEE1284_MODE_COMPAT;
	return true;
}

/* ---- write ---- */

/* lp_check_status(): 0, -ENOSPC or -EIO. */
static int check_status(struct lp_dev *dev)
{
	uint8_t st = status(dev);
	unsigned last = dev->last_error;
	int err = 0;

	if ((st & ST_ERROR) && !(dev->flags & LP_CAREFUL)) {
		last = 0;
	} else if (st & ST_PAPEROUT) {
		if (last != ST_PAPEROUT)
			sim_event(dev->port->name, "%s out of paper", dev->name);
		last = ST_PAPEROUT;
		err = -ENOSPC;
	} else if (!(st & ST_SELECT)) {
		if (last != ST_SELECT)
			sim_event(dev->port->name, "%s off-line", dev->name);
		last = ST_SELECT;
		err = -EIO;
	} else if (!(st & ST_ERROR)) {
		if (last != ST_ERROR)
			sim_event(dev->port->name, "%s on fire", dev->name);
		last = ST_ERROR;
		err = -EIO;
	} else {
		last = 0;
	}
	dev->last_error = last;
	return err;
}

/* Can the compatibility (or ECP FIFO) writer move a byte? -1: stop now. */
static int send_ready(const struct lp_dev *dev, uint8_t st)
{
	if (dev->current_mode != IEEE1284_MODE_COMPAT)
		return (st & ST_BUSY) != 0;
	if ((st & (ST_PAPEROUT | ST_SELECT | ST_ERROR)) != (ST_SELECT | ST_ERROR))
		return -1;
	return (st & ST_BUSY) != 0;
}

static void deliver(struct lp_dev *dev, const guint8 *buf, size_t n)
{
	struct sim_device *d = sim_port_target(dev->port);

	if (!d || !sim_device_alive(d)) {
		sim_event(dev->port->name, "lost %zu bytes: nothing listening", n);
		return;
	}
	sim_device_forward(d, buf, n, false);
	dev->port->forward_bytes += n;
}

/* End of lp_write(): let go of the port if someone asked for it. */
static void write_finish(struct lp_file *f, long result, int err)
{
	struct lp_dev *dev = f->dev;

	if (dev->claimed && preempt_requested(dev)) {
		negotiate(dev, IEEE1284_MODE_COMPAT);
		dev->current_mode = IEEE1284_MODE_COMPAT;
		release(dev, " (preempted)");
	}
	op_finish(f, result, err);
}

/* The next chunk of the client's data into the kernel buffer. */
static bool copy_chunk(struct lp_file *f)
{
	struct lp_op *op = f->op;

	op->copy_size = MIN(op->len, (size_t)LP_BUFFER_SIZE);
	op->copied = 0;
	op->ready_checked = false;
	op->short_chunk = false;
	if (!sim_conn_read_mem(f->conn, op->addr + (unsigned long)op->retv, op->buf, op->copy_size))
		return false;
	return true;
}

/* Returns when to look again (G_MAXINT64: when kicked), 0 when finished. */
static gint64 write_progress(struct lp_file *f, gint64 now)
{
	struct lp_op *op = f->op;
	struct lp_dev *dev = f->dev;

	for (;;) {
		int ready, err;
		guint64 rate, chunk;
		gint64 next;

		if (op->sleep_until) {
			/* lp_error(): asleep with the port released (a polling port). */
			if (now < op->sleep_until)
				return op->sleep_until;
			if (!claim(dev, f->pid))
				return G_MAXINT64;
			op->sleep_until = 0;
			if (op->nonblock) {
				/* O_NONBLOCK without LP_ABORT: one sleep, then the error. */
				write_finish(f, op->retv ? op->retv : -1, op->retv ? 0 : -op->sleep_err);
				return 0;
			}
		}
		if (!claim(dev, f->pid))
			return G_MAXINT64;
		if (!op->negotiated) {
			dev->current_mode = negotiate_best(dev);
			op->negotiated = true;
		}
		if (op->retry_at) {
			if (now < op->retry_at && !yield_due(dev, now))
				return op->retry_at;
			op->retry_at = 0;
		}

		if (op->short_chunk) {
			/* Incomplete write: back to compatibility mode, check the printer. */
			op->short_chunk = false;
			negotiate(dev, IEEE1284_MODE_COMPAT);
			dev->current_mode = IEEE1284_MODE_COMPAT;
			op->ready_checked = false;
			err = check_status(dev);
			if (err && !(dev->flags & LP_ABORT)) {
				op->sleep_err = err;
				op->sleep_until = now + LP_POLLED_SLEEP_US;
				release(dev, " (error sleep)");
				continue;
			}
			if (err) {
				write_finish(f, op->retv ? op->retv : -1, op->retv ? 0 : -err);
				return 0;
			}
			if (op->nonblock) {
				write_finish(f, op->retv ? op->retv : -1, op->retv ? 0 : EAGAIN);
				return 0;
			}
			/* Blocking: yield, go back to the best mode, try again. */
			if (yield_due(dev, now)) {
				release(dev, " (yield)");
				continue;
			}
			dev->current_mode = negotiate_best(dev);
			op->ready_checked = true;
			op->last_progress = op->stretch_start = now;
			op->stretch_bytes = 0;
			if (op->copied == 0) {
				/* Nothing moved and nothing is wrong (Busy, or off-line
				 * without LPCAREFUL): the kernel spins; we look again
				 * when the printer changes, or after a timeslice. */
				op->retry_at = now + TIMESLICE_US;
			}
			continue;
		}

		if (!op->ready_checked) {
			/* lp_wait_ready() before the data, in compatibility mode only. */
			if (dev->current_mode == IEEE1284_MODE_COMPAT && (err = check_status(dev))) {
				if (dev->flags & LP_ABORT) {
					write_finish(f, op->retv ? op->retv : -1, op->retv ? 0 : -err);
					return 0;
				}
				op->sleep_err = err;
				op->sleep_until = now + LP_POLLED_SLEEP_US;
				release(dev, " (error sleep)");
				continue;
			}
			op->ready_checked = true;
			op->last_progress = op->stretch_start = now;
			op->stretch_bytes = 0;
		}

		if (op->copied == op->copy_size) {
			op->len -= op->copy_size;
			if (!op->len) {
				write_finish(f, op->retv, 0);
				return 0;
			}
			if (yield_due(dev, now)) {
				release(dev, " (yield)");
				if (!copy_chunk(f))
					return 0;
				op->ready_checked = true;
				continue;
			}
			if (!copy_chunk(f))
				return 0;  /* the client is gone */
			op->ready_checked = true;
			continue;
		}

		if (dev->port->gone) {
			write_finish(f, op->retv, 0);
			return 0;
		}
		ready = send_ready(dev, status(dev));
		if (ready < 0) {
			op->short_chunk = true;
			continue;
		}
		if (!ready) {
			gint64 timeout = op->nonblock ? JIFFY_US : dev->timeout_us;

			if (now - op->last_progress >= timeout) {
				op->short_chunk = true;
				continue;
			}
			if (yield_due(dev, now)) {
				release(dev, " (yield)");
				op->last_progress = now;
				continue;
			}
			/* The writer polls Busy: a claim that comes meanwhile gets
			 * the port once the timeslice is over. */
			return MIN(op->last_progress + timeout, dev->claim_time + TIMESLICE_US > now
									? dev->claim_time + TIMESLICE_US
									: now + TIMESLICE_US);
		}

		chunk = op->copy_size - op->copied;
		{
			struct sim_device *d = sim_port_target(dev->port);

			rate = d ? sim_device_model(d)->rate[dev->current_mode == IEEE1284_MODE_COMPAT ? SIM_RATE_COMPAT
												 : SIM_RATE_ECP]
				 : 0;
			if (d)
				chunk = MIN(chunk, sim_device_bytes_before_fault(d));
		}
		if (!sim_paced(op->stretch_start, op->stretch_bytes, rate, now, &chunk, &next))
			return next;
		deliver(dev, op->buf + op->copied, chunk);
		op->copied += chunk;
		op->retv += (long)chunk;
		op->stretch_bytes += chunk;
		op->last_progress = now;
	}
}

static void lp_write(struct lp_file *f, unsigned long addr, size_t count)
{
	struct lp_op *op;

	if (count == 0)
		return complete(f, 0, 0);
	op = g_new0(struct lp_op, 1);
	op->kind = LP_OP_WRITE;
	op->addr = addr;
	op->len = count;
	op->fd_nonblock = client_nonblock(f);
	op->nonblock = op->fd_nonblock || (f->dev->flags & LP_ABORT);
	f->op = op;
	if (!copy_chunk(f)) {
		op_finish(f, -1, EFAULT);
		return;
	}
	evaluate_all();
}

/* ---- read: the device's reverse data in nibble mode ---- */

static gint64 read_progress(struct lp_file *f, gint64 now)
{
	struct lp_op *op = f->op;
	struct lp_dev *dev = f->dev;
	struct sim_device *d;
	int delay;

	if (op->sleep_until) {
		if (now < op->sleep_until)
			return op->sleep_until;
		op->sleep_until = 0;
	}
	if (!claim(dev, f->pid))
		return G_MAXINT64;
	negotiate(dev, IEEE1284_MODE_COMPAT);
	if (dev->port->gone || sim_port_negotiate(dev->port, IEEE1284_MODE_NIBBLE, &delay) != 0) {
		release(dev, "");
		op_finish(f, -1, EIO);
		return 0;
	}
	d = sim_port_target(dev->port);
	if (d && sim_device_alive(d) && sim_device_has_reverse(d)) {
		guint8 buf[LP_BUFFER_SIZE];
		size_t n = sim_device_reverse_read(d, buf, op->len);

		negotiate(dev, IEEE1284_MODE_COMPAT);
		release(dev, "");
		if (!sim_conn_write_mem(f->conn, op->addr, buf, n))
			return 0;
		op_finish(f, (long)n, 0);
		return 0;
	}
	if (op->nonblock) {
		negotiate(dev, IEEE1284_MODE_COMPAT);
		release(dev, "");
		op_finish(f, -1, EAGAIN);
		return 0;
	}
	/* No data: a polling port sleeps 10 s with the port released, then
	 * negotiates again. */
	negotiate(dev, IEEE1284_MODE_COMPAT);
	release(dev, " (read sleep)");
	op->sleep_until = now + LP_POLLED_SLEEP_US;
	return op->sleep_until;
}

static void lp_read(struct lp_file *f, unsigned long addr, size_t count)
{
	struct lp_op *op = g_new0(struct lp_op, 1);

	op->kind = LP_OP_READ;
	op->addr = addr;
	op->len = MIN(count, (size_t)LP_BUFFER_SIZE);
	op->nonblock = client_nonblock(f) || (f->dev->flags & LP_ABORT);
	f->op = op;
	evaluate_all();
}

/* ---- ioctls that need the port ---- */

static gint64 port_ioctl_progress(struct lp_file *f)
{
	struct lp_dev *dev = f->dev;
	struct lp_op *op = f->op;
	int v;

	if (!claim(dev, f->pid))
		return G_MAXINT64;
	if (op->kind == LP_OP_RESET && !dev->port->gone) {
		/* nInit low with SelectIn asserted, then both back. */
		sim_port_write_control(dev->port, 0x08);
		sim_port_write_control(dev->port, 0x0c);
	}
	v = status(dev);
	release(dev, "");
	if (op->kind == LP_OP_RESET) {
		op_finish(f, 0, 0);
		return 0;
	}
	if (!sim_conn_write_mem(f->conn, op->addr, &v, sizeof v))
		return 0;
	op_finish(f, 0, 0);
	return 0;
}

static void int_out(struct lp_file *f, unsigned long arg, int v)
{
	if (sim_conn_write_mem(f->conn, arg, &v, sizeof v))
		complete(f, 0, 0);
}

static void set_timeout(struct lp_file *f, gint64 sec, gint64 usec)
{
	gint64 jiffies;

	if (sec < 0 || usec < 0)
		return complete(f, -1, EINVAL);
	jiffies = (usec + JIFFY_US - 1) / JIFFY_US + sec * HZ;
	if (jiffies <= 0)
		return complete(f, -1, EINVAL);
	f->dev->timeout_us = jiffies * JIFFY_US;
	complete(f, 0, 0);
}

static void lp_ioctl(struct lp_file *f, unsigned long req, unsigned long arg)
{
	struct lp_dev *dev = f->dev;

	if (req == FIONBIO || req == FIOCLEX || req == FIONCLEX || req == FIOASYNC)
		return complete(f, SIM_WIRE_UNHANDLED, 0);  /* the VFS's, not the driver's */
	if (dev->port->gone)
		return complete(f, -1, ENODEV);
	/* copy_to_user() on NULL; other bad pointers would make umockdev's
	 * preload abort the client instead. */
	if (!arg && (req == LPGETIRQ || req == LPGETFLAGS || req == LPGETSTATUS || req == LPSETTIMEOUT_OLD ||
		     req == LPSETTIMEOUT_NEW))
		return complete(f, -1, EFAULT);
	switch (req) {
	case LPTIME:
		if (arg > UINT_MAX / HZ)
			return complete(f, -1, EINVAL);
		dev->time = (int)(arg * HZ / 100);
		return complete(f, 0, 0);
	case LPCHAR:
		dev->chars = (int)arg;
		return complete(f, 0, 0);
	case LPWAIT:
		dev->wait = (int)arg;
		return complete(f, 0, 0);
	case LPABORT:
	case LPABORTOPEN:
	case LPCAREFUL: {
		int bit = req == LPABORT ? LP_ABORT : req == LPABORTOPEN ? LP_ABORTOPEN : LP_CAREFUL;

		if (arg)
			dev->flags |= bit;
		else
			dev->flags &= ~bit;
		return complete(f, 0, 0);
	}
	case LPSETIRQ:
		return complete(f, -1, EINVAL);
	case LPGETIRQ:
		return int_out(f, arg, -1);  /* the emulated ports poll */
	case LPGETFLAGS:
		return int_out(f, arg, dev->flags | (dev->owner ? LP_BUSY : 0));
	case LPGETSTATUS:
	case LPRESET:
		f->op = g_new0(struct lp_op, 1);
		f->op->kind = req == LPGETSTATUS ? LP_OP_STATUS : LP_OP_RESET;
		f->op->addr = arg;
		evaluate_all();
		return;
	case LPSETTIMEOUT_OLD:
	case LPSETTIMEOUT_NEW: {
		int64_t tv[2];

		if (!sim_conn_read_mem(f->conn, arg, tv, sizeof tv))
			return;
		return set_timeout(f, tv[0], tv[1]);
	}
	}
	/* LPGETSTATS is not compiled into Debian's kernel; LPIOC_GET_DEVICE_ID
	 * and the terminal ioctls are not lp's. */
	complete(f, -1, EINVAL);
}

/* ---- scheduling ---- */

static gint64 op_progress(struct lp_file *f, gint64 now)
{
	if (!f->open_done) {
		if (!open_work(f))
			return G_MAXINT64;
		if (f->open_err) {
			op_finish(f, -1, f->open_err);
			return 0;
		}
	}
	switch (f->op->kind) {
	case LP_OP_WRITE:
		return write_progress(f, now);
	case LP_OP_READ:
		return read_progress(f, now);
	case LP_OP_STATUS:
	case LP_OP_RESET:
		return port_ioctl_progress(f);
	}
	return 0;
}

static void evaluate_all(void)
{
	gint64 now = g_get_monotonic_time(), next = G_MAXINT64;
	GList *snapshot = g_list_reverse(g_list_copy(files));
	bool pending = false;

	for (GList *l = snapshot; l; l = l->next) {
		struct lp_file *f = l->data;
		gint64 t;

		if (!g_list_find(files, f) || !f->op)
			continue;
		t = op_progress(f, now);
		if (t)
			next = MIN(next, t);
		if (g_list_find(files, f) && f->op)
			pending = true;
	}
	g_list_free(snapshot);
	sim_sched_rearm(&sched, next, pending);
}

void sim_lp_kick(void *unused)
{
	sim_sched_kick(&sched);
}

/* ---- wire callbacks ---- */

static void file_opened(struct sim_conn *c, void *data)
{
	struct sim_port *p = data;
	struct lp_file *f = g_new0(struct lp_file, 1);

	f->conn = c;
	f->pid = sim_conn_pid(c);
	f->dev = p && p->index < LP_MINORS ? devs[p->index] : NULL;
	files = g_list_prepend(files, f);
	sim_conn_set_data(c, f);
	if (!f->dev)
		return;
	/* The owner's close may still be on its way to the main loop. */
	if (f->dev->owner && sim_conn_hung_up(f->dev->owner->conn))
		close_file(f->dev->owner);
	if (f->dev->owner) {
		f->busy = true;
		return;
	}
	f->dev->owner = f;
	f->fd_nonblock_at_open = client_nonblock(f);
	/* lp_open() claims the port; done now when it is free, else at the
	 * first call (open() cannot wait here). */
	if (!f->dev->port->holder && g_queue_is_empty(&f->dev->port->waiters))
		open_work(f);
}

static void file_request(struct sim_conn *c, unsigned long cmd, unsigned long a1, unsigned long a2)
{
	struct lp_file *f = sim_conn_get_data(c);

	if (f->op)
		return complete(f, -1, EBUSY);  /* umockdev serialises calls per fd */
	if (!f->dev)
		return complete(f, -1, cmd == SIM_WIRE_IOCTL ? ENODEV : ENXIO);
	if (f->busy)
		return complete(f, -1, EBUSY);
	if (f->open_done && f->open_err)
		return complete(f, -1, f->open_err);
	if (stopping)
		return complete(f, -1, ENODEV);
	switch (cmd) {
	case SIM_WIRE_IOCTL:
		lp_ioctl(f, a1, a2);
		break;
	case SIM_WIRE_WRITE:
		lp_write(f, a1, a2);
		break;
	case SIM_WIRE_READ:
		lp_read(f, a1, a2);
		break;
	default:
		complete(f, -1, EINVAL);
	}
}

/* lp_release(): back to compatibility mode, let go of the port. */
static void close_file(struct lp_file *f)
{
	struct lp_dev *dev = f->dev;

	if (!dev)
		return;
	if (f->op && !dev->claimed)
		g_queue_remove(&dev->port->waiters, dev);
	g_clear_pointer(&f->op, g_free);
	if (dev->owner == f) {
		if (dev->claimed) {
			negotiate(dev, IEEE1284_MODE_COMPAT);
			dev->current_mode = IEEE1284_MODE_COMPAT;
			release(dev, " (closed)");
		}
		dev->owner = NULL;
	}
	f->dev = NULL;
	sim_ppdev_kick(NULL);
	sim_lp_kick(NULL);
}

static void file_gone(struct sim_conn *c)
{
	struct lp_file *f = sim_conn_get_data(c);

	files = g_list_remove(files, f);
	close_file(f);
	g_free(f);
}

const struct sim_wire_ops sim_lp_ops = {
	.opened = file_opened,
	.request = file_request,
	.gone = file_gone,
};

/* ---- life cycle ---- */

void sim_lp_init(struct sim_port **ports, unsigned n_ports, void (*active)(struct sim_port *p, const char *holder))
{
	show_active = active;
	for (unsigned i = 0; i < n_ports && i < LP_MINORS; i++) {
		struct lp_dev *dev;

		if (!ports[i]->model->lp_driver)
			continue;
		dev = g_new0(struct lp_dev, 1);
		dev->port = ports[i];
		dev->minor = ports[i]->index;
		g_snprintf(dev->name, sizeof dev->name, "lp%u", dev->minor);
		dev->flags = LP_EXIST;
		dev->chars = LP_INIT_CHAR;
		dev->time = LP_INIT_TIME;
		dev->wait = LP_INIT_WAIT;
		dev->timeout_us = LP_DEFAULT_TIMEOUT_US;
		dev->best_mode = dev->current_mode = IEEE1284_MODE_COMPAT;
		devs[dev->minor] = dev;
	}
}

unsigned sim_lp_open_files(void)
{
	return g_list_length(files);
}

void sim_lp_stop(void)
{
	stopping = true;
	for (GList *l = files; l; l = l->next) {
		struct lp_file *f = l->data;

		if (!f->op)
			continue;
		if (!f->dev->claimed)
			g_queue_remove(&f->dev->port->waiters, f->dev);
		if (f->op->kind == LP_OP_WRITE && f->op->retv > 0)
			op_finish(f, f->op->retv, 0);
		else
			op_finish(f, -1, ENODEV);
	}
}

void sim_lp_shutdown(void)
{
	sim_sched_shutdown(&sched);
	for (unsigned i = 0; i < LP_MINORS; i++)
		g_clear_pointer(&devs[i], g_free);
}
