/*
 * bench-backend - the CUPS backend's figures:
 *   - throughput of whole backend jobs against parclass-sim at full speed,
 *     side by side with a minimal libieee1284 loop on the same port;
 *   - link utilisation at realistic rates (ECP 2 MB/s, compatibility
 *     150 KB/s) while the printer sends status on the back channel;
 *   - discovery time with a port held by a job and a hung device;
 *   - how long a cancel (SIGTERM) takes.
 *
 * Run by "make bench" under parclass-sim with four ports:
 *   parport0 tests/bench/bench.model   full speed
 *   parport1 tests/bench/rated.model   ECP 2 MB/s, compatibility 150 KB/s, PJL
 *   parport2 tests/bench/hung.model    never answers negotiation in time
 *   parport3 sim/models/daisy-chain.model
 * PARCLASS_BACKEND names the backend; PARCLASS_RUNTIME_DIR is private.
 */
#include "config.h"

#include <fcntl.h>
#include <ieee1284.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench-job.h"

#define MB (1000.0 * 1000.0)
#define CHUNK 65536
#define FAST_BYTES (256u << 20)   /* a full-speed job: about a second */
#define ROUNDS 3

static const char *backend;
static char dir[] = "/tmp/parclass-bench.XXXXXX";

/* ---- the reference: a minimal libieee1284 loop ---- */

static double ieee1284_loop(int number, const char *file, size_t size, bool ecp)
{
	struct parport_list list;
	struct parport *port;
	static char buf[CHUNK];
	int caps, fd;
	size_t sent = 0;
	double t0, t;

	if (ieee1284_find_ports(&list, 0) != E1284_OK || list.portc <= number)
		die("ieee1284_find_ports");
	port = list.portv[number];
	if (ieee1284_open(port, 0, &caps) != E1284_OK || ieee1284_claim(port) != E1284_OK)
		die("ieee1284_open");
	fd = open(file, O_RDONLY);
	if (fd < 0)
		die(file);
	t0 = now();
	if (ecp && ieee1284_negotiate(port, M1284_ECP) != E1284_OK)
		die("ECP negotiation");
	while (sent < size) {
		ssize_t n = read(fd, buf, sizeof buf);

		for (ssize_t off = 0; off < n;) {
			ssize_t w = ecp ? ieee1284_ecp_write_data(port, 0, buf + off, (size_t)(n - off))
					: ieee1284_compat_write(port, 0, buf + off, (size_t)(n - off));

			if (w < 0)
				die("write");
			off += w;
		}
		if (n <= 0)
			die("read");
		sent += (size_t)n;
	}
	ieee1284_terminate(port);
	t = now() - t0;
	close(fd);
	ieee1284_release(port);
	ieee1284_close(port);
	ieee1284_free_ports(&list);
	return t;
}

static double best(double a, double b)
{
	return a < b ? a : b;
}

/* ---- the figures ---- */

static void bench_throughput(void)
{
	char *file = bench_file(dir, "fast.prn", FAST_BYTES, false);
	char *empty = bench_file(dir, "empty.prn", 0, false);
	static const struct {
		const char *name, *uri;
		bool ecp;
	} modes[] = {
		{ "ECP", "parclass:/dev/parport0?mode=ecp", true },
		{ "compatibility", "parclass:/dev/parport0?mode=compat", false },
	};

	printf("  full speed, %u MiB jobs, best of %d:\n", FAST_BYTES >> 20, ROUNDS);
	for (size_t m = 0; m < 2; m++) {
		double loop = 1e9, whole = 1e9, fixed = 1e9;

		for (int r = 0; r < ROUNDS; r++) {
			loop = best(loop, ieee1284_loop(0, file, FAST_BYTES, modes[m].ecp));
			whole = best(whole, bench_job(backend, modes[m].uri, file, NULL));
			fixed = best(fixed, bench_job(backend, modes[m].uri, empty, NULL));
		}
		printf("    %-14s libieee1284 loop %6.1f MB/s, backend job %6.1f MB/s: ratio %.3f"
		       " (%.3f without its %.0f ms start and finish)\n",
		       modes[m].name, FAST_BYTES / loop / MB, FAST_BYTES / whole / MB, loop / whole,
		       loop / (whole - fixed), fixed * 1e3);
	}
	unlink(file);
	unlink(empty);
	free(file);
	free(empty);
}

