/*
 * test-reasons.c - printer-state-reasons: sources, changes, stale ones
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static char *text;
static size_t text_len;
static FILE *out;
static struct bk_reasons r;

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
	bk_reasons_init(&r, NULL, out);
	bk_reasons_set(&r, BK_FROM_LINES, BK_MEDIA_EMPTY);
	bk_reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: +media-empty-error\n");
	bk_reasons_flush(&r);
	cr_assert_str_eq(said(), "");
	bk_reasons_set(&r, BK_FROM_LINES, BK_OFFLINE | BK_MEDIA_EMPTY);
	bk_reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: +offline-report\n");
	bk_reasons_set(&r, BK_FROM_LINES, 0);
	bk_reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: -media-empty-error,offline-report\n");
}

Test(reasons, a_reason_stays_while_any_source_says_so)
{
	bk_reasons_init(&r, NULL, out);
	bk_reasons_set(&r, BK_FROM_LINES, BK_OFFLINE);
	bk_reasons_set(&r, BK_FROM_PJL, BK_OFFLINE | BK_DOOR_OPEN);
	bk_reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: +door-open-error,offline-report\n");
	bk_reasons_set(&r, BK_FROM_LINES, 0);
	bk_reasons_flush(&r);
	cr_assert_str_eq(said(), "");
	bk_reasons_set(&r, BK_FROM_PJL, BK_TONER_LOW);
	bk_reasons_flush(&r);
	cr_assert_str_eq(said(), "STATE: -door-open-error,offline-report\nSTATE: +toner-low-warning\n");
	cr_assert_eq(bk_reasons_now(&r), BK_TONER_LOW);
}

Test(reasons, stale_reasons_of_ours_are_cleared_and_others_left_alone)
{
	bk_reasons_init(&r, "media-empty-error,paused,offline-report,cups-insecure-filter-warning", out);
	bk_reasons_set(&r, BK_FROM_LINES, BK_OFFLINE);
	bk_reasons_flush(&r);
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
		cr_assert_str_eq(bk_reason_keyword(1u << i), expect[i]);
	cr_assert_null(bk_reason_keyword(1u << 10));
	cr_assert_null(bk_reason_keyword(3));
}

Test(reasons, status_lines_map_to_reasons)
{
	/* Lines as a printer drives them (F nFault, S Select, P PError, A nAck, B Busy). */
	enum { F = PARCLASS_LINE_NFAULT, S = PARCLASS_LINE_SELECT, P = PARCLASS_LINE_PERROR,
	       A = PARCLASS_LINE_NACK, B = PARCLASS_LINE_BUSY, CTL = PARCLASS_LINE_NINIT | PARCLASS_LINE_NAUTOFD };

	cr_assert_eq(bk_reasons_from_status(PARCLASS_STATUS_SELECTED), 0);
	cr_assert_eq(bk_reasons_from_status(PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_BUSY), 0);
	cr_assert_eq(bk_reasons_from_status(parclass_status_from_lines(CTL | S | P | A | B)), BK_MEDIA_EMPTY);
	cr_assert_eq(bk_reasons_from_status(parclass_status_from_lines(CTL | F | A | B)), BK_OFFLINE);
	cr_assert_eq(bk_reasons_from_status(parclass_status_from_lines(CTL | S | A | B)), BK_OTHER_ERROR);
	cr_assert_eq(bk_reasons_from_status(parclass_status_from_lines(CTL)), BK_OFFLINE);          /* off */
	cr_assert_eq(bk_reasons_from_status(parclass_status_from_lines(CTL | F | S | P | A | B)), BK_OFFLINE);
	cr_assert_eq(bk_reasons_from_status(parclass_status_from_lines(CTL | F | A)), BK_OFFLINE);  /* not connected */
	cr_assert_eq(bk_reasons_from_status(parclass_status_from_lines(CTL | F | S | A)), 0);
}
