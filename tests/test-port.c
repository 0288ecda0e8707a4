/*
 * test-port.c - port arbitration across processes, against parclass-sim
 *
 * FIFO order, exact waiter counts, try-allocate, timeouts, cancel, dead
 * holders and waiters, the kernel claim only for the holder, IEEE 1284.3
 * select and deselect in lock and unlock.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ppdev.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "models.h"
#include "parclass.h"

static const char laser_model[] =
	"[device]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble,byte,ecp\npjl=true\n";

static struct fx_sim *sim;
static parclass_context *ctx;
static GString *log_text;

static void on_log(parclass_context *c, enum parclass_log_level level, const char *message, void *userdata)
{
	g_string_append_printf(log_text, "%d %s\n", level, message);
}

static void start(const char *model)
{
	sim = fx_start1(model);
	log_text = g_string_new(NULL);
	cr_assert_eq(fx_context_new(&ctx), 0);
	fx_context_set_log(ctx, PARCLASS_LOG_DEBUG, on_log, NULL);
}

static void teardown(void)
{
	parclass_context_unref(ctx);
	ctx = NULL;
	if (log_text)
		g_string_free(log_text, TRUE);
	log_text = NULL;
	fx_free(sim);
	sim = NULL;
}

TestSuite(port, .fini = teardown);

static parclass_port *open_port(const char *location)
{
	parclass_port *port = NULL;
	int r = parclass_port_open(ctx, location, &port);

	cr_assert_eq(r, 0, "open %s: %s", location, parclass_strerror(r));
	return port;
}

static unsigned waiters(parclass_port *port)
{
	unsigned n = 99;

	cr_assert_eq(parclass_port_query_waiters(port, &n), 0);
	return n;
}

/* Wait until @n requests wait for the port (children queue asynchronously). */
static void await_waiters(parclass_port *port, unsigned n)
{
	for (long long t0 = now_ms(); waiters(port) != n; usleep(2000))
		cr_assert_lt(now_ms() - t0, EVENTUALLY_MS, "waiters stayed at %u, expected %u", waiters(port), n);
}

/* ---- children that use the library on their own ---- */

struct child {
	struct sync_pipe up;     /* child to parent */
	struct sync_pipe down;   /* parent to child */
	char tag;
	int timeout_ms;
	const char *location;
};

/* Allocate (tell the parent how it went), hold until told, free. */
static int allocator_main(void *data)
{
	struct child *c = data;
	parclass_context *cctx;
	parclass_port *port;
	int r;

	if (fx_context_new(&cctx) || parclass_port_open(cctx, c->location ? c->location : "parport0", &port))
		return 10;
	sync_post(&c->up, 'o');
	r = parclass_port_allocate(port, c->timeout_ms);
	sync_post(&c->up, r == 0 ? c->tag : r == -ETIMEDOUT ? 't' : r == -EBUSY ? 'b' : 'e');
	if (r == 0) {
		/* Until told: the bound only frees a child whose test has died. */
		sync_wait(&c->down, 10 * EVENTUALLY_MS);
		parclass_port_free(port);
	}
	parclass_port_close(port);
	parclass_context_unref(cctx);
	return 0;
}

static pid_t start_allocator(struct child *c, char tag, int timeout_ms)
{
	pid_t pid;

	c->tag = tag;
	c->timeout_ms = timeout_ms;
	sync_init(&c->up);
	sync_init(&c->down);
	pid = fork_child(allocator_main, c);
	cr_assert_eq(sync_wait(&c->up, EVENTUALLY_MS), 'o', "child %c did not start", tag);
	return pid;
}

/* ---- tests ---- */

Test(port, allocate_takes_the_kernel_claim_and_free_gives_it_back)
{
	parclass_port *port;
	pid_t holder = -1;

	start(laser_model);
	port = open_port("LPT1");
	cr_assert_eq(parclass_port_is_free(port), 1);
	cr_assert_eq(parclass_port_allocate(port, 1000), 0);
	cr_assert_eq(parclass_port_is_held(port), 1);
	cr_assert_eq(parclass_port_is_free(port), 0);
	cr_assert_eq(parclass_port_get_holder(port, &holder), 0);
	cr_assert_eq(holder, getpid());
	cr_assert_eq(waiters(port), 0);
	cr_assert_eq(parclass_port_allocate(port, 0), -EALREADY);
	cr_assert_eq(parclass_port_free(port), 0);
	cr_assert_eq(parclass_port_free(port), -ENOLCK);
	cr_assert_eq(parclass_port_is_free(port), 1);
	parclass_port_close(port);
	fx_stop(sim);
	/* libieee1284's one-time probe, then our claim for the allocation */
	cr_assert(fx_events_contain(sim, "parport0 claim pid=PID\nparport0 release pid=PID\n"
					  "parport0 claim pid=PID\nparport0 release pid=PID\n"));
}

