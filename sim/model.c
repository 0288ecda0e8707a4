/*
 * model.c - parse and validate parclass-sim model files
 *
 * Pure data handling: key file in, structures out. Unknown groups and keys are
 * errors so that a typo in a test model cannot silently change what is tested.
 */
#include "config.h"

#include "model.h"

#include <errno.h>
#include <linux/parport.h>
#include <string.h>

const char sim_default_model[] =
	"# The printer parclass-sim serves when no --model is given.\n"
	"[port]\n"
	"modes=pcspp,tristate,ecp\n"
	"[device]\n"
	"id=MFG:Parclass;MDL:Virtual Laser 1284;CMD:PJL,PCL,POSTSCRIPT;CLS:PRINTER;"
	"DES:parclass virtual IEEE 1284 laser printer;\n"
	"modes=compat,nibble,byte,ecp\n"
	"pjl=true\n";

static const char *const condition_names[SIM_FAULT_KIND_LAST + 1] = {
	[SIM_COND_READY] = "ready",
	[SIM_COND_TONER_LOW] = "toner-low",
	[SIM_COND_BUSY] = "busy",
	[SIM_COND_OFFLINE] = "offline",
	[SIM_COND_PAPER_OUT] = "paper-out",
	[SIM_COND_DOOR_OPEN] = "door-open",
	[SIM_COND_JAM] = "jam",
	[SIM_COND_ERROR] = "error",
	[SIM_COND_POWER_OFF] = "power-off",
	[SIM_COND_VANISHED] = "vanish",
	[SIM_FAULT_PORT_GONE] = "port-gone",
	[SIM_FAULT_REFUSE] = "refuse",
	[SIM_FAULT_LATE] = "late",
	[SIM_FAULT_PORT_ABSENT] = "port-absent",
};

const char *sim_condition_name(int cond)
{
	if (cond < 0 || cond > SIM_FAULT_KIND_LAST)
		return "?";
	return condition_names[cond];
}

int sim_condition_from_name(const char *name)
{
	for (int i = 0; i <= SIM_FAULT_KIND_LAST; i++)
		if (g_str_equal(name, condition_names[i]))
			return i;
	return -1;
}

static const struct {
	const char *name;
	unsigned bit;
} device_modes[] = {
	{ "compat", SIM_MODE_COMPAT },
	{ "nibble", SIM_MODE_NIBBLE },
	{ "byte", SIM_MODE_BYTE },
	{ "ecp", SIM_MODE_ECP },
	{ "ecprle", SIM_MODE_ECPRLE },
	{ "epp", SIM_MODE_EPP },
};

static const struct {
	const char *name;
	unsigned bit;
} port_modes[] = {
	{ "pcspp", PARPORT_MODE_PCSPP },
	{ "tristate", PARPORT_MODE_TRISTATE },
	{ "epp", PARPORT_MODE_EPP },
	{ "ecp", PARPORT_MODE_ECP },
	{ "compat", PARPORT_MODE_COMPAT },
	{ "dma", PARPORT_MODE_DMA },
};

static const char *const rate_keys[SIM_RATE_COUNT] = {
	[SIM_RATE_COMPAT] = "compat-rate",
	[SIM_RATE_NIBBLE] = "nibble-rate",
	[SIM_RATE_BYTE] = "byte-rate",
	[SIM_RATE_ECP] = "ecp-rate",
	[SIM_RATE_EPP] = "epp-rate",
};

const char *sim_mode_name(unsigned mode_bit)
{
	for (size_t i = 0; i < G_N_ELEMENTS(device_modes); i++)
		if (device_modes[i].bit == mode_bit)
			return device_modes[i].name;
	return "?";
}

static gboolean fail(GError **error, const char *source, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean fail(GError **error, const char *source, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "%s: %s", source, msg);
	g_free(msg);
	return FALSE;
}

/*
 * Undo C-style escapes (\n \r \t \f \e \\ \" \xHH \ooo) into bytes; NUL bytes
 * are kept, which g_strcompress() cannot do.
 */
