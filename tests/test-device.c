/*
 * test-device.c - device handles against parclass-sim: exclusive open,
 * modes, negotiation, device IDs, reads, writes, status, reset
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/pjl.h"
#include "fixture.h"
#include "models.h"
#include "parclass.h"

static const char chain_model[] =
	"[daisy.0]\nid=MFG:ACME;MDL:Scan;CLS:SCANNER;\nmodes=compat,nibble\n"
	"[daisy.1]\nid=MFG:ACME;MDL:Laser 9;CLS:PRINTER;\nmodes=compat,nibble,ecp\npjl=true\n"
	"[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\nmodes=compat,nibble\n";

static struct fx_sim *sim;
static parclass_context *ctx;

static void teardown(void)
{
	parclass_context_unref(ctx);
	ctx = NULL;
	fx_free(sim);
	sim = NULL;
}

TestSuite(device, .fini = teardown);

static void start(const char *model)
{
	sim = fx_start1(model);
	cr_assert_eq(fx_context_new(&ctx), 0);
}

static void start_many(const char *const *models)
{
	sim = fx_start(models);
	cr_assert_eq(fx_context_new(&ctx), 0);
}

static parclass_device *open_dev(const char *location)
{
	parclass_device *dev = NULL;
	int r = parclass_device_open(ctx, location, &dev);

	cr_assert_eq(r, 0, "open %s: %s", location, parclass_strerror(r));
	return dev;
}

static parclass_device *open_locked(const char *location)
{
	parclass_device *dev = open_dev(location);
	int r = parclass_device_lock(dev, 2000, 0);

	cr_assert_eq(r, 0, "lock %s: %s", location, parclass_strerror(r));
	return dev;
}

/* ---- exclusive open ---- */

static int try_open_main(void *data)
{
	parclass_context *c;
	parclass_device *d = NULL;
	int r;

	if (fx_context_new(&c))
		return 10;
	r = parclass_device_open(c, data, &d);
	parclass_device_close(d);
	parclass_context_unref(c);
	return r == 0 ? 0 : r == -EBUSY ? 16 : 1;
}

static int open_and_pause_main(void *data)
{
	struct sync_pipe *sp = data;
	parclass_context *c;
	parclass_device *d;

	if (fx_context_new(&c) || parclass_device_open(c, "LPT1", &d))
		return 10;
	sync_post(sp, 'o');
	pause();
	return 0;
}

Test(device, open_is_exclusive_across_processes_until_closed)
{
	parclass_device *dev, *other = NULL;

	start(chain_model);
	dev = open_dev("LPT1");
	cr_assert_eq(parclass_device_open(ctx, "parport0", &other), -EBUSY, "the same device, another name");
	cr_assert_null(other);
	cr_assert_eq(wait_child(fork_child(try_open_main, (char[]){ "LPT1" })), 16, "another process got it");
	cr_assert_eq(wait_child(fork_child(try_open_main, (char[]){ "LPT1.1" })), 0, "a chain device is another device");
	parclass_device_close(dev);
	cr_assert_eq(wait_child(fork_child(try_open_main, (char[]){ "LPT1" })), 0, "closed: free to open");
}

/* Opened from parsed numbers: the names come from the numbers and the flag, not from any text. */
Test(device, open_at_names_the_device_from_port_address_and_flags)
{
	parclass_device *dev = NULL, *other = NULL;
	int address = 0;

	start(chain_model);
	cr_assert_eq(parclass_device_open_at(ctx, 0, PARCLASS_ADDRESS_END, PARCLASS_LOCATION_BEHIND_CHAIN, &dev), 0);
	cr_assert_str_eq(parclass_device_get_location(dev), "LPT1.4");
	cr_assert_str_eq(parclass_device_get_name(dev), "parport0.4");
	cr_assert_eq(parclass_device_get_address(dev, &address), 0);
	cr_assert_eq(address, PARCLASS_ADDRESS_END);
	cr_assert_eq(parclass_device_open(ctx, "LPT1", &other), -EBUSY, "LPT1.4 is LPT1, named behind the chain");
	parclass_device_close(dev);

	cr_assert_eq(parclass_device_open_at(ctx, 0, 2, 0, &dev), 0);
	cr_assert_str_eq(parclass_device_get_location(dev), "LPT1.2");
	cr_assert_str_eq(parclass_device_get_name(dev), "parport0.2");
	parclass_device_close(dev);

	dev = open_dev("parclass:/dev/parport0?daisy=4");
	cr_assert_str_eq(parclass_device_get_location(dev), "LPT1.4");
	parclass_device_close(dev);
	dev = open_dev("parport0");
	cr_assert_str_eq(parclass_device_get_location(dev), "LPT1");
	cr_assert_str_eq(parclass_device_get_name(dev), "parport0");
	parclass_device_close(dev);
}

Test(device, open_at_rejects_numbers_out_of_range)
{
	parclass_device *dev = NULL;

	start(chain_model);
	cr_assert_eq(parclass_device_open_at(ctx, -1, PARCLASS_ADDRESS_END, 0, &dev), -EINVAL);
	cr_assert_eq(parclass_device_open_at(ctx, PARCLASS_PORT_MAX + 1, PARCLASS_ADDRESS_END, 0, &dev), -EINVAL);
	cr_assert_eq(parclass_device_open_at(ctx, 0, 4, 0, &dev), -EINVAL, "4 is a spelling, not an address");
	cr_assert_eq(parclass_device_open_at(ctx, 0, 1, PARCLASS_LOCATION_BEHIND_CHAIN, &dev), -EINVAL);
	cr_assert_eq(parclass_device_open_at(ctx, 0, PARCLASS_ADDRESS_END, (enum parclass_location_flags)1, &dev),
		     -EINVAL);
	cr_assert_eq(parclass_device_open_at(ctx, 3, PARCLASS_ADDRESS_END, 0, &dev), -ENODEV);
	cr_assert_null(dev);
}

