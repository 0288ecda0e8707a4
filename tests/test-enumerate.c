/*
 * test-enumerate.c - enumeration of ports and devices, within its deadline
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ppdev.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fixture.h"
#include "models.h"
#include "parclass.h"

static const char laser_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[device]\nid=MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;\nmodes=compat,nibble,byte,ecp\n";
static const char chain_model[] =
	"[port]\nmodes=pcspp,tristate\n"
	"[daisy.0]\nid=MFG:ACME;MDL:Scan;CLS:SCANNER;\nmodes=compat,nibble\n"
	"[daisy.1]\nid=MFG:ACME;MDL:Laser 9;CLS:PRINTER;\nmodes=compat,nibble,byte\n"
	"[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\nmodes=compat,nibble\n";

static struct fx_sim *sim;
static parclass_context *ctx;
static parclass_enumeration *e;

static void teardown(void)
{
	parclass_enumeration_free(e);
	e = NULL;
	parclass_context_unref(ctx);
	ctx = NULL;
	fx_free(sim);
	sim = NULL;
}

TestSuite(enumerate, .fini = teardown);

static void start(const char *const *models)
{
	sim = fx_start(models);
	cr_assert_eq(fx_context_new(&ctx), 0);
}

static const parclass_device_info *device(unsigned port, unsigned i)
{
	const parclass_port_info *p = parclass_enumeration_port(e, port);

	cr_assert_not_null(p);
	cr_assert_lt(i, parclass_port_info_device_count(p), "port %u has %u devices", port,
		     parclass_port_info_device_count(p));
	return parclass_port_info_device(p, i);
}

static const char *id_text(const parclass_device_info *d)
{
	const parclass_device_id *id = parclass_device_info_id(d);

	return id ? parclass_device_id_text(id) : "(none)";
}

Test(enumerate, every_port_and_device_with_ids_and_modes)
{
	const char *models[] = { laser_model, chain_model, empty_bidir_model, centronics_model, NULL };
	const parclass_port_info *p;
	int n = -1, a = 0;

	start(models);
	cr_assert_eq(parclass_enumerate(ctx, EVENTUALLY_MS, &e), 0);
	cr_assert_eq(parclass_enumeration_port_count(e), 4);

	p = parclass_enumeration_port(e, 0);
	cr_assert_str_eq(parclass_port_info_name(p), "parport0");
	cr_assert_str_eq(parclass_port_info_location(p), "LPT1");
	cr_assert_eq(parclass_port_info_get_number(p, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(parclass_port_info_probed(p), 1);
	cr_assert_eq(parclass_port_info_holder(p), 0);
	cr_assert_eq(parclass_port_info_device_count(p), 1);
	cr_assert_str_eq(parclass_device_info_location(device(0, 0)), "LPT1");
	cr_assert_eq(parclass_device_info_get_address(device(0, 0), &a), 0);
	cr_assert_eq(a, PARCLASS_ADDRESS_END);
	cr_assert_str_eq(parclass_device_info_make_and_model(device(0, 0)), "HP LaserJet 4");
	cr_assert_str_eq(id_text(device(0, 0)), "MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;");
	cr_assert_eq(parclass_device_info_modes(device(0, 0)),
		     PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY | PARCLASS_MODE_NIBBLE |
			     PARCLASS_MODE_BYTE_BIDIR | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW);
	cr_assert_eq(parclass_port_info_modes(p), PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY |
							  PARCLASS_MODE_NIBBLE | PARCLASS_MODE_BYTE_BIDIR |
							  PARCLASS_MODE_EPP_SW | PARCLASS_MODE_ECP_SW |
							  PARCLASS_MODE_ECP_HW_IRQ);

	/* the chain: numbered, each device asked, the end device behind it is LPT2.4 */
	p = parclass_enumeration_port(e, 1);
	cr_assert_eq(parclass_port_info_device_count(p), 3);
	cr_assert_str_eq(parclass_device_info_location(device(1, 0)), "LPT2.0");
	cr_assert_str_eq(id_text(device(1, 0)), "MFG:ACME;MDL:Scan;CLS:SCANNER;");
	cr_assert_str_eq(parclass_device_info_location(device(1, 1)), "LPT2.1");
	cr_assert_eq(parclass_device_info_get_address(device(1, 1), &a), 0);
	cr_assert_eq(a, 1);
	cr_assert_str_eq(parclass_device_info_make_and_model(device(1, 1)), "ACME Laser 9");
	cr_assert_eq(parclass_device_info_modes(device(1, 1)),
		     PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY | PARCLASS_MODE_NIBBLE |
			     PARCLASS_MODE_BYTE_BIDIR);
	cr_assert_str_eq(parclass_device_info_location(device(1, 2)), "LPT2.4");
	cr_assert_str_eq(parclass_device_info_make_and_model(device(1, 2)), "Epson LQ-570");

	/* nothing attached: no device */
	cr_assert_eq(parclass_port_info_device_count(parclass_enumeration_port(e, 2)), 0);

	/* a Centronics printer: there, but no ID and no IEEE 1284 */
	cr_assert_eq(parclass_port_info_device_count(parclass_enumeration_port(e, 3)), 1);
	cr_assert_null(parclass_device_info_id(device(3, 0)));
	cr_assert_str_eq(parclass_device_info_make_and_model(device(3, 0)), "Unknown");
	cr_assert_eq(parclass_device_info_modes(device(3, 0)), PARCLASS_MODE_CENTRONICS);

	cr_assert(fx_events_contain(sim, "parport1.0 assign 0\nparport1.1 assign 1\n"));
}

