/*
 * test-parclassctl.c - parclassctl's commands, outputs and exit statuses,
 * against parclass-sim
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/pjl.h"
#include "fixture.h"
#include "models.h"
#include "parclass.h"
#include "proc.h"

static const char laser_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[device]\nid=MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;\nmodes=compat,nibble,byte,ecp\n"
	"pjl=true\n";
static const char chain_model[] =
	"[port]\nmodes=pcspp,tristate\n"
	"[daisy.0]\nid=MFG:ACME;MDL:Scan;CLS:SCANNER;\nmodes=compat,nibble\n"
	"[device]\nmodes=compat\n";

static struct fx_sim *sim;

static void teardown(void)
{
	fx_free(sim);
	sim = NULL;
}

TestSuite(parclassctl, .fini = teardown);

struct run {
	int status;
	char *out, *err;
	gsize out_len;
};

/* Start parclassctl with @args (NULL-terminated), @input on its stdin. */
static void ctl_start(struct proc *p, const char *input, const char *const *args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	struct proc_spec s = { .path = getenv("PARCLASSCTL"), .input = input, .input_len = input ? strlen(input) : 0 };

	g_ptr_array_add(argv, g_strdup(s.path));
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	g_ptr_array_add(argv, NULL);
	s.argv = (const char *const *)argv->pdata;
	proc_start(p, &s);
}

/* Run parclassctl with @args (NULL-terminated), @input on its stdin. */
static struct run ctl_input(const char *input, const char *const *args)
{
	struct run r = { 0 };
	struct proc p;

	ctl_start(&p, input, args);
	r.status = proc_finish(&p, 2 * EVENTUALLY_MS);
	r.out_len = p.outdata->len;
	r.out = g_malloc(r.out_len + 1);   /* raw IDs start with NUL bytes: no strndup */
	if (r.out_len)
		memcpy(r.out, p.outdata->data, r.out_len);
	r.out[r.out_len] = '\0';
	r.err = g_strdup(p.errtext->str);
	proc_free(&p);
	return r;
}

static struct run ctl(const char *const *args)
{
	return ctl_input(NULL, args);
}

static void run_free(struct run *r)
{
	g_free(r->out);
	g_free(r->err);
}

#define CTL(...) ctl((const char *const[]){ __VA_ARGS__, NULL })

Test(parclassctl, list_shows_ports_devices_ids_and_modes)
{
	const char *models[] = { laser_model, chain_model, empty_spp_model, NULL };
	struct run r;

	sim = fx_start(models);
	r = CTL("list", "--deadline", eventually_ms_text());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out,
			 "LPT1 (parport0): CENTRONICS IEEE_COMPATIBILITY NIBBLE BYTE_BIDIR EPP_SW ECP_HW_IRQ ECP_SW\n"
			 "  LPT1    HP LaserJet 4\n"
			 "          id: MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;\n"
			 "          modes: CENTRONICS IEEE_COMPATIBILITY NIBBLE BYTE_BIDIR ECP_HW_IRQ ECP_SW\n"
			 "LPT2 (parport1): CENTRONICS IEEE_COMPATIBILITY NIBBLE BYTE_BIDIR EPP_SW ECP_SW\n"
			 "  LPT2.0  ACME Scan\n"
			 "          id: MFG:ACME;MDL:Scan;CLS:SCANNER;\n"
			 "          modes: CENTRONICS IEEE_COMPATIBILITY NIBBLE\n"
			 "  LPT2.4  Unknown\n"
			 "          id: (none)\n"
			 "          modes: CENTRONICS\n"
			 "LPT3 (parport2): CENTRONICS IEEE_COMPATIBILITY NIBBLE\n"
			 "  nothing attached\n");
	run_free(&r);
}