Test(port, try_allocate_never_waits)
{
	struct child c = { 0 };
	parclass_port *port;
	pid_t pid, holder;

	start(laser_model);
	pid = start_allocator(&c, 'h', 5000);
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 'h');
	port = open_port("parport0");
	/* The holder keeps the port until told: a try that waited would never come back busy. */
	cr_assert_eq(parclass_port_try_allocate(port), -EBUSY);
	cr_assert_eq(waiters(port), 0, "a failed try leaves nothing queued");
	cr_assert_eq(parclass_port_get_holder(port, &holder), 0);
	cr_assert_eq(holder, pid);
	sync_post(&c.down, 'f');
	cr_assert_eq(wait_child(pid), 0);
	cr_assert_eq(parclass_port_try_allocate(port), 0);
	parclass_port_close(port);
}

Test(port, requests_are_granted_in_arrival_order_across_processes)
{
	struct child c[3] = { { { { 0 } } } };
	pid_t pid[3];
	parclass_port *port;
	char order[4] = { 0 };

	start(laser_model);
	port = open_port("parport0");
	cr_assert_eq(parclass_port_allocate(port, 1000), 0);
	for (int i = 0; i < 3; i++) {
		pid[i] = start_allocator(&c[i], (char)('B' + i), -1);
		await_waiters(port, (unsigned)i + 1);   /* exact: each child queued */
	}
	cr_assert_eq(parclass_port_free(port), 0);
	for (int i = 0; i < 3; i++) {
		order[i] = (char)sync_wait(&c[i].up, EVENTUALLY_MS);
		sync_post(&c[i].down, 'f');
	}
	cr_assert_str_eq(order, "BCD");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(wait_child(pid[i]), 0);
	cr_assert_eq(waiters(port), 0);
	parclass_port_close(port);
}

Test(port, a_killed_holder_hands_the_port_to_the_next_waiter)
{
	struct child holder = { 0 }, next = { 0 };
	pid_t h, w;
	parclass_port *port;

	start(laser_model);
	port = open_port("parport0");
	h = start_allocator(&holder, 'h', 5000);
	cr_assert_eq(sync_wait(&holder.up, EVENTUALLY_MS), 'h');
	w = start_allocator(&next, 'n', -1);
	await_waiters(port, 1);
	kill(h, SIGKILL);
	/* How fast is make bench's figure; here only that it happens. */
	cr_assert_eq(sync_wait(&next.up, EVENTUALLY_MS), 'n', "the waiter did not get the port");
	wait_child(h);
	sync_post(&next.down, 'f');
	cr_assert_eq(wait_child(w), 0);
	parclass_port_close(port);
}

Test(port, a_killed_waiter_never_blocks_the_queue)
{
	struct child dead = { 0 }, live = { 0 };
	pid_t d, l;
	parclass_port *port;

	start(laser_model);
	port = open_port("parport0");
	cr_assert_eq(parclass_port_allocate(port, 1000), 0);
	d = start_allocator(&dead, 'd', -1);
	await_waiters(port, 1);
	l = start_allocator(&live, 'l', -1);
	await_waiters(port, 2);
	kill(d, SIGKILL);
	wait_child(d);
	await_waiters(port, 1);
	cr_assert_eq(parclass_port_free(port), 0);
	cr_assert_eq(sync_wait(&live.up, EVENTUALLY_MS), 'l');
	sync_post(&live.down, 'f');
	cr_assert_eq(wait_child(l), 0);
	parclass_port_close(port);
}

/* Found by make torture: a SIGKILL between creating a ticket and renaming it
 * into the queue left the temporary file behind for good. */
Test(port, a_ticket_file_left_by_a_request_killed_while_queueing_is_removed)
{
	g_autofree char *dir = NULL, *left = NULL, *live = NULL;
	parclass_port *port;
	pid_t dead = gone_pid();

	start(laser_model);
	port = open_port("parport0");
	dir = g_build_filename(sim->runtime, "parport0", NULL);
	/* What such a process leaves: an empty tmp.<pid>.<random>. */
	left = g_strdup_printf("%s/tmp.%d.0123456789abcdef", dir, (int)dead);
	cr_assert(g_file_set_contents(left, "", 0, NULL));
	/* A live process's may be renamed into place any moment: it stays. */
	live = g_strdup_printf("%s/tmp.%d.0123456789abcdef", dir, (int)getpid());
	cr_assert(g_file_set_contents(live, "", 0, NULL));
	cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0);
	cr_assert_not(g_file_test(left, G_FILE_TEST_EXISTS), "the killed request's file is still there");
	cr_assert(g_file_test(live, G_FILE_TEST_EXISTS), "a live process's file was removed");
	cr_assert_eq(waiters(port), 0);
	cr_assert_eq(parclass_port_free(port), 0);
	parclass_port_close(port);
}

