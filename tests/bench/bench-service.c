/*
 * bench-service - what parclassd costs the jobs it watches (issue 10,
 * "never in a job's way"): lock-grant latency and whole backend jobs, with
 * and without parclassd probing at its shortest poll interval, side by side.
 *
 * Run by "make bench" under parclass-sim with two ports:
 *   parport0 tests/bench/bench.model   full speed: the lock grants, fast jobs
 *   parport1 tests/bench/rated.model   ECP 2 MB/s: jobs at a printer's speed
 * PARCLASS_BACKEND and PARCLASS_DAEMON name the backend and parclassd;
 * PARCLASS_RUNTIME_DIR is private. parclassd runs on a private dbus-daemon
 * of the system type whose policy lets anyone own a name (the installed
 * policy lets only root and the service's user, and this may run as anyone).
 *
 * The two sides alternate round by round, each round starting with the
 * other side, so that the machine's noise falls on both alike. A grant is
 * timed from the request (parclass_port_allocate) to the grant, the
 * requests spaced at random so that they meet the probes at every phase.
 */
#include "config.h"

#include <fcntl.h>
#include <gio/gio.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parclass.h"

#include "bench.h"
#include "bench-job.h"

#define ROUNDS 10
#define GRANTS 50           /* a round's grants: 500 a side */
#define GAP_US 10000        /* at most this much between two requests */
#define JOB_BYTES 1000000
#define FAST_JOBS 5         /* a round's full-speed jobs; and one at ECP 2 MB/s */
#define POLL_MS "200"       /* parclassd's shortest poll interval */
#define STARTUP_S 20.0

#define NAME "io.github.parclass.Parclass1"
#define ROOT "/io/github/parclass/Parclass1"

enum side { WITHOUT, WITH };

/* Times in seconds. */
struct series {
	double v[ROUNDS * GRANTS];
	size_t n;
};

struct figures {
	struct series grant;
	struct series met;     /* the grants of requests that found a probe under way */
	struct series ecp, fast;
	unsigned waited;       /* jobs that found the device open in another process */
	double daemon_cpu_s;   /* parclassd's user and system time, all rounds */
	double daemon_wall_s;  /* how long it ran in them */
};

static const char *backend, *daemon_path;
static char dir[] = "/tmp/parclass-bench.XXXXXX";
static char *bus_address;
static GDBusConnection *bus;
static pid_t bus_pid;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		die(path);
}

/* A private system-type bus. @return NULL, or why there is none. */
static char *start_bus(void)
{
	g_autofree char *conf = g_strdup_printf("%s/bus.conf", dir);
	g_autofree char *log = g_strdup_printf("%s/bus.log", dir);
	g_autofree char *text = g_strdup_printf(
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig><type>system</type><listen>unix:path=%s/bus</listen><auth>EXTERNAL</auth>\n"
		"<policy context=\"default\"><allow user=\"*\"/><allow own=\"*\"/>\n"
		"<allow send_type=\"method_call\"/><allow send_type=\"method_return\"/><allow send_type=\"error\"/>"
		"<allow send_type=\"signal\"/>\n<allow receive_type=\"method_call\"/>"
		"<allow receive_type=\"method_return\"/><allow receive_type=\"error\"/>"
		"<allow receive_type=\"signal\"/></policy></busconfig>\n", dir);
	g_autoptr(GError) error = NULL;
	char address[4096];
	int fds[2];
	ssize_t n;

	write_file(conf, text);
	if (pipe(fds))
		die("pipe");
	bus_pid = fork();
	if (bus_pid == 0) {
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(out, 1);
		dup2(out, 2);
		dup2(fds[1], 3);
		unsetenv("LD_PRELOAD");     /* the bus needs no emulated ports */
		execlp("dbus-daemon", "dbus-daemon", "--config-file", conf, "--nofork", "--nopidfile",
		       "--print-address=3", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* It prints its address once it listens, or exits. */
	n = read(fds[0], address, sizeof address - 1);
	close(fds[0]);
	if (n <= 0) {
		g_autofree char *why = NULL;

		waitpid(bus_pid, NULL, 0);
		bus_pid = 0;
		g_file_get_contents(log, &why, NULL, NULL);
		return g_strdup_printf("dbus-daemon did not start (the package dbus-daemon): %s",
				       why ? g_strchomp(why) : "");
	}
	address[n] = '\0';
	bus_address = g_strdup(g_strchomp(address));
	/* Here, before GDBus starts its thread: parclassd inherits it. */
	setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_address, 1);
	bus = g_dbus_connection_new_for_address_sync(bus_address,
						     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
							     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
						     NULL, NULL, &error);
	if (!bus)
		return g_strdup_printf("cannot connect to the private bus: %s", error->message);
	return NULL;
}

/* The Device property @prop of the object @path, or NULL. */
static char *device_string(const char *path, const char *prop)
{
	g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
		bus, NAME, path, "org.freedesktop.DBus.Properties", "Get",
		g_variant_new("(ss)", NAME ".Device", prop), G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 1000,
		NULL, NULL);
	g_autoptr(GVariant) v = NULL;

	if (!reply)
		return NULL;
	g_variant_get(reply, "(v)", &v);
	return g_variant_is_of_type(v, G_VARIANT_TYPE_STRING) ? g_variant_dup_string(v, NULL) : NULL;
}