Test(parclassctl, list_json_is_one_object)
{
	struct run r;

	sim = fx_start1(chain_model);
	r = CTL("list", "--json", "--deadline", eventually_ms_text());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out,
			 "{\"ports\":[{\"name\":\"parport0\",\"location\":\"LPT1\",\"modes\":[\"CENTRONICS\","
			 "\"IEEE_COMPATIBILITY\",\"NIBBLE\",\"BYTE_BIDIR\",\"EPP_SW\",\"ECP_SW\"],\"probed\":true,"
			 "\"holder\":0,\"devices\":["
			 "{\"location\":\"LPT1.0\",\"address\":0,\"device_id\":\"MFG:ACME;MDL:Scan;CLS:SCANNER;\","
			 "\"make_and_model\":\"ACME Scan\",\"manufacturer\":\"ACME\",\"model\":\"Scan\",\"command_set\":null,"
			 "\"class\":\"SCANNER\",\"modes\":[\"CENTRONICS\",\"IEEE_COMPATIBILITY\",\"NIBBLE\"]},"
			 "{\"location\":\"LPT1.4\",\"address\":null,\"device_id\":null,\"make_and_model\":\"Unknown\","
			 "\"manufacturer\":null,\"model\":null,\"command_set\":null,\"class\":null,"
			 "\"modes\":[\"CENTRONICS\"]}]}]}\n");
	run_free(&r);
}

Test(parclassctl, id_cached_fresh_and_raw)
{
	struct run r;

	sim = fx_start1(laser_model);
	r = CTL("id", "LPT1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "CLASS:PRINTER;MODEL:HP LaserJet 4;MANUFACTURER:Hewlett-Packard;COMMAND SET:PCL,PJL;\n");
	run_free(&r);
	r = CTL("id", "parport0", "--fresh");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;\n");
	run_free(&r);
	r = CTL("id", "LPT1", "--fresh", "--raw");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.out_len, 64);
	cr_assert(memcmp(r.out, "\x00\x40" "MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;", 64) == 0);
	run_free(&r);
}