Test(device, a_dead_openers_device_can_be_opened)
{
	struct sync_pipe sp;
	parclass_device *dev;
	pid_t pid;

	start(laserjet_model);
	sync_init(&sp);
	pid = fork_child(open_and_pause_main, &sp);
	cr_assert_eq(sync_wait(&sp, EVENTUALLY_MS), 'o');
	cr_assert_eq(parclass_device_open(ctx, "LPT1", &dev), -EBUSY);
	kill(pid, SIGKILL);
	wait_child(pid);
	dev = open_dev("LPT1");
	parclass_device_close(dev);
}

Test(device, names_and_locations)
{
	parclass_device *a, *b;
	int address = -2;

	start(chain_model);
	a = open_dev("parclass:/dev/parport0?daisy=1");
	b = open_dev("LPT1.4");
	cr_assert_str_eq(parclass_device_get_location(a), "LPT1.1");
	cr_assert_str_eq(parclass_device_get_name(a), "parport0.1");
	cr_assert_eq(parclass_device_get_address(a, &address), 0);
	cr_assert_eq(address, 1);
	cr_assert_str_eq(parclass_device_get_location(b), "LPT1.4");
	cr_assert_eq(parclass_device_get_address(b, &address), 0);
	cr_assert_eq(address, PARCLASS_ADDRESS_END);
	cr_assert_eq(parclass_device_get_address(NULL, &address), -EINVAL);
	cr_assert_eq(address, PARCLASS_ADDRESS_END, "untouched on failure");
	cr_assert_not_null(parclass_device_get_port(a));
	parclass_device_close(a);
	parclass_device_close(b);
}

/* ---- modes ---- */

Test(device, modes_need_the_lock_and_are_probed_once)
{
	parclass_device *dev;
	unsigned modes = 0;
	g_autofree char *before = NULL, *after = NULL;

	start(laserjet_model);
	dev = open_dev("LPT1");
	cr_assert_eq(parclass_device_get_modes(dev, &modes), -ENOLCK);
	cr_assert_eq(parclass_device_lock(dev, 2000, 0), 0);
	cr_assert_eq(parclass_device_get_modes(dev, &modes), 0);
	cr_assert_eq(modes, PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY | PARCLASS_MODE_NIBBLE |
				    PARCLASS_MODE_BYTE_BIDIR | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW,
		     "modes %#x", modes);
	before = fx_record_read(sim, "events.log", NULL);
	cr_assert_eq(parclass_device_get_modes(dev, &modes), 0);
	after = fx_record_read(sim, "events.log", NULL);
	cr_assert_str_eq(before, after, "probed again");
	parclass_device_close(dev);
}

Test(device, modes_follow_the_port_and_the_device)
{
	const char *models[] = {
		centronics_model,
		"[port]\nmodes=pcspp\n[device]\nid=MFG:A;\nmodes=compat,nibble,byte,ecp\n",
		"[port]\nmodes=pcspp,tristate,epp\n[device]\nid=MFG:A;\nmodes=compat,nibble,epp\n",
		NULL
	};
	const unsigned expect[] = {
		PARCLASS_MODE_CENTRONICS,
		PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY | PARCLASS_MODE_NIBBLE,
		PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY | PARCLASS_MODE_NIBBLE |
			PARCLASS_MODE_EPP_HW | PARCLASS_MODE_EPP_SW,
	};

	start_many(models);
	for (int i = 0; i < 3; i++) {
		g_autofree char *loc = g_strdup_printf("LPT%d", i + 1);
		parclass_device *dev = open_locked(loc);
		unsigned modes = 0;

		cr_assert_eq(parclass_device_get_modes(dev, &modes), 0);
		cr_assert_eq(modes, expect[i], "%s: %#x, expected %#x", loc, modes, expect[i]);
		parclass_device_close(dev);
	}
}

Test(device, negotiate_picks_the_fastest_common_modes)
{
	parclass_device *dev;
	unsigned w = 0, r = 0;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, PARCLASS_MODES_PRINTER_READ, &w, &r), 0);
	cr_assert_eq(w, PARCLASS_MODE_ECP_HW_IRQ);
	cr_assert_eq(r, PARCLASS_MODE_ECP_HW_IRQ);
	cr_assert_eq(parclass_device_negotiate(dev, 0, PARCLASS_MODE_NIBBLE | PARCLASS_MODE_BYTE_BIDIR, &w, &r), 0);
	cr_assert_eq(w, PARCLASS_MODE_ECP_HW_IRQ, "a zero mask keeps the mode");
	cr_assert_eq(r, PARCLASS_MODE_BYTE_BIDIR);
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODE_ECP_SW | PARCLASS_MODE_CENTRONICS, 0, &w, NULL), 0);
	cr_assert_eq(w, PARCLASS_MODE_ECP_SW, "software ECP when asked for");
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODE_EPP_HW, 0, &w, &r), -ENOTSUP);
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODE_IEEE_COMPATIBILITY, PARCLASS_MODE_NIBBLE, &w, &r), 0);
	cr_assert_eq(w, PARCLASS_MODE_IEEE_COMPATIBILITY);
	cr_assert_eq(r, PARCLASS_MODE_NIBBLE);
	parclass_device_close(dev);
}

/* ---- writes ---- */

Test(device, compat_writes_arrive_exactly)
{
	enum { N = 200000 };
	static unsigned char data[N];
	parclass_device *dev;
	size_t written = 0;

	fill_pattern(data, N, 3);
	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_write(dev, data, N, EVENTUALLY_MS, &written), 0);
	cr_assert_eq(written, N);
	parclass_device_close(dev);
	fx_assert_record(sim, "parport0-0001.prn", data, N);
}

