/*
 * fuzz-uri.c - libFuzzer harness for the device URI and location parsers
 *
 * The device URI comes from the queue's configuration (DEVICE_URI or
 * argv[0]), a location from the command line of parclassctl or a program
 * using the library. The input, as a string, goes to bk_options_parse()
 * and parclass_location_parse(). On success every field must be in its
 * documented range (backend.h, doc/parclass.8) and the location the backend
 * opens must name the same port and address; on failure there must be an
 * error message (bk_options_parse) and no output written
 * (parclass_location_parse).
 */
#include "config.h"

#define FUZZ_NAME "fuzz-uri"
#include "fuzz.h"

#include <errno.h>

#include "backend.h"

#define MAX_PORTS 8   /* parport0..7 (PC_MAX_PORTS in the library) */

static int address_ok(int a)
{
	return a == PARCLASS_ADDRESS_END || (a >= 0 && a <= 3);
}

static void check_options(const char *uri, size_t error_len, size_t warning_len)
{
	struct bk_options o;
	char *error = malloc(error_len), *warning = malloc(warning_len);
	enum parclass_location_flags flags = 0;
	int r, port = -2, address = -2;

	if (!error || !warning)
		abort();
	r = bk_options_parse(uri, &o, error, error_len, warning, warning_len);
	fuzz_assert(strnlen(error, error_len) < error_len, "error not NUL-terminated");
	fuzz_assert(strnlen(warning, warning_len) < warning_len, "warning not NUL-terminated");
	if (r < 0) {
		fuzz_assert(r == -EINVAL, "bk_options_parse returned %d", r);
		fuzz_assert(error_len < 2 || *error, "failed without an error message");
		goto out;
	}
	fuzz_assert(r == 0, "bk_options_parse returned %d", r);
	fuzz_assert(!*error, "succeeded with the error \"%s\"", error);
	fuzz_assert(o.port >= 0 && o.port < MAX_PORTS, "port %d", o.port);
	fuzz_assert(address_ok(o.address), "address %d", o.address);
	fuzz_assert(!o.behind_chain || o.address == PARCLASS_ADDRESS_END, "behind a chain at address %d", o.address);
	fuzz_assert(o.write_mask, "no forward mode");
	fuzz_assert(!o.read_forced || o.read_mask, "a forced reverse mode that is none");
	fuzz_assert(o.channel >= -1 && o.channel <= 127, "channel %d", o.channel);
	fuzz_assert(o.poll_ms >= 50 && o.poll_ms <= 60000, "poll %d", o.poll_ms);
	fuzz_assert(o.share_ms == -1 || (o.share_ms >= 0 && o.share_ms <= 3600000), "share %d", o.share_ms);
	fuzz_assert(o.waitjob == BK_WAITJOB_AUTO || o.waitjob == BK_WAITJOB_YES || o.waitjob == BK_WAITJOB_NO,
		    "waitjob %d", (int)o.waitjob);
	fuzz_assert(o.waitjob_timeout_ms >= 1000 && o.waitjob_timeout_ms <= 86400000, "waitjob-timeout %d",
		    o.waitjob_timeout_ms);
	fuzz_assert(o.lock_timeout_ms >= 0 && o.lock_timeout_ms <= 86400000, "lock-timeout %d", o.lock_timeout_ms);
	fuzz_assert(o.stall_timeout_ms >= 0 && o.stall_timeout_ms <= 86400000, "stall-timeout %d",
		    o.stall_timeout_ms);
	/* The URI the backend names the device by (o.location) is the device it opens by numbers. */
	fuzz_assert(parclass_location_parse(o.location, &port, &address, &flags) == 0, "location \"%s\" does not parse",
		    o.location);
	fuzz_assert(port == o.port && address == o.address, "location \"%s\" is port %d address %d, not %d %d",
		    o.location, port, address, o.port, o.address);
	fuzz_assert(!(flags & PARCLASS_LOCATION_BEHIND_CHAIN) == !o.behind_chain, "location \"%s\": behind a chain %d",
		    o.location, (int)o.behind_chain);
out:
	free(error);
	free(warning);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	int port = -2, address = -2, r;

	/* The backend's buffers, and small ones that cut every message. */
	check_options(s, 256, 256);
	check_options(s, 1, 1);
	check_options(s, 16, 8);

	r = parclass_location_parse(s, &port, &address, NULL);
	if (r == 0) {
		fuzz_assert(port >= 0 && port < MAX_PORTS, "\"%s\": port %d", s, port);
		fuzz_assert(address_ok(address), "\"%s\": address %d", s, address);
	} else {
		fuzz_assert(r == -EINVAL, "\"%s\": returned %d", s, r);
		fuzz_assert(port == -2 && address == -2, "\"%s\": failed but wrote %d %d", s, port, address);
	}
	free(s);
	return 0;
}