/* The compiler stops another call's flag; one passed anyway (a cast) is refused. */
Test(port, a_flag_of_another_call_is_einval_and_changes_nothing)
{
	parclass_port *port;

	start(laser_model);
	port = open_port("parport0");
	cr_assert_eq(parclass_port_lock(port, PARCLASS_ADDRESS_END, 0, (enum parclass_lock_flags)PARCLASS_ID_FRESH),
		     -EINVAL);
	cr_assert_not(parclass_port_is_held(port));
	cr_assert_eq(parclass_port_lock(port, PARCLASS_ADDRESS_END, 0, PARCLASS_LOCK_NO_SELECT), 0);
	cr_assert_eq(parclass_port_unlock(port, (enum parclass_unlock_flags)PARCLASS_LOCK_NO_SELECT), -EINVAL);
	cr_assert(parclass_port_is_held(port));
	cr_assert_eq(parclass_port_unlock(port, PARCLASS_UNLOCK_NO_DESELECT), 0);
	parclass_port_close(port);
}

Test(port, allocate_times_out_and_leaves_the_queue)
{
	struct child c = { 0 };
	parclass_port *port;
	pid_t pid;

	start(laser_model);
	port = open_port("parport0");
	cr_assert_eq(parclass_port_allocate(port, 1000), 0);
	pid = start_allocator(&c, 'x', 300);
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 't', "expected a timeout");
	cr_assert_eq(wait_child(pid), 0);
	cr_assert_eq(waiters(port), 0);
	parclass_port_close(port);
}

/* Cancel @data's wait once it waits: the queue, seen through a context of this thread's own, shows it. */
static void *cancel_when_queued(void *data)
{
	parclass_context *tctx;
	parclass_port *watch;
	unsigned n = 0;

	cr_assert_eq(fx_context_new(&tctx), 0);
	cr_assert_eq(parclass_port_open(tctx, "parport0", &watch), 0);
	for (long long t0 = now_ms(); parclass_port_query_waiters(watch, &n) == 0 && n != 1; poll(NULL, 0, 2))
		cr_assert_lt(now_ms() - t0, EVENTUALLY_MS, "the wait never began");
	parclass_port_cancel(data);
	parclass_port_close(watch);
	parclass_context_unref(tctx);
	return NULL;
}

Test(port, a_wait_can_be_cancelled_from_another_thread)
{
	struct child c = { 0 };
	parclass_port *port;
	pthread_t t;
	pid_t pid;

	start(laser_model);
	pid = start_allocator(&c, 'h', 5000);
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 'h');
	port = open_port("parport0");
	pthread_create(&t, NULL, cancel_when_queued, port);
	cr_assert_eq(parclass_port_allocate(port, -1), -ECANCELED);
	pthread_join(t, NULL);
	cr_assert_eq(waiters(port), 0, "the cancelled request left the queue");
	sync_post(&c.down, 'f');
	cr_assert_eq(wait_child(pid), 0);
	parclass_port_close(port);
}

/* A signal handler's cancel can come just before the wait begins: it must not be lost. */
Test(port, a_cancel_that_comes_before_the_wait_ends_the_wait_at_once)
{
	struct child c = { 0 };
	parclass_port *port;
	pid_t pid;

	start(laser_model);
	pid = start_allocator(&c, 'h', 5000);
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 'h');
	port = open_port("parport0");
	cr_assert_eq(parclass_port_cancel(port), 0);
	cr_assert_eq(parclass_port_allocate(port, -1), -ECANCELED);
	cr_assert_eq(waiters(port), 0, "the cancelled request left the queue");
	/* The wait took the cancel: the next one waits as usual. */
	cr_assert_eq(parclass_port_allocate(port, 0), -ETIMEDOUT);
	sync_post(&c.down, 'f');
	cr_assert_eq(wait_child(pid), 0);
	cr_assert_eq(parclass_port_allocate(port, -1), 0);
	parclass_port_close(port);
}

Test(port, waiters_do_not_touch_the_kernel_claim)
{
	struct child c = { 0 };
	parclass_port *port;
	g_autofree char *events = NULL;
	g_autofree char *claim = NULL;
	pid_t pid;

	start(laser_model);
	port = open_port("parport0");
	cr_assert_eq(parclass_port_allocate(port, 1000), 0);
	pid = start_allocator(&c, 'w', -1);
	await_waiters(port, 1);
	events = fx_record_read(sim, "events.log", NULL);
	claim = g_strdup_printf("claim pid=%d", (int)pid);
	cr_assert_null(strstr(events, claim), "a waiter claimed the port: %s", events);
	cr_assert_eq(parclass_port_free(port), 0);
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 'w');
	sync_post(&c.down, 'f');
	cr_assert_eq(wait_child(pid), 0);
	parclass_port_close(port);
}

