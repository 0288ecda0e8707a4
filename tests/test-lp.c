/*
 * test-lp.c - parclass-sim's /dev/lpN (the kernel's lp driver) driven by raw
 * lp calls, by Debian's cups-filters "parallel" backend, and beside ppdev
 * users and parclass jobs on the same port
 *
 * Order comes from the simulator's events log, sync pipes and the programs'
 * own messages; every wait is bounded (EVENTUALLY_MS).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/lp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fixture.h"
#include "job.h"
#include "proc.h"

#define PARALLEL_BACKEND "/usr/lib/cups/backend/parallel"
#define LPIOC_GET_DEVICE_ID(len) _IOC(_IOC_READ, 'P', 1, len)
#define LPGETSTATS_NR 0x060d   /* <linux/lp.h> has it only with LP_STATS */

static const char lp_laser_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\nlp-driver=true\n"
	"[device]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL,PCL,POSTSCRIPT;CLS:PRINTER;\n"
	"modes=compat,nibble,byte,ecp\npjl=true\n";

static struct fx_sim *sim;

static void teardown(void)
{
	fx_free(sim);
	sim = NULL;
}

TestSuite(lp, .fini = teardown);

/* A model on a plain SPP port (lp writes in compatibility mode) in @state. */
static char *spp_model(const char *state)
{
	return g_strdup_printf("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\n"
			       "modes=compat,nibble\nstate=%s\n",
			       state);
}

static int open_lp(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	int v;

	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	/* One round trip: the simulator has seen the open. */
	cr_assert_eq(ioctl(fd, LPGETFLAGS, &v), 0, "LPGETFLAGS: %s", strerror(errno));
	return fd;
}

static int lp_status(int fd)
{
	int v = -1;

	cr_assert_eq(ioctl(fd, LPGETSTATUS, &v), 0, "LPGETSTATUS: %s", strerror(errno));
	return v;
}

static void skip_without_backend(void)
{
	if (access(PARALLEL_BACKEND, X_OK) != 0)
		cr_skip_test("%s is not installed (cups-filters)", PARALLEL_BACKEND);
}

/* The parallel backend as cupsd runs it: fds 3 and 4 open. */
static int run_parallel(struct proc *p, const char *const *argv, const void *input, size_t len)
{
	const char *env[] = { "DEVICE_URI=parallel:/dev/lp0", NULL };
	struct proc_spec s = {
		.path = PARALLEL_BACKEND,
		.argv = argv,
		.env = env,
		.input = input,
		.input_len = len,
		.back = PROC_BACK_FROM,
		.side = true,
	};

	return proc_run(p, &s);
}

static void assert_received(const char *device, const void *data, size_t len, unsigned sessions)
{
	unsigned got_sessions = 0;
	g_autoptr(GByteArray) got = fx_received(sim, device, &got_sessions);

	cr_assert_eq(got->len, len, "%s received %u bytes, expected %zu", device, got->len, len);
	cr_assert(memcmp(got->data, data, len) == 0, "%s received other bytes", device);
	cr_assert_eq(got_sessions, sessions, "%u sessions, expected %u", got_sessions, sessions);
}

/* ---- the cups-filters parallel backend ---- */

Test(lp, the_parallel_backend_lists_the_printer)
{
	const char *argv[] = { "parallel", NULL };
	struct proc p;

	skip_without_backend();
	sim = fx_start1(lp_laser_model);
	cr_assert_eq(run_parallel(&p, argv, NULL, 0), 0, "stderr: %s", p.errtext->str);
	g_byte_array_append(p.outdata, (const guint8 *)"", 1);
	cr_assert_str_eq((const char *)p.outdata->data,
			 "direct parallel:/dev/lp0 \"ACME Laser 9\" \"ACME Laser 9 LPT #1\" "
			 "\"MFG:ACME;MDL:Laser 9;CMD:PJL,PCL,POSTSCRIPT;CLS:PRINTER;\" \"\"\n");
	proc_free(&p);
}

Test(lp, the_parallel_backend_finds_nothing_where_lp_is_not_bound)
{
	const char *argv[] = { "parallel", NULL };
	struct proc p;

	skip_without_backend();
	sim = fx_start1("[port]\nmodes=pcspp\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\nmodes=compat,nibble\n");
	cr_assert_eq(run_parallel(&p, argv, NULL, 0), 0);
	cr_assert_eq(p.outdata->len, 0, "listed: %.*s", (int)p.outdata->len, p.outdata->data);
	proc_free(&p);
	errno = 0;
	cr_assert_eq(open("/dev/lp0", O_WRONLY), -1);
	cr_assert_eq(errno, ENXIO);
}