static GBytes *unescape(const char *s, GError **error, const char *source, const char *what)
{
	GByteArray *out = g_byte_array_new();

	while (*s) {
		guint8 c = (guint8)*s++;

		if (c == '\\') {
			char e = *s++;

			switch (e) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'f': c = '\f'; break;
			case 'e': c = 0x1b; break;
			case 's': c = ' '; break;
			case '\\': c = '\\'; break;
			case '"': c = '"'; break;
			case 'x': {
				int hi = g_ascii_xdigit_value(s[0]);
				int lo = hi < 0 ? -1 : g_ascii_xdigit_value(s[1]);

				if (lo < 0)
					goto bad;
				c = (guint8)(hi << 4 | lo);
				s += 2;
				break;
			}
			default:
				if (e >= '0' && e <= '7') {
					unsigned v = (unsigned)(e - '0');

					for (int i = 0; i < 2 && *s >= '0' && *s <= '7'; i++)
						v = v * 8 + (unsigned)(*s++ - '0');
					if (v > 0xff)
						goto bad;
					c = (guint8)v;
					break;
				}
				goto bad;
			}
		}
		g_byte_array_append(out, &c, 1);
	}
	return g_byte_array_free_to_bytes(out);

bad:
	g_byte_array_unref(out);
	fail(error, source, "%s: invalid escape sequence", what);
	return NULL;
}

static GBytes *parse_hex(const char *s, GError **error, const char *source)
{
	GByteArray *out = g_byte_array_new();

	while (*s) {
		int hi, lo;
		guint8 c;

		if (g_ascii_isspace(*s) || *s == ':') {
			s++;
			continue;
		}
		hi = g_ascii_xdigit_value(s[0]);
		lo = hi < 0 ? -1 : g_ascii_xdigit_value(s[1]);
		if (lo < 0) {
			g_byte_array_unref(out);
			fail(error, source, "id-hex: not a hex byte at \"%.8s\"", s);
			return NULL;
		}
		c = (guint8)(hi << 4 | lo);
		g_byte_array_append(out, &c, 1);
		s += 2;
	}
	return g_byte_array_free_to_bytes(out);
}

GBytes *sim_build_raw_id(const char *text, size_t text_len, const char *length_form, GError **error)
{
	guint64 len;
	guint8 hdr[2];
	GByteArray *out;

	if (!length_form || g_str_equal(length_form, "big-endian") || g_str_equal(length_form, "little-endian"))
		len = text_len + 2;
	else if (g_str_equal(length_form, "exclusive"))
		len = text_len;
	else if (g_str_equal(length_form, "zero"))
		len = 0;
	else {
		char *end;

		errno = 0;
		len = g_ascii_strtoull(length_form, &end, 0);
		if (errno || end == length_form || *end) {
			fail(error, "id-length", "\"%s\" is not big-endian, little-endian, exclusive, zero or a number",
			     length_form);
			return NULL;
		}
	}
	if (len > 0xffff) {
		fail(error, "id-length", "%" G_GUINT64_FORMAT " does not fit in two bytes", len);
		return NULL;
	}
	if (length_form && g_str_equal(length_form, "little-endian")) {
		hdr[0] = (guint8)(len & 0xff);
		hdr[1] = (guint8)(len >> 8);
	} else {
		hdr[0] = (guint8)(len >> 8);
		hdr[1] = (guint8)(len & 0xff);
	}
	out = g_byte_array_sized_new((guint)text_len + 2);
	g_byte_array_append(out, hdr, 2);
	g_byte_array_append(out, (const guint8 *)text, (guint)text_len);
	return g_byte_array_free_to_bytes(out);
}

/* --------------------------------------------------------------------------
 * What the kernel caches at boot (drivers/parport/probe.c and procfs.c)
 * -------------------------------------------------------------------------- */

/* A device-ID stream as the kernel's parport_read() sees it. */
struct id_stream {
	const guint8 *data;
	size_t len, pos;
	bool endless;
};

static size_t id_read(struct id_stream *s, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n && (s->pos < s->len || s->endless)) {
		buf[got++] = s->pos < s->len ? (char)s->data[s->pos] : (char)0xff;
		s->pos++;
	}
	return got;
}

static bool id_more(const struct id_stream *s)
{
	return s->endless || s->pos < s->len;
}

