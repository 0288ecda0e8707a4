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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "job.h"

#define UEL "\033%-12345X"

static const char laser_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[device]\nid=MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;\n"
	"modes=compat,nibble,byte,ecp,ecprle\npjl=true\n";
static const char centronics_model[] = "[port]\nmodes=pcspp\n[device]\nmodes=compat\n";
static const char chain_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[daisy.0]\nid=MFG:ACME;MDL:Scan 1284;CLS:SCANNER;\nmodes=compat,nibble\n"
	"[daisy.1]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble,ecp\npjl=true\n"
	"[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\nmodes=compat,nibble\n";
static const char empty_model[] = "[port]\nmodes=pcspp\n";
static const char hung_model[] = "[device]\nid=MFG:ACME;MDL:Hung;CLS:PRINTER;\nmodes=compat,nibble\n"
				 "negotiation-delay-ms=100\nautoprobe=false\n";

static struct sim *sim;

static void teardown(void)
{
	sim_free(sim);
	sim = NULL;
}

TestSuite(backend, .fini = teardown, .timeout = 90);

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
	return sim_received(sim, name, NULL);
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

/* Run the backend without arguments; its stdout returned, its stderr in @err. */
static char *discover(int *status, char **err)
{
	const char *argv[] = { "parclass", NULL };
	int out[2], errp[2];
	pid_t pid;
	GString *text = g_string_new(NULL), *etext = g_string_new(NULL);
	char buf[4096];
	ssize_t n;
	int st;

	cr_assert_eq(pipe(out), 0);
	cr_assert_eq(pipe(errp), 0);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(errp[1], 2);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		exec_args(backend_path(), argv);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	while ((n = read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			g_string_append_len(text, buf, n);
	while ((n = read(errp[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			g_string_append_len(etext, buf, n);
	close(out[0]);
	close(errp[0]);
	waitpid(pid, &st, 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	*err = g_string_free(etext, FALSE);
	return g_string_free(text, FALSE);
}

Test(backend, discovery_lists_every_printer_with_uri_names_id_and_location)
{
	const char *models[] = { laser_model, chain_model, empty_model, centronics_model, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int status;

	sim = sim_start(models);
	out = discover(&status, &err);
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
	const char *models[] = { empty_model, NULL };
	g_autofree char *out = NULL, *err = NULL;
	int status;

	sim = sim_start(models);
	out = discover(&status, &err);
	cr_assert_eq(status, CUPS_BACKEND_OK, "%s", err);
	cr_assert_str_eq(out, "");
}

/* Holds LPT1 for a while, as a job would. */
static pid_t hold_port(const char *location, const char *seconds)
{
	const char *argv[] = { "parclassctl", "lock", location, "--", "sleep", seconds, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		exec_args(getenv("PARCLASSCTL"), argv);
		_exit(127);
	}
	return pid;
}

/* What "parclassctl waiters LOCATION" says: the library's view of the port. */
static void ctl_waiters(const char *location, char *buf, size_t size)
{
	const char *argv[] = { "parclassctl", "waiters", location, NULL };
	int out[2], st;
	pid_t pid;

	memset(buf, 0, size);
	cr_assert_eq(pipe(out), 0);
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		exec_args(getenv("PARCLASSCTL"), argv);
		_exit(127);
	}
	close(out[1]);
	(void)!read(out[0], buf, size - 1);
	close(out[0]);
	waitpid(pid, &st, 0);
}

static void wait_held(const char *location)
{
	long long end = now_ms() + 10000;

	for (;;) {
		char buf[256];

		ctl_waiters(location, buf, sizeof buf);
		if (strstr(buf, "holder: ") && !strstr(buf, "holder: none"))
			return;
		cr_assert_lt(now_ms(), end, "%s was never held: %s", location, buf);
		usleep(20000);
	}
}

Test(backend, discovery_lists_a_held_port_from_what_is_known_and_does_not_wait_for_a_hung_device)
{
	const char *models[] = { laser_model, hung_model, NULL };
	g_autofree char *out = NULL, *err = NULL;
	long long start;
	pid_t holder;
	int status;

	sim = sim_start(models);
	holder = hold_port("LPT1", "30");
	wait_held("LPT1");
	start = now_ms();
	out = discover(&status, &err);
	/* A guard against hanging, not a speed target: make bench measures it. */
	cr_assert_lt(now_ms() - start, 10000);
	kill(holder, SIGTERM);
	wait_child(holder);
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

	sim = sim_start1(laser_model);
	file = write_temp(data, N);
	s.file = file;
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "INFO: Printing on LPT1 in ECP mode, status in ECP mode\n");
	for (int i = 0; i < 3; i++)
		memcpy(three + i * N, data, N);
	sim_stop(sim);
	assert_received("parport0", three, 3 * N);
}

Test(backend, stdin_is_printed_once_whatever_the_copies)
{
	enum { N = 200000 };
	g_autofree unsigned char *data = pattern(N, 2);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .copies = "2", .input = data, .input_len = N };

	sim = sim_start1(laser_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	sim_stop(sim);
	assert_received("parport0", data, N);
}

Test(backend, compatibility_mode_on_request_and_for_a_centronics_printer)
{
	enum { N = 100000 };
	const char *models[] = { laser_model, centronics_model, NULL };
	g_autofree unsigned char *data = pattern(N, 3);
	g_autofree char *err1 = NULL, *err2 = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?mode=compat&reverse=nibble", .input = data, .input_len = N };

	sim = sim_start(models);
	cr_assert_eq(run(&s, &err1), CUPS_BACKEND_OK, "%s", err1);
	assert_said(err1, "INFO: Printing on LPT1 in compatibility mode, status in nibble mode\n");
	s.uri = "parclass:/dev/parport1";
	cr_assert_eq(run(&s, &err2), CUPS_BACKEND_OK, "%s", err2);
	assert_said(err2, "INFO: Printing on LPT2 in compatibility mode, without status from the printer\n");
	sim_stop(sim);
	assert_received("parport0", data, N);
	assert_received("parport1", data, N);
	/* ECP was only probed: neither data nor status went that way. */
	cr_assert_not(sim_events_contain(sim, "parport0 direction reverse"), "mode=compat used ECP");
}

Test(backend, a_mode_the_printer_lacks_stops_the_queue_and_sends_nothing)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?mode=ecp", .input = "x", .input_len = 1 };

	sim = sim_start1(centronics_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_STOP, "%s", err);
	assert_said(err, "ERROR: LPT1 cannot print in the mode the device URI asks for (mode=)\n");
	sim_stop(sim);
	cr_assert_null(sim_record_read(sim, "parport0-0001.prn", NULL));
}

Test(backend, a_daisy_chain_printer_gets_its_own_data)
{
	enum { N = 50000 };
	g_autofree unsigned char *data = pattern(N, 4);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?daisy=1", .input = data, .input_len = N };

	sim = sim_start1(chain_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "INFO: Printing on LPT1.1 in ECP mode, status in ECP mode\n");
	sim_stop(sim);
	assert_received("parport0.1", data, N);
	cr_assert_null(sim_record_read(sim, "parport0-0001.prn", NULL), "the end-of-chain printer got data");
}

Test(backend, the_ecp_channel_option_addresses_the_data)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?channel=5", .input = "hello", .input_len = 5 };

	sim = sim_start1(laser_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	sim_stop(sim);
	assert_received("parport0", "hello", 5);
	cr_assert(sim_events_contain(sim, "parport0 ecp channel 5"));
}

/* ---- the back channel and PJL status ---- */

Test(backend, the_printers_answers_arrive_on_the_back_channel_in_every_reverse_mode)
{
	static const char ask[] = UEL "@PJL ECHO parclass\r\n" UEL;
	static const char *const uris[] = { "parclass:/dev/parport0", "parclass:/dev/parport0?reverse=byte",
					    "parclass:/dev/parport0?mode=compat&reverse=nibble" };

	sim = sim_start1(laser_model);
	for (size_t i = 0; i < 3; i++) {
		struct spec s = { .uri = uris[i], .input = ask, .input_len = sizeof ask - 1, .channels = true };
		struct job j;

		job_start(&j, &s);
		cr_assert_eq(job_finish(&j, 20000), CUPS_BACKEND_OK, "%s", j.errtext->str);
		cr_assert_eq(j.backdata->len, 21, "%s: %u bytes on fd 3", uris[i], j.backdata->len);
		cr_assert(memcmp(j.backdata->data, "@PJL ECHO parclass\r\n\f", 21) == 0, "%s", uris[i]);
		assert_said(j.errtext->str, "DEBUG: PJL: parclass\n");
		job_free(&j);
	}
}

Test(backend, without_a_back_channel_from_a_shell_the_answers_are_still_read)
{
	static const char ask[] = UEL "@PJL INFO STATUS\r\n" UEL;
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = ask, .input_len = sizeof ask - 1 };

	sim = sim_start1(laser_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "DEBUG: PJL status 10001 (Ready)\n");
	assert_said(err, "INFO: 00 READY\n");
}

static const char pjl_job[] = UEL "@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=ON\r\n"
			      "@PJL JOB NAME=\"7 report\"\r\n@PJL ENTER LANGUAGE=PCL\r\n"
			      "page one\fpage two\fpage three\f" UEL "@PJL EOJ NAME=\"7 report\"\r\n" UEL;

Test(backend, pjl_job_and_page_status_become_page_counts_and_the_job_waits_for_its_end)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = pjl_job, .input_len = sizeof pjl_job - 1 };
	const char *a, *b, *c, *end;

	sim = sim_start1(laser_model);
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

	sim = sim_start1(laser_model);
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

	sim = sim_start1(laser_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "STATE: +cups-waiting-for-job-completed\n");
	assert_said(err, "WARNING: The printer did not say that the job ended; stopped waiting after 1 seconds of "
			 "silence\n");
	assert_said(err, "STATE: -cups-waiting-for-job-completed\n");
}

/* A job long enough for a fault to strike in the middle, with device status on. */
static unsigned char *status_job(size_t n, unsigned seed)
{
	static const char head[] = UEL "@PJL USTATUS DEVICE=ON\r\n@PJL ENTER LANGUAGE=PCL\r\n";
	unsigned char *data = pattern(n, seed);

	memcpy(data, head, sizeof head - 1);
	return data;
}

Test(backend, device_status_becomes_printer_state_reasons_and_message)
{
	static const char model[] = "[device]\nid=MFG:HP;MDL:Door;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
				    "[fault.door]\nkind=door-open\nafter-bytes=100000\nduration-ms=800\n"
				    "display=12 PRINTER OPEN\n";
	enum { N = 300000 };
	g_autofree unsigned char *data = status_job(N, 5);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = data, .input_len = N };
	const char *on, *off;

	sim = sim_start1(model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	on = strstr(err, "STATE: +door-open-error");
	off = strstr(err, "STATE: -door-open-error");
	cr_assert(on && off && on < off, "%s", err);
	assert_said(err, "INFO: 12 PRINTER OPEN\n");
	assert_said(err, "ATTR: printer-alert=\"code=doorOpen;severity=critical\" "
			 "printer-alert-description=\"12 PRINTER OPEN\"\n");
	assert_said(err, "DEBUG: PJL status 40021 (Door open)\n");
	sim_stop(sim);
	assert_received("parport0", data, N);
}

static void fault_mid_job(const char *kind, const char *reason, const char *info, const char *uri)
{
	g_autofree char *model = g_strdup_printf("[device]\nid=MFG:HP;MDL:Faulty;CMD:PJL;\nmodes=compat,nibble,ecp\n"
						 "pjl=true\n[fault.f]\nkind=%s\nafter-bytes=150000\nduration-ms=700\n",
						 kind);
	g_autofree char *plus = g_strdup_printf("STATE: +%s\n", reason);
	g_autofree char *minus = g_strdup_printf("STATE: -%s\n", reason);
	enum { N = 400000 };
	g_autofree unsigned char *data = pattern(N, 6);
	g_autofree char *err = NULL;
	struct spec s = { .uri = uri, .input = data, .input_len = N };
	const char *on, *off;

	sim = sim_start1(model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	on = strstr(err, plus);
	off = strstr(err, minus);
	cr_assert(on && off && on < off, "%s", err);
	assert_said(err, info);
	sim_stop(sim);
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
				    "[fault.off]\nkind=power-off\nafter-bytes=150000\nduration-ms=2000\n";
	enum { N = 400000 };
	g_autofree unsigned char *data = pattern(N, 13);
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0", .input = data, .input_len = N };

	sim = sim_start1(model);
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
	long long end;
	struct job j;
	const char *on;

	sim = sim_start1(model);
	sim_kill(sim, SIGUSR2);
	for (end = now_ms() + 10000; !sim_events_contain(sim, "parport0 state ready -> power-off"); usleep(10000))
		cr_assert_lt(now_ms(), end, "the printer was never switched off");
	job_start(&j, &s);
	job_wait_for(&j, "STATE: +offline-report\n", 20000);
	job_wait_for(&j, "INFO: The printer is off\n", 20000);
	sim_kill(sim, SIGUSR1);
	cr_assert_eq(job_finish(&j, 30000), CUPS_BACKEND_OK, "%s", j.errtext->str);
	on = strstr(j.errtext->str, "STATE: -offline-report\n");
	cr_assert(on, "%s", j.errtext->str);
	/* Negotiated once the printer was on: ECP and its status. */
	cr_assert(strstr(on, "INFO: Printing on LPT1 in ECP mode, status in ECP mode\n"), "%s", j.errtext->str);
	job_free(&j);
	sim_stop(sim);
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

	sim = sim_start1(laser_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "STATE: -media-empty-error,toner-low-warning\n");
	assert_not_said(err, "paused");
}

/* ---- the side channel ---- */

static void side_send(struct job *j, int cmd, const void *data, size_t len)
{
	unsigned char msg[64] = { (unsigned char)cmd, 0, (unsigned char)(len >> 8), (unsigned char)len };

	cr_assert_leq(len, sizeof msg - 4);
	if (len > 0)
		memcpy(msg + 4, data, len);
	cr_assert_eq(write(j->side, msg, 4 + len), (ssize_t)(4 + len));
}

/* The answer's command, status and data (NUL-terminated in @data). */
static void side_answer(struct job *j, int *cmd, int *status, char *data, size_t size, size_t *len)
{
	unsigned char msg[4 + 65535];
	long long end = now_ms() + 10000;
	ssize_t n;

	for (;;) {
		struct pollfd p = { .fd = j->side, .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			break;
		cr_assert_lt(now_ms(), end, "no side-channel answer; the backend said:\n%s", j->errtext->str);
		job_pump(j, 20);
	}
	n = read(j->side, msg, sizeof msg);
	cr_assert_geq(n, 4, "a side-channel answer of %zd bytes", n);
	*cmd = msg[0];
	*status = msg[1];
	*len = (size_t)((msg[2] << 8) | msg[3]);
	cr_assert_eq((size_t)n, 4 + *len, "the answer's length field does not match its data");
	cr_assert_lt(*len, size);
	memcpy(data, msg + 4, *len);
	data[*len] = '\0';
}

static void assert_side(struct job *j, int cmd, int expect_status, const void *expect, size_t expect_len)
{
	char data[1024];
	size_t len;
	int c, st;

	side_send(j, cmd, NULL, 0);
	side_answer(j, &c, &st, data, sizeof data, &len);
	cr_assert_eq(c, cmd);
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
	struct job j;

	sim = sim_start1(laser_model);
	job_start(&j, &s);
	job_wait_for(&j, "INFO: Printing on LPT1", 20000);
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
	job_write(&j, "data", 4);
	assert_side(&j, CUPS_SC_CMD_DRAIN_OUTPUT, CUPS_SC_STATUS_OK, "", 0);
	job_close_stdin(&j);
	cr_assert_eq(job_finish(&j, 20000), CUPS_BACKEND_OK, "%s", j.errtext->str);
	job_free(&j);
	sim_stop(sim);
	cr_assert(sim_events_contain(sim, "parport0 reset"));
	assert_received("parport0", "data", 4);
}

Test(backend, the_side_channel_tells_no_bidi_and_no_paper)
{
	static const char model[] = "[port]\nmodes=pcspp\n[device]\nmodes=compat\nstate=paper-out\n";
	const char bidi = CUPS_SC_BIDI_NOT_SUPPORTED;
	const char state = CUPS_SC_STATE_ONLINE | CUPS_SC_STATE_BUSY | CUPS_SC_STATE_ERROR | CUPS_SC_STATE_MEDIA_EMPTY;
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .keep_stdin = true };
	struct job j;

	sim = sim_start1(model);
	job_start(&j, &s);
	job_wait_for(&j, "INFO: Printing on LPT1", 20000);
	assert_side(&j, CUPS_SC_CMD_GET_BIDI, CUPS_SC_STATUS_OK, &bidi, 1);
	assert_side(&j, CUPS_SC_CMD_GET_STATE, CUPS_SC_STATUS_OK, &state, 1);
	assert_side(&j, CUPS_SC_CMD_GET_DEVICE_ID, CUPS_SC_STATUS_OK, "", 0);
	job_close_stdin(&j);
	cr_assert_eq(job_finish(&j, 20000), CUPS_BACKEND_OK, "%s", j.errtext->str);
	assert_said(j.errtext->str, "STATE: +media-empty-error\n");
	job_free(&j);
}

Test(backend, drain_output_answers_once_the_data_has_left)
{
	static const char model[] = "[device]\nid=MFG:HP;MDL:Slow;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
				    "[fault.busy]\nkind=busy\nafter-bytes=1\nduration-ms=500\n";
	static const char data[] = UEL "@PJL ECHO before the drain\r\n" UEL;
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .keep_stdin = true };
	struct job j;

	sim = sim_start1(model);
	job_start(&j, &s);
	job_wait_for(&j, "INFO: Printing on LPT1", 20000);
	job_write(&j, data, sizeof data - 1);
	assert_side(&j, CUPS_SC_CMD_DRAIN_OUTPUT, CUPS_SC_STATUS_OK, "", 0);
	/* The printer stalled for half a second: the answer waited for it to take it all. */
	cr_assert(sim_events_contain(sim, "parport0 pjl @PJL ECHO before the drain"));
	job_close_stdin(&j);
	cr_assert_eq(job_finish(&j, 20000), CUPS_BACKEND_OK, "%s", j.errtext->str);
	job_free(&j);
}

Test(backend, a_broken_side_channel_is_dropped_once_and_the_job_goes_on)
{
	enum { N = 100000 };
	g_autofree unsigned char *data = pattern(N, 7);
	struct spec s = { .uri = "parclass:/dev/parport0", .channels = true, .input = data, .input_len = N };
	struct job j;
	const char *first;

	sim = sim_start1(laser_model);
	job_start(&j, &s);
	close(j.side);
	j.side = -1;
	cr_assert_eq(job_finish(&j, 20000), CUPS_BACKEND_OK, "%s", j.errtext->str);
	first = strstr(j.errtext->str, "DEBUG: Side channel dropped: closed by the filters\n");
	cr_assert(first, "%s", j.errtext->str);
	cr_assert_null(strstr(first + 20, "Side channel dropped"), "dropped twice:\n%s", j.errtext->str);
	job_free(&j);
	sim_stop(sim);
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
	struct job j;
	long long sent;

	sim = sim_start1(stuck_model);
	job_start(&j, &s);
	job_wait_for(&j, "INFO: Printing on LPT1", 20000);
	if (from_stdin)
		job_write(&j, data, 30000);
	job_pump(&j, 500);
	sent = now_ms();
	kill(j.pid, SIGTERM);
	job_wait_for(&j, "INFO: Job cancelled after 20000 bytes\n", 5000);
	/* A guard against hangs, not the measure: make bench gives the figure. */
	cr_assert_lt(now_ms() - sent, 5000);
	cr_assert_eq(job_finish(&j, 20000), CUPS_BACKEND_CANCEL, "%s", j.errtext->str);
	job_free(&j);
	assert_port_free("LPT1");
}

Test(backend, sigterm_stops_a_stalled_job_and_frees_the_port)
{
	cancel_test("parclass:/dev/parport0", false);
	cr_assert_not(sim_events_contain(sim, "parport0 reset"));
}

Test(backend, sigterm_stops_a_job_read_from_stdin_too)
{
	cancel_test("parclass:/dev/parport0?mode=compat", true);
}

Test(backend, reset_yes_resets_the_printer_when_a_job_is_cancelled)
{
	cancel_test("parclass:/dev/parport0?reset=yes", false);
	cr_assert(sim_events_contain(sim, "parport0 reset"));
}

Test(backend, sigterm_ends_the_wait_for_a_busy_port)
{
	struct spec s = { .uri = "parclass:/dev/parport0", .input = "x", .input_len = 1 };
	struct job j;
	pid_t holder;
	char expect[64];

	sim = sim_start1(laser_model);
	holder = hold_port("LPT1", "30");
	wait_held("LPT1");
	job_start(&j, &s);
	job_wait_for(&j, "STATE: +connecting-to-device\n", 20000);
	snprintf(expect, sizeof expect, "INFO: Waiting for LPT1: process %d (", (int)holder);
	job_wait_for(&j, expect, 20000);
	kill(j.pid, SIGTERM);
	cr_assert_eq(job_finish(&j, 20000), CUPS_BACKEND_CANCEL, "%s", j.errtext->str);
	job_free(&j);
	cr_assert_eq(waitpid(holder, NULL, WNOHANG), 0, "the holder was disturbed");
	kill(holder, SIGTERM);
	wait_child(holder);
}

/* ---- exit codes ---- */

Test(backend, a_busy_port_is_waited_for_then_the_job_is_retried_later)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?lock-timeout=1", .input = "x", .input_len = 1 };
	pid_t holder;

	sim = sim_start1(laser_model);
	holder = hold_port("LPT1", "30");
	wait_held("LPT1");
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_RETRY, "%s", err);
	assert_said(err, "STATE: +connecting-to-device\n");
	assert_said(err, "ERROR: LPT1 stayed busy for 1 seconds\n");
	kill(holder, SIGTERM);
	wait_child(holder);
}