Test(parclassctl, modes_status_lines_waiters_and_reset)
{
	const char *models[] = { laser_model, "[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=offline\n", NULL };
	struct run r;

	sim = fx_start(models);
	r = CTL("modes", "LPT1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "CENTRONICS IEEE_COMPATIBILITY NIBBLE BYTE_BIDIR ECP_HW_IRQ ECP_SW\n");
	run_free(&r);
	r = CTL("status", "LPT1");
	cr_assert_str_eq(r.out, "SELECTED (nFault=1 Select=1 PError=0 nAck=1 Busy=0)\n");
	run_free(&r);
	r = CTL("status", "LPT2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "OFF_LINE BUSY (nFault=1 Select=0 PError=0 nAck=1 Busy=1)\n");
	run_free(&r);
	r = CTL("lines", "LPT1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "nFault=1 Select=1 PError=0 nAck=1 Busy=0 nStrobe=1 nAutoFd=1 nInit=1 nSelectIn=0\n");
	run_free(&r);
	r = CTL("lines", "LPT2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "nFault=1 Select=0 PError=0 nAck=1 Busy=1 nStrobe=1 nAutoFd=1 nInit=1 nSelectIn=0\n");
	run_free(&r);
	r = CTL("waiters", "LPT1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "holder: none\nwaiters: 0\n");
	run_free(&r);
	r = CTL("reset", "LPT1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	run_free(&r);
	cr_assert(fx_events_contain(sim, "parport0 reset\n"), "no nInit pulse");
}

Test(parclassctl, usage_and_missing_things_have_their_exit_status)
{
	struct run r;

	sim = fx_start1(laser_model);
	r = CTL("id", "LPT3");
	cr_assert_eq(r.status, 69);
	cr_assert(strstr(r.err, "LPT3: no such port"), "%s", r.err);
	run_free(&r);
	r = CTL("status", "LPT1.2");
	cr_assert_eq(r.status, 69, "no chain device at address 2: %s", r.err);
	run_free(&r);
	r = CTL("id", "printer");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "printer: not a location"), "%s", r.err);
	run_free(&r);
	r = CTL("frobnicate");
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = CTL("id");
	cr_assert_eq(r.status, 2);
	run_free(&r);
	r = CTL("lock", "LPT1");
	cr_assert_eq(r.status, 2, "lock needs a command");
	run_free(&r);
	r = CTL("send", "LPT1", "--mode", "nibble");
	cr_assert_eq(r.status, 2, "nibble is not a forward mode");
	run_free(&r);
}

Test(parclassctl, parclass_debug_makes_the_library_talk)
{
	struct run r;

	sim = fx_start1(laser_model);
	setenv("PARCLASS_DEBUG", "1", 1);
	r = CTL("status", "LPT1");
	unsetenv("PARCLASS_DEBUG");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "libparclass debug: parport0: allocated\n"), "%s", r.err);
	run_free(&r);
	r = CTL("status", "LPT1");
	cr_assert_str_eq(r.err, "", "silent by default: %s", r.err);
	run_free(&r);
	r = CTL("-v", "-v", "status", "LPT1");
	cr_assert(strstr(r.err, "parclassctl: parport0: allocated\n"), "%s", r.err);
	run_free(&r);
}

/* A chain device another process has open is its alone: "lock LPT1.0" is busy. */
Test(parclassctl, lock_of_a_chain_device_open_elsewhere_is_busy)
{
	const char *argv[] = { "parclassctl", "send", "LPT1.0", NULL };
	struct proc_spec s = { .path = getenv("PARCLASSCTL"), .argv = argv, .keep_stdin = true };
	struct proc sender;
	struct run r;

	sim = fx_start1(chain_model);
	/* "send" has LPT1.0 open (and locked) until its input ends. */
	proc_start(&sender, &s);
	ctl_await_held("LPT1");
	/* Not a wait in the queue behind the holder: busy at once. */
	r = CTL("lock", "LPT1.0", "--", "true");
	cr_assert_eq(r.status, 75, "%d: %s", r.status, r.err);
	cr_assert(strstr(r.err, "in use"), "%s", r.err);
	run_free(&r);
	proc_close_stdin(&sender);
	cr_assert_eq(proc_finish(&sender, EVENTUALLY_MS), 0, "%s", sender.errtext->str);
	proc_free(&sender);
	r = CTL("lock", "LPT1.0", "--", "true");
	cr_assert_eq(r.status, 0, "free once it is closed: %s", r.err);
	run_free(&r);
}

Test(parclassctl, lock_holds_the_port_while_its_command_runs)
{
	struct run r;

	sim = fx_start1(laser_model);
	r = CTL("lock", "LPT1", "--", "sh", "-c", "\"$PARCLASSCTL\" waiters LPT1; \"$PARCLASSCTL\" lock --try LPT1 -- true; "
						  "echo try=$?; exit 3");
	cr_assert_eq(r.status, 3, "the command's status: %s", r.err);
	cr_assert(g_str_has_prefix(r.out, "holder: pid "), "%s", r.out);
	cr_assert(g_str_has_suffix(r.out, "\nwaiters: 0\ntry=75\n"), "%s", r.out);
	run_free(&r);
	r = CTL("waiters", "LPT1");
	cr_assert_str_eq(r.out, "holder: none\nwaiters: 0\n", "freed afterwards");
	run_free(&r);
}

Test(parclassctl, lock_works_with_a_fifo_planted_as_seq)
{
	g_autofree char *dir = NULL, *seq = NULL;
	struct run r;
	struct stat st;

	sim = fx_start1(laser_model);
	/* A member of group lp (or a confused program) made seq a FIFO. */
	dir = g_build_filename(sim->runtime, "parport0", NULL);
	cr_assert_eq(g_mkdir_with_parents(dir, 02775), 0);
	seq = g_build_filename(dir, "seq", NULL);
	cr_assert_eq(mkfifo(seq, 0664), 0);
	r = CTL("lock", "LPT1", "--timeout", eventually_ms_text(), "--", "true");
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	cr_assert_eq(lstat(seq, &st), 0);
	cr_assert(S_ISREG(st.st_mode), "seq was not replaced");
	r = CTL("waiters", "LPT1");
	cr_assert_str_eq(r.out, "holder: none\nwaiters: 0\n");
	run_free(&r);
}

Test(parclassctl, a_busy_port_times_out_with_75)
{
	struct run r;
	int release;
	pid_t pid;

	sim = fx_start1(laser_model);
	pid = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	r = CTL("id", "LPT1", "--fresh", "--timeout", "200");
	cr_assert_eq(r.status, 75, "%s", r.err);
	run_free(&r);
	r = CTL("lock", "--try", "LPT1", "--", "true");
	cr_assert_eq(r.status, 75);
	cr_assert(strstr(r.err, "in use"), "%s", r.err);
	run_free(&r);
	kill(pid, SIGTERM);
	cr_assert_eq(wait_child(pid), 128 + SIGTERM, "SIGTERM went to the command");
	close(release);
}

Test(parclassctl, lock_selects_a_chain_device)
{
	struct run r;

	sim = fx_start1(chain_model);
	r = CTL("lock", "LPT1.0", "--", "true");
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = CTL("lock", "LPT1.0", "--no-select", "--", "true");
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	fx_stop(sim);
	{
		g_autofree char *events = fx_events(sim);

		const char *select = strstr(events, "parport0.0 select\n");

		cr_assert_not_null(select, "%s", events);
		cr_assert_not_null(strstr(select, "parport0 deselect-all\n"), "%s", events);
		cr_assert_null(strstr(select + 1, "parport0.0 select\n"), "--no-select selects nothing: %s", events);
	}
}

Test(parclassctl, send_prints_the_printers_answers_and_the_printer_gets_the_bytes)
{
	static const char job[] = PJL_UEL "@PJL ECHO one\r\n@PJL ECHO two\r\n" PJL_UEL;
	struct run r;

	sim = fx_start1(laser_model);
	r = ctl_input(job, (const char *const[]){ "send", "LPT1", NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "@PJL ECHO one\r\n\f@PJL ECHO two\r\n\f");
	run_free(&r);
	r = ctl_input("plain", (const char *const[]){ "send", "LPT1", "--mode", "compat", "--wait", "0", NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	fx_stop(sim);
	{
		size_t len;
		g_autofree char *data = fx_record_read(sim, "parport0-0001.prn", &len);
		g_autofree char *compat = fx_record_read(sim, "parport0-0002.prn", NULL);

		cr_assert_eq(len, sizeof job - 1);
		cr_assert(memcmp(data, job, len) == 0);
		cr_assert_str_eq(compat, "plain");
		cr_assert(fx_events_contain(sim, "parport0 negotiate ecp accepted\n"), "ECP by default");
	}
}

Test(parclassctl, send_from_a_file)
{
	g_autofree char *file = NULL;
	struct run r;

	sim = fx_start1(laser_model);
	file = g_build_filename(sim->dir, "job.prn", NULL);
	cr_assert(g_file_set_contents(file, "file data\f", -1, NULL));
	r = CTL("send", "LPT1", file, "--wait", "0");
	cr_assert_eq(r.status, 0, "%s", r.err);
	run_free(&r);
	r = CTL("send", "LPT1", "/nonexistent/job");
	cr_assert_eq(r.status, 1);
	run_free(&r);
	fx_stop(sim);
	{
		g_autofree char *data = fx_record_read(sim, "parport0-0001.prn", NULL);

		cr_assert_str_eq(data, "file data\f");
	}
}

Test(parclassctl, send_to_a_printer_that_stops_taking_data_times_out_with_75)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.paper]\nkind=paper-out\nafter-bytes=3\n";
	struct run r;

	sim = fx_start1(model);
	r = ctl_input("123456", (const char *const[]){ "send", "LPT1", "--timeout", "300", NULL });
	cr_assert_eq(r.status, 75, "%s", r.err);
	run_free(&r);
}

/* ---- stop signals ---- */

/*
 * parclassctl @args waits in LPT1's queue behind a holder; @sig ends the
 * wait at once: the request leaves the queue, the process ends by the
 * signal, and the holder keeps the port.
 */
static void stop_while_queued(int sig, const char *const *args)
{
	char buf[256], expect[64];
	int release, status;
	struct proc waiter;
	pid_t holder;

	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	ctl_start(&waiter, NULL, args);
	ctl_await_waiters("LPT1", 1);
	cr_assert_eq(kill(waiter.pid, sig), 0);
	status = proc_finish(&waiter, EVENTUALLY_MS);
	proc_free(&waiter);
	cr_assert_eq(status, 128 + sig, "%s %s: %d", args[0], args[1], status);
	ctl_waiters("LPT1", buf, sizeof buf);
	snprintf(expect, sizeof expect, "holder: pid %d\nwaiters: 0\n", (int)holder);
	cr_assert_str_eq(buf, expect);
	close(release);
	cr_assert_eq(wait_child(holder), 0);
}

/* @sig to "parclassctl lock LPT1 -- touch MARKER" while it queues. */
static void stop_queued_lock(int sig)
{
	g_autofree char *marker = NULL;

	sim = fx_start1(laser_model);
	marker = g_build_filename(sim->dir, "ran", NULL);
	stop_while_queued(sig, (const char *const[]){ "lock", "LPT1", "--", "touch", marker, NULL });
	cr_assert_not(g_file_test(marker, G_FILE_TEST_EXISTS), "the command ran after signal %d", sig);
}

Test(parclassctl, sigterm_to_a_queued_lock_leaves_the_queue_and_never_runs_the_command)
{
	stop_queued_lock(SIGTERM);
}

Test(parclassctl, sigint_to_a_queued_lock_leaves_the_queue_and_never_runs_the_command)
{
	stop_queued_lock(SIGINT);
}

Test(parclassctl, sigterm_ends_a_send_that_waits_for_the_port_and_nothing_is_sent)
{
	g_autofree char *file = NULL;

	sim = fx_start1(laser_model);
	file = g_build_filename(sim->dir, "job.prn", NULL);
	cr_assert(g_file_set_contents(file, "never sent", -1, NULL));
	stop_while_queued(SIGTERM, (const char *const[]){ "send", "LPT1", file, NULL });
	fx_stop(sim);
	cr_assert_null(fx_record_read(sim, "parport0-0001.prn", NULL), "send sent data after SIGTERM");
}

Test(parclassctl, sigint_ends_a_fresh_id_that_waits_for_the_port)
{
	sim = fx_start1(laser_model);
	stop_while_queued(SIGINT, (const char *const[]){ "id", "LPT1", "--fresh", NULL });
}

Test(parclassctl, sigterm_ends_a_status_that_waits_for_the_port)
{
	sim = fx_start1(laser_model);
	stop_while_queued(SIGTERM, (const char *const[]){ "status", "LPT1", NULL });
}

Test(parclassctl, sigint_ends_a_modes_that_waits_for_the_port)
{
	sim = fx_start1(laser_model);
	stop_while_queued(SIGINT, (const char *const[]){ "modes", "LPT1", NULL });
}

/* Whenever the signal comes before the command runs, even before the wait begins, the command never runs. */
Test(parclassctl, a_stop_signal_at_any_moment_before_the_command_means_it_never_runs)
{
	g_autofree char *marker = NULL;
	char buf[256];
	int release;
	pid_t holder;

	sim = fx_start1(laser_model);
	marker = g_build_filename(sim->dir, "ran", NULL);
	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	for (int i = 0; i < 5; i++) {
		struct proc waiter;

		ctl_start(&waiter, NULL, (const char *const[]){ "lock", "LPT1", "--", "touch", marker, NULL });
		cr_assert_eq(kill(waiter.pid, SIGTERM), 0);
		cr_assert_eq(proc_finish(&waiter, EVENTUALLY_MS), 128 + SIGTERM, "%s", waiter.errtext->str);
		proc_free(&waiter);
	}
	ctl_waiters("LPT1", buf, sizeof buf);
	cr_assert(strstr(buf, "\nwaiters: 0\n"), "%s", buf);
	close(release);
	cr_assert_eq(wait_child(holder), 0);
	cr_assert_not(g_file_test(marker, G_FILE_TEST_EXISTS), "the command ran after SIGTERM");
}

Test(parclassctl, a_stop_signal_while_the_command_runs_goes_to_the_command)
{
	int release, status;
	pid_t lock;
	char buf[256];

	sim = fx_start1(laser_model);
	lock = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	cr_assert_eq(kill(lock, SIGTERM), 0);
	/* sh dies by SIGTERM; parclassctl lets go of the port and exits with its status. */
	status = wait_child_within(lock, EVENTUALLY_MS);
	cr_assert_eq(status, 128 + SIGTERM, "%d", status);
	close(release);
	ctl_waiters("LPT1", buf, sizeof buf);
	cr_assert_str_eq(buf, "holder: none\nwaiters: 0\n");
}

/* ---- the status lines, default modes, caps, select ---- */

/* Windows says POWER_OFF of both; the lines beside it tell which. */
Test(parclassctl, status_shows_the_lines_that_tell_no_cable_from_power_off)
{
	const char *models[] = {
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=vanish\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=power-off\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=jam\n",
		NULL
	};
	static const char *const expect[] = {
		"POWER_OFF BUSY SELECTED (nFault=1 Select=1 PError=1 nAck=1 Busy=1)\n",
		"POWER_OFF (nFault=0 Select=0 PError=0 nAck=0 Busy=0)\n",
		"SELECTED ERROR (nFault=0 Select=1 PError=0 nAck=1 Busy=1)\n",
	};
	struct run r;

	sim = fx_start(models);
	for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
		g_autofree char *loc = g_strdup_printf("LPT%zu", i + 1);

		r = CTL("status", loc);
		cr_assert_eq(r.status, 0, "%s: %s", loc, r.err);
		cr_assert_str_eq(r.out, expect[i], "%s", loc);
		run_free(&r);
	}
}

Test(parclassctl, modes_default_and_caps_with_modes_ruled_out)
{
	const char *models[] = { laser_model, laser_model, NULL };
	g_autofree char *events = NULL;
	struct run r;

	sim = fx_start(models);
	r = CTL("modes", "LPT1", "--default");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "read: NIBBLE\nwrite: CENTRONICS\n");
	run_free(&r);
	r = CTL("caps", "LPT1");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "read: NIBBLE BYTE_BIDIR ECP_HW_IRQ ECP_SW\n"
				"write: CENTRONICS IEEE_COMPATIBILITY ECP_HW_IRQ ECP_SW\n");
	run_free(&r);
	r = CTL("caps", "LPT2", "--not-read", "byte,ecp,ECP_SW", "--not-write", "ecp, ecpsw", "--timeout",
		eventually_ms_text());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "read: NIBBLE\nwrite: CENTRONICS IEEE_COMPATIBILITY\n");
	run_free(&r);
	r = CTL("caps", "LPT2", "--not-read", "nibble,byte,ecp,ecpsw,epp,eppsw", "--not-write", "ecp,ecpsw,epp,eppsw");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "read: (none)\nwrite: CENTRONICS\n", "nothing left to negotiate");
	run_free(&r);
	r = CTL("caps", "LPT1", "--not-read", "compat");
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "parclassctl caps: \"compat\" is not a reverse mode\n");
	run_free(&r);
	r = CTL("caps", "LPT1", "--not-write", "nibble");
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "parclassctl caps: \"nibble\" is not a forward mode\n");
	run_free(&r);
	r = CTL("caps", "LPT1", "--not-write", "");
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "parclassctl caps: no mode named\n");
	run_free(&r);
	r = CTL("waiters", "LPT2");
	cr_assert_str_eq(r.out, "holder: none\nwaiters: 0\n", "caps gave the port back");
	run_free(&r);
	fx_stop(sim);
	events = fx_events(sim);
	cr_assert(strstr(events, "parport0 negotiate ecp accepted\n"), "%s", events);
	cr_assert(strstr(events, "parport1 negotiate nibble accepted\n"), "%s", events);
	cr_assert_null(strstr(events, "parport1 negotiate byte"), "a ruled-out mode was negotiated: %s", events);
	cr_assert_null(strstr(events, "parport1 negotiate ecp"), "a ruled-out mode was negotiated: %s", events);
}