/* The kernel's tolerant reader: tries both byte orders and "exclusive" lengths. */
static size_t kernel_read_device_id(struct id_stream *s, char *buffer, size_t count)
{
	guint8 length[2];
	unsigned belen, lelen, numidlens, cur;
	size_t idlens[4], len = 2;

	if (id_read(s, (char *)length, 2) != 2)
		return 0;
	memcpy(buffer, length, 2);
	belen = (unsigned)(length[0] << 8) + length[1];
	lelen = (unsigned)(length[1] << 8) + length[0];
	idlens[0] = MIN(belen, lelen);
	idlens[1] = idlens[0] + 2;
	if (belen != lelen) {
		int off = idlens[0] <= 2 ? 0 : 2;

		idlens[off] = MAX(belen, lelen);
		idlens[off + 1] = idlens[off] + 2;
		numidlens = (unsigned)off + 2;
	} else {
		if (idlens[0] == 0 || idlens[0] > 0xfff)
			return 0;  /* "reported broken Device ID length" */
		numidlens = 2;
	}

	for (cur = 0; cur < numidlens; cur++) {
		size_t idlen = idlens[cur];

		if (idlen + 1 >= count)
			break;
		if (idlen > len)
			len += id_read(s, buffer + len, idlen - len);
		if (!id_more(s))
			goto done;
		if (buffer[len - 1] == ';')
			goto done;
	}
	if (cur < numidlens && len + 1 < count)
		len += id_read(s, buffer + len, count - len - 1);
done:
	buffer[len] = '\0';
	return len;
}

char *sim_autoprobe_text(GBytes *raw_id)
{
	static const char *const keys[][2] = {
		{ "CLS", "CLASS" }, { "MDL", "MODEL" }, { "MFG", "MANUFACTURER" },
		{ "DES", "DESCRIPTION" }, { "CMD", "COMMAND SET" },
	};
	char *found[G_N_ELEMENTS(keys)] = { NULL };
	struct id_stream s = { 0 };
	char buffer[1024];
	GString *out;
	char *p;

	if (!raw_id)
		return g_strdup("");
	s.data = g_bytes_get_data(raw_id, &s.len);
	if (kernel_read_device_id(&s, buffer, sizeof buffer) <= 2)
		return g_strdup("");

	/* probe.c parse_data(): split at ';', upper-case keys, trim trailing blanks. */
	p = buffer + 2;
	while (p) {
		char *q = strchr(p, ';'), *sep;

		if (q)
			*q = '\0';
		sep = strchr(p, ':');
		if (sep) {
			char *u;

			*sep++ = '\0';
			u = sep + strlen(sep);
			while (u > sep && u[-1] == ' ')
				*--u = '\0';
			for (u = p; *u; u++)
				*u = g_ascii_toupper(*u);
			for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
				if (g_str_equal(p, keys[k][0]) || g_str_equal(p, keys[k][1])) {
					g_free(found[k]);
					found[k] = g_strdup(sep);
				}
		}
		p = q ? q + 1 : NULL;
	}

	out = g_string_new(NULL);
	for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
		if (found[k])
			g_string_append_printf(out, "%s:%s;\n", keys[k][1], found[k]);
		g_free(found[k]);
	}
	return g_string_free(out, FALSE);
}

/* --------------------------------------------------------------------------
 * Key file parsing
 * -------------------------------------------------------------------------- */

struct parser {
	GKeyFile *kf;
	const char *source;
	GError **error;
};

static bool check_keys(struct parser *ps, const char *group, const char *const *allowed)
{
	g_auto(GStrv) keys = g_key_file_get_keys(ps->kf, group, NULL, NULL);

	for (char **k = keys; k && *k; k++)
		if (!g_strv_contains(allowed, *k))
			return fail(ps->error, ps->source, "[%s]: unknown key \"%s\"", group, *k);
	return true;
}

static bool get_bool(struct parser *ps, const char *group, const char *key, bool dflt, bool *out)
{
	GError *err = NULL;
	gboolean v;

	if (!g_key_file_has_key(ps->kf, group, key, NULL)) {
		*out = dflt;
		return true;
	}
	v = g_key_file_get_boolean(ps->kf, group, key, &err);
	if (err) {
		g_error_free(err);
		return fail(ps->error, ps->source, "[%s] %s: expected true or false", group, key);
	}
	*out = v;
	return true;
}

static bool get_u64(struct parser *ps, const char *group, const char *key, guint64 dflt, guint64 max,
		    guint64 *out)
{
	g_autofree char *v = NULL;
	char *end;

	if (!g_key_file_has_key(ps->kf, group, key, NULL)) {
		*out = dflt;
		return true;
	}
	v = g_key_file_get_value(ps->kf, group, key, NULL);
	g_strstrip(v);
	errno = 0;
	*out = g_ascii_strtoull(v, &end, 0);
	if (errno || end == v || *end || *out > max)
		return fail(ps->error, ps->source, "[%s] %s: \"%s\" is not a number from 0 to %" G_GUINT64_FORMAT,
			    group, key, v, max);
	return true;
}