/* parclassd, once it has probed both printers; @return its pid, or 0 with
 * the reason in @why. */
static pid_t start_daemon(char **why)
{
	g_autofree char *log = g_strdup_printf("%s/parclassd.log", dir);
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(out, 1);
		dup2(out, 2);
		execl(daemon_path, "parclassd", "--foreground", "--poll-interval", POLL_MS, (char *)NULL);
		_exit(127);
	}
	while (now() - t0 < STARTUP_S) {
		g_autofree char *p0 = device_string(ROOT "/parport0_end", "ObservedBy");
		g_autofree char *p1 = device_string(ROOT "/parport1_end", "ObservedBy");
		g_autofree char *text = NULL;

		if (!g_strcmp0(p0, "probe") && !g_strcmp0(p1, "probe"))
			return pid;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			g_file_get_contents(log, &text, NULL, NULL);
			*why = g_strdup_printf("parclassd ended at its start (status %#x): %s", status,
					       text ? g_strchomp(text) : "");
			return 0;
		}
		g_usleep(10000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	*why = g_strdup_printf("parclassd did not probe both printers within %.0f s", STARTUP_S);
	return 0;
}

/* The user and system time @pid has used so far, in seconds (0 when
 * unknown). */
static double cpu_seconds(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *text = NULL;
	unsigned long utime, stime;
	const char *after;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(after = strrchr(text, ')')))
		return 0;
	/* After "pid (comm)": state, then fields 4 to 13, then utime, stime. */
	if (sscanf(after + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
		return 0;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-service: parclassd ended with status %#x (its log: %s/parclassd.log)\n", status,
			dir);
		exit(1);
	}
}

/* ---- one round of one side ---- */

static unsigned next_random(void)
{
	static unsigned x = 20261201;

	x = x * 1103515245 + 12345;
	return x >> 8;
}

static void add(struct series *s, double v)
{
	s->v[s->n++] = v;
}

static void grants(parclass_port *port, struct figures *f)
{
	for (int i = 0; i < GRANTS; i++) {
		pid_t holder = 0;
		double t0, t;

		/* Outside the timed part: does the request meet a probe? (One
		 * that begins in the next microseconds goes uncounted.) */
		parclass_port_get_holder(port, &holder);
		t0 = now();
		if (parclass_port_allocate(port, 5000) < 0) {
			fprintf(stderr, "bench-service: no grant on parport0 within 5 s\n");
			exit(1);
		}
		t = now() - t0;
		parclass_port_free(port);
		add(&f->grant, t);
		if (holder)
			add(&f->met, t);
		usleep(next_random() % GAP_US);
	}
}