Test(parclassctl, select_selects_a_chain_device_runs_the_command_and_deselects)
{
	g_autofree char *events = NULL;
	const char *ecp;
	struct run r;

	sim = fx_start1(chain_model);
	r = CTL("select", "LPT1.0");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "LPT1.0: selected\n");
	run_free(&r);
	r = CTL("select", "parport0.0", "--ecp", "--timeout", eventually_ms_text(), "--", "sh", "-c",
		"\"$PARCLASSCTL\" waiters LPT1 | sed 1d; exit 3");
	cr_assert_eq(r.status, 3, "the command's status: %s", r.err);
	cr_assert_str_eq(r.out, "waiters: 0\n");
	run_free(&r);
	r = CTL("waiters", "LPT1");
	cr_assert_str_eq(r.out, "holder: none\nwaiters: 0\n", "freed afterwards");
	run_free(&r);
	fx_stop(sim);
	events = fx_events(sim);
	cr_assert(strstr(events, "parport0.0 select\nparport0 deselect-all\n"), "%s", events);
	/* The bus goes to the command, and comes back for the deselect. */
	ecp = strstr(events, "parport0.0 select ecp\nparport0 release pid=PID\n");
	cr_assert(ecp, "%s", events);
	cr_assert(strstr(ecp, "parport0 claim pid=PID\nparport0 deselect-all\n"), "%s", events);
}

