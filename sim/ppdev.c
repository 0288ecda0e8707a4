/*
 * ppdev.c - /dev/parportN as Linux's ppdev driver answers it: the calls a
 * client makes and the events that concern a whole port
 *
 * Every request that arrives on a node's socket is taken here and dispatched:
 * ioctls to the file's state (ppdev-client.c) or the port's lines (port.c),
 * read() and write() to ppdev-transfer.c. The port-wide events live here too:
 * port-gone faults, the SIGUSR1/SIGUSR2 faults, stopping, and the hooks that
 * tell the test bed about them.
 */
#include "config.h"

#include "ppdev-private.h"

#include "record.h"

#include <errno.h>
#include <linux/parport.h>
#include <linux/ppdev.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define PPGETTIME32 _IOR(PP_IOCTL, 0x95, int32_t[2])
#define PPSETTIME32 _IOW(PP_IOCTL, 0x96, int32_t[2])
#define PPGETTIME64 _IOR(PP_IOCTL, 0x95, int64_t[2])
#define PPSETTIME64 _IOW(PP_IOCTL, 0x96, int64_t[2])

static struct sim_port **ports;
static unsigned n_ports;
static const struct sim_ppdev_hooks *hooks;
static void *hooks_ctx;
static bool stopping;           /* every call now fails as on a port that went away */

void pp_show_active(struct sim_port *p, bool claimed)
{
	if (hooks && hooks->active)
		hooks->active(hooks_ctx, p, claimed);
}

/* ---- ioctl ---- */

static void ioctl_int_out(struct pp_file *f, unsigned long arg, int v)
{
	if (pp_put_bytes(f, arg, &v, sizeof v))
		pp_complete(f, 0, 0);
}

static void ioctl_u8_out(struct pp_file *f, unsigned long arg, uint8_t v)
{
	if (pp_put_bytes(f, arg, &v, sizeof v))
		pp_complete(f, 0, 0);
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
		return pp_complete(f, -1, EINVAL);
	jiffies = (usec + JIFFY_US - 1) / JIFFY_US + sec * HZ;
	if (jiffies <= 0)
		return pp_complete(f, -1, EINVAL);
	f->timeout_us = jiffies * JIFFY_US;
	pp_complete(f, 0, 0);
}

