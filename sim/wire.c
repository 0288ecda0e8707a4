/*
 * wire.c - server side of umockdev's ioctl socket protocol
 *
 * One GLib fd watch per listening socket and per connection, all on the main
 * context. Memory transfers with a client are synchronous: the client is
 * inside its call and answers at once; a client that stops answering for
 * WIRE_TIMEOUT_MS is dropped rather than allowed to stall every other one.
 */
#include "config.h"

#include "wire.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define WIRE_TIMEOUT_MS 5000

/* Messages from the server to the client (libumockdev-preload.c). */
enum {
	RES_DONE = 3,
	RES_READ_MEM = 5,
	RES_WRITE_MEM = 6,
};

struct wire_msg {
	unsigned long cmd, arg1, arg2;
};

struct sim_listener {
	int fd;
	guint watch;
	char *path;
	const struct sim_wire_ops *ops;
	void *data;
	GList *conns;
};

struct sim_conn {
	struct sim_listener *l;
	int fd;
	guint watch;
	pid_t pid;
	void *data;
	bool busy;      /* a request is waiting for its answer */
	bool broken;    /* the client went away; drop at the next chance */
	guint drop_idle;
};

static void conn_drop(struct sim_conn *c)
{
	struct sim_listener *l = c->l;

	l->ops->gone(c);
	if (c->watch)
		g_source_remove(c->watch);
	if (c->drop_idle)
		g_source_remove(c->drop_idle);
	close(c->fd);
	l->conns = g_list_remove(l->conns, c);
	g_free(c);
}

static gboolean drop_later(gpointer data)
{
	struct sim_conn *c = data;

	c->drop_idle = 0;
	conn_drop(c);
	return G_SOURCE_REMOVE;
}

/* The client is gone; drop it from the main loop, not from under a caller. */
static void conn_broken(struct sim_conn *c)
{
	if (c->broken)
		return;
	c->broken = true;
	/* Default priority: a client's hung-up socket must not starve the drop. */
	c->drop_idle = g_idle_add_full(G_PRIORITY_DEFAULT, drop_later, c, NULL);
}

static bool wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, WIRE_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	return r == 1 && (p.revents & events);
}

/* Move all @n bytes to (@out) or from the client, waiting at most WIRE_TIMEOUT_MS for each step. */
static bool transfer_all(struct sim_conn *c, void *buf, size_t n, bool out)
{
	char *p = buf;

	if (c->broken)
		return false;
	while (n) {
		ssize_t r = out ? send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT) : recv(c->fd, p, n, MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN && wait_fd(c->fd, out ? POLLOUT : POLLIN))
			continue;
		if (r <= 0) {
			conn_broken(c);
			return false;
		}
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static bool send_all(struct sim_conn *c, const void *buf, size_t n)
{
	return transfer_all(c, (void *)(uintptr_t)buf, n, true);
}

static bool recv_all(struct sim_conn *c, void *buf, size_t n)
{
	return transfer_all(c, buf, n, false);
}

bool sim_conn_read_mem(struct sim_conn *c, unsigned long addr, void *buf, size_t n)
{
	struct wire_msg m = { RES_READ_MEM, addr, n };

	if (!n)
		return !c->broken;
	return send_all(c, &m, sizeof m) && recv_all(c, buf, n);
}

bool sim_conn_write_mem(struct sim_conn *c, unsigned long addr, const void *buf, size_t n)
{
	struct wire_msg m = { RES_WRITE_MEM, addr, n };

	if (!n)
		return !c->broken;
	return send_all(c, &m, sizeof m) && send_all(c, buf, n);
}

void sim_conn_complete(struct sim_conn *c, long result, int err)
{
	struct wire_msg m = { RES_DONE, (unsigned long)result, (unsigned long)err };

	g_return_if_fail(c->busy);
	c->busy = false;
	send_all(c, &m, sizeof m);
}

bool sim_conn_hung_up(const struct sim_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };

	if (c->broken)
		return true;
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

pid_t sim_conn_pid(const struct sim_conn *c)
{
	return c->pid;
}

void sim_conn_set_data(struct sim_conn *c, void *data)
{
	c->data = data;
}

void *sim_conn_get_data(const struct sim_conn *c)
{
	return c->data;
}

static gboolean conn_readable(int fd, GIOCondition cond, gpointer data)
{
	struct sim_conn *c = data;
	struct wire_msg m;
	ssize_t r;

	if (c->broken) {
		/* Being dropped: stop watching a socket that will only say "hung up". */
		c->watch = 0;
		return G_SOURCE_REMOVE;
	}
	if (c->busy) {
		/* The client sends nothing while it waits for an answer: this is
		 * its end of the socket closing (it died or closed the fd). */
		char b;

		r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return G_SOURCE_CONTINUE;
		c->watch = 0;
		conn_drop(c);
		return G_SOURCE_REMOVE;
	}
	r = recv(fd, &m, sizeof m, MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (r > 0 && (size_t)r < sizeof m && !recv_all(c, (char *)&m + r, sizeof m - (size_t)r))
		return G_SOURCE_CONTINUE;  /* dropped from the idle handler */
	if (r <= 0) {
		c->watch = 0;
		conn_drop(c);
		return G_SOURCE_REMOVE;
	}
	if (m.cmd != SIM_WIRE_IOCTL && m.cmd != SIM_WIRE_READ && m.cmd != SIM_WIRE_WRITE) {
		g_printerr("parclass-sim: pid %d sent unknown request %lu; dropping it\n", (int)c->pid, m.cmd);
		c->watch = 0;
		conn_drop(c);
		return G_SOURCE_REMOVE;
	}
	c->busy = true;
	c->l->ops->request(c, m.cmd, m.arg1, m.arg2);
	return G_SOURCE_CONTINUE;
}

static gboolean listener_readable(int fd, GIOCondition cond, gpointer data)
{
	struct sim_listener *l = data;
	struct sim_conn *c;
	struct ucred cred;
	socklen_t len = sizeof cred;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (cfd < 0)
		return G_SOURCE_CONTINUE;
	c = g_new0(struct sim_conn, 1);
	c->l = l;
	c->fd = cfd;
	c->pid = getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : -1;
	l->conns = g_list_prepend(l->conns, c);
	c->watch = g_unix_fd_add(cfd, G_IO_IN | G_IO_HUP | G_IO_ERR, conn_readable, c);
	l->ops->opened(c, l->data);
	return G_SOURCE_CONTINUE;
}

struct sim_listener *sim_wire_listen(const char *path, const struct sim_wire_ops *ops, void *data,
				     GError **error)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct sim_listener *l;
	int fd;

	if (strlen(path) >= sizeof addr.sun_path) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG, "socket path too long: %s", path);
		return NULL;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 64) < 0) {
		int e = errno;

		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "cannot listen on %s: %s", path,
			    g_strerror(e));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	l = g_new0(struct sim_listener, 1);
	l->fd = fd;
	l->path = g_strdup(path);
	l->ops = ops;
	l->data = data;
	l->watch = g_unix_fd_add(fd, G_IO_IN, listener_readable, l);
	return l;
}

void sim_wire_close(struct sim_listener *l)
{
	if (!l)
		return;
	while (l->conns)
		conn_drop(l->conns->data);
	g_source_remove(l->watch);
	close(l->fd);
	unlink(l->path);
	g_free(l->path);
	g_free(l);
}
