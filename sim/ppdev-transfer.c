/*
 * ppdev-transfer.c - read(), write() and PPNEGOT on /dev/parportN: data
 * moved in each IEEE 1284 mode as parport_pc and parport_ieee1284 move it
 *
 * A transfer runs at the rate the device's model gives for the mode, stalls
 * while the printer is not ready (a write ends at the file's timeout, as the
 * kernel's does), and is a pending call of its file (ppdev-client.c) until
 * done. Only the device that answers on the port takes or gives the bytes.
 */
#include "config.h"

#include "ppdev-private.h"

#include "record.h"

#include <errno.h>
#include <linux/parport.h>
#include <stdint.h>

#define XFER_CHUNK 65536            /* client memory fetched per step */

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
gint64 pp_read_progress(struct pp_file *f, gint64 now)
{
	struct op *op = f->op;
	struct sim_port *p = f->port;
	struct sim_device *d = sim_port_target(p);

	if (op->buf) {
		/* Bytes on their way over a slow link. */
		if (now < op->not_before)
			return op->not_before;
		if (pp_put_bytes(f, op->addr, op->buf, op->done))
			pp_op_finish(f, (long)op->done, 0);
		return 0;
	}
	if (p->gone) {
		if (op->nonblock) {
			pp_op_finish(f, -1, EAGAIN);
			return 0;
		}
		return G_MAXINT64;  /* dead port: the kernel reads 0 bytes forever */
	}
	sim_port_kernel_transfer(p);
	if (device_can_send(p, d) && sim_device_has_reverse(d)) {
		guint64 rate = device_rate(d, op->rate_family);

		op->buf = g_malloc(op->len);
		op->done = sim_device_reverse_read(d, op->buf, op->len);
		if ((p->ieee_mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR)) <= IEEE1284_MODE_BYTE)
			p->ieee_phase = sim_device_has_reverse(d) ? SIM_PH_HBUSY_DAVAIL : SIM_PH_REV_IDLE;
		op->not_before = MAX(op->not_before, now + (rate ? (gint64)(op->done * G_USEC_PER_SEC / rate) : 0));
		return pp_read_progress(f, now);
	}
	if (op->nonblock) {
		pp_op_finish(f, -1, EAGAIN);
		return 0;
	}
	return G_MAXINT64;  /* sleep until data, a signal or the client goes */
}

void pp_read(struct pp_file *f, unsigned long addr, size_t count)
{
	struct sim_port *p = f->port;
	struct op *op;
	int mode, delay = 0;

	if (!p)
		return pp_complete(f, -1, EINVAL);
	if (!f->claimed)
		return pp_complete(f, -1, EINVAL);
	if (count == 0)
		return pp_complete(f, 0, 0);

	op = g_new0(struct op, 1);
	op->kind = OP_READ;
	op->addr = addr;
	op->len = MIN(count, PP_BUFFER_SIZE);
	op->nonblock = pp_client_nonblock(f);

	mode = p->ieee_mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR);
	if (p->gone) {
		/* falls through to the dead port's zero-byte reads */
	} else if (mode == IEEE1284_MODE_COMPAT) {
		/* The kernel negotiates a reverse mode by itself. */
		int d1 = 0, d2 = 0;

		if ((p->modes & PARPORT_MODE_TRISTATE) &&
		    sim_port_negotiate(p, IEEE1284_MODE_BYTE, &d1) == 0) {
			mode = IEEE1284_MODE_BYTE;
		} else if (sim_port_negotiate(p, IEEE1284_MODE_NIBBLE, &d2) == 0) {
			mode = IEEE1284_MODE_NIBBLE;
		} else {
			pp_op_free(op);
			return pp_complete(f, -1, EIO);
		}
		delay = d1 + d2;
	} else if (mode == IEEE1284_MODE_ECP || mode == IEEE1284_MODE_ECPRLE || mode == IEEE1284_MODE_ECPSWE) {
		struct sim_device *d = sim_port_target(p);

		if (p->ieee_phase != SIM_PH_REV_IDLE || !d || !sim_device_ecp_reverse(d))
			sim_port_ecp_reverse(p);
	} else if (mode != IEEE1284_MODE_NIBBLE && mode != IEEE1284_MODE_BYTE && mode != IEEE1284_MODE_EPP &&
		   mode != IEEE1284_MODE_EPPSWE && mode != IEEE1284_MODE_EPPSL) {
		pp_op_free(op);
		return pp_complete(f, -1, ENOSYS);
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
	pp_evaluate_all();
}

/* ---- write ---- */

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

gint64 pp_write_progress(struct pp_file *f, gint64 now)
{
	struct op *op = f->op;
	struct sim_port *p = f->port;

	for (;;) {
		struct sim_device *d;
		guint64 rate, chunk, limit;
		gint64 next;
		int ready;

		if (op->done == op->len || p->gone) {
			pp_op_finish(f, p->gone ? 0 : (long)op->done, 0);
			return 0;
		}
		ready = write_ready(op, sim_port_read_status(p));
		if (ready < 0) {
			pp_op_finish(f, (long)op->done, 0);
			return 0;
		}
		if (!ready) {
			op->stalled = true;
			if (now - op->last_progress >= op->timeout_us) {
				pp_op_finish(f, (long)op->done, 0);
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
		if (!sim_paced(op->stretch_start, op->stretch_bytes, rate, now, &chunk, &next))
			return next;
		limit = d ? sim_device_bytes_before_fault(d) : G_MAXUINT64;
		chunk = MIN(chunk, limit);
		chunk = MIN(chunk, pp_bytes_before_gone(p));
		chunk = MIN(chunk, XFER_CHUNK);

		if (!op->buf)
			op->buf = g_malloc(XFER_CHUNK);
		if (!pp_get_bytes(f, op->addr + op->done, op->buf, (size_t)chunk))
			return 0;  /* the client is gone; its file is dropped */
		write_deliver(f, op->buf, (size_t)chunk);
		p->forward_bytes += chunk;
		pp_check_gone_bytes(p);
		op->done += (size_t)chunk;
		op->stretch_bytes += chunk;
		op->last_progress = now;
	}
}

void pp_write(struct pp_file *f, unsigned long addr, size_t count)
{
	struct sim_port *p = f->port;
	struct op *op;
	int mode, delay = 0;

	if (!p || !f->claimed)
		return pp_complete(f, -1, EINVAL);
	if (p->gone)
		return pp_complete(f, 0, 0);  /* the unregistered port's dead_ops write nothing */
	sim_port_kernel_transfer(p);

	op = g_new0(struct op, 1);
	op->kind = OP_WRITE;
	op->addr = addr;
	op->nonblock = pp_client_nonblock(f);
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
		/*
		 * parport_pc writes through its FIFO when it registered the port
		 * with COMPAT (a FIFO and an interrupt line) and may sleep; else
		 * parport_ieee1284_write_compat() polls the status lines and gives
		 * up at once on a printer that is out of paper, offline or faulty.
		 */
		op->path = (p->modes & PARPORT_MODE_COMPAT) && !op->nonblock ? PATH_COMPAT_FIFO : PATH_COMPAT_SW;
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
		pp_op_free(op);
		return pp_complete(f, -1, ENOSYS);
	}
	op->not_before = g_get_monotonic_time() + (gint64)delay * 1000;
	op->last_progress = op->stretch_start = op->not_before;
	f->op = op;
	pp_evaluate_all();
}

/* ---- negotiation ---- */

void pp_negotiate(struct pp_file *f, int mode)
{
	int delay = 0, r;

	if (f->port->gone)
		return pp_complete(f, -1, EIO);
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
	pp_evaluate_all();
}

