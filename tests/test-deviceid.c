/*
 * test-deviceid.c - the device ID parser: forms, aliases, broken devices
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "parclass.h"

static parclass_device_id *parse(const char *text)
{
	parclass_device_id *id = NULL;
	int r = parclass_device_id_parse(text, &id);

	cr_assert_eq(r, 0, "\"%s\": %s", text, parclass_strerror(r));
	return id;
}

static parclass_device_id *parse_raw(const char *raw, size_t len)
{
	parclass_device_id *id = NULL;
	int r = parclass_device_id_parse_raw(raw, len, &id);

	cr_assert_eq(r, 0, "%s", parclass_strerror(r));
	return id;
}

static int parse_raw_error(const char *raw, size_t len)
{
	parclass_device_id *id = NULL;
	int r = parclass_device_id_parse_raw(raw, len, &id);

	cr_assert_null(id);
	return r;
}

Test(deviceid, keys_are_found_through_their_aliases_and_any_case)
{
	parclass_device_id *id = parse("MANUFACTURER:Hewlett-Packard;model:HP LaserJet 4;COMMAND SET:PCL,PJL;"
				       "Class:PRINTER;DES:An HP;SERN:XYZ123;");

	cr_assert_str_eq(parclass_device_id_get(id, "MFG"), "Hewlett-Packard");
	cr_assert_str_eq(parclass_device_id_get(id, "mdl"), "HP LaserJet 4");
	cr_assert_str_eq(parclass_device_id_get(id, "CMD"), "PCL,PJL");
	cr_assert_str_eq(parclass_device_id_get(id, "CLS"), "PRINTER");
	cr_assert_str_eq(parclass_device_id_get(id, "DESCRIPTION"), "An HP");
	cr_assert_str_eq(parclass_device_id_get(id, "SN"), "XYZ123");
	cr_assert_str_eq(parclass_device_id_get(id, "SERIALNUMBER"), "XYZ123");
	cr_assert_null(parclass_device_id_get(id, "VSTATUS"));
	parclass_device_id_free(id);
}

Test(deviceid, spaces_are_trimmed_and_the_final_semicolon_may_be_missing)
{
	parclass_device_id *id = parse(" MFG : ACME ;MDL:Laser 9  ;CMD:PJL");

	cr_assert_str_eq(parclass_device_id_get(id, "MFG"), "ACME");
	cr_assert_str_eq(parclass_device_id_get(id, "MDL"), "Laser 9");
	cr_assert_str_eq(parclass_device_id_get(id, "CMD"), "PJL");
	cr_assert_str_eq(parclass_device_id_text(id), "MFG:ACME;MDL:Laser 9;CMD:PJL;");
	parclass_device_id_free(id);
}

Test(deviceid, the_last_of_a_repeated_key_wins)
{
	parclass_device_id *id = parse("MDL:first;MODEL:second;");

	cr_assert_str_eq(parclass_device_id_get(id, "MDL"), "second");
	parclass_device_id_free(id);
}

Test(deviceid, the_kernels_cached_form_is_read)
{
	parclass_device_id *id = parse("CLASS:PRINTER;\nMODEL:HP LaserJet 4;\nMANUFACTURER:Hewlett-Packard;\n");

	cr_assert_str_eq(parclass_device_id_text(id), "CLASS:PRINTER;MODEL:HP LaserJet 4;MANUFACTURER:Hewlett-Packard;");
	cr_assert_str_eq(parclass_device_id_make_and_model(id), "HP LaserJet 4");
	parclass_device_id_free(id);
}

Test(deviceid, control_characters_and_empty_ids_are_refused)
{
	parclass_device_id *id = NULL;

	cr_assert_eq(parclass_device_id_parse("MFG:A\001B;MDL:C;", &id), -EINVAL);
	cr_assert_eq(parclass_device_id_parse("MFG:A\tB;", &id), -EINVAL);
	cr_assert_eq(parclass_device_id_parse("MFG:A\177;", &id), -EINVAL);
	cr_assert_eq(parclass_device_id_parse("", &id), -EINVAL);
	cr_assert_eq(parclass_device_id_parse(";;;", &id), -EINVAL);
	cr_assert_eq(parclass_device_id_parse("no pairs at all", &id), -EINVAL);
	cr_assert_null(id);
}

Test(deviceid, overlong_ids_are_refused)
{
	char big[0x1100];

	memset(big, 'A', sizeof big - 1);
	memcpy(big, "MFG:", 4);
	big[sizeof big - 1] = '\0';
	cr_assert_eq(parse_raw_error("", 0), -EINVAL);
	{
		parclass_device_id *id = NULL;

		cr_assert_eq(parclass_device_id_parse(big, &id), -EINVAL);
	}
}

Test(deviceid, raw_ids_in_every_length_form)
{
	static const char be[] = "\x00\x0e" "MFG:A;MDL:B;";
	static const char le[] = "\x0e\x00" "MFG:A;MDL:B;";
	static const char ex[] = "\x00\x0c" "MFG:A;MDL:B;";
	static const char ex_le[] = "\x0c\x00" "MFG:A;MDL:B;";
	const char *forms[] = { be, le, ex, ex_le };

	for (size_t i = 0; i < 4; i++) {
		parclass_device_id *id = parse_raw(forms[i], 14);

		cr_assert_str_eq(parclass_device_id_text(id), "MFG:A;MDL:B;", "form %zu", i);
		parclass_device_id_free(id);
	}
}

Test(deviceid, a_length_longer_than_the_data_takes_what_came)
{
	parclass_device_id *id = parse_raw("\x00\x40" "MFG:A;MDL:B;", 14);

	cr_assert_str_eq(parclass_device_id_get(id, "MDL"), "B");
	parclass_device_id_free(id);
}

Test(deviceid, a_length_beyond_the_data_wins_over_a_reading_that_cuts_a_value)
{
	/* 0x1000 big-endian is beyond what came; read little-endian (16) it would
	 * end the ID inside "Laser 9": the device ended its ID at the last ';'. */
	static const char raw[] = "\x10\x00" "MFG:ACME;MDL:Laser 9;CMD:PJL;";
	parclass_device_id *id = parse_raw(raw, sizeof raw - 1);

	cr_assert_str_eq(parclass_device_id_text(id), "MFG:ACME;MDL:Laser 9;CMD:PJL;");
	parclass_device_id_free(id);
}

