/*
 * probe.c - parclassd's idle probes and the Device methods
 *
 * Never in a job's way: the service takes a port only by
 * parclass_port_try_allocate(), which fails while anyone holds or waits for
 * the port and never queues; it does one bounded step per grant (one read
 * of the status lines, or one device-ID read, or one reset), then frees the
 * port. It looks at the queue first and skips a port someone holds or waits
 * for. A status probe opens no device: it takes the port through the
 * port's handle, so that a job opening the device in that moment is not
 * turned away (its lock queues behind the one step). The methods open the
 * device around their step: a job that opens it in that moment retries (the
 * backend does) and finds it free again.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "common/process.h"
#include "common/reasons.h"
#include "service.h"

typedef int (*step_fn)(struct pcd_device *dev, parclass_device *d);

/* Open the device, take its port if nobody holds or waits for it, select
 * it as parclass_device_lock() would, run @step, let go of everything. */
static int with_device(struct pcd_device *dev, step_fn step)
{
	struct pcd_port *port = dev->port;
	parclass_device *d;
	parclass_port *pp;
	int r;

	r = parclass_device_open_at(port->svc->ctx, port->number, dev->address,
				    dev->behind_chain ? PARCLASS_LOCATION_BEHIND_CHAIN : 0, &d);
	if (r < 0)
		return r;
	pp = parclass_device_get_port(d);
	r = parclass_port_try_allocate(pp);
	if (r == 0) {
		if (dev->address != PARCLASS_ADDRESS_END)
			r = parclass_port_select(pp, dev->address, 0);
		else
			parclass_port_deselect(pp);   /* -ENXIO: no chain, the end device answers anyway */
		if (r == 0)
			r = step(dev, d);
		parclass_device_unlock(d, 0);
	}
	parclass_device_close(d);
	return r;
}

/* Take the port through its handle if nobody holds or waits for it, select
 * the device as a lock would, read the lines, let go. */
static int read_status(struct pcd_device *dev)
{
	parclass_port *pp = dev->port->handle;
	unsigned lines;
	int r = parclass_port_try_allocate(pp);

	if (r < 0)
		return r;
	/* On a port without a chain the device answers as it is: no select
	 * and no deselect (each a sequence of IEEE 1284.3 bytes on the lines). */
	if (dev->address != PARCLASS_ADDRESS_END)
		r = parclass_port_select(pp, dev->address, 0);
	else if (dev->behind_chain)
		r = parclass_port_deselect(pp);
	if (r == 0)
		r = parclass_port_get_lines(pp, &lines);
	parclass_port_unlock(pp, dev->address == PARCLASS_ADDRESS_END && !dev->behind_chain ?
					 PARCLASS_UNLOCK_NO_DESELECT : 0);
	if (r == 0) {
		unsigned status = parclass_status_from_lines(lines);
		g_auto(GStrv) reasons = pcd_bit_names(reasons_from_status(status), reason_keyword);
		g_autofree char *joined = g_strjoinv(",", reasons);
		const struct pcd_state state = {
			.status = status, .lines = lines, .reasons = joined, .display = "", .pages = -1,
			.observed_us = pcd_now_us(), .how = "probe",
		};

		pcd_device_show_state(dev, &state);
	}
	return r;
}

static int read_id(struct pcd_device *dev, parclass_device *d)
{
	parclass_device_id *id = NULL;
	int r = parclass_device_get_id_parsed(d, PARCLASS_ID_FRESH, &id);

	dev->want_id = false;
	if (r == 0)
		pcd_device_show_id(dev, id);
	parclass_device_id_free(id);
	return r;
}

static int reset(struct pcd_device *dev, parclass_device *d)
{
	return parclass_device_reset(d);
}

/* What the port's holders published, for each device: "job" while its
 * publisher has it open, "cache" when the publisher is gone and no probe
 * has looked since (at start-up). A report of ours, or one older than what
 * is shown, changes nothing. */
static void show_reports(struct pcd_port *port)
{
	for (guint i = 0; i < port->devices->len; i++) {
		struct pcd_device *dev = port->devices->pdata[i];
		parclass_report rep;
		struct pcd_state state;

		if (parclass_port_read_report(port->handle, dev->address, &rep) < 0 || rep.pid == getpid() ||
		    (guint64)rep.published_us < pcd_device_get_last_observed(dev->iface))
			continue;
		if (!rep.live && g_strcmp0(pcd_device_get_observed_by(dev->iface), "cache"))
			continue;
		state = (struct pcd_state){
			.status = rep.status, .lines = rep.lines, .reasons = rep.reasons, .display = rep.display,
			.pages = rep.pages, .observed_us = (guint64)rep.published_us,
			.how = rep.live ? "job" : "cache",
		};
		pcd_device_show_state(dev, &state);
	}
}

