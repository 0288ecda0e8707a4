/*
 * test-options.c - the backend's device URI: forms, options, errors
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "backend.h"
#include "common/uri.h"

static struct bk_options opt;
static char error[512], warning[256];

static int parse(const char *uri)
{
	return bk_options_parse(uri, &opt, error, sizeof error, warning, sizeof warning);
}

Test(options, a_plain_port_gets_the_defaults)
{
	cr_assert_eq(parse("parclass:/dev/parport0"), 0, "%s", error);
	cr_assert_str_eq(opt.location, "parclass:/dev/parport0");
	cr_assert_eq(opt.port, 0);
	cr_assert_eq(opt.address, PARCLASS_ADDRESS_END);
	cr_assert_eq(opt.write_mask, PARCLASS_MODES_PRINTER_WRITE);
	cr_assert_eq(opt.read_mask, PARCLASS_MODES_PRINTER_READ);
	cr_assert_not(opt.write_forced);
	cr_assert_eq(opt.channel, -1);
	cr_assert_eq(opt.poll_ms, 1000);
	cr_assert_eq(opt.share_ms, 2000);
	cr_assert_eq(opt.waitjob, BK_WAITJOB_AUTO);
	cr_assert_eq(opt.waitjob_timeout_ms, 300000);
	cr_assert_not(opt.reset_on_cancel);
	cr_assert_eq(opt.lock_timeout_ms, 300000);
	cr_assert_eq(opt.stall_timeout_ms, 300000);
	cr_assert_str_eq(warning, "");
}

Test(options, daisy_addresses_name_chain_devices_and_the_end_of_the_chain)
{
	cr_assert_eq(parse("parclass:/dev/parport1?daisy=2"), 0, "%s", error);
	cr_assert_eq(opt.port, 1);
	cr_assert_eq(opt.address, 2);
	cr_assert_str_eq(opt.location, "parclass:/dev/parport1?daisy=2");
	cr_assert_eq(parse("parclass:/dev/parport1?daisy=4"), 0, "%s", error);
	cr_assert_eq(opt.address, PARCLASS_ADDRESS_END);
	cr_assert(opt.behind_chain);
	cr_assert_str_eq(opt.location, "parclass:/dev/parport1?daisy=4");
}

Test(options, every_option_is_read)
{
	cr_assert_eq(parse("parclass:/dev/parport2?mode=compat&reverse=nibble&channel=0&poll=200&share=500"
			   "&waitjob=yes&waitjob-timeout=30&reset=yes&lock-timeout=0&stall-timeout=60"),
		     0, "%s", error);
	cr_assert_eq(opt.write_mask, PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY);
	cr_assert(opt.write_forced);
	cr_assert_eq(opt.read_mask, PARCLASS_MODE_NIBBLE);
	cr_assert(opt.read_forced);
	cr_assert_eq(opt.channel, 0);
	cr_assert_eq(opt.poll_ms, 200);
	cr_assert_eq(opt.share_ms, 500);
	cr_assert_eq(opt.waitjob, BK_WAITJOB_YES);
	cr_assert_eq(opt.waitjob_timeout_ms, 30000);
	cr_assert(opt.reset_on_cancel);
	cr_assert_eq(opt.lock_timeout_ms, 0);
	cr_assert_eq(opt.stall_timeout_ms, 60000);
}

Test(options, mode_and_reverse_choices)
{
	cr_assert_eq(parse("parclass:/dev/parport0?mode=ecp&reverse=none"), 0);
	cr_assert_eq(opt.write_mask, PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ);
	cr_assert(opt.write_forced);
	cr_assert_eq(opt.read_mask, 0);
	cr_assert_eq(parse("parclass:/dev/parport0?reverse=ecp&share=no&waitjob=no"), 0);
	cr_assert_eq(opt.read_mask, PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ);
	cr_assert_eq(opt.share_ms, -1);
	cr_assert_eq(opt.waitjob, BK_WAITJOB_NO);
	cr_assert_eq(parse("parclass:/dev/parport0?reverse=byte&mode=auto&share=yes"), 0);
	cr_assert_eq(opt.read_mask, PARCLASS_MODE_BYTE_BIDIR);
	cr_assert_eq(opt.write_mask, PARCLASS_MODES_PRINTER_WRITE);
	cr_assert_not(opt.write_forced);
	cr_assert_eq(opt.share_ms, 2000);
}

Test(options, unknown_options_are_reported_and_ignored)
{
	cr_assert_eq(parse("parclass:/dev/parport0?colour=red&mode=compat&speed=fast"), 0, "%s", error);
	cr_assert_str_eq(warning, "colour, speed");
	cr_assert(opt.write_forced);
}

Test(options, bad_uris_are_refused_with_a_reason)
{
	static const char *const bad[] = {
		"usb:/dev/parport0",
		"parclass:",
		"parclass:/dev/lp0",
		"parclass:/dev/parport",
		"parclass:/dev/parport-1",
		"parclass:/dev/parport0x",
		"parclass:/dev/parport99",
		"parclass://host/dev/parport0",
		"parclass",
		"",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(parse(bad[i]), -EINVAL, "%s was accepted", bad[i]);
		cr_assert(strstr(error, "parport"), "%s: %s", bad[i], error);
	}
}

Test(options, bad_values_name_the_option)
{
	static const char *const bad[][2] = {
		{ "parclass:/dev/parport0?daisy=5", "daisy" },
		{ "parclass:/dev/parport0?daisy=", "daisy" },
		{ "parclass:/dev/parport0?mode=epp", "mode" },
		{ "parclass:/dev/parport0?reverse=fast", "reverse" },
		{ "parclass:/dev/parport0?channel=128", "channel" },
		{ "parclass:/dev/parport0?poll=10", "poll" },
		{ "parclass:/dev/parport0?share=-1", "share" },
		{ "parclass:/dev/parport0?waitjob=maybe", "waitjob" },
		{ "parclass:/dev/parport0?waitjob-timeout=0", "waitjob-timeout" },
		{ "parclass:/dev/parport0?reset=2", "reset" },
		{ "parclass:/dev/parport0?lock-timeout=1e3", "lock-timeout" },
		{ "parclass:/dev/parport0?stall-timeout=99999999", "stall-timeout" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(parse(bad[i][0]), -EINVAL, "%s was accepted", bad[i][0]);
		cr_assert(strstr(error, bad[i][1]), "%s: %s", bad[i][0], error);
	}
}

/* Every option's edges, and the exact message for each value it refuses. */
Test(options, every_option_accepts_its_range_and_refuses_the_rest_with_one_message)
{
	static const struct {
		const char *name;
		const char *good[6], *bad[6];
	} cases[] = {
		{ "daisy", { "0", "3", "4" }, { "5", "-1", "", "x", "1.0" } },
		{ "mode", { "auto", "ECP", "compat" }, { "epp", "nibble", "0" } },
		{ "reverse", { "auto", "none", "ecp", "byte", "Nibble" }, { "compat", "fast", "yes" } },
		{ "channel", { "none", "0", "127" }, { "128", "-1", "x", "auto" } },
		{ "poll", { "50", "60000" }, { "49", "60001", "1e3", "x" } },
		{ "share", { "yes", "no", "on", "OFF", "0", "3600000" }, { "-1", "3600001", "maybe", "auto" } },
		{ "waitjob", { "auto", "yes", "off", "TRUE" }, { "maybe", "2", "0" } },
		{ "waitjob-timeout", { "1", "86400" }, { "0", "86401", "x" } },
		{ "reset", { "yes", "no", "false", "On" }, { "2", "auto", "1" } },
		{ "lock-timeout", { "0", "86400" }, { "-1", "86401", "1e3" } },
		{ "stall-timeout", { "0", "86400" }, { "-1", "86401", "99999999" } },
	};
	char uri[128], expect[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (size_t k = 0; k < 6 && cases[i].good[k]; k++) {
			snprintf(uri, sizeof uri, "parclass:/dev/parport0?%s=%s", cases[i].name, cases[i].good[k]);
			cr_assert_eq(parse(uri), 0, "%s: %s", uri, error);
			cr_assert_str_eq(error, "", "%s", uri);
			cr_assert_str_eq(warning, "", "%s", uri);
		}
		for (size_t k = 0; k < 6 && cases[i].bad[k]; k++) {
			snprintf(uri, sizeof uri, "parclass:/dev/parport0?%s=%s", cases[i].name, cases[i].bad[k]);
			snprintf(expect, sizeof expect, "Bad value \"%s\" for option %s in the device URI", cases[i].bad[k],
				 cases[i].name);
			cr_assert_eq(parse(uri), -EINVAL, "%s was accepted", uri);
			cr_assert_str_eq(error, expect, "%s", uri);
		}
	}
}

