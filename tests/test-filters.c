/*
 * test-filters.c - the PJL filters: parclass-pjl (the job wrapper) and
 * parclass-command (CUPS maintenance commands)
 *
 * Each filter runs as cupsd runs it: its own process with the six
 * arguments, the queue's PPD in $PPD, the job on stdin or in a file, and
 * for parclass-command the back channel on fd 3. Alone, the test plays the
 * printer on fd 3; in a chain, the filter's output goes to the parclass
 * backend printing on parclass-sim, and the backend's back channel comes
 * back to the filter, as cupsd connects them.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <cups/raster.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/pjl.h"
#include "fixture.h"
#include "job.h"

#define PS_PPD "ppd/parclass-pjl-ps.ppd"
#define PCL_PPD "ppd/parclass-pjl-pcl.ppd"

static struct fx_sim *sim;
static char *tmpdir;

static void teardown(void)
{
	fx_free(sim);
	sim = NULL;
	if (tmpdir)
		remove_tree(tmpdir);
	g_clear_pointer(&tmpdir, g_free);
}

TestSuite(filters, .fini = teardown);

/* ---- running a filter ---- */

static char *build_path(const char *rel)
{
	const char *b = getenv("PARCLASS_BUILDDIR");

	cr_assert(b, "PARCLASS_BUILDDIR is not set: run the tests through make check");
	return g_build_filename(b, rel, NULL);
}

static char *src_path(const char *rel)
{
	const char *s = getenv("PARCLASS_SRCDIR");

	cr_assert(s, "PARCLASS_SRCDIR is not set: run the tests through make check");
	return g_build_filename(s, rel, NULL);
}

static const char *temp_dir(void)
{
	if (!tmpdir) {
		GError *e = NULL;

		tmpdir = g_dir_make_tmp("parclass-filters-XXXXXX", &e);
		cr_assert(tmpdir, "%s", e ? e->message : "");
	}
	return tmpdir;
}

/* A file in the test's temporary directory with @data in it; g_free the path. */
static char *temp_file(const char *name, const void *data, size_t len, int mode)
{
	char *path = g_build_filename(temp_dir(), name, NULL);

	cr_assert(g_file_set_contents(path, data, (gssize)len, NULL));
	cr_assert_eq(chmod(path, (mode_t)mode), 0);
	return path;
}

struct run {
	const char *filter;          /* "parclass-pjl", "parclass-command" */
	const char *title;           /* default "report" */
	const char *user;            /* default "alice" */
	const char *copies;          /* default "1" */
	const char *options;         /* default "" */
	const char *file;            /* argv[6] */
	const char *ppd;             /* relative to the source tree; NULL: no PPD */
	const char *ppd_path;        /* or an absolute path */
	const char *serverbin;       /* CUPS_SERVERBIN */
	const char *reasons;         /* PRINTER_STATE_REASONS */
	const void *input;
	size_t input_len;
	bool back_channel;           /* fd 3: a pipe the test writes (else closed) */
	bool keep_stdin;
};

/* Start @r's filter; the test's ends of its fds are in @p. */
static void start(struct proc *p, const struct run *r)
{
	g_autofree char *rel = g_strconcat("filters/", r->filter, NULL);
	g_autofree char *path = build_path(rel);
	g_autofree char *ppd_path = r->ppd ? src_path(r->ppd) : g_strdup(r->ppd_path);
	g_autofree char *ppd = ppd_path ? g_strconcat("PPD=", ppd_path, NULL) : g_strdup("PPD");
	g_autofree char *serverbin = r->serverbin ? g_strconcat("CUPS_SERVERBIN=", r->serverbin, NULL)
						  : g_strdup("CUPS_SERVERBIN");
	g_autofree char *reasons = r->reasons ? g_strconcat("PRINTER_STATE_REASONS=", r->reasons, NULL)
					      : g_strdup("PRINTER_STATE_REASONS");
	const char *env[] = { ppd, serverbin, reasons, NULL };
	const char *argv[] = { "queue", "42", r->user ? r->user : "alice", r->title ? r->title : "report",
			       r->copies ? r->copies : "1", r->options ? r->options : "", r->file, NULL };
	struct proc_spec s = {
		.path = path,
		.argv = argv,
		.env = env,
		.input = r->input,
		.input_len = r->input_len,
		.keep_stdin = r->keep_stdin,
		.back = r->back_channel ? PROC_BACK_TO : PROC_BACK_NONE,
	};

	proc_start(p, &s);
}

/* End the filter's input if the test kept it open, then wait for it to
 * finish. @return its status. */
static int finish(struct proc *p, int timeout_ms)
{
	if (p->keep_stdin)
		proc_close_stdin(p);
	return proc_finish(p, timeout_ms);
}

