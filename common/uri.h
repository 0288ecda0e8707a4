/*
 * uri.h - the parclass: device URI of a device, as discovery reports it
 *
 * Internal (common/ is not installed): the backend lists devices by this URI
 * and the device service shows the same text, so that a client can match a
 * CUPS queue's device-uri against the service's Device objects.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The URI for a device of port @port at @address (0..3 or
 * PARCLASS_ADDRESS_END; @behind_chain: the end device behind a chain). */
void device_uri(char *buf, size_t len, int port, int address, bool behind_chain);
