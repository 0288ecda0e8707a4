/*
 * fixture.c - shared test fixtures: a private parclass-sim per test
 */
#include "config.h"

#include "fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/ppdev.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

int eventually_ms(void)
{
	const char *tool = getenv("PARCLASS_TEST_TOOL");

	return tool && !strcmp(tool, "valgrind") ? 150000 : 30000;
}

const char *eventually_ms_text(void)
{
	static char text[16];

	snprintf(text, sizeof text, "%d", eventually_ms());
	return text;
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fill_pattern(unsigned char *buf, size_t n, unsigned seed)
{
	guint32 x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
}

void remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		g_dir_close(d);
	}
	g_remove(path);
}

/* A simulator outlives no test: it dies with the test's process. */
static void die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

struct fx_sim *fx_start(const char *const *models)
{
	struct fx_sim *s = g_new0(struct fx_sim, 1);
	const char *prog = getenv("PARCLASS_SIM");
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) env = g_get_environ();
	g_autoptr(GError) error = NULL;
	GString *out = g_string_new(NULL);
	int out_fd;
	char buf[512];
	ssize_t n;

	cr_assert(prog, "PARCLASS_SIM is not set: run the tests through make check");
	s->dir = g_dir_make_tmp("parclass-test.XXXXXX", &error);
	cr_assert(s->dir, "cannot make a temporary directory: %s", error ? error->message : "?");
	s->record = g_build_filename(s->dir, "record", NULL);
	s->runtime = g_build_filename(s->dir, "run", NULL);
	setenv("PARCLASS_RUNTIME_DIR", s->runtime, 1);

	g_ptr_array_add(argv, g_strdup(prog));
	g_ptr_array_add(argv, g_strdup("--serve"));
	g_ptr_array_add(argv, g_strdup("--record"));
	g_ptr_array_add(argv, g_strdup(s->record));
	for (unsigned i = 0; models && models[i]; i++) {
		g_autofree char *name = g_strdup_printf("port%u.model", i);
		char *path = g_build_filename(s->dir, name, NULL);

		cr_assert(g_file_set_contents(path, models[i], -1, NULL));
		g_ptr_array_add(argv, g_strdup("--model"));
		g_ptr_array_add(argv, path);
	}
	g_ptr_array_add(argv, NULL);

	/* The simulator itself must not run under the emulation. */
	env = g_environ_unsetenv(env, "LD_PRELOAD");
	env = g_environ_unsetenv(env, "UMOCKDEV_DIR");
	cr_assert(g_spawn_async_with_pipes(NULL, (char **)argv->pdata, env, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
					   &s->pid, NULL, &out_fd, NULL, &error),
		  "cannot start %s: %s", prog, error ? error->message : "?");

	/* It prints its environment and closes stdout when ready. */
	while ((n = read(out_fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			g_string_append_len(out, buf, n);
	close(out_fd);

	{
		g_auto(GStrv) lines = g_strsplit(out->str, "\n", -1);

		for (char **l = lines; *l; l++) {
			if (g_str_has_prefix(*l, "export UMOCKDEV_DIR="))
				s->testbed = g_shell_unquote(*l + strlen("export UMOCKDEV_DIR="), NULL);
		}
	}
	g_string_free(out, TRUE);
	cr_assert(s->testbed, "parclass-sim did not print UMOCKDEV_DIR");
	setenv("UMOCKDEV_DIR", s->testbed, 1);
	return s;
}

struct fx_sim *fx_start1(const char *model)
{
	const char *models[] = { model, NULL };

	return fx_start(model ? models : NULL);
}

void fx_kill(struct fx_sim *s, int sig)
{
	cr_assert(s->pid > 0);
	kill(s->pid, sig);
}

void fx_stop(struct fx_sim *s)
{
	int status;

	if (!s || s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
	s->pid = 0;
	unsetenv("UMOCKDEV_DIR");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "parclass-sim ended with status %#x", status);
}

void fx_free(struct fx_sim *s)
{
	if (!s)
		return;
	fx_stop(s);
	remove_tree(s->dir);
	g_free(s->dir);
	g_free(s->record);
	g_free(s->runtime);
	g_free(s->testbed);
	g_free(s);
}

char *fx_record_read(struct fx_sim *s, const char *name, size_t *len)
{
	g_autofree char *path = g_build_filename(s->record, name, NULL);
	char *data = NULL;
	gsize n = 0;

	if (!g_file_get_contents(path, &data, &n, NULL))
		return NULL;
	if (len)
		*len = n;
	return data;
}

void fx_assert_record(struct fx_sim *s, const char *name, const void *expect, size_t n)
{
	size_t len = 0;
	g_autofree char *data = fx_record_read(s, name, &len);

	cr_assert_not_null(data, "%s was not recorded", name);
	cr_assert_eq(len, n, "%s has %zu bytes, expected %zu", name, len, n);
	cr_assert(memcmp(data, expect, n) == 0, "%s differs from what was sent", name);
}

void fx_assert_events(struct fx_sim *s, const char *expect)
{
	g_autofree char *events = fx_events(s);

	cr_assert_str_eq(events, expect);
}

GByteArray *fx_received(struct fx_sim *s, const char *device, unsigned *sessions)
{
	GByteArray *all = g_byte_array_new();
	unsigned n = 0;

	for (;; n++) {
		g_autofree char *file = g_strdup_printf("%s-%04u.prn", device, n + 1);
		size_t len = 0;
		g_autofree char *data = fx_record_read(s, file, &len);

		if (!data)
			break;
		g_byte_array_append(all, (guint8 *)data, (guint)len);
	}
	if (sessions)
		*sessions = n;
	return all;
}

char *fx_events(struct fx_sim *s)
{
	g_autofree char *raw = fx_record_read(s, "events.log", NULL);
	g_autoptr(GRegex) re = g_regex_new("pid=[0-9]+", 0, 0, NULL);

	cr_assert(raw, "no events.log");
	return g_regex_replace_literal(re, raw, -1, 0, "pid=PID", 0, NULL);
}

bool fx_events_contain(struct fx_sim *s, const char *text)
{
	g_autofree char *events = fx_events(s);

	return strstr(events, text) != NULL;
}

unsigned fx_events_count(struct fx_sim *s, const char *text)
{
	g_autofree char *events = fx_events(s);
	unsigned n = 0;

	for (const char *p = events; (p = strstr(p, text)); p += strlen(text))
		n++;
	return n;
}

void fx_await_events(struct fx_sim *s, const char *text, unsigned n)
{
	long long end = now_ms() + EVENTUALLY_MS;

	while (fx_events_count(s, text) < n) {
		if (now_ms() >= end) {
			g_autofree char *events = fx_events(s);

			cr_assert_fail("\"%s\" not %u times in the simulator's events:\n%s", text, n, events);
		}
		poll(NULL, 0, 5);
	}
}

void fx_await_event(struct fx_sim *s, const char *text)
{
	fx_await_events(s, text, 1);
}

struct fault_ender {
	struct fx_sim *sim;
	const char *text;
};

static void *end_faults(void *data)
{
	struct fault_ender *e = data;

	fx_await_event(e->sim, e->text);
	fx_kill(e->sim, SIGUSR1);
	g_free(e);
	return NULL;
}

pthread_t fx_end_faults_on(struct fx_sim *s, const char *text)
{
	struct fault_ender *e = g_new(struct fault_ender, 1);
	pthread_t t;

	e->sim = s;
	e->text = text;
	cr_assert_eq(pthread_create(&t, NULL, end_faults, e), 0);
	return t;
}

pid_t gone_pid(void)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(wait_child(pid), 0);
	return pid;
}

static bool forked;

bool fx_forked(void)
{
	return forked;
}

pid_t fork_child(int (*fn)(void *), void *data)
{
	pid_t pid = fork();

	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		forked = true;
		_exit(fn(data));
	}
	return pid;
}

