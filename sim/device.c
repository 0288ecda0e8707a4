/*
 * device.c - the printer half of parclass-sim: one IEEE 1284 peripheral
 *
 * Status line patterns (status register values, as PPRSTATUS returns them:
 * bit 7 is the inverted Busy line) follow the conventions the Windows
 * parallel driver decodes (PAR_OFF_LINE, PAR_POWERED_OFF, PAR_NOT_CONNECTED,
 * PAR_PAPER_EMPTY), so that a host can tell the conditions apart:
 *   ready 0xd8, busy 0x58, offline 0x48, paper out 0x70,
 *   error / door open / jam 0x50, power off 0x80.
 * Nothing connected (a vanished device, an empty port) reads 0x78: no
 * peripheral drives the lines and the host's pull-ups hold all five high.
 */
#include "config.h"

#include "device.h"

#include "pjl.h"
#include "record.h"

#include <linux/parport.h>
#include <string.h>

#define XB_DEVICEID 0x04
/* A printer's reverse buffer is finite: what does not fit is dropped. */
#define REVERSE_QUEUE_MAX 65536

struct fault {
	struct sim_device *dev;
	const struct sim_fault_model *m;
	bool fired;        /* triggered once already */
	bool active;
	guint timer;       /* after-ms trigger or duration end */
};

struct sim_device {
	const struct sim_device_model *m;
	char *location;
	sim_device_notify notify;
	void *notify_data;

	unsigned active[SIM_COND_COUNT];   /* active faults per condition */
	int pjl_code[SIM_COND_COUNT];      /* overrides from fault models */
	char *pjl_display[SIM_COND_COUNT];
	int shown;                         /* condition last reported */

	int xbyte;                 /* negotiated extensibility byte, -1 = compatibility */
	bool ecp_reverse;
	bool link_stopped;         /* a refuse fault hit the mode it is in: it no longer answers */
	size_t id_pos;

	/* forward */
	guint64 forward_bytes;     /* data bytes received since power on */
	int channel;
	unsigned rle_pending;      /* repeat count for the next data byte, 0 = none */
	struct sim_pjl *pjl;
	struct sim_job *job;
	unsigned job_seq;

	/* reverse */
	GByteArray *reverse;
	guint64 reverse_total;     /* bytes ever queued (for garbling) */
	guint timed_timer;
	unsigned timed_interval;

	GPtrArray *faults;
};

static const struct {
	int code;
	const char *display;
	bool online;
	uint8_t status;
} condition_info[SIM_COND_COUNT] = {
	[SIM_COND_READY] = { 10001, "00 READY", true, 0xd8 },
	[SIM_COND_TONER_LOW] = { 10006, "TONER LOW", true, 0xd8 },
	[SIM_COND_BUSY] = { 10023, "PROCESSING JOB", true, 0x58 },
	[SIM_COND_OFFLINE] = { 10002, "OFFLINE", false, 0x48 },
	[SIM_COND_PAPER_OUT] = { 41100, "LOAD TRAY 1", false, 0x70 },
	[SIM_COND_DOOR_OPEN] = { 40021, "12 PRINTER OPEN", false, 0x50 },
	[SIM_COND_JAM] = { 40022, "13 PAPER JAM", false, 0x50 },
	[SIM_COND_ERROR] = { 50000, "50 SERVICE", false, 0x50 },
	[SIM_COND_POWER_OFF] = { 0, "", false, 0x80 },
	[SIM_COND_VANISHED] = { 0, "", false, 0x78 },
};

static void notify(struct sim_device *d)
{
	if (d->notify)
		d->notify(d->notify_data);
}

const char *sim_device_location(const struct sim_device *d)
{
	return d->location;
}

const struct sim_device_model *sim_device_model(const struct sim_device *d)
{
	return d->m;
}

int sim_device_condition(const struct sim_device *d)
{
	for (int c = SIM_COND_COUNT - 1; c > SIM_COND_READY; c--)
		if (d->active[c])
			return c;
	return SIM_COND_READY;
}

