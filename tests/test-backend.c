/*
 * test-backend.c - the CUPS backend "parclass" against parclass-sim:
 * discovery, jobs in every mode, copies, the back channel, PJL status, the
 * side channel, faults mid-job, cancel, sharing, exit codes
 *
 * The backend runs as cupsd runs it: its own process, print data on stdin
 * or in a file, the back channel on fd 3 (a pipe the test reads) and the
 * side channel on fd 4 (a socket pair the test drives with the protocol's
 * bytes), CUPS messages on stderr.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <cups/backend.h>
#include <cups/sidechannel.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "common/pjl.h"
#include "fixture.h"
#include "job.h"
#include "models.h"

static const char chain_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[daisy.0]\nid=MFG:ACME;MDL:Scan 1284;CLS:SCANNER;\nmodes=compat,nibble\n"
	"[daisy.1]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble,ecp\npjl=true\n"
	"[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\nmodes=compat,nibble\n";
static const char hung_model[] = "[device]\nid=MFG:ACME;MDL:Hung;CLS:PRINTER;\nmodes=compat,nibble\n"
				 "negotiation-delay-ms=100\nautoprobe=false\n";

static struct fx_sim *sim;

static void teardown(void)
{
	fx_free(sim);
	sim = NULL;
}

TestSuite(backend, .fini = teardown);

static void assert_said(const char *err, const char *text)
{
	cr_assert(strstr(err, text), "the backend did not say \"%s\"; it said:\n%s", text, err);
}

static void assert_not_said(const char *err, const char *text)
{
	cr_assert_null(strstr(err, text), "the backend said \"%s\":\n%s", text, err);
}

/* Everything device @name received, all sessions in order. */
static GByteArray *received(const char *name)
{
	return fx_received(sim, name, NULL);
}

static void assert_received(const char *name, const void *expect, size_t n)
{
	GByteArray *got = received(name);

	cr_assert_eq(got->len, n, "%s received %u bytes, expected %zu", name, got->len, n);
	cr_assert(memcmp(got->data, expect, n) == 0, "%s received other bytes than were sent", name);
	g_byte_array_free(got, TRUE);
}

static char *write_temp(const void *data, size_t len)
{
	char *path = g_strdup_printf("%s/job.data", sim->dir);

	cr_assert(g_file_set_contents(path, data, (gssize)len, NULL));
	return path;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
	unsigned char *p = g_malloc(n);

	fill_pattern(p, n, seed);
	return p;
}

/* ---- discovery ---- */

/*
 * Run the backend without arguments; its stdout returned, its stderr in
 * @err. @deadline_ms (0: the backend's default) is
 * PARCLASS_DISCOVERY_DEADLINE_MS: a test that expects every printer probed
 * gives it EVENTUALLY_MS, so that a slow machine still probes them all.
 */
static char *discover(int deadline_ms, int *status, char **err)
{
	const char *argv[] = { "parclass", NULL };
	g_autofree char *deadline = g_strdup_printf("PARCLASS_DISCOVERY_DEADLINE_MS=%d", deadline_ms);
	const char *env[] = { deadline_ms ? deadline : NULL, NULL };
	struct proc_spec s = { .path = backend_path(), .argv = argv, .env = env };
	struct proc p;
	char *out;

	*status = proc_run(&p, &s);
	*err = g_strdup(p.errtext->str);
	out = g_strndup(p.outdata->len ? (const char *)p.outdata->data : "", p.outdata->len);
	proc_free(&p);
	return out;
}

Test(backend, discovery_lists_every_printer_with_uri_names_id_and_location)
{
	const char *models[] = { laserjet_model, chain_model, empty_spp_model, centronics_model, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int status;

	sim = fx_start(models);
	out = discover(EVENTUALLY_MS, &status, &err);
	cr_assert_eq(status, CUPS_BACKEND_OK, "%s", err);
	/* The scanner on the chain is no printer. */
	cr_assert_str_eq(err, "DEBUG: LPT2.0 is not a printer: MFG:ACME;MDL:Scan 1284;CLS:SCANNER;\n");
	cr_assert_str_eq(out,
			 "direct parclass:/dev/parport0 \"HP LaserJet 4\" \"HP LaserJet 4 (LPT1)\" "
			 "\"MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;\" \"LPT1\"\n"
			 "direct parclass:/dev/parport1?daisy=1 \"ACME Laser 9\" \"ACME Laser 9 (LPT2.1)\" "
			 "\"MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\" \"LPT2.1\"\n"
			 "direct parclass:/dev/parport1?daisy=4 \"Epson LQ-570\" \"Epson LQ-570 (LPT2.4)\" "
			 "\"MFG:Epson;MDL:LQ-570;CLS:PRINTER;\" \"LPT2.4\"\n"
			 "direct parclass:/dev/parport3 \"Unknown\" \"Unknown (LPT4)\" \"\" \"LPT4\"\n");
}

Test(backend, discovery_leaves_out_a_port_with_nothing_attached)
{
	const char *models[] = { empty_spp_model, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int status;

	sim = fx_start(models);
	out = discover(EVENTUALLY_MS, &status, &err);
	cr_assert_eq(status, CUPS_BACKEND_OK, "%s", err);
	cr_assert_str_eq(out, "");
}

Test(backend, a_bad_discovery_deadline_is_said_and_the_default_used)
{
	const char *models[] = { laserjet_model, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int status;

	sim = fx_start(models);
	out = discover(-5, &status, &err);
	cr_assert_eq(status, CUPS_BACKEND_OK, "%s", err);
	cr_assert_str_eq(err, "WARNING: PARCLASS_DISCOVERY_DEADLINE_MS=-5 is not 1 to 600000 ms; using 1500\n");
	cr_assert(g_str_has_prefix(out, "direct parclass:/dev/parport0 \"HP LaserJet 4\""), "%s", out);
}

Test(backend, discovery_lists_a_held_port_from_what_is_known_and_does_not_wait_for_a_hung_device)
{
	const char *models[] = { laserjet_model, hung_model, NULL };
	g_autofree char *out = NULL, *err = NULL;
	long long start;
	pid_t holder;
	int status, release;

	sim = fx_start(models);
	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	/* The default deadline: a held port, whatever the machine's speed, is
	 * described from what is known, and the hung device has no ID. */
	start = now_ms();
	out = discover(0, &status, &err);
	/* A guard against hanging, not a speed target: make bench measures it. */
	cr_assert_lt(now_ms() - start, EVENTUALLY_MS);
	close(release);
	cr_assert_eq(wait_child(holder), 0);
	cr_assert_eq(status, CUPS_BACKEND_OK);
	cr_assert_str_eq(out,
			 "direct parclass:/dev/parport0 \"HP LaserJet 4\" \"HP LaserJet 4 (LPT1)\" "
			 "\"CLASS:PRINTER;MODEL:HP LaserJet 4;MANUFACTURER:Hewlett-Packard;COMMAND SET:PCL,PJL;\" \"LPT1\"\n"
			 "direct parclass:/dev/parport1 \"Unknown\" \"Unknown (LPT2)\" \"\" \"LPT2\"\n");
}

/* ---- jobs ---- */

Test(backend, a_file_is_printed_in_ecp_mode_with_every_copy)
{
	enum { N = 300000 };
	g_autofree unsigned char *data = pattern(N, 1);
	g_autofree unsigned char *three = g_malloc(3 * N);
	g_autofree char *file = NULL, *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .copies = "3" };

	sim = fx_start1(laserjet_model);
	file = write_temp(data, N);
	s.file = file;
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "INFO: Printing on LPT1 in ECP mode, status in ECP mode\n");
	for (int i = 0; i < 3; i++)
		memcpy(three + i * N, data, N);
	fx_stop(sim);
	assert_received("parport0", three, 3 * N);
}

Test(backend, stdin_is_printed_once_whatever_the_copies)
{
	enum { N = 200000 };
	g_autofree unsigned char *data = pattern(N, 2);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .copies = "2", .input = data, .input_len = N };

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	fx_stop(sim);
	assert_received("parport0", data, N);
}