Test(deviceid, trailing_garbage_after_the_stated_length_is_ignored)
{
	/* A device that goes on sending after its ID (a constant nibble). */
	parclass_device_id *id = parse_raw("\x00\x0e" "MFG:A;MDL:B;\xff\xff\xff\xff", 18);

	cr_assert_str_eq(parclass_device_id_text(id), "MFG:A;MDL:B;");
	parclass_device_id_free(id);
}

Test(deviceid, impossible_lengths_are_refused)
{
	cr_assert_eq(parse_raw_error("\x00\x00" "MFG:A;", 8), -EINVAL, "length 0");
	cr_assert_eq(parse_raw_error("\x10\x10" "MFG:A;", 8), -EINVAL, "over 0xfff both ways");
	cr_assert_eq(parse_raw_error("\x00\x08" "MFG:\x01;", 8), -EINVAL, "control character");
	cr_assert_eq(parse_raw_error("\x00\x08" "MF\0G:;", 8), -EINVAL, "NUL inside");
}

Test(deviceid, make_and_model_as_cups_shows_it)
{
	static const struct {
		const char *id, *expect;
	} cases[] = {
		{ "MFG:Hewlett-Packard;MDL:HP LaserJet 4;", "HP LaserJet 4" },
		{ "MFG:Hewlett-Packard;MDL:LaserJet 4;", "HP LaserJet 4" },
		{ "MFG:ACME;MDL:Laser 9;", "ACME Laser 9" },
		{ "MFG:EPSON;MDL:Epson LQ-570;", "Epson LQ-570" },
		{ "MFG:ACMEX;MDL:ACME 1;", "ACMEX ACME 1" },
		{ "MDL:Laser 9;", "Laser 9" },
		{ "MFG:ACME;DES:ACME mystery printer;", "ACME mystery printer" },
		{ "MFG:ACME;", "ACME" },
		{ "CLS:PRINTER;", "Unknown" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		parclass_device_id *id = parse(cases[i].id);

		cr_assert_str_eq(parclass_device_id_make_and_model(id), cases[i].expect, "%s", cases[i].id);
		parclass_device_id_free(id);
	}
	cr_assert_str_eq(parclass_device_id_make_and_model(NULL), "Unknown");
}