Test(device, ecp_writes_arrive_exactly_with_their_channel)
{
	enum { N = 100000 };
	static unsigned char data[N];
	parclass_device *dev;
	size_t written = 0;
	unsigned mode = 0;

	fill_pattern(data, N, 4);
	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, 0, NULL, NULL), 0);
	cr_assert_eq(parclass_device_set_write_channel(dev, 2), 0);
	cr_assert_eq(parclass_device_set_write_channel(dev, 128), -EINVAL);
	cr_assert_eq(parclass_device_write(dev, data, N, EVENTUALLY_MS, &written), 0);
	cr_assert_eq(written, N);
	cr_assert_eq(parclass_device_get_current_mode(dev, &mode), 0);
	cr_assert_eq(mode, PARCLASS_MODE_ECP_HW_IRQ);
	parclass_device_close(dev);
	fx_assert_record(sim, "parport0-0001.prn", data, N);
	cr_assert(fx_events_contain(sim, "parport0 negotiate ecp accepted\nparport0 ecp channel 2\n"));
	cr_assert(fx_events_contain(sim, "parport0 terminate\nparport0 job parport0-0001.prn 100000 bytes\n"
					  "parport0 release"), "unlock returns the link to compatibility mode");
}

/* SET_READ_ADDRESS: the read channel goes to the device before the bus turns. */
Test(device, an_ecp_read_address_is_sent_before_the_turn_and_the_write_channel_after)
{
	parclass_device *dev;
	unsigned w = 0, r = 0, fwd = 0, rev = 0;
	char buf[64];
	size_t n = 0;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_get_default_modes(dev, &fwd, &rev), 0);
	cr_assert_eq(fwd, PARCLASS_MODE_CENTRONICS);
	cr_assert_eq(rev, PARCLASS_MODE_NIBBLE);
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, PARCLASS_MODES_PRINTER_READ, &w, &r), 0);
	cr_assert(r & (PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_HW_IRQ), "not ECP reverse: %#x", r);
	cr_assert_eq(parclass_device_set_read_channel(dev, 128), -EINVAL);
	cr_assert_eq(parclass_device_set_read_channel(dev, 3), 0);
	cr_assert_eq(parclass_device_set_write_channel(dev, 2), 0);
	cr_assert_eq(parclass_device_read(dev, buf, sizeof buf, 0, &n), 0);
	cr_assert_eq(parclass_device_write(dev, "x", 1, EVENTUALLY_MS, &n), 0);
	parclass_device_close(dev);
	fx_stop(sim);
	cr_assert(fx_events_contain(sim, "parport0 ecp channel 3\nparport0 direction reverse\nparport0 direction forward\n"
					  "parport0 ecp channel 2\n"));
}

Test(device, a_paper_out_write_times_out_with_an_exact_count_and_loses_nothing)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble,ecp\n"
				    "[fault.paper]\nkind=paper-out\nafter-bytes=5000\n";
	enum { N = 20000 };
	static unsigned char data[N];
	parclass_device *dev;
	size_t written = 0, more = 0;
	unsigned status = 0;

	fill_pattern(data, N, 5);
	start(model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_write(dev, data, N, 300, &written), -ETIMEDOUT);
	cr_assert_eq(written, 5000);
	cr_assert_eq(parclass_device_get_status(dev, &status), 0);
	cr_assert(status & PARCLASS_STATUS_PAPER_EMPTY, "status %#x", status);
	fx_kill(sim, SIGUSR1);   /* paper is back */
	cr_assert_eq(parclass_device_write(dev, data + written, N - written, EVENTUALLY_MS, &more), 0);
	cr_assert_eq(more, N - 5000);
	parclass_device_close(dev);
	fx_assert_record(sim, "parport0-0001.prn", data, N);
}

Test(device, an_offline_printer_in_ecp_mode_holds_the_data_until_it_is_back)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble,ecp\n"
				    "[fault.off]\nkind=offline\nafter-bytes=100\n";
	static unsigned char data[1000];
	parclass_device *dev;
	size_t written = 0;
	pthread_t t;

	fill_pattern(data, sizeof data, 6);
	start(model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, 0, NULL, NULL), 0);
	t = fx_end_faults_on(sim, "parport0 fault off begin offline\n");
	cr_assert_eq(parclass_device_write(dev, data, sizeof data, -1, &written), 0);
	pthread_join(t, NULL);
	cr_assert_eq(written, sizeof data);
	parclass_device_close(dev);
	fx_assert_record(sim, "parport0-0001.prn", data, sizeof data);
}

/* Cancel the write once the printer has stalled it. */
static void *cancel_when_stalled(void *data)
{
	fx_await_event(sim, "parport0 fault busy begin busy\n");
	parclass_device_cancel(data);
	return NULL;
}

Test(device, a_stalled_write_can_be_cancelled)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.busy]\nkind=busy\nafter-bytes=10\n";
	static unsigned char data[100];
	parclass_device *dev;
	size_t written = 0;
	pthread_t t;

	start(model);
	dev = open_locked("LPT1");
	pthread_create(&t, NULL, cancel_when_stalled, dev);
	cr_assert_eq(parclass_device_write(dev, data, sizeof data, -1, &written), -ECANCELED);
	pthread_join(t, NULL);
	cr_assert_eq(written, 10);
	parclass_device_close(dev);
}

/* A signal handler's cancel can come just before a transfer begins: it must not be lost. */
Test(device, a_cancel_that_comes_before_a_transfer_ends_it_at_once)
{
	static unsigned char data[100];
	parclass_device *dev;
	size_t n = 99;
	char buf[16];

	fill_pattern(data, sizeof data, 7);
	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_cancel(dev), 0);
	cr_assert_eq(parclass_device_write(dev, data, sizeof data, -1, &n), -ECANCELED);
	cr_assert_eq(n, 0, "nothing went");
	cr_assert_eq(parclass_device_cancel(dev), 0);
	cr_assert_eq(parclass_device_read(dev, buf, sizeof buf, -1, &n), -ECANCELED);
	cr_assert_eq(n, 0);
	/* Each transfer took its cancel: the next one goes. */
	cr_assert_eq(parclass_device_write(dev, data, sizeof data, -1, &n), 0);
	cr_assert_eq(n, sizeof data);
	parclass_device_close(dev);
	fx_assert_record(sim, "parport0-0001.prn", data, sizeof data);
}

