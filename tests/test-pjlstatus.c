/*
 * test-pjlstatus.c - the host's PJL status reader and forward scanner (common/),
 * with well-formed, split, garbled, joined and overlong messages
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/pjl.h"
#include "common/reasons.h"

#define MAX_SEEN 16

static struct pjl_message seen[MAX_SEEN];
static unsigned n_seen;
static struct pjl_reader reader;

static void collect(const struct pjl_message *m, void *userdata)
{
	(void)userdata;
	cr_assert_lt(n_seen, MAX_SEEN);
	seen[n_seen++] = *m;
}

static void feed(const char *data, size_t len)
{
	pjl_reader_feed(&reader, data, len, collect, NULL);
}

static void feed_str(const char *s)
{
	feed(s, strlen(s));
}

static void setup(void)
{
	n_seen = 0;
	pjl_reader_init(&reader);
}

TestSuite(pjlstatus, .init = setup);

Test(pjlstatus, a_device_status_message)
{
	feed_str("@PJL USTATUS DEVICE\r\nCODE=40021\r\nDISPLAY=\"12 PRINTER OPEN\"\r\nONLINE=FALSE\r\n\f");
	cr_assert_eq(n_seen, 1);
	cr_assert_eq(seen[0].kind, PJL_DEVICE);
	cr_assert_eq(seen[0].code, 40021);
	cr_assert_str_eq(seen[0].text, "12 PRINTER OPEN");
	cr_assert_eq(seen[0].online, 0);
	cr_assert_eq(reader.garbled, 0);
}

Test(pjlstatus, info_status_and_timed_status_read_like_device_status)
{
	feed_str("@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"00 READY\"\r\nONLINE=TRUE\r\n\f"
		 "@PJL USTATUS TIMED\r\nCODE=10023\r\nDISPLAY=\"PRINTING\"\r\nONLINE=TRUE\r\n\f");
	cr_assert_eq(n_seen, 2);
	cr_assert_eq(seen[0].kind, PJL_DEVICE);
	cr_assert_eq(seen[0].code, 10001);
	cr_assert_eq(seen[0].online, 1);
	cr_assert_eq(seen[1].kind, PJL_DEVICE);
	cr_assert_eq(seen[1].code, 10023);
}

Test(pjlstatus, a_job_start_has_no_page_count_even_when_the_printer_sends_one)
{
	/* Found by tests/fuzz/fuzz-pjlstatus: pages is an end's or a page's only. */
	feed_str("@PJL USTATUS JOB\r\nSTART\r\nNAME=\"42 report\"\r\nPAGES=2\r\n\f"
		 "@PJL USTATUS JOB\r\nSTART\r\nNAME=\"43\"\r\nPAGES=x\r\n\f");
	cr_assert_eq(n_seen, 2);
	cr_assert_eq(seen[0].kind, PJL_JOB_START);
	cr_assert_str_eq(seen[0].text, "42 report");
	cr_assert_eq(seen[0].pages, -1);
	cr_assert_eq(seen[1].kind, PJL_JOB_START);
	cr_assert_str_eq(seen[1].text, "43");
	cr_assert_eq(seen[1].pages, -1);
	cr_assert_eq(reader.garbled, 0);
}

Test(pjlstatus, job_and_page_messages)
{
	feed_str("@PJL USTATUS JOB\r\nSTART\r\nNAME=\"42 report\"\r\n\f"
		 "@PJL USTATUS PAGE\r\n1\r\n\f@PJL USTATUS PAGE\r\n2\r\n\f"
		 "@PJL USTATUS JOB\r\nEND\r\nNAME=\"42 report\"\r\nPAGES=2\r\n\f");
	cr_assert_eq(n_seen, 4);
	cr_assert_eq(seen[0].kind, PJL_JOB_START);
	cr_assert_str_eq(seen[0].text, "42 report");
	cr_assert_eq(seen[1].kind, PJL_PAGE);
	cr_assert_eq(seen[1].pages, 1);
	cr_assert_eq(seen[2].pages, 2);
	cr_assert_eq(seen[3].kind, PJL_JOB_END);
	cr_assert_eq(seen[3].pages, 2);
	cr_assert_str_eq(seen[3].text, "42 report");
}

Test(pjlstatus, echo_and_other_answers)
{
	feed_str("@PJL ECHO sync 17\r\n\f@PJL INFO ID\r\n\"HP LaserJet 4\"\r\n\f");
	cr_assert_eq(n_seen, 2);
	cr_assert_eq(seen[0].kind, PJL_ECHO);
	cr_assert_str_eq(seen[0].text, "sync 17");
	cr_assert_eq(seen[1].kind, PJL_OTHER);
	cr_assert_str_eq(seen[1].text, "@PJL INFO ID");
}