Test(backend, compatibility_mode_on_request_and_for_a_centronics_printer)
{
	enum { N = 100000 };
	const char *models[] = { laserjet_model, centronics_model, NULL };
	g_autofree unsigned char *data = pattern(N, 3);
	g_autofree char *err1 = NULL, *err2 = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?mode=compat&reverse=nibble", .input = data, .input_len = N };

	sim = fx_start(models);
	cr_assert_eq(run(&s, &err1), CUPS_BACKEND_OK, "%s", err1);
	assert_said(err1, "INFO: Printing on LPT1 in compatibility mode, status in nibble mode\n");
	s.uri = "parclass:/dev/parport1";
	cr_assert_eq(run(&s, &err2), CUPS_BACKEND_OK, "%s", err2);
	assert_said(err2, "INFO: Printing on LPT2 in compatibility mode, without status from the printer\n");
	fx_stop(sim);
	assert_received("parport0", data, N);
	assert_received("parport1", data, N);
	/* ECP was only probed: neither data nor status went that way. */
	cr_assert_not(fx_events_contain(sim, "parport0 direction reverse"), "mode=compat used ECP");
}

Test(backend, a_mode_the_printer_lacks_stops_the_queue_and_sends_nothing)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?mode=ecp", .input = "x", .input_len = 1 };

	sim = fx_start1(centronics_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_STOP, "%s", err);
	assert_said(err, "ERROR: LPT1 cannot print in the mode the device URI asks for (mode=ecp)\n");
	fx_stop(sim);
	cr_assert_null(fx_record_read(sim, "parport0-0001.prn", NULL));
}

Test(backend, a_daisy_chain_printer_gets_its_own_data)
{
	enum { N = 50000 };
	g_autofree unsigned char *data = pattern(N, 4);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?daisy=1", .input = data, .input_len = N };

	sim = fx_start1(chain_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "INFO: Printing on LPT1.1 in ECP mode, status in ECP mode\n");
	fx_stop(sim);
	assert_received("parport0.1", data, N);
	cr_assert_null(fx_record_read(sim, "parport0-0001.prn", NULL), "the end-of-chain printer got data");
}

/* daisy=4 goes to the library as numbers: the device is named behind the chain. */
Test(backend, daisy_4_prints_to_the_end_of_chain_device_named_behind_the_chain)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?daisy=4", .input = "tail", .input_len = 4 };

	sim = fx_start1(chain_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "INFO: Printing on LPT1.4 in ");
	fx_stop(sim);
	assert_received("parport0", "tail", 4);
}

Test(backend, the_ecp_channel_option_addresses_the_data)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?channel=5", .input = "hello", .input_len = 5 };

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	fx_stop(sim);
	assert_received("parport0", "hello", 5);
	cr_assert(fx_events_contain(sim, "parport0 ecp channel 5"));
}

/* ---- the back channel and PJL status ---- */

Test(backend, the_printers_answers_arrive_on_the_back_channel_in_every_reverse_mode)
{
	static const char ask[] = PJL_UEL "@PJL ECHO parclass\r\n" PJL_UEL;
	static const char *const uris[] = { "parclass:/dev/parport0", "parclass:/dev/parport0?reverse=byte",
					    "parclass:/dev/parport0?mode=compat&reverse=nibble" };

	sim = fx_start1(laserjet_model);
	for (size_t i = 0; i < 3; i++) {
		struct spec s = { .uri = uris[i], .input = ask, .input_len = sizeof ask - 1, .channels = true };
		struct proc j;

		job_start(&j, &s);
		cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
		cr_assert_eq(j.backdata->len, 21, "%s: %u bytes on fd 3", uris[i], j.backdata->len);
		cr_assert(memcmp(j.backdata->data, "@PJL ECHO parclass\r\n\f", 21) == 0, "%s", uris[i]);
		assert_said(j.errtext->str, "DEBUG: PJL: parclass\n");
		proc_free(&j);
	}
}

Test(backend, without_a_back_channel_from_a_shell_the_answers_are_still_read)
{
	static const char ask[] = PJL_UEL "@PJL INFO STATUS\r\n" PJL_UEL;
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = ask, .input_len = sizeof ask - 1 };

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "DEBUG: PJL status 10001 (Ready)\n");
	assert_said(err, "INFO: 00 READY\n");
}

static const char pjl_job[] = PJL_UEL "@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=ON\r\n"
			      "@PJL JOB NAME=\"7 report\"\r\n@PJL ENTER LANGUAGE=PCL\r\n"
			      "page one\fpage two\fpage three\f" PJL_UEL "@PJL EOJ NAME=\"7 report\"\r\n" PJL_UEL;

Test(backend, pjl_job_and_page_status_become_page_counts_and_the_job_waits_for_its_end)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = pjl_job, .input_len = sizeof pjl_job - 1 };
	const char *a, *b, *c, *end;

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	a = strstr(err, "PAGE: total 1\n");
	b = strstr(err, "PAGE: total 2\n");
	c = strstr(err, "PAGE: total 3\n");
	end = strstr(err, "DEBUG: The printer ended PJL job \"7 report\" (3 pages)\n");
	cr_assert(a && b && c && end && a < b && b < c && c < end, "%s", err);
	assert_not_said(err, "PAGE: total 4");
	assert_not_said(err, "WARNING");
}

Test(backend, waitjob_yes_collects_the_end_the_printer_reports)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?waitjob=yes", .input = pjl_job,
			  .input_len = sizeof pjl_job - 1 };

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "DEBUG: The printer ended PJL job \"7 report\" (3 pages)\n");
	assert_said(err, "PAGE: total 3\n");
	assert_not_said(err, "did not say that the job ended");
}

Test(backend, waitjob_gives_up_when_the_printer_stays_silent)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?waitjob=yes&waitjob-timeout=1", .input = "plain text\f",
			  .input_len = 11 };

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "STATE: +cups-waiting-for-job-completed\n");
	assert_said(err, "WARNING: The printer did not say that the job ended; stopped waiting after 1 seconds of "
			 "silence\n");
	assert_said(err, "STATE: -cups-waiting-for-job-completed\n");
}

/*
 * Run a job whose printer has a fault that lasts until SIGUSR1: once the
 * backend shows @shown, the fault ends, and the job must go on to its end
 * and succeed. Its stderr returned.
 */
static char *run_until_fault_shows(const struct spec *s, const char *shown)
{
	struct proc j;
	char *err;

	job_start(&j, s);
	proc_wait_for(&j, shown, EVENTUALLY_MS);
	fx_kill(sim, SIGUSR1);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	err = g_strdup(j.errtext->str);
	proc_free(&j);
	return err;
}

/* A job long enough for a fault to strike in the middle, with device status on. */
static unsigned char *status_job(size_t n, unsigned seed)
{
	static const char head[] = PJL_UEL "@PJL USTATUS DEVICE=ON\r\n@PJL ENTER LANGUAGE=PCL\r\n";
	unsigned char *data = pattern(n, seed);

	memcpy(data, head, sizeof head - 1);
	return data;
}