Test(backend, a_port_that_frees_up_is_taken_and_printed_on)
{
	struct spec s = { .uri = "parclass:/dev/parport0", .input = "late", .input_len = 4 };
	struct job j;
	pid_t holder;

	sim = sim_start1(laser_model);
	holder = hold_port("LPT1", "30");
	wait_held("LPT1");
	job_start(&j, &s);
	job_wait_for(&j, "STATE: +connecting-to-device\n", 20000);
	job_wait_for(&j, "INFO: Waiting for LPT1: process", 20000);
	kill(holder, SIGTERM);
	cr_assert_eq(job_finish(&j, 30000), CUPS_BACKEND_OK, "%s", j.errtext->str);
	assert_said(j.errtext->str, "STATE: -connecting-to-device\n");
	job_free(&j);
	wait_child(holder);
	sim_stop(sim);
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

	sim = sim_start1(laser_model);
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

	sim = sim_start1(laser_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_STOP, "%s", err);
	assert_said(err, "ERROR: No device URI");
}

Test(backend, a_chain_device_that_does_not_answer_is_retried_later)
{
	g_autofree char *err = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?daisy=3", .input = "x", .input_len = 1 };

	sim = sim_start1(chain_model);
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

	sim = sim_start1(model);
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

	sim = sim_start1(laser_model);
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

	sim = sim_start1(laser_model);
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "WARNING: Unknown options in the device URI ignored: speed\n");
	sim_stop(sim);
	assert_received("parport0", "ok", 2);
}

