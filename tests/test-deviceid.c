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

Test(deviceid, bytes_that_are_not_utf8_become_question_marks)
{
	/* ISO 8859-1 text, stray bytes, an overlong '/', a surrogate, a sequence cut short */
	parclass_device_id *id = parse("MFG:Soci\xe9t\xe9;MDL:Laser \xff\xfe 9;DES:\xc0\xaf \xed\xa0\x80;SN:A\xe2\x82");

	cr_assert_str_eq(parclass_device_id_text(id), "MFG:Soci?t?;MDL:Laser ?? 9;DES:?? ???;SN:A??;");
	cr_assert_str_eq(parclass_device_id_make_and_model(id), "Soci?t? Laser ?? 9");
	cr_assert_str_eq(parclass_device_id_get(id, "MFG"), "Soci?t?");
	parclass_device_id_free(id);
}

Test(deviceid, utf8_is_kept_but_what_hides_or_breaks_text_is_not)
{
	/* U+00E4 and U+20AC stay; NEL (a C1 control), a right-to-left override, a
	 * line separator, a zero-width space and a byte order mark do not. */
	parclass_device_id *id =
		parse("MFG:L\xc3\xa4ser \xe2\x82\xac;MDL:A\xc2\x85" "B\xe2\x80\xae" "C\xe2\x80\xa8" "D\xe2\x80\x8b" "E\xef\xbb\xbf;");

	cr_assert_str_eq(parclass_device_id_text(id), "MFG:L\xc3\xa4ser \xe2\x82\xac;MDL:A?B?C?D?E?;");
	cr_assert_str_eq(parclass_device_id_make_and_model(id), "L\xc3\xa4ser \xe2\x82\xac A?B?C?D?E?");
	parclass_device_id_free(id);
}

Test(deviceid, line_breaks_never_end_up_inside_a_value)
{
	/* A pair with a line break inside is dropped; one between pairs is only a separator. */
	parclass_device_id *id = parse("MFG:ACME;MDL:Two\r\nLines;CMD:PJL;\r\nCLS:PRINTER;\nDES:x\rATTR: y;");

	cr_assert_str_eq(parclass_device_id_text(id), "MFG:ACME;CMD:PJL;CLS:PRINTER;");
	cr_assert_null(parclass_device_id_get(id, "MDL"));
	cr_assert_null(parclass_device_id_get(id, "DES"));
	parclass_device_id_free(id);
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

Test(deviceid, the_normalised_text_keeps_the_length_bound_and_parses_again)
{
	/* Found by tests/fuzz/fuzz-deviceid: 0xFFF bytes without the final ';'
	 * became a 0x1000-byte text that its own parser refused. */
	char text[0x1000], raw[0x1002];
	parclass_device_id *id = NULL, *again = NULL;

	memset(text, 'A', sizeof text - 1);
	memcpy(text, "MFG:", 4);
	text[0xfff] = '\0';
	cr_assert_eq(parclass_device_id_parse(text, &id), -EINVAL);
	cr_assert_null(id);
	raw[0] = 0x10;
	raw[1] = 0x01;
	memcpy(raw + 2, text, 0xfff);
	cr_assert_eq(parse_raw_error(raw, 0x1001), -EINVAL);

	/* One byte less: its text, with the ';', is at the bound and parses again. */
	text[0xffe] = '\0';
	id = parse(text);
	cr_assert_eq(strlen(parclass_device_id_text(id)), 0xfff);
	cr_assert_eq(parclass_device_id_text(id)[0xffe], ';');
	cr_assert_eq(parclass_device_id_parse(parclass_device_id_text(id), &again), 0);
	cr_assert_str_eq(parclass_device_id_text(again), parclass_device_id_text(id));
	parclass_device_id_free(again);
	parclass_device_id_free(id);

	/* With its ';', 0xFFF bytes are fine. */
	text[0xffe] = ';';
	text[0xfff] = '\0';
	id = parse(text);
	cr_assert_eq(strlen(parclass_device_id_text(id)), 0xfff);
	parclass_device_id_free(id);
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
