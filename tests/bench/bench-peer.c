/*
 * bench-peer - Debian's cups-filters "parallel" backend (through the lp
 * driver on /dev/lpN) beside the parclass backend (through ppdev on
 * /dev/parportN), on the same printer model in the same run:
 *   1. whole-job throughput at full speed, compatibility 150 KB/s, ECP 2 MB/s;
 *   2. CPU seconds per MB of the backend process;
 *   3. SIGTERM to exit, mid-job, the job coming on stdin from an open pipe;
 *   4. what each tells cupsd (STATE:, ATTR:, INFO:, ERROR: lines) before,
 *      during and after a paper-out that ends by itself;
 *   5. bytes lost or duplicated across that paper-out;
 *   6. the exit status when the port goes away mid-job.
 *
 * Run by "make bench" under parclass-sim --record DIR with seven ports, each
 * with the lp driver bound (lp-driver=true):
 *   parport0 tests/bench/peer-fast.model    full speed, ECP hardware
 *   parport1 tests/bench/peer-compat.model  compatibility 150 KB/s, no ECP
 *   parport2 tests/bench/peer-ecp.model     ECP 2 MB/s, ECP hardware
 *   parport3, 4 tests/bench/peer-paper.model  paper out after 256 KiB, 3 s
 *   parport5, 6 tests/bench/peer-gone.model   the port goes after 256 KiB
 * Its argument is the record directory. PARCLASS_BACKEND names the parclass
 * backend; PARCLASS_PEER_BACKEND the parallel backend (default
 * /usr/lib/cups/backend/parallel).
 *
 * Every wait is bounded: a job that overruns is killed and its row says so.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench-job.h"

#define MB (1000.0 * 1000.0)
#define ROUNDS 3
#define FAST_BYTES (16u << 20)
#define COMPAT_BYTES 300000u
#define ECP_BYTES 4000000u
#define FAULT_BYTES (1u << 20)
#define JOB_LIMIT 60.0          /* seconds any one job may take */
#define TERM_LIMIT 12.0         /* seconds after SIGTERM before SIGKILL */
#define GONE_LIMIT 25.0         /* seconds for the jobs whose port goes */
#define LINES_MAX 600           /* characters of status lines kept per phase */

enum { PARALLEL, PARCLASS, NBACKENDS };

static const char *backends[NBACKENDS];
static const char *const names[NBACKENDS] = { "parallel", "parclass" };
static const char *record;
static char dir[] = "/tmp/parclass-bench-peer.XXXXXX";

/* What one run of a backend showed. */
struct run {
	pid_t pid;
	int err;                    /* its stderr, our end */
	int in;                     /* its stdin when we feed it, our end, else -1 */
	double started, ended;
	int status;
	struct rusage ru;
	bool killed;                /* overran its limit */
	/* stderr: the unfinished line, and the status lines per fault phase
	 * (0 before the fault, 1 during it, 2 after it) */
	char partial[4096];
	size_t partial_len;
	char lines[3][LINES_MAX];
	int phase;
	/* the fault watched in the events log: "parportN fault " */
	char fault_tag[32];
	long events_off;
};

static char *uri_of(int b, int port, const char *mode)
{
	char *uri;

	if (b == PARALLEL) {
		if (asprintf(&uri, "parallel:/dev/lp%d", port) < 0)
			die("asprintf");
	} else if (asprintf(&uri, "parclass:/dev/parport%d%s%s", port, mode ? "?mode=" : "", mode ? mode : "") < 0) {
		die("asprintf");
	}
	return uri;
}

