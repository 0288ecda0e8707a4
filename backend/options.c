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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

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

static void defaults(struct bk_options *o)
{
	memset(o, 0, sizeof *o);
	o->address = PARCLASS_ADDRESS_END;
	o->write_mask = PARCLASS_MODES_PRINTER_WRITE;
	o->read_mask = PARCLASS_MODES_PRINTER_READ;
	o->channel = -1;
	o->poll_ms = 1000;
	o->share_ms = 2000;
	o->waitjob = BK_WAITJOB_AUTO;
	o->waitjob_timeout_ms = 300 * 1000;
	o->lock_timeout_ms = 300 * 1000;
	o->stall_timeout_ms = 300 * 1000;
}

/* One name=value; false with @error set when the value is wrong. */
static bool apply(struct bk_options *o, const char *name, const char *value, char *error, size_t elen,
		  char *warning, size_t wlen)
{
	long v;
	int b;

	if (!strcasecmp(name, "daisy")) {
		if (!parse_long(value, 0, 4, &v))
			goto bad;
		o->address = v == 4 ? PARCLASS_ADDRESS_END : (int)v;
		o->behind_chain = v == 4;
	} else if (!strcasecmp(name, "mode")) {
		if (!strcasecmp(value, "auto")) {
			o->write_mask = PARCLASS_MODES_PRINTER_WRITE;
			o->write_forced = false;
		} else if (!strcasecmp(value, "ecp")) {
			o->write_mask = parclass_mode_from_name("ecp");
			o->write_forced = true;
		} else if (!strcasecmp(value, "compat")) {
			o->write_mask = parclass_mode_from_name("compat");
			o->write_forced = true;
		} else {
			goto bad;
		}
	} else if (!strcasecmp(name, "reverse")) {
		if (!strcasecmp(value, "auto")) {
			o->read_mask = PARCLASS_MODES_PRINTER_READ;
			o->read_forced = false;
		} else if (!strcasecmp(value, "none")) {
			o->read_mask = 0;
			o->read_forced = false;
		} else if (!strcasecmp(value, "ecp") || !strcasecmp(value, "byte") || !strcasecmp(value, "nibble")) {
			o->read_mask = parclass_mode_from_name(value);
			o->read_forced = true;
		} else {
			goto bad;
		}
	} else if (!strcasecmp(name, "channel")) {
		if (!strcasecmp(value, "none"))
			o->channel = -1;
		else if (parse_long(value, 0, 127, &v))
			o->channel = (int)v;
		else
			goto bad;
	} else if (!strcasecmp(name, "poll")) {
		if (!parse_long(value, 50, 60000, &v))
			goto bad;
		o->poll_ms = (int)v;
	} else if (!strcasecmp(name, "share")) {
		b = parse_bool(value);
		if (b == 0)
			o->share_ms = -1;
		else if (b == 1)
			o->share_ms = 2000;
		else if (parse_long(value, 0, 3600000, &v))
			o->share_ms = (int)v;
		else
			goto bad;
	} else if (!strcasecmp(name, "waitjob")) {
		b = parse_bool(value);
		if (!strcasecmp(value, "auto"))
			o->waitjob = BK_WAITJOB_AUTO;
		else if (b >= 0)
			o->waitjob = b ? BK_WAITJOB_YES : BK_WAITJOB_NO;
		else
			goto bad;
	} else if (!strcasecmp(name, "waitjob-timeout")) {
		if (!parse_long(value, 1, 86400, &v))
			goto bad;
		o->waitjob_timeout_ms = (int)v * 1000;
	} else if (!strcasecmp(name, "reset")) {
		b = parse_bool(value);
		if (b < 0)
			goto bad;
		o->reset_on_cancel = b;
	} else if (!strcasecmp(name, "lock-timeout")) {
		if (!parse_long(value, 0, 86400, &v))
			goto bad;
		o->lock_timeout_ms = (int)v * 1000;
	} else if (!strcasecmp(name, "stall-timeout")) {
		if (!parse_long(value, 0, 86400, &v))
			goto bad;
		o->stall_timeout_ms = (int)v * 1000;
	} else {
		size_t used = strlen(warning);

		say(warning + used, wlen - used, "%s%s", used ? ", " : "", name);
	}
	return true;

bad:
	say(error, elen, "Bad value \"%s\" for option %s in the device URI", value, name);
	return false;
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
	bk_device_uri(o->location, sizeof o->location, o->port, o->address, o->behind_chain);
	return 0;
}

void bk_device_uri(char *buf, size_t len, int port, int address, bool behind_chain)
{
	if (address != PARCLASS_ADDRESS_END)
		snprintf(buf, len, "parclass:/dev/parport%d?daisy=%d", port, address);
	else if (behind_chain)
		snprintf(buf, len, "parclass:/dev/parport%d?daisy=4", port);
	else
		snprintf(buf, len, "parclass:/dev/parport%d", port);
}
