/*
 * uri.c - the parclass: device URI of a device (common/: the backend and
 * the service)
 */
#include "config.h"

#include <stdio.h>

#include "parclass.h"
#include "uri.h"

void device_uri(char *buf, size_t len, int port, int address, bool behind_chain)
{
	if (address != PARCLASS_ADDRESS_END)
		snprintf(buf, len, "parclass:/dev/parport%d?daisy=%d", port, address);
	else if (behind_chain)
		snprintf(buf, len, "parclass:/dev/parport%d?daisy=4", port);
	else
		snprintf(buf, len, "parclass:/dev/parport%d", port);
}