/* The filter's whole output must be @expected, byte for byte. */
static void assert_output(struct proc *p, const char *expected, size_t len)
{
	char *got_raw = g_strndup((const char *)p->outdata->data, p->outdata->len);
	char *want_raw = g_strndup(expected, len);
	char *got = g_strescape(got_raw, NULL);
	char *want = g_strescape(want_raw, NULL);

	cr_assert_str_eq(got, want, "stderr:\n%s", p->errtext->str);
	cr_assert_eq(p->outdata->len, len);
	cr_assert_eq(memcmp(p->outdata->data, expected, len), 0);
	g_free(got);
	g_free(want);
	g_free(got_raw);
	g_free(want_raw);
}

#define ASSERT_OUTPUT(p, lit) assert_output((p), (lit), sizeof(lit) - 1)

static void assert_said(const struct proc *p, const char *line)
{
	cr_assert(strstr(p->errtext->str, line), "expected \"%s\" in:\n%s", line, p->errtext->str);
}

static void assert_not_said(const struct proc *p, const char *text)
{
	cr_assert_not(strstr(p->errtext->str, text), "unexpected \"%s\" in:\n%s", text, p->errtext->str);
}

/* ---- parclass-pjl ---- */

/* Pieces of the exact bytes the wrapper writes for job 42 of user alice. */
#define PS_JOB "%!PS-Adobe-3.0\n%%Pages: 1\n%%Page: 1 1\nshowpage\n%%EOF\n"
#define ALL_STATUS "@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=ON\r\n"
#define JOB_42(title) "@PJL JOB NAME=\"42 " title "\"\r\n@PJL SET USERNAME=\"alice\"\r\n"
#define EOJ_42(title) PJL_UEL "@PJL EOJ NAME=\"42 " title "\"\r\n" PJL_UEL

static const char ps_job[] = PS_JOB;

Test(filters, without_a_ppd_the_wrapper_turns_all_status_on_and_names_the_language)
{
	struct run r = { .filter = "parclass-pjl", .input = ps_job, .input_len = sizeof ps_job - 1 };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  ALL_STATUS
			  JOB_42("report")
			  "@PJL ENTER LANGUAGE=POSTSCRIPT\r\n"
			  PS_JOB
			  EOJ_42("report"));
	proc_free(&p);
}

Test(filters, the_wrapper_reads_a_file_and_knows_pcl)
{
	static const char pcl[] = "\033E\033&l0O page one\f\033E";
	char *file = temp_file("job.pcl", pcl, sizeof pcl - 1, 0644);
	struct run r = { .filter = "parclass-pjl", .file = file, .title = "memo" };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  ALL_STATUS
			  JOB_42("memo")
			  "@PJL ENTER LANGUAGE=PCL\r\n"
			  "\033E\033&l0O page one\f\033E"
			  EOJ_42("memo"));
	g_free(file);
	proc_free(&p);
}

Test(filters, hostile_titles_and_user_names_cannot_end_the_string_or_inject_pjl)
{
	/* A quote to end the string, CR LF and a PJL command, a UEL, a NUL-free
	 * control character, UTF-8 and a lone high byte. */
	static const char title[] = "a\"b\r\n@PJL SET COPIES=99\r\n" PJL_UEL "@PJL RDYMSG DISPLAY=\"x\"\x07" "caf\xc3\xa9\xff!";
	struct run r = { .filter = "parclass-pjl", .title = title, .user = "eve\"\n@PJL INITIALIZE\n\x1b",
			 .input = "text\f", .input_len = 5 };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  ALL_STATUS
			  "@PJL JOB NAME=\"42 a'b  @PJL SET COPIES=99   %-12345X@PJL RDYMSG DISPLAY='x' caf??" "!\"\r\n"
			  "@PJL SET USERNAME=\"eve' @PJL INITIALIZE  \"\r\n"
			  "text\f"
			  PJL_UEL "@PJL EOJ NAME=\"42 a'b  @PJL SET COPIES=99   %-12345X@PJL RDYMSG DISPLAY='x' caf??" "!\"\r\n"
			  PJL_UEL);
	proc_free(&p);
}

Test(filters, a_long_title_is_cut_at_80_characters)
{
	char title[300];
	struct run r = { .filter = "parclass-pjl", .title = title };
	struct proc p;
	const char *name;

	memset(title, 'T', sizeof title - 1);
	title[sizeof title - 1] = '\0';
	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	g_byte_array_append(p.outdata, (const guint8 *)"", 1);
	name = strstr((const char *)p.outdata->data, "@PJL JOB NAME=\"42 ");
	cr_assert(name);
	/* "42 " and 77 T's: 80 characters between the quotes. */
	cr_assert_eq(strcspn(name + 15, "\""), 80);
	cr_assert_eq(strspn(name + 18, "T"), 77);
	proc_free(&p);
}