Test(port, a_program_outside_parclass_keeps_the_port_busy)
{
	struct sync_pipe sp;
	parclass_port *port;
	pid_t pid;

	start(laser_model);
	sync_init(&sp);
	pid = fork_child(ppclaim_holder_main, &sp);
	cr_assert_eq(sync_wait(&sp, EVENTUALLY_MS), 'c');
	port = open_port("parport0");
	cr_assert_eq(parclass_port_is_free(port), 0, "the outside claim was not seen");
	cr_assert_eq(parclass_port_allocate(port, 300), -EBUSY);
	cr_assert_eq(waiters(port), 0);
	cr_assert_eq(parclass_port_is_held(port), 0);
	kill(pid, SIGKILL);
	wait_child(pid);
	/* The kernel lets go of a dead process's claim in its own time. */
	for (long long end = now_ms() + EVENTUALLY_MS; parclass_port_is_free(port) != 1; poll(NULL, 0, 5))
		cr_assert_lt(now_ms(), end, "still not free after the program died");
	cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0, "free once the program is gone");
	parclass_port_close(port);
}

static int outside_claim_main(void *data)
{
	int fd = open("/dev/parport0", O_RDWR);

	(void)data;
	if (fd < 0)
		return 10;
	if (ioctl(fd, PPCLAIM) < 0)
		return 11;
	ioctl(fd, PPRELEASE);
	close(fd);
	return 0;
}

Test(port, release_bus_lets_a_program_outside_parclass_in)
{
	parclass_port *port;

	start(laser_model);
	port = open_port("parport0");
	cr_assert_eq(parclass_port_lock(port, PARCLASS_ADDRESS_END, 1000, 0), 0);
	cr_assert_eq(parclass_port_release_bus(port), 0);
	cr_assert_eq(wait_child(fork_child(outside_claim_main, NULL)), 0);
	cr_assert_eq(parclass_port_is_held(port), 1, "the allocation stays");
	cr_assert_eq(parclass_port_unlock(port, 0), 0);
	cr_assert_eq(parclass_port_release_bus(port), -ENOLCK);
	parclass_port_close(port);
}

/* A chain device some handle has open is that handle's: no port handle selects it. */
Test(port, a_chain_device_open_elsewhere_cannot_be_locked_through_the_port)
{
	parclass_port *port;
	parclass_device *dev;

	start(bare_chain_model);
	port = open_port("parport0");
	cr_assert_eq(parclass_device_open(ctx, "LPT1.1", &dev), 0);
	cr_assert_eq(parclass_port_lock(port, 1, EVENTUALLY_MS, 0), -EBUSY);
	cr_assert_eq(parclass_port_is_held(port), 0, "the refused lock kept the port");
	cr_assert_eq(waiters(port), 0);
	/* The other addresses, and the device's own lock, are as before. */
	cr_assert_eq(parclass_port_lock(port, 0, EVENTUALLY_MS, 0), 0);
	cr_assert_eq(parclass_port_unlock(port, 0), 0);
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	cr_assert_eq(parclass_device_unlock(dev, 0), 0);
	parclass_device_close(dev);
	cr_assert_eq(parclass_port_lock(port, 1, EVENTUALLY_MS, 0), 0, "free once the device is closed");
	cr_assert_eq(parclass_port_unlock(port, 0), 0);
	parclass_port_close(port);
}