static bool get_mode_list(struct parser *ps, const char *group, const char *key, const char *dflt,
			  bool for_port, unsigned *out)
{
	g_auto(GStrv) list = NULL;

	if (g_key_file_has_key(ps->kf, group, key, NULL))
		list = g_key_file_get_string_list(ps->kf, group, key, NULL, NULL);
	else
		list = g_strsplit(dflt, ",", -1);

	*out = 0;
	for (char **m = list; m && *m; m++) {
		bool known = false;

		g_strstrip(*m);
		if (!**m)
			continue;
		if (for_port) {
			for (size_t i = 0; i < G_N_ELEMENTS(port_modes); i++)
				if (!g_ascii_strcasecmp(*m, port_modes[i].name)) {
					*out |= port_modes[i].bit;
					known = true;
				}
		} else {
			for (size_t i = 0; i < G_N_ELEMENTS(device_modes); i++)
				if (!g_ascii_strcasecmp(*m, device_modes[i].name)) {
					*out |= device_modes[i].bit;
					known = true;
				}
		}
		if (!known)
			return fail(ps->error, ps->source, "[%s] %s: unknown mode \"%s\"", group, key, *m);
	}
	return true;
}

/* An interrupt line or DMA channel of [port]: a number up to @max, or none (-1). */
static bool get_line(struct parser *ps, const char *key, int max, int dflt, int *out)
{
	g_autofree char *v = NULL;
	guint64 n;

	if (!g_key_file_has_key(ps->kf, "port", key, NULL)) {
		*out = dflt;
		return true;
	}
	v = g_key_file_get_value(ps->kf, "port", key, NULL);
	g_strstrip(v);
	if (g_str_equal(v, "none") || g_str_equal(v, "-1")) {
		*out = -1;
		return true;
	}
	if (!g_ascii_string_to_unsigned(v, 10, 0, (guint64)max, &n, NULL))
		return fail(ps->error, ps->source, "[port] %s: \"%s\" is not none or a number from 0 to %d", key, v,
			    max);
	*out = (int)n;
	return true;
}

static void device_model_free(struct sim_device_model *d)
{
	if (!d)
		return;
	g_free(d->group);
	g_clear_pointer(&d->raw_id, g_bytes_unref);
	g_free(d->id_text);
	g_free(d->pjl_info_id);
	g_clear_pointer(&d->reverse_data, g_bytes_unref);
	g_free(d);
}

static void fault_model_free(gpointer p)
{
	struct sim_fault_model *f = p;

	g_free(f->name);
	g_free(f->display);
	g_free(f);
}

void sim_model_free(struct sim_port_model *m)
{
	if (!m)
		return;
	g_free(m->source);
	device_model_free(m->end);
	for (unsigned i = 0; i < SIM_MAX_CHAIN; i++)
		device_model_free(m->chain[i]);
	if (m->faults)
		g_ptr_array_unref(m->faults);
	g_free(m);
}

/* The value of MDL (or MODEL) in an ID text, for the PJL INFO ID answer. */
static char *id_model(const char *text)
{
	g_auto(GStrv) pairs = g_strsplit(text, ";", -1);

	for (char **p = pairs; *p; p++) {
		char *colon = strchr(*p, ':');

		if (!colon)
			continue;
		*colon = '\0';
		g_strstrip(*p);
		if (!g_ascii_strcasecmp(*p, "MDL") || !g_ascii_strcasecmp(*p, "MODEL"))
			return g_strdup(colon + 1);
	}
	return NULL;
}

static struct sim_device_model *parse_device(struct parser *ps, const char *group)
{
	static const char *const allowed[] = {
		"id", "id-hex", "id-length", "id-endless", "autoprobe", "modes", "refuse", "pjl",
		"pjl-info-id", "state", "negotiation-delay-ms", "compat-rate", "nibble-rate", "byte-rate",
		"ecp-rate", "epp-rate", "reverse-garble", "reverse-truncate", "reverse-data", NULL
	};
	struct sim_device_model *d = g_new0(struct sim_device_model, 1);
	g_autofree char *id = NULL, *id_hex = NULL, *length = NULL, *state = NULL, *reverse = NULL;
	unsigned refuse;
	guint64 v;