/* No @PJL SET COPIES: pstops' NumCopies makes them (PJL would square collated copies). */
Test(filters, the_ps_ppds_options_become_pjl_settings)
{
	struct run r = { .filter = "parclass-pjl", .ppd = PS_PPD, .copies = "3",
			 .options = "JCLDuplex=DuplexTumble JCLEconomode=True JCLResolution=300dpi JCLStatus=Job",
			 .input = ps_job, .input_len = sizeof ps_job - 1 };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  "@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=OFF\r\n"
			  JOB_42("report")
			  "@PJL SET DUPLEX=ON\r\n@PJL SET BINDING=SHORTEDGE\r\n"
			  "@PJL SET RESOLUTION=300\r\n@PJL SET ECONOMODE=ON\r\n"
			  "@PJL ENTER LANGUAGE=POSTSCRIPT\r\n"
			  PS_JOB
			  EOJ_42("report"));
	proc_free(&p);
}

Test(filters, the_ps_ppds_defaults)
{
	struct run r = { .filter = "parclass-pjl", .ppd = PS_PPD, .input = ps_job, .input_len = sizeof ps_job - 1 };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  ALL_STATUS
			  JOB_42("report")
			  "@PJL SET DUPLEX=OFF\r\n@PJL SET RESOLUTION=600\r\n@PJL SET ECONOMODE=OFF\r\n"
			  "@PJL ENTER LANGUAGE=POSTSCRIPT\r\n"
			  PS_JOB
			  EOJ_42("report"));
	proc_free(&p);
}

/* What cupsd passes: IPP attributes that libcups maps onto PPD options. */
Test(filters, ipp_sides_reaches_the_printer_as_pjl_duplex)
{
	struct run r = { .filter = "parclass-pjl", .ppd = PS_PPD, .options = "sides=two-sided-short-edge job-uuid=x",
			 .input = ps_job, .input_len = sizeof ps_job - 1 };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  ALL_STATUS
			  JOB_42("report")
			  "@PJL SET DUPLEX=ON\r\n@PJL SET BINDING=SHORTEDGE\r\n"
			  "@PJL SET RESOLUTION=600\r\n@PJL SET ECONOMODE=OFF\r\n"
			  "@PJL ENTER LANGUAGE=POSTSCRIPT\r\n"
			  PS_JOB
			  EOJ_42("report"));
	proc_free(&p);
}

/* A one-page 1-bit raster as cups-filters' gstoraster would make it. */
static char *raster_file(unsigned dpi)
{
	char *path = g_build_filename(temp_dir(), "page.ras", NULL);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cups_raster_t *ras;
	cups_page_header2_t h;
	unsigned char *line;

	cr_assert_geq(fd, 0);
	ras = cupsRasterOpen(fd, CUPS_RASTER_WRITE);
	cr_assert(ras);
	memset(&h, 0, sizeof h);
	strcpy(h.MediaClass, "PwgRaster");
	h.HWResolution[0] = h.HWResolution[1] = dpi;
	h.PageSize[0] = 612;
	h.PageSize[1] = 792;
	h.cupsWidth = 612 * dpi / 72;
	h.cupsHeight = 16;
	h.cupsBitsPerColor = 1;
	h.cupsBitsPerPixel = 1;
	h.cupsBytesPerLine = (h.cupsWidth + 7) / 8;
	h.cupsColorOrder = CUPS_ORDER_CHUNKED;
	h.cupsColorSpace = CUPS_CSPACE_K;
	h.NumCopies = 1;
	cr_assert(cupsRasterWriteHeader2(ras, &h));
	line = g_malloc0(h.cupsBytesPerLine);
	for (unsigned y = 0; y < h.cupsHeight; y++) {
		memset(line, y & 1 ? 0xaa : 0x0f, 4);
		cr_assert_eq(cupsRasterWritePixels(ras, line, h.cupsBytesPerLine), h.cupsBytesPerLine);
	}
	g_free(line);
	cupsRasterClose(ras);
	close(fd);
	return path;
}

static bool has(const struct proc *p, const char *bytes, size_t len)
{
	return p->outdata->len >= len && memmem(p->outdata->data, p->outdata->len, bytes, len);
}

Test(filters, the_pcl_ppd_wraps_what_cups_rastertohp_makes_of_the_raster)
{
	char *ras = raster_file(300);
	/* cupsd always sets CUPS_SERVERBIN; the built-in default is the configured one. */
	struct run r = { .filter = "parclass-pjl", .ppd = PCL_PPD, .file = ras, .options = "Resolution=300dpi",
			 .serverbin = "/usr/lib/cups" };
	static const char head[] = PJL_UEL "@PJL\r\n"
				   ALL_STATUS JOB_42("report");
	static const char lang[] = "@PJL SET RESOLUTION=300\r\n@PJL ENTER LANGUAGE=PCL\r\n\033E";
	static const char tail[] = "\033E" EOJ_42("report");
	struct proc p;

	cr_assert(g_file_test("/usr/lib/cups/filter/rastertohp", G_FILE_TEST_IS_EXECUTABLE),
		  "CUPS's rastertohp is missing: install the package cups");
	start(&p, &r);
	cr_assert_eq(finish(&p, 2 * EVENTUALLY_MS), 0, "%s", p.errtext->str);
	cr_assert_geq(p.outdata->len, sizeof head + sizeof tail);
	cr_assert_eq(memcmp(p.outdata->data, head, sizeof head - 1), 0, "%.*s", (int)p.outdata->len,
		     p.outdata->data);
	cr_assert(has(&p, lang, sizeof lang - 1), "no resolution and language before the PCL");
	/* rastertohp's raster graphics at 300 dpi, then its end of job, then ours. */
	cr_assert(has(&p, "\033*t300R", 7), "not rastertohp's output");
	cr_assert(has(&p, "\033*r", 3));
	cr_assert_eq(memcmp(p.outdata->data + p.outdata->len - (sizeof tail - 1), tail, sizeof tail - 1), 0);
	assert_said(&p, "DEBUG: parclass-pjl: running /usr/lib/cups/filter/rastertohp");
	g_free(ras);
	proc_free(&p);
}