Test(parclassctl, select_of_no_chain_device_a_missing_one_or_a_busy_port_fails)
{
	struct run r;
	int release;
	pid_t holder;

	sim = fx_start1(chain_model);
	r = CTL("select", "LPT1");
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "parclassctl select: LPT1: not a daisy-chain device (LPT1.0 to LPT1.3)\n");
	run_free(&r);
	r = CTL("select", "LPT1.3", "--", "touch", "/nonexistent/never");
	cr_assert_eq(r.status, 69, "%s", r.err);
	cr_assert_str_eq(r.err, "parclassctl: LPT1.3: no such device on the port, or it does not answer\n");
	run_free(&r);
	r = CTL("select", "LPT1.0", "--try", "--timeout", "5");
	cr_assert_eq(r.status, 2, "--try or --timeout");
	run_free(&r);
	r = CTL("select", "LPT1.0", "--");
	cr_assert_eq(r.status, 2, "-- without a command");
	run_free(&r);
	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	r = CTL("select", "LPT1.0", "--try");
	cr_assert_eq(r.status, 75, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	run_free(&r);
	close(release);
	cr_assert_eq(wait_child(holder), 0);
	r = CTL("waiters", "LPT1");
	cr_assert_str_eq(r.out, "holder: none\nwaiters: 0\n");
	run_free(&r);
}

