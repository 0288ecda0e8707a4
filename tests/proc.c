/*
 * proc.c - running a program under test in a process of its own (see proc.h)
 */
#include "config.h"

#include "proc.h"

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

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* In the child: @from as fd @to. (Out of the way first, so that an @from
 * that happens to be @to loses its close-on-exec flag too.) */
static void give(int from, int to)
{
	int fd = fcntl(from, F_DUPFD, 16);

	dup2(fd, to);
}

static void set_env(const char *const *env)
{
	for (const char *const *e = env; e && *e; e++) {
		const char *eq = strchr(*e, '=');

		if (eq) {
			g_autofree char *name = g_strndup(*e, (gsize)(eq - *e));

			setenv(name, eq + 1, 1);
		} else {
			unsetenv(*e);
		}
	}
}

void exec_args(const char *path, const char *const *argv)
{
	union {
		const char *const *in;
		char *const *out;
	} a = { argv };

	execv(path, a.out);
}

void proc_start(struct proc *p, const struct proc_spec *s)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, back[2] = { -1, -1 };
	int side[2] = { -1, -1 }, master = -1, slave = -1;
	bool back_to = s->back == PROC_BACK_TO;

	memset(p, 0, sizeof *p);
	cr_assert(s->path, "no program to run");
	signal(SIGPIPE, SIG_IGN);   /* a program that stops early closes its stdin */
	if (s->stdin_fd <= 0)
		cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	if (s->stdout_fd <= 0)
		cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	if (s->back != PROC_BACK_NONE && s->back_fd <= 0)
		cr_assert_eq(pipe2(back, O_CLOEXEC), 0);
	if (s->tty) {
		/* Not openpty(): valgrind does not know its TIOCGPTPEER and says so. */
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		cr_assert_geq(master, 0);
		cr_assert_eq(grantpt(master), 0);
		cr_assert_eq(unlockpt(master), 0);
		slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
		cr_assert_geq(slave, 0);
	} else {
		cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
	}
	if (s->side)
		cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, side), 0);
	p->pid = fork();
	cr_assert_geq(p->pid, 0);
	if (p->pid == 0) {
		give(s->stdin_fd > 0 ? s->stdin_fd : in[0], 0);
		give(s->stdout_fd > 0 ? s->stdout_fd : out[1], 1);
		give(s->tty ? slave : err[1], 2);
		if (s->back == PROC_BACK_NONE)
			close(3);
		else
			give(s->back_fd > 0 ? s->back_fd : back_to ? back[0] : back[1], 3);
		if (s->side)
			give(side[1], 4);
		else
			close(4);
		for (int fd = 5; fd < 1024; fd++)
			close(fd);
		set_env(s->env);
		exec_args(s->path, s->argv);
		_exit(127);
	}
	p->name = g_path_get_basename(s->path);
	p->in = in[1];
	close_fd(in[0]);
	p->out = out[0];
	close_fd(out[1]);
	if (s->tty) {
		close(slave);
		p->err = master;
	} else {
		close(err[1]);
		p->err = err[0];
	}
	p->back = back_to ? back[1] : back[0];
	close_fd(back_to ? back[0] : back[1]);
	p->back_to = back_to;
	p->side = side[0];
	close_fd(side[1]);
	if (p->in >= 0)
		nonblock(p->in);
	if (p->out >= 0)
		nonblock(p->out);
	nonblock(p->err);
	if (p->back >= 0 && !back_to)
		nonblock(p->back);
	p->input = s->input;
	p->input_len = s->input ? s->input_len : 0;
	p->keep_stdin = s->keep_stdin;
	p->outdata = g_byte_array_new();
	p->errtext = g_string_new(NULL);
	p->backdata = g_byte_array_new();
	p->status = -1;
	if (!p->input_len && !p->keep_stdin)
		proc_close_stdin(p);
}

static void end_of(struct proc *p, int fd)
{
	close(fd);
	if (fd == p->out)
		p->out = -1;
	else if (fd == p->err)
		p->err = -1;
	else
		p->back = -1;
}