/* A whole job; counts it in f->waited when the backend had to wait for
 * the device (its "another program has it open"). */
static double job(const char *uri, const char *file, struct figures *f)
{
	g_autofree char *log = g_strdup_printf("%s/job.log", dir);
	g_autofree char *text = NULL;
	struct bench_job j;
	int err = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	double t;

	if (err < 0)
		die(log);
	bench_job_start_logged(&j, backend, uri, file, err);
	close(err);
	t = bench_job_finish(&j, NULL);
	if (g_file_get_contents(log, &text, NULL, NULL) && strstr(text, "another program has it open"))
		f->waited++;
	return t;
}

static void round_of(enum side side, parclass_port *port, const char *file, struct figures *f)
{
	pid_t pid = 0;
	double t0 = now();

	if (side == WITH) {
		g_autofree char *why = NULL;

		pid = start_daemon(&why);
		if (!pid) {
			fprintf(stderr, "bench-service: %s\n", why);
			exit(1);
		}
	}
	grants(port, f);
	add(&f->ecp, job("parclass:/dev/parport1?mode=ecp", file, f));
	for (int i = 0; i < FAST_JOBS; i++)
		add(&f->fast, job("parclass:/dev/parport0?mode=ecp", file, f));
	if (pid) {
		f->daemon_cpu_s += cpu_seconds(pid);
		f->daemon_wall_s += now() - t0;
		stop(pid);
	}
}

/* ---- the figures ---- */

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @q quantile (0.5, 0.99, 1) of @s, in milliseconds. */
static double quantile_ms(struct series *s, double q)
{
	size_t i = (size_t)(q * (double)s->n + 0.999999);

	qsort(s->v, s->n, sizeof *s->v, by_value);
	return s->n ? s->v[i ? i - 1 : 0] * 1e3 : 0;
}

static double mean_ms(const struct series *s)
{
	double sum = 0;

	for (size_t i = 0; i < s->n; i++)
		sum += s->v[i];
	return s->n ? sum / (double)s->n * 1e3 : 0;
}

/* A row: @what, the two sides, and with - without (@ratio: with / without). */
static void row(const char *what, double without, double with, bool ratio, bool skipped)
{
	printf("  %-46s %9.2f ms", what, without);
	if (skipped)
		printf(" %12s\n", "-");
	else if (ratio)
		printf(" %9.2f ms   ratio %.3f\n", with, with / without);
	else
		printf(" %9.2f ms   %+8.2f ms\n", with, with - without);
}

static void print_figures(struct figures *side, bool skipped)
{
	struct figures *o = &side[WITHOUT], *w = &side[WITH];
	char what[80];

	printf("  %-46s %12s %12s   %s\n", "", "without", "with", "with vs without");
	snprintf(what, sizeof what, "lock grant (%zu a side), median", o->grant.n);
	row(what, quantile_ms(&o->grant, 0.5), quantile_ms(&w->grant, 0.5), false, skipped);
	row("lock grant, p99", quantile_ms(&o->grant, 0.99), quantile_ms(&w->grant, 0.99), false, skipped);
	row("lock grant, worst", quantile_ms(&o->grant, 1), quantile_ms(&w->grant, 1), false, skipped);
	if (!skipped)
		printf("  %-46s %12s %9.2f ms   (%zu of %zu requests)\n", "lock grant, median when a probe held the port",
		       "", quantile_ms(&w->met, 0.5), w->met.n, w->grant.n);
	snprintf(what, sizeof what, "1 MB job at ECP 2 MB/s (%zu a side), median", o->ecp.n);
	row(what, quantile_ms(&o->ecp, 0.5), quantile_ms(&w->ecp, 0.5), true, skipped);
	row("1 MB job at ECP 2 MB/s, mean", mean_ms(&o->ecp), mean_ms(&w->ecp), true, skipped);
	snprintf(what, sizeof what, "1 MB job at full speed (%zu a side), median", o->fast.n);
	row(what, quantile_ms(&o->fast, 0.5), quantile_ms(&w->fast, 0.5), true, skipped);
	row("1 MB job at full speed, mean", mean_ms(&o->fast), mean_ms(&w->fast), true, skipped);
	row("1 MB job at full speed, worst", quantile_ms(&o->fast, 1), quantile_ms(&w->fast, 1), true, skipped);
	snprintf(what, sizeof what, "%u", w->waited);
	printf("  %-46s %12u %12s   (the backend tries again after 5 ms, doubling to 250)\n",
	       "jobs that found the device open elsewhere", o->waited, skipped ? "-" : what);
	if (!skipped)
		printf("  %-46s %12s %9.0f ms   (%.2f%% of one core over %.1f s; %.2f ms per job)\n",
		       "parclassd's CPU time (user and system)", "", w->daemon_cpu_s * 1e3,
		       w->daemon_wall_s > 0 ? w->daemon_cpu_s / w->daemon_wall_s * 100 : 0, w->daemon_wall_s,
		       w->daemon_cpu_s * 1e3 / (double)(w->ecp.n + w->fast.n));
}