/* ---- monitor (no parclassd: it polls as the service would) ---- */

static const char paper_model[] =
	"[device]\nid=MFG:HP;MDL:Empty;CMD:PJL;\nmodes=compat,nibble,ecp\npjl=true\n"
	"[fault.paper]\nkind=paper-out\non-signal=true\n";

/* What @p printed, as text. */
static char *proc_output(struct proc *p)
{
	return g_strndup((const char *)p->outdata->data, p->outdata->len);
}

Test(parclassctl, monitor_shows_the_state_then_the_paper_out)
{
	struct proc p;
	g_autofree char *out = NULL;
	int status;

	sim = fx_start1(paper_model);
	ctl_start(&p, NULL, (const char *const[]){ "monitor", "LPT1", "--count", "2", "--interval", "200",
						   "--deadline", eventually_ms_text(), NULL });
	proc_wait_output(&p, "LPT1: SELECTED none (probe)\n", EVENTUALLY_MS);
	fx_kill(sim, SIGUSR2);
	status = proc_finish(&p, EVENTUALLY_MS);
	out = proc_output(&p);
	cr_assert_eq(status, 0, "%s", p.errtext->str);
	cr_assert_str_eq(out, "LPT1: SELECTED none (probe)\n"
			      "LPT1: PAPER_EMPTY SELECTED ERROR media-empty-error (probe)\n");
	proc_free(&p);
}

