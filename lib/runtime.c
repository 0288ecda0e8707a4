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
 *   report.<addr>
 *                the device's status as the holder last published it
 *                (report.c), write-locked for as long as the publishing
 *                device handle is open, so that a dead publisher shows
 *                (no lock) and a record of it is never taken for live
 * A holder's ticket has the time it took the port as its mtime
 * (pc_queue_mark_held()).
 * The kernel drops OFD locks when the last fd of their file closes, also when
 * a process dies; fds are close-on-exec so that commands run under a lock do
 * not keep it alive.
 *
 * Everyone in group lp may write in the directory, so what is in it is
 * untrusted input: a member of lp, or a confused program, may put symbolic
 * links, hard links, FIFOs, sockets, directories, huge files or garbage under
 * our names, or hold locks forever. The rules (doc/parclass.7 says them too):
 *  - nothing is opened through a symbolic link: the port directory is opened
 *    with O_NOFOLLOW | O_DIRECTORY and everything in it with openat() and
 *    O_NOFOLLOW;
 *  - every open is O_NONBLOCK and followed by fstat(): only regular files are
 *    used, and a file we write, or trust for what it says, must have no
 *    other name (a hard link to a file elsewhere would take our writes or
 *    reads there);
 *  - every read is bounded and what is read is validated;
 *  - files are made under unpredictable names (O_EXCL) and renamed into place,
 *    so they appear complete and with their mode, and nothing planted can
 *    make us create a file elsewhere;
 *  - only OFD locks count: the library takes no others;
 *  - a planted entry never denies the port for good: seq and open.* are
 *    replaced, non-tickets named q.* removed, id.* and modes.* ignored (and
 *    replaced when next written), each with a warning through the context's
 *    log; names from the directory are logged escaped, never as they are;
 *  - a report.* counts as live only under an OFD lock and when the process
 *    it names belongs to the file's owner; what holds no report, or claims
 *    a life it does not have, is refused (a debug line) and replaced when
 *    the holder next publishes.
 * A seq whose lock someone holds for longer than any queue change takes is
 * replaced too; everyone checks, after taking the lock, that the file they
 * locked is still the one named seq (lock, then compare fstat() with
 * fstatat()), so that the replacement keeps the mutual exclusion.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parclass-private.h"

#define SEQ_LOCK_TIMEOUT_MS 2000   /* far longer than any queue change takes */
#define SEQ_REPLACE_MAX 3          /* then give up: someone keeps locking new ones */
#define LIVENESS_POLL_MS 20        /* a dead predecessor is noticed within this */
#define SEQ_TEXT_MAX 21            /* a 64-bit counter and a newline */
#define TICKET_TEXT_MAX 96         /* "pid=...\nrequest=...\naddress=...\n" */
#define MODES_TEXT_MAX 16          /* "0x...\n" */
#define WATCH_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)
#define ENTRY_RETRIES 5            /* attempts at one name before giving up */
#define TICKET_TRIES 64            /* sequence numbers tried for one ticket */

/* open_entry(): what is there is not a state file (@why says what it is). */
#define PLANTED (-EUCLEAN)

/* One port directory, for the helpers and their log lines. */
struct place {
	parclass_context *ctx;
	int number;
	int dirfd;
};

#define PLACE_OF(q) { (q)->ctx, (q)->number, (q)->dirfd }

/* ---- names and kinds, for log lines ---- */

/* A name read from the directory, fit for a log line: printable ASCII, bounded. */
static const char *printable(const char *name, char *buf, size_t size)
{
	size_t o = 0;
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p && o + 8 < size; p++) {
		if (*p > ' ' && *p < 0x7f && *p != '\\')
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
	}
	if (*p)
		o += (size_t)snprintf(buf + o, size - o, "...");
	buf[o] = '\0';
	return buf;
}

static const char *kind_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFLNK: return "a symbolic link";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFDIR: return "a directory";
	case S_IFCHR:
	case S_IFBLK: return "a device";
	case S_IFREG: return "a regular file";
	}
	return "of an unknown kind";
}

/* ---- opening, making and replacing entries ---- */

/* An unpredictable temporary name: nobody can plant anything under it beforehand. */
static void temp_name(const char *prefix, char *buf, size_t size)
{
	static unsigned counter;
	uint64_t r;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (uint64_t)pc_now_ms() * 6364136223846793005u + (uint64_t)(uintptr_t)buf + counter++;
	snprintf(buf, size, "%s.%d.%016" PRIx64, prefix, (int)getpid(), r);
}

/*
 * Open @name in the port directory as a state file: never through a
 * symbolic link, never blocking (what is plainly no regular file is not
 * even opened; the fstat() after the open settles it), only a regular file and, with @one_link,
 * only one without another name. Returns the fd (its stat in @st);
 * -ENOENT; PLANTED with @why saying what is there ("is a FIFO"); or
 * another -errno (-EACCES: a file we may not open so).
 */