struct holder_arg {
	struct sync_pipe *sp;
	const char *location;
};

/* A process that holds @location (having read its ID) until it is killed. */
static int holder_main_on(void *data)
{
	struct holder_arg *a = data;
	parclass_context *c;
	parclass_device *d;
	char buf[256];
	size_t size;

	if (fx_context_new(&c) || parclass_device_open(c, a->location, &d) ||
	    parclass_device_lock(d, EVENTUALLY_MS, 0) || parclass_device_get_id(d, PARCLASS_ID_FRESH, buf, sizeof buf, &size))
		return 10;
	sync_post(a->sp, 'h');
	pause();
	return 0;
}

static int holder_main(void *data)
{
	return holder_main_on(&(struct holder_arg){ data, "LPT1" });
}

Test(enumerate, a_held_port_is_described_from_what_its_holder_knows_in_time)
{
	/* No kernel cache: only the holder's fresh read can tell. */
	const char *models[] = { "[device]\nid=MFG:ACME;MDL:Held;CLS:PRINTER;\nautoprobe=false\nmodes=compat,nibble\n",
				 NULL };
	struct sync_pipe sp;
	long long t0, took;
	pid_t pid;

	start(models);
	sync_init(&sp);
	pid = fork_child(holder_main, &sp);
	cr_assert_eq(sync_wait(&sp, EVENTUALLY_MS), 'h');
	t0 = now_ms();
	cr_assert_eq(parclass_enumerate(ctx, 500, &e), 0);
	took = now_ms() - t0;
	cr_assert_lt(took, EVENTUALLY_MS, "enumeration hung: %lld ms", took);
	cr_assert_eq(parclass_port_info_probed(parclass_enumeration_port(e, 0)), 0);
	cr_assert_eq(parclass_port_info_holder(parclass_enumeration_port(e, 0)), pid);
	cr_assert_str_eq(id_text(device(0, 0)), "MFG:ACME;MDL:Held;CLS:PRINTER;");
	kill(pid, SIGKILL);
	wait_child(pid);
}

Test(enumerate, a_port_held_outside_parclass_is_described_from_the_kernels_cache)
{
	const char *models[] = { laser_model, chain_model, NULL };
	struct sync_pipe sp;
	long long t0, took;
	pid_t pid;

	start(models);
	sync_init(&sp);
	pid = fork_child(ppclaim_holder_main, &sp);
	cr_assert_eq(sync_wait(&sp, EVENTUALLY_MS), 'c');
	t0 = now_ms();
	cr_assert_eq(parclass_enumerate(ctx, 500, &e), 0);
	took = now_ms() - t0;
	cr_assert_lt(took, EVENTUALLY_MS, "enumeration hung: %lld ms", took);
	cr_assert_eq(parclass_port_info_probed(parclass_enumeration_port(e, 0)), 0);
	cr_assert_str_eq(parclass_device_info_make_and_model(device(0, 0)), "HP LaserJet 4");
	/* libieee1284's probe waits for parport0, so parport1 is described from the cache too */
	cr_assert_str_eq(parclass_device_info_make_and_model(device(1, 1)), "ACME Laser 9");
	kill(pid, SIGKILL);
	wait_child(pid);
}

/* A negative deadline is no limit, as every timeout of the library: every
 * device is probed, and a port a parclass holder has is still not waited for. */