/* A PPD that asks for a driver from @serverbin: @script is that driver. */
static char *driver_ppd(const char *driver, const char *script, char **serverbin)
{
	static const char ppd_fmt[] =
		"*PPD-Adobe: \"4.3\"\n*FormatVersion: \"4.3\"\n*FileVersion: \"1.0\"\n*LanguageVersion: English\n"
		"*LanguageEncoding: ISOLatin1\n*PCFileName: \"TEST.PPD\"\n*Manufacturer: \"Test\"\n"
		"*Product: \"(Test)\"\n*ModelName: \"Test\"\n*NickName: \"Test\"\n*ShortNickName: \"Test\"\n"
		"*PSVersion: \"(3010.000) 0\"\n*parclassFilter: \"%s\"\n*parclassLanguage: \"PCL\"\n"
		"*parclassPJLCopies: True\n"
		"*JCLOpenUI *JCLBad/Bad: PickOne\n*OrderDependency: 20 JCLSetup *JCLBad\n*DefaultJCLBad: On\n"
		"*JCLBad On/On: \"@PJL SET GOOD=1<0D0A><1B>E@PJL SET BAD=1<0D0A>PRINT<0D0A>\"\n*JCLCloseUI: *JCLBad\n"
		"*OpenUI *PageSize: PickOne\n*OrderDependency: 10 AnySetup *PageSize\n*DefaultPageSize: Letter\n"
		"*PageSize Letter: \"<</PageSize[612 792]>>setpagedevice\"\n*CloseUI: *PageSize\n";
	char *ppd = g_strdup_printf(ppd_fmt, driver);
	char *path = temp_file("test.ppd", ppd, strlen(ppd), 0644);
	char *filterdir = g_build_filename(temp_dir(), "filter", NULL);

	g_free(ppd);
	cr_assert_eq(g_mkdir_with_parents(filterdir, 0755), 0);
	if (script) {
		char *exe = g_build_filename(filterdir, "fake-driver", NULL);

		cr_assert(g_file_set_contents(exe, script, -1, NULL));
		cr_assert_eq(chmod(exe, 0755), 0);
		g_free(exe);
	}
	g_free(filterdir);
	*serverbin = g_strdup(temp_dir());
	return path;
}

Test(filters, the_driver_gets_the_jobs_arguments_only_pjl_lines_of_the_ppd_pass_and_pjl_makes_the_copies)
{
	char *serverbin;
	char *ppd = driver_ppd("fake-driver", "#!/bin/sh\nprintf 'args:%s|%s|%s|%s|%s;' \"$1\" \"$2\" \"$3\" \"$4\" \"$5\"\n"
				"cat\n", &serverbin);
	struct run r = { .filter = "parclass-pjl", .ppd_path = ppd, .serverbin = serverbin, .input = "RASTER",
			 .input_len = 6, .options = "x=y", .copies = "2" };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  JOB_42("report")
			  "@PJL SET GOOD=1\r\n"
			  "@PJL SET COPIES=2\r\n"
			  "@PJL ENTER LANGUAGE=PCL\r\n"
			  "args:42|alice|report|2|x=y;RASTER"
			  EOJ_42("report"));
	assert_said(&p, "WARNING: parclass-pjl: PPD code of JCLBad=On is not a PJL line, left out\n");
	g_free(ppd);
	g_free(serverbin);
	proc_free(&p);
}

Test(filters, a_failing_driver_fails_the_job_and_the_printer_still_gets_the_end_of_job)
{
	char *serverbin;
	char *ppd = driver_ppd("fake-driver", "#!/bin/sh\nprintf 'half a page'\nexit 3\n", &serverbin);
	struct run r = { .filter = "parclass-pjl", .ppd_path = ppd, .serverbin = serverbin };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 1, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  JOB_42("report")
			  "@PJL SET GOOD=1\r\n"
			  "@PJL ENTER LANGUAGE=PCL\r\n"
			  "half a page"
			  EOJ_42("report"));
	assert_said(&p, "ERROR: parclass-pjl: fake-driver failed with exit status 3\n");
	g_free(ppd);
	g_free(serverbin);
	proc_free(&p);
}