static void do_ioctl(struct pp_file *f, unsigned long req, unsigned long arg)
{
	struct sim_port *p = f->port;
	int iv;
	uint8_t u8[2];

	if (generic_vfs_ioctl(req))
		return pp_complete(f, SIM_WIRE_UNHANDLED, 0);
	/* copy_to_user()/copy_from_user() on NULL; other bad pointers would make
	 * umockdev's preload abort the client instead. */
	if (!arg && _IOC_SIZE(req) && _IOC_TYPE(req) == PP_IOCTL)
		return pp_complete(f, -1, EFAULT);

	/* The calls that do not need the port claimed. */
	switch (req) {
	case PPCLAIM:
		return pp_claim(f);
	case PPEXCL:
		if (f->registered)
			return pp_complete(f, f->excl ? 0 : -1, f->excl ? 0 : EINVAL);
		f->excl = true;
		return pp_complete(f, 0, 0);
	case PPSETMODE:
		if (!pp_get_bytes(f, arg, &iv, sizeof iv))
			return;
		pp_set_mode(f, iv);
		return pp_complete(f, 0, 0);
	case PPGETMODE:
		return ioctl_int_out(f, arg, pp_mode(f));
	case PPSETPHASE:
		if (!pp_get_bytes(f, arg, &iv, sizeof iv))
			return;
		pp_set_phase(f, iv);
		return pp_complete(f, 0, 0);
	case PPGETPHASE:
		return ioctl_int_out(f, arg, pp_phase(f));
	case PPGETMODES:
		if (!p || p->gone)
			return pp_complete(f, -1, ENODEV);
		return ioctl_int_out(f, arg, (int)p->modes);
	case PPSETFLAGS:
		if (!pp_get_bytes(f, arg, &iv, sizeof iv))
			return;
		f->uflags = iv & PP_FLAGMASK;
		return pp_complete(f, 0, 0);
	case PPGETFLAGS:
		return ioctl_int_out(f, arg, f->uflags);
	}

	if (!f->claimed)
		return pp_complete(f, -1, EINVAL);

	switch (req) {
	case PPRSTATUS:
		return ioctl_u8_out(f, arg, p->gone ? 0 : sim_port_read_status(p));
	case PPRDATA:
		return ioctl_u8_out(f, arg, p->gone ? 0 : sim_port_read_data(p));
	case PPRCONTROL:
		return ioctl_u8_out(f, arg, p->gone ? 0 : sim_port_read_control(p));
	case PPYIELD:
		return pp_yield(f);
	case PPRELEASE:
		return pp_release(f);
	case PPWCONTROL:
		if (!pp_get_bytes(f, arg, u8, 1))
			return;
		if (!p->gone)
			sim_port_write_control(p, u8[0]);
		sim_ppdev_kick(NULL);
		return pp_complete(f, 0, 0);
	case PPWDATA:
		if (!pp_get_bytes(f, arg, u8, 1))
			return;
		if (!p->gone)
			sim_port_write_data(p, u8[0]);
		return pp_complete(f, 0, 0);
	case PPFCONTROL:
		if (!pp_get_bytes(f, arg, u8, 2))
			return;
		if (!p->gone)
			sim_port_frob_control(p, u8[0], u8[1]);
		sim_ppdev_kick(NULL);
		return pp_complete(f, 0, 0);
	case PPDATADIR:
		if (!pp_get_bytes(f, arg, &iv, sizeof iv))
			return;
		if (!p->gone)
			sim_port_data_dir(p, iv != 0);
		return pp_complete(f, 0, 0);
	case PPNEGOT:
		if (!pp_get_bytes(f, arg, &iv, sizeof iv))
			return;
		return pp_negotiate(f, iv);
	case PPWCTLONIRQ:
		if (!pp_get_bytes(f, arg, u8, 1))
			return;
		return pp_complete(f, 0, 0);
	case PPCLRIRQ:
		/* No interrupt is ever raised, even on a port with a line: the count stays 0. */
		return ioctl_int_out(f, arg, 0);
	case PPSETTIME64: {
		int64_t tv[2];

		if (!pp_get_bytes(f, arg, tv, sizeof tv))
			return;
		return set_timeout(f, tv[0], tv[1]);
	}
	case PPSETTIME32: {
		int32_t tv[2];

		if (!pp_get_bytes(f, arg, tv, sizeof tv))
			return;
		return set_timeout(f, tv[0], tv[1]);
	}
	case PPGETTIME64: {
		int64_t tv[2] = { f->timeout_us / G_USEC_PER_SEC, f->timeout_us % G_USEC_PER_SEC };

		if (pp_put_bytes(f, arg, tv, sizeof tv))
			pp_complete(f, 0, 0);
		return;
	}
	case PPGETTIME32: {
		int32_t tv[2] = { (int32_t)(f->timeout_us / G_USEC_PER_SEC), (int32_t)(f->timeout_us % G_USEC_PER_SEC) };

		if (pp_put_bytes(f, arg, tv, sizeof tv))
			pp_complete(f, 0, 0);
		return;
	}
	}
	pp_complete(f, -1, EINVAL);
}

/* ---- wire callbacks ---- */

static void file_opened(struct sim_conn *c, void *data)
{
	sim_conn_set_data(c, pp_file_open(c, data));
}

static void file_request(struct sim_conn *c, unsigned long cmd, unsigned long a1, unsigned long a2)
{
	struct pp_file *f = sim_conn_get_data(c);

	if (f->op) {
		/* umockdev serialises calls per fd; a second one is a protocol error. */
		pp_complete(f, -1, EBUSY);
		return;
	}
	if (stopping) {
		pp_complete(f, cmd == SIM_WIRE_WRITE ? 0 : -1, cmd == SIM_WIRE_WRITE ? 0 : ENODEV);
		return;
	}
	switch (cmd) {
	case SIM_WIRE_IOCTL:
		if (!f->port && a1 != PPEXCL && a1 != PPCLAIM && !generic_vfs_ioctl(a1))
			return pp_complete(f, -1, a1 == PPGETMODES ? ENODEV : EINVAL);
		do_ioctl(f, a1, a2);
		break;
	case SIM_WIRE_READ:
	case SIM_WIRE_WRITE:
		if (!a1 && a2 && f->claimed)
			return pp_complete(f, -1, EFAULT);
		if (cmd == SIM_WIRE_READ)
			pp_read(f, a1, a2);
		else
			pp_write(f, a1, a2);
		break;
	}
}