Test(pjlstatus, messages_split_anywhere_are_put_together)
{
	static const char msg[] = "@PJL USTATUS DEVICE\r\nCODE=41100\r\nDISPLAY=\"LOAD TRAY 1\"\r\nONLINE=FALSE\r\n\f";

	for (size_t i = 0; i < sizeof msg - 1; i++)
		feed(msg + i, 1);
	cr_assert_eq(n_seen, 1);
	cr_assert_eq(seen[0].code, 41100);
	cr_assert_str_eq(seen[0].text, "LOAD TRAY 1");
}

Test(pjlstatus, garbled_codes_are_dropped_not_believed)
{
	feed_str("@PJL USTATUS DEVICE\r\nCODE=4j021\r\nDISPLAY=\"X\"\r\n\f"
		 "@PJL USTATUS DEVICE\r\nDISPLAY=\"no code\"\r\n\f"
		 "@PJL USTATUS PAGE\r\nseven\r\n\f"
		 "@PJL USTATUS JOB\r\nMIDDLE\r\n\f"
		 "@PJL USTATUS DEVICE\r\nCODE=99999\r\n\f");
	cr_assert_eq(n_seen, 0);
	cr_assert_eq(reader.garbled, 5);
}

Test(pjlstatus, junk_before_a_message_is_skipped)
{
	static const char msg[] = "\xff\x00\x13garbage\r\n@PJL USTATUS DEVICE\r\nCODE=10001\r\n\f";

	feed(msg, sizeof msg - 1);
	cr_assert_eq(n_seen, 1);
	cr_assert_eq(seen[0].code, 10001);
	feed_str("nothing but noise\f");
	cr_assert_eq(n_seen, 1);
	cr_assert_eq(reader.garbled, 1);
}

Test(pjlstatus, a_lost_form_feed_does_not_merge_two_messages)
{
	feed_str("@PJL USTATUS DEVICE\r\nCODE=41100\r\n@PJL USTATUS DEVICE\r\nCODE=10001\r\n\f");
	cr_assert_eq(n_seen, 2);
	cr_assert_eq(seen[0].code, 41100);
	cr_assert_eq(seen[1].code, 10001);
}

Test(pjlstatus, display_text_is_printable_and_bounded)
{
	char msg[512];

	snprintf(msg, sizeof msg, "@PJL USTATUS DEVICE\r\nCODE=10001\r\nDISPLAY=\"A\x01\\\\\xe9Z%0100d\"\r\n\f", 0);
	feed_str(msg);
	cr_assert_eq(n_seen, 1);
	cr_assert_eq(strlen(seen[0].text), PJL_TEXT_MAX);
	cr_assert(!strncmp(seen[0].text, "A????Z00", 8), "%s", seen[0].text);
}

Test(pjlstatus, an_endless_message_is_dropped_and_the_next_one_read)
{
	static char noise[PJL_MESSAGE_MAX * 3];

	memset(noise, 'x', sizeof noise);
	memcpy(noise, "@PJL USTATUS DEVICE\r\nCODE=10001\r\n", 33);
	feed(noise, sizeof noise);
	feed_str("\f@PJL USTATUS DEVICE\r\nCODE=40022\r\n\f");
	cr_assert_eq(n_seen, 1);
	cr_assert_eq(seen[0].code, 40022);
	cr_assert_eq(reader.garbled, 1);
}

Test(pjlstatus, codes_map_to_printer_state_reasons)
{
	cr_assert_eq(pjl_code_reasons(10001), 0);
	cr_assert_eq(pjl_code_reasons(10002), REASON_OFFLINE);
	cr_assert_eq(pjl_code_reasons(10006), REASON_TONER_LOW);
	cr_assert_eq(pjl_code_reasons(10023), 0);
	cr_assert_eq(pjl_code_reasons(30016), REASON_OTHER_WARNING);
	cr_assert_eq(pjl_code_reasons(40000), 0);
	cr_assert_eq(pjl_code_reasons(40021), REASON_DOOR_OPEN);
	cr_assert_eq(pjl_code_reasons(40022), REASON_MEDIA_JAM);
	cr_assert_eq(pjl_code_reasons(40038), REASON_TONER_LOW);
	cr_assert_eq(pjl_code_reasons(40079), REASON_OFFLINE);
	cr_assert_eq(pjl_code_reasons(41100), REASON_MEDIA_EMPTY);
	cr_assert_eq(pjl_code_reasons(41302), REASON_MEDIA_EMPTY);
	cr_assert_eq(pjl_code_reasons(42108), REASON_MEDIA_JAM);
	cr_assert_eq(pjl_code_reasons(44000), REASON_MEDIA_JAM);
	cr_assert_eq(pjl_code_reasons(40010), REASON_OTHER_ERROR);
	cr_assert_eq(pjl_code_reasons(50000), REASON_OTHER_ERROR);
	cr_assert_str_eq(pjl_code_alert(10001), "code=printerReadyToPrint;severity=other");
	cr_assert_str_eq(pjl_code_alert(40021), "code=doorOpen;severity=critical");
	cr_assert_str_eq(pjl_code_alert(41302), "code=inputMediaSupplyEmpty;severity=critical");
	cr_assert_str_eq(pjl_code_alert(44000), "code=jam;severity=critical");
	cr_assert_str_eq(pjl_code_alert(10006), "code=markerTonerAlmostEmpty;severity=warning");
	cr_assert_str_eq(pjl_code_alert(30016), "code=other;severity=warning");
	cr_assert_str_eq(pjl_code_alert(50000), "code=other;severity=critical");
	cr_assert_str_eq(pjl_code_text(41100), "Paper out");
	cr_assert_str_eq(pjl_code_text(40021), "Door open");
	cr_assert_str_eq(pjl_code_text(50003), "Printer error");
}