void proc_pump(struct proc *p, int ms)
{
	long long end = now_ms() + ms;

	do {
		struct pollfd fds[4];
		nfds_t n = 0;
		char buf[65536];
		int left = (int)(end - now_ms());

		if (p->out >= 0)
			fds[n++] = (struct pollfd){ .fd = p->out, .events = POLLIN };
		if (p->err >= 0)
			fds[n++] = (struct pollfd){ .fd = p->err, .events = POLLIN };
		if (p->back >= 0 && !p->back_to)
			fds[n++] = (struct pollfd){ .fd = p->back, .events = POLLIN };
		if (p->in >= 0 && p->input_off < p->input_len)
			fds[n++] = (struct pollfd){ .fd = p->in, .events = POLLOUT };
		if (!n)
			return;
		if (poll(fds, n, left < 0 ? 0 : left) <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			ssize_t r;

			if (!fds[i].revents)
				continue;
			if (fds[i].fd == p->in) {
				r = write(p->in, p->input + p->input_off, p->input_len - p->input_off);
				if (r > 0)
					p->input_off += (size_t)r;
				if (((r < 0 && errno != EAGAIN) || p->input_off == p->input_len) && !p->keep_stdin)
					proc_close_stdin(p);
				continue;
			}
			r = read(fds[i].fd, buf, sizeof buf);
			if (r > 0 && fds[i].fd == p->out)
				g_byte_array_append(p->outdata, (guint8 *)buf, (guint)r);
			else if (r > 0 && fds[i].fd == p->err)
				g_string_append_len(p->errtext, buf, r);
			else if (r > 0)
				g_byte_array_append(p->backdata, (guint8 *)buf, (guint)r);
			else if (r == 0 || errno != EAGAIN)
				end_of(p, fds[i].fd);
		}
	} while (now_ms() < end);
}

void proc_wait_for(struct proc *p, const char *text, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (!strstr(p->errtext->str, text)) {
		cr_assert_lt(now_ms(), end, "no \"%s\" from %s within %d ms; it said:\n%s", text, p->name, timeout_ms,
			     p->errtext->str);
		proc_pump(p, 20);
	}
}

void proc_wait_output(struct proc *p, const char *text, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (!p->outdata->len || !g_strstr_len((const char *)p->outdata->data, (gssize)p->outdata->len, text)) {
		cr_assert_lt(now_ms(), end, "no \"%s\" on the stdout of %s within %d ms; stderr:\n%s", text, p->name,
			     timeout_ms, p->errtext->str);
		proc_pump(p, 20);
	}
}

void proc_wait_output_end(struct proc *p, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (p->out >= 0) {
		cr_assert_lt(now_ms(), end, "%s did not close its stdout within %d ms; stderr:\n%s", p->name, timeout_ms,
			     p->errtext->str);
		proc_pump(p, 20);
	}
}

void proc_await_event(struct proc *p, struct fx_sim *s, const char *text)
{
	long long end = now_ms() + EVENTUALLY_MS;

	while (!fx_events_contain(s, text)) {
		cr_assert_lt(now_ms(), end, "no \"%s\" in the events; %s said:\n%s", text, p->name, p->errtext->str);
		proc_pump(p, 10);
	}
}

void proc_write(struct proc *p, const void *data, size_t len)
{
	const char *d = data;

	while (p->input_off < p->input_len)
		proc_pump(p, 10);
	while (len) {
		ssize_t r = write(p->in, d, len);

		if (r > 0) {
			d += r;
			len -= (size_t)r;
		} else {
			cr_assert(r < 0 && errno == EAGAIN, "stdin of %s: %s", p->name, strerror(errno));
			proc_pump(p, 10);
		}
	}
}

void proc_close_stdin(struct proc *p)
{
	if (p->in >= 0)
		close(p->in);
	p->in = -1;
}

bool proc_exited(struct proc *p)
{
	int status;

	if (p->exited)
		return true;
	if (waitpid(p->pid, &status, WNOHANG) != p->pid)
		return false;
	p->exited = true;
	p->exited_ms = now_ms();
	p->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return true;
}

int proc_finish(struct proc *p, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (!proc_exited(p)) {
		if (now_ms() >= end) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
			p->exited = true;
			cr_assert_fail("%s did not finish within %d ms; it said:\n%s", p->name, timeout_ms,
				       p->errtext->str);
		}
		proc_pump(p, 20);
	}
	while (p->out >= 0 || p->err >= 0 || (p->back >= 0 && !p->back_to))
		proc_pump(p, 100);
	proc_close_stdin(p);
	close_fd(p->back);
	close_fd(p->side);
	p->back = p->side = -1;
	return p->status;
}

void proc_free(struct proc *p)
{
	g_free(p->name);
	g_byte_array_free(p->outdata, TRUE);
	g_string_free(p->errtext, TRUE);
	g_byte_array_free(p->backdata, TRUE);
}

int proc_run(struct proc *p, const struct proc_spec *s)
{
	proc_start(p, s);
	p->keep_stdin = false;
	if (p->input_off == p->input_len)
		proc_close_stdin(p);
	return proc_finish(p, 2 * EVENTUALLY_MS);
}
