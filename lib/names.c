/*
 * names.c - locations, status bits and mode names: pure translations
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parclass-private.h"

/* ---- locations ---- */

static bool parse_uint(const char *s, const char **end, int max, int *out)
{
	long v = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s++ - '0');
		if (v > max)
			return false;
	}
	*end = s;
	*out = (int)v;
	return true;
}

/* A chain address as written: 0..3 a chain device, 4 the end-of-chain device behind the chain. */
static void chain_address(int a, int *address, enum parclass_location_flags *flags)
{
	*address = a == PC_MAX_CHAIN ? PARCLASS_ADDRESS_END : a;
	*flags = a == PC_MAX_CHAIN ? PARCLASS_LOCATION_BEHIND_CHAIN : 0;
}

/* ".A" after a port, or nothing: the end-of-chain device. */
static bool parse_address(const char *s, int *address, enum parclass_location_flags *flags)
{
	int a;

	if (!*s) {
		chain_address(PARCLASS_ADDRESS_END, address, flags);
		return true;
	}
	if (*s != '.' || !parse_uint(s + 1, &s, PC_MAX_CHAIN, &a) || *s)
		return false;
	chain_address(a, address, flags);
	return true;
}

/* "daisy=N" among URI options. */
static bool uri_address(const char *query, int *address, enum parclass_location_flags *flags)
{
	chain_address(PARCLASS_ADDRESS_END, address, flags);
	while (query && *query) {
		const char *amp = strchr(query, '&');
		size_t n = amp ? (size_t)(amp - query) : strlen(query);

		if (n > 6 && !strncmp(query, "daisy=", 6)) {
			const char *end;
			int a;

			if (!parse_uint(query + 6, &end, PC_MAX_CHAIN, &a) || end != query + n)
				return false;
			chain_address(a, address, flags);
		}
		query = amp ? amp + 1 : NULL;
	}
	return true;
}

_public_ int parclass_location_parse(const char *location, int *port, int *address,
				     enum parclass_location_flags *flags)
{
	const char *s = location, *rest;
	enum parclass_location_flags f = 0;
	int n, a = PARCLASS_ADDRESS_END;

	assert_return(location && port && address, -EINVAL);
	if (!strncmp(s, "parclass:", 9)) {
		const char *q;
		char path[64];
		size_t len;

		s += 9;
		q = strchr(s, '?');
		len = q ? (size_t)(q - s) : strlen(s);
		if (len >= sizeof path || strncmp(s, "/dev/parport", 12))
			return -EINVAL;
		memcpy(path, s, len);
		path[len] = '\0';
		if (!parse_uint(path + 12, &rest, PC_MAX_PORTS - 1, &n) || *rest ||
		    !uri_address(q ? q + 1 : NULL, &a, &f))
			return -EINVAL;
	} else if (!strncmp(s, "/dev/parport", 12)) {
		if (!parse_uint(s + 12, &rest, PC_MAX_PORTS - 1, &n) || *rest)
			return -EINVAL;
	} else if (!strncmp(s, "parport", 7)) {
		if (!parse_uint(s + 7, &rest, PC_MAX_PORTS - 1, &n) || !parse_address(rest, &a, &f))
			return -EINVAL;
	} else if (!strncasecmp(s, "LPT", 3)) {
		if (!parse_uint(s + 3, &rest, PC_MAX_PORTS, &n) || n < 1 || !parse_address(rest, &a, &f))
			return -EINVAL;
		n--;
	} else {
		return -EINVAL;
	}
	*port = n;
	*address = a;
	if (flags)
		*flags = f;
	return 0;
}

void pc_location_name(char *buf, size_t len, bool lpt, int number, int address, enum parclass_location_flags flags)
{
	const char *prefix = lpt ? "LPT" : "parport";
	int n = lpt ? number + 1 : number;

	if (address != PARCLASS_ADDRESS_END)
		snprintf(buf, len, "%s%d.%d", prefix, n, address);
	else
		snprintf(buf, len, "%s%d%s", prefix, n, flags & PARCLASS_LOCATION_BEHIND_CHAIN ? ".4" : "");
}

/* ---- status ---- */

/* The register values of a PC port as line levels. */
unsigned pc_lines_from_registers(unsigned st, unsigned ctl)
{
	unsigned lines = (st ^ PC_ST_BUSY) & PARCLASS_LINES_STATUS;

	if (!(ctl & PC_CTL_STROBE))
		lines |= PARCLASS_LINE_NSTROBE;
	if (!(ctl & PC_CTL_AUTOFD))
		lines |= PARCLASS_LINE_NAUTOFD;
	if (ctl & PC_CTL_INIT)
		lines |= PARCLASS_LINE_NINIT;
	if (!(ctl & PC_CTL_SELECT))
		lines |= PARCLASS_LINE_NSELECTIN;
	return lines;
}

/* What the Windows class driver's status macros and its query handler do. */
_public_ unsigned parclass_status_from_lines(unsigned lines)
{
	bool fault = !(lines & PARCLASS_LINE_NFAULT), busy = lines & PARCLASS_LINE_BUSY;
	bool select = lines & PARCLASS_LINE_SELECT, ack_low = !(lines & PARCLASS_LINE_NACK);
	bool powered_off = fault && ack_low && !busy;
	bool no_cable = (lines & PARCLASS_LINES_STATUS) == PARCLASS_LINES_STATUS;
	unsigned s = 0;

	if (powered_off || no_cable)
		s |= PARCLASS_STATUS_POWER_OFF;
	else if (lines & PARCLASS_LINE_PERROR)
		s |= PARCLASS_STATUS_PAPER_EMPTY;
	else if (!fault && busy && !select)
		s |= PARCLASS_STATUS_OFF_LINE;
	else if (!fault && !busy && !select)
		s |= PARCLASS_STATUS_NOT_CONNECTED;
	if (busy && !fault)
		s |= PARCLASS_STATUS_BUSY;
	if (select)
		s |= PARCLASS_STATUS_SELECTED;
	if (!(lines & PARCLASS_LINE_NINIT))
		s |= PARCLASS_STATUS_INIT;
	if (!(lines & PARCLASS_LINE_NAUTOFD))
		s |= PARCLASS_STATUS_AUTOFEED;
	if (fault && !(s & PARCLASS_STATUS_POWER_OFF))
		s |= PARCLASS_STATUS_ERROR;
	return s;
}

