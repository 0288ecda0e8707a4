/*
 * test-reasons.c - printer-state-reasons: sources, changes, stale ones
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/reasons.h"
#include "parclass.h"

static char *text;
static size_t text_len;
static FILE *out;
static struct reasons r;

static void setup(void)
{
	out = open_memstream(&text, &text_len);
}

static void teardown(void)
{
	fclose(out);
	free(text);
}

TestSuite(reasons, .init = setup, .fini = teardown);

/* What was said since the last call. */
static const char *said(void)
{
	static char copy[1024];

	fclose(out);
	snprintf(copy, sizeof copy, "%s", text ? text : "");
	free(text);
	text = NULL;
	out = open_memstream(&text, &text_len);
	r.out = out;
	return copy;
}

Test(reasons, only_changes_are_told)
{
	reasons_init(&r, NULL, out);
	reasons_set(&r, REASON_FROM_LINES, REASON_MEDIA_EMPTY);
	reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: +media-empty-error\n");
	reasons_flush(&r);
	cr_assert_str_eq(said(), "");
	reasons_set(&r, REASON_FROM_LINES, REASON_OFFLINE | REASON_MEDIA_EMPTY);
	reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: +offline-report\n");
	reasons_set(&r, REASON_FROM_LINES, 0);
	reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: -media-empty-error,offline-report\n");
}

Test(reasons, a_reason_stays_while_any_source_says_so)
{
	reasons_init(&r, NULL, out);
	reasons_set(&r, REASON_FROM_LINES, REASON_OFFLINE);
	reasons_set(&r, REASON_FROM_PJL, REASON_OFFLINE | REASON_DOOR_OPEN);
	reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: +door-open-error,offline-report\n");
	reasons_set(&r, REASON_FROM_LINES, 0);
	reasons_flush(&r);
	cr_assert_str_eq(said(), "");
	reasons_set(&r, REASON_FROM_PJL, REASON_TONER_LOW);
	reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: -door-open-error,offline-report\nSTATE: +toner-low-warning\n");
	cr_assert_eq(reasons_now(&r), REASON_TONER_LOW);
}

Test(reasons, stale_reasons_of_ours_are_cleared_and_others_left_alone)
{
	reasons_init(&r, "media-empty-error,paused,offline-report,cups-insecure-filter-warning", out);
	reasons_set(&r, REASON_FROM_LINES, REASON_OFFLINE);
	reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: -media-empty-error\n");
}

Test(reasons, every_keyword_is_a_cups_keyword)
{
	static const char *const expect[] = {
		"media-empty-error", "media-jam-error", "door-open-error", "offline-report", "toner-low-warning",
		"toner-empty-error", "other-error", "other-warning", "connecting-to-device",
		"cups-waiting-for-job-completed",
	};

	for (unsigned i = 0; i < sizeof expect / sizeof expect[0]; i++)
		cr_assert_str_eq(reason_keyword(1u << i), expect[i]);
	cr_assert_null(reason_keyword(1u << 10));
	cr_assert_null(reason_keyword(3));
}

Test(reasons, status_lines_map_to_reasons)
{
	/* Lines as a printer drives them (F nFault, S Select, P PError, A nAck, B Busy). */
	enum { F = PARCLASS_LINE_NFAULT, S = PARCLASS_LINE_SELECT, P = PARCLASS_LINE_PERROR,
	       A = PARCLASS_LINE_NACK, B = PARCLASS_LINE_BUSY, CTL = PARCLASS_LINE_NINIT | PARCLASS_LINE_NAUTOFD };

	cr_assert_eq(reasons_from_status(PARCLASS_STATUS_SELECTED), 0);
	cr_assert_eq(reasons_from_status(PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_BUSY), 0);
	cr_assert_eq(reasons_from_status(parclass_status_from_lines(CTL | S | P | A | B)), REASON_MEDIA_EMPTY);
	cr_assert_eq(reasons_from_status(parclass_status_from_lines(CTL | F | A | B)), REASON_OFFLINE);
	cr_assert_eq(reasons_from_status(parclass_status_from_lines(CTL | S | A | B)), REASON_OTHER_ERROR);
	cr_assert_eq(reasons_from_status(parclass_status_from_lines(CTL)), REASON_OFFLINE);          /* off */
	cr_assert_eq(reasons_from_status(parclass_status_from_lines(CTL | F | S | P | A | B)), REASON_OFFLINE);
	cr_assert_eq(reasons_from_status(parclass_status_from_lines(CTL | F | A)), REASON_OFFLINE);  /* not connected */
	cr_assert_eq(reasons_from_status(parclass_status_from_lines(CTL | F | S | A)), 0);
}

Test(reasons, a_mask_as_text_is_its_keywords_in_bit_order_and_only_whole_ones)
{
	char buf[64];

	cr_assert_eq(reasons_text(0, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(reasons_text(REASON_OFFLINE | REASON_MEDIA_EMPTY, buf, sizeof buf), 32);
	cr_assert_str_eq(buf, "media-empty-error,offline-report");
	cr_assert_eq(reasons_text(1u << 30, buf, sizeof buf), 0, "a bit that is no reason");
	cr_assert_str_eq(buf, "");
	/* Room for "media-empty-error" (17) and not for ",offline-report". */
	cr_assert_eq(reasons_text(REASON_OFFLINE | REASON_MEDIA_EMPTY, buf, 20), 17);
	cr_assert_str_eq(buf, "media-empty-error");
	cr_assert_eq(reasons_text(REASON_MEDIA_EMPTY, buf, 17), 0, "no room for the only keyword");
	cr_assert_str_eq(buf, "");
}

Test(reasons, every_reason_at_once_fits_its_room_and_each_keyword_names_its_bit)
{
	char buf[REASONS_TEXT_MAX];
	size_t len = reasons_text(REASON_ALL, buf, sizeof buf);

	cr_assert_eq(len, strlen(buf));
	cr_assert(len > 0 && len < sizeof buf);
	cr_assert(!strncmp(buf, "media-empty-error,", 18), "%s", buf);
	cr_assert(len >= 30 && !strcmp(buf + len - 30, "cups-waiting-for-job-completed"), "%s", buf);
	for (unsigned bit = 1; bit & REASON_ALL; bit <<= 1)
		cr_assert_eq(reason_from_keyword(reason_keyword(bit), strlen(reason_keyword(bit))), bit);
	cr_assert_eq(reason_from_keyword("media-empty-error", 5), 0, "a prefix is not the keyword");
	cr_assert_eq(reason_from_keyword("media-empty-error-report", 24), 0);
	cr_assert_eq(reason_from_keyword("paused", 6), 0, "not ours");
}