/* ---- sharing ---- */

Test(backend, a_long_job_lets_a_waiting_neighbour_on_the_chain_go_first)
{
	static const char model[] =
		"[port]\nmodes=pcspp,tristate,ecp\n"
		"[daisy.0]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble\ncompat-rate=200000\n"
		"[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\nmodes=compat,nibble\n";
	enum { N = 400000 };
	g_autofree unsigned char *data = pattern(N, 10);
	g_autofree char *small = NULL, *second = NULL;
	const char *argv[] = { "parclassctl", "send", "LPT1.4", NULL, NULL };
	struct spec s = { .uri = "parclass:/dev/parport0?daisy=0&share=100", .input = data, .input_len = N };
	struct job j;
	pid_t neighbour;

	sim = sim_start1(model);
	small = write_temp("neighbour", 9);
	argv[3] = small;
	job_start(&j, &s);
	job_wait_for(&j, "INFO: Printing on LPT1.0", 20000);
	job_pump(&j, 200);
	neighbour = fork();
	if (neighbour == 0) {
		exec_args(getenv("PARCLASSCTL"), argv);
		_exit(127);
	}
	cr_assert_eq(wait_child(neighbour), 0, "parclassctl send failed");
	cr_assert_eq(waitpid(j.pid, NULL, WNOHANG), 0, "the job ended before its neighbour printed");
	cr_assert_eq(job_finish(&j, 30000), CUPS_BACKEND_OK, "%s", j.errtext->str);
	assert_said(j.errtext->str, "INFO: Letting 1 other user of LPT1.0 go first\n");
	job_free(&j);
	sim_stop(sim);
	assert_received("parport0.0", data, N);
	assert_received("parport0", "neighbour", 9);
	second = sim_record_read(sim, "parport0.0-0002.prn", NULL);
	cr_assert_not_null(second, "the job never let go");
}