/* IEEE 1284.3 control on a port the caller holds, seen on the chain's lines. */
Test(port, select_deselect_and_init_chain_on_a_held_port)
{
	parclass_port *port;
	unsigned n = 9;
	g_autofree char *events = NULL;
	const char *from;

	start(bare_chain_model);
	port = open_port("LPT1");
	cr_assert_eq(parclass_port_select(port, 1, 0), -ENOLCK);
	cr_assert_eq(parclass_port_deselect(port), -ENOLCK);
	cr_assert_eq(parclass_port_init_chain(port, &n), -ENOLCK);
	cr_assert_eq(parclass_port_select(port, PARCLASS_ADDRESS_END, 0), -EINVAL, "deselect is its own call");
	cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0);
	cr_assert_eq(parclass_port_init_chain(port, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(parclass_port_select(port, 1, 0), 0);
	cr_assert_eq(parclass_port_select(port, 0, PARCLASS_SELECT_ECP), 0);
	cr_assert_eq(parclass_port_select(port, 3, 0), -ENXIO, "there is no address 3");
	cr_assert_eq(parclass_port_deselect(port), 0);
	cr_assert_eq(parclass_port_is_held(port), 1, "the port stays held");
	cr_assert_eq(parclass_port_free(port), 0);
	parclass_port_close(port);
	events = fx_events(sim);
	from = strstr(events, "parport0.0 assign 0\n");
	cr_assert(from, "%s", events);
	cr_assert(g_str_has_prefix(from, "parport0.0 assign 0\nparport0.1 assign 1\nparport0.1 select\n"
				   "parport0.0 select ecp\nparport0 select 3 failed\nparport0 deselect-all\n"),
		  "%s", from);
}

/* What /proc says of the ports' hardware (the simulator's: the PC's usual bases and IRQs, no DMA). */
Test(port, the_ports_resources_as_the_kernel_gives_them)
{
	const char *models[] = { laser_model, laser_model, NULL };
	unsigned long base = 0, hi = 0;
	int irq = 0, dma = 0;
	parclass_port *p0, *p1;

	sim = fx_start(models);
	log_text = g_string_new(NULL);
	cr_assert_eq(fx_context_new(&ctx), 0);
	p0 = open_port("parport0");
	p1 = open_port("parport1");
	cr_assert_eq(parclass_port_get_resources(p0, &base, &hi, &irq, &dma), 0);
	cr_assert_eq(base, 0x378);
	cr_assert_eq(hi, 0x778);
	cr_assert_eq(irq, 7);
	cr_assert_eq(dma, -1);
	cr_assert_eq(parclass_port_get_resources(p1, &base, &hi, &irq, &dma), 0);
	cr_assert_eq(base, 0x278);
	cr_assert_eq(hi, 0x678);
	cr_assert_eq(irq, 5);
	cr_assert_eq(parclass_port_get_resources(p1, NULL, &hi, &irq, &dma), -EINVAL);
	parclass_port_close(p0);
	parclass_port_close(p1);
}

Test(port, lock_selects_a_chain_device_and_unlock_deselects)
{
	parclass_port *port;

	start(bare_chain_model);
	port = open_port("LPT1");
	cr_assert_eq(parclass_port_lock(port, 1, 1000, 0), 0);
	cr_assert_eq(parclass_port_unlock(port, 0), 0);
	cr_assert_eq(parclass_port_lock(port, 0, 1000, 0), 0);
	cr_assert_eq(parclass_port_unlock(port, PARCLASS_UNLOCK_NO_DESELECT), 0);
	cr_assert_eq(parclass_port_lock(port, 3, 1000, 0), -ENXIO, "there is no address 3");
	cr_assert_eq(parclass_port_is_held(port), 0, "a failed lock frees the port");
	cr_assert_eq(parclass_port_lock(port, 2, 1000, PARCLASS_LOCK_NO_SELECT), 0);
	cr_assert_eq(parclass_port_unlock(port, 0), 0);
	parclass_port_close(port);
	cr_assert(fx_events_contain(sim, "parport0.1 select\nparport0 deselect-all\nparport0 release"));
	cr_assert(fx_events_contain(sim, "parport0.0 select\nparport0 release"));
	cr_assert(fx_events_contain(sim, "parport0 select 3 failed\n"));
}

Test(port, lock_of_the_end_device_deselects_the_chain)
{
	parclass_port *port;

	start(bare_chain_model);
	port = open_port("LPT1.4");
	cr_assert_eq(parclass_port_lock(port, PARCLASS_ADDRESS_END, 1000, 0), 0);
	cr_assert_eq(parclass_port_unlock(port, 0), 0);
	parclass_port_close(port);
	cr_assert(fx_events_contain(sim, "parport0 claim pid=PID\nparport0 deselect-all\n"));
}

Test(port, the_runtime_directory_is_shared_with_the_group_whatever_the_umask)
{
	g_autofree char *dir = NULL, *seq = NULL, *top = NULL;
	parclass_port *port;
	struct stat st;

	start(laser_model);
	top = g_build_filename(sim->dir, "fresh-run", NULL);
	cr_assert_eq(parclass_context_set_runtime_dir(ctx, top), 0);
	umask(077);
	port = open_port("parport0");
	cr_assert_eq(parclass_port_allocate(port, 1000), 0);
	dir = g_build_filename(top, "parport0", NULL);
	seq = g_build_filename(dir, "seq", NULL);
	cr_assert_eq(stat(top, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 02775, "runtime directory mode %o", st.st_mode & 07777);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 02775, "port directory mode %o", st.st_mode & 07777);
	cr_assert_eq(stat(seq, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0664, "seq mode %o", st.st_mode & 0777);
	if (geteuid() == 0) {
		struct group *lp = getgrnam("lp");

		if (lp)
			cr_assert_eq(st.st_gid, lp->gr_gid, "files belong to group lp");
	}
	parclass_port_close(port);
}

Test(port, bad_and_missing_ports_are_refused)
{
	parclass_port *port = NULL;

	start(laser_model);
	cr_assert_eq(parclass_port_open(ctx, "parport3", &port), -ENODEV);
	cr_assert_eq(parclass_port_open(ctx, "printer", &port), -EINVAL);
	cr_assert_null(port);
}

Test(port, an_unusable_runtime_directory_is_reported)
{
	g_autofree char *file = NULL;
	g_autofree char *bad = NULL;
	parclass_port *port = NULL;

	start(laser_model);
	file = g_build_filename(sim->dir, "not-a-directory", NULL);
	cr_assert(g_file_set_contents(file, "", 0, NULL));
	bad = g_build_filename(file, "run", NULL);
	fx_expect_lib_error("not-a-directory/run");
	cr_assert_eq(parclass_context_set_runtime_dir(ctx, bad), 0);
	cr_assert_eq(parclass_port_open(ctx, "parport0", &port), -EACCES);
	cr_assert(strstr(log_text->str, "1 runtime directory "), "log: %s", log_text->str);
	cr_assert(strstr(log_text->str, "PARCLASS_RUNTIME_DIR"), "log: %s", log_text->str);
}

/* A child that opens parport0 with the runtime directory @data. */
static int open_with_runtime_dir_main(void *data)
{
	parclass_context *c;
	parclass_port *port = NULL;

	if (fx_context_new(&c) || parclass_context_set_runtime_dir(c, data))
		return 10;
	if (parclass_port_open(c, "parport0", &port) != -EACCES)
		return 11;
	parclass_context_unref(c);
	return 0;
}

/* The fixture's own rule, where a test can see it: a library error in a
 * forked child ends the child with FX_LIB_ERROR_STATUS, unless expected. */
Test(port, a_library_error_in_a_child_fails_it_unless_the_test_expects_it)
{
	g_autofree char *file = NULL;
	g_autofree char *bad = NULL;

	start(laser_model);
	file = g_build_filename(sim->dir, "not-a-directory", NULL);
	cr_assert(g_file_set_contents(file, "", 0, NULL));
	bad = g_build_filename(file, "run", NULL);
	cr_assert_eq(wait_child(fork_child(open_with_runtime_dir_main, bad)), FX_LIB_ERROR_STATUS);
	fx_expect_lib_error("not-a-directory/run");
	cr_assert_eq(wait_child(fork_child(open_with_runtime_dir_main, bad)), 0);
}

/* ---- what the holder tells the others ---- */

/* Does @fd poll readable now (no waiting)? */
static bool readable_now(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/* Until @fd polls readable (within EVENTUALLY_MS); then what changed. */
static int await_change(parclass_port *port, int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	cr_assert_eq(poll(&p, 1, EVENTUALLY_MS), 1, "the queue fd did not become readable");
	return parclass_port_drain_queue_fd(port);
}

Test(port, the_queue_fd_is_readable_when_a_request_enters_or_leaves_and_quiet_otherwise)
{
	struct child c = { 0 };
	parclass_port *port;
	int fd = -1, release = -1, flags;
	pid_t pid, hold;

	start(laser_model);
	port = open_port("LPT1");
	cr_assert_eq(parclass_port_drain_queue_fd(port), -EBADF, "no fd asked for yet");
	cr_assert_eq(parclass_port_get_queue_fd(port, &fd), 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	cr_assert_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	cr_assert_eq(parclass_port_drain_queue_fd(port), 0);
	cr_assert_not(readable_now(fd), "readable while nothing changed");

	/* Another process queues and is granted the port at once. */
	pid = start_allocator(&c, 'h', 5000);
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 'h');
	cr_assert(readable_now(fd));
	cr_assert_eq(parclass_port_drain_queue_fd(port), PARCLASS_WATCH_QUEUE);
	cr_assert_not(readable_now(fd), "readable again after the drain with nothing changed");

	/* A second queues behind it: a waiter entered. */
	hold = ctl_hold("LPT1", &release);
	do
		flags = await_change(port, fd);   /* the temporary file it makes first says nothing */
	while (flags == 0);
	cr_assert_eq(flags, PARCLASS_WATCH_QUEUE);
	await_waiters(port, 1);
	while (parclass_port_drain_queue_fd(port) > 0)
		;
	cr_assert_not(readable_now(fd));

	/* The holder leaves: the waiter becomes the holder. */
	sync_post(&c.down, 'f');
	cr_assert_eq(wait_child(pid), 0);
	ctl_await_held("LPT1");
	cr_assert(readable_now(fd));
	cr_assert_eq(parclass_port_drain_queue_fd(port) & PARCLASS_WATCH_QUEUE, PARCLASS_WATCH_QUEUE);
	close(release);
	cr_assert_eq(wait_child(hold), 0);
	parclass_port_close(port);
}

/* CLOCK_REALTIME microseconds; coarse: the clock file times come from. */
static parclass_usec realtime_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (parclass_usec)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

Test(port, the_holder_and_since_when_it_holds_the_port_and_a_dead_holder_reads_as_none)
{
	struct child c = { 0 };
	parclass_port *port;
	parclass_usec before, after, since = -1;
	pid_t pid, holder = -1;

	start(laser_model);
	port = open_port("LPT1");
	cr_assert_eq(parclass_port_get_holder_since(port, &holder, &since), 0);
	cr_assert_eq(holder, 0);
	cr_assert_eq(since, 0);
	before = realtime_us(CLOCK_REALTIME_COARSE);
	pid = start_allocator(&c, 'h', 5000);
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 'h');
	after = realtime_us(CLOCK_REALTIME);
	cr_assert_eq(parclass_port_get_holder_since(port, &holder, &since), 0);
	cr_assert_eq(holder, pid);
	cr_assert(since >= before && since <= after, "since %lld, not within %lld..%lld", since, before, after);
	cr_assert_eq(parclass_port_get_holder_since(port, &holder, NULL), 0);
	cr_assert_eq(parclass_port_get_holder_since(port, NULL, &since), -EINVAL);
	kill(pid, SIGKILL);
	wait_child(pid);
	cr_assert_eq(parclass_port_get_holder_since(port, &holder, &since), 0);
	cr_assert_eq(holder, 0);
	cr_assert_eq(since, 0);
	parclass_port_close(port);
}

/* Open LPT1, lock it, publish "PAPER OUT", tell the parent, keep the handle until told. */
static int publisher_main(void *data)
{
	struct child *c = data;
	parclass_report r = { .status = PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED,
			      .lines = PARCLASS_LINE_NFAULT | PARCLASS_LINE_SELECT | PARCLASS_LINE_PERROR,
			      .pages = 2 };
	parclass_context *cctx;
	parclass_device *dev;
	int code = 0;

	strcpy(r.reasons, "media-empty-error,offline-report");
	strcpy(r.display, "PAPER OUT, LOAD A4");
	if (fx_context_new(&cctx) || parclass_device_open(cctx, "LPT1", &dev))
		return 10;
	if (parclass_device_publish(dev, &r) != -ENOLCK)
		code = 11;
	else if (parclass_device_lock(dev, EVENTUALLY_MS, 0) || parclass_device_publish(dev, &r))
		code = 12;
	sync_post(&c->up, code ? 'e' : 'p');
	sync_wait(&c->down, 10 * EVENTUALLY_MS);
	if (parclass_device_unlock(dev, 0))
		code = 13;
	sync_post(&c->up, 'u');
	sync_wait(&c->down, 10 * EVENTUALLY_MS);
	parclass_device_close(dev);
	parclass_context_unref(cctx);
	return code;
}

Test(port, a_holder_publishes_its_report_and_everyone_reads_it_live_then_not)
{
	struct child c = { 0 };
	parclass_port *port;
	parclass_report r;
	parclass_usec before, after;
	int fd = -1;
	pid_t pid;

	start(laser_model);
	port = open_port("LPT1");
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), -ENOENT);
	cr_assert_eq(parclass_port_read_report(port, 4, &r), -EINVAL);
	cr_assert_eq(parclass_port_read_report(port, 0, NULL), -EINVAL);
	cr_assert_eq(parclass_port_get_queue_fd(port, &fd), 0);
	before = realtime_us(CLOCK_REALTIME);
	sync_init(&c.up);
	sync_init(&c.down);
	pid = fork_child(publisher_main, &c);
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 'p');
	after = realtime_us(CLOCK_REALTIME);
	cr_assert_eq(parclass_port_drain_queue_fd(port), PARCLASS_WATCH_QUEUE | PARCLASS_WATCH_REPORT);
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0);
	cr_assert_eq(r.status, PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED);
	cr_assert_eq(r.lines, PARCLASS_LINE_NFAULT | PARCLASS_LINE_SELECT | PARCLASS_LINE_PERROR);
	cr_assert_eq(r.pages, 2);
	cr_assert_str_eq(r.reasons, "media-empty-error,offline-report");
	cr_assert_str_eq(r.display, "PAPER OUT, LOAD A4");
	cr_assert_eq(r.pid, pid);
	cr_assert(r.published_us >= before && r.published_us <= after);
	cr_assert_eq(r.live, 1);
	cr_assert_eq(parclass_port_read_report(port, 0, &r), -ENOENT, "published for the end device only");
	/* Freed: still the publisher's, still live while its handle is open. */
	sync_post(&c.down, 'u');
	cr_assert_eq(sync_wait(&c.up, EVENTUALLY_MS), 'u');
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0);
	cr_assert_eq(r.live, 1);
	sync_post(&c.down, 'c');
	cr_assert_eq(wait_child(pid), 0);
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0);
	cr_assert_eq(r.pid, pid);
	cr_assert_eq(r.live, 0, "the publisher is gone");
	cr_assert_str_eq(r.reasons, "media-empty-error,offline-report");
	parclass_port_close(port);
}