bool sim_device_alive(const struct sim_device *d)
{
	int c = sim_device_condition(d);

	return c != SIM_COND_POWER_OFF && c != SIM_COND_VANISHED;
}

uint8_t sim_device_compat_status(const struct sim_device *d)
{
	return condition_info[sim_device_condition(d)].status;
}

/* ---- reverse data ---- */

/* Queue one reverse message, damaged as the model asks. */
static void queue_reverse(struct sim_device *d, const guint8 *data, size_t n)
{
	if (!sim_device_alive(d))
		return;
	if (d->m->reverse_truncate && n > d->m->reverse_truncate)
		n = d->m->reverse_truncate;
	if (d->reverse->len + n > REVERSE_QUEUE_MAX) {
		sim_event(d->location, "reverse overflow: %zu bytes dropped", n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		guint8 c = data[i];

		d->reverse_total++;
		if (d->m->reverse_garble && d->reverse_total % d->m->reverse_garble == 0)
			c ^= 0x5a;
		g_byte_array_append(d->reverse, &c, 1);
	}
	notify(d);
}

static gboolean timed_tick(gpointer data)
{
	struct sim_device *d = data;

	sim_pjl_timed_tick(d->pjl);
	return G_SOURCE_CONTINUE;
}

/* USTATUS TIMED may have been switched on, off or changed. */
static void update_timed(struct sim_device *d)
{
	unsigned interval = d->pjl ? sim_pjl_timed_interval(d->pjl) : 0;

	if (interval == d->timed_interval)
		return;
	if (d->timed_timer)
		g_source_remove(d->timed_timer);
	d->timed_timer = interval ? g_timeout_add_seconds(interval, timed_tick, d) : 0;
	d->timed_interval = interval;
}

static void pjl_reply(void *ctx, const char *data, size_t len)
{
	queue_reverse(ctx, (const guint8 *)data, len);
}

static void pjl_command(void *ctx, const char *line)
{
	struct sim_device *d = ctx;
	g_autofree char *safe = g_strescape(line, NULL);

	sim_event(d->location, "pjl %s", safe);
}

static void report_condition(struct sim_device *d)
{
	int c = sim_device_condition(d);

	if (c == d->shown)
		return;
	sim_event(d->location, "state %s -> %s", sim_condition_name(d->shown), sim_condition_name(c));
	d->shown = c;
	if (d->pjl && condition_info[c].code)
		sim_pjl_set_status(d->pjl, d->pjl_code[c] ? d->pjl_code[c] : condition_info[c].code,
				   d->pjl_display[c] ? d->pjl_display[c] : condition_info[c].display,
				   condition_info[c].online);
	notify(d);
}

void sim_device_fault_begin(struct sim_device *d, int kind, int pjl_code, const char *display)
{
	g_return_if_fail(kind > SIM_COND_READY && kind < SIM_COND_COUNT);
	d->active[kind]++;
	if (pjl_code)
		d->pjl_code[kind] = pjl_code;
	if (display) {
		g_free(d->pjl_display[kind]);
		d->pjl_display[kind] = g_strdup(display);
	}
	if (!sim_device_alive(d)) {
		/* A device that lost power forgets what it was doing. */
		d->xbyte = -1;
		d->ecp_reverse = false;
		d->link_stopped = false;
		g_byte_array_set_size(d->reverse, 0);
	}
	report_condition(d);
}

void sim_device_fault_end(struct sim_device *d, int kind)
{
	bool was_alive = sim_device_alive(d);

	g_return_if_fail(kind > SIM_COND_READY && kind < SIM_COND_COUNT);
	if (d->active[kind])
		d->active[kind]--;
	if (!was_alive && sim_device_alive(d) && d->pjl) {
		/* Powered up again: the printer starts with fresh PJL settings. */
		sim_pjl_reset(d->pjl);
		update_timed(d);
	}
	report_condition(d);
}

/* ---- faults from the model ---- */

static void fault_start(struct fault *f);

static bool is_link_fault(int kind)
{
	return kind == SIM_FAULT_REFUSE || kind == SIM_FAULT_LATE;
}

/* The mode bit of a negotiated extensibility byte (0: none this model knows). */
static unsigned xbyte_mode(int xbyte)
{
	switch (xbyte & ~XB_DEVICEID) {
	case 0x00: return SIM_MODE_NIBBLE;
	case 0x01: return SIM_MODE_BYTE;
	case 0x10: return SIM_MODE_ECP;
	case 0x30: return SIM_MODE_ECPRLE;
	case 0x40: return (xbyte & XB_DEVICEID) ? 0 : SIM_MODE_EPP;
	}
	return 0;   /* the extensibility link and unknown requests */
}

/* Modes the active refuse faults reject (refusing ECP refuses ECP with RLE too). */
static unsigned refused_modes(const struct sim_device *d)
{
	unsigned m = 0;

	for (guint i = 0; i < d->faults->len; i++) {
		const struct fault *f = g_ptr_array_index(d->faults, i);

		if (f->active && f->m->kind == SIM_FAULT_REFUSE)
			m |= f->m->refuse;
	}
	return m & SIM_MODE_ECP ? m | SIM_MODE_ECPRLE : m;
}

int sim_device_negotiation_delay(const struct sim_device *d)
{
	int delay = d->m->negotiation_delay_ms;

	for (guint i = 0; i < d->faults->len; i++) {
		const struct fault *f = g_ptr_array_index(d->faults, i);

		if (f->active && f->m->kind == SIM_FAULT_LATE)
			delay = MAX(delay, f->m->negotiation_delay_ms);
	}
	return delay;
}

bool sim_device_link_stopped(const struct sim_device *d)
{
	return d->link_stopped;
}

/* A link fault begins or ends: the lines stay as they are, negotiation changes. */
static void link_fault(struct fault *f, bool begin)
{
	struct sim_device *d = f->dev;

	if (begin && f->m->kind == SIM_FAULT_REFUSE && d->xbyte >= 0 && (xbyte_mode(d->xbyte) & refused_modes(d)))
		d->link_stopped = true;   /* until the host terminates the link */
	notify(d);
}

static void fault_end(struct fault *f)
{
	f->active = false;
	sim_event(f->dev->location, "fault %s end", f->m->name);
	if (is_link_fault(f->m->kind))
		link_fault(f, false);
	else
		sim_device_fault_end(f->dev, f->m->kind);
}

static gboolean fault_duration_over(gpointer data)
{
	struct fault *f = data;

	f->timer = 0;
	fault_end(f);
	return G_SOURCE_REMOVE;
}

static gboolean fault_time_trigger(gpointer data)
{
	struct fault *f = data;

	f->timer = 0;
	fault_start(f);
	return G_SOURCE_REMOVE;
}

static void fault_start(struct fault *f)
{
	if (f->fired)
		return;
	f->fired = true;
	f->active = true;
	sim_event(f->dev->location, "fault %s begin %s", f->m->name, sim_condition_name(f->m->kind));
	if (f->m->duration_ms >= 0)
		f->timer = g_timeout_add((guint)f->m->duration_ms, fault_duration_over, f);
	if (is_link_fault(f->m->kind))
		link_fault(f, true);
	else
		sim_device_fault_begin(f->dev, f->m->kind, f->m->pjl_code, f->m->display);
}

void sim_device_add_fault(struct sim_device *d, const struct sim_fault_model *m)
{
	struct fault *f = g_new0(struct fault, 1);

	f->dev = d;
	f->m = m;
	g_ptr_array_add(d->faults, f);
	if (m->after_ms == 0 && !m->after_bytes)
		fault_start(f);
	else if (m->after_ms > 0)
		f->timer = g_timeout_add((guint)m->after_ms, fault_time_trigger, f);
}

void sim_device_signal(struct sim_device *d, bool start)
{
	for (guint i = 0; i < d->faults->len; i++) {
		struct fault *f = g_ptr_array_index(d->faults, i);

		if (start && f->m->on_signal && !f->fired) {
			fault_start(f);
		} else if (!start && f->active && f->m->duration_ms < 0) {
			fault_end(f);
		}
	}
}

guint64 sim_device_bytes_before_fault(const struct sim_device *d)
{
	guint64 left = G_MAXUINT64;

	for (guint i = 0; i < d->faults->len; i++) {
		const struct fault *f = g_ptr_array_index(d->faults, i);

		if (!f->fired && f->m->after_bytes && f->m->after_bytes > d->forward_bytes)
			left = MIN(left, f->m->after_bytes - d->forward_bytes);
	}
	return left;
}

static void check_byte_faults(struct sim_device *d)
{
	for (guint i = 0; i < d->faults->len; i++) {
		struct fault *f = g_ptr_array_index(d->faults, i);

		if (!f->fired && f->m->after_bytes && d->forward_bytes >= f->m->after_bytes)
			fault_start(f);
	}
}

static void fault_free(gpointer p)
{
	struct fault *f = p;

	if (f->timer)
		g_source_remove(f->timer);
	g_free(f);
}

/* ---- life cycle ---- */

struct sim_device *sim_device_new(const struct sim_device_model *m, const char *location,
				  sim_device_notify notify_fn, void *notify_data)
{
	static const struct sim_pjl_hooks hooks = { pjl_reply, pjl_command };
	struct sim_device *d = g_new0(struct sim_device, 1);

	d->m = m;
	d->location = g_strdup(location);
	d->notify = notify_fn;
	d->notify_data = notify_data;
	d->xbyte = -1;
	d->reverse = g_byte_array_new();
	d->faults = g_ptr_array_new_with_free_func(fault_free);
	if (m->pjl)
		d->pjl = sim_pjl_new(&hooks, d, m->pjl_info_id);
	if (m->initial != SIM_COND_READY)
		d->active[m->initial]++;
	d->shown = SIM_COND_READY;
	report_condition(d);
	if (m->reverse_data)
		queue_reverse(d, g_bytes_get_data(m->reverse_data, NULL), g_bytes_get_size(m->reverse_data));
	return d;
}

void sim_device_free(struct sim_device *d)
{
	if (!d)
		return;
	sim_device_session_end(d);
	g_ptr_array_unref(d->faults);
	if (d->timed_timer)
		g_source_remove(d->timed_timer);
	sim_pjl_free(d->pjl);
	g_byte_array_unref(d->reverse);
	for (int c = 0; c < SIM_COND_COUNT; c++)
		g_free(d->pjl_display[c]);
	g_free(d->location);
	g_free(d);
}

/* ---- IEEE 1284 ---- */

bool sim_device_answers_1284(const struct sim_device *d)
{
	return sim_device_alive(d) && (d->m->modes & ~SIM_MODE_COMPAT);
}

enum sim_negot sim_device_negotiate(struct sim_device *d, uint8_t xbyte)
{
	/* Beyond 40 ms the kernel has stopped waiting for an answer. */
	if (!sim_device_answers_1284(d) || sim_device_negotiation_delay(d) > 40)
		return SIM_NEGOT_NO_ANSWER;
	return sim_device_request(d, xbyte);
}

enum sim_negot sim_device_request(struct sim_device *d, uint8_t xbyte)
{
	unsigned need = xbyte_mode(xbyte);

	d->link_stopped = false;
	if (!need || !(d->m->modes & need) || (need & refused_modes(d)) || ((xbyte & XB_DEVICEID) && !d->m->raw_id)) {
		d->xbyte = -1;
		return SIM_NEGOT_REJECTED;
	}
	d->xbyte = xbyte;
	d->ecp_reverse = false;
	d->id_pos = 0;
	return SIM_NEGOT_OK;
}

void sim_device_terminate(struct sim_device *d)
{
	d->xbyte = -1;
	d->ecp_reverse = false;
	d->link_stopped = false;
	d->id_pos = 0;
}

int sim_device_xbyte(const struct sim_device *d)
{
	return d->xbyte;
}

bool sim_device_in_deviceid(const struct sim_device *d)
{
	return d->xbyte >= 0 && (d->xbyte & XB_DEVICEID);
}

bool sim_device_ecp_reverse(const struct sim_device *d)
{
	return d->ecp_reverse;
}

void sim_device_set_ecp_reverse(struct sim_device *d, bool reverse)
{
	d->ecp_reverse = reverse;
}

/* ---- forward data ---- */

static void deliver(struct sim_device *d, const guint8 *data, size_t n)
{
	if (!n)
		return;
	if (!d->job) {
		d->job = sim_job_begin(d->location, d->job_seq + 1);
		if (d->job)
			d->job_seq++;
	}
	sim_job_write(d->job, data, n);
	d->forward_bytes += n;
	if (d->pjl) {
		sim_pjl_feed(d->pjl, data, n);
		update_timed(d);
	}
	check_byte_faults(d);
}

void sim_device_forward(struct sim_device *d, const guint8 *data, size_t n, bool command)
{
	if (!sim_device_alive(d) || !n)
		return;
	if (command) {
		/* ECP command cycles: bit 7 set is a channel address, else a run-length count. */
		for (size_t i = 0; i < n; i++) {
			if (data[i] & 0x80) {
				d->channel = data[i] & 0x7f;
				sim_event(d->location, "ecp channel %d", d->channel);
			} else {
				d->rle_pending = data[i] + 1u;
			}
		}
		return;
	}
	if (d->rle_pending) {
		guint8 run[128];

		memset(run, data[0], d->rle_pending);
		deliver(d, run, d->rle_pending);
		d->rle_pending = 0;
		data++;
		n--;
	}
	deliver(d, data, n);
}

void sim_device_session_end(struct sim_device *d)
{
	if (d->job) {
		sim_job_end(d->job);
		d->job = NULL;
	}
}

void sim_device_reset(struct sim_device *d)
{
	if (!sim_device_alive(d))
		return;
	sim_event(d->location, "reset");
	d->rle_pending = 0;
	d->channel = 0;
	g_byte_array_set_size(d->reverse, 0);
	if (d->pjl) {
		sim_pjl_reset(d->pjl);
		update_timed(d);
	}
}

/* ---- reverse data ---- */

bool sim_device_has_reverse(const struct sim_device *d)
{
	if (!sim_device_alive(d))
		return false;
	if (sim_device_in_deviceid(d))
		return d->m->id_endless || d->id_pos < g_bytes_get_size(d->m->raw_id);
	return d->reverse->len > 0;
}

void sim_device_reverse_unread(struct sim_device *d, guint8 c)
{
	if (!sim_device_alive(d))
		return;
	if (sim_device_in_deviceid(d)) {
		if (d->id_pos)
			d->id_pos--;
		return;
	}
	g_byte_array_prepend(d->reverse, &c, 1);
}

size_t sim_device_reverse_read(struct sim_device *d, guint8 *buf, size_t n)
{
	size_t got = 0;

	if (!sim_device_alive(d))
		return 0;
	if (sim_device_in_deviceid(d)) {
		gsize len;
		const guint8 *id = g_bytes_get_data(d->m->raw_id, &len);

		while (got < n && (d->id_pos < len || d->m->id_endless)) {
			/* A device that never ends its ID repeats one nibble: 0xff. */
			buf[got++] = d->id_pos < len ? id[d->id_pos] : 0xff;
			d->id_pos++;
		}
		return got;
	}
	got = MIN(n, d->reverse->len);
	memcpy(buf, d->reverse->data, got);
	g_byte_array_remove_range(d->reverse, 0, (guint)got);
	return got;
}