	d->group = g_strdup(group);
	if (!check_keys(ps, group, allowed))
		goto err;

	id = g_key_file_get_value(ps->kf, group, "id", NULL);
	id_hex = g_key_file_get_value(ps->kf, group, "id-hex", NULL);
	length = g_key_file_get_value(ps->kf, group, "id-length", NULL);
	if (id_hex) {
		if (id || length) {
			fail(ps->error, ps->source, "[%s]: id-hex replaces id and id-length; give one or the other",
			     group);
			goto err;
		}
		d->raw_id = parse_hex(id_hex, ps->error, ps->source);
		if (!d->raw_id)
			goto err;
		if (g_bytes_get_size(d->raw_id) > 2) {
			gsize n;
			const char *raw = g_bytes_get_data(d->raw_id, &n);

			d->id_text = g_strndup(raw + 2, n - 2);
		} else {
			d->id_text = g_strdup("");
		}
	} else if (id) {
		g_autoptr(GBytes) text = unescape(g_strstrip(id), ps->error, ps->source, "id");
		gsize n;
		const char *t;

		if (!text)
			goto err;
		t = g_bytes_get_data(text, &n);
		/* An empty id= has no data (t is NULL): its text is "", as with id-hex. */
		d->id_text = n ? g_strndup(t, n) : g_strdup("");
		d->raw_id = sim_build_raw_id(t, n, length ? g_strstrip(length) : NULL, ps->error);
		if (!d->raw_id)
			goto err;
	} else if (length) {
		fail(ps->error, ps->source, "[%s]: id-length without id", group);
		goto err;
	}

	if (!get_bool(ps, group, "id-endless", false, &d->id_endless) ||
	    !get_bool(ps, group, "autoprobe", true, &d->autoprobe) ||
	    !get_bool(ps, group, "pjl", false, &d->pjl) ||
	    !get_mode_list(ps, group, "modes", "compat,nibble", false, &d->modes) ||
	    !get_mode_list(ps, group, "refuse", "", false, &refuse))
		goto err;

	/* Compatibility mode is how every printer takes data; it cannot be refused. */
	d->modes |= SIM_MODE_COMPAT;
	if (refuse & SIM_MODE_COMPAT) {
		fail(ps->error, ps->source, "[%s] refuse: compatibility mode cannot be refused", group);
		goto err;
	}
	d->modes &= ~refuse;
	if ((d->modes & ~SIM_MODE_COMPAT) && !(d->modes & SIM_MODE_NIBBLE)) {
		fail(ps->error, ps->source,
		     "[%s] modes: an IEEE 1284 device always accepts nibble mode; list nibble, or only compat "
		     "for a legacy Centronics device", group);
		goto err;
	}
	if ((d->modes & SIM_MODE_ECPRLE) && !(d->modes & SIM_MODE_ECP)) {
		fail(ps->error, ps->source, "[%s] modes: ecprle needs ecp", group);
		goto err;
	}

	d->pjl_info_id = g_key_file_get_string(ps->kf, group, "pjl-info-id", NULL);
	if (!d->pjl_info_id)
		d->pjl_info_id = d->id_text ? id_model(d->id_text) : NULL;
	if (!d->pjl_info_id)
		d->pjl_info_id = g_strdup("parclass-sim");

	state = g_key_file_get_string(ps->kf, group, "state", NULL);
	d->initial = state ? sim_condition_from_name(g_strstrip(state)) : SIM_COND_READY;
	if (d->initial < 0 || d->initial >= SIM_COND_COUNT) {
		fail(ps->error, ps->source, "[%s] state: unknown state \"%s\"", group, state);
		goto err;
	}

	if (!get_u64(ps, group, "negotiation-delay-ms", 0, 60000, &v))
		goto err;
	d->negotiation_delay_ms = (int)v;
	for (int r = 0; r < SIM_RATE_COUNT; r++)
		if (!get_u64(ps, group, rate_keys[r], 0, G_GUINT64_CONSTANT(1) << 40, &d->rate[r]))
			goto err;
	if (!get_u64(ps, group, "reverse-garble", 0, 1u << 30, &v))
		goto err;
	d->reverse_garble = (unsigned)v;
	if (!get_u64(ps, group, "reverse-truncate", 0, 1u << 30, &v))
		goto err;
	d->reverse_truncate = (unsigned)v;