Test(backend, device_status_becomes_printer_state_reasons_and_message)
{
	static const char model[] = "[device]\nid=MFG:HP;MDL:Door;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
				    "[fault.door]\nkind=door-open\nafter-bytes=100000\n"
				    "display=12 PRINTER OPEN\n";
	enum { N = 300000 };
	g_autofree unsigned char *data = status_job(N, 5);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = data, .input_len = N };
	const char *on, *off;

	sim = fx_start1(model);
	err = run_until_fault_shows(&s, "STATE: +door-open-error");
	on = strstr(err, "STATE: +door-open-error");
	off = strstr(err, "STATE: -door-open-error");
	cr_assert(on && off && on < off, "%s", err);
	assert_said(err, "INFO: 12 PRINTER OPEN\n");
	assert_said(err, "ATTR: printer-alert=\"code=doorOpen;severity=critical\" "
			 "printer-alert-description=\"12 PRINTER OPEN\"\n");
	assert_said(err, "DEBUG: PJL status 40021 (Door open)\n");
	fx_stop(sim);
	assert_received("parport0", data, N);
}

static void fault_mid_job(const char *kind, const char *reason, const char *info, const char *uri)
{
	g_autofree char *model = g_strdup_printf("[device]\nid=MFG:HP;MDL:Faulty;CMD:PJL;\nmodes=compat,nibble,ecp\n"
						 "pjl=true\n[fault.f]\nkind=%s\nafter-bytes=150000\n", kind);
	g_autofree char *plus = g_strdup_printf("STATE: +%s\n", reason);
	g_autofree char *minus = g_strdup_printf("STATE: -%s\n", reason);
	enum { N = 400000 };
	g_autofree unsigned char *data = pattern(N, 6);
	g_autofree char *err = NULL;
	struct spec s = { .uri = uri, .input = data, .input_len = N };
	const char *on, *off;

	sim = fx_start1(model);
	err = run_until_fault_shows(&s, plus);
	on = strstr(err, plus);
	off = strstr(err, minus);
	cr_assert(on && off && on < off, "%s", err);
	assert_said(err, info);
	fx_stop(sim);
	assert_received("parport0", data, N);
}

Test(backend, paper_out_mid_job_in_ecp_mode_waits_and_loses_nothing)
{
	fault_mid_job("paper-out", "media-empty-error", "INFO: The printer is out of paper\n", "parclass:/dev/parport0");
}

Test(backend, paper_out_mid_job_in_compatibility_mode_waits_and_loses_nothing)
{
	fault_mid_job("paper-out", "media-empty-error", "INFO: The printer is out of paper\n",
		      "parclass:/dev/parport0?mode=compat");
}

Test(backend, offline_mid_job_waits_and_loses_nothing)
{
	fault_mid_job("offline", "offline-report", "INFO: The printer is offline\n", "parclass:/dev/parport0");
}

Test(backend, an_error_mid_job_waits_and_loses_nothing)
{
	fault_mid_job("error", "other-error", "INFO: The printer reports an error\n", "parclass:/dev/parport0?mode=compat");
}

Test(backend, a_printer_switched_off_mid_job_fails_the_job)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate,ecp\n"
				    "[device]\nid=MFG:HP;MDL:Off;CMD:PJL;\nmodes=compat,nibble\n"
				    "[fault.off]\nkind=power-off\nafter-bytes=150000\n";
	enum { N = 400000 };
	g_autofree unsigned char *data = pattern(N, 13);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = data, .input_len = N };

	sim = fx_start1(model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_FAILED, "%s", err);
	assert_said(err, "INFO: The printer is off\n");
	assert_said(err, "STATE: +offline-report\n");
	assert_said(err, "ERROR: The printer on LPT1 was switched off during the job and lost what it had received: "
			 "print the job again\n");
}

Test(backend, a_printer_that_is_off_at_first_is_waited_for)
{
	static const char model[] = "[device]\nid=MFG:HP;MDL:Late;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
				    "[fault.off]\nkind=power-off\non-signal=true\n";
	enum { N = 100000 };
	g_autofree unsigned char *data = pattern(N, 14);
	struct spec s = { .uri = "parclass:/dev/parport0", .input = data, .input_len = N };
	struct proc j;
	const char *on;

	sim = fx_start1(model);
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "parport0 state ready -> power-off");
	job_start(&j, &s);
	proc_wait_for(&j, "STATE: +offline-report\n", EVENTUALLY_MS);
	proc_wait_for(&j, "INFO: The printer is off\n", EVENTUALLY_MS);
	fx_kill(sim, SIGUSR1);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	on = strstr(j.errtext->str, "STATE: -offline-report\n");
	cr_assert(on, "%s", j.errtext->str);
	/* Negotiated once the printer was on: ECP and its status. */
	cr_assert(strstr(on, "INFO: Printing on LPT1 in ECP mode, status in ECP mode\n"), "%s", j.errtext->str);
	proc_free(&j);
	fx_stop(sim);
	assert_received("parport0", data, N);
}

Test(backend, the_job_publishes_what_it_sees_and_the_record_outlives_it)
{
	static const char model[] = "[device]\nid=MFG:HP;MDL:Empty;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
				    "[fault.paper]\nkind=paper-out\non-signal=true\n";
	enum { N = 100000 };
	g_autofree unsigned char *data = pattern(N, 15);
	struct spec s = { .uri = "parclass:/dev/parport0", .input = data, .input_len = N };
	parclass_context *ctx = NULL;
	parclass_port *port = NULL;
	parclass_report r;
	struct proc j;

	sim = fx_start1(model);
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "parport0 state ready -> paper-out");
	cr_assert_eq(fx_context_new(&ctx), 0);
	cr_assert_eq(parclass_port_open(ctx, "LPT1", &port), 0);
	job_start(&j, &s);
	/* Published before cupsd is told: the message says the report is there. */
	proc_wait_for(&j, "STATE: +media-empty-error\n", EVENTUALLY_MS);
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0);
	cr_assert_eq(r.pid, j.pid);
	cr_assert_eq(r.live, 1);
	cr_assert_str_eq(r.reasons, "media-empty-error");
	cr_assert_eq(r.status & PARCLASS_STATUS_PAPER_EMPTY, PARCLASS_STATUS_PAPER_EMPTY);
	cr_assert_eq(r.status, parclass_status_from_lines(r.lines));
	cr_assert_eq(r.pages, -1, "no page counted yet");
	fx_kill(sim, SIGUSR1);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	/* After the job: its last view, from a publisher that is gone. */
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0);
	cr_assert_eq(r.pid, j.pid);
	cr_assert_eq(r.live, 0);
	cr_assert_str_eq(r.reasons, "");
	cr_assert_eq(r.status & PARCLASS_STATUS_PAPER_EMPTY, 0);
	proc_free(&j);
	parclass_port_close(port);
	parclass_context_unref(ctx);
	fx_stop(sim);
	assert_received("parport0", data, N);
}

Test(backend, a_printer_unplugged_mid_job_is_waited_for_and_loses_nothing)
{
	fault_mid_job("vanish", "offline-report", "INFO: No printer is connected\n", "parclass:/dev/parport0?mode=compat");
}

Test(backend, stale_reasons_are_cleared_and_others_left_alone)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = "x", .input_len = 1,
			  .reasons = "media-empty-error,paused,toner-low-warning" };

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "STATE: -media-empty-error,toner-low-warning\n");
	assert_not_said(err, "paused");
}

/* ---- the side channel ---- */