Test(filters, a_driver_outside_the_filter_directory_is_refused)
{
	char *serverbin;
	char *ppd = driver_ppd("../../bin/sh", NULL, &serverbin);
	struct run r = { .filter = "parclass-pjl", .ppd_path = ppd, .serverbin = serverbin };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 1, "%s", p.errtext->str);
	cr_assert_eq(p.outdata->len, 0);
	assert_said(&p, "ERROR: parclass-pjl: *parclassFilter \"../../bin/sh\" must name a program in the CUPS filter "
			"directory\n");
	g_free(ppd);
	g_free(serverbin);
	proc_free(&p);
}

Test(filters, sigterm_mid_job_still_ends_the_job_on_the_printer)
{
	struct run r = { .filter = "parclass-pjl", .input = ps_job, .input_len = sizeof ps_job - 1, .keep_stdin = true };
	struct proc p;

	start(&p, &r);
	proc_wait_output(&p, "showpage", EVENTUALLY_MS);
	kill(p.pid, SIGTERM);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n"
			  ALL_STATUS
			  JOB_42("report")
			  "@PJL ENTER LANGUAGE=POSTSCRIPT\r\n"
			  PS_JOB
			  EOJ_42("report"));
	assert_said(&p, "INFO: parclass-pjl: job cancelled, ending it on the printer\n");
	proc_free(&p);
}

/* Is @pid inside a write() to @fd, as /proc/PID/syscall shows (we are root)? */
static bool blocked_writing(pid_t pid, int fd)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/syscall", (int)pid), *text = NULL;
	long nr;
	unsigned long arg;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return false;
	return sscanf(text, "%ld 0x%lx", &nr, &arg) == 2 && nr == SYS_write && arg == (unsigned long)fd;
}

/*
 * cupsd's SIGTERM while the wrapper is blocked passing data on (the backend
 * reads nothing) and more input waits: the job still ends on the printer,
 * without an error and without reading the rest of an input that never
 * ends. Both moments the signal may find it in fail without the fix: in the
 * write (EINTR made a "cannot pass the job on" error of it), or between
 * calls (the wrapper went on reading until its input ended).
 */
Test(filters, sigterm_while_the_backend_takes_nothing_ends_the_job_whatever_more_input_waits)
{
	struct run r = { .filter = "parclass-pjl", .keep_stdin = true };
	static unsigned char chunk[4096];
	int queued = 0;
	struct proc p;
	const guint8 *tail;

	memset(chunk, 'x', sizeof chunk);
	memcpy(chunk, "%!PS-Adobe-3.0\n", 15);
	start(&p, &r);   /* (its stdin does not block) */
	/* Until it is blocked writing to the backend and our input waits behind it. */
	for (long long end = now_ms() + EVENTUALLY_MS; !blocked_writing(p.pid, 1); poll(NULL, 0, 5)) {
		cr_assert_lt(now_ms(), end, "the wrapper never blocked in its output; it said:\n%s", p.errtext->str);
		while (write(p.in, chunk, sizeof chunk) > 0)
			;
		cr_assert_eq(errno, EAGAIN);
	}
	cr_assert_eq(ioctl(p.out, FIONREAD, &queued), 0);
	kill(p.pid, SIGTERM);
	cr_assert_eq(proc_finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	assert_said(&p, "INFO: parclass-pjl: job cancelled, ending it on the printer\n");
	assert_not_said(&p, "ERROR");
	cr_assert_geq(p.outdata->len, (guint)queued);
	tail = p.outdata->data + p.outdata->len - (sizeof EOJ_42("report") - 1);
	cr_assert(memcmp(tail, EOJ_42("report"), sizeof EOJ_42("report") - 1) == 0, "the job did not end with EOJ");
	close(p.in);
	proc_free(&p);
}

Test(filters, a_backend_that_stops_taking_data_fails_the_job_with_one_error)
{
	struct run r = { .filter = "parclass-pjl", .keep_stdin = true };
	struct proc p;
	const char *first;

	start(&p, &r);
	close(p.out);   /* the backend is gone */
	p.out = -1;
	cr_assert_eq(write(p.in, ps_job, sizeof ps_job - 1), (ssize_t)(sizeof ps_job - 1));
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 1, "%s", p.errtext->str);
	first = strstr(p.errtext->str, "ERROR: parclass-pjl: cannot pass the job on to the backend: Broken pipe\n");
	cr_assert(first, "%s", p.errtext->str);
	cr_assert_null(strstr(strchr(first, '\n'), "cannot pass"), "said more than once:\n%s", p.errtext->str);
	proc_free(&p);
}

