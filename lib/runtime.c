/*
 * runtime.c - cross-process port state in the runtime directory
 *
 * <runtime>/parportN/ holds, for every process that uses the port:
 *   seq          a counter, and the lock taken around every queue change
 *   q.<seq>      one ticket per queued request, write-locked (an OFD lock)
 *                by its owner for as long as it waits or holds the port.
 *                The oldest live ticket holds the port; a ticket whose lock
 *                is gone belongs to a dead process and is ignored and removed,
 *                so a killed holder or waiter never blocks anyone.
 *   open.<addr>  write-locked by the process that has the device open
 *   id.<addr>, modes.<addr>
 *                what the last process to ask the device learnt (for
 *                enumerations while the port is held)
 * The kernel drops OFD locks when the last fd of their file closes, also when
 * a process dies; fds are close-on-exec so that commands run under a lock do
 * not keep it alive.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parclass-private.h"

#define SEQ_LOCK_TIMEOUT_MS 2000
#define LIVENESS_POLL_MS 20    /* a dead predecessor is noticed within this */

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof buf)
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * The runtime directory and its port directories are shared by every user of
 * the ports (root and group lp on Debian): what we create gets group write
 * and the setgid bit whatever our umask, and, when we are root, group lp,
 * as the tmpfiles.d entry would have made it.
 */
static void share(const char *path, mode_t mode)
{
	struct group *lp;

	if (geteuid() == 0 && (lp = getgrnam("lp")))
		if (chown(path, 0, lp->gr_gid) < 0) {
			/* keep our own group */
		}
	chmod(path, mode);
}

/* Open (creating as needed) <runtime>/parportN. */
static int port_dir(parclass_context *ctx, int number, char *path, size_t size)
{
	struct stat st;
	int r, fd;

	if ((size_t)snprintf(path, size, "%s/parport%d", ctx->runtime_dir, number) >= size)
		return -ENAMETOOLONG;
	if (stat(ctx->runtime_dir, &st) < 0) {
		r = mkdir_p(ctx->runtime_dir, 0775);
		if (r == 0)
			share(ctx->runtime_dir, 02775);
		else {
			pc_err(ctx, "runtime directory %s: %s (install the tmpfiles.d entry, or set PARCLASS_RUNTIME_DIR)",
			       ctx->runtime_dir, parclass_strerror(r));
			return -EACCES;
		}
	}
	if (mkdir(path, 02775) == 0)
		share(path, 02775);
	else if (errno != EEXIST) {
		pc_err(ctx, "cannot create %s: %s", path, parclass_strerror(-errno));
		return -EACCES;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pc_err(ctx, "cannot open %s: %s", path, parclass_strerror(-errno));
		return -EACCES;
	}
	return fd;
}

/* Create-or-open a file every user of the port may write. */
static int open_shared(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, flags | O_CREAT | O_CLOEXEC, 0664);

	if (fd >= 0)
		fchmod(fd, 0664);  /* fails harmlessly on another user's file */
	return fd;
}

static int lock_fd(int fd, short type, bool wait_until, int64_t deadline)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	for (;;) {
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -errno;
		if (!wait_until || pc_now_ms() >= deadline)
			return -EBUSY;
		pc_sleep_ms(1);
	}
}

static void unlock_fd(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	fcntl(fd, F_OFD_SETLK, &fl);
}

/* Does some process hold a write lock on @name (in @dirfd)? */
static bool ticket_alive(int dirfd, const char *name)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	bool alive;

	if (fd < 0)
		return false;
	alive = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return alive;
}

struct ticket {
	uint64_t seq;
	char name[32];
};

static int cmp_ticket(const void *a, const void *b)
{
	const struct ticket *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Live tickets, oldest first; dead ones are removed on the way. */
static int scan(struct pc_queue *q, struct ticket **out, size_t *count)
{
	int fd = dup(q->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct ticket *t = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		char *end;
		uint64_t seq;

		if (strncmp(de->d_name, "q.", 2) || strlen(de->d_name) >= sizeof t->name)
			continue;
		seq = strtoull(de->d_name + 2, &end, 16);
		if (*end)
			continue;
		if (!ticket_alive(q->dirfd, de->d_name)) {
			pc_dbg(q->ctx, "parport%d: removing the ticket of a process that died: %s", q->number,
			       de->d_name);
			unlinkat(q->dirfd, de->d_name, 0);
			continue;
		}
		if (n == cap) {
			struct ticket *more = realloc(t, (cap ? 2 * cap : 8) * sizeof *t);

			if (!more) {
				free(t);
				closedir(d);
				return -ENOMEM;
			}
			t = more;
			cap = cap ? 2 * cap : 8;
		}
		t[n].seq = seq;
		memcpy(t[n].name, de->d_name, strlen(de->d_name) + 1);
		n++;
	}
	closedir(d);
	if (n)
		qsort(t, n, sizeof *t, cmp_ticket);
	*out = t;
	*count = n;
	return 0;
}

int pc_queue_open(parclass_context *ctx, int number, struct pc_queue *q)
{
	char path[4096];
	int dirfd = port_dir(ctx, number, path, sizeof path);

	memset(q, 0, sizeof *q);
	q->ctx = ctx;
	q->number = number;
	q->ticket_fd = q->seqfd = q->inotify_fd = q->cancel_fd = -1;
	if (dirfd < 0)
		return dirfd;
	q->dirfd = dirfd;
	q->seqfd = open_shared(dirfd, "seq", O_RDWR);
	if (q->seqfd < 0)
		q->seqfd = openat(dirfd, "seq", O_RDONLY | O_CLOEXEC);  /* may only look */
	q->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	q->cancel_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->seqfd < 0 || q->inotify_fd < 0 || q->cancel_fd < 0 ||
	    inotify_add_watch(q->inotify_fd, path, IN_DELETE | IN_MOVED_TO) < 0) {
		int e = errno;

		pc_err(ctx, "cannot use %s: %s", path, parclass_strerror(-e));
		pc_queue_close(q);
		return e == EACCES || e == EPERM ? -EACCES : -EIO;
	}
	return 0;
}