static void side_send(struct proc *j, int cmd, const void *data, size_t len)
{
	unsigned char msg[64] = { (unsigned char)cmd, 0, (unsigned char)(len >> 8), (unsigned char)len };

	cr_assert_leq(len, sizeof msg - 4);
	if (len > 0)
		memcpy(msg + 4, data, len);
	cr_assert_eq(write(j->side, msg, 4 + len), (ssize_t)(4 + len));
}

/* Read exactly @len bytes of the side channel, pumping the job meanwhile. */
static void side_read(struct proc *j, unsigned char *buf, size_t len)
{
	long long end = now_ms() + EVENTUALLY_MS;
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = j->side, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 0) <= 0) {
			cr_assert_lt(now_ms(), end, "no side-channel answer; the backend said:\n%s", j->errtext->str);
			proc_pump(j, 20);
			continue;
		}
		n = read(j->side, buf + got, len - got);
		cr_assert_gt(n, 0, "the side channel closed in an answer");
		got += (size_t)n;
	}
}

/* The next answer's command, status and data (NUL-terminated in @data): a stream, one answer at a time. */
static void side_answer(struct proc *j, int *cmd, int *status, char *data, size_t size, size_t *len)
{
	unsigned char head[4];

	side_read(j, head, sizeof head);
	*cmd = head[0];
	*status = head[1];
	*len = (size_t)((head[2] << 8) | head[3]);
	cr_assert_lt(*len, size);
	side_read(j, (unsigned char *)data, *len);
	data[*len] = '\0';
}

static void assert_side(struct proc *j, int cmd, int expect_status, const void *expect, size_t expect_len)
{
	char data[1024];
	size_t len;
	int c, st;

	side_send(j, cmd, NULL, 0);
	side_answer(j, &c, &st, data, sizeof data, &len);
	cr_assert_eq(c, cmd, "answer to %d, expected to %d; the backend said:\n%s", c, cmd, j->errtext->str);
	cr_assert_eq(st, expect_status, "command %d: status %d", cmd, st);
	cr_assert_eq(len, expect_len, "command %d: %zu bytes of data", cmd, len);
	cr_assert(memcmp(data, expect, len) == 0, "command %d: other data", cmd);
}

Test(backend, the_side_channel_answers_every_command)
{
	static const char id[] = "MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;";
	const char bidi = CUPS_SC_BIDI_SUPPORTED, online = CUPS_SC_STATE_ONLINE, connected = CUPS_SC_CONNECTED;
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .keep_stdin = true };
	char data[64];
	size_t len;
	int c, st;
	struct proc j;

	sim = fx_start1(laserjet_model);
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
	assert_side(&j, CUPS_SC_CMD_GET_DEVICE_ID, CUPS_SC_STATUS_OK, id, sizeof id - 1);
	assert_side(&j, CUPS_SC_CMD_GET_BIDI, CUPS_SC_STATUS_OK, &bidi, 1);
	assert_side(&j, CUPS_SC_CMD_GET_STATE, CUPS_SC_STATUS_OK, &online, 1);
	assert_side(&j, CUPS_SC_CMD_GET_CONNECTED, CUPS_SC_STATUS_OK, &connected, 1);
	assert_side(&j, CUPS_SC_CMD_SOFT_RESET, CUPS_SC_STATUS_OK, "", 0);
	assert_side(&j, CUPS_SC_CMD_SNMP_GET_NEXT, CUPS_SC_STATUS_NOT_IMPLEMENTED, "", 0);
	side_send(&j, CUPS_SC_CMD_SNMP_GET, "1.3.6.1", 8);
	side_answer(&j, &c, &st, data, sizeof data, &len);
	cr_assert_eq(c, CUPS_SC_CMD_SNMP_GET);
	cr_assert_eq(st, CUPS_SC_STATUS_NOT_IMPLEMENTED);
	/* A command libcups does not know still gets its answer, not silence. */
	side_send(&j, 42, NULL, 0);
	side_answer(&j, &c, &st, data, sizeof data, &len);
	cr_assert_eq(c, 42);
	cr_assert_eq(st, CUPS_SC_STATUS_NOT_IMPLEMENTED);
	proc_write(&j, "data", 4);
	assert_side(&j, CUPS_SC_CMD_DRAIN_OUTPUT, CUPS_SC_STATUS_OK, "", 0);
	proc_close_stdin(&j);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	proc_free(&j);
	fx_stop(sim);
	cr_assert(fx_events_contain(sim, "parport0 reset"));
	assert_received("parport0", "data", 4);
}

/* The side channel is a stream: requests may arrive together or in pieces. */
Test(backend, side_channel_requests_are_taken_from_the_stream_whole_and_in_order)
{
	static const unsigned char two[] = { CUPS_SC_CMD_GET_BIDI, 0, 0, 0, 42, 0, 0, 1, 'x',
					     CUPS_SC_CMD_GET_CONNECTED, 0, 0, 0 };
	static const unsigned char snmp[] = { CUPS_SC_CMD_SNMP_GET, 0, 0, 8, '1', '.', '3', '.', '6', '.', '1', 0 };
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .keep_stdin = true };
	char data[64];
	size_t len;
	int c, st;
	struct proc j;

	sim = fx_start1(laserjet_model);
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
	cr_assert_eq(write(j.side, two, sizeof two), (ssize_t)sizeof two);
	side_answer(&j, &c, &st, data, sizeof data, &len);
	cr_assert(c == CUPS_SC_CMD_GET_BIDI && st == CUPS_SC_STATUS_OK && len == 1 && data[0] == CUPS_SC_BIDI_SUPPORTED);
	side_answer(&j, &c, &st, data, sizeof data, &len);
	cr_assert(c == 42 && st == CUPS_SC_STATUS_NOT_IMPLEMENTED && len == 0, "%d %d %zu", c, st, len);
	side_answer(&j, &c, &st, data, sizeof data, &len);
	cr_assert(c == CUPS_SC_CMD_GET_CONNECTED && st == CUPS_SC_STATUS_OK && data[0] == CUPS_SC_CONNECTED);
	/* One request in two writes, the second after the backend has read the first. */
	cr_assert_eq(write(j.side, snmp, 6), 6);
	for (long long end = now_ms() + EVENTUALLY_MS;; proc_pump(&j, 5)) {
		int unread = -1;

		/* A unix socket's send queue holds what its peer has not read yet. */
		cr_assert_eq(ioctl(j.side, SIOCOUTQ, &unread), 0);
		if (!unread)
			break;
		cr_assert_lt(now_ms(), end, "the backend never read the first half");
	}
	cr_assert_eq(write(j.side, snmp + 6, sizeof snmp - 6), (ssize_t)(sizeof snmp - 6));
	side_answer(&j, &c, &st, data, sizeof data, &len);
	cr_assert(c == CUPS_SC_CMD_SNMP_GET && st == CUPS_SC_STATUS_NOT_IMPLEMENTED, "%d %d", c, st);
	proc_close_stdin(&j);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	assert_said(j.errtext->str, "DEBUG: Side channel: unknown command 42\n");
	proc_free(&j);
}