	reverse = g_key_file_get_value(ps->kf, group, "reverse-data", NULL);
	if (reverse) {
		d->reverse_data = unescape(reverse, ps->error, ps->source, "reverse-data");
		if (!d->reverse_data)
			goto err;
	}
	return d;

err:
	device_model_free(d);
	return NULL;
}

static bool parse_fault(struct parser *ps, struct sim_port_model *m, const char *group)
{
	static const char *const allowed[] = {
		"device", "kind", "after-bytes", "after-ms", "on-signal", "duration-ms", "code", "display", "refuse",
		"negotiation-delay-ms", NULL
	};
	struct sim_fault_model *f = g_new0(struct sim_fault_model, 1);
	g_autofree char *target = NULL, *kind = NULL;
	guint64 v;

	g_ptr_array_add(m->faults, f);
	f->name = g_strdup(group + strlen("fault."));
	if (!check_keys(ps, group, allowed))
		return false;

	target = g_key_file_get_string(ps->kf, group, "device", NULL);
	if (!target || g_str_equal(g_strstrip(target), "device")) {
		f->target = -1;
	} else if (g_str_has_prefix(target, "daisy.") && strlen(target) == 7 && target[6] >= '0' &&
		   target[6] <= '3') {
		f->target = target[6] - '0';
	} else {
		return fail(ps->error, ps->source, "[%s] device: \"%s\" is not device or daisy.0 .. daisy.3",
			    group, target);
	}

	kind = g_key_file_get_string(ps->kf, group, "kind", NULL);
	if (!kind)
		return fail(ps->error, ps->source, "[%s]: kind is missing", group);
	f->kind = sim_condition_from_name(g_strstrip(kind));
	if (f->kind <= SIM_COND_READY)
		return fail(ps->error, ps->source, "[%s] kind: unknown fault \"%s\"", group, kind);

	if (!get_u64(ps, group, "after-bytes", 0, G_MAXINT64, &f->after_bytes) ||
	    !get_bool(ps, group, "on-signal", false, &f->on_signal))
		return false;
	if (g_key_file_has_key(ps->kf, group, "after-ms", NULL)) {
		if (!get_u64(ps, group, "after-ms", 0, G_MAXINT32, &v))
			return false;
		f->after_ms = (gint64)v;
	} else {
		f->after_ms = -1;
	}
	if (g_key_file_has_key(ps->kf, group, "duration-ms", NULL)) {
		if (!get_u64(ps, group, "duration-ms", 0, G_MAXINT32, &v))
			return false;
		f->duration_ms = (gint64)v;
	} else {
		f->duration_ms = -1;
	}
	if (f->kind == SIM_FAULT_PORT_ABSENT) {
		/* Active from the start: the port appears when it ends. */
		if (f->on_signal || f->after_ms >= 0 || g_key_file_has_key(ps->kf, group, "after-bytes", NULL))
			return fail(ps->error, ps->source,
				    "[%s]: kind=port-absent starts at once: no after-bytes, after-ms or on-signal",
				    group);
	} else if (!f->on_signal && f->after_ms < 0 && !g_key_file_has_key(ps->kf, group, "after-bytes", NULL)) {
		return fail(ps->error, ps->source, "[%s]: give after-bytes, after-ms or on-signal", group);
	}
	if (!get_u64(ps, group, "code", 0, 99999, &v))
		return false;
	f->pjl_code = (int)v;

	/* The link faults' own keys, each only with its kind. */
	if (g_key_file_has_key(ps->kf, group, "refuse", NULL) != (f->kind == SIM_FAULT_REFUSE))
		return fail(ps->error, ps->source, "[%s]: kind=refuse needs refuse=, and only it takes it", group);
	if (g_key_file_has_key(ps->kf, group, "negotiation-delay-ms", NULL) != (f->kind == SIM_FAULT_LATE))
		return fail(ps->error, ps->source,
			    "[%s]: kind=late needs negotiation-delay-ms=, and only it takes it", group);
	if (f->kind == SIM_FAULT_REFUSE) {
		if (!get_mode_list(ps, group, "refuse", "", false, &f->refuse))
			return false;
		if (!f->refuse || (f->refuse & SIM_MODE_COMPAT))
			return fail(ps->error, ps->source, "[%s] refuse: list the IEEE 1284 modes to refuse "
				    "(compatibility mode cannot be refused)", group);
	}
	if (f->kind == SIM_FAULT_LATE) {
		if (!get_u64(ps, group, "negotiation-delay-ms", 0, 60000, &v))
			return false;
		f->negotiation_delay_ms = (int)v;
	}
	f->display = g_key_file_get_string(ps->kf, group, "display", NULL);
	return true;
}