/* Start backend @b for @uri on @file, or (NULL) on a pipe we keep for its stdin. */
static void run_start(struct run *r, int b, const char *uri, const char *file)
{
	int err[2], in[2] = { -1, -1 };

	memset(r, 0, sizeof *r);
	r->in = -1;
	if (pipe(err) < 0 || (!file && pipe(in) < 0))
		die("pipe");
	setenv("DEVICE_URI", uri, 1);
	r->started = now();
	r->pid = fork();
	if (r->pid < 0)
		die("fork");
	if (r->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(file ? null : in[0], 0);
		dup2(err[1], 2);
		/* As the parallel backend's manual use asks (parclass-sim(1)):
		 * no back channel reader, no side channel. */
		dup2(null, 3);
		dup2(null, 4);
		for (int fd = 5; fd < 256; fd++)
			close(fd);
		if (file)
			execl(backends[b], names[b], "1", "bench", "bench", "1", "", file, (char *)NULL);
		else
			execl(backends[b], names[b], "1", "bench", "bench", "1", "", (char *)NULL);
		_exit(127);
	}
	close(err[1]);
	r->err = err[0];
	fcntl(r->err, F_SETFL, O_NONBLOCK);
	if (!file) {
		close(in[0]);
		r->in = in[1];
		fcntl(r->in, F_SETFL, O_NONBLOCK);
	}
}

/* Keep a status line for the current phase (repeats of the last one dropped). */
static void keep_line(struct run *r, const char *line)
{
	static const char *const kinds[] = { "STATE:", "ATTR:", "INFO:", "ERROR:", "WARNING:" };
	char *buf = r->lines[r->phase];
	size_t have = strlen(buf), n = strlen(line);
	bool wanted = false;

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		wanted |= strncmp(line, kinds[i], strlen(kinds[i])) == 0;
	if (!wanted)
		return;
	if (have >= n && strcmp(buf + have - n, line) == 0)
		return;
	if (have + n + 4 >= LINES_MAX) {
		if (have + 4 < LINES_MAX && strcmp(buf + have - 3, "...") != 0)
			strcat(buf, " ...");
		return;
	}
	if (have)
		strcat(buf, " | ");
	strcat(buf, line);
}

static void read_stderr(struct run *r)
{
	ssize_t n;

	while ((n = read(r->err, r->partial + r->partial_len, sizeof r->partial - 1 - r->partial_len)) > 0) {
		char *start = r->partial, *nl;

		r->partial_len += (size_t)n;
		r->partial[r->partial_len] = '\0';
		while ((nl = strchr(start, '\n'))) {
			*nl = '\0';
			keep_line(r, start);
			start = nl + 1;
		}
		r->partial_len -= (size_t)(start - r->partial);
		memmove(r->partial, start, r->partial_len);
		if (r->partial_len == sizeof r->partial - 1)
			r->partial_len = 0;     /* a line too long to care about */
	}
}

/* Follow the fault's begin and end lines in the simulator's events log. */
static void read_events(struct run *r)
{
	char path[4200], line[512];
	FILE *f;

	if (!r->fault_tag[0])
		return;
	snprintf(path, sizeof path, "%s/events.log", record);
	f = fopen(path, "r");
	if (!f)
		return;
	fseek(f, r->events_off, SEEK_SET);
	while (fgets(line, sizeof line, f) && strchr(line, '\n')) {
		r->events_off = ftell(f);
		if (strncmp(line, r->fault_tag, strlen(r->fault_tag)) != 0)
			continue;
		if (strstr(line, " begin ") && r->phase == 0)
			r->phase = 1;
		else if (strstr(line, " end") && r->phase == 1)
			r->phase = 2;
	}
	fclose(f);
}

/* One look at the run: @return whether it ended (or, past @deadline, was killed). */
static bool run_poll(struct run *r, double deadline)
{
	pid_t p = wait4(r->pid, &r->status, WNOHANG, &r->ru);

	if (p < 0)
		die("wait4");
	read_events(r);
	read_stderr(r);
	if (p != r->pid && now() > deadline) {
		kill(r->pid, SIGKILL);
		if (wait4(r->pid, &r->status, 0, &r->ru) < 0)
			die("wait4");
		r->killed = true;
	} else if (p != r->pid) {
		return false;
	}
	r->ended = now();
	read_stderr(r);
	close(r->err);
	if (r->in >= 0)
		close(r->in);
	r->in = -1;
	return true;
}

/* Wait for the run, at most @limit seconds from now; then kill it. */
static void run_wait(struct run *r, double limit)
{
	double deadline = now() + limit;

	while (!run_poll(r, deadline))
		usleep(10000);
}

static double cpu(const struct run *r)
{
	return (double)r->ru.ru_utime.tv_sec + r->ru.ru_utime.tv_usec / 1e6 + (double)r->ru.ru_stime.tv_sec +
	       r->ru.ru_stime.tv_usec / 1e6;
}

