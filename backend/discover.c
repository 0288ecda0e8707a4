/*
 * discover.c - what "lpinfo -v" shows: every printer the library finds
 *
 * One line per printer on stdout, through cupsBackendReport():
 *   direct parclass:/dev/parport0?daisy=1 "Make Model" "Make Model (LPT1.1)" "device ID" "LPT1.1"
 * Devices whose ID names another class (a scanner on a daisy chain) are not
 * printers and are left out; a port with nothing attached has no devices.
 *
 * The ID comes from the printer: the library hands it on parsed (printable
 * UTF-8, no control characters), cupsBackendReport() escapes quotes and
 * backslashes, and here every line is made to fit what cups-deviced reads
 * whole (lines.c): make and model cut at MM_MAX bytes, the ID at a pair.
 */
#include "config.h"

#include <cups/backend.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "common/uri.h"

#define MM_MAX 255   /* bytes of make and model, as CUPS keeps them (ppd-make-and-model) */

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
		bk_line(stderr, "ERROR: Unable to list parallel ports: %s\n", parclass_strerror(r));
		return CUPS_BACKEND_FAILED;
	}
	for (unsigned i = 0; i < parclass_enumeration_port_count(e); i++) {
		const parclass_port_info *p = parclass_enumeration_port(e, i);

		for (unsigned k = 0; k < parclass_port_info_device_count(p); k++) {
			const parclass_device_info *d = parclass_port_info_device(p, k);
			const parclass_device_id *id = parclass_device_info_id(d);
			const char *location = parclass_device_info_location(d);
			const char *full_mm = parclass_device_info_make_and_model(d);
			char uri[64], mm[MM_MAX + 1], info[MM_MAX + 40], fit[BK_LINE_MAX];
			enum parclass_location_flags flags = 0;
			int number = 0, address = PARCLASS_ADDRESS_END;
			size_t fixed;

			if (id && !is_printer(id)) {
				bk_line(stderr, "DEBUG: %s is not a printer: %s\n", location, parclass_device_id_text(id));
				continue;
			}
			parclass_location_parse(location, &number, &address, &flags);
			device_uri(uri, sizeof uri, number, address, flags & PARCLASS_LOCATION_BEHIND_CHAIN);
			snprintf(mm, sizeof mm, "%.*s", (int)bk_utf8_cut(full_mm, MM_MAX), full_mm);
			snprintf(info, sizeof info, "%s (%s)", mm, location);
			/* "direct URI" and the quoted fields, the newline: what is left is the ID's. */
			fixed = strlen("direct ") + strlen(uri) + bk_quoted_len(mm, strlen(mm)) +
				bk_quoted_len(info, strlen(info)) + bk_quoted_len(location, strlen(location)) + 1;
			bk_id_fit(id ? parclass_device_id_text(id) : "", BK_LINE_MAX - fixed, fit, sizeof fit);
			cupsBackendReport("direct", uri, mm, info, fit, location);
		}
	}
	parclass_enumeration_free(e);
	return CUPS_BACKEND_OK;
}
