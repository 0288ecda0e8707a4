/*
 * options.c - the parclass: device URI and its options
 *
 *   parclass:/dev/parportN[?name=value[&name=value]...]
 *
 * Pure parsing: nothing here touches a port. The options are documented in
 * doc/parclass.8.
 */
#include "config.h"

#include <cups/cups.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "common/uri.h"

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* yes/no in the spellings CUPS accepts for booleans. @return 1, 0, -1 */
static int parse_bool(const char *s)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcasecmp(s, "on"))
		return 1;
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcasecmp(s, "off"))
		return 0;
	return -1;
}

/* Numbers of the URI's options (doc/parclass.8 gives them too). */
#define DAISY_BEHIND_CHAIN 4          /* daisy=4: the end-of-chain device behind a chain */
#define CHANNEL_MAX 127               /* ECP channel addresses are 7 bits */
#define POLL_MIN_MS 50
#define POLL_MAX_MS 60000
#define POLL_DEFAULT_MS 1000
#define SHARE_MAX_MS 3600000
#define SHARE_DEFAULT_MS 2000         /* also what share=yes means */
#define TIMEOUT_MAX_S 86400           /* a day, for every timeout given in seconds */
#define TIMEOUT_DEFAULT_MS (300 * BK_MS_PER_S)

static void defaults(struct bk_options *o)
{
	memset(o, 0, sizeof *o);
	o->address = PARCLASS_ADDRESS_END;
	o->write_mask = PARCLASS_MODES_PRINTER_WRITE;
	o->read_mask = PARCLASS_MODES_PRINTER_READ;
	o->channel = -1;
	o->poll_ms = POLL_DEFAULT_MS;
	o->share_ms = SHARE_DEFAULT_MS;
	o->waitjob = BK_WAITJOB_AUTO;
	o->waitjob_timeout_ms = TIMEOUT_DEFAULT_MS;
	o->lock_timeout_ms = TIMEOUT_DEFAULT_MS;
	o->stall_timeout_ms = TIMEOUT_DEFAULT_MS;
}

struct option;
/* Read @value into @o. @return false when it is not a value of the option */
typedef bool option_parser(struct bk_options *o, const struct option *opt, const char *value);

struct option {
	const char *name;
	option_parser *parse;
	size_t field;      /* offsetof(struct bk_options, the int it sets), for parse_number() and its kin */
	long min, max;     /* the range of a number */
	int scale;         /* what one unit of the number is in the field (ms per s) */
};

static int *int_field(struct bk_options *o, const struct option *opt)
{
	return (int *)(void *)((char *)o + opt->field);
}

/* A number in the option's range, times its scale. */
static bool parse_number(struct bk_options *o, const struct option *opt, const char *value)
{
	long v;

	if (!parse_long(value, opt->min, opt->max, &v))
		return false;
	*int_field(o, opt) = (int)v * opt->scale;
	return true;
}

/* "none" (-1) or a number. */
static bool parse_number_or_none(struct bk_options *o, const struct option *opt, const char *value)
{
	if (strcasecmp(value, "none"))
		return parse_number(o, opt, value);
	*int_field(o, opt) = -1;
	return true;
}

/* share=: no (-1, never), yes (the default interval) or milliseconds. */
static bool parse_share(struct bk_options *o, const struct option *opt, const char *value)
{
	int b = parse_bool(value);

	if (b < 0)
		return parse_number(o, opt, value);
	*int_field(o, opt) = b ? SHARE_DEFAULT_MS : -1;
	return true;
}

static bool parse_daisy(struct bk_options *o, const struct option *opt, const char *value)
{
	long v;

	if (!parse_long(value, opt->min, opt->max, &v))
		return false;
	o->behind_chain = v == DAISY_BEHIND_CHAIN;
	o->address = o->behind_chain ? PARCLASS_ADDRESS_END : (int)v;
	return true;
}

/* A word of mode= or reverse=: auto, none, or a mode of parclass_mode_from_name(), which is forced. */
struct mode_word {
	const char *word;
	unsigned mask;     /* for auto and none */
	bool forced;       /* the mode the word names, and no other */
};

static const struct mode_word write_words[] = {
	{ "auto", PARCLASS_MODES_PRINTER_WRITE, false },
	{ "ecp", 0, true },
	{ "compat", 0, true },
};

static const struct mode_word read_words[] = {
	{ "auto", PARCLASS_MODES_PRINTER_READ, false },
	{ "none", 0, false },
	{ "ecp", 0, true },
	{ "byte", 0, true },
	{ "nibble", 0, true },
};

static bool parse_mode_word(const char *value, const struct mode_word *words, size_t n, unsigned *mask, bool *forced)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(value, words[i].word))
			continue;
		*mask = words[i].forced ? parclass_mode_from_name(value) : words[i].mask;
		*forced = words[i].forced;
		return true;
	}
	return false;
}