int main(void)
{
	static const char *const made[] = { "bus", "bus.conf", "bus.log", "parclassd.log", "job.log" };
	static struct figures side[2];
	parclass_context *ctx;
	parclass_port *port;
	char *skip = NULL, *file;

	backend = getenv("PARCLASS_BACKEND");
	daemon_path = getenv("PARCLASS_DAEMON");
	if (!backend || !daemon_path)
		die("PARCLASS_BACKEND or PARCLASS_DAEMON is not set");
	if (!mkdtemp(dir))
		die("mkdtemp");
	printf("parclassd beside jobs: without it, and with it probing every %s ms (command: make bench)\n", POLL_MS);
	skip = start_bus();
	if (!skip) {
		pid_t pid = start_daemon(&skip);

		if (pid)
			stop(pid);
	}
	if (skip)
		printf("  with parclassd: skipped, %s\n", skip);
	else
		printf("  with: %s --foreground --poll-interval %s, on a private system bus\n", daemon_path, POLL_MS);
	printf("  %d rounds, the two sides alternating; a round: %d lock grants on parport0 (requests 0-%d ms apart),\n"
	       "  one 1 MB job at ECP 2 MB/s on parport1 (rated.model), %d at full speed on parport0 (bench.model)\n",
	       ROUNDS, GRANTS, GAP_US / 1000, FAST_JOBS);
	printf("  aim: job-time ratio <= 1.02, p99 grant latency up by <= 5 ms\n");

	if (parclass_context_new(&ctx) || parclass_port_open(ctx, "parport0", &port)) {
		fprintf(stderr, "bench-service: cannot open parport0\n");
		return 1;
	}
	parclass_port_allocate(port, 1000);  /* the one-time libieee1284 probe */
	parclass_port_free(port);
	file = bench_file(dir, "job.prn", JOB_BYTES, true);
	for (int r = 0; r < ROUNDS; r++) {
		enum side first = r % 2 ? WITH : WITHOUT;

		for (int s = 0; s < 2; s++) {
			enum side this = s ? !first : first;

			if (this == WITH && skip)
				continue;
			round_of(this, port, file, &side[this]);
		}
	}
	print_figures(side, skip != NULL);

	unlink(file);
	free(file);
	parclass_port_close(port);
	parclass_context_unref(ctx);
	g_clear_object(&bus);
	if (bus_pid) {
		kill(bus_pid, SIGTERM);
		waitpid(bus_pid, NULL, 0);
	}
	g_free(bus_address);
	g_free(skip);
	for (size_t i = 0; i < G_N_ELEMENTS(made); i++) {
		g_autofree char *path = g_strdup_printf("%s/%s", dir, made[i]);

		unlink(path);
	}
	rmdir(dir);
	return 0;
}