Test(parclassctl, monitor_ends_on_sigterm_with_status_0)
{
	struct proc p;
	int status;

	sim = fx_start1(paper_model);
	ctl_start(&p, NULL, (const char *const[]){ "monitor", "--json", "--deadline", eventually_ms_text(), NULL });
	proc_wait_output(&p, "{\"location\":\"LPT1\",\"status\":128,\"status_names\":[\"SELECTED\"],\"reasons\":[],"
			     "\"observed_by\":\"probe\",\"display\":null,\"pages\":null,\"holder\":null,\"waiters\":0}\n",
			 EVENTUALLY_MS);
	kill(p.pid, SIGTERM);
	status = proc_finish(&p, EVENTUALLY_MS);
	cr_assert_eq(status, 0, "%s", p.errtext->str);
	proc_free(&p);
}

/* python3's reading of the JSON line @line, written back canonically. */
static char *json_canonical(const char *line)
{
	const char *argv[] = { "python3", "-c",
			       "import json, sys; print(json.dumps(json.loads(sys.stdin.read()), sort_keys=True))", NULL };
	struct proc_spec s = { .path = "/usr/bin/python3", .argv = argv, .input = line, .input_len = strlen(line) };
	struct proc p;
	char *out;

	proc_start(&p, &s);
	cr_assert_eq(proc_finish(&p, EVENTUALLY_MS), 0, "not JSON: %s\n%s", line, p.errtext->str);
	out = proc_output(&p);
	proc_free(&p);
	return out;
}