/* ---- the forward scanner ---- */

Test(pjlstatus, the_uel_is_the_escape_sequence_that_leaves_any_language)
{
	/* Spelled out here on purpose: everything else takes PJL_UEL from pjl.h. */
	char formatted[16];

	cr_assert_eq(sizeof PJL_UEL, 10);
	cr_assert_eq(memcmp(PJL_UEL, "\033%-12345X", 10), 0);
	cr_assert_eq(snprintf(formatted, sizeof formatted, PJL_UEL_FMT), 9);
	cr_assert_str_eq(formatted, PJL_UEL);
}

static struct pjl_scan scan;

static void scan_str(const char *s)
{
	pjl_scan_feed(&scan, s, strlen(s));
}

Test(pjlstatus, the_scanner_counts_job_ends_while_job_status_is_on)
{
	pjl_scan_init(&scan);
	scan_str(PJL_UEL "@PJL JOB NAME=\"a\"\r\n@PJL EOJ\r\n");
	cr_assert_not(scan.job_status_on);
	cr_assert_eq(scan.ends_expected, 0, "no job status asked for: no END to wait for");
	scan_str(PJL_UEL "@PJL USTATUS JOB=ON\r\n@PJL JOB NAME=\"b\"\r\ndata\f" PJL_UEL "@PJL EOJ NAME=\"b\"\r\n");
	cr_assert(scan.job_status_on);
	cr_assert_eq(scan.ends_expected, 1);
	scan_str("@pjl   ustatus  job = off\n@PJL EOJ\n");
	cr_assert_not(scan.job_status_on);
	cr_assert_eq(scan.ends_expected, 1);
	scan_str("@PJL USTATUS JOB=ON\n@PJL EOJ\n@PJL USTATUSOFF\n@PJL EOJ\n");
	cr_assert_eq(scan.ends_expected, 2);
}

Test(pjlstatus, the_scanner_finds_a_command_after_an_at_sign_at_the_end_of_a_write)
{
	/* Found by tests/fuzz/fuzz-pjlstatus: a write that ended in "@@" (or
	 * "@x@") lost the "@PJL" that the last '@' began. */
	static const char *const firsts[] = { "@@", "x@@", "@x@", "@@P", "@@PJ", "@\r@P" };

	for (size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
		const char *rest = "PJL USTATUS JOB=ON\r\n@PJL EOJ\r\n";
		size_t n = strlen(firsts[i]);

		/* The second write goes on where the first "@PJL" left off. */
		if (firsts[i][n - 1] == 'P')
			rest += 1;
		if (firsts[i][n - 1] == 'J')
			rest += 2;
		pjl_scan_init(&scan);
		scan_str(firsts[i]);
		scan_str(rest);
		cr_assert(scan.job_status_on, "after \"%s\"", firsts[i]);
		cr_assert_eq(scan.ends_expected, 1, "after \"%s\"", firsts[i]);
	}
}

Test(pjlstatus, the_scanner_finds_commands_split_across_writes)
{
	static const char data[] = "binary\x00@P@PJ" PJL_UEL "@PJL USTATUS JOB=ON\r\n@PJL EOJ\r\n@PJL EOJX\r\n";

	for (size_t cut = 1; cut < sizeof data - 1; cut++) {
		pjl_scan_init(&scan);
		pjl_scan_feed(&scan, data, cut);
		pjl_scan_feed(&scan, data + cut, sizeof data - 1 - cut);
		cr_assert(scan.job_status_on, "cut at %zu", cut);
		cr_assert_eq(scan.ends_expected, 1, "cut at %zu", cut);
	}
	pjl_scan_init(&scan);
	for (size_t i = 0; i < sizeof data - 1; i++)
		pjl_scan_feed(&scan, data + i, 1);
	cr_assert_eq(scan.ends_expected, 1);
}