Test(device, control_needs_the_lock)
{
	parclass_device *dev;
	size_t n = 7;
	unsigned st;

	start(laserjet_model);
	dev = open_dev("LPT1");
	cr_assert_eq(parclass_device_get_status(dev, &st), -ENOLCK);
	cr_assert_eq(parclass_device_reset(dev), -ENOLCK);
	cr_assert_eq(parclass_device_set_write_channel(dev, 1), -ENOLCK);
	cr_assert_eq(parclass_device_terminate(dev), -ENOLCK);
	cr_assert_eq(parclass_device_unlock(dev, 0), -ENOLCK);
	cr_assert_eq(parclass_device_get_id(dev, PARCLASS_ID_FRESH, NULL, 0, &n), -ENOLCK);
	parclass_device_close(dev);
}

/* "Reading and Writing a Parallel Device": a client need not lock the port. */
Test(device, a_write_and_a_read_without_the_lock_take_the_port_and_give_it_back)
{
	static const char data[] = "written without a lock\f";
	parclass_device *dev;
	char buf[16];
	size_t n = 7;

	start(laserjet_model);
	dev = open_dev("LPT1");
	cr_assert_eq(parclass_device_write(dev, data, sizeof data - 1, EVENTUALLY_MS, &n), 0);
	cr_assert_eq(n, sizeof data - 1);
	cr_assert_not(parclass_port_is_held(parclass_device_get_port(dev)), "the write kept the port");
	n = 7;
	cr_assert_eq(parclass_device_read(dev, buf, sizeof buf, 0, &n), 0);
	cr_assert_eq(n, 0, "the printer had nothing to say");
	cr_assert_not(parclass_port_is_held(parclass_device_get_port(dev)), "the read kept the port");
	/* A handle that holds the port keeps it across transfers. */
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	cr_assert_eq(parclass_device_write(dev, "x", 1, EVENTUALLY_MS, &n), 0);
	cr_assert(parclass_port_is_held(parclass_device_get_port(dev)));
	cr_assert_eq(parclass_device_unlock(dev, 0), 0);
	parclass_device_close(dev);
	fx_stop(sim);
	cr_assert(fx_events_contain(sim, "parport0 claim"), "no kernel claim");
	fx_assert_record(sim, "parport0-0001.prn", data, sizeof data - 1);
}

struct unlocked_write {
	parclass_device *dev;
	const char *data;
	size_t len, written;
	int timeout_ms, result;
};

static void *write_unlocked(void *arg)
{
	struct unlocked_write *w = arg;

	w->result = parclass_device_write(w->dev, w->data, w->len, w->timeout_ms, &w->written);
	return NULL;
}

Test(device, a_write_without_the_lock_waits_behind_another_processs_hold)
{
	static const char data[] = "after the holder\f";
	struct unlocked_write w = { .data = data, .len = sizeof data - 1, .timeout_ms = -1, .result = 1 };
	pthread_t t;
	pid_t holder;
	int release;
	size_t n = 7;

	start(laserjet_model);
	w.dev = open_dev("LPT1");
	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	/* Try once: the port is not free, nothing is sent. */
	cr_assert_eq(parclass_device_write(w.dev, "never", 5, 0, &n), -ETIMEDOUT);
	cr_assert_eq(n, 0);
	cr_assert_eq(pthread_create(&t, NULL, write_unlocked, &w), 0);
	ctl_await_waiters("LPT1", 1);
	close(release);
	cr_assert_eq(wait_child(holder), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
	cr_assert_eq(w.result, 0, "%s", parclass_strerror(w.result));
	cr_assert_eq(w.written, sizeof data - 1);
	cr_assert_not(parclass_port_is_held(parclass_device_get_port(w.dev)));
	parclass_device_close(w.dev);
	fx_stop(sim);
	fx_assert_record(sim, "parport0-0001.prn", data, sizeof data - 1);
}

/* ---- reads ---- */

static size_t read_all(parclass_device *dev, char *buf, size_t len, size_t want)
{
	size_t got = 0, n;

	while (got < want) {
		cr_assert_eq(parclass_device_read(dev, buf + got, len - got, EVENTUALLY_MS, &n), 0);
		if (!n)
			break;
		got += n;
	}
	return got;
}

Test(device, reads_bring_the_printers_answers_in_every_reverse_mode)
{
	static const char ask[] = PJL_UEL "@PJL ECHO hello\r\n";
	static const char answer[] = "@PJL ECHO hello\r\n\f";
	static const unsigned read_modes[] = { PARCLASS_MODE_ECP_HW_IRQ, PARCLASS_MODE_BYTE_BIDIR,
					       PARCLASS_MODE_NIBBLE };
	parclass_device *dev;
	char buf[256];

	start(laserjet_model);
	dev = open_locked("LPT1");
	for (size_t i = 0; i < 3; i++) {
		size_t n = 9;

		cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, read_modes[i], NULL, NULL), 0);
		cr_assert_eq(parclass_device_write(dev, ask, sizeof ask - 1, EVENTUALLY_MS, NULL), 0);
		cr_assert_eq(read_all(dev, buf, sizeof buf, sizeof answer - 1), sizeof answer - 1, "mode %#x",
			     read_modes[i]);
		cr_assert(memcmp(buf, answer, sizeof answer - 1) == 0);
		cr_assert_eq(parclass_device_read(dev, buf, sizeof buf, 50, &n), 0);
		cr_assert_eq(n, 0, "nothing more");
	}
	parclass_device_close(dev);
}

