/*
 * enumerate.c - every port and the devices on it, within a deadline
 *
 * A free port is probed: taken without waiting, its IEEE 1284.3 chain
 * numbered, every device asked for its ID and modes (and the answers left
 * in the runtime directory for others). A port someone holds, or one the
 * deadline cut short, is described from what is known: the IDs and modes
 * its users left, else the kernel's cache. Nothing here waits for a port.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parclass-private.h"

#define PROBE_ID_MS 600     /* at most per device ID */

struct parclass_device_info {
	char location[32];
	int address;
	parclass_device_id *id;
	unsigned modes;
};

struct parclass_port_info {
	int number;
	char name[16];
	char location[16];
	unsigned modes;
	int probed;
	pid_t holder;
	struct parclass_device_info devices[PC_MAX_CHAIN + 1];
	unsigned n_devices;
};

struct parclass_enumeration {
	struct parclass_port_info *ports;
	unsigned n;
};

static void add_device(struct parclass_port_info *pi, int address, bool chain, parclass_device_id *id,
		       unsigned modes)
{
	struct parclass_device_info *d = &pi->devices[pi->n_devices++];

	d->address = address;
	d->id = id;
	d->modes = modes;
	pc_location_name(d->location, sizeof d->location, true, pi->number, address,
			 chain ? PARCLASS_LOCATION_BEHIND_CHAIN : 0);
}

/* What others (or the kernel) know about a device; NULL when nothing. */
static parclass_device_id *known_id(parclass_context *ctx, int number, int address, unsigned *modes)
{
	parclass_device_id *id = NULL;
	size_t len;
	char *raw = pc_cache_load(ctx, number, address, "id", &len);
	char *text, *m;

	if (raw) {
		parclass_device_id_parse_raw(raw, len, &id);
		free(raw);
	}
	if (!id) {
		text = pc_proc_autoprobe(number, address);
		if (text) {
			parclass_device_id_parse(text, &id);
			free(text);
		}
	}
	m = pc_cache_load(ctx, number, address, "modes", NULL);
	*modes = m ? (unsigned)strtoul(m, NULL, 0) : 0;
	free(m);
	return id;
}

static void describe_from_knowledge(parclass_context *ctx, struct parclass_port_info *pi)
{
	parclass_device_id *ids[PC_MAX_CHAIN];
	unsigned modes[PC_MAX_CHAIN], eoc_modes;
	parclass_device_id *eoc;
	bool chain = false;

	pi->n_devices = 0;
	for (int a = 0; a < PC_MAX_CHAIN; a++) {
		ids[a] = known_id(ctx, pi->number, a, &modes[a]);
		chain |= ids[a] != NULL;
	}
	for (int a = 0; a < PC_MAX_CHAIN; a++)
		if (ids[a])
			add_device(pi, a, true, ids[a], modes[a]);
	eoc = known_id(ctx, pi->number, PARCLASS_ADDRESS_END, &eoc_modes);
	/* Someone uses a port we know nothing of: there is a device behind it. */
	if (eoc || pi->holder || !chain)
		add_device(pi, PARCLASS_ADDRESS_END, chain, eoc, eoc_modes);
}

/* Ask the device that answers now: its ID and modes, also for later readers. */
static bool probe_device(parclass_port *port, struct parclass_port_info *pi, int address, bool chain,
			 int64_t deadline)
{
	parclass_context *ctx = port->ctx;
	const struct pc_port_ops *ops = ctx->ops;
	parclass_device_id *id = NULL;
	int64_t id_deadline = pc_now_ms() + PROBE_ID_MS;
	unsigned modes;
	char text[16];
	char *raw;
	size_t len;
	uint8_t st = 0;

	if (pc_read_fresh_id(ctx, ops, port->hw, id_deadline < deadline ? id_deadline : deadline, &raw, &len) == 0) {
		pc_cache_store(ctx, pi->number, address, "id", raw, len);
		parclass_device_id_parse_raw(raw, len, &id);
		free(raw);
	}
	if (!id && address == PARCLASS_ADDRESS_END && ops->read_status(port->hw, &st) == 0 &&
	    (pc_lines_from_registers(st, PC_CTL_INIT) & PARCLASS_LINES_STATUS) == PARCLASS_LINES_STATUS)
		return false;  /* every status line high: nothing at the end of the cable */
	modes = pc_probe_modes(ctx, ops, port->hw, ~0u, deadline);
	snprintf(text, sizeof text, "%#x\n", modes);
	pc_cache_store(ctx, pi->number, address, "modes", text, strlen(text));
	add_device(pi, address, chain, id, modes);
	return true;
}