/* "exit 0", "signal 9", "killed after 60 s" */
static const char *how(const struct run *r, char *buf, size_t size)
{
	if (r->killed)
		snprintf(buf, size, "overran, killed");
	else if (WIFEXITED(r->status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(r->status));
	else
		snprintf(buf, size, "signal %d", WTERMSIG(r->status));
	return buf;
}

static bool run_ok(const struct run *r)
{
	return !r->killed && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The number of lines in the events log that start with @start and contain @has. */
static int count_events(const char *start, const char *has)
{
	char path[4200], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/events.log", record);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		n += strncmp(line, start, strlen(start)) == 0 && strstr(line, has) != NULL;
	fclose(f);
	return n;
}

/* The number of "parportN negotiate ecp accepted" lines in the events log so
 * far, to tell which mode lp wrote in. */
static int ecp_negotiations(int port)
{
	char want[64];

	snprintf(want, sizeof want, "parport%d negotiate ecp accepted", port);
	return count_events(want, "");
}

/* ---- 1, 2: throughput and CPU ---- */

struct speed {
	double mbs;                 /* median MB/s, < 0: failed */
	double cpu_mb;              /* CPU s per MB, median */
	char why[80];
	char mode[80];              /* parclass's "Printing on ... mode" line */
};

/* "in compatibility mode" from a line "INFO: Printing on LPT1 in compatibility
 * mode, ..." among @lines, else "mode not said". */
static void mode_of(char *buf, size_t size, const char *lines)
{
	const char *p = strstr(lines, "INFO: Printing on "), *in, *end;

	in = p ? strstr(p, " in ") : NULL;
	end = in ? strstr(in, " mode") : NULL;
	if (!end)
		snprintf(buf, size, "mode not said");
	else
		snprintf(buf, size, "%.*s", (int)(end + 5 - in - 1), in + 1);
}

static void jobs(struct speed *s, int b, int port, const char *mode, const char *file, size_t bytes)
{
	double t[ROUNDS], c[ROUNDS];
	char *uri = uri_of(b, port, mode);

	s->why[0] = '\0';
	snprintf(s->mode, sizeof s->mode, "not measured");
	for (int i = 0; i < ROUNDS; i++) {
		struct run r;
		char buf[40];

		run_start(&r, b, uri, file);
		run_wait(&r, JOB_LIMIT);
		if (!run_ok(&r)) {
			snprintf(s->why, sizeof s->why, "job %d: %s", i + 1, how(&r, buf, sizeof buf));
			s->mbs = -1;
			free(uri);
			return;
		}
		t[i] = r.ended - r.started;
		c[i] = cpu(&r);
		mode_of(s->mode, sizeof s->mode, r.lines[0]);
	}
	qsort(t, ROUNDS, sizeof t[0], cmp_double);
	qsort(c, ROUNDS, sizeof c[0], cmp_double);
	s->mbs = bytes / t[ROUNDS / 2] / MB;
	s->cpu_mb = c[ROUNDS / 2] / (bytes / MB);
	free(uri);
}

static void cell_mbs(char *buf, size_t size, const struct speed *s)
{
	if (s->mbs < 0)
		snprintf(buf, size, "failed: %s", s->why);
	else
		snprintf(buf, size, "%.3f MB/s", s->mbs);
}

static void cell_cpu(char *buf, size_t size, const struct speed *s)
{
	if (s->mbs < 0)
		snprintf(buf, size, "failed: %s", s->why);
	else
		snprintf(buf, size, "%.4f s/MB", s->cpu_mb);
}

static void row(const char *what, const char *a, const char *b)
{
	printf("  %-34s %-42s %s\n", what, a, b);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("  %-34s ", "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void bench_speed(void)
{
	static const struct {
		const char *name;
		int port;
		const char *mode;       /* parclass's */
		size_t bytes;
	} links[] = {
		{ "full speed", 0, NULL, FAST_BYTES },
		{ "compatibility 150 KB/s", 1, "compat", COMPAT_BYTES },
		{ "ECP 2 MB/s", 2, "ecp", ECP_BYTES },
	};
	struct speed s[3][NBACKENDS];
	int lp_ecp[3];

	for (size_t l = 0; l < 3; l++) {
		char *file = bench_file(dir, "speed.prn", links[l].bytes, false);
		int before = ecp_negotiations(links[l].port);

		jobs(&s[l][PARALLEL], PARALLEL, links[l].port, NULL, file, links[l].bytes);
		lp_ecp[l] = ecp_negotiations(links[l].port) - before;
		jobs(&s[l][PARCLASS], PARCLASS, links[l].port, links[l].mode, file, links[l].bytes);
		unlink(file);
		free(file);
	}
	printf("  1. whole-job throughput, median of %d jobs (%u MiB, %u KB, %u MB):\n", ROUNDS, FAST_BYTES >> 20,
	       COMPAT_BYTES / 1000, ECP_BYTES / 1000000);
	for (size_t l = 0; l < 3; l++) {
		char a[120], b[120];

		cell_mbs(a, sizeof a, &s[l][PARALLEL]);
		cell_mbs(b, sizeof b, &s[l][PARCLASS]);
		row(links[l].name, a, b);
		note("%s (%d ECP negotiations by lp in its %d jobs); parclass mode=%s: %s", lp_ecp[l] > 0
		     ? "lp wrote in ECP" : "lp wrote in compatibility mode", lp_ecp[l], ROUNDS,
		     links[l].mode ? links[l].mode : "(none)", s[l][PARCLASS].mode);
	}
	printf("  2. CPU time (user+system) of the backend process per MB, median:\n");
	for (size_t l = 0; l < 3; l++) {
		char a[120], b[120];

		cell_cpu(a, sizeof a, &s[l][PARALLEL]);
		cell_cpu(b, sizeof b, &s[l][PARCLASS]);
		row(links[l].name, a, b);
	}
}

/* ---- 3: cancel ---- */

static void bench_cancel(void)
{
	char cells[NBACKENDS][160];
	char closed[NBACKENDS][120];

	for (int b = 0; b < NBACKENDS; b++) {
		char *uri = uri_of(b, 1, b == PARCLASS ? "compat" : NULL);
		static char chunk[65536];
		double t[ROUNDS];
		int killed = 0;

		memset(chunk, 'A', sizeof chunk);
		closed[b][0] = '\0';
		for (int i = 0; i < ROUNDS; i++) {
			struct run r;
			double t0, t1;
			char buf[40];

			run_start(&r, b, uri, NULL);
			/* What the pipe takes, about 0.4 s at 150 KB/s; the pipe stays open. */
			while (write(r.in, chunk, sizeof chunk) > 0)
				;
			usleep(300000);
			t0 = now();
			kill(r.pid, SIGTERM);
			run_wait(&r, TERM_LIMIT);
			t1 = r.ended;
			if (r.killed) {
				/* Did it wait for its stdin to end? Close it and see. */
				killed++;
				run_start(&r, b, uri, NULL);
				while (write(r.in, chunk, sizeof chunk) > 0)
					;
				usleep(300000);
				kill(r.pid, SIGTERM);
				usleep(500000);
				if (waitpid(r.pid, NULL, WNOHANG) == 0) {
					close(r.in);
					r.in = -1;
					t0 = now();
					run_wait(&r, TERM_LIMIT);
					snprintf(closed[b], sizeof closed[b],
						 "still running 0.5 s after SIGTERM; its stdin closed then: %s %.0f ms later",
						 how(&r, buf, sizeof buf), (r.ended - t0) * 1e3);
				} else {
					run_wait(&r, 1);
				}
				break;
			}
			t[i] = t1 - t0;
			snprintf(cells[b], sizeof cells[b], "%s", how(&r, buf, sizeof buf));
		}
		if (killed)
			snprintf(cells[b], sizeof cells[b], "no exit in %.0f s, killed", TERM_LIMIT);
		else {
			char st[40];

			snprintf(st, sizeof st, "%s", cells[b]);
			qsort(t, ROUNDS, sizeof t[0], cmp_double);
			snprintf(cells[b], sizeof cells[b], "%.0f ms (%s)", t[ROUNDS / 2] * 1e3, st);
		}
		free(uri);
	}
	printf("  3. SIGTERM to exit mid-job, job on stdin from a pipe kept open (compatibility 150 KB/s), median of %d:\n",
	       ROUNDS);
	row("cancel", cells[PARALLEL], cells[PARCLASS]);
	for (int b = 0; b < NBACKENDS; b++)
		if (closed[b][0])
			note("%s: %s", names[b], closed[b]);
}

/* ---- 4, 5: paper out ---- */

/* The .prn files of parportN in order, as one malloc'd buffer. */
static char *recorded(int port, size_t *len)
{
	char prefix[32], path[4400];
	struct dirent **names_;
	char *all = NULL;
	int n;

	*len = 0;
	snprintf(prefix, sizeof prefix, "parport%d-", port);
	n = scandir(record, &names_, NULL, alphasort);
	if (n < 0)
		die(record);
	for (int i = 0; i < n; i++) {
		const char *name = names_[i]->d_name;
		struct stat st;
		FILE *f;

		if (strncmp(name, prefix, strlen(prefix)) == 0 && strstr(name, ".prn")) {
			snprintf(path, sizeof path, "%s/%s", record, name);
			if (stat(path, &st) == 0 && (f = fopen(path, "r"))) {
				all = realloc(all, *len + (size_t)st.st_size + 1);
				if (!all)
					die("realloc");
				*len += fread(all + *len, 1, (size_t)st.st_size, f);
				fclose(f);
			}
		}
		free(names_[i]);
	}
	free(names_);
	return all;
}

/* Lost and extra bytes of @got against @want: what is left between their
 * common start and common end. */
static void compare(const char *want, size_t wlen, const char *got, size_t glen, char *buf, size_t size)
{
	size_t pre = 0, suf = 0, lost, extra;

	while (pre < wlen && pre < glen && want[pre] == got[pre])
		pre++;
	while (suf < wlen - pre && suf < glen - pre && want[wlen - 1 - suf] == got[glen - 1 - suf])
		suf++;
	lost = wlen - pre - suf;
	extra = glen - pre - suf;
	if (!lost && !extra) {
		snprintf(buf, size, "0 lost, 0 duplicated (%zu of %zu bytes)", glen, wlen);
		return;
	}
	/* Extra bytes that repeat the ones before them are duplicates. */
	if (extra && extra <= pre && memcmp(got + pre, got + pre - extra, extra) == 0 && !lost)
		snprintf(buf, size, "%zu duplicated at %zu (%zu of %zu bytes)", extra, pre, glen, wlen);
	else
		snprintf(buf, size, "%zu lost, %zu wrong or extra from %zu (%zu of %zu bytes)", lost, extra, pre, glen,
			 wlen);
}

static void bench_paper(void)
{
	char *file = bench_file(dir, "paper.prn", FAULT_BYTES, false);
	struct run r[NBACKENDS];
	char bytes[NBACKENDS][160], exits[NBACKENDS][80];
	size_t wlen = FAULT_BYTES;
	char *want = malloc(wlen);
	FILE *f = fopen(file, "r");

	if (!want || !f || fread(want, 1, wlen, f) != wlen)
		die(file);
	fclose(f);
	for (int b = 0; b < NBACKENDS; b++) {
		int port = 3 + b;
		char *uri = uri_of(b, port, NULL);
		size_t glen;
		char *got, buf[40];

		run_start(&r[b], b, uri, file);
		snprintf(r[b].fault_tag, sizeof r[b].fault_tag, "parport%d fault ", port);
		run_wait(&r[b], JOB_LIMIT);
		got = recorded(port, &glen);
		compare(want, wlen, got ? got : "", glen, bytes[b], sizeof bytes[b]);
		snprintf(exits[b], sizeof exits[b], "%s after %.1f s", how(&r[b], buf, sizeof buf),
			 r[b].ended - r[b].started);
		free(got);
		free(uri);
	}
	printf("  4. status lines (repeats dropped) around a paper-out after 256 KiB of a 1 MiB job that lasts 3 s:\n");
	row("job", exits[PARALLEL], exits[PARCLASS]);
	for (int phase = 0; phase < 3; phase++) {
		static const char *const when[] = { "before", "during", "after" };

		for (int b = 0; b < NBACKENDS; b++)
			printf("  %-34s %s: %s\n", b == 0 ? when[phase] : "", names[b],
			       r[b].lines[phase][0] ? r[b].lines[phase] : "(nothing)");
	}
	note("lp's 10 s error sleeps on parport3: %d; lp in its default mode: blocking, no LPABORT", count_events(
	     "parport3 release lp3 ", "(error sleep)"));
	note("(cups-filters 1.28.17 backend/parallel.c makes no ioctl; no O_NONBLOCK)");
	note("before/during/after: as the simulator's events log showed the fault begin and end");
	printf("  5. bytes across that paper-out (the recorded .prn files against the job):\n");
	row("bytes", bytes[PARALLEL], bytes[PARCLASS]);
	unlink(file);
	free(file);
	free(want);
}

/* ---- 6: the port goes ---- */

/* Both jobs at once, one on each port, until the simulator takes both ports
 * away (SIGUSR2) a second into them. */
static void bench_gone(void)
{
	char *file = bench_file(dir, "gone.prn", FAULT_BYTES, false);
	const char *sim = getenv("PARCLASS_SIM_PID");
	struct run r[NBACKENDS];
	double deadline;

	if (!sim) {
		printf("  6. exit status when the port goes: not measured, PARCLASS_SIM_PID is not set\n");
		goto out;
	}
	for (int b = 0; b < NBACKENDS; b++) {
		char *uri = uri_of(b, 5 + b, NULL);

		run_start(&r[b], b, uri, file);
		free(uri);
	}
	usleep(1000000);
	kill((pid_t)atol(sim), SIGUSR2);
	deadline = now() + GONE_LIMIT;
	for (bool done[NBACKENDS] = { false }; !done[PARALLEL] || !done[PARCLASS]; usleep(10000))
		for (int b = 0; b < NBACKENDS; b++)
			done[b] = done[b] || run_poll(&r[b], deadline);
	printf("  6. exit status when the port goes away (SIGUSR2 to the simulator) 1 s into a 1 MiB job at 150 KB/s:\n");
	for (int b = 0; b < NBACKENDS; b++) {
		char buf[40], cell[120];
		size_t glen;
		char *got = recorded(5 + b, &glen);

		snprintf(cell, sizeof cell, "%s after %.1f s, printer got %zu of %u bytes", how(&r[b], buf, sizeof buf),
			 r[b].ended - r[b].started, glen, FAULT_BYTES);
		printf("  %-34s %s: %s\n", b == 0 ? "exit" : "", names[b], cell);
		free(got);
	}
	for (int b = 0; b < NBACKENDS; b++)
		note("%s said: %s", names[b], r[b].lines[0][0] ? r[b].lines[0] : "(nothing)");
	note("lp's 10 s error sleeps on parport5 meanwhile: %d (the events log's \"release lp5 ... (error sleep)\")",
	     count_events("parport5 release lp5 ", "(error sleep)"));
out:
	unlink(file);
	free(file);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s RECORD-DIR (run under parclass-sim --record RECORD-DIR)\n", argv[0]);
		return 2;
	}
	record = argv[1];
	backends[PARCLASS] = getenv("PARCLASS_BACKEND");
	backends[PARALLEL] = getenv("PARCLASS_PEER_BACKEND");
	if (!backends[PARALLEL])
		backends[PARALLEL] = "/usr/lib/cups/backend/parallel";
	if (!backends[PARCLASS])
		die("PARCLASS_BACKEND is not set");
	if (access(backends[PARALLEL], X_OK) != 0) {
		printf("the parallel backend beside parclass: skipped, %s: %s\n", backends[PARALLEL], strerror(errno));
		return 0;
	}
	if (!mkdtemp(dir))
		die("mkdtemp");
	signal(SIGPIPE, SIG_IGN);
	printf("Debian's parallel backend (%s, via /dev/lpN) beside parclass (via /dev/parportN), same printer"
	       " (command: make bench)\n", backends[PARALLEL]);
	printf("  %-34s %-42s %s\n", "", "parallel", "parclass");
	bench_speed();
	bench_cancel();
	bench_paper();
	bench_gone();
	rmdir(dir);
	return 0;
}