void pc_queue_close(struct pc_queue *q)
{
	pc_queue_leave(q);
	if (q->seqfd >= 0)
		close(q->seqfd);
	if (q->inotify_fd >= 0)
		close(q->inotify_fd);
	if (q->cancel_fd >= 0)
		close(q->cancel_fd);
	if (q->dirfd > 0)
		close(q->dirfd);
	q->seqfd = q->inotify_fd = q->cancel_fd = q->dirfd = -1;
}

/*
 * A process killed between creating its ticket as tmp.* and renaming it into
 * place leaves that file behind. Tickets are made only under the seq lock, so
 * whoever holds it sees no tmp.* but such leftovers.
 */
static void remove_dead_tmp(struct pc_queue *q)
{
	int fd = dup(q->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "tmp.", 4)) {
			pc_dbg(q->ctx, "parport%d: removing what a process that died left: %s", q->number, de->d_name);
			unlinkat(q->dirfd, de->d_name, 0);
		}
	closedir(d);
}

int pc_queue_enter(struct pc_queue *q, const char *what, int address, bool only_if_empty)
{
	char tmp[64], name[32], seqtext[32], content[96];
	struct ticket *t = NULL;
	size_t n = 0;
	uint64_t seq = 0;
	ssize_t len;
	int r, fd = -1;

	if (q->ticket_fd >= 0)
		return -EALREADY;
	r = lock_fd(q->seqfd, F_WRLCK, true, pc_now_ms() + SEQ_LOCK_TIMEOUT_MS);
	if (r < 0)
		return r == -EBUSY ? -EIO : r;
	remove_dead_tmp(q);
	if (only_if_empty) {
		r = scan(q, &t, &n);
		free(t);
		if (r < 0)
			goto out;
		if (n) {
			r = -EBUSY;
			goto out;
		}
	}
	len = pread(q->seqfd, seqtext, sizeof seqtext - 1, 0);
	if (len > 0) {
		seqtext[len] = '\0';
		seq = strtoull(seqtext, NULL, 10);
	}
	seq++;
	len = snprintf(seqtext, sizeof seqtext, "%" PRIu64 "\n", seq);
	if (pwrite(q->seqfd, seqtext, (size_t)len, 0) != len || ftruncate(q->seqfd, len) < 0) {
		r = -EIO;
		goto out;
	}

	/* A ticket appears locked (rename), so that nobody takes it for a dead one. */
	snprintf(tmp, sizeof tmp, "tmp.%d.%" PRIu64, (int)getpid(), seq);
	snprintf(name, sizeof name, "q.%016" PRIx64, seq);
	fd = openat(q->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0664);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	fchmod(fd, 0664);
	len = snprintf(content, sizeof content, "pid=%d\nrequest=%s\naddress=%d\n", (int)getpid(), what, address);
	if (write(fd, content, (size_t)len) != len || lock_fd(fd, F_WRLCK, false, 0) < 0 ||
	    renameat(q->dirfd, tmp, q->dirfd, name) < 0) {
		r = -EIO;
		unlinkat(q->dirfd, tmp, 0);
		close(fd);
		goto out;
	}
	q->ticket_fd = fd;
	q->ticket = seq;
	r = 0;
out:
	unlock_fd(q->seqfd);
	return r;
}

void pc_queue_leave(struct pc_queue *q)
{
	char name[32];

	if (q->ticket_fd < 0)
		return;
	snprintf(name, sizeof name, "q.%016" PRIx64, q->ticket);
	/* Unlink before the lock goes, so that nobody sees a dead ticket of ours. */
	unlinkat(q->dirfd, name, 0);
	close(q->ticket_fd);
	q->ticket_fd = -1;
}