static int open_entry(const struct place *pl, const char *name, int flags, bool one_link, struct stat *st,
		      char *why, size_t whylen)
{
	struct stat lst;
	int fd, e;

	/* Not even opened when it is plainly no regular file (a device's open may do things). */
	if (fstatat(pl->dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(lst.st_mode)) {
		snprintf(why, whylen, "is %s", kind_of(lst.st_mode));
		return PLANTED;
	}
	fd = openat(pl->dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return -ENOENT;
		/* ELOOP (a symbolic link), EISDIR, ENXIO (a socket), ...: say what is there. */
		if (fstatat(pl->dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(lst.st_mode)) {
			snprintf(why, whylen, "is %s", kind_of(lst.st_mode));
			return PLANTED;
		}
		return -e;
	}
	if (fstat(fd, st) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "is %s", kind_of(st->st_mode));
		close(fd);
		return PLANTED;
	}
	if (one_link && st->st_nlink != 1) {
		snprintf(why, whylen, "is a hard link (%ju names)", (uintmax_t)st->st_nlink);
		close(fd);
		return PLANTED;
	}
	return fd;
}

/* Is @fd still the file called @name? (It may have been replaced since we opened it.) */
static bool same_file(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * An OFD lock without waiting: 0, -EBUSY when another lock is in the way
 * (*posix_pid: that lock's pid when it is a POSIX lock, which the library
 * never takes; -1 for an OFD lock), or another -errno.
 */
static int try_lock(int fd, short type, pid_t *posix_pid)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	if (posix_pid)
		*posix_pid = -1;
	for (;;) {
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
		if (posix_pid) {
			struct flock other = { .l_type = type, .l_whence = SEEK_SET };

			if (fcntl(fd, F_OFD_GETLK, &other) == 0 && other.l_type != F_UNLCK)
				*posix_pid = other.l_pid;
		}
		return -EBUSY;
	}
}

static void unlock_fd(int fd)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	if (fd >= 0)
		fcntl(fd, F_OFD_SETLK, &fl);
}

static int rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* A file system without RENAME_NOREPLACE: a link never replaces either. */
	if (linkat(dirfd, from, dirfd, to, 0) < 0)
		return -errno;
	unlinkat(dirfd, from, 0);
	return 0;
}

/*
 * Make @name a new file holding @data: written under an unpredictable name
 * (O_EXCL: never through anything planted), write-locked first when @lock,
 * then renamed into place - over whatever is there when @replace, else only
 * where nothing is (-EEXIST). Returns its fd.
 */
static int create_file(const struct place *pl, const char *name, const void *data, size_t len, bool replace,
		       bool lock)
{
	char tmp[64];
	int fd = -1, r;

	for (int i = 0; fd < 0; i++) {
		temp_name("tmp", tmp, sizeof tmp);
		fd = openat(pl->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0664);
		if (fd < 0 && (errno != EEXIST || i == ENTRY_RETRIES))
			return -errno;
	}
	/* Our own new file: group-writable whatever the umask, like everything here. */
	if (fchmod(fd, 0664) < 0 || (len && write(fd, data, len) != (ssize_t)len) ||
	    (lock && try_lock(fd, F_WRLCK, NULL) < 0))
		r = -EIO;
	else if (replace)
		r = renameat(pl->dirfd, tmp, pl->dirfd, name) < 0 ? -errno : 0;
	else
		r = rename_noreplace(pl->dirfd, tmp, name);
	if (r < 0) {
		unlinkat(pl->dirfd, tmp, 0);
		close(fd);
		return r;
	}
	return fd;
}

/*
 * Get whatever is called @name out of the way: removed, or, when it is a
 * directory with something in it, renamed to junk.* (we never reach into
 * what others made).
 */
static int clear_entry(int dirfd, const char *name)
{
	char junk[64];
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : -errno;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	temp_name("junk", junk, sizeof junk);
	return renameat(dirfd, name, dirfd, junk) == 0 || errno == ENOENT ? 0 : -errno;
}

/* A new, empty @name in place of whatever is there (which @why describes). */
static int replace_entry(const struct place *pl, const char *name, const void *data, size_t len, const char *why)
{
	int fd = create_file(pl, name, data, len, true, false);

	if (fd == -EISDIR || fd == -ENOTEMPTY || fd == -EEXIST) {
		/* rename() does not replace a directory with a file */
		clear_entry(pl->dirfd, name);
		fd = create_file(pl, name, data, len, true, false);
	}
	if (fd < 0) {
		pc_dbg(pl->ctx, "%s/parport%d/%s %s; cannot replace it: %s", pl->ctx->runtime_dir, pl->number, name, why,
		       parclass_strerror(fd));
		return fd;
	}
	pc_warn(pl->ctx, "%s/parport%d/%s %s: replaced it with a new one", pl->ctx->runtime_dir, pl->number, name, why);
	return fd;
}

