/*
 * test-lines.c - lines cupsd and cups-deviced read whole: cut at a UTF-8
 * character, device IDs cut at a pair, every message one line
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

Test(lines, a_cut_never_splits_a_character)
{
	/* "é" is two bytes, "€" three */
	cr_assert_eq(bk_utf8_cut("abc", 10), 3);
	cr_assert_eq(bk_utf8_cut("abc", 2), 2);
	cr_assert_eq(bk_utf8_cut("a\xc3\xa9", 2), 1);
	cr_assert_eq(bk_utf8_cut("a\xc3\xa9", 3), 3);
	cr_assert_eq(bk_utf8_cut("\xe2\x82\xac\xe2\x82\xac", 5), 3);
	cr_assert_eq(bk_utf8_cut("\xe2\x82\xac", 2), 0);
}

Test(lines, quoting_counts_the_escapes_cups_adds)
{
	cr_assert_eq(bk_quoted_len("abc", 3), 6);
	cr_assert_eq(bk_quoted_len("a\"b\\", 4), 9);
}

Test(lines, an_id_that_fits_is_kept_whole)
{
	static const char id[] = "MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;";
	char out[128];

	bk_id_fit(id, bk_quoted_len(id, strlen(id)), out, sizeof out);
	cr_assert_str_eq(out, id);
}

Test(lines, a_long_id_keeps_what_cups_finds_drivers_by_and_whole_pairs_that_fit)
{
	static const char id[] = "DES:a long description;MFG:ACME;SN:12345;MODEL:Laser 9;COMMAND SET:PJL,PCL;"
				 "VSTATUS:$PB0;CLS:PRINTER;";
	char out[128];

	/* Room for the four that matter (55 bytes, quoted 58) and SN. */
	bk_id_fit(id, 58 + 9, out, sizeof out);
	cr_assert_str_eq(out, "MFG:ACME;SN:12345;MODEL:Laser 9;COMMAND SET:PJL,PCL;CLS:PRINTER;");
	bk_id_fit(id, 58, out, sizeof out);
	cr_assert_str_eq(out, "MFG:ACME;MODEL:Laser 9;COMMAND SET:PJL,PCL;CLS:PRINTER;");
	bk_id_fit(id, 24, out, sizeof out);
	cr_assert_str_eq(out, "MFG:ACME;CLS:PRINTER;");
	bk_id_fit(id, 3, out, sizeof out);
	cr_assert_str_eq(out, "");
}

Test(lines, escapes_count_against_the_room)
{
	static const char id[] = "MFG:\"\"\"\";MDL:X;";
	char out[64];

	/* MFG's pair is 9 bytes, 13 quoted */
	bk_id_fit(id, 3 + 12, out, sizeof out);
	cr_assert_str_eq(out, "MDL:X;");
	bk_id_fit(id, 3 + 13, out, sizeof out);
	cr_assert_str_eq(out, "MFG:\"\"\"\";");
}

/* What bk_line() writes for "DEBUG: @arg", read back. */
static char *line_of(const char *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	bk_line(f, "DEBUG: %s\n", arg);
	fclose(f);
	return buf;
}

Test(lines, a_message_is_one_line_of_at_most_the_limit)
{
	char big[5000];
	char *out;

	out = line_of("short");
	cr_assert_str_eq(out, "DEBUG: short\n");
	free(out);

	/* An ATTR: where cupsd would cut the line must not start a line of its own. */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big + BK_LINE_MAX - 7, "ATTR: x=y", 9);
	out = line_of(big);
	cr_assert_eq(strlen(out), BK_LINE_MAX);
	cr_assert_eq(out[BK_LINE_MAX - 1], '\n');
	cr_assert_eq(strchr(out, '\n'), out + BK_LINE_MAX - 1, "one line");
	free(out);

	/* Cut before a character that would not fit whole. */
	memset(big, 'x', sizeof big - 1);
	memcpy(big + BK_LINE_MAX - 9, "\xe2\x82\xac", 3);
	out = line_of(big);
	cr_assert_eq(strlen(out), BK_LINE_MAX - 1);
	cr_assert_str_eq(out + BK_LINE_MAX - 4, "xx\n");
	free(out);
}