Test(port, publish_refuses_what_is_no_report)
{
	static const char *const bad_reasons[] = { "Media-Empty", "a,,b", ",a", "a,", "a b", "a\n" };
	parclass_report r = { .pages = -1 }, back;
	parclass_device *dev;
	parclass_port *port;

	start(laser_model);
	cr_assert_eq(parclass_device_open(ctx, "LPT1", &dev), 0);
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	cr_assert_eq(parclass_device_publish(dev, &r), 0, "nothing known is a report");
	cr_assert_eq(parclass_device_publish(NULL, &r), -EINVAL);
	cr_assert_eq(parclass_device_publish(dev, NULL), -EINVAL);
	r.pages = -2;
	cr_assert_eq(parclass_device_publish(dev, &r), -EINVAL);
	r.pages = 0;
	r.status = 0x200;
	cr_assert_eq(parclass_device_publish(dev, &r), -EINVAL);
	r.status = 0;
	r.lines = 0x1;
	cr_assert_eq(parclass_device_publish(dev, &r), -EINVAL);
	r.lines = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(bad_reasons); i++) {
		strcpy(r.reasons, bad_reasons[i]);
		cr_assert_eq(parclass_device_publish(dev, &r), -EINVAL, "reasons \"%s\"", bad_reasons[i]);
	}
	r.reasons[0] = '\0';
	strcpy(r.display, "PAPER\tOUT");
	cr_assert_eq(parclass_device_publish(dev, &r), -EINVAL);
	memset(r.display, 'x', sizeof r.display);
	cr_assert_eq(parclass_device_publish(dev, &r), -EINVAL, "no NUL");
	r.display[sizeof r.display - 1] = '\0';
	cr_assert_eq(parclass_device_publish(dev, &r), 0, "the longest display");
	memset(r.reasons, 'a', sizeof r.reasons);
	cr_assert_eq(parclass_device_publish(dev, &r), -EINVAL, "no NUL");
	r.reasons[sizeof r.reasons - 1] = '\0';
	cr_assert_eq(parclass_device_publish(dev, &r), 0, "the longest reasons");
	port = open_port("LPT1");
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &back), 0, "the longest report reads back");
	cr_assert_str_eq(back.reasons, r.reasons);
	cr_assert_str_eq(back.display, r.display);
	cr_assert_eq(back.live, 1);
	parclass_port_close(port);
	parclass_device_close(dev);
}