Test(lp, the_parallel_backend_prints_a_job_byte_identically)
{
	const char *argv[] = { "parallel", "7", "tester", "test job", "1", "", NULL };
	static unsigned char data[200000];
	struct proc p;

	skip_without_backend();
	fill_pattern(data, sizeof data, 11);
	sim = fx_start1(lp_laser_model);
	cr_assert_eq(run_parallel(&p, argv, data, sizeof data), 0, "stderr: %s", p.errtext->str);
	proc_free(&p);
	fx_stop(sim);
	assert_received("parport0", data, sizeof data, 1);
	fx_assert_record(sim, "parport0-0001.prn", data, sizeof data);
	cr_assert(fx_events_contain(sim, "parport0 release lp0 pid=PID (closed)\n"));
}

/* ---- status, flags and ioctls ---- */

Test(lp, lpgetstatus_reads_the_status_lines_as_the_kernel_does)
{
	static const struct {
		const char *state;
		int status;
	} cases[] = {
		{ "ready", 0xd8 }, { "busy", 0x58 }, { "offline", 0x48 }, { "paper-out", 0x70 },
	};
	char *texts[G_N_ELEMENTS(cases)];
	const char *models[G_N_ELEMENTS(cases) + 1] = { NULL };

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		models[i] = texts[i] = spp_model(cases[i].state);
	sim = fx_start(models);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/dev/lp%zu", i);
		int fd = open_lp(path, O_WRONLY);

		cr_assert_eq(lp_status(fd), cases[i].status, "%s: %#x", cases[i].state, lp_status(fd));
		close(fd);
		g_free(texts[i]);
	}
	/* LPGETSTATUS claims and releases the port. */
	fx_stop(sim);
	cr_assert(fx_events_contain(sim, "parport3 claim lp3 pid=PID\nparport3 release lp3 pid=PID\n"));
}

Test(lp, lpgetstatus_follows_faults)
{
	int fd;

	sim = fx_start1("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\n"
			"modes=compat,nibble\n[fault.paper]\nkind=paper-out\non-signal=true\n"
			"[fault.off]\nkind=offline\non-signal=true\n");
	fd = open_lp("/dev/lp0", O_WRONLY);
	cr_assert_eq(lp_status(fd), 0xd8);
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "fault paper begin");
	fx_await_event(sim, "fault off begin");
	cr_assert_eq(lp_status(fd), 0x70, "paper out shows over off-line: %#x", lp_status(fd));
	fx_kill(sim, SIGUSR1);
	fx_await_event(sim, "fault paper end");
	fx_await_event(sim, "fault off end");
	cr_assert_eq(lp_status(fd), 0xd8);
	close(fd);
}