Test(backend, the_side_channel_tells_no_bidi_and_no_paper)
{
	static const char model[] = "[port]\nmodes=pcspp\n[device]\nmodes=compat\nstate=paper-out\n";
	const char bidi = CUPS_SC_BIDI_NOT_SUPPORTED;
	const char state = CUPS_SC_STATE_ONLINE | CUPS_SC_STATE_BUSY | CUPS_SC_STATE_ERROR | CUPS_SC_STATE_MEDIA_EMPTY;
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .keep_stdin = true };
	struct proc j;

	sim = fx_start1(model);
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
	assert_side(&j, CUPS_SC_CMD_GET_BIDI, CUPS_SC_STATUS_OK, &bidi, 1);
	assert_side(&j, CUPS_SC_CMD_GET_STATE, CUPS_SC_STATUS_OK, &state, 1);
	assert_side(&j, CUPS_SC_CMD_GET_DEVICE_ID, CUPS_SC_STATUS_OK, "", 0);
	proc_close_stdin(&j);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	assert_said(j.errtext->str, "STATE: +media-empty-error\n");
	proc_free(&j);
}

Test(backend, drain_output_answers_once_the_data_has_left)
{
	static const char model[] = "[device]\nid=MFG:HP;MDL:Slow;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
				    "[fault.busy]\nkind=busy\nafter-bytes=1\n";
	static const char data[] = PJL_UEL "@PJL ECHO before the drain\r\n" PJL_UEL;
	const char bidi = CUPS_SC_BIDI_SUPPORTED;
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .keep_stdin = true };
	char answer[16];
	size_t len;
	int c, st;
	struct proc j;

	sim = fx_start1(model);
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
	proc_write(&j, data, sizeof data - 1);
	proc_await_event(&j, sim, "parport0 fault busy begin busy\n");
	side_send(&j, CUPS_SC_CMD_DRAIN_OUTPUT, NULL, 0);
	/* The printer is stalled: the drain waits, and a later request is answered first. */
	assert_side(&j, CUPS_SC_CMD_GET_BIDI, CUPS_SC_STATUS_OK, &bidi, 1);
	fx_kill(sim, SIGUSR1);
	side_answer(&j, &c, &st, answer, sizeof answer, &len);
	cr_assert_eq(c, CUPS_SC_CMD_DRAIN_OUTPUT);
	cr_assert_eq(st, CUPS_SC_STATUS_OK);
	/* The answer waited for the printer to take it all. */
	cr_assert(fx_events_contain(sim, "parport0 pjl @PJL ECHO before the drain"));
	proc_close_stdin(&j);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	proc_free(&j);
}

Test(backend, a_broken_side_channel_is_dropped_once_and_the_job_goes_on)
{
	enum { N = 100000 };
	g_autofree unsigned char *data = pattern(N, 7);
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .input = data, .input_len = N };
	struct proc j;
	const char *first;

	sim = fx_start1(laserjet_model);
	job_start(&j, &s);
	close(j.side);
	j.side = -1;
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	first = strstr(j.errtext->str, "DEBUG: Side channel dropped: closed by the filters\n");
	cr_assert(first, "%s", j.errtext->str);
	cr_assert_null(strstr(first + 20, "Side channel dropped"), "dropped twice:\n%s", j.errtext->str);
	proc_free(&j);
	fx_stop(sim);
	assert_received("parport0", data, N);
}

/* ---- cancel ---- */

static const char stuck_model[] = "[device]\nid=MFG:HP;MDL:Stuck;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
				  "[fault.busy]\nkind=busy\nafter-bytes=20000\n";

static void assert_port_free(const char *location)
{
	char buf[256];

	ctl_waiters(location, buf, sizeof buf);
	cr_assert_str_eq(buf, "holder: none\nwaiters: 0\n");
}

static void cancel_test(const char *uri, bool from_stdin)
{
	enum { N = 100000 };
	g_autofree unsigned char *data = pattern(N, 8);
	struct spec s = { .uri = uri, .input = from_stdin ? NULL : data, .input_len = from_stdin ? 0 : N,
			  .keep_stdin = from_stdin, .channels = true };
	struct proc j;

	sim = fx_start1(stuck_model);
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
	if (from_stdin)
		proc_write(&j, data, 30000);
	/* The printer has taken 20000 bytes and stalls: cancel now. */
	proc_await_event(&j, sim, "parport0 fault busy begin busy\n");
	kill(j.pid, SIGTERM);
	/* How fast is make bench's figure; here only that it ends. */
	proc_wait_for(&j, "INFO: Job cancelled after 20000 bytes\n", EVENTUALLY_MS);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_CANCEL, "%s", j.errtext->str);
	proc_free(&j);
	assert_port_free("LPT1");
}

Test(backend, sigterm_stops_a_stalled_job_and_frees_the_port)
{
	cancel_test("parclass:/dev/parport0", false);
	cr_assert_not(fx_events_contain(sim, "parport0 reset"));
}

Test(backend, sigterm_stops_a_job_read_from_stdin_too)
{
	cancel_test("parclass:/dev/parport0?mode=compat", true);
}

Test(backend, reset_yes_resets_the_printer_when_a_job_is_cancelled)
{
	cancel_test("parclass:/dev/parport0?reset=yes", false);
	cr_assert(fx_events_contain(sim, "parport0 reset"));
}

Test(backend, sigterm_ends_the_wait_for_a_busy_port)
{
	struct spec s = { .uri = "parclass:/dev/parport0", .input = "x", .input_len = 1 };
	struct proc j;
	pid_t holder;
	int release;
	char expect[64];

	sim = fx_start1(laserjet_model);
	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	job_start(&j, &s);
	proc_wait_for(&j, "STATE: +connecting-to-device\n", EVENTUALLY_MS);
	snprintf(expect, sizeof expect, "INFO: Waiting for LPT1: process %d (", (int)holder);
	proc_wait_for(&j, expect, EVENTUALLY_MS);
	kill(j.pid, SIGTERM);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_CANCEL, "%s", j.errtext->str);
	proc_free(&j);
	cr_assert_eq(waitpid(holder, NULL, WNOHANG), 0, "the holder was disturbed");
	close(release);
	cr_assert_eq(wait_child(holder), 0);
}

Test(backend, sigterm_ends_the_wait_for_a_device_another_program_has_open)
{
	const char *argv[] = { "parclassctl", "send", "LPT1", "--wait", "0", NULL };
	struct proc_spec o = { .path = getenv("PARCLASSCTL"), .argv = argv, .keep_stdin = true };
	struct spec s = { .uri = "parclass:/dev/parport0", .input = "x", .input_len = 1 };
	struct proc j, other;

	sim = fx_start1(laserjet_model);
	/* parclassctl send keeps the device open while it reads its standard input. */
	proc_start(&other, &o);
	ctl_await_held("LPT1");
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Waiting for the printer: another program has it open\n", EVENTUALLY_MS);
	kill(j.pid, SIGTERM);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_CANCEL, "%s", j.errtext->str);
	proc_free(&j);
	cr_assert_not(proc_exited(&other), "the other program was disturbed");
	proc_close_stdin(&other);
	cr_assert_eq(proc_finish(&other, EVENTUALLY_MS), 0, "%s", other.errtext->str);
	proc_free(&other);
}

/* ---- exit codes ---- */

Test(backend, a_busy_port_is_waited_for_then_the_job_is_retried_later)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?lock-timeout=1", .input = "x", .input_len = 1 };
	pid_t holder;
	int release;

	sim = fx_start1(laserjet_model);
	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_RETRY, "%s", err);
	assert_said(err, "STATE: +connecting-to-device\n");
	assert_said(err, "ERROR: LPT1 stayed busy for 1 seconds\n");
	close(release);
	cr_assert_eq(wait_child(holder), 0);
}