Test(device, pending_reverse_data_is_seen_without_turning_the_link)
{
	static const char ask[] = PJL_UEL "@PJL ECHO hi\r\n";
	parclass_device *dev;
	unsigned mode = 0;
	char buf[64];
	size_t n = 0;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_reverse_pending(dev), -ENOTSUP, "compatibility mode has no signal");
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, PARCLASS_MODES_PRINTER_READ, NULL,
					       NULL), 0);
	cr_assert_eq(parclass_device_write(dev, "x", 1, EVENTUALLY_MS, NULL), 0);
	cr_assert_eq(parclass_device_reverse_pending(dev), 0, "nothing asked yet");
	cr_assert_eq(parclass_device_write(dev, ask, sizeof ask - 1, EVENTUALLY_MS, NULL), 0);
	cr_assert_eq(parclass_device_reverse_pending(dev), 1, "the echo waits");
	cr_assert_eq(parclass_device_get_current_mode(dev, &mode), 0);
	cr_assert_eq(mode, PARCLASS_MODE_ECP_HW_IRQ, "the link stayed forward in ECP mode");
	cr_assert_eq(read_all(dev, buf, sizeof buf, 15), 15);
	cr_assert_eq(parclass_device_reverse_pending(dev), 0, "all read");
	cr_assert_eq(parclass_device_read(dev, buf, sizeof buf, 0, &n), 0);
	cr_assert_eq(n, 0);
	parclass_device_close(dev);
}

Test(device, a_read_waits_no_longer_than_its_timeout)
{
	parclass_device *dev;
	char buf[16];
	size_t n = 5;
	long long t0;

	start(laserjet_model);
	dev = open_locked("LPT1");
	t0 = now_ms();
	cr_assert_eq(parclass_device_read(dev, buf, sizeof buf, 200, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert_geq(now_ms() - t0, 190);
	cr_assert_eq(parclass_device_read(dev, buf, sizeof buf, 0, &n), 0, "0: only what is there");
	cr_assert_eq(n, 0);
	parclass_device_close(dev);
}

Test(device, an_ecp_link_turns_around_and_back)
{
	static const char ask[] = PJL_UEL "@PJL ECHO turn\r\n";
	parclass_device *dev;
	unsigned mode = 0;
	char buf[64];
	size_t n = 0;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_fwd_to_rev(dev), -ENOTSUP, "not in ECP mode");
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, PARCLASS_MODES_PRINTER_READ, NULL,
					       NULL), 0);
	cr_assert_eq(parclass_device_get_current_mode(dev, &mode), 0);
	cr_assert_eq(mode, PARCLASS_MODE_CENTRONICS, "negotiation chooses; the link changes when used");
	cr_assert_eq(parclass_device_write(dev, ask, sizeof ask - 1, EVENTUALLY_MS, NULL), 0);
	cr_assert_eq(parclass_device_get_current_mode(dev, &mode), 0);
	cr_assert_eq(mode, PARCLASS_MODE_ECP_HW_IRQ);
	cr_assert_eq(parclass_device_fwd_to_rev(dev), 0);
	cr_assert_eq(parclass_device_read(dev, buf, sizeof buf, EVENTUALLY_MS, &n), 0);
	cr_assert_eq(n, strlen("@PJL ECHO turn\r\n\f"));
	cr_assert_eq(parclass_device_rev_to_fwd(dev), 0);
	cr_assert_eq(parclass_device_terminate(dev), 0);
	cr_assert_eq(parclass_device_get_current_mode(dev, &mode), 0);
	cr_assert_eq(mode, PARCLASS_MODE_CENTRONICS);
	parclass_device_close(dev);
	cr_assert(fx_events_contain(sim, "parport0 direction reverse\nparport0 direction forward\nparport0 terminate\n"));
}

/* ---- device IDs ---- */

Test(device, cached_ids_need_no_lock_and_fresh_ones_do)
{
	static const char cached[] = "CLASS:PRINTER;MODEL:HP LaserJet 4;MANUFACTURER:Hewlett-Packard;COMMAND SET:PCL,PJL;";
	static const char fresh[] = "MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;";
	parclass_device *dev;
	char buf[256];
	size_t size = 0;

	start(laserjet_model);
	dev = open_dev("LPT1");
	cr_assert_eq(parclass_device_get_id(dev, 0, NULL, 0, &size), 0);
	cr_assert_eq(size, strlen(cached));
	cr_assert_eq(parclass_device_get_id(dev, 0, buf, sizeof buf, &size), 0);
	cr_assert_str_eq(buf, cached, "the kernel's cache");
	cr_assert_eq(parclass_device_get_id(dev, 0, buf, size, &size), -ENOSPC, "no room for the NUL");
	cr_assert_eq(parclass_device_get_id(dev, PARCLASS_ID_FRESH, buf, sizeof buf, &size), -ENOLCK);

	cr_assert_eq(parclass_device_lock(dev, 2000, 0), 0);
	cr_assert_eq(parclass_device_get_id(dev, PARCLASS_ID_FRESH, buf, sizeof buf, &size), 0);
	cr_assert_str_eq(buf, fresh);
	cr_assert_eq(parclass_device_get_id(dev, PARCLASS_ID_FRESH | PARCLASS_ID_RAW, buf, sizeof buf, &size), 0);
	cr_assert_eq(size, strlen(fresh) + 2);
	cr_assert_eq((unsigned char)buf[0], 0);
	cr_assert_eq((unsigned char)buf[1], strlen(fresh) + 2);
	cr_assert(memcmp(buf + 2, fresh, strlen(fresh)) == 0);
	cr_assert_eq(parclass_device_get_id(dev, 0, buf, sizeof buf, &size), 0);
	cr_assert_str_eq(buf, fresh, "now the cache has what the device said");
	parclass_device_close(dev);
}

Test(device, the_parsed_id_and_make_and_model)
{
	parclass_device *dev;
	parclass_device_id *id = NULL;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_get_id_parsed(dev, PARCLASS_ID_FRESH, &id), 0);
	cr_assert_str_eq(parclass_device_id_make_and_model(id), "HP LaserJet 4");
	cr_assert_str_eq(parclass_device_id_get(id, "COMMAND SET"), "PCL,PJL");
	parclass_device_id_free(id);
	parclass_device_close(dev);
}

static int fresh_id(parclass_device *dev, char *buf, size_t len)
{
	size_t size;

	return parclass_device_get_id(dev, PARCLASS_ID_FRESH, buf, len, &size);
}