Test(filters, bad_arguments_a_missing_file_and_a_bad_ppd_are_errors)
{
	struct run bad_copies = { .filter = "parclass-pjl", .copies = "many" };
	struct run missing = { .filter = "parclass-pjl", .file = "/nonexistent/job" };
	char *broken = temp_file("broken.ppd", "not a PPD\n", 10, 0644);
	struct run bad_ppd = { .filter = "parclass-pjl", .ppd_path = broken };
	struct proc p;

	start(&p, &bad_copies);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 1);
	assert_said(&p, "ERROR: parclass-pjl: copies must be a number from 1 to 9999, not \"many\"\n");
	cr_assert_eq(p.outdata->len, 0);
	proc_free(&p);

	start(&p, &missing);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 1);
	assert_said(&p, "ERROR: parclass-pjl: cannot open /nonexistent/job: No such file or directory\n");
	cr_assert_eq(p.outdata->len, 0);
	proc_free(&p);

	start(&p, &bad_ppd);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 1);
	assert_said(&p, "ERROR: parclass-pjl: cannot read the PPD file ");
	cr_assert_eq(p.outdata->len, 0);
	proc_free(&p);
	g_free(broken);
}

/* ---- parclass-command alone: the test plays the printer on fd 3 ---- */

/* The ECHO token of the query the filter sent; g_free it. */
static char *query_token(struct proc *p)
{
	const char *out, *echo, *end;

	proc_wait_output(p, "@PJL INFO STATUS\r\n" PJL_UEL, EVENTUALLY_MS);
	out = (const char *)p->outdata->data;
	echo = g_strstr_len(out, (gssize)p->outdata->len, "@PJL ECHO ");
	cr_assert(echo);
	end = strstr(echo, "\r\n");
	return g_strndup(echo + 10, (gsize)(end - echo - 10));
}

static void printer_says(struct proc *p, const char *text)
{
	cr_assert_eq(write(p->back, text, strlen(text)), (ssize_t)strlen(text));
}

static const char command_status[] = "#CUPS-COMMAND\nReportStatus\n";

Test(filters, report_status_reads_the_answer_after_its_echo_and_reports_it)
{
	struct run r = { .filter = "parclass-command", .ppd = PS_PPD, .input = command_status,
			 .input_len = sizeof command_status - 1, .back_channel = true,
			 .reasons = "door-open-error,toner-low-warning,connecting-to-device,com.example-report",
			 .options = "answer-timeout=300" };   /* the test answers: no window to answer in */
	struct proc p;
	char *token, *answer, *expected, *own;

	start(&p, &r);
	token = query_token(&p);
	own = g_strdup_printf("parclass-42-%d", (int)p.pid);
	cr_assert_str_eq(token, own);
	g_free(own);
	/* Status from before the question, then the echo, then the answer. */
	answer = g_strdup_printf("@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"00 READY\"\r\nONLINE=TRUE\r\n\f"
				 "@PJL USTATUS DEVICE\r\nCODE=40021\r\nDISPLAY=\"12 PRINTER OPEN\"\r\nONLINE=FALSE\r\n\f"
				 "@PJL ECHO %s\r\n\f"
				 "@PJL INFO STATUS\r\nCODE=41213\r\nDISPLAY=\"LOAD TRAY 2\"\r\nONLINE=FALSE\r\n\f", token);
	printer_says(&p, answer);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	expected = g_strdup_printf("%s@PJL\r\n@PJL ECHO %s\r\n@PJL INFO STATUS\r\n%s", PJL_UEL, token, PJL_UEL);
	assert_output(&p, expected, strlen(expected));
	/* The door is shut now: cleared; paper and offline from the answer; the rest left alone. */
	assert_said(&p, "STATE: -door-open-error,toner-low-warning\nSTATE: +media-empty-error,offline-report\n");
	assert_said(&p, "ATTR: printer-alert=\"code=inputMediaSupplyEmpty;severity=critical\" "
			"printer-alert-description=\"LOAD TRAY 2\"\n");
	assert_said(&p, "INFO: LOAD TRAY 2\n");
	assert_not_said(&p, "READY");
	assert_not_said(&p, "PRINTER OPEN");
	g_free(token);
	g_free(answer);
	g_free(expected);
	proc_free(&p);
}

Test(filters, report_levels_says_that_pjl_has_no_levels_and_reports_low_toner)
{
	static const char cmd[] = "#CUPS-COMMAND\nReportLevels\n";
	struct run r = { .filter = "parclass-command", .input = cmd, .input_len = sizeof cmd - 1,
			 .back_channel = true, .options = "answer-timeout=300" };
	struct proc p;
	char *token, *answer;

	start(&p, &r);
	token = query_token(&p);
	answer = g_strdup_printf("@PJL ECHO %s\r\n\f@PJL INFO STATUS\r\nCODE=10006\r\nDISPLAY=\"TONER LOW\"\r\n"
				 "ONLINE=TRUE\r\n\f", token);
	printer_says(&p, answer);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	assert_said(&p, "STATE: +toner-low-warning\n");
	assert_said(&p, "INFO: Toner low (the printer reports no supply levels over PJL)\n");
	g_free(token);
	g_free(answer);
	proc_free(&p);
}

