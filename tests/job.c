/*
 * job.c - running the CUPS backend "parclass" as cupsd runs it, for tests
 * (test-backend, test-faults)
 */
#include "config.h"

#include "job.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

const char *backend_path(void)
{
	static char path[4096];
	const char *b = getenv("PARCLASS_BUILDDIR");

	cr_assert(b, "PARCLASS_BUILDDIR is not set: run the tests through make check");
	snprintf(path, sizeof path, "%s/backend/parclass", b);
	return path;
}

/* execv() with the argument vector the tests keep as constants. */
void exec_args(const char *path, const char *const *argv)
{
	union {
		const char *const *in;
		char *const *out;
	} a = { argv };

	execv(path, a.out);
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void job_start(struct job *j, const struct spec *s)
{
	int in[2], err[2], back[2], side[2] = { -1, -1 }, master = -1, slave = -1;
	const char *argv[8] = { "parclass", "1", "tester", "test job", s->copies ? s->copies : "1", "", s->file, NULL };

	memset(j, 0, sizeof *j);
	signal(SIGPIPE, SIG_IGN);   /* a backend that stops early closes its stdin */
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(back, O_CLOEXEC), 0);
	if (s->tty) {
		/* Not openpty(): valgrind does not know its TIOCGPTPEER and says so. */
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		cr_assert_geq(master, 0);
		cr_assert_eq(grantpt(master), 0);
		cr_assert_eq(unlockpt(master), 0);
		slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
		cr_assert_geq(slave, 0);
	}
	if (!s->tty)
		cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
	if (s->channels)
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, side), 0);
	j->pid = fork();
	cr_assert_geq(j->pid, 0);
	if (j->pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(in[0], 0);
		dup2(s->tty ? slave : err[1], 2);
		dup2(s->channels ? back[1] : devnull, 3);
		dup2(s->channels ? side[1] : devnull, 4);
		if (!s->channels) {
			close(3);
			close(4);
		}
		for (int fd = 5; fd < 1024; fd++)
			close(fd);
		if (s->uri)
			setenv("DEVICE_URI", s->uri, 1);
		else
			unsetenv("DEVICE_URI");
		if (s->reasons)
			setenv("PRINTER_STATE_REASONS", s->reasons, 1);
		else
			unsetenv("PRINTER_STATE_REASONS");
		if (s->argv)
			exec_args(backend_path(), s->argv);
		else
			exec_args(backend_path(), argv);
		_exit(127);
	}
	close(in[0]);
	close(back[1]);
	if (s->tty) {
		close(slave);
		j->err = master;
	} else {
		close(err[1]);
		j->err = err[0];
	}
	if (s->channels) {
		close(side[1]);
		j->side = side[0];
	} else {
		j->side = -1;
	}
	j->in = in[1];
	j->back = back[0];
	nonblock(j->in);
	nonblock(j->err);
	nonblock(j->back);
	j->input = s->input;
	j->input_len = s->input ? s->input_len : 0;
	j->keep_stdin = s->keep_stdin;
	j->errtext = g_string_new(NULL);
	j->backdata = g_byte_array_new();
	j->status = -1;
	if (!j->input_len && !j->keep_stdin) {
		close(j->in);
		j->in = -1;
	}
}

/* Move data for up to @ms: stdin out, stderr and the back channel in. */
void job_pump(struct job *j, int ms)
{
	long long end = now_ms() + ms;

	do {
		struct pollfd p[3];
		nfds_t n = 0;
		char buf[65536];
		int left = (int)(end - now_ms());

		if (j->err >= 0)
			p[n++] = (struct pollfd){ .fd = j->err, .events = POLLIN };
		if (j->back >= 0)
			p[n++] = (struct pollfd){ .fd = j->back, .events = POLLIN };
		if (j->in >= 0 && j->input_off < j->input_len)
			p[n++] = (struct pollfd){ .fd = j->in, .events = POLLOUT };
		if (!n)
			return;
		if (poll(p, n, left < 0 ? 0 : left) <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			ssize_t r;

			if (!p[i].revents)
				continue;
			if (p[i].fd == j->in) {
				r = write(j->in, j->input + j->input_off, j->input_len - j->input_off);
				if (r > 0)
					j->input_off += (size_t)r;
				if ((r < 0 && errno != EAGAIN) || j->input_off == j->input_len) {
					if (!j->keep_stdin) {
						close(j->in);
						j->in = -1;
					}
				}
				continue;
			}
			r = read(p[i].fd, buf, sizeof buf);
			if (r > 0 && p[i].fd == j->err)
				g_string_append_len(j->errtext, buf, r);
			else if (r > 0)
				g_byte_array_append(j->backdata, (guint8 *)buf, (guint)r);
			else if (r == 0 || errno != EAGAIN) {
				close(p[i].fd);
				if (p[i].fd == j->err)
					j->err = -1;
				else
					j->back = -1;
			}
		}
	} while (now_ms() < end);
}

/* Pump until stderr shows @text. */
void job_wait_for(struct job *j, const char *text, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (!strstr(j->errtext->str, text)) {
		cr_assert_lt(now_ms(), end, "no \"%s\" within %d ms; the backend said:\n%s", text, timeout_ms,
			     j->errtext->str);
		job_pump(j, 20);
	}
}

/* Send more print data. */
void job_await_event(struct job *j, struct fx_sim *s, const char *text)
{
	long long end = now_ms() + EVENTUALLY_MS;

	while (!fx_events_contain(s, text)) {
		cr_assert_lt(now_ms(), end, "no \"%s\" in the events; the backend said:\n%s", text, j->errtext->str);
		job_pump(j, 10);
	}
}

void job_write(struct job *j, const void *data, size_t len)
{
	const char *p = data;

	while (j->input_off < j->input_len)
		job_pump(j, 10);
	while (len) {
		ssize_t r = write(j->in, p, len);

		if (r > 0) {
			p += r;
			len -= (size_t)r;
		} else {
			cr_assert(r < 0 && errno == EAGAIN, "stdin: %s", strerror(errno));
			job_pump(j, 10);
		}
	}
}

void job_close_stdin(struct job *j)
{
	if (j->in >= 0)
		close(j->in);
	j->in = -1;
}

/* Wait for the backend to exit; @return its exit status (128 + signal when killed). */
int job_finish(struct job *j, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(j->pid, &status, WNOHANG);

		if (r == j->pid)
			break;
		if (now_ms() >= end) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, &status, 0);
			cr_assert_fail("the backend did not finish within %d ms; it said:\n%s", timeout_ms,
				       j->errtext->str);
		}
		job_pump(j, 20);
	}
	j->exited_ms = now_ms();
	while (j->err >= 0 || j->back >= 0)
		job_pump(j, 100);
	if (j->in >= 0)
		close(j->in);
	if (j->side >= 0)
		close(j->side);
	j->in = j->side = -1;
	j->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return j->status;
}

void job_free(struct job *j)
{
	g_string_free(j->errtext, TRUE);
	g_byte_array_free(j->backdata, TRUE);
}

/* Run a whole job; its stderr in @err (g_free it), exit status returned. */
int run(const struct spec *s, char **err)
{
	struct job j;
	int status;

	job_start(&j, s);
	status = job_finish(&j, 2 * EVENTUALLY_MS);
	if (err)
		*err = g_strdup(j.errtext->str);
	job_free(&j);
	return status;
}