Test(enumerate, a_negative_deadline_probes_everything_and_still_never_waits_for_a_holder)
{
	const char *models[] = { laser_model, "[device]\nid=MFG:ACME;MDL:Held;CLS:PRINTER;\nmodes=compat,nibble\n",
				 NULL };
	struct sync_pipe sp;
	pid_t pid;

	start(models);
	sync_init(&sp);
	/* LPT2 held by another process for as long as the test needs. */
	pid = fork_child(holder_main_on, &(struct holder_arg){ &sp, "LPT2" });
	cr_assert_eq(sync_wait(&sp, EVENTUALLY_MS), 'h');
	cr_assert_eq(parclass_enumerate(ctx, -1, &e), 0);
	cr_assert_eq(parclass_port_info_probed(parclass_enumeration_port(e, 0)), 1);
	cr_assert_str_eq(id_text(device(0, 0)), "MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;");
	cr_assert_eq(parclass_port_info_probed(parclass_enumeration_port(e, 1)), 0);
	cr_assert_eq(parclass_port_info_holder(parclass_enumeration_port(e, 1)), pid);
	kill(pid, SIGKILL);
	wait_child(pid);
}

Test(enumerate, devices_that_never_answer_do_not_hold_it_up)
{
	const char *models[] = {
		"[device]\nid=MFG:ACME;MDL:Slow;\nnegotiation-delay-ms=100\nautoprobe=false\nmodes=compat,nibble\n",
		"[device]\nid=MFG:ACME;MDL:Endless;\nid-endless=true\nmodes=compat,nibble\n",
		NULL
	};
	long long t0, took;

	start(models);
	t0 = now_ms();
	cr_assert_eq(parclass_enumerate(ctx, EVENTUALLY_MS, &e), 0);
	took = now_ms() - t0;
	cr_assert_lt(took, EVENTUALLY_MS, "enumeration hung: %lld ms", took);
	cr_assert_null(parclass_device_info_id(device(0, 0)), "a device that never answers has no ID");
	cr_assert_str_eq(id_text(device(1, 0)), "MFG:ACME;MDL:Endless;");
}

Test(enumerate, what_an_enumeration_learns_serves_the_next_one)
{
	const char *models[] = { "[device]\nid=MFG:ACME;MDL:Known;\nautoprobe=false\nmodes=compat,nibble\n", NULL };
	struct sync_pipe sp;
	pid_t pid;

	start(models);
	cr_assert_eq(parclass_enumerate(ctx, EVENTUALLY_MS, &e), 0);
	parclass_enumeration_free(e);
	e = NULL;
	sync_init(&sp);
	pid = fork_child(ppclaim_holder_main, &sp);
	cr_assert_eq(sync_wait(&sp, EVENTUALLY_MS), 'c');
	cr_assert_eq(parclass_enumerate(ctx, 300, &e), 0);
	cr_assert_eq(parclass_port_info_probed(parclass_enumeration_port(e, 0)), 0);
	cr_assert_str_eq(id_text(device(0, 0)), "MFG:ACME;MDL:Known;");
	kill(pid, SIGKILL);
	wait_child(pid);
}

Test(enumerate, a_port_that_appears_is_listed_from_then_on)
{
	const char *models[] = { laser_model,
				 "[device]\nid=MFG:ACME;MDL:Late;CLS:PRINTER;\nmodes=compat,nibble\n"
				 "[fault.plug]\nkind=port-absent\n",
				 NULL };

	start(models);
	cr_assert_eq(parclass_enumerate(ctx, EVENTUALLY_MS, &e), 0);
	cr_assert_eq(parclass_enumeration_port_count(e), 1);
	cr_assert_str_eq(parclass_port_info_name(parclass_enumeration_port(e, 0)), "parport0");
	parclass_enumeration_free(e);
	e = NULL;
	fx_kill(sim, SIGUSR1);
	fx_await_event(sim, "parport1 fault plug end\n");
	cr_assert_eq(parclass_enumerate(ctx, EVENTUALLY_MS, &e), 0);
	cr_assert_eq(parclass_enumeration_port_count(e), 2);
	cr_assert_str_eq(parclass_port_info_name(parclass_enumeration_port(e, 1)), "parport1");
	/* Fresh from the device or from the kernel's autoprobe cache: its printer either way. */
	cr_assert(strstr(id_text(device(1, 0)), "Late"), "%s", id_text(device(1, 0)));
}

Test(enumerate, no_parallel_port_support_is_enodev)
{
	start(NULL);
	/* Outside the test bed there is no /proc/sys/dev/parport on this machine. */
	unsetenv("UMOCKDEV_DIR");
	if (access("/proc/sys/dev/parport", F_OK) == 0)
		cr_skip_test("this machine has parallel ports");
	cr_assert_eq(parclass_enumerate(ctx, 100, &e), -ENODEV);
}
