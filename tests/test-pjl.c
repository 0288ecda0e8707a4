/*
 * test-pjl.c - the virtual printer's PJL interpreter, byte for byte
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "pjl.h"

/* Spelled here, not taken from common/pjl.h: the simulator and its tests share nothing with the host. */
#define UEL "\033%-12345X"

static GString *replies;
static GString *commands;

static void on_reply(void *ctx, const char *data, size_t len)
{
	g_string_append_len(replies, data, (gssize)len);
}

static void on_command(void *ctx, const char *line)
{
	g_string_append_printf(commands, "%s|", line);
}

static struct sim_pjl *pjl;

static void setup(void)
{
	static const struct sim_pjl_hooks hooks = { on_reply, on_command };

	replies = g_string_new(NULL);
	commands = g_string_new(NULL);
	pjl = sim_pjl_new(&hooks, NULL, "HP LaserJet 4");
}

static void teardown(void)
{
	sim_pjl_free(pjl);
	g_string_free(replies, TRUE);
	g_string_free(commands, TRUE);
}

static void feed(const char *s)
{
	sim_pjl_feed(pjl, (const guint8 *)s, strlen(s));
}

TestSuite(pjl, .init = setup, .fini = teardown);

Test(pjl, info_status_answers_ready)
{
	feed(UEL "@PJL INFO STATUS\r\n");
	cr_assert_str_eq(replies->str, "@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"00 READY\"\r\nONLINE=TRUE\r\n\f");
	cr_assert_str_eq(commands->str, "@PJL INFO STATUS|");
}

Test(pjl, echo_is_answered_verbatim)
{
	feed(UEL "@PJL ECHO sync 42\n");
	cr_assert_str_eq(replies->str, "@PJL ECHO sync 42\r\n\f");
}

Test(pjl, info_id_answers_the_model)
{
	feed("@PJL INFO ID\r\n");
	cr_assert_str_eq(replies->str, "@PJL INFO ID\r\n\"HP LaserJet 4\"\r\n\f");
}

Test(pjl, commands_split_across_feeds_are_parsed)
{
	const char *all = UEL "@PJL ECHO abc\r\n";

	for (size_t i = 0; i < strlen(all); i++)
		sim_pjl_feed(pjl, (const guint8 *)all + i, 1);
	cr_assert_str_eq(replies->str, "@PJL ECHO abc\r\n\f");
}

Test(pjl, keywords_are_case_insensitive)
{
	feed(UEL "@pjl info status\r\n");
	cr_assert(g_str_has_prefix(replies->str, "@PJL INFO STATUS\r\nCODE=10001"));
}

Test(pjl, ustatus_device_reports_changes_only_when_enabled)
{
	sim_pjl_set_status(pjl, 41100, "LOAD TRAY 1", false);
	cr_assert_str_eq(replies->str, "");
	feed(UEL "@PJL USTATUS DEVICE = ON\r\n");
	sim_pjl_set_status(pjl, 10001, "00 READY", true);
	cr_assert_str_eq(replies->str, "@PJL USTATUS DEVICE\r\nCODE=10001\r\nDISPLAY=\"00 READY\"\r\nONLINE=TRUE\r\n\f");
	g_string_truncate(replies, 0);
	sim_pjl_set_status(pjl, 10001, "00 READY", true);
	cr_assert_str_eq(replies->str, "", "an unchanged status is not reported again");
}

Test(pjl, info_status_reports_the_current_condition)
{
	sim_pjl_set_status(pjl, 40021, "12 PRINTER OPEN", false);
	feed(UEL "@PJL INFO STATUS\r\n");
	cr_assert_str_eq(replies->str,
			 "@PJL INFO STATUS\r\nCODE=40021\r\nDISPLAY=\"12 PRINTER OPEN\"\r\nONLINE=FALSE\r\n\f");
}

Test(pjl, job_start_pages_and_end_are_reported)
{
	feed(UEL "@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=ON\r\n@PJL JOB NAME=\"report 7\"\r\n"
		 "@PJL ENTER LANGUAGE=PCL\r\n\033Epage one\fpage two\f" UEL "@PJL EOJ NAME=\"report 7\"\r\n" UEL);
	cr_assert_str_eq(replies->str, "@PJL USTATUS JOB\r\nSTART\r\nNAME=\"report 7\"\r\n\f"
				       "@PJL USTATUS PAGE\r\n1\r\n\f"
				       "@PJL USTATUS PAGE\r\n2\r\n\f"
				       "@PJL USTATUS JOB\r\nEND\r\nNAME=\"report 7\"\r\nPAGES=2\r\n\f");
	cr_assert_eq(sim_pjl_page_count(pjl), 2);
}

