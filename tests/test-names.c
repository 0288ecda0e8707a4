/*
 * test-names.c - locations, status bits, mode names and errors
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "parclass.h"

static void check_location(const char *loc, int port, int address)
{
	int p = -7, a = -7;
	int r = parclass_location_parse(loc, &p, &a, NULL);

	cr_assert_eq(r, 0, "%s: %s", loc, parclass_strerror(r));
	cr_assert_eq(p, port, "%s: port %d", loc, p);
	cr_assert_eq(a, address, "%s: address %d", loc, a);
}

Test(names, every_location_form_parses)
{
	check_location("parport0", 0, PARCLASS_ADDRESS_END);
	check_location("parport3.2", 3, 2);
	check_location("parport0.4", 0, PARCLASS_ADDRESS_END);
	check_location("LPT1", 0, PARCLASS_ADDRESS_END);
	check_location("lpt2.0", 1, 0);
	check_location("LPT1.4", 0, PARCLASS_ADDRESS_END);
	check_location("/dev/parport7", 7, PARCLASS_ADDRESS_END);
	check_location("parclass:/dev/parport1", 1, PARCLASS_ADDRESS_END);
	check_location("parclass:/dev/parport0?daisy=3", 0, 3);
	check_location("parclass:/dev/parport0?mode=ecp&daisy=1&wait=yes", 0, 1);
}

/* The parser, not a search of the text, tells the end-of-chain device behind a chain. */
Test(names, the_parser_says_which_locations_name_the_device_behind_a_chain)
{
	static const struct {
		const char *location;
		int port, address;
		enum parclass_location_flags flags;
	} cases[] = {
		{ "LPT1.4", 0, PARCLASS_ADDRESS_END, PARCLASS_LOCATION_BEHIND_CHAIN },
		{ "lpt8.4", 7, PARCLASS_ADDRESS_END, PARCLASS_LOCATION_BEHIND_CHAIN },
		{ "parport0.4", 0, PARCLASS_ADDRESS_END, PARCLASS_LOCATION_BEHIND_CHAIN },
		{ "parclass:/dev/parport0?daisy=4", 0, PARCLASS_ADDRESS_END, PARCLASS_LOCATION_BEHIND_CHAIN },
		{ "parclass:/dev/parport2?mode=ecp&daisy=4", 2, PARCLASS_ADDRESS_END, PARCLASS_LOCATION_BEHIND_CHAIN },
		/* The last daisy= counts, as the backend's options do. */
		{ "parclass:/dev/parport0?daisy=4&daisy=1", 0, 1, 0 },
		{ "parclass:/dev/parport0?daisy=1&daisy=4", 0, PARCLASS_ADDRESS_END, PARCLASS_LOCATION_BEHIND_CHAIN },
		{ "LPT1", 0, PARCLASS_ADDRESS_END, 0 },
		{ "LPT1.3", 0, 3, 0 },
		{ "parport0", 0, PARCLASS_ADDRESS_END, 0 },
		{ "parport1.0", 1, 0, 0 },
		{ "/dev/parport0", 0, PARCLASS_ADDRESS_END, 0 },
		{ "parclass:/dev/parport0", 0, PARCLASS_ADDRESS_END, 0 },
		{ "parclass:/dev/parport0?daisy=2", 0, 2, 0 },
		{ "parclass:/dev/parport0?mode=ecp.4", 0, PARCLASS_ADDRESS_END, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum parclass_location_flags f = (enum parclass_location_flags)0x7f;
		int p = -7, a = -7;

		cr_assert_eq(parclass_location_parse(cases[i].location, &p, &a, &f), 0, "%s", cases[i].location);
		cr_assert_eq(p, cases[i].port, "%s: port %d", cases[i].location, p);
		cr_assert_eq(a, cases[i].address, "%s: address %d", cases[i].location, a);
		cr_assert_eq(f, cases[i].flags, "%s: flags %#x", cases[i].location, (unsigned)f);
	}
}

/* A location that does not parse writes nothing, the flags included. */
Test(names, a_rejected_location_writes_no_flags)
{
	static const char *const bad[] = { "LPT1.5", "parport0.4x", "parclass:/dev/parport0?daisy=5", "LPT1.04x" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum parclass_location_flags f = (enum parclass_location_flags)0x7f;
		int p = -7, a = -7;

		cr_assert_eq(parclass_location_parse(bad[i], &p, &a, &f), -EINVAL, "\"%s\" accepted", bad[i]);
		cr_assert(p == -7 && a == -7 && f == (enum parclass_location_flags)0x7f, "%s: written", bad[i]);
	}
}

Test(names, bad_locations_are_einval)
{
	static const char *const bad[] = {
		"", "parport", "parport8", "parport0.5", "parport0.", "LPT0", "LPT9", "LPT1.x", "/dev/lp0",
		"parclass:", "parclass:/dev/parport0?daisy=9", "parclass:/dev/lp0", "usb://x", "parport01x",
	};
	int p, a;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(parclass_location_parse(bad[i], &p, &a, NULL), -EINVAL, "\"%s\" accepted", bad[i]);
}

/*
 * Every combination of the five status lines against the Windows class
 * driver's rules (its status macros and its query handler: one condition by
 * priority, BUSY and SELECTED on their own), written out by hand, plus
 * ERROR, this library's extension.
 */
Test(names, all_32_status_line_combinations_decode_as_windows_does)
{
	static const struct {
		unsigned nfault, select, perror, nack, busy;
		unsigned expect;
	} cases[] = {
	/* nFault Select PError nAck Busy: the bits */
	{ 0, 0, 0, 0, 0, PARCLASS_STATUS_POWER_OFF },
	{ 0, 0, 0, 0, 1, PARCLASS_STATUS_ERROR },
	{ 0, 0, 0, 1, 0, PARCLASS_STATUS_ERROR },
	{ 0, 0, 0, 1, 1, PARCLASS_STATUS_ERROR },
	{ 0, 0, 1, 0, 0, PARCLASS_STATUS_POWER_OFF },
	{ 0, 0, 1, 0, 1, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_ERROR },
	{ 0, 0, 1, 1, 0, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_ERROR },
	{ 0, 0, 1, 1, 1, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_ERROR },
	{ 0, 1, 0, 0, 0, PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_SELECTED },
	{ 0, 1, 0, 0, 1, PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR },
	{ 0, 1, 0, 1, 0, PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR },
	{ 0, 1, 0, 1, 1, PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR },
	{ 0, 1, 1, 0, 0, PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_SELECTED },
	{ 0, 1, 1, 0, 1, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR },
	{ 0, 1, 1, 1, 0, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR },
	{ 0, 1, 1, 1, 1, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR },
	{ 1, 0, 0, 0, 0, PARCLASS_STATUS_NOT_CONNECTED },
	{ 1, 0, 0, 0, 1, PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_BUSY },
	{ 1, 0, 0, 1, 0, PARCLASS_STATUS_NOT_CONNECTED },
	{ 1, 0, 0, 1, 1, PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_BUSY },
	{ 1, 0, 1, 0, 0, PARCLASS_STATUS_PAPER_EMPTY },
	{ 1, 0, 1, 0, 1, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_BUSY },
	{ 1, 0, 1, 1, 0, PARCLASS_STATUS_PAPER_EMPTY },
	{ 1, 0, 1, 1, 1, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_BUSY },
	{ 1, 1, 0, 0, 0, PARCLASS_STATUS_SELECTED },
	{ 1, 1, 0, 0, 1, PARCLASS_STATUS_BUSY | PARCLASS_STATUS_SELECTED },
	{ 1, 1, 0, 1, 0, PARCLASS_STATUS_SELECTED },
	{ 1, 1, 0, 1, 1, PARCLASS_STATUS_BUSY | PARCLASS_STATUS_SELECTED },
	{ 1, 1, 1, 0, 0, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED },
	{ 1, 1, 1, 0, 1, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_BUSY | PARCLASS_STATUS_SELECTED },
	{ 1, 1, 1, 1, 0, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED },
	{ 1, 1, 1, 1, 1, PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_BUSY | PARCLASS_STATUS_SELECTED },
	};
	/* The control lines at rest: nInit high, nAutoFd high. */
	const unsigned rest = PARCLASS_LINE_NINIT | PARCLASS_LINE_NAUTOFD | PARCLASS_LINE_NSTROBE;

	cr_assert_eq((sizeof cases / sizeof cases[0]), 32);
	for (size_t i = 0; i < (sizeof cases / sizeof cases[0]); i++) {
		unsigned lines = rest | (cases[i].nfault ? PARCLASS_LINE_NFAULT : 0) |
				 (cases[i].select ? PARCLASS_LINE_SELECT : 0) |
				 (cases[i].perror ? PARCLASS_LINE_PERROR : 0) | (cases[i].nack ? PARCLASS_LINE_NACK : 0) |
				 (cases[i].busy ? PARCLASS_LINE_BUSY : 0);
		unsigned got = parclass_status_from_lines(lines);

		cr_expect_eq(got, cases[i].expect, "nFault=%u Select=%u PError=%u nAck=%u Busy=%u: %#x, expected %#x",
			     cases[i].nfault, cases[i].select, cases[i].perror, cases[i].nack, cases[i].busy, got,
			     cases[i].expect);
	}
}

Test(names, init_and_autofeed_come_from_the_control_lines)
{
	const unsigned ready = PARCLASS_LINE_NFAULT | PARCLASS_LINE_SELECT | PARCLASS_LINE_NACK;

	cr_assert_eq(parclass_status_from_lines(ready | PARCLASS_LINE_NINIT | PARCLASS_LINE_NAUTOFD),
		     PARCLASS_STATUS_SELECTED);
	cr_assert_eq(parclass_status_from_lines(ready | PARCLASS_LINE_NAUTOFD),
		     PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_INIT);
	cr_assert_eq(parclass_status_from_lines(ready | PARCLASS_LINE_NINIT),
		     PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_AUTOFEED);
	/* nStrobe and nSelectIn change nothing. */
	cr_assert_eq(parclass_status_from_lines(ready | PARCLASS_LINE_NINIT | PARCLASS_LINE_NAUTOFD |
						PARCLASS_LINE_NSTROBE | PARCLASS_LINE_NSELECTIN),
		     PARCLASS_STATUS_SELECTED);
}

Test(names, line_names)
{
	static const char *const expect[] = { "nFault", "Select", "PError", "nAck", "Busy",
					      "nStrobe", "nAutoFd", "nInit", "nSelectIn" };
	unsigned bit = PARCLASS_LINE_NFAULT;

	for (size_t i = 0; i < (sizeof expect / sizeof expect[0]); i++, bit <<= 1)
		cr_assert_str_eq(parclass_line_name(bit), expect[i]);
	cr_assert_eq(bit, 0x1000);
	cr_assert_null(parclass_line_name(0x1000));
	cr_assert_null(parclass_line_name(0x004));
	cr_assert_eq(PARCLASS_LINES_STATUS, 0xf8);
}

Test(names, status_and_mode_names)
{
	cr_assert_str_eq(parclass_status_name(PARCLASS_STATUS_PAPER_EMPTY), "PAPER_EMPTY");
	cr_assert_str_eq(parclass_status_name(PARCLASS_STATUS_NOT_CONNECTED), "NOT_CONNECTED");
	cr_assert_null(parclass_status_name(0x200));
	for (unsigned bit = 1; bit <= PARCLASS_MODE_ECP_SW; bit <<= 1) {
		const char *name = parclass_mode_name(bit);

		cr_assert_not_null(name, "bit %#x", bit);
		cr_assert_eq(parclass_mode_from_name(name), bit);
	}
	cr_assert_null(parclass_mode_name(0x800));
	cr_assert_eq(parclass_mode_from_name("ecp"), PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_HW_IRQ);
	cr_assert_eq(parclass_mode_from_name("compat"), PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY);
	cr_assert_eq(parclass_mode_from_name("Nibble"), PARCLASS_MODE_NIBBLE);
	cr_assert_eq(parclass_mode_from_name("warp"), 0);
}

Test(names, the_windows_mask_values)
{
	/* One to one with the Windows parallel-class negotiation mask. */
	cr_assert_eq(PARCLASS_MODE_CENTRONICS, 0x1);
	cr_assert_eq(PARCLASS_MODE_IEEE_COMPATIBILITY, 0x2);
	cr_assert_eq(PARCLASS_MODE_NIBBLE, 0x4);
	cr_assert_eq(PARCLASS_MODE_CHANNEL_NIBBLE, 0x8);
	cr_assert_eq(PARCLASS_MODE_BYTE_BIDIR, 0x10);
	cr_assert_eq(PARCLASS_MODE_EPP_HW, 0x20);
	cr_assert_eq(PARCLASS_MODE_EPP_SW, 0x40);
	cr_assert_eq(PARCLASS_MODE_BOUNDED_ECP, 0x80);
	cr_assert_eq(PARCLASS_MODE_ECP_HW_NOIRQ, 0x100);
	cr_assert_eq(PARCLASS_MODE_ECP_HW_IRQ, 0x200);
	cr_assert_eq(PARCLASS_MODE_ECP_SW, 0x400);
	cr_assert_eq(PARCLASS_STATUS_INIT | PARCLASS_STATUS_AUTOFEED | PARCLASS_STATUS_PAPER_EMPTY |
			     PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED |
			     PARCLASS_STATUS_BUSY | PARCLASS_STATUS_SELECTED,
		     0xff);
}

Test(names, errors_have_texts)
{
	cr_assert_str_eq(parclass_strerror(-ENOLCK), "the port is not locked by this handle");
	cr_assert_str_eq(parclass_strerror(0), "success");
	cr_assert_str_eq(parclass_strerror(-ENOMEM), strerror(ENOMEM));
	/* Codes in their usual meaning get the usual text. */
	cr_assert_str_eq(parclass_strerror(-ETIMEDOUT), strerror(ETIMEDOUT));
	cr_assert_str_eq(parclass_strerror(-ECANCELED), strerror(ECANCELED));
	cr_assert_not_null(parclass_strerror(-99999));
	cr_assert_str_eq(parclass_version(), PACKAGE_VERSION);
}

Test(names, context_settings)
{
	parclass_context *ctx = NULL;

	cr_assert_eq(parclass_context_new(&ctx), 0);
	cr_assert_eq(parclass_context_set_log(ctx, 0, NULL, NULL), -EINVAL);
	cr_assert_eq(parclass_context_set_log(ctx, PARCLASS_LOG_DEBUG + 1, NULL, NULL), -EINVAL);
	cr_assert_eq(parclass_context_set_runtime_dir(ctx, "relative"), -EINVAL);
	cr_assert_eq(parclass_context_set_runtime_dir(ctx, "/somewhere/else"), 0);
	cr_assert_str_eq(parclass_context_get_runtime_dir(ctx), "/somewhere/else");
	cr_assert_eq(parclass_context_ref(ctx), ctx);
	cr_assert_null(parclass_context_unref(ctx));
	cr_assert_null(parclass_context_unref(ctx));
	cr_assert_null(parclass_context_unref(NULL));
}

Test(names, the_runtime_directory_comes_from_the_environment)
{
	parclass_context *ctx = NULL;

	setenv("PARCLASS_RUNTIME_DIR", "/tmp/parclass-env-test", 1);
	cr_assert_eq(parclass_context_new(&ctx), 0);
	cr_assert_str_eq(parclass_context_get_runtime_dir(ctx), "/tmp/parclass-env-test");
	parclass_context_unref(ctx);
	unsetenv("PARCLASS_RUNTIME_DIR");
	cr_assert_eq(parclass_context_new(&ctx), 0);
	cr_assert_str_eq(parclass_context_get_runtime_dir(ctx), "/run/parclass");
	parclass_context_unref(ctx);
}