Test(device, broken_ids_are_read_robustly_or_refused)
{
	const char *models[] = {
		"[device]\nid=MFG:A;MDL:B;\nid-length=little-endian\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A;MDL:B;\nid-length=exclusive\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A;MDL:B;\nid-endless=true\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A;MDL:B\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A\\x01;MDL:B;\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A;MDL:B;\nid-length=zero\nmodes=compat,nibble\n",
		"[device]\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A;MDL:B;\nid-length=0x1010\nmodes=compat,nibble\n",
		NULL
	};
	static const int expect[] = { 0, 0, 0, 0, -EPROTO, -EPROTO, -ENOENT, -EPROTO };
	char buf[256];

	start_many(models);
	for (int i = 0; i < 8; i++) {
		g_autofree char *loc = g_strdup_printf("LPT%d", i + 1);
		parclass_device *dev = open_locked(loc);
		long long t0 = now_ms();
		int r = fresh_id(dev, buf, sizeof buf);

		cr_assert_eq(r, expect[i], "%s: %s", loc, parclass_strerror(r));
		if (r == 0)
			cr_assert(g_str_has_prefix(buf, "MFG:A;MDL:B"), "%s: %s", loc, buf);
		cr_assert_lt(now_ms() - t0, EVENTUALLY_MS, "%s hung", loc);
		parclass_device_close(dev);
	}
}

Test(device, the_longest_believable_length_and_endless_data_stay_within_the_buffer)
{
	/* 0x1001 is the longest length the reader believes; then the device never stops. */
	static const char model[] = "[device]\nid=MFG:A;MDL:B;\nid-length=0x1001\nid-endless=true\n"
				    "modes=compat,nibble\n";
	parclass_device *dev;
	parclass_device_id *id = NULL;
	char buf[0x1100];
	size_t size = 0;

	start(model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_get_id(dev, PARCLASS_ID_FRESH | PARCLASS_ID_RAW, buf, sizeof buf, &size), 0);
	/* The text is cut at the longest ID there can be: 0xfff bytes. */
	cr_assert_eq(size, 2 + 0xfff);
	cr_assert(memcmp(buf, "\x10\x01MFG:A;MDL:B;\xff\xff", 16) == 0);
	cr_assert_eq((unsigned char)buf[size - 1], 0xff);
	cr_assert_eq(parclass_device_get_id_parsed(dev, 0, &id), 0, "what was kept is read back");
	cr_assert_str_eq(parclass_device_id_text(id), "MFG:A;MDL:B;");
	parclass_device_id_free(id);
	parclass_device_close(dev);
}

Test(device, chain_devices_answer_with_their_own_ids)
{
	parclass_device *scan, *laser, *end;
	char buf[128];

	start(chain_model);
	scan = open_dev("LPT1.0");
	laser = open_dev("LPT1.1");
	end = open_dev("LPT1.4");
	cr_assert_eq(parclass_device_lock(laser, 2000, 0), 0);
	cr_assert_eq(fresh_id(laser, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "MFG:ACME;MDL:Laser 9;CLS:PRINTER;");
	cr_assert_eq(parclass_device_unlock(laser, 0), 0);
	cr_assert_eq(parclass_device_lock(end, 2000, 0), 0);
	cr_assert_eq(fresh_id(end, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "MFG:Epson;MDL:LQ-570;CLS:PRINTER;");
	cr_assert_eq(parclass_device_unlock(end, 0), 0);
	cr_assert_eq(parclass_device_lock(scan, 2000, 0), 0);
	cr_assert_eq(fresh_id(scan, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "MFG:ACME;MDL:Scan;CLS:SCANNER;");
	parclass_device_close(scan);
	parclass_device_close(laser);
	parclass_device_close(end);
}

/* ---- status, reset, interrupts ---- */

Test(device, status_bits_follow_the_printer)
{
	const char *models[] = {
		"[device]\nid=MFG:A;\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=offline\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=paper-out\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=power-off\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=vanish\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=jam\n",
		NULL
	};
	/* The lines each state drives (with nStrobe, nAutoFd and nInit high,
	 * nSelectIn low, as a port in compatibility mode rests), and the
	 * Windows bits: a printer in error is not BUSY, no cable is POWER_OFF. */
	enum { F = PARCLASS_LINE_NFAULT, S = PARCLASS_LINE_SELECT, P = PARCLASS_LINE_PERROR,
	       A = PARCLASS_LINE_NACK, B = PARCLASS_LINE_BUSY,
	       CTL = PARCLASS_LINE_NSTROBE | PARCLASS_LINE_NAUTOFD | PARCLASS_LINE_NINIT };
	static const struct {
		unsigned lines, status;
	} expect[] = {
		{ CTL | F | S | A, PARCLASS_STATUS_SELECTED },
		{ CTL | F | A | B, PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_BUSY },
		{ CTL | S | P | A | B, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR },
		{ CTL, PARCLASS_STATUS_POWER_OFF },
		{ CTL | F | S | P | A | B, PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_BUSY | PARCLASS_STATUS_SELECTED },
		{ CTL | S | A | B, PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR },
	};

	start_many(models);
	for (int i = 0; i < 6; i++) {
		g_autofree char *loc = g_strdup_printf("LPT%d", i + 1);
		parclass_device *dev = open_locked(loc);
		unsigned status = 0, lines = 0;

		cr_assert_eq(parclass_device_get_lines(dev, &lines), 0);
		cr_assert_eq(lines, expect[i].lines, "%s: lines %#x, expected %#x", loc, lines, expect[i].lines);
		cr_assert_eq(parclass_device_get_status(dev, &status), 0);
		cr_assert_eq(status, expect[i].status, "%s: %#x, expected %#x", loc, status, expect[i].status);
		parclass_device_close(dev);
	}
}

Test(device, a_flag_of_another_call_is_einval)
{
	parclass_device *dev;
	parclass_device_id *id = NULL;
	size_t size = 0;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_get_id(dev, (enum parclass_id_flags)PARCLASS_LOCK_NO_SELECT, NULL, 0, &size),
		     -EINVAL);
	/* RAW means nothing to a parsed ID. */
	cr_assert_eq(parclass_device_get_id_parsed(dev, PARCLASS_ID_RAW, &id), -EINVAL);
	cr_assert_null(id);
	cr_assert_eq(parclass_device_lock(dev, 0, (enum parclass_lock_flags)PARCLASS_UNLOCK_NO_DESELECT), -EINVAL);
	cr_assert_eq(parclass_device_unlock(dev, (enum parclass_unlock_flags)PARCLASS_ID_RAW), -EINVAL);
	cr_assert_eq(parclass_device_get_id_parsed(dev, 0, &id), 0);
	parclass_device_id_free(id);
	parclass_device_close(dev);
}

/* IEEE 1284.3: a chain device that will talk ECP is selected with the ECP command. */
Test(device, a_chain_device_talking_ecp_gets_the_ecp_select)
{
	parclass_device *dev;
	unsigned w = 0;
	size_t n = 0;
	g_autofree char *events = NULL;
	const char *select;

	start(chain_model);
	dev = open_locked("LPT1.1");
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, 0, &w, NULL), 0);
	cr_assert(w & (PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_HW_IRQ), "not ECP: %#x", w);
	cr_assert_eq(parclass_device_write(dev, "ecp data", 8, EVENTUALLY_MS, &n), 0);
	parclass_device_close(dev);
	fx_stop(sim);
	events = fx_events(sim);
	/* Right before the ECP negotiation of the transfer, in compatibility mode. */
	select = strstr(events, "parport0.1 select ecp\n");
	cr_assert(select, "no ECP select: %s", events);
	cr_assert(g_str_has_prefix(select, "parport0.1 select ecp\nparport0.1 negotiate ecp accepted\n"), "%s", events);
	fx_assert_record(sim, "parport0.1-0001.prn", "ecp data", 8);
}