/* The lines of a held port, with no device open: a job may open the device
 * meanwhile (its lock then queues behind the port's holder). */
Test(port, get_lines_reads_a_held_port_without_opening_a_device)
{
	enum { CTL = PARCLASS_LINE_NSTROBE | PARCLASS_LINE_NAUTOFD | PARCLASS_LINE_NINIT };
	parclass_port *port;
	parclass_device *dev;
	unsigned lines = 0;

	start("[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=paper-out\n");
	port = open_port("LPT1");
	cr_assert_eq(parclass_port_get_lines(port, &lines), -ENOLCK);
	cr_assert_eq(parclass_port_get_lines(port, NULL), -EINVAL);
	cr_assert_eq(parclass_port_try_allocate(port), 0);
	cr_assert_eq(parclass_port_deselect(port), -ENXIO, "no chain: the end device answers anyway");
	cr_assert_eq(parclass_port_get_lines(port, &lines), 0);
	cr_assert_eq(lines, CTL | PARCLASS_LINE_SELECT | PARCLASS_LINE_PERROR | PARCLASS_LINE_NACK | PARCLASS_LINE_BUSY,
		     "%#x", lines);
	cr_assert_eq(parclass_status_from_lines(lines),
		     PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_SELECTED | PARCLASS_STATUS_ERROR);
	cr_assert_eq(parclass_device_open(ctx, "LPT1", &dev), 0, "the device is not open anywhere");
	cr_assert_eq(parclass_device_lock(dev, 0, 0), -ETIMEDOUT, "its lock waits for the port's holder");
	cr_assert_eq(parclass_port_free(port), 0);
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	parclass_device_close(dev);
	parclass_port_close(port);
}