/* What the spellings mean: yes is the default interval, seconds are milliseconds here. */
Test(options, boolean_and_second_values_read_as_numbers)
{
	cr_assert_eq(parse("parclass:/dev/parport0?share=no&waitjob=off&reset=on&waitjob-timeout=86400"), 0, "%s", error);
	cr_assert_eq(opt.share_ms, -1);
	cr_assert_eq(opt.waitjob, BK_WAITJOB_NO);
	cr_assert(opt.reset_on_cancel);
	cr_assert_eq(opt.waitjob_timeout_ms, 86400000);
	cr_assert_eq(parse("parclass:/dev/parport0?share=500&share=yes&channel=5&channel=none&lock-timeout=7"), 0,
		     "%s", error);
	cr_assert_eq(opt.share_ms, 2000);
	cr_assert_eq(opt.channel, -1);
	cr_assert_eq(opt.lock_timeout_ms, 7000);
	cr_assert_eq(parse("parclass:/dev/parport0?daisy=4&daisy=2&mode=ecp&mode=auto&reverse=none"), 0, "%s", error);
	cr_assert_eq(opt.address, 2);
	cr_assert_not(opt.behind_chain);
	cr_assert_eq(opt.write_mask, PARCLASS_MODES_PRINTER_WRITE);
	cr_assert_not(opt.write_forced);
	cr_assert_eq(opt.read_mask, 0u);
}

Test(options, discovery_uris_parse_back_to_the_same_device)
{
	char uri[64];

	device_uri(uri, sizeof uri, 0, PARCLASS_ADDRESS_END, false);
	cr_assert_str_eq(uri, "parclass:/dev/parport0");
	device_uri(uri, sizeof uri, 1, 3, true);
	cr_assert_str_eq(uri, "parclass:/dev/parport1?daisy=3");
	device_uri(uri, sizeof uri, 2, PARCLASS_ADDRESS_END, true);
	cr_assert_str_eq(uri, "parclass:/dev/parport2?daisy=4");
	cr_assert_eq(parse(uri), 0);
	cr_assert_eq(opt.port, 2);
	cr_assert_eq(opt.address, PARCLASS_ADDRESS_END);
	cr_assert(opt.behind_chain);
}