static void probe_port(parclass_context *ctx, struct parclass_port_info *pi, int64_t deadline)
{
	parclass_port *port;
	unsigned waiters;
	int n_chain, r;

	if (parclass_port_open(ctx, pi->name, &port) < 0) {
		describe_from_knowledge(ctx, pi);
		return;
	}
	pc_queue_state(&port->queue, &pi->holder, &waiters, NULL);
	/* Held by a parclass process, or by a program outside parclass: no waiting. */
	r = pi->holder || pc_proc_port_busy(pi->number) ? -EBUSY : parclass_port_try_allocate(port);
	if (r == 0 && pc_now_ms() < deadline)
		r = pc_port_ensure_bus(port, deadline);
	if (r < 0) {
		pc_dbg(ctx, "%s: not probed: %s", pi->name, parclass_strerror(r));
		if (port->held)
			parclass_port_free(port);
		parclass_port_close(port);
		describe_from_knowledge(ctx, pi);
		return;
	}

	pi->modes = ctx->ops->port_modes(port->hw);
	n_chain = pc_cpp_assign(ctx->ops, port->hw);
	pi->probed = 1;
	for (int a = 0; a < n_chain; a++) {
		if (pc_now_ms() >= deadline || pc_cpp_select(ctx->ops, port->hw, a, false) < 0) {
			pi->probed = 0;
			break;
		}
		probe_device(port, pi, a, true, deadline);
	}
	if (n_chain)
		pc_cpp_select(ctx->ops, port->hw, PARCLASS_ADDRESS_END, false);
	if (pi->probed && pc_now_ms() < deadline)
		probe_device(port, pi, PARCLASS_ADDRESS_END, n_chain > 0, deadline);
	else
		pi->probed = 0;
	parclass_port_free(port);
	parclass_port_close(port);
	if (!pi->probed) {
		/* Out of time: what was found stays, the rest comes from knowledge. */
		struct parclass_port_info known = *pi;

		known.n_devices = 0;
		describe_from_knowledge(ctx, &known);
		for (unsigned k = 0; k < known.n_devices; k++) {
			bool have = false;

			for (unsigned i = 0; i < pi->n_devices; i++)
				have |= pi->devices[i].address == known.devices[k].address;
			if (have)
				parclass_device_id_free(known.devices[k].id);
			else
				pi->devices[pi->n_devices++] = known.devices[k];
		}
	}
}

_public_ int parclass_enumerate(parclass_context *ctx, int deadline_ms, parclass_enumeration **out)
{
	int numbers[PC_MAX_PORTS], n;
	int64_t deadline = pc_deadline(deadline_ms);
	parclass_enumeration *e;
	struct stat st;

	assert_return(ctx && out, -EINVAL);
	if (stat("/proc/sys/dev/parport", &st) < 0)
		return -ENODEV;
	n = pc_proc_ports(numbers, PC_MAX_PORTS);
	e = calloc(1, sizeof *e);
	if (!e || (n && !(e->ports = calloc((size_t)n, sizeof *e->ports)))) {
		free(e);
		return -ENOMEM;
	}
	e->n = (unsigned)n;
	for (int i = 0; i < n; i++) {
		struct parclass_port_info *pi = &e->ports[i];

		pi->number = numbers[i];
		snprintf(pi->name, sizeof pi->name, "parport%d", numbers[i]);
		snprintf(pi->location, sizeof pi->location, "LPT%d", numbers[i] + 1);
		pi->modes = pc_proc_port_modes(numbers[i]);
		if (pc_now_ms() < deadline)
			probe_port(ctx, pi, deadline);
		else
			describe_from_knowledge(ctx, pi);
	}
	*out = e;
	return 0;
}

_public_ void parclass_enumeration_free(parclass_enumeration *e)
{
	if (!e)
		return;
	for (unsigned i = 0; i < e->n; i++)
		for (unsigned k = 0; k < e->ports[i].n_devices; k++)
			parclass_device_id_free(e->ports[i].devices[k].id);
	free(e->ports);
	free(e);
}

_public_ unsigned parclass_enumeration_port_count(const parclass_enumeration *e)
{
	return e ? e->n : 0;
}

_public_ const parclass_port_info *parclass_enumeration_port(const parclass_enumeration *e, unsigned i)
{
	return e && i < e->n ? &e->ports[i] : NULL;
}

_public_ const char *parclass_port_info_name(const parclass_port_info *p)
{
	return p ? p->name : NULL;
}

_public_ const char *parclass_port_info_location(const parclass_port_info *p)
{
	return p ? p->location : NULL;
}

_public_ int parclass_port_info_get_number(const parclass_port_info *p, int *number)
{
	assert_return(p && number, -EINVAL);
	*number = p->number;
	return 0;
}

_public_ unsigned parclass_port_info_modes(const parclass_port_info *p)
{
	return p ? p->modes : 0;
}

_public_ int parclass_port_info_probed(const parclass_port_info *p)
{
	return p ? p->probed : 0;
}

_public_ pid_t parclass_port_info_holder(const parclass_port_info *p)
{
	return p ? p->holder : 0;
}

_public_ unsigned parclass_port_info_device_count(const parclass_port_info *p)
{
	return p ? p->n_devices : 0;
}

_public_ const parclass_device_info *parclass_port_info_device(const parclass_port_info *p, unsigned i)
{
	return p && i < p->n_devices ? &p->devices[i] : NULL;
}

_public_ const char *parclass_device_info_location(const parclass_device_info *d)
{
	return d ? d->location : NULL;
}

_public_ int parclass_device_info_get_address(const parclass_device_info *d, int *address)
{
	assert_return(d && address, -EINVAL);
	*address = d->address;
	return 0;
}

_public_ const parclass_device_id *parclass_device_info_id(const parclass_device_info *d)
{
	return d ? d->id : NULL;
}

_public_ const char *parclass_device_info_make_and_model(const parclass_device_info *d)
{
	return d && d->id ? parclass_device_id_make_and_model(d->id) : "Unknown";
}

_public_ unsigned parclass_device_info_modes(const parclass_device_info *d)
{
	return d ? d->modes : 0;
}
