/*
 * fuzz-model.c - libFuzzer harness for parclass-sim's model-file parser
 *
 * Model files are written by hand for tests and demos; the parser must
 * refuse what it cannot use with a message, never crash or leak. The input
 * is a model file's text (up to its first NUL). On success the structures
 * must be what model.h promises (chain positions without gaps, compat mode
 * always there, known conditions, faults aimed at devices in the model);
 * each device's raw ID must go through sim_autoprobe_text() and its text
 * through sim_build_raw_id() in every length form. On failure there must be
 * an error message. GLib warnings and criticals (a GError set twice, a NULL
 * passed to GLib) abort, with one exception: GLib 2.74's key file parser
 * itself sets its internal GError twice for a value with an invalid escape
 * and a '\' at its end (e.g. "state=a\qb\") and warns about it; the model
 * parser goes on with what GLib returns and refuses the value as usual.
 */
#include "config.h"

#define FUZZ_NAME "fuzz-model"
#include "fuzz.h"

#include "model.h"

static void check_autoprobe(GBytes *raw_id)
{
	static const char *const keys[] = { "CLASS:", "MODEL:", "MANUFACTURER:", "DESCRIPTION:", "COMMAND SET:" };
	g_autofree char *text = sim_autoprobe_text(raw_id);
	size_t len, k;

	fuzz_assert(text, "no autoprobe text");
	len = strlen(text);
	if (!len)
		return;
	/* The kernel's form: "KEY:value;" lines of the keys it knows, in its order
	 * (a value may hold a line end of its own, as the kernel would show it). */
	fuzz_assert(len >= 3 && !strcmp(text + len - 2, ";\n"), "autoprobe text \"%s\"", text);
	for (k = 0; k < G_N_ELEMENTS(keys); k++)
		if (g_str_has_prefix(text, keys[k]))
			break;
	fuzz_assert(k < G_N_ELEMENTS(keys), "autoprobe text \"%s\"", text);
}

static void check_device(const struct sim_device_model *d)
{
	static const char *const forms[] = { NULL, "big-endian", "little-endian", "exclusive", "zero", "0x1234" };

	fuzz_assert(d->group && d->pjl_info_id, "a device without its group or INFO ID");
	fuzz_assert(d->modes & SIM_MODE_COMPAT, "[%s] without compat mode", d->group);
	fuzz_assert(d->initial >= SIM_COND_READY && d->initial < SIM_COND_COUNT, "[%s] state %d", d->group,
		    d->initial);
	fuzz_assert(d->negotiation_delay_ms >= 0 && d->negotiation_delay_ms <= 60000, "[%s] delay %d", d->group,
		    d->negotiation_delay_ms);
	fuzz_assert(!d->raw_id == !d->id_text, "[%s] a raw ID without text or text without raw ID", d->group);
	check_autoprobe(d->raw_id);
	if (!d->id_text)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(forms); i++) {
		GError *error = NULL;
		GBytes *raw = sim_build_raw_id(d->id_text, strlen(d->id_text), forms[i], &error);

		fuzz_assert(raw && !error, "[%s] length form %s failed", d->group, forms[i] ? forms[i] : "(default)");
		fuzz_assert(g_bytes_get_size(raw) == strlen(d->id_text) + 2, "[%s] raw ID of the wrong size", d->group);
		check_autoprobe(raw);
		g_bytes_unref(raw);
	}
}

static void check_model(const struct sim_port_model *m)
{
	fuzz_assert(m->source && m->faults, "no source or fault list");
	fuzz_assert(m->n_chain <= SIM_MAX_CHAIN, "%u chain devices", m->n_chain);
	for (unsigned i = 0; i < SIM_MAX_CHAIN; i++)
		fuzz_assert(!m->chain[i] == (i >= m->n_chain), "chain position %u of %u", i, m->n_chain);
	if (m->end)
		check_device(m->end);
	for (unsigned i = 0; i < m->n_chain; i++)
		check_device(m->chain[i]);
	for (unsigned i = 0; i < m->faults->len; i++) {
		const struct sim_fault_model *f = g_ptr_array_index(m->faults, i);

		fuzz_assert(f->name && *f->name, "a fault without a name");
		fuzz_assert(f->kind > SIM_COND_READY && f->kind <= SIM_FAULT_KIND_LAST, "[fault.%s] kind %d", f->name,
			    f->kind);
		fuzz_assert(f->target < 0 ? m->end || f->kind == SIM_FAULT_PORT_GONE || f->kind == SIM_FAULT_PORT_ABSENT
					  : (unsigned)f->target < m->n_chain,
			    "[fault.%s] aimed at device %d", f->name, f->target);
		fuzz_assert(f->pjl_code >= 0 && f->pjl_code <= 99999, "[fault.%s] code %d", f->name, f->pjl_code);
	}
}

#define SOURCE "fuzz.model"

static void on_log(const char *domain, GLogLevelFlags level, const char *message, gpointer userdata)
{
	/* GLib's own double set (the overwriting message is its own, not one of
	 * the model parser's "SOURCE: ..." messages). */
	if (domain && !strcmp(domain, "GLib") && strstr(message, "GError set over the top of a previous GError") &&
	    strstr(message, "The overwriting error message was: Key file contains") && !strstr(message, SOURCE ": "))
		return;
	if (!(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
		return;
	fprintf(stderr, "%s: GLib %s: %s\n", FUZZ_NAME, domain ? domain : "", message);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	char *text = fuzz_string(data, size);
	GError *error = NULL;
	struct sim_port_model *m;

	if (!once) {
		g_log_set_default_handler(on_log, NULL);
		once = true;
	}
	m = sim_model_load_data(text, SOURCE, &error);
	if (m) {
		fuzz_assert(!error, "a model and an error: %s", error->message);
		check_model(m);
	} else {
		fuzz_assert(error && error->message && *error->message, "refused without an error message");
	}
	g_clear_error(&error);
	sim_model_free(m);
	free(text);
	return 0;
}