static void bench_utilisation(void)
{
	static const struct {
		const char *name, *uri;
		double rate;
		size_t bytes;
		bool ecp;
	} links[] = {
		{ "ECP 2 MB/s", "parclass:/dev/parport1?mode=ecp", 2e6, 8000000, true },
		{ "compatibility 150 KB/s", "parclass:/dev/parport1?mode=compat", 150e3, 900000, false },
	};

	char *empty = bench_file(dir, "empty.prn", 0, false);

	printf("  link utilisation (achieved / modelled rate), the printer sending PJL status all along:\n");
	for (size_t i = 0; i < 2; i++) {
		char *file = bench_file(dir, "rated.prn", links[i].bytes, true);
		size_t back = 0;
		double t = bench_job(backend, links[i].uri, file, &back);
		double fixed = bench_job(backend, links[i].uri, empty, NULL);
		double loop = ieee1284_loop(1, file, links[i].bytes, links[i].ecp);

		printf("    %-24s backend %.3f while streaming, %.3f for the whole job (%.0f ms start and finish;"
		       " %zu status bytes back in %.1f s); libieee1284 loop %.3f, no back channel\n",
		       links[i].name, links[i].bytes / (t - fixed) / links[i].rate, links[i].bytes / t / links[i].rate,
		       fixed * 1e3, back, t, links[i].bytes / loop / links[i].rate);
		unlink(file);
		free(file);
	}
	unlink(empty);
	free(empty);
}

static void bench_discovery(void)
{
	char *file = bench_file(dir, "long.prn", 3000000, false);
	double sum = 0, worst = 0;
	struct bench_job held;
	int lines = 0;
	char command[4200];

	/* Its DEBUG lines are for cupsd's log, not for the figures (the shell
	 * that redirects them costs about a millisecond). */
	snprintf(command, sizeof command, "exec '%s' 2>/dev/null", backend);
	/* A long compatibility-mode job holds parport1 meanwhile. */
	bench_job_start(&held, backend, "parclass:/dev/parport1?mode=compat", file);
	usleep(500000);
	for (int r = 0; r < 10; r++) {
		char buf[4096];
		double t0 = now(), t;
		FILE *p = popen(command, "r");

		if (!p)
			die("popen");
		lines = 0;
		while (fgets(buf, sizeof buf, p))
			lines++;
		if (pclose(p) != 0)
			die("discovery");
		t = now() - t0;
		sum += t;
		worst = t > worst ? t : worst;
	}
	kill(held.pid, SIGTERM);
	bench_job_finish(&held, NULL);
	printf("  %-40s %6.0f ms mean, %.0f ms worst (%d printers, 4 ports, one held, one hung)\n",
	       "discovery (lpinfo -v)", sum / 10 * 1e3, worst * 1e3, lines);
	unlink(file);
	free(file);
}

static void bench_cancel(void)
{
	char *file = bench_file(dir, "cancel.prn", 3000000, false);
	double sum = 0, worst = 0;

	for (int r = 0; r < 5; r++) {
		struct bench_job j;
		double t0, t;

		bench_job_start(&j, backend, "parclass:/dev/parport1?mode=compat", file);
		usleep(400000);
		t0 = now();
		kill(j.pid, SIGTERM);
		bench_job_finish(&j, NULL);
		t = now() - t0;
		sum += t;
		worst = t > worst ? t : worst;
	}
	printf("  %-40s %6.0f ms mean, %.0f ms worst (SIGTERM to exit, mid-job)\n", "cancel", sum / 5 * 1e3,
	       worst * 1e3);
	unlink(file);
	free(file);
}

int main(void)
{
	backend = getenv("PARCLASS_BACKEND");
	if (!backend)
		die("PARCLASS_BACKEND is not set");
	if (!mkdtemp(dir))
		die("mkdtemp");
	printf("the parclass backend (command: make bench)\n");
	bench_throughput();
	bench_utilisation();
	bench_discovery();
	bench_cancel();
	rmdir(dir);
	return 0;
}
