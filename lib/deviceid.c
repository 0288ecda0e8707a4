/*
 * deviceid.c - the one IEEE 1284 device ID parser, and reading a fresh ID
 *
 * Devices in the field send little-endian lengths, lengths that exclude the
 * two length bytes, no final ';', or a constant nibble forever; the parser
 * tolerates the first three, bounds everything and refuses control
 * characters; what it hands on is printable UTF-8. Pure string handling, except pc_read_fresh_id() which talks
 * to the device through the hardware operations.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parclass-private.h"

struct pair {
	char *key;
	char *value;
};

struct parclass_device_id {
	char *text;
	struct pair *pairs;
	size_t n;
	char *make_and_model;
};

static const char *const aliases[][4] = {
	{ "MFG", "MANUFACTURER", NULL },
	{ "MDL", "MODEL", NULL },
	{ "CMD", "COMMAND SET", NULL },
	{ "CLS", "CLASS", NULL },
	{ "DES", "DESCRIPTION", NULL },
	{ "SN", "SERN", "SERIALNUMBER", NULL },
};

_public_ void parclass_device_id_free(parclass_device_id *id)
{
	if (!id)
		return;
	for (size_t i = 0; i < id->n; i++) {
		free(id->pairs[i].key);
		free(id->pairs[i].value);
	}
	free(id->pairs);
	free(id->text);
	free(id->make_and_model);
	free(id);
}

static char *strndup_trim(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

/* Does @key name the same field as @want (case, aliases)? */
static bool same_key(const char *key, const char *want)
{
	if (!strcasecmp(key, want))
		return true;
	for (size_t g = 0; g < sizeof aliases / sizeof aliases[0]; g++) {
		bool has_key = false, has_want = false;

		for (size_t k = 0; aliases[g][k]; k++) {
			has_key |= !strcasecmp(key, aliases[g][k]);
			has_want |= !strcasecmp(want, aliases[g][k]);
		}
		if (has_key && has_want)
			return true;
	}
	return false;
}

_public_ const char *parclass_device_id_get(const parclass_device_id *id, const char *key)
{
	const char *found = NULL;

	if (!id || !key)
		return NULL;
	/* Like the kernel, the last of repeated keys wins. */
	for (size_t i = 0; i < id->n; i++)
		if (same_key(id->pairs[i].key, key))
			found = id->pairs[i].value;
	return found;
}

_public_ const char *parclass_device_id_text(const parclass_device_id *id)
{
	return id ? id->text : NULL;
}

_public_ const char *parclass_device_id_make_and_model(const parclass_device_id *id)
{
	return id ? id->make_and_model : "Unknown";
}

/* CUPS-style "Make Model": no repeated manufacturer, "HP" for Hewlett-Packard. */
static char *make_and_model(const parclass_device_id *id)
{
	const char *mfg = parclass_device_id_get(id, "MFG");
	const char *mdl = parclass_device_id_get(id, "MDL");
	const char *des = parclass_device_id_get(id, "DES");
	char *out;
	size_t n;

	if (mfg && (!strcasecmp(mfg, "Hewlett-Packard") || !strcasecmp(mfg, "Hewlett Packard")))
		mfg = "HP";
	if (mdl && *mdl) {
		if (!mfg || !*mfg)
			return strdup(mdl);
		n = strlen(mfg);
		if (!strncasecmp(mdl, mfg, n) && (mdl[n] == ' ' || mdl[n] == '\0'))
			return strdup(mdl);
		if (!strncasecmp(mdl, "Hewlett-Packard ", 16))
			return strdup(mdl);
		out = malloc(strlen(mfg) + strlen(mdl) + 2);
		if (out)
			sprintf(out, "%s %s", mfg, mdl);
		return out;
	}
	if (des && *des)
		return strdup(des);
	if (mfg && *mfg)
		return strdup(mfg);
	return strdup("Unknown");
}

/* Controls, and the characters that change how the text around them shows:
 * Unicode's format characters (Cf) and its line and paragraph separators. */
