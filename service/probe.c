/*
 * probe.c - parclassd's idle probes and the Device methods
 *
 * Never in a job's way: the service takes a port only by
 * parclass_port_try_allocate(), which fails while anyone holds or waits for
 * the port and never queues; it does one bounded step per grant (one read
 * of the status lines, or one device-ID read, or one reset), then frees the
 * port. It looks at the queue first and skips a port someone holds or waits
 * for. The device is opened only around the step: a job that opens it in
 * that moment retries (the backend does) and finds it free again.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

/* Show @status and @lines as observed now by @how. */
static void show_status(struct pcd_device *dev, unsigned status, unsigned lines, const char *how)
{
	PcdDevice *i = dev->iface;
	g_auto(GStrv) names = NULL;
	g_auto(GStrv) reasons = NULL;

	/* LastObserved moves with the state, not with every probe: a client
	 * is woken only when something changed. */
	if (pcd_device_get_last_observed(i) && pcd_device_get_status(i) == status &&
	    pcd_device_get_lines(i) == lines && !g_strcmp0(pcd_device_get_observed_by(i), how))
		return;
	names = pcd_bit_names(status, parclass_status_name);
	reasons = pcd_bit_names(reasons_from_status(status), reason_keyword);
	pcd_device_set_status(i, status);
	pcd_device_set_status_names(i, (const char *const *)names);
	pcd_device_set_lines(i, lines);
	pcd_device_set_reasons(i, (const char *const *)reasons);
	pcd_device_set_observed_by(i, how);
	pcd_device_set_last_observed(i, pcd_now_us());
	pcd_cups_device_changed(dev);
}

static int read_status(struct pcd_device *dev, parclass_device *d)
{
	unsigned lines;
	int r = parclass_device_get_lines(d, &lines);

	if (r == 0)
		show_status(dev, parclass_status_from_lines(lines), lines, "probe");
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

/* Holder, Waiters; true when someone holds or waits for the port. */
static bool watch_queue(struct pcd_port *port)
{
	pid_t holder = 0;
	unsigned waiters = 0;

	if (parclass_port_get_holder(port->handle, &holder) < 0 ||
	    parclass_port_query_waiters(port->handle, &waiters) < 0)
		return true;
	if (holder != port->holder) {
		g_autofree char *path = g_strdup_printf("/proc/%d/comm", (int)holder);
		g_autofree char *comm = NULL;

		if (!holder || !g_file_get_contents(path, &comm, NULL, NULL) || !g_utf8_validate(comm, -1, NULL)) {
			g_free(comm);
			comm = g_strdup(holder ? "?" : "");
		}
		g_strchomp(comm);
		/* Since when: the library does not say yet; when the service saw it first. */
		pcd_port_set_holder(port->iface, g_variant_new("(uts)", (guint32)holder,
							       holder ? pcd_now_us() : (guint64)0, comm));
		port->holder = holder;
	}
	pcd_port_set_waiters(port->iface, waiters);
	return holder || waiters;
}

static void probe_port(struct pcd_port *port)
{
	if (!port->handle && parclass_port_open(port->svc->ctx, port->location, &port->handle) < 0)
		return;
	if (watch_queue(port))
		return;
	for (guint i = 0; i < port->devices->len; i++) {
		struct pcd_device *dev = port->devices->pdata[i];
		int r = with_device(dev, dev->want_id ? read_id : read_status);

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