Test(backend, share_no_keeps_the_port_for_the_whole_job)
{
	static const char model[] = "[device]\nid=MFG:HP;MDL:Slow;CMD:PJL;\nmodes=compat,nibble\ncompat-rate=400000\n";
	enum { N = 300000 };
	g_autofree unsigned char *data = pattern(N, 11);
	const char *argv[] = { "parclassctl", "lock", "LPT1", "--", "true", NULL };
	g_autofree char *second = NULL;
	struct spec s = { .uri = "parclass:/dev/parport0?share=no", .input = data, .input_len = N };
	struct job j;
	pid_t other;

	sim = sim_start1(model);
	job_start(&j, &s);
	job_wait_for(&j, "INFO: Printing on LPT1", 20000);
	other = fork();
	if (other == 0) {
		exec_args(getenv("PARCLASSCTL"), argv);
		_exit(127);
	}
	cr_assert_eq(job_finish(&j, 30000), CUPS_BACKEND_OK, "%s", j.errtext->str);
	cr_assert_eq(wait_child(other), 0);
	assert_not_said(j.errtext->str, "go first");
	job_free(&j);
	sim_stop(sim);
	assert_received("parport0", data, N);
	second = sim_record_read(sim, "parport0-0002.prn", NULL);
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

	sim = sim_start1(laser_model);
	file = write_temp(data, N);
	s.file = file;
	cr_assert_eq(run(&s, &err), CUPS_BACKEND_OK, "%s", err);
	assert_said(err, "\r\033[KLPT1: 97.7 KiB of 97.7 KiB sent, ");
	assert_said(err, " sent, ");
	assert_said(err, "/s, ECP mode, done\r\n");
}