Test(lp, the_ioctls_answer_as_the_kernel)
{
	int64_t tv[2] = { 0, 0 };
	char id[1024];
	int fd, v = 0;

	sim = fx_start1(lp_laser_model);
	fd = open_lp("/dev/lp0", O_WRONLY);
	cr_assert_eq(ioctl(fd, LPGETFLAGS, &v), 0);
	cr_assert_eq(v, LP_EXIST | LP_BUSY);
	cr_assert_eq(ioctl(fd, LPABORT, 1), 0);
	cr_assert_eq(ioctl(fd, LPCAREFUL, 1), 0);
	cr_assert_eq(ioctl(fd, LPABORTOPEN, 1), 0);
	cr_assert_eq(ioctl(fd, LPGETFLAGS, &v), 0);
	cr_assert_eq(v, LP_EXIST | LP_BUSY | LP_ABORT | LP_CAREFUL | LP_ABORTOPEN);
	cr_assert_eq(ioctl(fd, LPCAREFUL, 0), 0);
	cr_assert_eq(ioctl(fd, LPGETFLAGS, &v), 0);
	cr_assert_eq(v, LP_EXIST | LP_BUSY | LP_ABORT | LP_ABORTOPEN);
	cr_assert_eq(ioctl(fd, LPGETIRQ, &v), 0);
	cr_assert_eq(v, -1);
	cr_assert_eq(ioctl(fd, LPCHAR, 50), 0);
	cr_assert_eq(ioctl(fd, LPWAIT, 2), 0);
	cr_assert_eq(ioctl(fd, LPTIME, 3), 0);
	cr_assert_eq(ioctl(fd, LPRESET), 0);
	errno = 0;
	cr_assert_eq(ioctl(fd, LPSETIRQ, 7), -1);
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_eq(ioctl(fd, LPGETSTATS_NR, &v), -1);
	cr_assert_eq(errno, EINVAL);
	/* No IEEE 1284 device ID through lp: the parallel backend asks parportN. */
	errno = 0;
	cr_assert_eq(ioctl(fd, LPIOC_GET_DEVICE_ID(sizeof id), id), -1);
	cr_assert_eq(errno, EINVAL);
	errno = 0;
	cr_assert_eq(ioctl(fd, LPSETTIMEOUT_NEW, tv), -1, "0 s is no timeout");
	cr_assert_eq(errno, EINVAL);
	tv[0] = -1;
	errno = 0;
	cr_assert_eq(ioctl(fd, LPSETTIMEOUT_NEW, tv), -1);
	cr_assert_eq(errno, EINVAL);
	tv[0] = 0;
	tv[1] = 1;
	cr_assert_eq(ioctl(fd, LPSETTIMEOUT_NEW, tv), 0, "1 us rounds up to a jiffy");
	tv[0] = 2;
	tv[1] = 0;
	cr_assert_eq(ioctl(fd, LPSETTIMEOUT_OLD, tv), 0);
	close(fd);
	/* The flags belong to the minor: they outlive the file. */
	fd = open_lp("/dev/lp0", O_WRONLY);
	cr_assert_eq(ioctl(fd, LPGETFLAGS, &v), 0);
	cr_assert_eq(v, LP_EXIST | LP_BUSY | LP_ABORT | LP_ABORTOPEN);
	close(fd);
}

Test(lp, a_second_open_is_busy)
{
	int a, b, v = 0;

	sim = fx_start1(lp_laser_model);
	a = open_lp("/dev/lp0", O_WRONLY);
	b = open("/dev/lp0", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(b, 0);
	errno = 0;
	cr_assert_eq(write(b, "x", 1), -1);
	cr_assert_eq(errno, EBUSY);
	errno = 0;
	cr_assert_eq(ioctl(b, LPGETFLAGS, &v), -1);
	cr_assert_eq(errno, EBUSY);
	close(b);
	cr_assert_eq(write(a, "ok", 2), 2);
	close(a);
	fx_stop(sim);
	assert_received("parport0", "ok", 2, 1);
}

/* ---- writes and their errors ---- */

Test(lp, lpabort_gives_enospc_eio_and_eagain)
{
	static const struct {
		const char *state;
		bool careful;
		int err;
	} cases[] = {
		{ "paper-out", false, ENOSPC },
		{ "door-open", false, EIO },   /* nFault low, Select high: "on fire" */
		{ "offline", false, EAGAIN },  /* nFault high: no error unless LPCAREFUL; the writer stops */
		{ "offline", true, EIO },
		{ "busy", false, EAGAIN },
	};
	char *texts[G_N_ELEMENTS(cases)];
	const char *models[G_N_ELEMENTS(cases) + 1] = { NULL };

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		models[i] = texts[i] = spp_model(cases[i].state);
	sim = fx_start(models);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strdup_printf("/dev/lp%zu", i);
		int fd = open_lp(path, O_WRONLY);

		cr_assert_eq(ioctl(fd, LPABORT, 1), 0);
		if (cases[i].careful)
			cr_assert_eq(ioctl(fd, LPCAREFUL, 1), 0);
		errno = 0;
		cr_assert_eq(write(fd, "abc", 3), -1, "%s: a write went through", cases[i].state);
		cr_assert_eq(errno, cases[i].err, "%s%s: %s", cases[i].state, cases[i].careful ? " careful" : "",
			     strerror(errno));
		close(fd);
		g_free(texts[i]);
	}
	fx_stop(sim);
	cr_assert(fx_events_contain(sim, "parport0 lp0 out of paper\n"));
	cr_assert(fx_events_contain(sim, "parport1 lp1 on fire\n"));
	cr_assert(fx_events_contain(sim, "parport3 lp3 off-line\n"));
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *name = g_strdup_printf("parport%zu", i);
		g_autoptr(GByteArray) got = fx_received(sim, name, NULL);

		cr_assert_eq(got->len, 0, "%s took bytes", name);
	}
}