/* Form feed bytes inside PCL binary data (raster rows, transparent data) are data. */
Test(pjl, pcl_binary_data_is_skipped_when_pages_are_counted)
{
	static const char job[] = UEL "@PJL USTATUS JOB=ON\r\n@PJL JOB NAME=\"raster\"\r\n@PJL ENTER LANGUAGE=PCL\r\n"
				  "\033E\033(8U\033(s0p10h12v0s0b3T"      /* no group; a combined sequence */
				  "\033*t300R\033*r1A"
				  "\033*b4W\f\f\033\f"                      /* a raster row of form feeds and ESC */
				  "\033*b2m3W\fA\f"                          /* combined: compression, then 3 bytes */
				  "\033&p2X\f\f"                             /* transparent print data */
				  "\033*rBtext\f"                             /* the one real form feed */
				  "\033E" UEL "@PJL EOJ\r\n" UEL;

	sim_pjl_feed(pjl, (const guint8 *)job, sizeof job - 1);
	cr_assert_str_eq(replies->str, "@PJL USTATUS JOB\r\nSTART\r\nNAME=\"raster\"\r\n\f"
				       "@PJL USTATUS JOB\r\nEND\r\nNAME=\"raster\"\r\nPAGES=1\r\n\f");
	cr_assert_eq(sim_pjl_page_count(pjl), 1);
}

Test(pjl, postscript_pages_are_counted_by_dsc_comments)
{
	feed(UEL "@PJL USTATUS JOB=ON\r\n@PJL JOB NAME=\"ps\"\r\n@PJL ENTER LANGUAGE=POSTSCRIPT\r\n"
		 "%!PS-Adobe-3.0\n%%Pages: 3\n%%Page: 1 1\nshowpage\n%%Page: 2 2\nshowpage\n%%Page: 3 3\n"
		 "showpage\n%%EOF\n" UEL "@PJL EOJ\r\n" UEL);
	cr_assert_str_eq(replies->str, "@PJL USTATUS JOB\r\nSTART\r\nNAME=\"ps\"\r\n\f"
				       "@PJL USTATUS JOB\r\nEND\r\nNAME=\"ps\"\r\nPAGES=3\r\n\f");
}

Test(pjl, postscript_is_recognised_without_enter_language)
{
	feed("%!PS\n%%Page: 1 1\nshowpage\n" UEL "@PJL INFO PAGECOUNT\r\n");
	cr_assert_str_eq(replies->str, "@PJL INFO PAGECOUNT\r\n1\r\n\f");
}

Test(pjl, pjl_text_inside_page_data_is_not_a_command)
{
	feed("plain text then @PJL ECHO no\r\n\f");
	cr_assert_str_eq(replies->str, "");
	cr_assert_str_eq(commands->str, "");
	cr_assert_eq(sim_pjl_page_count(pjl), 1);
}

Test(pjl, a_partial_uel_is_page_data)
{
	feed("\033%-123 not a UEL\f" UEL "@PJL ECHO x\r\n");
	cr_assert_eq(sim_pjl_page_count(pjl), 1);
	cr_assert_str_eq(replies->str, "@PJL ECHO x\r\n\f");
}

Test(pjl, ustatusoff_stops_unsolicited_messages)
{
	feed(UEL "@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUSOFF\r\n@PJL JOB\r\n");
	sim_pjl_set_status(pjl, 10002, "OFFLINE", false);
	cr_assert_str_eq(replies->str, "");
}

Test(pjl, timed_status_interval_is_remembered_and_ticks)
{
	feed(UEL "@PJL USTATUS TIMED=15\r\n");
	cr_assert_eq(sim_pjl_timed_interval(pjl), 15);
	sim_pjl_timed_tick(pjl);
	cr_assert_str_eq(replies->str, "@PJL USTATUS TIMED\r\nCODE=10001\r\nDISPLAY=\"00 READY\"\r\nONLINE=TRUE\r\n\f");
	feed(UEL "@PJL USTATUS TIMED=0\r\n");
	cr_assert_eq(sim_pjl_timed_interval(pjl), 0);
}

Test(pjl, unknown_info_category_is_answered_with_a_question_mark)
{
	feed(UEL "@PJL INFO CONFIG\r\n");
	cr_assert_str_eq(replies->str, "@PJL INFO CONFIG\r\n?\r\n\f");
}

Test(pjl, reset_forgets_ustatus_settings)
{
	feed(UEL "@PJL USTATUS DEVICE=ON\r\n");
	sim_pjl_reset(pjl);
	sim_pjl_set_status(pjl, 10002, "OFFLINE", false);
	cr_assert_str_eq(replies->str, "");
}

Test(pjl, overlong_lines_are_cut_not_overflowed)
{
	GString *line = g_string_new(UEL "@PJL ECHO ");

	for (int i = 0; i < 5000; i++)
		g_string_append_c(line, 'a');
	g_string_append(line, "\r\n");
	feed(line->str);
	g_string_free(line, TRUE);
	/* the line is cut to 1024 bytes, "@PJL ECHO " included */
	cr_assert_eq(replies->len, 1024 + strlen("\r\n\f"));
}