/* A '#' that follows white space starts a comment, also at the end of a line. */
static char *strip_comments(const char *data)
{
	GString *out = g_string_new(NULL);
	g_auto(GStrv) lines = g_strsplit(data, "\n", -1);

	for (char **l = lines; *l; l++) {
		char *line = *l;

		for (char *c = line; *c; c++)
			if (*c == '#' && (c == line || g_ascii_isspace(c[-1]))) {
				*c = '\0';
				break;
			}
		g_strchomp(line);
		g_string_append(out, line);
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

struct sim_port_model *sim_model_load_data(const char *data, const char *source, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree char *clean = strip_comments(data);
	g_auto(GStrv) groups = NULL;
	struct sim_port_model *m = g_new0(struct sim_port_model, 1);
	struct parser ps = { kf, source, error };
	GError *err = NULL;

	m->source = g_strdup(source);
	m->faults = g_ptr_array_new_with_free_func(fault_model_free);
	g_key_file_set_list_separator(kf, ',');
	if (!g_key_file_load_from_data(kf, clean, (gsize)-1, G_KEY_FILE_NONE, &err)) {
		fail(error, source, "%s", err->message);
		g_error_free(err);
		goto err;
	}

	if (g_key_file_has_group(kf, "port")) {
		static const char *const allowed[] = { "modes", "lp-driver", "daisy-assigned", "irq", "dma", NULL };

		if (!check_keys(&ps, "port", allowed))
			goto err;
	}
	if (!get_mode_list(&ps, "port", "modes", "pcspp,tristate,ecp", true, &m->hw_modes) ||
	    !get_bool(&ps, "port", "lp-driver", false, &m->lp_driver) ||
	    !get_bool(&ps, "port", "daisy-assigned", true, &m->chain_assigned) ||
	    !get_line(&ps, "irq", 255, SIM_PORT_DEFAULT, &m->irq) || !get_line(&ps, "dma", 7, -1, &m->dma))
		goto err;

	groups = g_key_file_get_groups(kf, NULL);
	for (char **g = groups; *g; g++) {
		if (g_str_equal(*g, "port"))
			continue;
		if (g_str_equal(*g, "device")) {
			m->end = parse_device(&ps, *g);
			if (!m->end)
				goto err;
		} else if (g_str_has_prefix(*g, "daisy.") && strlen(*g) == 7 && (*g)[6] >= '0' && (*g)[6] <= '3') {
			unsigned pos = (unsigned)((*g)[6] - '0');

			m->chain[pos] = parse_device(&ps, *g);
			if (!m->chain[pos])
				goto err;
		} else if (g_str_has_prefix(*g, "fault.") && (*g)[6]) {
			if (!parse_fault(&ps, m, *g))
				goto err;
		} else {
			fail(error, source, "unknown group [%s]", *g);
			goto err;
		}
	}

	/* Chain positions are the order of the cable: no gaps. */
	for (unsigned i = 0; i < SIM_MAX_CHAIN; i++) {
		if (m->chain[i]) {
			if (i != m->n_chain) {
				fail(error, source, "[daisy.%u] without [daisy.%u]: chain positions start at 0 with no gaps",
				     i, m->n_chain);
				goto err;
			}
			m->n_chain++;
		}
	}
	for (unsigned i = 0; i < m->faults->len; i++) {
		struct sim_fault_model *f = g_ptr_array_index(m->faults, i);

		if ((f->target < 0 && !m->end && f->kind != SIM_FAULT_PORT_GONE && f->kind != SIM_FAULT_PORT_ABSENT) ||
		    (f->target >= 0 && (unsigned)f->target >= m->n_chain)) {
			fail(error, source, "[fault.%s]: its device is not in the model", f->name);
			goto err;
		}
	}
	return m;

err:
	sim_model_free(m);
	return NULL;
}

struct sim_port_model *sim_model_load_file(const char *path, GError **error)
{
	g_autofree char *data = NULL;

	if (!g_file_get_contents(path, &data, NULL, error))
		return NULL;
	return sim_model_load_data(data, path, error);
}