/* PAR_SET_INFORMATION's AUTOFEED: the nAutoFd line, and the status bit that shows it. */
Test(device, autofeed_drives_nautofd_and_shows_in_the_status)
{
	parclass_device *dev;
	unsigned lines = 0, status = 0;

	start(laserjet_model);
	dev = open_dev("LPT1");
	cr_assert_eq(parclass_device_set_autofeed(dev, 1), -ENOLCK);
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	cr_assert_eq(parclass_device_set_autofeed(dev, 1), 0);
	cr_assert_eq(parclass_device_get_lines(dev, &lines), 0);
	cr_assert_eq(lines & PARCLASS_LINE_NAUTOFD, 0, "nAutoFd is not low: %#x", lines);
	cr_assert_eq(parclass_device_get_status(dev, &status), 0);
	cr_assert_eq(status, PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_AUTOFEED);
	cr_assert_eq(parclass_device_set_autofeed(dev, 0), 0);
	cr_assert_eq(parclass_device_get_lines(dev, &lines), 0);
	cr_assert(lines & PARCLASS_LINE_NAUTOFD, "nAutoFd is not high: %#x", lines);
	cr_assert_eq(parclass_device_get_status(dev, &status), 0);
	cr_assert_eq(status, PARCLASS_STATUS_SELECTED);
	parclass_device_close(dev);
}

Test(device, reset_pulses_ninit)
{
	parclass_device *dev;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_reset(dev), 0);
	parclass_device_close(dev);
	cr_assert(fx_events_contain(sim, "parport0 reset\n"));
}

Test(device, ports_without_an_interrupt_have_no_interrupt_fd)
{
	parclass_device *dev;
	int fd = -7;

	start("[port]\nmodes=pcspp,tristate,ecp\nirq=none\n[device]\nid=MFG:A;\nmodes=compat,nibble,byte,ecp\n");
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_get_interrupt_fd(dev, &fd), -ENOTSUP);
	cr_assert_eq(fd, -7);
	parclass_device_close(dev);
}

Test(device, a_port_with_an_interrupt_line_has_an_interrupt_fd)
{
	parclass_device *dev;
	int fd = -7;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_get_interrupt_fd(dev, &fd), 0);
	cr_assert_geq(fd, 0);
	parclass_device_close(dev);
}

Test(device, a_chain_device_that_is_not_there_cannot_be_locked)
{
	parclass_device *dev;

	start(chain_model);
	dev = open_dev("LPT1.3");
	cr_assert_eq(parclass_device_lock(dev, 2000, 0), -ENXIO);
	parclass_device_close(dev);
}

/* ---- device caps ---- */

#define ECP_ANY (PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_SW)
#define COMPAT_BOTH (PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY)