static bool parse_mode(struct bk_options *o, const struct option *opt, const char *value)
{
	(void)opt;
	return parse_mode_word(value, write_words, sizeof write_words / sizeof write_words[0], &o->write_mask,
			       &o->write_forced);
}

static bool parse_reverse(struct bk_options *o, const struct option *opt, const char *value)
{
	(void)opt;
	return parse_mode_word(value, read_words, sizeof read_words / sizeof read_words[0], &o->read_mask,
			       &o->read_forced);
}

static bool parse_waitjob(struct bk_options *o, const struct option *opt, const char *value)
{
	int b = parse_bool(value);

	(void)opt;
	if (!strcasecmp(value, "auto"))
		o->waitjob = BK_WAITJOB_AUTO;
	else if (b >= 0)
		o->waitjob = b ? BK_WAITJOB_YES : BK_WAITJOB_NO;
	else
		return false;
	return true;
}

static bool parse_reset(struct bk_options *o, const struct option *opt, const char *value)
{
	int b = parse_bool(value);

	(void)opt;
	if (b < 0)
		return false;
	o->reset_on_cancel = b;
	return true;
}

#define FIELD(f) offsetof(struct bk_options, f)

static const struct option table[] = {
	{ "daisy", parse_daisy, 0, 0, DAISY_BEHIND_CHAIN, 1 },
	{ "mode", parse_mode, 0, 0, 0, 1 },
	{ "reverse", parse_reverse, 0, 0, 0, 1 },
	{ "channel", parse_number_or_none, FIELD(channel), 0, CHANNEL_MAX, 1 },
	{ "poll", parse_number, FIELD(poll_ms), POLL_MIN_MS, POLL_MAX_MS, 1 },
	{ "share", parse_share, FIELD(share_ms), 0, SHARE_MAX_MS, 1 },
	{ "waitjob", parse_waitjob, 0, 0, 0, 1 },
	{ "waitjob-timeout", parse_number, FIELD(waitjob_timeout_ms), 1, TIMEOUT_MAX_S, BK_MS_PER_S },
	{ "reset", parse_reset, 0, 0, 0, 1 },
	{ "lock-timeout", parse_number, FIELD(lock_timeout_ms), 0, TIMEOUT_MAX_S, BK_MS_PER_S },
	{ "stall-timeout", parse_number, FIELD(stall_timeout_ms), 0, TIMEOUT_MAX_S, BK_MS_PER_S },
};

/* One name=value; false with @error set when the value is wrong. */
static bool apply(struct bk_options *o, const char *name, const char *value, char *error, size_t elen,
		  char *warning, size_t wlen)
{
	size_t used;

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcasecmp(name, table[i].name))
			continue;
		if (table[i].parse(o, &table[i], value))
			return true;
		say(error, elen, "Bad value \"%s\" for option %s in the device URI", value, name);
		return false;
	}
	used = strlen(warning);
	say(warning + used, wlen - used, "%s%s", used ? ", " : "", name);
	return true;
}

int bk_options_parse(const char *uri, struct bk_options *o, char *error, size_t elen, char *warning, size_t wlen)
{
	char scheme[32], user[64], host[256], resource[1024], *query, *rest;
	cups_option_t *options = NULL;
	int num, port;
	long n;
	bool ok = true;

	defaults(o);
	*error = '\0';
	*warning = '\0';
	if (httpSeparateURI(HTTP_URI_CODING_ALL, uri, scheme, sizeof scheme, user, sizeof user, host, sizeof host, &port,
			    resource, sizeof resource) < HTTP_URI_STATUS_OK ||
	    strcmp(scheme, "parclass") || *host || *user) {
		say(error, elen, "Bad device URI \"%s\": expected parclass:/dev/parportN[?options]", uri);
		return -EINVAL;
	}
	query = strchr(resource, '?');
	if (query)
		*query++ = '\0';
	if (strncmp(resource, "/dev/parport", 12) || !parse_long(resource + 12, 0, INT_MAX, &n) ||
	    resource[12] == '+' || resource[12] == '-') {
		say(error, elen, "Bad device URI \"%s\": expected parclass:/dev/parportN[?options]", uri);
		return -EINVAL;
	}
	o->port = (int)n;

	if (query && *query) {
		/* name=value&name=value: cupsParseOptions reads them space-separated. */
		for (rest = query; *rest; rest++)
			if (*rest == '&')
				*rest = ' ';
		num = cupsParseOptions(query, 0, &options);
		for (int i = 0; i < num && ok; i++)
			ok = apply(o, options[i].name, options[i].value, error, elen, warning, wlen);
		cupsFreeOptions(num, options);
		if (!ok)
			return -EINVAL;
	}

	if (o->port > PARCLASS_PORT_MAX) {
		say(error, elen, "Bad device URI \"%s\": there is no parport%d", uri, o->port);
		return -EINVAL;
	}
	device_uri(o->location, sizeof o->location, o->port, o->address, o->behind_chain);
	return 0;
}
