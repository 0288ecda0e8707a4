/*
 * discover.c - what "lpinfo -v" shows: every printer the library finds
 *
 * One line per printer on stdout, through cupsBackendReport():
 *   direct parclass:/dev/parport0?daisy=1 "Make Model" "Make Model (LPT1.1)" "device ID" "LPT1.1"
 * Devices whose ID names another class (a scanner on a daisy chain) are not
 * printers and are left out; a port with nothing attached has no devices.
 */
#include "config.h"

#include <cups/backend.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

static bool is_printer(const parclass_device_id *id)
{
	const char *cls = parclass_device_id_get(id, "CLS");

	/* No ID, or no class: a printer, as far as anyone can tell. */
	return !cls || strcasestr(cls, "PRINTER");
}

int bk_discover(parclass_context *ctx, int deadline_ms)
{
	parclass_enumeration *e;
	int r = parclass_enumerate(ctx, deadline_ms, &e);

	if (r == -ENODEV)
		return CUPS_BACKEND_OK;   /* no parallel ports at all */
	if (r < 0) {
		fprintf(stderr, "ERROR: Unable to list parallel ports: %s\n", parclass_strerror(r));
		return CUPS_BACKEND_FAILED;
	}
	for (unsigned i = 0; i < parclass_enumeration_port_count(e); i++) {
		const parclass_port_info *p = parclass_enumeration_port(e, i);

		for (unsigned k = 0; k < parclass_port_info_device_count(p); k++) {
			const parclass_device_info *d = parclass_port_info_device(p, k);
			const parclass_device_id *id = parclass_device_info_id(d);
			const char *location = parclass_device_info_location(d);
			const char *mm = parclass_device_info_make_and_model(d);
			char uri[64], info[256];

			if (id && !is_printer(id)) {
				fprintf(stderr, "DEBUG: %s is not a printer: %s\n", location, parclass_device_id_text(id));
				continue;
			}
			bk_device_uri(uri, sizeof uri, parclass_port_info_number(p), parclass_device_info_address(d),
				      strchr(location, '.') != NULL);
			snprintf(info, sizeof info, "%s (%s)", mm, location);
			cupsBackendReport("direct", uri, mm, info, id ? parclass_device_id_text(id) : "", location);
		}
	}
	parclass_enumeration_free(e);
	return CUPS_BACKEND_OK;
}