static bool hidden(unsigned cp)
{
	static const unsigned ranges[][2] = {
		{ 0x0080, 0x009f }, { 0x00ad, 0x00ad }, { 0x0600, 0x0605 }, { 0x061c, 0x061c },
		{ 0x06dd, 0x06dd }, { 0x070f, 0x070f }, { 0x0890, 0x0891 }, { 0x08e2, 0x08e2 },
		{ 0x180e, 0x180e }, { 0x200b, 0x200f }, { 0x2028, 0x202e }, { 0x2060, 0x2064 },
		{ 0x2066, 0x206f }, { 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd },
		{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
		{ 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
	};

	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/*
 * The parsed ID is text for CUPS, which wants UTF-8, and for people. The
 * standard says ASCII; what else a device sends is kept when it is valid
 * UTF-8 and shows as itself. Every byte that is not part of a valid UTF-8
 * sequence (ISO 8859-1 text, say) becomes '?', and so does every character
 * that is a control or changes how the text around it shows. In place: the
 * text only gets shorter.
 */
static void make_printable(char *s)
{
	unsigned char *in = (unsigned char *)s, *out = in;

	while (*in) {
		unsigned c = *in, cp, n;
		size_t k;

		if (c < 0x80) {
			*out++ = *in++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			n = 0, cp = 0;
		for (k = 1; n && k <= n && (in[k] & 0xc0) == 0x80; k++)
			cp = cp << 6 | (in[k] & 0x3f);
		if (!n || k <= n || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			*out++ = '?';   /* not UTF-8: this byte, and look at the next one afresh */
			in++;
			continue;
		}
		if (hidden(cp)) {
			*out++ = '?';
			in += n + 1;
			continue;
		}
		for (k = 0; k <= n; k++)
			*out++ = *in++;
	}
	*out = '\0';
}

_public_ int parclass_device_id_parse(const char *text, parclass_device_id **out)
{
	parclass_device_id *id;
	size_t len, cap = 8, tlen = 0;
	const char *p;
	char *clean;

	assert_return(text && out, -EINVAL);
	len = strlen(text);
	if (len == 0 || len > PC_ID_MAX)
		return -EINVAL;
	for (p = text; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\r')
			return -EINVAL;
		else if ((unsigned char)*p == 0x7f)
			return -EINVAL;

	clean = strdup(text);
	id = calloc(1, sizeof *id);
	if (!clean || !id) {
		free(clean);
		free(id);
		return -ENOMEM;
	}
	make_printable(clean);
	id->pairs = calloc(cap, sizeof *id->pairs);
	id->text = malloc(len + 2);
	if (!id->pairs || !id->text)
		goto nomem;
	id->text[0] = '\0';

	for (p = clean; *p;) {
		const char *end = strchr(p, ';'), *colon;
		size_t seg;
		char *key, *value;

		seg = end ? (size_t)(end - p) : strlen(p);
		/* Line ends of the kernel's cached form separate pairs too. */
		while (seg && (*p == '\n' || *p == '\r'))
			p++, seg--;
		colon = memchr(p, ':', seg);
		if (colon) {
			key = strndup_trim(p, (size_t)(colon - p));
			value = strndup_trim(colon + 1, seg - (size_t)(colon - p) - 1);
			if (!key || !value) {
				free(key);
				free(value);
				goto nomem;
			}
			if (!*key || strpbrk(value, "\r\n") || strpbrk(key, "\r\n")) {
				free(key);
				free(value);
			} else {
				if (id->n == cap) {
					struct pair *more = realloc(id->pairs, 2 * cap * sizeof *more);

					if (!more) {
						free(key);
						free(value);
						goto nomem;
					}
					id->pairs = more;
					cap *= 2;
				}
				id->pairs[id->n].key = key;
				id->pairs[id->n].value = value;
				id->n++;
				tlen += (size_t)sprintf(id->text + tlen, "%s:%s;", key, value);
			}
		}
		p += seg;
		if (*p == ';')
			p++;
	}
	free(clean);
	/* The bound holds for the normalised text too (a missing final ';' adds
	 * one byte), so that what parclass_device_id_text() gives parses again. */
	if (id->n == 0 || tlen > PC_ID_MAX) {
		parclass_device_id_free(id);
		return -EINVAL;
	}
	id->make_and_model = make_and_model(id);
	if (!id->make_and_model) {
		parclass_device_id_free(id);
		return -ENOMEM;
	}
	*out = id;
	return 0;

nomem:
	free(clean);
	parclass_device_id_free(id);
	return -ENOMEM;
}

/*
 * How long is the text of a raw ID? The two length bytes may be big- or
 * little-endian and may or may not count themselves; believe the reading
 * that ends the text at a ';' or at the end of what was received.
 */
int pc_device_id_text_length(const uint8_t *raw, size_t len)
{
	unsigned be, le;
	long cand[4];
	size_t avail;

	if (len < 2)
		return -EINVAL;
	avail = len - 2;
	be = (unsigned)raw[0] << 8 | raw[1];
	le = (unsigned)raw[1] << 8 | raw[0];
	cand[0] = (long)be - 2;
	cand[1] = be;
	cand[2] = (long)le - 2;
	cand[3] = le;
	bool beyond = avail && ((be > avail + 2 && be <= PC_ID_MAX + 2) || (le > avail + 2 && le <= PC_ID_MAX + 2));

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 4; i++) {
			long c = cand[i];

			if (c < 1 || c > PC_ID_MAX || (size_t)c > avail)
				continue;
			/* First pass: a length that ends at a ';' (or the end of the data). */
			if (pass == 1 || raw[2 + c - 1] == ';' || (size_t)c == avail)
				return (int)c;
		}
		/* A length beyond what came, and what came ends at a ';': the device
		 * ended its ID there, and a shorter reading would cut a value. */
		if (pass == 0 && beyond && avail <= PC_ID_MAX && raw[2 + avail - 1] == ';')
			return (int)avail;
	}
	/* Lengths beyond what came: take what came, if either order was plausible. */
	if (avail && ((be > 2 && be <= PC_ID_MAX + 2) || (le > 2 && le <= PC_ID_MAX + 2)))
		return (int)(avail > PC_ID_MAX ? PC_ID_MAX : avail);
	return -EINVAL;
}

_public_ int parclass_device_id_parse_raw(const void *raw, size_t len, parclass_device_id **out)
{
	int n = pc_device_id_text_length(raw, len);
	char *text;
	int r;

	assert_return(raw && out, -EINVAL);
	if (n < 0)
		return n;
	text = strndup((const char *)raw + 2, (size_t)n);
	if (!text)
		return -ENOMEM;
	if (strlen(text) != (size_t)n) {
		free(text);
		return -EINVAL;  /* a NUL inside is a control character too */
	}
	r = parclass_device_id_parse(text, out);
	free(text);
	return r;
}

/* ---- reading a fresh ID from the device ---- */

#define ID_QUIET_MS 20   /* nothing more for this long after the text: it has ended */

/*
 * Read into @buf until @want bytes, the device has nothing more, or
 * @deadline. The first bytes (@first) are waited for; after that "no data"
 * (the device's nDataAvail) ends the read, unless nothing came at all, when a
 * slow device gets ID_QUIET_MS more.
 */
static size_t read_some(const struct pc_port_ops *ops, struct pc_hw *hw, uint8_t *buf, size_t want,
			int64_t deadline, bool first)
{
	size_t got = 0;
	int64_t quiet_until = pc_now_ms() + ID_QUIET_MS;

	while (got < want) {
		ssize_t r = ops->read(hw, PC_XFER_NIBBLE, buf + got, want - got);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r < 0 && r != -EAGAIN)
			break;
		if (got && !first)
			break;
		if (pc_now_ms() >= deadline || (!first && pc_now_ms() >= quiet_until))
			break;
		pc_sleep_ms(2);
	}
	return got;
}

int pc_read_fresh_id(parclass_context *ctx, const struct pc_port_ops *ops, struct pc_hw *hw, int64_t deadline,
		     char **raw_out, size_t *len_out)
{
	uint8_t *buf;
	size_t got, limit;
	unsigned be, le;
	int r;

	ops->terminate(hw);
	r = ops->negotiate(hw, PC_M_NIBBLE | PC_M_DEVICEID);
	if (r < 0) {
		pc_dbg(ctx, "device ID negotiation: %s", parclass_strerror(r));
		ops->terminate(hw);
		return r == -ENXIO ? -ENOENT : -ENXIO;
	}
	/* Two length bytes and up to PC_ID_MAX + 2 read after them (the limit below). */
	buf = malloc(PC_ID_RAW_MAX);
	if (!buf) {
		ops->terminate(hw);
		return -ENOMEM;
	}
	got = read_some(ops, hw, buf, 2, deadline, true);
	if (got < 2) {
		ops->terminate(hw);
		free(buf);
		return got ? -EPROTO : -ETIMEDOUT;
	}
	/* Read as far as the longest plausible length; a device that keeps
	 * sending stops there, one that ends early ends the read early. */
	be = (unsigned)buf[0] << 8 | buf[1];
	le = (unsigned)buf[1] << 8 | buf[0];
	limit = 0;
	if (be && be <= PC_ID_MAX + 2)
		limit = be;
	if (le && le <= PC_ID_MAX + 2 && le > limit)
		limit = le;
	if (!limit) {
		pc_dbg(ctx, "device ID length %02x %02x is impossible in both byte orders", buf[0], buf[1]);
		ops->terminate(hw);
		free(buf);
		return -EPROTO;
	}
	got += read_some(ops, hw, buf + 2, limit, deadline, false);
	ops->terminate(hw);
	if (pc_device_id_text_length(buf, got) < 0) {
		free(buf);
		return -EPROTO;
	}
	*raw_out = (char *)buf;
	*len_out = got;
	return 0;
}