int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

void sync_init(struct sync_pipe *p)
{
	cr_assert(pipe(p->fd) == 0);
}

void sync_post(struct sync_pipe *p, char c)
{
	ssize_t r;

	do
		r = write(p->fd[1], &c, 1);
	while (r < 0 && errno == EINTR);
}

int sync_wait(struct sync_pipe *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->fd[0], .events = POLLIN };
	unsigned char c;
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r != 1 || read(p->fd[0], &c, 1) != 1)
		return -1;
	return c;
}

pid_t fork_child_ready(int (*fn)(void *), void *data, struct sync_pipe *up, char ready)
{
	pid_t pid = fork_child(fn, data);
	int c = sync_wait(up, EVENTUALLY_MS);

	cr_assert_eq(c, ready, "child %d did not get ready (it said %d)", (int)pid, c);
	return pid;
}

int ppclaim_holder_main(void *data)
{
	struct sync_pipe *sp = data;
	int fd = open("/dev/parport0", O_RDWR);

	if (fd < 0 || ioctl(fd, PPCLAIM) < 0)
		return 10;
	sync_post(sp, 'c');
	pause();
	return 0;
}

int wait_child_within(pid_t pid, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= end)
			return -1;
		poll(NULL, 0, 10);
	}
}

static const char *parclassctl(void)
{
	const char *path = getenv("PARCLASSCTL");

	cr_assert(path, "PARCLASSCTL is not set: run the tests through make check");
	return path;
}

pid_t ctl_hold(const char *location, int *release)
{
	const char *argv[] = { "parclassctl", "lock", location, "--", "sh", "-c", "read line; exit 0", NULL };
	const char *path = parclassctl();
	int in[2];
	pid_t pid;

	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(in[0], 0);
		exec_args(path, argv);
		_exit(127);
	}
	close(in[0]);
	*release = in[1];
	return pid;
}

void ctl_waiters(const char *location, char *buf, size_t size)
{
	const char *argv[] = { "parclassctl", "waiters", location, NULL };
	struct proc_spec s = { .path = parclassctl(), .argv = argv };
	struct proc p;

	cr_assert_eq(proc_run(&p, &s), 0, "parclassctl waiters %s failed: %s", location, p.errtext->str);
	memset(buf, 0, size);
	if (p.outdata->len)
		memcpy(buf, p.outdata->data, MIN(size - 1, p.outdata->len));
	proc_free(&p);
}

void ctl_await_held(const char *location)
{
	long long end = now_ms() + EVENTUALLY_MS;
	char buf[256];

	for (;;) {
		ctl_waiters(location, buf, sizeof buf);
		if (strncmp(buf, "holder: pid ", 12) == 0)
			return;
		cr_assert_lt(now_ms(), end, "%s was never held: %s", location, buf);
		poll(NULL, 0, 10);
	}
}

void ctl_await_waiters(const char *location, unsigned waiters)
{
	long long end = now_ms() + EVENTUALLY_MS;
	char buf[256], expect[32];

	snprintf(expect, sizeof expect, "\nwaiters: %u\n", waiters);
	for (;;) {
		ctl_waiters(location, buf, sizeof buf);
		if (strstr(buf, expect))
			return;
		cr_assert_lt(now_ms(), end, "%s never had %u waiters: %s", location, waiters, buf);
		poll(NULL, 0, 10);
	}
}