int pc_queue_wait(struct pc_queue *q, int64_t deadline)
{
	for (;;) {
		struct ticket *t = NULL;
		size_t n = 0;
		struct pollfd pfd[2] = { { q->inotify_fd, POLLIN, 0 }, { q->cancel_fd, POLLIN, 0 } };
		char drain[4096];
		int r, left;

		bool ours = false, head;

		r = scan(q, &t, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++)
			ours |= t[i].seq == q->ticket;
		head = n && t[0].seq == q->ticket;
		free(t);
		if (!ours) {
			/* Removed by hand, or the runtime directory was wiped. */
			pc_warn(q->ctx, "parport%d: our request disappeared from the queue", q->number);
			return -EIO;
		}
		if (head)
			return 0;
		left = pc_remaining(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		if (left < 0 || left > LIVENESS_POLL_MS)
			left = LIVENESS_POLL_MS;
		if (poll(pfd, 2, left) < 0 && errno != EINTR)
			return -errno;
		if (pfd[1].revents & POLLIN) {
			uint64_t v;

			if (read(q->cancel_fd, &v, sizeof v) < 0) {
				/* nothing: someone else took the count */
			}
			return -ECANCELED;
		}
		while (read(q->inotify_fd, drain, sizeof drain) > 0)
			;
	}
}

int pc_queue_cancel(struct pc_queue *q)
{
	uint64_t one = 1;

	if (q->cancel_fd >= 0 && write(q->cancel_fd, &one, sizeof one) < 0)
		return -errno;
	return 0;
}

void pc_queue_reset_cancel(struct pc_queue *q)
{
	uint64_t v;

	if (q->cancel_fd >= 0 && read(q->cancel_fd, &v, sizeof v) < 0) {
		/* nothing pending */
	}
}

int pc_queue_state(struct pc_queue *q, pid_t *holder, unsigned *waiters)
{
	struct ticket *t = NULL;
	size_t n = 0;
	int r, locked;

	/* Under the queue lock, so that the count is exact at one moment. */
	locked = lock_fd(q->seqfd, F_RDLCK, true, pc_now_ms() + SEQ_LOCK_TIMEOUT_MS) == 0;
	r = scan(q, &t, &n);
	if (locked)
		unlock_fd(q->seqfd);
	if (r < 0)
		return r;
	*waiters = n ? (unsigned)n - 1 : 0;
	*holder = 0;
	if (n) {
		char buf[96];
		int fd = openat(q->dirfd, t[0].name, O_RDONLY | O_CLOEXEC);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;

		if (fd >= 0)
			close(fd);
		if (len > 4 && !strncmp(buf, "pid=", 4)) {
			buf[len] = '\0';
			*holder = (pid_t)atoi(buf + 4);
		}
	}
	free(t);
	return 0;
}

static void address_key(int address, char *buf, size_t size)
{
	if (address == PARCLASS_ADDRESS_END)
		snprintf(buf, size, "eoc");
	else
		snprintf(buf, size, "%d", address);
}

int pc_open_lock(parclass_context *ctx, int number, int address)
{
	char path[4096], name[32], key[8], pid[32];
	int dirfd = port_dir(ctx, number, path, sizeof path), fd;
	ssize_t len;

	if (dirfd < 0)
		return dirfd;
	address_key(address, key, sizeof key);
	snprintf(name, sizeof name, "open.%s", key);
	fd = open_shared(dirfd, name, O_RDWR);
	close(dirfd);
	if (fd < 0)
		return -EACCES;
	if (lock_fd(fd, F_WRLCK, false, 0) < 0) {
		close(fd);
		return -EBUSY;
	}
	len = snprintf(pid, sizeof pid, "pid=%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		pc_dbg(ctx, "cannot note our pid in %s/%s", path, name);
	return fd;
}

int pc_cache_store(parclass_context *ctx, int number, int address, const char *what, const void *data, size_t len)
{
	char path[4096], name[32], tmp[64], key[8];
	int dirfd = port_dir(ctx, number, path, sizeof path), fd, r = 0;

	if (dirfd < 0)
		return dirfd;
	address_key(address, key, sizeof key);
	snprintf(name, sizeof name, "%s.%s", what, key);
	snprintf(tmp, sizeof tmp, ".%s.%d", name, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0664);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || renameat(dirfd, tmp, dirfd, name) < 0) {
		r = -EIO;
		unlinkat(dirfd, tmp, 0);
	}
	if (fd >= 0) {
		fchmod(fd, 0664);
		close(fd);
	}
	close(dirfd);
	return r;
}

char *pc_cache_load(parclass_context *ctx, int number, int address, const char *what, size_t *len)
{
	char path[4096], key[8];
	char *buf;
	ssize_t n;
	int fd;

	address_key(address, key, sizeof key);
	if ((size_t)snprintf(path, sizeof path, "%s/parport%d/%s.%s", ctx->runtime_dir, number, what, key) >=
	    sizeof path)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(PC_ID_MAX + 4);
	n = buf ? read(fd, buf, PC_ID_MAX + 3) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}