static void file_gone(struct sim_conn *c)
{
	pp_file_close(sim_conn_get_data(c));
}

unsigned sim_ppdev_open_files(void)
{
	return g_list_length(pp_files);
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
	if (hooks && hooks->port_gone)
		hooks->port_gone(hooks_ctx, p);
	/* Logged once /proc no longer has it: a client that reads the log sees it gone. */
	sim_event(p->name, "fault %s begin port-gone", g->m->name);
	/* Sleepers wake to the dead port: claims fail, reads and writes see nothing. */
	for (GList *l = pp_files; l; l = l->next) {
		struct pp_file *f = l->data;

		if (f->port == p && f->op && f->op->kind == OP_CLAIM) {
			g_queue_remove(&p->waiters, f);
			pp_op_finish(f, -1, ENXIO);
		}
	}
	sim_ppdev_kick(NULL);
}

guint64 pp_bytes_before_gone(const struct sim_port *p)
{
	guint64 left = G_MAXUINT64;

	for (guint i = 0; gone_faults && i < gone_faults->len; i++) {
		const struct gone_fault *g = g_ptr_array_index(gone_faults, i);

		if (g->port == p && !g->fired && g->m->after_bytes && g->m->after_bytes > p->forward_bytes)
			left = MIN(left, g->m->after_bytes - p->forward_bytes);
	}
	return left;
}

void pp_check_gone_bytes(struct sim_port *p)
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

/* A port-absent fault ends: the port appears, as a port the kernel registers. */
static void port_appears(struct gone_fault *g)
{
	struct sim_port *p = g->port;

	if (g->fired)
		return;
	g->fired = true;
	p->gone = false;
	if (hooks && hooks->port_appeared)
		hooks->port_appeared(hooks_ctx, p);
	/* Logged once /proc has it: a client that reads the log finds it. */
	sim_event(p->name, "fault %s end", g->m->name);
	sim_ppdev_kick(NULL);
}

static gboolean appear_timer(gpointer data)
{
	port_appears(data);
	return G_SOURCE_REMOVE;
}

void sim_ppdev_init(struct sim_port **p, unsigned n, const struct sim_ppdev_hooks *h, void *ctx)
{
	ports = p;
	n_ports = n;
	hooks = h;
	hooks_ctx = ctx;
	gone_faults = g_ptr_array_new_with_free_func(g_free);
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < p[i]->model->faults->len; k++) {
			const struct sim_fault_model *m = g_ptr_array_index(p[i]->model->faults, k);
			struct gone_fault *g;

			if (m->kind != SIM_FAULT_PORT_GONE && m->kind != SIM_FAULT_PORT_ABSENT)
				continue;
			g = g_new0(struct gone_fault, 1);
			g->port = p[i];
			g->m = m;
			g_ptr_array_add(gone_faults, g);
			if (m->kind == SIM_FAULT_PORT_ABSENT) {
				sim_event(p[i]->name, "fault %s begin port-absent", m->name);
				if (m->duration_ms >= 0)
					g_timeout_add((guint)m->duration_ms, appear_timer, g);
			} else if (m->after_ms >= 0) {
				g_timeout_add((guint)m->after_ms, gone_timer, g);
			}
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
	for (guint i = 0; gone_faults && i < gone_faults->len; i++) {
		struct gone_fault *g = g_ptr_array_index(gone_faults, i);

		if (g->m->kind == SIM_FAULT_PORT_ABSENT) {
			if (!start && g->m->duration_ms < 0)
				port_appears(g);
		} else if (start && g->m->on_signal) {
			port_gone(g);
		}
	}
	sim_ppdev_kick(NULL);
}

/* The simulator stops: calls that wait end as on a port that went away, so
 * that no client is left inside a call when its connection closes (umockdev's
 * preload would abort it). */
void sim_ppdev_stop(void)
{
	stopping = true;
	for (GList *l = pp_files; l; l = l->next) {
		struct pp_file *f = l->data;

		if (!f->op)
			continue;
		if (f->op->kind == OP_CLAIM && f->port)
			g_queue_remove(&f->port->waiters, f);
		if (f->op->kind == OP_WRITE)
			pp_op_finish(f, (long)f->op->done, 0);
		else
			pp_op_finish(f, -1, ENODEV);
	}
}

void sim_ppdev_shutdown(void)
{
	pp_sched_shutdown();
	g_clear_pointer(&gone_faults, g_ptr_array_unref);
}
