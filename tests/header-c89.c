/*
 * header-c89.c - parclass.h must compile as strict C89 (compiled with
 * -std=c89 -pedantic-errors); test-header.c calls the probe.
 */
#include "parclass.h"

int parclass_header_c89_probe(void);

int parclass_header_c89_probe(void)
{
	parclass_context *ctx = 0;
	int port = -1, address = 0;
	int r;

	r = parclass_location_parse("LPT2.3", &port, &address, 0);
	if (r != 0 || parclass_context_new(&ctx) != 0)
		return -1;
	parclass_context_unref(ctx);
	return port * 10 + address;
}