Test(filters, a_printer_that_never_answers_is_not_waited_for_forever)
{
	struct run r = { .filter = "parclass-command", .input = command_status, .input_len = sizeof command_status - 1,
			 .back_channel = true, .options = "answer-timeout=1" };
	struct proc p;
	char *token;

	start(&p, &r);
	token = query_token(&p);
	/* Only someone else's echo and a garbled message. */
	printer_says(&p, "@PJL ECHO somebody-else\r\n\f@PJL INFO STATUS\r\nCODE=banana\r\n\f\x01\x02\f");
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	assert_said(&p, "WARNING: ReportStatus: the printer did not answer within 1 seconds\n");
	assert_not_said(&p, "STATE:");
	g_free(token);
	proc_free(&p);
}

Test(filters, without_a_back_channel_the_status_cannot_be_read)
{
	struct run r = { .filter = "parclass-command", .input = command_status, .input_len = sizeof command_status - 1,
			 .options = "answer-timeout=5" };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	assert_said(&p, "WARNING: ReportStatus: the printer's answers cannot be read: the backend has no back "
			"channel to this printer\n");
	proc_free(&p);
}

Test(filters, the_self_test_page_is_the_ppds_command_in_a_pjl_job)
{
	static const char cmd[] = "#CUPS-COMMAND\nPrintSelfTestPage\n";
	struct run ps = { .filter = "parclass-command", .ppd = PS_PPD, .input = cmd, .input_len = sizeof cmd - 1 };
	struct run pcl = { .filter = "parclass-command", .ppd = PCL_PPD, .input = cmd, .input_len = sizeof cmd - 1 };
	struct proc p;

	start(&p, &ps);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n@PJL JOB NAME=\"42 PrintSelfTestPage\"\r\n"
			  "@PJL SET TESTPAGE=SELFTEST\r\n"
			  EOJ_42("PrintSelfTestPage"));
	assert_said(&p, "INFO: Print Self-Test Page sent to the printer\n");
	proc_free(&p);

	start(&p, &pcl);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n@PJL JOB NAME=\"42 PrintSelfTestPage\"\r\n"
			  "@PJL ENTER LANGUAGE=PCL\r\n\033E\033z\033E"
			  EOJ_42("PrintSelfTestPage"));
	proc_free(&p);
}

Test(filters, unsupported_and_unknown_commands_are_errors_and_the_others_still_run)
{
	static const char cmd[] = "#CUPS-COMMAND\nClean\n# a comment\n\nFrobnicate now\nPrintSelfTestPage\n";
	struct run r = { .filter = "parclass-command", .ppd = PS_PPD, .input = cmd, .input_len = sizeof cmd - 1 };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 1, "%s", p.errtext->str);
	assert_said(&p, "ERROR: Clean is not supported by this printer\n");
	assert_said(&p, "ERROR: Unknown printer command \"Frobnicate\"\n");
	ASSERT_OUTPUT(&p, PJL_UEL "@PJL\r\n@PJL JOB NAME=\"42 PrintSelfTestPage\"\r\n"
			  "@PJL SET TESTPAGE=SELFTEST\r\n"
			  EOJ_42("PrintSelfTestPage"));
	proc_free(&p);
}

Test(filters, a_file_that_is_not_a_command_file_is_refused)
{
	struct run r = { .filter = "parclass-command", .input = "%!PS\nReportStatus\n", .input_len = 18 };
	struct proc p;

	start(&p, &r);
	cr_assert_eq(finish(&p, EVENTUALLY_MS), 1, "%s", p.errtext->str);
	assert_said(&p, "ERROR: parclass-command: not a CUPS command file (no #CUPS-COMMAND line)\n");
	cr_assert_eq(p.outdata->len, 0);
	proc_free(&p);
}

/* ---- the whole chain: filter | parclass backend | parclass-sim ---- */

static const char laser_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[device]\nid=MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL,POSTSCRIPT;CLS:PRINTER;\n"
	"modes=compat,nibble,byte,ecp,ecprle\npjl=true\n";

struct chain {
	struct proc filter, backend;
};