/* Read at most @max bytes (and one more, to tell that there are more); -1 on error. */
static ssize_t read_bounded(int fd, char *buf, size_t max)
{
	size_t got = 0;

	while (got <= max) {
		ssize_t n = pread(fd, buf + got, max + 1 - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* ---- the directories ---- */

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
 * the ports (root and group lp on Debian): a directory we made gets group
 * write and the setgid bit whatever our umask, and, when we are root, group
 * lp, as the tmpfiles.d entry would have made it. Through the fd, and only
 * when it is ours: never anything a name was swapped for.
 */
static void share(int fd)
{
	struct group *lp;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return;
	if (geteuid() == 0 && (lp = getgrnam("lp")))
		if (fchown(fd, 0, lp->gr_gid) < 0) {
			/* keep our own group */
		}
	fchmod(fd, 02775);
}

/* The runtime directory (configuration, so trusted as a path), made when missing and @create. */
static int runtime_open(parclass_context *ctx, bool create)
{
	int fd = open(ctx->runtime_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd >= 0)
		return fd;
	if (errno != ENOENT || !create)
		return -errno;
	r = mkdir_p(ctx->runtime_dir, 0775);
	if (r < 0)
		return r;
	fd = open(ctx->runtime_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	share(fd);
	return fd;
}

/* May we make and remove files in the directory @fd? */
static bool writable(int fd)
{
	return faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) == 0;
}

/* A new port directory, set up under a temporary name and renamed into place. */
static int make_port_dir(int rfd, const char *name)
{
	char tmp[64];
	int fd, r;

	temp_name("tmp", tmp, sizeof tmp);
	if (mkdirat(rfd, tmp, 0775) < 0)
		return -errno;
	fd = openat(rfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		share(fd);
	r = fd < 0 ? -errno : rename_noreplace(rfd, tmp, name);
	if (r < 0) {
		unlinkat(rfd, tmp, AT_REMOVEDIR);
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

/*
 * Open <runtime>/parportN, never through a symbolic link. With @create, a
 * missing one is made, and anything else under that name (a symbolic link,
 * a file, a FIFO, a socket, or a directory we may not write in although we
 * may write in the runtime directory: the library makes them
 * group-writable) is moved out of the way for a new one, with a warning.
 */
static int port_dir(parclass_context *ctx, int number, bool create)
{
	char name[16], why[64];
	int rfd, fd = -EIO, r;

	snprintf(name, sizeof name, "parport%d", number);
	rfd = runtime_open(ctx, create);
	if (rfd < 0) {
		if (create)
			pc_err(ctx, "runtime directory %s: %s (install the tmpfiles.d entry, or set PARCLASS_RUNTIME_DIR)",
			       ctx->runtime_dir, parclass_strerror(rfd));
		return -EACCES;
	}
	for (int i = 0; i < ENTRY_RETRIES; i++) {
		struct stat st;

		fd = openat(rfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			if (!create || writable(fd) || !writable(rfd))
				break;   /* ours to use (or only to look at) */
			close(fd);
			snprintf(why, sizeof why, "is a directory we may not write in");
		} else if (errno == ENOENT) {
			if (!create)
				break;
			fd = make_port_dir(rfd, name);
			if (fd != -EEXIST)
				break;
			continue;
		} else if ((errno == ELOOP || errno == ENOTDIR) &&
			   fstatat(rfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			snprintf(why, sizeof why, "is %s", kind_of(st.st_mode));
		} else if (errno == EACCES && create && writable(rfd)) {
			snprintf(why, sizeof why, "is a directory we may not use");
		} else {
			fd = -errno;
			break;
		}
		fd = -EACCES;
		if (!create) {
			pc_warn(ctx, "%s/%s %s: ignored", ctx->runtime_dir, name, why);
			break;
		}
		r = clear_entry(rfd, name);
		if (r < 0) {
			pc_err(ctx, "%s/%s %s, and cannot be moved out of the way: %s", ctx->runtime_dir, name, why,
			       parclass_strerror(r));
			break;
		}
		pc_warn(ctx, "%s/%s %s: moved it out of the way", ctx->runtime_dir, name, why);
	}
	close(rfd);
	if (fd < 0 && create)
		pc_err(ctx, "cannot use %s/%s: %s", ctx->runtime_dir, name, parclass_strerror(fd));
	return fd < 0 ? -EACCES : fd;
}

/* ---- seq: the counter, and the lock around queue changes ---- */

/* The counter in seq; 0 when there is none. */
static uint64_t read_counter(struct pc_queue *q, bool quiet)
{
	char text[SEQ_TEXT_MAX + 2];
	ssize_t n = read_bounded(q->seqfd, text, SEQ_TEXT_MAX);
	uint64_t v = 0;
	ssize_t i;

	if (n <= 0)
		return 0;   /* new */
	for (i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			break;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	if (i == 0 || n > SEQ_TEXT_MAX || !(i == n || (i == n - 1 && text[i] == '\n'))) {
		if (!quiet)
			pc_warn(q->ctx, "%s/parport%d/seq holds no counter: counting on from the newest ticket",
				q->ctx->runtime_dir, q->number);
		return 0;
	}
	return v;
}

static void write_counter(struct pc_queue *q, uint64_t seq)
{
	char text[SEQ_TEXT_MAX + 2];
	int len = snprintf(text, sizeof text, "%" PRIu64 "\n", seq);

	if (pwrite(q->seqfd, text, (size_t)len, 0) != len || ftruncate(q->seqfd, len) < 0)
		pc_dbg(q->ctx, "parport%d: cannot write the counter: %s", q->number, parclass_strerror(-errno));
}

/* A new seq in place of the one there, keeping the counter when it has one. */
static int seq_replace(struct pc_queue *q, const char *why)
{
	struct place pl = PLACE_OF(q);
	char text[SEQ_TEXT_MAX + 2];
	uint64_t counter = q->seqfd >= 0 ? read_counter(q, true) : 0;
	int fd, len = snprintf(text, sizeof text, "%" PRIu64 "\n", counter);

	fd = replace_entry(&pl, "seq", text, (size_t)len, why);
	if (fd < 0)
		return fd;
	if (q->seqfd >= 0)
		close(q->seqfd);
	q->seqfd = fd;
	return 0;
}

/*
 * Open seq, made when missing and replaced when something else is there: a
 * symbolic link, a FIFO, a directory, a socket, a hard link, or a file we
 * may not write although we may write in the directory. Without the right
 * to change anything, a read-only seq still lets us look at the queue.
 */
static int seq_open(struct pc_queue *q)
{
	struct place pl = PLACE_OF(q);
	char why[64];
	struct stat st;
	int fd = -EIO, r;

	for (int i = 0; i < ENTRY_RETRIES; i++) {
		fd = open_entry(&pl, "seq", O_RDWR, true, &st, why, sizeof why);
		if (fd == -ENOENT) {
			fd = create_file(&pl, "seq", "0\n", 2, false, false);
			if (fd == -EEXIST)
				continue;
		} else if (fd == PLANTED || fd == -EACCES || fd == -EPERM) {
			if (fd != PLANTED)
				snprintf(why, sizeof why, "is not writable for us");
			r = seq_replace(q, why);
			if (r == 0)
				return 0;
			fd = open_entry(&pl, "seq", O_RDONLY, false, &st, why, sizeof why);
		}
		break;
	}
	if (fd < 0)
		return fd == PLANTED ? -EIO : fd;
	q->seqfd = fd;
	return 0;
}

/*
 * Lock seq (@type: F_WRLCK to change the queue, F_RDLCK to look at it), and
 * make sure the file locked is still the one called seq. A lock held for
 * longer than any queue change takes belongs to no queue change: that seq is
 * replaced. Returns 0, -EACCES (we may only look), -EIO, -EBUSY (held, and
 * we may not replace it).
 */
static int seq_lock(struct pc_queue *q, short type)
{
	int64_t deadline = pc_now_ms() + SEQ_LOCK_TIMEOUT_MS;
	int replaced = 0, r;

	for (;;) {
		if (q->seqfd < 0 && (r = seq_open(q)) < 0)
			return r == -EACCES || r == -EPERM ? -EACCES : -EIO;
		r = try_lock(q->seqfd, type, NULL);
		if (r == 0) {
			if (same_file(q->dirfd, "seq", q->seqfd))
				return 0;
			/* Replaced since we opened it: that lock guards nothing. */
			close(q->seqfd);
			q->seqfd = -1;
		} else if (r == -EBADF) {
			return -EACCES;   /* a write lock on a seq we may only read */
		} else if (r != -EBUSY) {
			return -EIO;
		} else if (!same_file(q->dirfd, "seq", q->seqfd)) {
			close(q->seqfd);
			q->seqfd = -1;
		} else if (pc_now_ms() >= deadline) {
			if (replaced++ == SEQ_REPLACE_MAX) {
				pc_err(q->ctx, "%s/parport%d/seq: someone keeps it locked", q->ctx->runtime_dir, q->number);
				return -EIO;
			}
			if (seq_replace(q, "has been locked for over 2 s by a process that does not let go") < 0)
				return -EBUSY;
			deadline = pc_now_ms() + SEQ_LOCK_TIMEOUT_MS;
			continue;
		}
		if (pc_now_ms() >= deadline + SEQ_LOCK_TIMEOUT_MS * SEQ_REPLACE_MAX)
			return -EIO;  /* the name keeps changing under us */
		if (r == -EBUSY)
			pc_sleep_ms(1);
	}
}

/* ---- tickets ---- */

struct ticket {
	uint64_t seq;
	pid_t pid;
	int64_t mtime_us;   /* a holder's: when it took the port */
	dev_t dev;
	ino_t ino;
};

static int cmp_ticket(const void *a, const void *b)
{
	const struct ticket *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* "q." and 16 lower-case hex digits, as pc_queue_enter() names them. */
static bool ticket_name(const char *name, uint64_t *seq)
{
	uint64_t v = 0;

	if (strncmp(name, "q.", 2) || strlen(name) != 18)
		return false;
	for (const char *p = name + 2; *p; p++) {
		if (*p >= '0' && *p <= '9')
			v = v << 4 | (uint64_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			v = v << 4 | (uint64_t)(*p - 'a' + 10);
		else
			return false;
	}
	*seq = v;
	return true;
}

/* Skip @word in @p; NULL when it is not there. */
static const char *expect(const char *p, const char *word)
{
	size_t n = strlen(word);

	return p && !strncmp(p, word, n) ? p + n : NULL;
}

/* Decimal digits (1..@max of them) in @p, into @v. */
static const char *digits(const char *p, int max, long *v)
{
	int n = 0;

	*v = 0;
	while (p && *p >= '0' && *p <= '9' && n < max)
		*v = *v * 10 + (*p++ - '0'), n++;
	return n ? p : NULL;
}

/* "pid=N\nrequest=WORD\naddress=A\n", exactly as pc_queue_enter() writes it. */
static bool ticket_content(const char *text, pid_t *pid)
{
	const char *p = expect(text, "pid=");
	long v, a;
	int n = 0;

	p = digits(p, 10, &v);
	if (!p || v <= 0 || v > INT32_MAX)
		return false;
	*pid = (pid_t)v;
	p = expect(expect(p, "\n"), "request=");
	while (p && *p >= 'a' && *p <= 'z' && n < 16)
		p++, n++;
	if (!n)
		return false;
	p = expect(expect(p, "\n"), "address=");
	if (p && !strncmp(p, "-1", 2))
		p += 2;
	else if (!(p = digits(p, 1, &a)) || a >= PC_MAX_CHAIN)
		return false;
	p = expect(p, "\n");
	return p && !*p;
}

enum verdict { TICKET_LIVE, TICKET_DEAD, TICKET_GONE, NOT_A_TICKET };

/*
 * What is @name (a q.* entry)? A live ticket is a regular file with a
 * ticket's name and content that someone OFD-locks: a holder or a waiter,
 * however long it takes. A dead one has no lock. Anything else - another
 * kind of file, other content, a POSIX lock, which the library never takes -
 * is no ticket (@why says why).
 */
static enum verdict examine(const struct place *pl, const char *name, struct ticket *t, char *why, size_t whylen)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	char text[TICKET_TEXT_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd;

	if (!ticket_name(name, &t->seq)) {
		snprintf(why, whylen, "has no ticket's name");
		return NOT_A_TICKET;
	}
	fd = open_entry(pl, name, O_RDONLY, false, &st, why, whylen);
	if (fd == -ENOENT)
		return TICKET_GONE;
	if (fd < 0) {
		if (fd != PLANTED)
			snprintf(why, whylen, "cannot be read: %s", parclass_strerror(fd));
		return NOT_A_TICKET;
	}
	n = read_bounded(fd, text, TICKET_TEXT_MAX);
	if (n >= 0 && n <= TICKET_TEXT_MAX)
		text[n] = '\0';
	if (n < 0 || n > TICKET_TEXT_MAX || !ticket_content(text, &t->pid)) {
		close(fd);
		snprintf(why, whylen, "holds no ticket");
		return NOT_A_TICKET;
	}
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
		close(fd);
		snprintf(why, whylen, "cannot be checked for a lock");
		return NOT_A_TICKET;
	}
	close(fd);
	if (fl.l_type == F_UNLCK)
		return TICKET_DEAD;
	if (fl.l_pid != -1) {
		snprintf(why, whylen, "is locked by process %d, which is not libparclass", (int)fl.l_pid);
		return NOT_A_TICKET;
	}
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->mtime_us = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
	return TICKET_LIVE;
}

/*
 * Live tickets, oldest first, one per file. With @tidy (under the seq lock,
 * so that no ticket appears meanwhile) dead tickets are removed, and
 * anything else named q.* too, with a warning. Another name for our own
 * ticket is always removed: only we know which name is ours.
 */
static int scan(struct pc_queue *q, bool tidy, struct ticket **out, size_t *count)
{
	struct place pl = PLACE_OF(q);
	int fd = dup(q->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct ticket *t = NULL;
	size_t n = 0, cap = 0, kept = 0;
	struct stat own;
	bool have_own = q->ticket_fd >= 0 && fstat(q->ticket_fd, &own) == 0;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		char why[96], shown[64];
		struct ticket one = { 0 };

		if (strncmp(de->d_name, "q.", 2))
			continue;
		switch (examine(&pl, de->d_name, &one, why, sizeof why)) {
		case TICKET_GONE:
			continue;
		case TICKET_DEAD:
			if (one.seq > q->newest_dead)
				q->newest_dead = one.seq;
			if (tidy) {
				pc_dbg(q->ctx, "parport%d: removing the ticket of a process that died: %s", q->number,
				       de->d_name);
				unlinkat(q->dirfd, de->d_name, 0);
			}
			continue;
		case NOT_A_TICKET:
			if (!tidy)
				continue;
			printable(de->d_name, shown, sizeof shown);
			if (clear_entry(q->dirfd, de->d_name) == 0)
				pc_warn(q->ctx, "%s/parport%d/%s %s: not a ticket; removed", q->ctx->runtime_dir, q->number,
					shown, why);
			else
				pc_dbg(q->ctx, "%s/parport%d/%s %s: not a ticket; ignored", q->ctx->runtime_dir, q->number,
				       shown, why);
			continue;
		case TICKET_LIVE:
			break;
		}
		if (have_own && one.dev == own.st_dev && one.ino == own.st_ino && one.seq != q->ticket) {
			pc_warn(q->ctx, "%s/parport%d/%s is another name for our ticket: removed", q->ctx->runtime_dir,
				q->number, de->d_name);
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
		t[n++] = one;
	}
	closedir(d);
	if (n)
		qsort(t, n, sizeof *t, cmp_ticket);
	/* One request under two names (a hard link) counts once, at its oldest. */
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t k = 0; k < kept && !seen; k++)
			seen = t[k].dev == t[i].dev && t[k].ino == t[i].ino;
		if (!seen)
			t[kept++] = t[i];
	}
	*out = t;
	*count = kept;
	return 0;
}

int pc_queue_open(parclass_context *ctx, int number, struct pc_queue *q)
{
	char path[4096];
	int dirfd, r;

	memset(q, 0, sizeof *q);
	q->ctx = ctx;
	q->number = number;
	q->dirfd = q->ticket_fd = q->seqfd = q->inotify_fd = q->cancel_fd = q->watch_fd = -1;
	dirfd = port_dir(ctx, number, true);
	if (dirfd < 0)
		return dirfd;
	q->dirfd = dirfd;
	r = seq_open(q);
	q->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	q->cancel_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r < 0 || q->inotify_fd < 0 || q->cancel_fd < 0) {
		int e = r < 0 ? -r : errno;

		pc_err(ctx, "cannot use %s/parport%d: %s", ctx->runtime_dir, number, parclass_strerror(-e));
		pc_queue_close(q);
		return e == EACCES || e == EPERM ? -EACCES : -EIO;
	}
	/* Only a hint: waiters look at the queue every LIVENESS_POLL_MS anyway. */
	snprintf(path, sizeof path, "%s/parport%d", ctx->runtime_dir, number);
	if (inotify_add_watch(q->inotify_fd, path, IN_DELETE | IN_MOVED_TO | IN_DONT_FOLLOW | IN_ONLYDIR) < 0)
		pc_dbg(ctx, "cannot watch %s: %s", path, parclass_strerror(-errno));
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
	if (q->watch_fd >= 0)
		close(q->watch_fd);
	if (q->dirfd >= 0)
		close(q->dirfd);
	q->seqfd = q->inotify_fd = q->cancel_fd = q->watch_fd = q->dirfd = -1;
}

/*
 * A process killed between creating a file as tmp.PID.* and renaming it into
 * place (create_file()) leaves that file behind. Only files of processes
 * that are gone are removed: a live one may be about to rename its own.
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
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, "tmp.", 4))
			continue;
		pid = strtol(de->d_name + 4, &end, 10);
		if (end == de->d_name + 4 || *end != '.' || pid <= 0 || pid > INT_MAX ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		pc_dbg(q->ctx, "parport%d: removing what a process that died left: %s", q->number, de->d_name);
		unlinkat(q->dirfd, de->d_name, 0);
	}
	closedir(d);
}

int pc_queue_enter(struct pc_queue *q, const char *what, int address, bool only_if_empty)
{
	struct place pl = PLACE_OF(q);
	char name[32], content[TICKET_TEXT_MAX + 1];
	struct ticket *t = NULL;
	size_t n = 0;
	uint64_t seq;
	int r, fd = -EEXIST, len;

	if (q->ticket_fd >= 0)
		return -EALREADY;
	r = seq_lock(q, F_WRLCK);
	if (r < 0)
		return r;
	remove_dead_tmp(q);
	r = scan(q, true, &t, &n);
	if (r < 0)
		goto out;
	if (only_if_empty && n) {
		r = -EBUSY;
		goto out;
	}
	/* After the newest live ticket, whatever the counter says: a counter
	 * someone reset or filled with garbage must not let us overtake anyone.
	 * And after the newest dead one: a name once in the queue is not used
	 * again, so that whoever watches the queue never sees one twice. */
	seq = read_counter(q, false);
	if (n && t[n - 1].seq > seq)
		seq = t[n - 1].seq;
	if (q->newest_dead > seq)
		seq = q->newest_dead;
	len = snprintf(content, sizeof content, "pid=%d\nrequest=%s\naddress=%d\n", (int)getpid(), what, address);
	/* A ticket appears locked (rename), so that nobody takes it for a dead
	 * one, and never over another (something planted, or a process that got
	 * in beside us while a stuck seq was replaced). */
	for (int i = 0; fd == -EEXIST && i < TICKET_TRIES && seq < UINT64_MAX; i++) {
		seq++;
		/* The counter first: a process killed once its ticket is there
		 * must not leave its number to the next, who would enter the
		 * queue under a name that was already in it. */
		write_counter(q, seq);
		snprintf(name, sizeof name, "q.%016" PRIx64, seq);
		fd = create_file(&pl, name, content, (size_t)len, false, true);
	}
	if (fd < 0) {
		pc_err(q->ctx, "parport%d: cannot queue a request: %s", q->number, parclass_strerror(fd));
		r = -EIO;
		goto out;
	}
	q->ticket_fd = fd;
	q->ticket = seq;
	r = 0;
	if (only_if_empty) {
		/* Only the head may skip the wait: make sure nobody came in beside us. */
		free(t);
		t = NULL;
		r = scan(q, false, &t, &n);
		if (r == 0 && (!n || t[0].seq != seq))
			r = -EBUSY;
		if (r < 0)
			pc_queue_leave(q);
	}
out:
	free(t);
	unlock_fd(q->seqfd);
	return r;
}

void pc_queue_leave(struct pc_queue *q)
{
	char name[32];

	if (q->ticket_fd < 0)
		return;
	snprintf(name, sizeof name, "q.%016" PRIx64, q->ticket);
	/* Unlink before the lock goes, so that nobody sees a dead ticket of ours;
	 * only when that name is still our ticket. */
	if (same_file(q->dirfd, name, q->ticket_fd))
		unlinkat(q->dirfd, name, 0);
	close(q->ticket_fd);
	q->ticket_fd = -1;
}

/* Take a pending parclass_port_cancel(), if there is one. */
bool pc_queue_cancelled(struct pc_queue *q)
{
	uint64_t v;

	return q->cancel_fd >= 0 && read(q->cancel_fd, &v, sizeof v) == sizeof v;
}

int pc_queue_wait(struct pc_queue *q, int64_t deadline)
{
	for (;;) {
		struct ticket *t = NULL;
		size_t n = 0;
		struct pollfd pfd[2] = { { q->inotify_fd, POLLIN, 0 }, { q->cancel_fd, POLLIN, 0 } };
		char drain[4096], name[32];
		int r, left;

		bool ours = false, head;

		if (pc_queue_cancelled(q))
			return -ECANCELED;
		r = scan(q, false, &t, &n);
		if (r < 0)
			return r;
		snprintf(name, sizeof name, "q.%016" PRIx64, q->ticket);
		for (size_t i = 0; i < n; i++)
			ours |= t[i].seq == q->ticket;
		ours = ours && same_file(q->dirfd, name, q->ticket_fd);
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

int pc_queue_state(struct pc_queue *q, pid_t *holder, unsigned *waiters, int64_t *since_us)
{
	struct ticket *t = NULL;
	size_t n = 0;
	int r;
	bool locked;

	/* Under the queue lock, so that the count is exact at one moment. */
	locked = seq_lock(q, F_RDLCK) == 0;
	r = scan(q, locked, &t, &n);
	if (locked)
		unlock_fd(q->seqfd);
	if (r < 0)
		return r;
	*waiters = n ? (unsigned)n - 1 : 0;
	*holder = n ? t[0].pid : 0;
	if (since_us)
		*since_us = n ? t[0].mtime_us : 0;
	free(t);
	return 0;
}

void pc_queue_mark_held(struct pc_queue *q)
{
	/* The ticket's mtime says since when; it also tells a watcher (IN_ATTRIB)
	 * that the holder changed when the one before died without a word. */
	if (q->ticket_fd >= 0 && futimens(q->ticket_fd, NULL) < 0)
		pc_dbg(q->ctx, "parport%d: cannot note when we took the port: %s", q->number,
		       parclass_strerror(-errno));
}

static bool watch_by_name(struct pc_queue *q, int fd)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/parport%d", q->ctx->runtime_dir, q->number);
	return inotify_add_watch(fd, path, WATCH_EVENTS | IN_ONLYDIR | IN_DONT_FOLLOW) >= 0 &&
	       same_file(AT_FDCWD, path, q->dirfd);
}

int pc_queue_watch_fd(struct pc_queue *q)
{
	char path[64];
	int fd;

	if (q->watch_fd >= 0)
		return q->watch_fd;
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return errno == ENOMEM ? -ENOMEM : -EIO;
	/* The directory we have open, not whatever its name leads to now; by
	 * its name (never through a link) only without /proc. */
	snprintf(path, sizeof path, "/proc/self/fd/%d", q->dirfd);
	if (inotify_add_watch(fd, path, WATCH_EVENTS | IN_ONLYDIR) < 0 &&
	    (errno != ENOENT || !watch_by_name(q, fd))) {
		pc_dbg(q->ctx, "cannot watch %s/parport%d: %s", q->ctx->runtime_dir, q->number, parclass_strerror(-errno));
		close(fd);
		return -EIO;
	}
	q->watch_fd = fd;
	return fd;
}

/* What a change to the entry @name means for a watcher. */
static unsigned watch_kind(const char *name)
{
	if (!strncmp(name, "q.", 2))
		return PARCLASS_WATCH_QUEUE;
	if (!strncmp(name, "report.", 7))
		return PARCLASS_WATCH_REPORT;
	return 0;
}

int pc_queue_watch_drain(struct pc_queue *q)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	unsigned changed = 0;
	ssize_t n;

	if (q->watch_fd < 0)
		return -EBADF;
	while ((n = read(q->watch_fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED))
				changed |= PARCLASS_WATCH_QUEUE | PARCLASS_WATCH_REPORT;  /* we cannot tell: assume both */
			else if (ev->len)
				changed |= watch_kind(ev->name);
			p += sizeof *ev + ev->len;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -EIO;
	return (int)changed;
}

/* ---- exclusive opens and shared knowledge ---- */

static void address_key(int address, char *buf, size_t size)
{
	if (address == PARCLASS_ADDRESS_END)
		snprintf(buf, size, "eoc");
	else
		snprintf(buf, size, "%d", address);
}

int pc_open_lock(parclass_context *ctx, int number, int address)
{
	struct place pl = { ctx, number, port_dir(ctx, number, true) };
	char name[32], key[8], pid[32], why[96];
	struct stat st;
	int fd = -EIO, r = -EACCES;
	ssize_t len;

	if (pl.dirfd < 0)
		return pl.dirfd;
	address_key(address, key, sizeof key);
	snprintf(name, sizeof name, "open.%s", key);
	for (int i = 0; i < ENTRY_RETRIES; i++) {
		pid_t other;

		fd = open_entry(&pl, name, O_RDWR, true, &st, why, sizeof why);
		if (fd == -ENOENT) {
			fd = create_file(&pl, name, NULL, 0, false, false);
			if (fd == -EEXIST)
				continue;
		} else if (fd == PLANTED || fd == -EACCES || fd == -EPERM) {
			if (fd != PLANTED)
				snprintf(why, sizeof why, "is not writable for us");
			fd = replace_entry(&pl, name, NULL, 0, why);
			if (fd >= 0) {
				close(fd);   /* opened, locked and checked as any other */
				continue;
			}
		}
		if (fd < 0) {
			r = -EACCES;
			break;
		}
		r = try_lock(fd, F_WRLCK, &other);
		if (r == -EBUSY && other > 0) {
			/* The library takes only OFD locks here: a POSIX lock is someone else's. */
			close(fd);
			snprintf(why, sizeof why, "is locked by process %d, which is not libparclass", (int)other);
			fd = replace_entry(&pl, name, NULL, 0, why);
			if (fd >= 0)
				close(fd);
			r = -EBUSY;
			continue;
		}
		if (r < 0) {
			close(fd);
			r = r == -EBUSY ? -EBUSY : -EACCES;
			break;
		}
		if (!same_file(pl.dirfd, name, fd)) {
			close(fd);   /* replaced meanwhile: our lock guards nothing */
			r = -EBUSY;
			continue;
		}
		len = snprintf(pid, sizeof pid, "pid=%d\n", (int)getpid());
		if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len)
			pc_dbg(ctx, "cannot note our pid in %s/parport%d/%s", ctx->runtime_dir, number, name);
		close(pl.dirfd);
		return fd;
	}
	close(pl.dirfd);
	return r;
}

bool pc_open_elsewhere(parclass_context *ctx, int number, int address)
{
	struct place pl = { ctx, number, port_dir(ctx, number, false) };
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char name[32], key[8], why[96];
	struct stat st;
	int fd;

	if (pl.dirfd < 0)
		return false;
	address_key(address, key, sizeof key);
	snprintf(name, sizeof name, "open.%s", key);
	fd = open_entry(&pl, name, O_RDONLY, true, &st, why, sizeof why);
	close(pl.dirfd);
	if (fd < 0)
		return false;   /* none, or something planted, which opens nothing */
	/* Only an OFD lock is the library's (l_pid -1); this handle has none on it. */
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		fl.l_type = F_UNLCK;
	close(fd);
	return fl.l_type != F_UNLCK && fl.l_pid == -1;
}

int pc_cache_store(parclass_context *ctx, int number, int address, const char *what, const void *data, size_t len)
{
	struct place pl = { ctx, number, port_dir(ctx, number, true) };
	char name[32], key[8];
	int fd;

	if (pl.dirfd < 0)
		return pl.dirfd;
	address_key(address, key, sizeof key);
	snprintf(name, sizeof name, "%s.%s", what, key);
	/* Renamed over whatever is there: a planted link or FIFO only loses its name. */
	fd = create_file(&pl, name, data, len, true, false);
	if (fd == -EISDIR || fd == -ENOTEMPTY || fd == -EEXIST)
		fd = replace_entry(&pl, name, data, len, "is a directory");
	if (fd >= 0)
		close(fd);
	close(pl.dirfd);
	return fd < 0 ? -EIO : 0;
}

/* Is @text (@n bytes) what pc_cache_store() keeps as @what? */
static bool cache_valid(const char *what, const char *text, size_t n)
{
	if (!strcmp(what, "id")) {
		parclass_device_id *id = NULL;
		bool ok = parclass_device_id_parse_raw(text, n, &id) == 0;

		parclass_device_id_free(id);
		return ok;
	} else {
		/* "%#x\n" of a mode mask */
		char *end;
		unsigned long v;

		if (!n || text[0] < '0' || text[0] > '9')
			return false;
		errno = 0;
		v = strtoul(text, &end, 16);
		return !errno && v <= 0xffff && end == text + n - 1 && *end == '\n';
	}
}

char *pc_cache_load(parclass_context *ctx, int number, int address, const char *what, size_t *len)
{
	struct place pl = { ctx, number, port_dir(ctx, number, false) };
	size_t max = strcmp(what, "id") ? MODES_TEXT_MAX : PC_ID_RAW_MAX;
	char name[32], key[8], why[96];
	char *buf = NULL;
	struct stat st;
	ssize_t n = -1;
	int fd;

	if (pl.dirfd < 0)
		return NULL;
	address_key(address, key, sizeof key);
	snprintf(name, sizeof name, "%s.%s", what, key);
	fd = open_entry(&pl, name, O_RDONLY, true, &st, why, sizeof why);
	close(pl.dirfd);
	if (fd < 0) {
		if (fd != -ENOENT)
			pc_warn(ctx, "%s/parport%d/%s %s: ignored", ctx->runtime_dir, number, name,
				fd == PLANTED ? why : parclass_strerror(fd));
		return NULL;
	}
	if (st.st_size > (off_t)max) {
		/* Not even read: it cannot be what we keep there. */
		pc_warn(ctx, "%s/parport%d/%s is %jd bytes, more than it can be: ignored", ctx->runtime_dir, number, name,
			(intmax_t)st.st_size);
		close(fd);
		return NULL;
	}
	buf = malloc(max + 2);
	if (buf)
		n = read_bounded(fd, buf, max);
	close(fd);
	if (n >= 0 && (size_t)n <= max)
		buf[n] = '\0';
	if (n < 0 || (size_t)n > max || !cache_valid(what, buf, (size_t)n)) {
		if (buf)
			pc_warn(ctx, "%s/parport%d/%s does not hold %s: ignored", ctx->runtime_dir, number, name,
				strcmp(what, "id") ? "modes" : "a device ID");
		free(buf);
		return NULL;
	}
	if (len)
		*len = (size_t)n;
	return buf;
}

/* ---- published reports ---- */

void pc_report_name(int address, char *buf, size_t size)
{
	char key[8];

	address_key(address, key, sizeof key);
	snprintf(buf, size, "report.%s", key);
}

int pc_report_store(struct pc_queue *q, int address, const char *text, size_t len, int *lock_fd)
{
	struct place pl = PLACE_OF(q);
	char name[32];
	int fd;

	pc_report_name(address, name, sizeof name);
	/* Locked before it appears, so that nobody sees it as a dead publisher's;
	 * renamed over whatever is there: a planted link or FIFO only loses its name. */
	fd = create_file(&pl, name, text, len, true, true);
	if (fd == -EISDIR || fd == -ENOTEMPTY || fd == -EEXIST) {
		pc_warn(q->ctx, "%s/parport%d/%s is a directory: moved it out of the way", q->ctx->runtime_dir,
			q->number, name);
		clear_entry(q->dirfd, name);
		fd = create_file(&pl, name, text, len, true, true);
	}
	if (fd < 0) {
		pc_dbg(q->ctx, "cannot publish %s/parport%d/%s: %s", q->ctx->runtime_dir, q->number, name,
		       parclass_strerror(fd));
		return fd == -EACCES || fd == -EPERM ? -EACCES : -EIO;
	}
	/* The report before goes, and with it the lock that kept it live. */
	if (*lock_fd >= 0)
		close(*lock_fd);
	*lock_fd = fd;
	return 0;
}

int pc_report_load(struct pc_queue *q, int address, char *buf, size_t max, uid_t *owner, bool *locked)
{
	struct place pl = PLACE_OF(q);
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	char name[32], why[96];
	struct stat st;
	ssize_t n;
	int fd;

	pc_report_name(address, name, sizeof name);
	fd = open_entry(&pl, name, O_RDONLY, true, &st, why, sizeof why);
	if (fd == -ENOENT)
		return -ENOENT;
	if (fd < 0) {
		pc_dbg(q->ctx, "%s/parport%d/%s %s: refused", q->ctx->runtime_dir, q->number, name,
		       fd == PLANTED ? why : parclass_strerror(fd));
		return -EBADMSG;
	}
	if (st.st_size > (off_t)max) {
		/* Not even read: it cannot be a report. */
		pc_dbg(q->ctx, "%s/parport%d/%s is %jd bytes, more than a report can be: refused", q->ctx->runtime_dir,
		       q->number, name, (intmax_t)st.st_size);
		close(fd);
		return -EBADMSG;
	}
	n = read_bounded(fd, buf, max);
	if (n >= 0 && (size_t)n <= max && fcntl(fd, F_OFD_GETLK, &fl) < 0)
		n = -1;
	close(fd);
	if (n < 0 || (size_t)n > max) {
		pc_dbg(q->ctx, "%s/parport%d/%s cannot be read: refused", q->ctx->runtime_dir, q->number, name);
		return -EBADMSG;
	}
	if (fl.l_type != F_UNLCK && fl.l_pid != -1) {
		pc_dbg(q->ctx, "%s/parport%d/%s is locked by process %d, which is not libparclass: refused",
		       q->ctx->runtime_dir, q->number, name, (int)fl.l_pid);
		return -EBADMSG;
	}
	buf[n] = '\0';
	*owner = st.st_uid;
	*locked = fl.l_type != F_UNLCK;
	return (int)n;
}