Test(parclassctl, monitor_shows_the_holders_report_as_json_and_text)
{
	static const char hostile[] = "q\"b\\\n\t\x01\xff";
	parclass_context *c = NULL;
	parclass_device *dev = NULL;
	parclass_report rep = { .status = 0x184, .lines = 0, .pages = 3, .reasons = "media-empty-error",
				.display = "say \"hi\" \\ now" };
	g_autofree char *expect = NULL, *got = NULL, *text = NULL;
	struct run r;
	FILE *comm;

	sim = fx_start1(paper_model);
	cr_assert_eq(fx_context_new(&c), 0);
	cr_assert_eq(parclass_device_open(c, "LPT1", &dev), 0);
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	cr_assert_eq(parclass_device_publish(dev, &rep), 0);
	/* The holder's process name is whatever it chose: quotes, controls, not UTF-8. */
	comm = fopen("/proc/self/comm", "w");
	cr_assert(comm);
	fputs(hostile, comm);
	cr_assert_eq(fclose(comm), 0);

	r = CTL("monitor", "LPT1", "--json", "--count", "1", "--deadline", eventually_ms_text());
	cr_assert_eq(r.status, 0, "%s", r.err);
	got = json_canonical(r.out);
	expect = g_strdup_printf("{\"display\": \"say \\\"hi\\\" \\\\ now\", \"holder\": {\"name\": "
				 "\"q\\\"b\\\\\\n\\t\\u0001\\ufffd\", \"pid\": %d}, \"location\": \"LPT1\", "
				 "\"observed_by\": \"job\", \"pages\": 3, \"reasons\": [\"media-empty-error\"], "
				 "\"status\": 388, \"status_names\": [\"PAPER_EMPTY\", \"SELECTED\", \"ERROR\"], "
				 "\"waiters\": 0}\n", (int)getpid());
	cr_assert_str_eq(got, expect);
	run_free(&r);

	r = CTL("monitor", "LPT1", "--count", "1", "--deadline", eventually_ms_text());
	cr_assert_eq(r.status, 0, "%s", r.err);
	text = g_strdup_printf("LPT1: PAPER_EMPTY SELECTED ERROR media-empty-error (job) display \"say \"hi\" \\ now\" "
			       "pages 3; held by pid %d (q\"b\\???\xef\xbf\xbd)\n", (int)getpid());
	cr_assert_str_eq(r.out, text);
	run_free(&r);
	parclass_device_unlock(dev, 0);
	parclass_device_close(dev);
	parclass_context_unref(c);
}

Test(parclassctl, monitor_of_nothing_there_is_no_device)
{
	const char *models[] = { empty_spp_model, NULL };
	struct run r;

	sim = fx_start(models);
	r = CTL("monitor", "LPT1", "--count", "1", "--deadline", eventually_ms_text());
	cr_assert_eq(r.status, 69, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	run_free(&r);
}

Test(parclassctl, monitor_of_a_port_held_since_the_start_says_unknown_and_who_holds_it)
{
	parclass_context *c = NULL;
	parclass_device *dev = NULL;
	g_autofree char *comm = NULL, *expect = NULL;
	struct run r;

	sim = fx_start1(paper_model);
	cr_assert_eq(fx_context_new(&c), 0);
	cr_assert_eq(parclass_device_open(c, "LPT1", &dev), 0);
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	cr_assert(g_file_get_contents("/proc/self/comm", &comm, NULL, NULL));
	g_strchomp(comm);

	/* Nothing published, and the port is never touched while held. */
	r = CTL("monitor", "LPT1", "--count", "1", "--deadline", eventually_ms_text());
	cr_assert_eq(r.status, 0, "%s", r.err);
	expect = g_strdup_printf("LPT1: unknown; held by pid %d (%s)\n", (int)getpid(), comm);
	cr_assert_str_eq(r.out, expect);
	run_free(&r);
	parclass_device_unlock(dev, 0);
	parclass_device_close(dev);
	parclass_context_unref(c);
}