/* PAR_GET_DEVICE_CAPS: each mode the masks leave is negotiated, and only those. */
Test(device, caps_negotiate_every_mode_but_the_ones_ruled_out)
{
	static const char epp_model[] = "[port]\nmodes=pcspp,tristate,epp\n[device]\nid=MFG:A;\nmodes=compat,nibble,epp\n";
	const char *models[] = { laserjet_model, laserjet_model, laserjet_model, epp_model, centronics_model, laserjet_model, NULL };
	static const struct {
		unsigned must_not_read, must_not_write, read, write;
		const char *negotiated, *never[2];
	} expect[] = {
		/* Nothing ruled out: every mode both ends do. */
		{ 0, 0, PARCLASS_MODE_NIBBLE | PARCLASS_MODE_BYTE_BIDIR | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW,
		  COMPAT_BOTH | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW,
		  "parport0 negotiate nibble accepted\nparport0 terminate\nparport0 negotiate byte accepted\n"
		  "parport0 terminate\nparport0 negotiate ecp accepted\nparport0 terminate\n", { NULL, NULL } },
		/* No byte mode and no ECP either way: neither is negotiated. */
		{ PARCLASS_MODE_BYTE_BIDIR | ECP_ANY, ECP_ANY, PARCLASS_MODE_NIBBLE, COMPAT_BOTH,
		  "parport1 negotiate nibble accepted\n", { "parport1 negotiate byte", "parport1 negotiate ecp" } },
		/* No nibble mode: the others still show an IEEE 1284 device. */
		{ PARCLASS_MODE_NIBBLE, 0, PARCLASS_MODE_BYTE_BIDIR | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW,
		  COMPAT_BOTH | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW,
		  "parport2 negotiate byte accepted\n", { "parport2 negotiate nibble", NULL } },
		/* No hardware EPP: software EPP, negotiated as such. */
		{ PARCLASS_MODE_EPP_HW, PARCLASS_MODE_EPP_HW, PARCLASS_MODE_NIBBLE | PARCLASS_MODE_EPP_SW,
		  COMPAT_BOTH | PARCLASS_MODE_EPP_SW, "parport3 negotiate eppswe accepted\n",
		  { "parport3 negotiate epp ", NULL } },
		/* A Centronics printer answers no negotiation. */
		{ 0, 0, 0, PARCLASS_MODE_CENTRONICS, "parport4 negotiate nibble no-answer\n",
		  { "parport4 negotiate byte", NULL } },
		/* ECP ruled out for writes only: negotiated for reads. */
		{ 0, ECP_ANY, PARCLASS_MODE_NIBBLE | PARCLASS_MODE_BYTE_BIDIR | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW,
		  COMPAT_BOTH, "parport5 negotiate ecp accepted\n", { NULL, NULL } },
	};
	g_autofree char *events = NULL;

	start_many(models);
	for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
		g_autofree char *loc = g_strdup_printf("LPT%zu", i + 1);
		parclass_device *dev = open_dev(loc);
		unsigned rd = 7, wr = 7;
		int r = parclass_device_get_caps(dev, expect[i].must_not_read, expect[i].must_not_write, EVENTUALLY_MS,
						 &rd, &wr);

		cr_assert_eq(r, 0, "%s: %s", loc, parclass_strerror(r));
		cr_assert_eq(rd, expect[i].read, "%s: read %#x, expected %#x", loc, rd, expect[i].read);
		cr_assert_eq(wr, expect[i].write, "%s: write %#x, expected %#x", loc, wr, expect[i].write);
		cr_assert_not(parclass_port_is_held(parclass_device_get_port(dev)), "%s: the probe kept the port", loc);
		parclass_device_close(dev);
	}
	fx_stop(sim);
	events = fx_events(sim);
	for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
		cr_assert(strstr(events, expect[i].negotiated), "no \"%s\" in %s", expect[i].negotiated, events);
		for (size_t k = 0; k < G_N_ELEMENTS(expect[i].never); k++)
			cr_assert(!expect[i].never[k] || !strstr(events, expect[i].never[k]), "\"%s\" in %s",
				  expect[i].never[k], events);
	}
}

Test(device, caps_leave_a_held_link_in_compatibility_mode_and_the_port_held)
{
	parclass_device *dev;
	unsigned rd = 0, wr = 0, mode = 0;
	size_t n = 0;
	g_autofree char *events = NULL;

	start(laserjet_model);
	dev = open_locked("LPT1");
	cr_assert_eq(parclass_device_negotiate(dev, PARCLASS_MODES_PRINTER_WRITE, 0, NULL, NULL), 0);
	cr_assert_eq(parclass_device_write(dev, "ecp", 3, EVENTUALLY_MS, &n), 0);
	cr_assert_eq(parclass_device_get_current_mode(dev, &mode), 0);
	cr_assert_eq(mode, PARCLASS_MODE_ECP_HW_IRQ);
	cr_assert_eq(parclass_device_get_caps(dev, ECP_ANY, ECP_ANY, 0, &rd, &wr), 0);
	cr_assert_eq(rd, PARCLASS_MODE_NIBBLE | PARCLASS_MODE_BYTE_BIDIR);
	cr_assert_eq(wr, COMPAT_BOTH);
	cr_assert_eq(parclass_device_get_current_mode(dev, &mode), 0);
	cr_assert_eq(mode, PARCLASS_MODE_CENTRONICS);
	cr_assert(parclass_port_is_held(parclass_device_get_port(dev)), "the probe freed the caller's port");
	/* The negotiated write mode stays: the next write negotiates ECP again. */
	cr_assert_eq(parclass_device_write(dev, "again", 5, EVENTUALLY_MS, &n), 0);
	parclass_device_close(dev);
	fx_stop(sim);
	events = fx_events(sim);
	/* The probe without ECP, then the second write's ECP negotiation. */
	cr_assert(strstr(events, "parport0 negotiate byte accepted\nparport0 terminate\n"
				 "parport0 negotiate epp rejected\nparport0 terminate\n"
				 "parport0 negotiate ecp accepted\n"), "%s", events);
	/* The modes of the negotiation, the first write, the second: none in the probe. */
	cr_assert_eq(fx_events_count(sim, "parport0 negotiate ecp"), 3, "%s", events);
}

Test(device, caps_wait_for_the_port_within_their_timeout_and_check_their_masks)
{
	parclass_device *dev;
	unsigned rd = 7, wr = 7;
	pid_t holder;
	int release;

	start(laserjet_model);
	dev = open_dev("LPT1");
	cr_assert_eq(parclass_device_get_caps(dev, PARCLASS_MODE_CENTRONICS, 0, 0, &rd, &wr), -EINVAL,
		     "a forward mode in the read mask");
	cr_assert_eq(parclass_device_get_caps(dev, 0, PARCLASS_MODE_NIBBLE, 0, &rd, &wr), -EINVAL,
		     "a reverse mode in the write mask");
	cr_assert_eq(parclass_device_get_caps(dev, 0, 0, 0, NULL, &wr), -EINVAL);
	holder = ctl_hold("LPT1", &release);
	ctl_await_held("LPT1");
	cr_assert_eq(parclass_device_get_caps(dev, 0, 0, 0, &rd, &wr), -ETIMEDOUT);
	cr_assert_eq(rd, 7, "written on failure");
	cr_assert_eq(wr, 7, "written on failure");
	close(release);
	cr_assert_eq(wait_child(holder), 0);
	cr_assert_eq(parclass_device_get_caps(dev, 0, 0, EVENTUALLY_MS, &rd, &wr), 0);
	cr_assert_eq(wr, COMPAT_BOTH | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW);
	parclass_device_close(dev);
}