Test(backend, a_port_that_frees_up_is_taken_and_printed_on)
{
	struct spec s = { .uri = "parclass:/dev/parport0", .input = "late", .input_len = 4 };
	struct proc j;
	pid_t holder;
	int release;

	sim = fx_start1(laserjet_model);
	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	job_start(&j, &s);
	proc_wait_for(&j, "STATE: +connecting-to-device\n", EVENTUALLY_MS);
	proc_wait_for(&j, "INFO: Waiting for LPT1: process", EVENTUALLY_MS);
	close(release);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	assert_said(j.errtext->str, "STATE: -connecting-to-device\n");
	proc_free(&j);
	cr_assert_eq(wait_child(holder), 0);
	fx_stop(sim);
	assert_received("parport0", "late", 4);
}

Test(backend, configuration_errors_stop_the_queue)
{
	static const char *const uris[][2] = {
		{ "parclass:/dev/lp0", "ERROR: Bad device URI \"parclass:/dev/lp0\"" },
		{ "parallel:/dev/parport0", "ERROR: Bad device URI" },
		{ "parclass:/dev/parport0?mode=fast", "ERROR: Bad value \"fast\" for option mode in the device URI\n" },
		{ "parclass:/dev/parport3", "ERROR: parclass:/dev/parport3: there is no such parallel port\n" },
	};

	sim = fx_start1(laserjet_model);
	for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		g_autofree char *err = NULL;
		struct spec s = { .uri = uris[i][0], .input = "x", .input_len = 1 };

		cr_assert_eq(run(&s, &err), CUPS_BACKEND_STOP, "%s: %s", uris[i][0], err);
		assert_said(err, uris[i][1]);
	}
}

Test(backend, no_device_uri_stops_the_queue)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = NULL, .input = "x", .input_len = 1 };

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_STOP, "%s", err);
	assert_said(err, "ERROR: No device URI");
}

Test(backend, a_chain_device_that_does_not_answer_is_retried_later)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?daisy=3", .input = "x", .input_len = 1 };

	sim = fx_start1(chain_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_RETRY, "%s", err);
	assert_said(err, "ERROR: The printer at LPT1.3 does not answer on the daisy chain: is it on?\n");
}

Test(backend, a_port_that_vanishes_mid_job_fails_the_job)
{
	static const char model[] = "[device]\nid=MFG:HP;MDL:Gone;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
				    "[fault.gone]\nkind=port-gone\nafter-bytes=50000\n";
	enum { N = 200000 };
	g_autofree unsigned char *data = pattern(N, 9);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = data, .input_len = N };

	sim = fx_start1(model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_FAILED, "%s", err);
	assert_said(err, "ERROR: LPT1 is gone: the port disappeared while printing\n");
}

Test(backend, bad_arguments_fail_the_job)
{
	static const char *const too_few[] = { "parclass", "1", "user", NULL };
	static const char *const bad_copies[] = { "parclass", "1", "user", "title", "two", "", NULL };
	static const char *const no_file[] = { "parclass", "1", "user", "title", "1", "", "/nonexistent/job", NULL };
	g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0" };

	sim = fx_start1(laserjet_model);
	s.argv = too_few;
	cr_assert_eq(run(&s, &e1), CUPS_BACKEND_FAILED, "%s", e1);
	assert_said(e1, "Usage: parclass job-id user title copies options [file]\n");
	s.argv = bad_copies;
	cr_assert_eq(run(&s, &e2), CUPS_BACKEND_FAILED, "%s", e2);
	assert_said(e2, "ERROR: Bad number of copies \"two\"\n");
	s.argv = no_file;
	cr_assert_eq(run(&s, &e3), CUPS_BACKEND_FAILED, "%s", e3);
	assert_said(e3, "ERROR: Unable to open print file /nonexistent/job: No such file or directory\n");
}

Test(backend, unknown_uri_options_are_warned_about_and_the_job_prints)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?speed=fast", .input = "ok", .input_len = 2 };

	sim = fx_start1(laserjet_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "WARNING: Unknown options in the device URI ignored: speed\n");
	fx_stop(sim);
	assert_received("parport0", "ok", 2);
}

/* ---- sharing ---- */

Test(backend, a_long_job_lets_a_waiting_neighbour_on_the_chain_go_first)
{
	static const char model[] =
		"[port]\nmodes=pcspp,tristate,ecp\n"
		"[daisy.0]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble\n"
		"[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\nmodes=compat,nibble\n";
	enum { N = 400000 };
	g_autofree unsigned char *data = pattern(N, 10);
	g_autofree char *small = NULL, *second = NULL;
	const char *argv[] = { "parclassctl", "send", "LPT1.4", NULL, NULL };
	struct spec s = { .uri = "parclass:/dev/parport0?daisy=0&share=100", .input = data, .input_len = N / 2,
			  .keep_stdin = true };
	struct proc_spec n = { .path = getenv("PARCLASSCTL"), .argv = argv };
	struct proc j, neighbour;

	sim = fx_start1(model);
	small = write_temp("neighbour", 9);
	argv[3] = small;
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1.0", EVENTUALLY_MS);
	/* The job is not over before its input is: the neighbour comes in the middle. */
	proc_start(&neighbour, &n);
	while (!proc_exited(&neighbour))
		proc_pump(&j, 10);
	cr_assert_eq(proc_finish(&neighbour, EVENTUALLY_MS), 0, "parclassctl send failed: %s", neighbour.errtext->str);
	proc_free(&neighbour);
	proc_write(&j, data + N / 2, N - N / 2);
	proc_close_stdin(&j);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	assert_said(j.errtext->str, "INFO: Letting 1 other user of LPT1.0 go first\n");
	proc_free(&j);
	fx_stop(sim);
	assert_received("parport0.0", data, N);
	assert_received("parport0", "neighbour", 9);
	second = fx_record_read(sim, "parport0.0-0002.prn", NULL);
	cr_assert_not_null(second, "the job never let go");
}

/*
 * While the job has let a neighbour go first, the device is the
 * neighbour's: the side channel answers the state from the status lines
 * last read, and a reset waits until the port is back.
 */
Test(backend, the_side_channel_answers_while_a_neighbour_has_the_port)
{
	const char online = CUPS_SC_STATE_ONLINE, connected = CUPS_SC_CONNECTED;
	struct spec s = { .uri = "parclass:/dev/parport0?share=0", .channels = true, .keep_stdin = true };
	char data[64], expect[64], buf[256];
	size_t len;
	int c, st, release;
	struct proc j;
	pid_t neighbour;

	sim = fx_start1(laserjet_model);
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
	proc_write(&j, "first", 5);
	neighbour = ctl_hold("LPT1", &release);
	proc_wait_for(&j, "INFO: Letting 1 other user of LPT1 go first\n", EVENTUALLY_MS);
	/* The neighbour has the port and the job waits for it again. */
	snprintf(expect, sizeof expect, "holder: pid %d\nwaiters: 1\n", (int)neighbour);
	for (long long end = now_ms() + EVENTUALLY_MS;; proc_pump(&j, 10)) {
		ctl_waiters("LPT1", buf, sizeof buf);
		if (!strcmp(buf, expect))
			break;
		cr_assert_lt(now_ms(), end, "the neighbour never got the port: %s", buf);
	}
	assert_side(&j, CUPS_SC_CMD_GET_STATE, CUPS_SC_STATUS_OK, &online, 1);
	assert_side(&j, CUPS_SC_CMD_GET_CONNECTED, CUPS_SC_STATUS_OK, &connected, 1);
	side_send(&j, CUPS_SC_CMD_SOFT_RESET, NULL, 0);
	ctl_waiters("LPT1", buf, sizeof buf);
	cr_assert_str_eq(buf, expect, "the neighbour was disturbed");
	close(release);
	cr_assert_eq(wait_child(neighbour), 0);
	/* The reset waited for the port and then worked. */
	side_answer(&j, &c, &st, data, sizeof data, &len);
	cr_assert_eq(c, CUPS_SC_CMD_SOFT_RESET);
	cr_assert_eq(st, CUPS_SC_STATUS_OK, "status %d; the backend said:\n%s", st, j.errtext->str);
	proc_write(&j, "second", 6);
	proc_close_stdin(&j);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	proc_free(&j);
	fx_stop(sim);
	cr_assert(fx_events_contain(sim, "parport0 reset\n"));
	assert_received("parport0", "firstsecond", 11);
}

