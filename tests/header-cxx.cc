/*
 * header-cxx.cc - parclass.h must compile as C++; test-header.c calls the probe.
 */
#include "parclass.h"

extern "C" int parclass_header_cxx_probe(void);

int parclass_header_cxx_probe(void)
{
	parclass_device_id *id = nullptr;
	int r = parclass_device_id_parse("MFG:ACME;MDL:Laser 9;", &id);
	int ok;

	if (r != 0)
		return -1;
	ok = parclass_device_id_get(id, "MANUFACTURER") != nullptr;
	parclass_device_id_free(id);
	return ok ? 42 : -2;
}