Test(lp, a_write_stops_at_paper_out_with_a_partial_count)
{
	static unsigned char data[10000];
	int fd;

	fill_pattern(data, sizeof data, 3);
	sim = fx_start1("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\n"
			"modes=compat,nibble\n[fault.paper]\nkind=paper-out\nafter-bytes=6000\n");
	fd = open_lp("/dev/lp0", O_WRONLY);
	cr_assert_eq(ioctl(fd, LPABORT, 1), 0);
	cr_assert_eq(write(fd, data, sizeof data), 6000);
	errno = 0;
	cr_assert_eq(write(fd, data + 6000, sizeof data - 6000), -1);
	cr_assert_eq(errno, ENOSPC);
	close(fd);
	fx_stop(sim);
	assert_received("parport0", data, 6000, 1);
}

Test(lp, abortopen_checks_the_printer_at_open)
{
	int fd, v = 0;

	sim = fx_start1("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\n"
			"modes=compat,nibble\nstate=paper-out\n");
	/* Off by default: the open works, a default-mode write would block. */
	fd = open_lp("/dev/lp0", O_WRONLY);
	cr_assert_eq(ioctl(fd, LPABORTOPEN, 1), 0);
	close(fd);
	/* The open "fails": its first call (and every later one) says why. */
	fd = open("/dev/lp0", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	errno = 0;
	cr_assert_eq(write(fd, "x", 1), -1);
	cr_assert_eq(errno, ENOSPC);
	errno = 0;
	cr_assert_eq(ioctl(fd, LPGETFLAGS, &v), -1);
	cr_assert_eq(errno, ENOSPC);
	close(fd);
	/* O_NONBLOCK skips the check, so that tunelp can change the flags. */
	fd = open("/dev/lp0", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ioctl(fd, LPGETFLAGS, &v), 0);
	cr_assert_eq(v, LP_EXIST | LP_BUSY | LP_ABORTOPEN);
	cr_assert_eq(lp_status(fd), 0x70);
	close(fd);
}

/* ---- read: the device's reverse data in nibble mode ---- */

Test(lp, read_gives_the_reverse_data_in_nibble_mode)
{
	char buf[64];
	int fd;

	sim = fx_start1("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\n"
			"modes=compat,nibble\nreverse-data=hello lp\n");
	fd = open_lp("/dev/lp0", O_RDWR);
	cr_assert_eq(read(fd, buf, sizeof buf), 8);
	cr_assert(memcmp(buf, "hello lp", 8) == 0);
	cr_assert_eq(ioctl(fd, LPABORT, 1), 0);
	errno = 0;
	cr_assert_eq(read(fd, buf, sizeof buf), -1, "no more data");
	cr_assert_eq(errno, EAGAIN);
	close(fd);
	fx_stop(sim);
	cr_assert(fx_events_contain(sim, "parport0 negotiate nibble accepted\n"));
}

/* ---- sharing the port with ppdev ---- */

struct writer {
	struct sync_pipe up, go;
	const unsigned char *data;
	size_t len;
};

/* Opens /dev/lp0, posts 'o', waits for a go, writes, exits 0 when all went. */
static int writer_main(void *arg)
{
	struct writer *w = arg;
	int fd = open("/dev/lp0", O_WRONLY), v;

	if (fd < 0 || ioctl(fd, LPGETFLAGS, &v) < 0)
		return 10;
	sync_post(&w->up, 'o');
	if (sync_wait(&w->go, EVENTUALLY_MS) != 'g')
		return 11;
	if (write(fd, w->data, w->len) != (ssize_t)w->len)
		return 12;
	close(fd);
	return 0;
}

Test(lp, a_write_waits_while_a_ppdev_user_holds_the_port)
{
	static unsigned char data[9000];
	struct writer w = { .data = data, .len = sizeof data };
	struct sync_pipe held;
	g_autofree char *events = NULL;
	g_autofree char *wait_line = NULL;
	pid_t writer, holder;
	const char *waits, *released, *claimed;

	fill_pattern(data, sizeof data, 5);
	sim = fx_start1(lp_laser_model);
	sync_init(&w.up);
	sync_init(&w.go);
	sync_init(&held);
	writer = fork_child_ready(writer_main, &w, &w.up, 'o');
	holder = fork_child_ready(ppclaim_holder_main, &held, &held, 'c');
	sync_post(&w.go, 'g');
	wait_line = g_strdup_printf("parport0 claim waits lp0 pid=%d\n", (int)writer);
	{
		long long end = now_ms() + EVENTUALLY_MS;
		g_autofree char *text = NULL;

		for (;;) {
			size_t len;

			g_free(text);
			text = fx_record_read(sim, "events.log", &len);
			if (text && strstr(text, wait_line))
				break;
			cr_assert_lt(now_ms(), end, "the lp write never waited: %s", text ? text : "");
			poll(NULL, 0, 5);
		}
	}
	/* The write sleeps in the kernel: the writer has not finished. */
	cr_assert_eq(wait_child_within(writer, 0), -1, "the write went through while ppdev held the port");
	kill(holder, SIGTERM);
	wait_child(holder);
	cr_assert_eq(wait_child_within(writer, EVENTUALLY_MS), 0);
	fx_stop(sim);
	assert_received("parport0", data, sizeof data, 1);
	events = fx_events(sim);
	waits = strstr(events, "claim waits lp0 pid=PID\n");
	released = strstr(events, "release pid=PID (closed)\n");
	claimed = waits ? strstr(waits, "claim lp0 pid=PID\n") : NULL;
	cr_assert(waits && released && claimed, "events:\n%s", events);
	cr_assert(waits < released && released < claimed, "events out of order:\n%s", events);
}

/* ---- sharing the port with parclass ---- */

/* The parclass backend's job on LPT1, as cupsd runs it. */
static void parclass_job_start(struct proc *p, const void *data, size_t len)
{
	struct spec s = { .uri = "parclass:/dev/parport0", .input = data, .input_len = len, .channels = true };

	job_start(p, &s);
}

Test(lp, an_lp_job_and_a_parclass_job_one_after_the_other)
{
	const char *argv[] = { "parallel", "7", "tester", "lp job", "1", "", NULL };
	static unsigned char a[30000], b[20000], c[10000];
	g_autofree char *extra = NULL;
	struct proc p;

	skip_without_backend();
	fill_pattern(a, sizeof a, 1);
	fill_pattern(b, sizeof b, 2);
	fill_pattern(c, sizeof c, 3);
	sim = fx_start1(lp_laser_model);
	cr_assert_eq(run_parallel(&p, argv, a, sizeof a), 0, "stderr: %s", p.errtext->str);
	proc_free(&p);
	parclass_job_start(&p, b, sizeof b);
	cr_assert_eq(proc_finish(&p, 2 * EVENTUALLY_MS), 0, "stderr: %s", p.errtext->str);
	proc_free(&p);
	cr_assert_eq(run_parallel(&p, argv, c, sizeof c), 0, "stderr: %s", p.errtext->str);
	proc_free(&p);
	fx_stop(sim);
	fx_assert_record(sim, "parport0-0001.prn", a, sizeof a);
	fx_assert_record(sim, "parport0-0002.prn", b, sizeof b);
	fx_assert_record(sim, "parport0-0003.prn", c, sizeof c);
	extra = fx_record_read(sim, "parport0-0004.prn", NULL);
	cr_assert_null(extra);
}

/* The lp job starts first and keeps the port between its writes: the
 * parclass job waits for it whole, then prints whole. */
Test(lp, a_parclass_job_waits_for_an_lp_job_at_the_same_time)
{
	static unsigned char a[5000], b[20000];
	struct proc p;
	int fd, v;

	fill_pattern(a, sizeof a, 1);
	fill_pattern(b, sizeof b, 2);
	sim = fx_start1(lp_laser_model);
	/* The lp job's first part: lp now holds the port. */
	fd = open_lp("/dev/lp0", O_WRONLY);
	cr_assert_eq(write(fd, a, 3000), 3000);
	parclass_job_start(&p, b, sizeof b);
	/* Said only when the port was not free: the job waits. */
	proc_wait_for(&p, "STATE: +connecting-to-device", EVENTUALLY_MS);
	/* The rest, from another file once this one is closed, while the
	 * parclass job still waits: no ppdev claim asked lp to let go. */
	cr_assert_eq(ioctl(fd, LPGETFLAGS, &v), 0);
	cr_assert_eq(write(fd, a + 3000, 2000), 2000);
	close(fd);
	cr_assert_eq(proc_finish(&p, 2 * EVENTUALLY_MS), 0, "stderr: %s", p.errtext->str);
	proc_free(&p);
	fx_stop(sim);
	fx_assert_record(sim, "parport0-0001.prn", a, 5000);
	fx_assert_record(sim, "parport0-0002.prn", b, sizeof b);
}

/* The parclass job holds the port: an lp job's write waits until it is
 * done, then prints whole. */
Test(lp, an_lp_job_waits_for_a_parclass_job_at_the_same_time)
{
	const char *argv[] = { "parallel", "7", "tester", "lp job", "1", "", NULL };
	static unsigned char a[30000], b[20000];
	const char *env[] = { "DEVICE_URI=parallel:/dev/lp0", NULL };
	struct proc_spec s = {
		.path = PARALLEL_BACKEND, .argv = argv, .env = env, .input = a, .input_len = sizeof a,
		.back = PROC_BACK_FROM, .side = true,
	};
	struct proc job, lp;
	g_autofree char *events = NULL;

	skip_without_backend();
	fill_pattern(a, sizeof a, 1);
	fill_pattern(b, sizeof b, 2);
	sim = fx_start1(lp_laser_model);
	/* The parclass job holds the port as long as its stdin stays open. */
	{
		struct spec js = { .uri = "parclass:/dev/parport0", .input = b, .input_len = 10000, .keep_stdin = true,
				   .channels = true };

		job_start(&job, &js);
	}
	proc_await_event(&job, sim, "parport0 claim pid=");
	proc_start(&lp, &s);
	proc_await_event(&lp, sim, "claim waits lp0 pid=");
	proc_write(&job, b + 10000, sizeof b - 10000);
	proc_close_stdin(&job);
	cr_assert_eq(proc_finish(&job, 2 * EVENTUALLY_MS), 0, "stderr: %s", job.errtext->str);
	cr_assert_eq(proc_finish(&lp, 2 * EVENTUALLY_MS), 0, "stderr: %s", lp.errtext->str);
	proc_free(&job);
	proc_free(&lp);
	fx_stop(sim);
	fx_assert_record(sim, "parport0-0001.prn", b, sizeof b);
	fx_assert_record(sim, "parport0-0002.prn", a, sizeof a);
	events = fx_events(sim);
	cr_assert(strstr(events, "claim waits lp0 pid=PID\n"), "events:\n%s", events);
}

/* ---- lp lets go of the port as the kernel's lp does ---- */

Test(lp, lp_lets_a_waiting_ppdev_claim_in_at_the_end_of_its_next_write)
{
	static unsigned char a[3000], b[2000], c[1000];
	g_autofree char *events = NULL;
	g_autoptr(GByteArray) all = NULL;
	g_autofree char *first = NULL;
	struct sync_pipe held;
	size_t len = 0;
	pid_t holder;
	int fd;

	fill_pattern(a, sizeof a, 1);
	fill_pattern(b, sizeof b, 2);
	fill_pattern(c, sizeof c, 3);
	sim = fx_start1(lp_laser_model);
	fd = open_lp("/dev/lp0", O_WRONLY);
	cr_assert_eq(write(fd, a, sizeof a), (ssize_t)sizeof a);
	/* lp keeps the port: a ppdev claim waits for it. */
	sync_init(&held);
	holder = fork_child(ppclaim_holder_main, &held);
	fx_await_event(sim, "parport0 claim waits pid=");
	cr_assert_eq(sync_wait(&held, 0), -1, "the ppdev claim went through while lp held the port");
	/* The next write ends by letting it in. */
	cr_assert_eq(write(fd, b, sizeof b), (ssize_t)sizeof b);
	cr_assert_eq(sync_wait(&held, EVENTUALLY_MS), 'c');
	kill(holder, SIGTERM);
	wait_child(holder);
	cr_assert_eq(write(fd, c, sizeof c), (ssize_t)sizeof c);
	close(fd);
	fx_stop(sim);
	events = fx_events(sim);
	cr_assert(strstr(events, "parport0 release lp0 pid=PID (preempted)\nparport0 claim pid=PID\n"), "events:\n%s",
		  events);
	/* a and b: one session, from lp's claim to its release; c: the next. */
	first = fx_record_read(sim, "parport0-0001.prn", &len);
	cr_assert_eq(len, sizeof a + sizeof b);
	cr_assert(memcmp(first, a, sizeof a) == 0 && memcmp(first + sizeof a, b, sizeof b) == 0);
	fx_assert_record(sim, "parport0-0002.prn", c, sizeof c);
	all = fx_received(sim, "parport0", NULL);
	cr_assert_eq(all->len, sizeof a + sizeof b + sizeof c);
}

/* A write stalled on Busy gives the port to a waiting ppdev claim once its
 * timeslice is over, and takes it back after. */
Test(lp, a_stalled_write_yields_the_port_to_a_waiting_claim)
{
	static unsigned char data[500];
	struct writer w = { .data = data, .len = sizeof data };
	struct sync_pipe held;
	g_autofree char *events = NULL;
	pid_t writer, holder;
	const char *yield, *granted, *back;

	fill_pattern(data, sizeof data, 9);
	sim = fx_start1("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\n"
			"modes=compat,nibble\n[fault.busy]\nkind=busy\non-signal=true\n");
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "fault busy begin");
	sync_init(&w.up);
	sync_init(&w.go);
	sync_init(&held);
	writer = fork_child_ready(writer_main, &w, &w.up, 'o');
	sync_post(&w.go, 'g');
	fx_await_events(sim, "parport0 claim lp0 pid=", 2);  /* the open's, then the write's */
	holder = fork_child(ppclaim_holder_main, &held);
	cr_assert_eq(sync_wait(&held, EVENTUALLY_MS), 'c', "the stalled write kept the port");
	kill(holder, SIGTERM);
	wait_child(holder);
	fx_kill(sim, SIGUSR1);
	cr_assert_eq(wait_child_within(writer, EVENTUALLY_MS), 0);
	fx_stop(sim);
	assert_received("parport0", data, sizeof data, 1);
	events = fx_events(sim);
	yield = strstr(events, "parport0 release lp0 pid=PID (yield)\n");
	granted = yield ? strstr(yield, "parport0 claim pid=PID\n") : NULL;
	back = granted ? strstr(granted, "parport0 claim lp0 pid=PID\n") : NULL;
	cr_assert(yield && granted && back, "events:\n%s", events);
}

