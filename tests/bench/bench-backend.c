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

#include <errno.h>
#include <fcntl.h>
#include <ieee1284.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "common/pjl.h"

#define MB (1000.0 * 1000.0)
#define CHUNK 65536
#define FAST_BYTES (256u << 20)   /* a full-speed job: about a second */
#define ROUNDS 3

static const char *backend;
static char dir[] = "/tmp/parclass-bench.XXXXXX";

/* A file of @size bytes; with @pages a PJL job that asks for status and
 * has a page every 64 KiB (30 pages a second at 2 MB/s: a chatty printer),
 * so that the printer talks while it prints. */
static char *make_file(const char *name, size_t size, bool pages)
{
	static const char head[] = PJL_UEL "@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS PAGE=ON\r\n"
				   "@PJL USTATUS TIMED=1\r\n@PJL ENTER LANGUAGE=PCL\r\n";
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	char *buf = malloc(CHUNK);
	unsigned x = 12345;
	size_t done = 0;
	int fd;

	if (!path || !buf)
		die("malloc");
	sprintf(path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	while (done < size) {
		size_t n = size - done < CHUNK ? size - done : CHUNK;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			/* Page data without form feeds or escapes, a form feed every 64 KiB. */
			buf[i] = (char)('A' + (x >> 16) % 26);
			if (pages && (done + i) % 65536 == 65535)
				buf[i] = '\f';
		}
		if (pages && done == 0)
			memcpy(buf, head, sizeof head - 1);
		if (write(fd, buf, n) != (ssize_t)n)
			die("write");
		done += n;
	}
	close(fd);
	free(buf);
	return path;
}

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

/* ---- backend jobs ---- */

struct job {
	pid_t pid;
	int back;          /* our end of its back channel */
	double started;
};

static void job_start(struct job *j, const char *uri, const char *file)
{
	int back[2], side[2];

	if (pipe(back) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, side) < 0)
		die("pipe");
	j->started = now();
	j->pid = fork();
	if (j->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 2);
		dup2(back[1], 3);
		dup2(side[1], 4);
		for (int fd = 5; fd < 256; fd++)
			close(fd);
		setenv("DEVICE_URI", uri, 1);
		execl(backend, "parclass", "1", "bench", "bench", "1", "", file, (char *)NULL);
		_exit(127);
	}
	close(back[1]);
	close(side[1]);
	close(side[0]);
	j->back = back[0];
}

/* Wait for the job; @return its time, with the back channel's bytes in @back_bytes. */
static double job_finish(struct job *j, size_t *back_bytes)
{
	char buf[4096];
	ssize_t n;
	size_t total = 0;
	int status;

	while ((n = read(j->back, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			total += (size_t)n;
	close(j->back);
	if (waitpid(j->pid, &status, 0) < 0)
		die("waitpid");
	if (back_bytes)
		*back_bytes = total;
	if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 5)) {
		fprintf(stderr, "bench-backend: the backend failed (status %#x)\n", status);
		exit(1);
	}
	return now() - j->started;
}

static double job(const char *uri, const char *file, size_t *back_bytes)
{
	struct job j;

	job_start(&j, uri, file);
	return job_finish(&j, back_bytes);
}

static double best(double a, double b)
{
	return a < b ? a : b;
}

/* ---- the figures ---- */

static void bench_throughput(void)
{
	char *file = make_file("fast.prn", FAST_BYTES, false);
	char *empty = make_file("empty.prn", 0, false);
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
			whole = best(whole, job(modes[m].uri, file, NULL));
			fixed = best(fixed, job(modes[m].uri, empty, NULL));
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

	char *empty = make_file("empty.prn", 0, false);

	printf("  link utilisation (achieved / modelled rate), the printer sending PJL status all along:\n");
	for (size_t i = 0; i < 2; i++) {
		char *file = make_file("rated.prn", links[i].bytes, true);
		size_t back = 0;
		double t = job(links[i].uri, file, &back);
		double fixed = job(links[i].uri, empty, NULL);
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
	char *file = make_file("long.prn", 3000000, false);
	double sum = 0, worst = 0;
	struct job held;
	int lines = 0;
	char command[4200];

	/* Its DEBUG lines are for cupsd's log, not for the figures (the shell
	 * that redirects them costs about a millisecond). */
	snprintf(command, sizeof command, "exec '%s' 2>/dev/null", backend);
	/* A long compatibility-mode job holds parport1 meanwhile. */
	job_start(&held, "parclass:/dev/parport1?mode=compat", file);
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
	job_finish(&held, NULL);
	printf("  %-40s %6.0f ms mean, %.0f ms worst (%d printers, 4 ports, one held, one hung)\n",
	       "discovery (lpinfo -v)", sum / 10 * 1e3, worst * 1e3, lines);
	unlink(file);
	free(file);
}

static void bench_cancel(void)
{
	char *file = make_file("cancel.prn", 3000000, false);
	double sum = 0, worst = 0;

	for (int r = 0; r < 5; r++) {
		struct job j;
		double t0, t;

		job_start(&j, "parclass:/dev/parport1?mode=compat", file);
		usleep(400000);
		t0 = now();
		kill(j.pid, SIGTERM);
		job_finish(&j, NULL);
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