/* Holder, Waiters; true when someone else holds or waits for the port. */
static bool watch_queue(struct pcd_port *port)
{
	pid_t holder = 0;
	parclass_usec since = 0;
	unsigned waiters = 0;

	if (parclass_port_get_holder_since(port->handle, &holder, &since) < 0 ||
	    parclass_port_query_waiters(port->handle, &waiters) < 0)
		return true;
	if (holder == getpid()) {
		/* Ourselves, between the grant and the free of a step. */
		holder = 0;
		since = 0;
	}
	if (holder != port->holder || since != port->holder_since) {
		char comm[64] = "";

		if (holder && (!process_name(holder, comm, sizeof comm) || !g_utf8_validate(comm, -1, NULL)))
			snprintf(comm, sizeof comm, "?");
		g_strchomp(comm);
		pcd_port_set_holder(port->iface, g_variant_new("(uts)", (guint32)holder, (guint64)since, comm));
		port->holder = holder;
		port->holder_since = since;
	}
	pcd_port_set_waiters(port->iface, waiters);
	port->busy = holder || waiters;
	return port->busy;
}

static gboolean on_queue(gint fd, GIOCondition condition, gpointer data)
{
	struct pcd_port *port = data;
	int r = parclass_port_drain_queue_fd(port->handle);

	if (r < 0) {
		g_warning("%s: cannot watch its queue any more: %s", port->location, parclass_strerror(r));
		port->queue_source = 0;
		return G_SOURCE_REMOVE;
	}
	if (r & PARCLASS_WATCH_QUEUE)
		watch_queue(port);
	if (r & PARCLASS_WATCH_REPORT)
		show_reports(port);
	return G_SOURCE_CONTINUE;
}

void pcd_port_watch(struct pcd_port *port)
{
	int fd, r;

	if (!port->handle)
		return;
	r = parclass_port_get_queue_fd(port->handle, &fd);
	if (r < 0)
		g_warning("%s: cannot watch its queue: %s (it is looked at every PollInterval)", port->location,
			  parclass_strerror(r));
	else
		port->queue_source = g_unix_fd_add(fd, G_IO_IN, on_queue, port);
	watch_queue(port);
	show_reports(port);
}

void pcd_port_unwatch(struct pcd_port *port)
{
	if (port->queue_source)
		g_source_remove(port->queue_source);
	port->queue_source = 0;
}

/* One step per device and grant; the queue is looked at again before each
 * (its watch runs between two ticks, and a request that came in the
 * meantime makes the next try-allocate fail anyway). */
static void probe_port(struct pcd_port *port)
{
	if (!port->handle) {
		if (parclass_port_open(port->svc->ctx, port->location, &port->handle) < 0)
			return;
		pcd_port_watch(port);
	}
	for (guint i = 0; i < port->devices->len; i++) {
		struct pcd_device *dev = port->devices->pdata[i];
		int r;

		if (watch_queue(port)) {
			show_reports(port);
			return;
		}
		r = dev->want_id ? with_device(dev, read_id) : read_status(dev);
		if (r == -EBUSY) {
			/* Taken meanwhile, by a job or by a program outside parclass. */
			pcd_port_set_claimed_outside(port->iface, !watch_queue(port));
			return;
		}
		pcd_port_set_claimed_outside(port->iface, false);
	}
}

static gboolean tick(gpointer data)
{
	struct pcd_service *svc = data;

	for (guint i = 0; svc->ports && i < svc->ports->len; i++)
		probe_port(svc->ports->pdata[i]);
	pcd_cups_tick(svc);
	return G_SOURCE_CONTINUE;
}

void pcd_probe_start(struct pcd_service *svc)
{
	if (svc->poll_source)
		g_source_remove(svc->poll_source);
	svc->poll_source = g_timeout_add(pcd_manager_get_poll_interval(svc->manager_iface), tick, svc);
	tick(svc);
}

/* ---- the methods ---- */

static void complete(GDBusMethodInvocation *invocation, int r)
{
	if (r == -EBUSY)
		g_dbus_method_invocation_return_dbus_error(invocation, PCD_ERROR_BUSY,
							   "The port is in use: try again when it is free");
	else if (r < 0)
		g_dbus_method_invocation_return_dbus_error(invocation, PCD_ERROR_FAILED, parclass_strerror(r));
	else
		g_dbus_method_invocation_return_value(invocation, NULL);
}

static gboolean on_refresh_id(PcdDevice *iface, GDBusMethodInvocation *invocation, GVariant *options,
			      gpointer data)
{
	struct pcd_device *dev = data;

	complete(invocation, with_device(dev, read_id));
	return TRUE;
}

static gboolean on_reset(PcdDevice *iface, GDBusMethodInvocation *invocation, GVariant *options, gpointer data)
{
	struct pcd_device *dev = data;

	complete(invocation, with_device(dev, reset));
	return TRUE;
}

void pcd_device_connect_methods(struct pcd_device *dev)
{
	g_signal_connect(dev->iface, "handle-refresh-id", G_CALLBACK(on_refresh_id), dev);
	g_signal_connect(dev->iface, "handle-reset", G_CALLBACK(on_reset), dev);
	pcd_auth_attach(G_DBUS_INTERFACE_SKELETON(dev->iface));
}