/* A name for each bit of a set: the line, status and mode names. */
struct bit_name {
	unsigned bit;
	const char *name;
};

static const char *bit_name(const struct bit_name *names, size_t n, unsigned bit)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].bit == bit)
			return names[i].name;
	return NULL;
}

static const struct bit_name line_names[] = {
	{ PARCLASS_LINE_NFAULT, "nFault" },
	{ PARCLASS_LINE_SELECT, "Select" },
	{ PARCLASS_LINE_PERROR, "PError" },
	{ PARCLASS_LINE_NACK, "nAck" },
	{ PARCLASS_LINE_BUSY, "Busy" },
	{ PARCLASS_LINE_NSTROBE, "nStrobe" },
	{ PARCLASS_LINE_NAUTOFD, "nAutoFd" },
	{ PARCLASS_LINE_NINIT, "nInit" },
	{ PARCLASS_LINE_NSELECTIN, "nSelectIn" },
};

static const struct bit_name status_names[] = {
	{ PARCLASS_STATUS_INIT, "INIT" },
	{ PARCLASS_STATUS_AUTOFEED, "AUTOFEED" },
	{ PARCLASS_STATUS_PAPER_EMPTY, "PAPER_EMPTY" },
	{ PARCLASS_STATUS_OFF_LINE, "OFF_LINE" },
	{ PARCLASS_STATUS_POWER_OFF, "POWER_OFF" },
	{ PARCLASS_STATUS_NOT_CONNECTED, "NOT_CONNECTED" },
	{ PARCLASS_STATUS_BUSY, "BUSY" },
	{ PARCLASS_STATUS_SELECTED, "SELECTED" },
	{ PARCLASS_STATUS_ERROR, "ERROR" },
};

_public_ const char *parclass_line_name(unsigned bit)
{
	return bit_name(line_names, sizeof line_names / sizeof line_names[0], bit);
}

_public_ const char *parclass_status_name(unsigned bit)
{
	return bit_name(status_names, sizeof status_names / sizeof status_names[0], bit);
}

/* ---- modes ---- */

static const struct bit_name mode_names[] = {
	{ PARCLASS_MODE_CENTRONICS, "CENTRONICS" },
	{ PARCLASS_MODE_IEEE_COMPATIBILITY, "IEEE_COMPATIBILITY" },
	{ PARCLASS_MODE_NIBBLE, "NIBBLE" },
	{ PARCLASS_MODE_CHANNEL_NIBBLE, "CHANNEL_NIBBLE" },
	{ PARCLASS_MODE_BYTE_BIDIR, "BYTE_BIDIR" },
	{ PARCLASS_MODE_EPP_HW, "EPP_HW" },
	{ PARCLASS_MODE_EPP_SW, "EPP_SW" },
	{ PARCLASS_MODE_BOUNDED_ECP, "BOUNDED_ECP" },
	{ PARCLASS_MODE_ECP_HW_NOIRQ, "ECP_HW_NOIRQ" },
	{ PARCLASS_MODE_ECP_HW_IRQ, "ECP_HW_IRQ" },
	{ PARCLASS_MODE_ECP_SW, "ECP_SW" },
};

static const struct {
	const char *name;
	unsigned mask;
} mode_short_names[] = {
	{ "compat", PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY },
	{ "nibble", PARCLASS_MODE_NIBBLE },
	{ "byte", PARCLASS_MODE_BYTE_BIDIR },
	{ "ecp", PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_HW_IRQ },
	{ "ecpsw", PARCLASS_MODE_ECP_SW },
	{ "epp", PARCLASS_MODE_EPP_HW },
	{ "eppsw", PARCLASS_MODE_EPP_SW },
};

_public_ const char *parclass_mode_name(unsigned bit)
{
	return bit_name(mode_names, sizeof mode_names / sizeof mode_names[0], bit);
}

_public_ unsigned parclass_mode_from_name(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
		if (!strcasecmp(mode_names[i].name, name))
			return mode_names[i].bit;
	for (size_t i = 0; i < sizeof mode_short_names / sizeof mode_short_names[0]; i++)
		if (!strcasecmp(mode_short_names[i].name, name))
			return mode_short_names[i].mask;
	return 0;
}

unsigned pc_port_modes_from_caps(bool spp, bool tristate, bool epp, bool ecp, bool irq)
{
	unsigned m = PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY | PARCLASS_MODE_NIBBLE;

	(void)spp;
	if (tristate)
		m |= PARCLASS_MODE_BYTE_BIDIR | PARCLASS_MODE_ECP_SW | PARCLASS_MODE_EPP_SW;
	if (epp)
		m |= PARCLASS_MODE_EPP_HW;
	if (ecp)
		m |= irq ? PARCLASS_MODE_ECP_HW_IRQ : PARCLASS_MODE_ECP_HW_NOIRQ;
	return m;
}