Test(backend, share_no_keeps_the_port_for_the_whole_job)
{
	enum { N = 300000 };
	g_autofree unsigned char *data = pattern(N, 11);
	const char *argv[] = { "parclassctl", "lock", "LPT1", "--", "true", NULL };
	g_autofree char *second = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?share=no", .input = data, .input_len = N / 2,
			  .keep_stdin = true };
	struct proc_spec o = { .path = getenv("PARCLASSCTL"), .argv = argv };
	struct proc j, other;

	sim = fx_start1(laserjet_model);
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
	proc_start(&other, &o);
	/* The other waits while the job still has data to come. */
	ctl_await_waiters("LPT1", 1);
	proc_write(&j, data + N / 2, N - N / 2);
	proc_close_stdin(&j);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	cr_assert_eq(proc_finish(&other, EVENTUALLY_MS), 0, "%s", other.errtext->str);
	proc_free(&other);
	assert_not_said(j.errtext->str, "go first");
	proc_free(&j);
	fx_stop(sim);
	assert_received("parport0", data, N);
	second = fx_record_read(sim, "parport0-0002.prn", NULL);
	cr_assert_null(second, "the job let go");
}

/* ---- a person at a terminal ---- */

Test(backend, a_terminal_gets_a_progress_line)
{
	enum { N = 100000 };
	g_autofree unsigned char *data = pattern(N, 12);
	g_autofree char *err = NULL;
	g_autofree char *file = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .tty = true };

	sim = fx_start1(laserjet_model);
	file = write_temp(data, N);
	s.file = file;
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "\r\033[KLPT1: 97.7 KiB of 97.7 KiB sent, ");
	assert_said(err, " sent, ");
	assert_said(err, "/s, ECP mode, done\r\n");
}

/* ---- the printer's device ID is untrusted ---- */

/* A discovery line as cups-deviced reads it: the class and the URI up to
 * white space, then quoted strings with backslash escapes. Returns the
 * number of fields, 99 when anything is left after them. */
static unsigned deviced_fields(const char *line, char f[6][BK_LINE_MAX])
{
	const char *p = line;
	unsigned n = 0;

	for (int i = 0; i < 2; i++, n++) {
		size_t k = 0;

		while (*p && !g_ascii_isspace(*p))
			f[n][k++] = *p++;
		f[n][k] = '\0';
		if (!k)
			return n;
		while (g_ascii_isspace(*p))
			p++;
	}
	while (*p == '"' && n < 6) {
		size_t k = 0;

		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			f[n][k++] = *p;
		}
		if (*p != '"')
			return n;
		f[n++][k] = '\0';
		for (p++; g_ascii_isspace(*p); p++)
			;
	}
	return *p ? 99 : n;
}

/* Text a person can read: UTF-8 with nothing that is not printed. */
static void assert_printable(const char *s, const char *what)
{
	cr_assert(g_utf8_validate(s, -1, NULL), "%s is not UTF-8: %s", what, s);
	for (const char *p = s; *p; p += g_utf8_skip[*(const guchar *)p])
		cr_assert(g_unichar_isprint(g_utf8_get_char(p)), "%s has U+%04X: %s", what,
			  (unsigned)g_utf8_get_char(p), s);
}

/* Every line whole for cupsd, and none that the printer's words start. */
static void assert_whole_lines(const char *text, const char *what)
{
	static const char *const injected[] = { "ATTR: printer-alert=evil", "ATTR:x", "STATE: +e", "PPD:" };
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++) {
		cr_assert_leq(strlen(*l) + 1, BK_LINE_MAX, "%s: a line of %zu bytes", what, strlen(*l) + 1);
		for (size_t i = 0; i < G_N_ELEMENTS(injected); i++)
			cr_assert_not(g_str_has_prefix(*l, injected[i]), "%s: an injected line: %s", what, *l);
	}
}

struct expect_device {
	const char *uri, *mm, *id, *location;
};

static void assert_discovered(const char *out, const char *err, const struct expect_device *e, unsigned n)
{
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	static char f[6][BK_LINE_MAX];

	assert_whole_lines(out, "stdout");
	assert_whole_lines(err, "stderr");
	cr_assert_eq(g_strv_length(lines), n + 1, "one line per device:\n%s", out);
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *info = g_strdup_printf("%s (%s)", e[i].mm, e[i].location);

		cr_assert_eq(deviced_fields(lines[i], f), 6, "not six fields: %s", lines[i]);
		cr_assert_str_eq(f[0], "direct");
		cr_assert_str_eq(f[1], e[i].uri);
		cr_assert_str_eq(f[2], e[i].mm);
		cr_assert_str_eq(f[3], info);
		cr_assert_str_eq(f[4], e[i].id);
		cr_assert_str_eq(f[5], e[i].location);
		assert_printable(f[2], "make and model");
		assert_printable(f[4], "device ID");
	}
}

Test(backend, quotes_line_breaks_controls_and_stray_bytes_in_ids_cannot_break_discovery)
{
	const char *models[] = {
		/* quotes and backslashes, made to close the field and start others */
		"[device]\nid=MFG:ACME \"Q\";MDL:Back\\\\slash \" \"injected\" \"x;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble\n",
		/* line breaks, made to start a line of their own */
		"[device]\nid=MFG:ACME;MDL:Two\\r\\nLines;CMD:PJL;\\r\\nCLS:PRINTER;\\nDES:x\\rATTR: y;\nmodes=compat,nibble\n",
		/* other control characters: not an ID at all */
		"[device]\nid=MFG:ACME;MDL:Bell\\x07 and \\e[2J;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble\n",
		/* ISO 8859-1 and stray bytes */
		"[device]\nid=MFG:Soci\\xe9t\\xe9;MDL:Laser \\xff\\xfe 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble\n",
		NULL
	};
	static const struct expect_device expect[] = {
		{ "parclass:/dev/parport0", "ACME \"Q\" Back\\slash \" \"injected\" \"x",
		  "MFG:ACME \"Q\";MDL:Back\\slash \" \"injected\" \"x;CMD:PJL;CLS:PRINTER;", "LPT1" },
		{ "parclass:/dev/parport1", "ACME", "MFG:ACME;CMD:PJL;CLS:PRINTER;", "LPT2" },
		{ "parclass:/dev/parport2", "Unknown", "", "LPT3" },
		{ "parclass:/dev/parport3", "Soci?t? Laser ?? 9", "MFG:Soci?t?;MDL:Laser ?? 9;CMD:PJL;CLS:PRINTER;",
		  "LPT4" },
	};
	g_autofree char *out = NULL, *err = NULL;
	int status;

	sim = fx_start(models);
	out = discover(EVENTUALLY_MS, &status, &err);
	cr_assert_eq(status, CUPS_BACKEND_OK, "%s", err);
	assert_discovered(out, err, expect, G_N_ELEMENTS(expect));
	/* The escapes as cupsBackendReport() writes them. */
	cr_assert(g_str_has_prefix(out, "direct parclass:/dev/parport0 \"ACME \\\"Q\\\" Back\\\\slash \\\" \\\"injected\\\" "
					"\\\"x\" "),
		  "%s", out);
}