/* ---- the default mode blocks; O_NONBLOCK does not ---- */

/* Paper out in the default mode: the write neither fails nor returns; lp
 * sleeps with the port released (a ppdev user gets it meanwhile), and the
 * write completes once paper is back (after the driver's 10 s sleep). */
Test(lp, a_default_mode_write_blocks_at_paper_out_until_paper_is_back)
{
	static unsigned char data[2000];
	struct writer w = { .data = data, .len = sizeof data };
	struct sync_pipe held;
	g_autofree char *events = NULL;
	pid_t writer, holder;

	fill_pattern(data, sizeof data, 4);
	sim = fx_start1("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\n"
			"modes=compat,nibble\n[fault.paper]\nkind=paper-out\non-signal=true\n");
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "fault paper begin");
	sync_init(&w.up);
	sync_init(&w.go);
	sync_init(&held);
	writer = fork_child_ready(writer_main, &w, &w.up, 'o');
	sync_post(&w.go, 'g');
	fx_await_event(sim, "parport0 release lp0 pid=PID (error sleep)\n");
	cr_assert_eq(wait_child_within(writer, 0), -1, "the write returned at paper out");
	/* The port is free while lp sleeps. */
	holder = fork_child_ready(ppclaim_holder_main, &held, &held, 'c');
	kill(holder, SIGTERM);
	wait_child(holder);
	fx_kill(sim, SIGUSR1);
	fx_await_event(sim, "fault paper end");
	cr_assert_eq(wait_child_within(writer, EVENTUALLY_MS), 0, "the write did not complete");
	fx_stop(sim);
	assert_received("parport0", data, sizeof data, 1);
	events = fx_events(sim);
	cr_assert(strstr(events, "parport0 lp0 out of paper\n"), "events:\n%s", events);
}

Test(lp, an_o_nonblock_write_to_a_busy_printer_is_eagain)
{
	int fd;

	sim = fx_start1("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nid=MFG:ACME;MDL:Dot 1;CLS:PRINTER;\n"
			"modes=compat,nibble\nstate=busy\n");
	fd = open_lp("/dev/lp0", O_WRONLY | O_NONBLOCK);
	errno = 0;
	cr_assert_eq(write(fd, "abc", 3), -1);
	cr_assert_eq(errno, EAGAIN);
	close(fd);
}