/* Start @r's filter with its output into the backend, the backend's back channel into the filter. */
static void chain_start(struct chain *c, const struct run *r)
{
	int data[2], back[2], devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g_autofree char *rel = g_strconcat("filters/", r->filter, NULL);
	g_autofree char *filter = build_path(rel);
	g_autofree char *ppd_path = r->ppd ? src_path(r->ppd) : NULL;
	g_autofree char *ppd = ppd_path ? g_strconcat("PPD=", ppd_path, NULL) : g_strdup("PPD");
	const char *fenv[] = { ppd, NULL };
	const char *fargv[] = { "queue", "42", "alice", r->title ? r->title : "report", "1",
				r->options ? r->options : "", r->file, NULL };
	/* waitjob=auto: the backend waits for the printer's job END only
	 * when the data asks for job status and ends its job. */
	const char *benv[] = { "DEVICE_URI=parclass:/dev/parport0", "PRINTER_STATE_REASONS", NULL };
	const char *bargv[] = { "parclass:/dev/parport0", "42", "alice", "report", "1", "", NULL };
	/* The side channel stays open and unused, as with filters that do not ask. */
	struct proc_spec b = { .path = backend_path(), .argv = bargv, .env = benv, .back = PROC_BACK_FROM, .side = true };
	struct proc_spec f = { .path = filter, .argv = fargv, .env = fenv, .stdin_fd = devnull, .back = PROC_BACK_TO };

	cr_assert_geq(devnull, 0);
	cr_assert_eq(pipe2(data, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(back, O_CLOEXEC), 0);
	b.stdin_fd = data[0];
	b.back_fd = back[1];
	f.stdout_fd = data[1];
	f.back_fd = back[0];
	proc_start(&c->backend, &b);
	proc_start(&c->filter, &f);
	close(data[0]);
	close(data[1]);
	close(back[0]);
	close(back[1]);
	close(devnull);
}

/* Both exit statuses, after both have finished. */
static void chain_finish(struct chain *c, int *filter_status, int *backend_status)
{
	long long end = now_ms() + 2 * EVENTUALLY_MS;

	while (!proc_exited(&c->filter) || !proc_exited(&c->backend)) {
		cr_assert_lt(now_ms(), end, "the chain did not finish; filter:\n%s\nbackend:\n%s",
			     c->filter.errtext->str, c->backend.errtext->str);
		proc_pump(&c->filter, 10);
		proc_pump(&c->backend, 10);
	}
	*filter_status = proc_finish(&c->filter, EVENTUALLY_MS);
	*backend_status = proc_finish(&c->backend, EVENTUALLY_MS);
}

static void chain_free(struct chain *c)
{
	proc_free(&c->filter);
	proc_free(&c->backend);
}

Test(filters, report_status_through_the_backend_gets_the_printers_own_answer)
{
	char *cmd = temp_file("status.cmd", command_status, sizeof command_status - 1, 0644);
	struct run r = { .filter = "parclass-command", .ppd = PS_PPD, .file = cmd };
	struct chain c;
	int fs = -1, bs = -1;

	sim = fx_start1(laser_model);
	chain_start(&c, &r);
	chain_finish(&c, &fs, &bs);
	cr_assert_eq(fs, 0, "filter:\n%s\nbackend:\n%s", c.filter.errtext->str, c.backend.errtext->str);
	cr_assert_eq(bs, 0, "filter:\n%s\nbackend:\n%s", c.filter.errtext->str, c.backend.errtext->str);
	cr_assert(strstr(c.filter.errtext->str, "INFO: 00 READY\n"), "filter:\n%s\nbackend:\n%s",
		  c.filter.errtext->str, c.backend.errtext->str);
	cr_assert(strstr(c.filter.errtext->str,
			 "ATTR: printer-alert=\"code=printerReadyToPrint;severity=other\" "
			 "printer-alert-description=\"00 READY\"\n"));
	cr_assert(fx_events_contain(sim, "parport0 pjl @PJL INFO STATUS"));
	g_free(cmd);
	chain_free(&c);
}

Test(filters, a_wrapped_job_through_the_backend_is_named_and_counted_by_the_printer)
{
	static const char two_pages[] = "%!PS-Adobe-3.0\n%%Pages: 2\n%%Page: 1 1\nshowpage\n%%Page: 2 2\nshowpage\n%%EOF\n";
	char *file = temp_file("two.ps", two_pages, sizeof two_pages - 1, 0644);
	struct run r = { .filter = "parclass-pjl", .ppd = PS_PPD, .file = file, .title = "Quarterly \"numbers\"" };
	struct chain c;
	int fs = -1, bs = -1;
	char *events;

	sim = fx_start1(laser_model);
	chain_start(&c, &r);
	chain_finish(&c, &fs, &bs);
	cr_assert_eq(fs, 0, "filter:\n%s\nbackend:\n%s", c.filter.errtext->str, c.backend.errtext->str);
	cr_assert_eq(bs, 0, "filter:\n%s\nbackend:\n%s", c.filter.errtext->str, c.backend.errtext->str);
	events = fx_events(sim);
	/* (events.log escapes quotes) */
	cr_assert(strstr(events, "parport0 pjl @PJL JOB NAME=\\\"42 Quarterly 'numbers'\\\"\n"), "%s", events);
	cr_assert(strstr(events, "parport0 pjl @PJL EOJ NAME=\\\"42 Quarterly 'numbers'\\\"\n"), "%s", events);
	/* The printer's job END with its two pages is what completes the job. */
	cr_assert(strstr(c.backend.errtext->str, "DEBUG: The printer ended PJL job \"42 Quarterly 'numbers'\" (2 pages)\n"),
		  "%s", c.backend.errtext->str);
	cr_assert(strstr(c.backend.errtext->str, "PAGE: total 2\n"), "%s", c.backend.errtext->str);
	g_free(events);
	g_free(file);
	chain_free(&c);
}