/*
 * A device ID of nearly the longest length, made so that where cupsd cuts
 * an overlong "DEBUG: Device ID of LPT1: ..." line (after 2047 bytes in
 * CUPS 2.4, 4095 in later versions) the rest would read "ATTR: ...".
 */
static char *long_id(const char *head, const char *last)
{
	static const char prefix[] = "DEBUG: Device ID of LPT1: ";
	GString *s = g_string_new(head);

	g_string_append(s, "DES:");
	while (s->len < 2047 - (sizeof prefix - 1))
		g_string_append_c(s, 'x');
	g_string_append(s, "ATTR: printer-alert=evil;VSTATUS:");
	while (s->len < 4095 - (sizeof prefix - 1) - 1)
		g_string_append_c(s, 'y');
	g_string_append_c(s, ';');
	g_string_append(s, last);
	return g_string_free(s, FALSE);
}

Test(backend, long_ids_and_unicode_tricks_fit_one_discovery_line_each)
{
	const char *models[] = {
		/* a C1 control, a right-to-left override; UTF-8 otherwise kept */
		"[device]\nid=MFG:ACME\\xc2\\x85;MDL:L\\xc3\\xa4ser \\xe2\\x80\\xae" "9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble\n",
		"[device]\nid=MFG:ACME;MDL:Held;CLS:PRINTER;\nmodes=compat,nibble\n",
		NULL
	};
	g_autofree char *m249 = g_strnfill(249, 'M');
	g_autofree char *head = g_strdup_printf("MFG:ACME;MDL:%s\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9;CMD:PJL;CLS:PRINTER;", m249);
	g_autofree char *text = long_id(head, "ATTR:x=y;");
	g_autofree char *mm = g_strdup_printf("ACME %s", m249);
	g_autofree char *fit = g_strdup_printf("%sATTR:x=y;", head);
	g_autofree char *dir = NULL, *cache = NULL, *raw = NULL;
	g_autofree char *out = NULL, *err = NULL;
	size_t len = strlen(text);
	const struct expect_device expect[] = {
		{ "parclass:/dev/parport0", "ACME? L\xc3\xa4ser ?9", "MFG:ACME?;MDL:L\xc3\xa4ser ?9;CMD:PJL;CLS:PRINTER;",
		  "LPT1" },
		/* make and model cut to 255 bytes, before a character that would not fit */
		{ "parclass:/dev/parport1", mm, fit, "LPT2" },
	};
	pid_t holder;
	int status, release;

	sim = fx_start(models);
	/* What a process that read LPT2's ID left for others (the printer's own words). */
	dir = g_build_filename(sim->runtime, "parport1", NULL);
	cr_assert_eq(g_mkdir_with_parents(dir, 02775), 0);
	cache = g_build_filename(dir, "id.eoc", NULL);
	raw = g_malloc(len + 2);
	raw[0] = (char)((len + 2) >> 8);
	raw[1] = (char)((len + 2) & 0xff);
	memcpy(raw + 2, text, len);
	cr_assert(g_file_set_contents(cache, raw, (gssize)len + 2, NULL));
	holder = ctl_hold("LPT2", &release);
	ctl_await_held("LPT2");
	out = discover(EVENTUALLY_MS, &status, &err);
	close(release);
	cr_assert_eq(wait_child(holder), 0);
	cr_assert_eq(status, CUPS_BACKEND_OK, "%s", err);
	assert_discovered(out, err, expect, G_N_ELEMENTS(expect));
}

Test(backend, a_hostile_id_reaches_stderr_in_whole_lines_and_the_side_channel_whole)
{
	/* Quotes, a backslash, a stray byte and a line break first, then the long part. */
	static const char head_sent[] = "MFG:ACME \"Q\\\\\";MDL:Long 9;CMD:PJL;CLS:PRINTER;SN:\\xe9;Z:\\r\\nSTATE: +e;";
	static const char head_read[] = "MFG:ACME \"Q\\\";MDL:Long 9;CMD:PJL;CLS:PRINTER;SN:?;";
	g_autofree char *text = long_id(head_read, "ATTR:x;");
	g_autofree char *model = g_strdup_printf("[device]\nid=%s%s\nmodes=compat,nibble\n", head_sent,
						 text + strlen(head_read));
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .keep_stdin = true };
	static char data[8192];
	size_t len;
	int c, st;
	struct proc j;

	sim = fx_start1(model);
	job_start(&j, &s);
	proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
	side_send(&j, CUPS_SC_CMD_GET_DEVICE_ID, NULL, 0);
	side_answer(&j, &c, &st, data, sizeof data, &len);
	cr_assert_eq(c, CUPS_SC_CMD_GET_DEVICE_ID);
	cr_assert_eq(st, CUPS_SC_STATUS_OK);
	cr_assert_eq(len, strlen(text), "the whole ID: %zu bytes, expected %zu", len, strlen(text));
	cr_assert(memcmp(data, text, len) == 0, "other bytes than the parsed ID");
	assert_printable(data, "the side channel's ID");
	proc_close_stdin(&j);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	assert_whole_lines(j.errtext->str, "stderr");
	/* The ID in the log: the pairs CUPS matches drivers by, and what else fits. */
	assert_said(j.errtext->str,
		    "\nDEBUG: Device ID of LPT1: MFG:ACME \"Q\\\";MDL:Long 9;CMD:PJL;CLS:PRINTER;SN:?;ATTR:x;\n");
	proc_free(&j);
}

/* Holds LPT1 with a ticket of its own under a name it chose itself, as anyone in group lp may. */
static int named_holder_main(void *data)
{
	struct sync_pipe *sp = data;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	g_autofree char *dir = g_build_filename(sim->runtime, "parport0", NULL);
	g_autofree char *ticket = g_build_filename(dir, "q.0000000000000000", NULL);
	int fd;

	prctl(PR_SET_NAME, "ev\033[2J\177\303\251", 0, 0, 0);
	if (g_mkdir_with_parents(dir, 02775) < 0)
		return 10;
	fd = open(ticket, O_RDWR | O_CREAT | O_EXCL, 0664);
	if (fd < 0 || dprintf(fd, "pid=%d\nrequest=lock\naddress=-1\n", (int)getpid()) < 0 ||
	    fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return 11;
	sync_post(sp, 'h');
	for (;;)
		pause();
	return 0;
}

Test(backend, a_holders_process_name_reaches_cupsd_as_printable_text)
{
	struct spec s = { .uri = "parclass:/dev/parport0", .input = "late", .input_len = 4 };
	g_autofree char *expect = NULL;
	struct sync_pipe sp;
	struct proc j;
	pid_t holder;

	sim = fx_start1(laserjet_model);
	sync_init(&sp);
	holder = fork_child_ready(named_holder_main, &sp, &sp, 'h');
	job_start(&j, &s);
	expect = g_strdup_printf("INFO: Waiting for LPT1: process %d (ev?[2J??\?) is using it\n", (int)holder);
	proc_wait_for(&j, expect, EVENTUALLY_MS);
	kill(holder, SIGKILL);
	wait_child(holder);
	cr_assert_eq(proc_finish(&j, EVENTUALLY_MS), CUPS_BACKEND_OK, "%s", j.errtext->str);
	proc_free(&j);
}
