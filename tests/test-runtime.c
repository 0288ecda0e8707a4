/*
 * test-runtime.c - the runtime directory is untrusted input
 *
 * Group lp may write in the runtime directory, so a member of lp, or a
 * confused program, may put anything where the library keeps its state:
 * symbolic links (to a file, to /dev/zero, dangling), hard links, FIFOs,
 * directories, sockets, device nodes, huge sparse files, garbage, and locks
 * held forever. For each of them in each place (seq, q.*, open.*, id.*,
 * modes.*, the temporary names, parportN itself) the library goes on
 * working or fails with its documented error, never touches what a link
 * leads to, never blocks, names the problem in a log line, and keeps the
 * queue's order and waiter counts exact.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.h"
#include "parclass.h"

#define SPARSE_SIZE (1ll << 30)

static const char laser_model[] =
	"[device]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble\n";
/* What the kernel's cache gives for that printer, parsed. */
static const char kernel_id[] = "CLASS:PRINTER;MODEL:Laser 9;MANUFACTURER:ACME;COMMAND SET:PJL;";
static const char fresh_id[] = "MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;";
/* A raw device ID that must never show up: the bait behind links. */
static const char bait_id[] = "\x00\x1a" "MFG:Outside;MDL:Secret 7;";

static struct fx_sim *sim;
static parclass_context *ctx;
static GString *log_text;
static bool log_broken;          /* a message with a line break in it */
static pid_t children[32];
static unsigned n_children;

static void on_log(parclass_context *c, enum parclass_log_level level, const char *message, void *userdata)
{
	(void)c;
	(void)userdata;
	if (strchr(message, '\n') || strchr(message, '\r'))
		log_broken = true;
	g_string_append_printf(log_text, "%d %s\n", level, message);
}

static void teardown(void)
{
	for (unsigned i = 0; i < n_children; i++) {
		kill(children[i], SIGKILL);
		wait_child(children[i]);
	}
	n_children = 0;
	parclass_context_unref(ctx);
	ctx = NULL;
	if (log_text)
		g_string_free(log_text, TRUE);
	log_text = NULL;
	fx_free(sim);
	sim = NULL;
}

TestSuite(runtime, .fini = teardown);

static pid_t track(pid_t pid)
{
	cr_assert_lt(n_children, G_N_ELEMENTS(children));
	children[n_children++] = pid;
	return pid;
}

/* @n ports with the laser printer, and their directories made as the library makes them. */
static void start_ports(unsigned n, const char *model)
{
	const char *models[9] = { NULL };

	cr_assert_leq(n, 8);
	for (unsigned i = 0; i < n; i++)
		models[i] = model ? model : laser_model;
	sim = fx_start(models);
	log_text = g_string_new(NULL);
	cr_assert_eq(fx_context_new(&ctx), 0);
	fx_context_set_log(ctx, PARCLASS_LOG_DEBUG, on_log, NULL);
	cr_assert_eq(g_mkdir_with_parents(sim->runtime, 02775), 0);
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *dir = g_strdup_printf("%s/parport%u", sim->runtime, i);

		cr_assert_eq(mkdir(dir, 02775), 0);
	}
}

static char *in_port(unsigned port, const char *name)
{
	return g_strdup_printf("%s/parport%u/%s", sim->runtime, port, name);
}

static void assert_logged(int level, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The log has the line "LEVEL <runtime>/TEXT". */
static void assert_logged(int level, const char *fmt, ...)
{
	g_autofree char *text = NULL, *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	line = g_strdup_printf("%d %s/%s", level, sim->runtime, text);
	cr_assert(strstr(log_text->str, line), "no log line \"%s\"; the log:\n%s", line, log_text->str);
	cr_assert_not(log_broken, "a log message had a line break in it:\n%s", log_text->str);
}

/* ---- what gets planted ---- */

enum kind {
	SYMLINK,        /* to a file outside, holding bait */
	SYMLINK_ZERO,   /* to /dev/zero */
	DANGLING,       /* to nothing */
	HARDLINK,       /* to a file outside, holding bait */
	FIFO,
	DIRECTORY,      /* with a file in it */
	SOCKET,
	DEVICE,         /* a character device (/dev/zero's numbers); only root can make one */
	SPARSE,         /* a regular file of 1 GiB */
	GARBAGE,        /* a regular file of binary garbage */
};

static const char *const kind_name[] = {
	[SYMLINK] = "a symbolic link to a file", [SYMLINK_ZERO] = "a symbolic link to /dev/zero",
	[DANGLING] = "a dangling symbolic link", [HARDLINK] = "a hard link", [FIFO] = "a FIFO",
	[DIRECTORY] = "a directory", [SOCKET] = "a socket", [DEVICE] = "a device node",
	[SPARSE] = "a 1 GiB sparse file", [GARBAGE] = "binary garbage",
};

/* How the library describes what it found (the kinds it refuses outright). */
static const char *const kind_why[] = {
	[SYMLINK] = "is a symbolic link", [SYMLINK_ZERO] = "is a symbolic link", [DANGLING] = "is a symbolic link",
	[HARDLINK] = "is a hard link (2 names)", [FIFO] = "is a FIFO", [DIRECTORY] = "is a directory",
	[SOCKET] = "is a socket", [DEVICE] = "is a device",
};

/* The plants every place gets: links, and the rest (a device node last: only root can make one). */
static const enum kind link_kinds[] = { SYMLINK, SYMLINK_ZERO, DANGLING, HARDLINK };
static const enum kind other_kinds[] = { FIFO, DIRECTORY, SOCKET, SPARSE, GARBAGE, DEVICE };

static unsigned n_other_kinds(void)
{
	return G_N_ELEMENTS(other_kinds) - (geteuid() == 0 ? 0 : 1);
}

/* Where links lead: one file (or name) per plant, outside the runtime directory. */
static char *outside(const char *tag)
{
	return g_strdup_printf("%s/outside.%s", sim->dir, tag);
}

static void write_file(const char *path, const void *data, size_t len)
{
	cr_assert(g_file_set_contents(path, data, (gssize)len, NULL), "cannot write %s", path);
}

/* Put @k at @path; a link leads to outside.@tag, made to hold @bait. */
static void plant(const char *path, enum kind k, const char *tag, const void *bait, size_t bait_len)
{
	g_autofree char *out = outside(tag);
	unsigned char junk[4000];
	int fd;

	switch (k) {
	case SYMLINK:
		write_file(out, bait, bait_len);
		cr_assert_eq(symlink(out, path), 0);
		break;
	case SYMLINK_ZERO:
		cr_assert_eq(symlink("/dev/zero", path), 0);
		break;
	case DANGLING:
		cr_assert_eq(symlink(out, path), 0);
		break;
	case HARDLINK:
		write_file(out, bait, bait_len);
		cr_assert_eq(link(out, path), 0);
		break;
	case FIFO:
		cr_assert_eq(mkfifo(path, 0664), 0);
		break;
	case DIRECTORY: {
		g_autofree char *inside = g_build_filename(path, "inside", NULL);

		cr_assert_eq(mkdir(path, 0775), 0);
		write_file(inside, bait, bait_len);
		break;
	}
	case SOCKET: {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		cr_assert_lt(strlen(path), sizeof a.sun_path);
		strcpy(a.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0, "bind %s: %s", path, strerror(errno));
		close(fd);
		break;
	}
	case DEVICE:
		cr_assert_eq(mknod(path, S_IFCHR | 0666, makedev(1, 5)), 0, "mknod: %s", strerror(errno));
		break;
	case SPARSE:
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0664);
		cr_assert_geq(fd, 0);
		cr_assert_eq(ftruncate(fd, SPARSE_SIZE), 0);
		close(fd);
		break;
	case GARBAGE:
		fill_pattern(junk, sizeof junk, 1284);
		write_file(path, junk, sizeof junk);
		break;
	}
}

/* @n ports, each with one of @kinds as @name; links lead to outside.NAME<port>, holding @bait. */
static void start_with_plants(const char *name, const enum kind *kinds, unsigned n, const char *bait)
{
	start_ports(n, NULL);
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *path = in_port(i, name);
		g_autofree char *tag = g_strdup_printf("%s%u", name, i);

		plant(path, kinds[i], tag, bait, strlen(bait));
	}
}

/* What a link led to is as it was, with no name in the runtime directory left. */
static void assert_outside_intact(enum kind k, const char *tag, const void *bait, size_t bait_len)
{
	g_autofree char *out = outside(tag);
	g_autofree char *data = NULL;
	gsize len = 0;
	struct stat st;

	if (k == DANGLING) {
		cr_assert_eq(lstat(out, &st), -1, "a dangling link's target was created: %s", out);
		return;
	}
	if (k != SYMLINK && k != HARDLINK)
		return;
	cr_assert(g_file_get_contents(out, &data, &len, NULL));
	cr_assert_eq(len, bait_len, "%s: %s changed size", kind_name[k], out);
	cr_assert(memcmp(data, bait, len) == 0, "%s: %s was written", kind_name[k], out);
}

static void assert_regular(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
	cr_assert(S_ISREG(st.st_mode), "%s is not a regular file (%o)", path, st.st_mode);
	cr_assert_eq(st.st_nlink, 1, "%s has %ju names", path, (uintmax_t)st.st_nlink);
}

static void assert_gone(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), -1, "%s is still there", path);
}

/* Write over a file in place (the same file, not a new one under its name). */
static void overwrite(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *read_text(const char *path)
{
	char *data = NULL;

	cr_assert(g_file_get_contents(path, &data, NULL, NULL), "cannot read %s", path);
	return data;
}

/* ---- other processes ---- */

/*
 * A process of its own that uses the library on command, one letter at a
 * time: 'a' allocate (20 s), 'f' free, 'o' open the device, 'c' close it,
 * 'q' quit. It answers 'y' (done), 't' (timed out), 'b' (busy) or 'e'.
 */
struct client {
	pid_t pid;
	struct sync_pipe to, from;
	char location[16];
};

static char answer(int r)
{
	return r == 0 ? 'y' : r == -ETIMEDOUT ? 't' : r == -EBUSY ? 'b' : 'e';
}

static int client_main(void *data)
{
	struct client *c = data;
	parclass_context *cctx;
	parclass_port *port;
	parclass_device *dev = NULL;

	if (fx_context_new(&cctx) || parclass_port_open(cctx, c->location, &port))
		return 10;
	sync_post(&c->from, 'r');
	for (;;) {
		int cmd = sync_wait(&c->to, 2 * EVENTUALLY_MS), r = -EINVAL;

		if (cmd < 0 || cmd == 'q')
			break;
		if (cmd == 'a')
			r = parclass_port_allocate(port, EVENTUALLY_MS);
		else if (cmd == 'f')
			r = parclass_port_free(port);
		else if (cmd == 'o')
			r = parclass_device_open(cctx, c->location, &dev);
		else if (cmd == 'c') {
			parclass_device_close(dev);
			dev = NULL;
			r = 0;
		}
		sync_post(&c->from, answer(r));
	}
	parclass_device_close(dev);
	parclass_port_close(port);
	parclass_context_unref(cctx);
	return 0;
}

static void client_start(struct client *c, const char *location)
{
	snprintf(c->location, sizeof c->location, "%s", location);
	sync_init(&c->to);
	sync_init(&c->from);
	c->pid = track(fork_child_ready(client_main, c, &c->from, 'r'));
}

static void client_send(struct client *c, char cmd)
{
	sync_post(&c->to, cmd);
}

static char client_answer(struct client *c)
{
	return (char)sync_wait(&c->from, EVENTUALLY_MS);
}

static char client_do(struct client *c, char cmd)
{
	client_send(c, cmd);
	return client_answer(c);
}

/*
 * A process that locks @path (an OFD lock, or with @posix a POSIX lock) and
 * keeps it until killed. With @ticket it first writes a ticket of its own
 * there, as the library would.
 */
struct locker {
	const char *path;
	bool posix, ticket;
	struct sync_pipe up;
};

static int locker_main(void *data)
{
	struct locker *l = data;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int fd = open(l->path, O_RDWR | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return 10;
	if (l->ticket && dprintf(fd, "pid=%d\nrequest=allocate\naddress=-1\n", (int)getpid()) < 0)
		return 11;
	if (fcntl(fd, l->posix ? F_SETLK : F_OFD_SETLK, &fl) < 0)
		return 12;
	sync_post(&l->up, 'l');
	for (;;)
		pause();
	return 0;
}

static pid_t lock_forever(const char *path, bool posix, bool ticket)
{
	struct locker l = { path, posix, ticket, { { -1, -1 } } };
	pid_t pid;

	sync_init(&l.up);
	pid = track(fork_child_ready(locker_main, &l, &l.up, 'l'));
	close(l.up.fd[0]);
	close(l.up.fd[1]);
	return pid;
}

/* ---- the library from here ---- */

static parclass_port *open_port(unsigned number)
{
	g_autofree char *name = g_strdup_printf("parport%u", number);
	parclass_port *port = NULL;
	int r = parclass_port_open(ctx, name, &port);

	cr_assert_eq(r, 0, "open %s: %s", name, parclass_strerror(r));
	return port;
}

/* Wait (10 s at most) until the port has @holder and @waiters. */
static void eventually_state(parclass_port *port, pid_t holder, unsigned waiters)
{
	long long t0 = now_ms();

	for (;;) {
		pid_t h = -1;
		unsigned w = 99;

		cr_assert_eq(parclass_port_get_holder(port, &h), 0);
		cr_assert_eq(parclass_port_query_waiters(port, &w), 0);
		if (h == holder && w == waiters)
			return;
		cr_assert_lt(now_ms() - t0, EVENTUALLY_MS, "holder %d and %u waiters, expected %d and %u", (int)h, w,
			     (int)holder, waiters);
		usleep(2000);
	}
}

/*
 * Take and free the port once: the process's first use of the bus sets
 * libieee1284 up, which may take longer than a try-allocate allows.
 */
static void warm_up(parclass_port *port)
{
	cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0);
	cr_assert_eq(parclass_port_free(port), 0);
}

/* The port is ours; a second process queues behind us (exactly one waiter) and gets it next. */
static void assert_queue_works(parclass_port *port, unsigned number)
{
	g_autofree char *name = g_strdup_printf("parport%u", number);
	struct client c;

	eventually_state(port, getpid(), 0);
	client_start(&c, name);
	client_send(&c, 'a');
	eventually_state(port, getpid(), 1);
	cr_assert_eq(parclass_port_free(port), 0);
	cr_assert_eq(client_answer(&c), 'y', "%s: the waiter did not get the port", name);
	eventually_state(port, c.pid, 0);
	cr_assert_eq(client_do(&c, 'f'), 'y');
	client_send(&c, 'q');
	cr_assert_eq(wait_child(c.pid), 0);
	eventually_state(port, 0, 0);
}

/* ====================================================================== */
/* seq                                                                     */
/* ====================================================================== */

static void seq_plants(const enum kind *kinds, unsigned n)
{
	start_with_plants("seq", kinds, n, "41\n");
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *seq = in_port(i, "seq");
		g_autofree char *tag = g_strdup_printf("seq%u", i);
		g_autofree char *counter = NULL;
		parclass_port *port = open_port(i);

		cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0, "%s as seq", kind_name[kinds[i]]);
		if (kinds[i] == SPARSE || kinds[i] == GARBAGE)
			assert_logged(PARCLASS_LOG_WARNING,
				      "parport%u/seq holds no counter: counting on from the newest ticket\n", i);
		else
			assert_logged(PARCLASS_LOG_WARNING, "parport%u/seq %s: replaced it with a new one\n", i,
				      kind_why[kinds[i]]);
		assert_regular(seq);
		assert_queue_works(port, i);
		counter = read_text(seq);
		cr_assert_str_eq(counter, "2\n", "%s as seq: two requests counted", kind_name[kinds[i]]);
		parclass_port_close(port);
		assert_outside_intact(kinds[i], tag, "41\n", 3);
	}
}

Test(runtime, links_as_seq_are_replaced_and_what_they_lead_to_is_untouched)
{
	seq_plants(link_kinds, G_N_ELEMENTS(link_kinds));
}

Test(runtime, fifos_directories_sockets_and_garbage_as_seq_never_block_or_deny_the_port)
{
	seq_plants(other_kinds, n_other_kinds());
}

static void seq_locked_forever(bool posix)
{
	g_autofree char *seq = NULL;
	parclass_port *port;
	struct stat before, after;

	start_ports(1, NULL);
	port = open_port(0);
	seq = in_port(0, "seq");
	cr_assert_eq(lstat(seq, &before), 0);
	lock_forever(seq, posix, false);
	/* The library waits its bound (2 s) for the queue lock, then replaces seq. */
	cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0);
	assert_logged(PARCLASS_LOG_WARNING,
		      "parport0/seq has been locked for over 2 s by a process that does not let go: "
		      "replaced it with a new one\n");
	cr_assert_eq(lstat(seq, &after), 0);
	cr_assert_neq(after.st_ino, before.st_ino, "seq was not replaced");
	assert_regular(seq);
	assert_queue_works(port, 0);
	/* Another process of the library uses the new seq at once. */
	cr_assert_eq(parclass_port_try_allocate(port), 0);
	parclass_port_close(port);
}

Test(runtime, a_seq_whose_ofd_lock_is_held_forever_is_replaced)
{
	seq_locked_forever(false);
}

Test(runtime, a_seq_whose_posix_lock_is_held_forever_is_replaced)
{
	seq_locked_forever(true);
}

static void *allocate_in_thread(void *data)
{
	return (void *)(intptr_t)parclass_port_allocate(data, EVENTUALLY_MS);
}

/* What a process killed in the moment after its ticket appeared leaves: a
 * ticket with the number after the counter's. That name is not used again. */
Test(runtime, the_name_of_a_dead_ticket_is_never_used_again)
{
	g_autofree char *seq = NULL, *dead = NULL, *next = NULL;
	parclass_port *port;
	pid_t gone = gone_pid();

	start_ports(1, NULL);
	port = open_port(0);
	seq = in_port(0, "seq");
	overwrite(seq, "4\n", 2);
	dead = in_port(0, "q.0000000000000005");
	{
		g_autofree char *text = g_strdup_printf("pid=%d\nrequest=allocate\naddress=-1\n", (int)gone);

		cr_assert(g_file_set_contents(dead, text, -1, NULL));
	}
	cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0);
	next = in_port(0, "q.0000000000000006");
	cr_assert(g_file_test(next, G_FILE_TEST_EXISTS), "the request did not take the number after the dead one");
	cr_assert_not(g_file_test(dead, G_FILE_TEST_EXISTS), "the dead ticket is still there");
	cr_assert_eq(parclass_port_free(port), 0);
	parclass_port_close(port);
}

Test(runtime, a_counter_reset_or_garbled_in_seq_never_lets_anyone_overtake)
{
	g_autofree char *seq = NULL;
	struct client b, c;
	parclass_port *port, *mine;
	pthread_t thread;
	void *result;

	start_ports(1, NULL);
	port = open_port(0);
	mine = open_port(0);
	seq = in_port(0, "seq");
	client_start(&b, "parport0");
	cr_assert_eq(client_do(&b, 'a'), 'y');
	/* Someone resets the counter: C still queues behind B. */
	overwrite(seq, "0\n", 2);
	client_start(&c, "parport0");
	client_send(&c, 'a');
	eventually_state(port, b.pid, 1);
	/* Someone garbles it: we still queue behind C. */
	overwrite(seq, "\xff\xfe garbage", 10);
	cr_assert_eq(pthread_create(&thread, NULL, allocate_in_thread, mine), 0);
	eventually_state(port, b.pid, 2);
	assert_logged(PARCLASS_LOG_WARNING, "parport0/seq holds no counter: counting on from the newest ticket\n");
	cr_assert_eq(client_do(&b, 'f'), 'y');
	cr_assert_eq(client_answer(&c), 'y', "C came second");
	eventually_state(port, c.pid, 1);
	cr_assert_eq(client_do(&c, 'f'), 'y');
	cr_assert_eq(pthread_join(thread, &result), 0);
	cr_assert_eq((intptr_t)result, 0, "we came third");
	eventually_state(port, getpid(), 0);
	parclass_port_close(mine);
	parclass_port_close(port);
}

/* ====================================================================== */
/* q.*                                                                     */
/* ====================================================================== */

/* A ticket as the library writes it, for a process that never existed. */
static const char ticket_text[] = "pid=999999\nrequest=allocate\naddress=-1\n";

Test(runtime, anything_named_q_that_is_no_ticket_holds_nothing_and_is_removed)
{
	static const struct {
		const char *name;
		enum kind kind;
		const char *why;
	} plants[] = {
		{ "q.0000000000000001", SYMLINK, "is a symbolic link" },
		{ "q.0000000000000002", FIFO, "is a FIFO" },
		{ "q.0000000000000003", DIRECTORY, "is a directory" },
		{ "q.0000000000000004", SOCKET, "is a socket" },
		{ "q.0000000000000005", SPARSE, "holds no ticket" },
		{ "q.0000000000000006", GARBAGE, "holds no ticket" },
		{ "q.0000000000000007", HARDLINK, "holds no ticket" },
		{ "q.0000000000000008", SYMLINK_ZERO, "is a symbolic link" },
		{ "q.0000000000000009", DANGLING, "is a symbolic link" },
		{ "q.000000000000000a", DEVICE, "is a device" },
	};
	g_autofree char *lure = NULL, *posix = NULL, *garbled = NULL, *badname = NULL, *evil = NULL, *seq = NULL;
	parclass_port *port;
	pid_t holder = -1, posix_locker;
	unsigned waiters = 99;
	long long t0;

	start_ports(1, NULL);
	port = open_port(0);
	warm_up(port);
	/* Our own ticket comes after every planted name. */
	seq = in_port(0, "seq");
	overwrite(seq, "100\n", 4);
	for (size_t i = 0; i < G_N_ELEMENTS(plants); i++) {
		g_autofree char *path = in_port(0, plants[i].name);
		g_autofree char *tag = g_strdup_printf("q%zu", i);

		if (plants[i].kind == DEVICE && geteuid() != 0)
			continue;   /* only root can make a device node */
		/* The hard link leads to garbage; the symbolic link to a ticket that is locked. */
		if (plants[i].kind == HARDLINK)
			plant(path, HARDLINK, tag, "garbage\n", 8);
		else
			plant(path, plants[i].kind, tag, ticket_text, sizeof ticket_text - 1);
	}
	/* Followed, the link would lead to a live ticket. */
	lure = outside("q0");
	lock_forever(lure, false, false);
	/* A ticket locked with a POSIX lock (the library takes OFD locks only). */
	posix = in_port(0, "q.000000000000000b");
	write_file(posix, "", 0);
	posix_locker = lock_forever(posix, true, true);
	/* Garbage that someone keeps OFD-locked. */
	garbled = in_port(0, "q.000000000000000c");
	write_file(garbled, "pid=1\nrequest=\x01\n", 16);
	lock_forever(garbled, false, false);
	/* Names that are no ticket's, one made to break a log line. */
	badname = in_port(0, "q.zz");
	write_file(badname, ticket_text, sizeof ticket_text - 1);
	evil = in_port(0, "q.\nATTR: printer-state-message=pwned");
	write_file(evil, ticket_text, sizeof ticket_text - 1);

	t0 = now_ms();
	cr_assert_eq(parclass_port_try_allocate(port), 0);
	cr_assert_lt(now_ms() - t0, EVENTUALLY_MS);
	cr_assert_eq(parclass_port_get_holder(port, &holder), 0);
	cr_assert_eq(holder, getpid());
	cr_assert_eq(parclass_port_query_waiters(port, &waiters), 0);
	cr_assert_eq(waiters, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(plants); i++) {
		g_autofree char *path = in_port(0, plants[i].name);
		g_autofree char *tag = g_strdup_printf("q%zu", i);

		if (plants[i].kind == DEVICE && geteuid() != 0)
			continue;
		assert_logged(PARCLASS_LOG_WARNING, "parport0/%s %s: not a ticket; removed\n", plants[i].name,
			      plants[i].why);
		assert_gone(path);
		if (plants[i].kind == HARDLINK)
			assert_outside_intact(HARDLINK, tag, "garbage\n", 8);
		else
			assert_outside_intact(plants[i].kind, tag, ticket_text, sizeof ticket_text - 1);
	}
	assert_logged(PARCLASS_LOG_WARNING,
		      "parport0/q.000000000000000b is locked by process %d, which is not libparclass: "
		      "not a ticket; removed\n",
		      (int)posix_locker);
	assert_logged(PARCLASS_LOG_WARNING, "parport0/q.000000000000000c holds no ticket: not a ticket; removed\n");
	assert_logged(PARCLASS_LOG_WARNING, "parport0/q.zz has no ticket's name: not a ticket; removed\n");
	assert_logged(PARCLASS_LOG_WARNING,
		      "parport0/q.\\x0aATTR:\\x20printer-state-message=pwned has no ticket's name: "
		      "not a ticket; removed\n");
	assert_gone(posix);
	assert_gone(garbled);
	assert_gone(badname);
	assert_gone(evil);
	assert_queue_works(port, 0);
	parclass_port_close(port);
}

Test(runtime, a_live_locked_ticket_holds_the_port_as_a_long_job_would)
{
	g_autofree char *ticket = NULL;
	parclass_port *port;
	pid_t locker;

	start_ports(1, NULL);
	port = open_port(0);
	warm_up(port);   /* ticket 1 */
	ticket = in_port(0, "q.0000000000000000");
	write_file(ticket, "", 0);
	locker = lock_forever(ticket, false, true);
	eventually_state(port, locker, 0);
	cr_assert_eq(parclass_port_try_allocate(port), -EBUSY);
	cr_assert_eq(parclass_port_allocate(port, 300), -ETIMEDOUT);
	eventually_state(port, locker, 0);
	/* Its process dies: its ticket is a dead one, ignored and removed. */
	kill(locker, SIGKILL);
	wait_child(locker);
	n_children = 0;
	cr_assert_eq(parclass_port_try_allocate(port), 0);
	eventually_state(port, getpid(), 0);
	assert_gone(ticket);
	parclass_port_close(port);
}

Test(runtime, another_name_for_a_waiting_ticket_counts_once_and_is_removed)
{
	g_autofree char *waiting = NULL, *alias = NULL;
	parclass_port *port;
	struct client c;

	start_ports(1, NULL);
	port = open_port(0);
	cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0);   /* ticket 1 */
	client_start(&c, "parport0");
	client_send(&c, 'a');                                  /* ticket 2 */
	eventually_state(port, getpid(), 1);
	waiting = in_port(0, "q.0000000000000002");
	alias = in_port(0, "q.0000000000000000");
	cr_assert_eq(link(waiting, alias), 0);
	/* Its owner takes the other name away; until then it counts once. */
	eventually_state(port, getpid(), 1);
	for (long long t0 = now_ms(); access(alias, F_OK) == 0; usleep(2000))
		cr_assert_lt(now_ms() - t0, EVENTUALLY_MS, "the other name stayed");
	cr_assert_eq(parclass_port_free(port), 0);
	cr_assert_eq(client_answer(&c), 'y');
	eventually_state(port, c.pid, 0);
	cr_assert_eq(client_do(&c, 'f'), 'y');
	parclass_port_close(port);
}

/* ====================================================================== */
/* open.*                                                                  */
/* ====================================================================== */

static void open_plants(const enum kind *kinds, unsigned n)
{
	start_with_plants("open.eoc", kinds, n, "precious\n");
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *path = in_port(i, "open.eoc");
		g_autofree char *tag = g_strdup_printf("open.eoc%u", i);
		g_autofree char *loc = g_strdup_printf("LPT%u", i + 1);
		g_autofree char *pid = g_strdup_printf("pid=%d\n", (int)getpid());
		g_autofree char *text = NULL;
		parclass_device *dev = NULL;
		struct client c;
		char reply;

		/* Forked before we open: a child shares what its parent has open. */
		client_start(&c, loc);
		cr_assert_eq(parclass_device_open(ctx, loc, &dev), 0, "%s as open.eoc", kind_name[kinds[i]]);
		if (kinds[i] != SPARSE && kinds[i] != GARBAGE)
			assert_logged(PARCLASS_LOG_WARNING, "parport%u/open.eoc %s: replaced it with a new one\n", i,
				      kind_why[kinds[i]]);
		assert_regular(path);
		text = read_text(path);
		cr_assert_str_eq(text, pid);
		/* Still exclusive. */
		cr_assert_eq(client_do(&c, 'o'), 'b', "%s as open.eoc: a second open", kind_name[kinds[i]]);
		parclass_device_close(dev);
		reply = client_do(&c, 'o');
		cr_assert_eq(reply, 'y', "%s as open.eoc: an open once it is closed: %c", kind_name[kinds[i]], reply);
		client_send(&c, 'q');
		cr_assert_eq(wait_child(c.pid), 0);
		assert_outside_intact(kinds[i], tag, "precious\n", 9);
	}
}

Test(runtime, links_as_open_are_replaced_and_what_they_lead_to_is_not_written)
{
	open_plants(link_kinds, G_N_ELEMENTS(link_kinds));
}

Test(runtime, fifos_directories_sockets_and_big_files_as_open_still_give_an_exclusive_open)
{
	open_plants(other_kinds, n_other_kinds());
}

Test(runtime, open_is_busy_under_an_ofd_lock_and_free_under_a_posix_lock)
{
	g_autofree char *ofd = NULL, *posix = NULL;
	parclass_device *dev = NULL;
	pid_t locker;

	start_ports(2, NULL);
	ofd = in_port(0, "open.eoc");
	posix = in_port(1, "open.eoc");
	write_file(ofd, "", 0);
	write_file(posix, "", 0);
	lock_forever(ofd, false, false);
	locker = lock_forever(posix, true, false);
	/* An OFD lock is how the library holds an open: the device is open elsewhere. */
	cr_assert_eq(parclass_device_open(ctx, "LPT1", &dev), -EBUSY);
	cr_assert_null(dev);
	/* The library never takes POSIX locks: that one holds nothing. */
	cr_assert_eq(parclass_device_open(ctx, "LPT2", &dev), 0);
	assert_logged(PARCLASS_LOG_WARNING,
		      "parport1/open.eoc is locked by process %d, which is not libparclass: replaced it with a new one\n",
		      (int)locker);
	parclass_device_close(dev);
}

/* ====================================================================== */
/* id.* and modes.*                                                        */
/* ====================================================================== */

static const char autoprobe_model[] = "[device]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble\n";

/*
 * Hold the first @n ports from one other process, as jobs would: nothing is
 * probed then. (One process: libieee1284's first use in a process claims
 * parport0 to look at the system, and would wait for a holder of it.)
 */
struct holder {
	unsigned n;
	struct sync_pipe up, down;
};

static int holder_main(void *data)
{
	struct holder *h = data;
	parclass_context *cctx;
	parclass_port *ports[8];

	if (fx_context_new(&cctx))
		return 10;
	for (unsigned i = 0; i < h->n; i++) {
		g_autofree char *name = g_strdup_printf("parport%u", i);

		if (parclass_port_open(cctx, name, &ports[i]) || parclass_port_allocate(ports[i], EVENTUALLY_MS))
			return 11;
	}
	sync_post(&h->up, 'h');
	sync_wait(&h->down, 2 * EVENTUALLY_MS);
	for (unsigned i = 0; i < h->n; i++)
		parclass_port_close(ports[i]);
	parclass_context_unref(cctx);
	return 0;
}

static pid_t hold_ports(struct holder *h, unsigned n)
{
	h->n = n;
	sync_init(&h->up);
	sync_init(&h->down);
	return track(fork_child_ready(holder_main, h, &h->up, 'h'));
}

static void release_ports(struct holder *h, pid_t pid)
{
	sync_post(&h->down, 'q');
	cr_assert_eq(wait_child(pid), 0);
	n_children = 0;
}

struct id_plant {
	enum kind kind;
	const char *why;       /* NULL: the kind's */
	const void *bait;      /* what a link leads to, or what is written */
	size_t bait_len;
};

static void id_plants(const struct id_plant *plants, unsigned n)
{
	struct holder holder;
	parclass_enumeration *e = NULL;
	pid_t pid;

	start_ports(n, autoprobe_model);
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *path = in_port(i, "id.eoc");
		g_autofree char *tag = g_strdup_printf("id%u", i);

		if (plants[i].kind == GARBAGE && plants[i].bait)
			write_file(path, plants[i].bait, plants[i].bait_len);
		else
			plant(path, plants[i].kind, tag, plants[i].bait, plants[i].bait_len);
	}
	pid = hold_ports(&holder, n);

	/* Held ports are described from knowledge: the planted files are not believed. */
	cr_assert_eq(parclass_enumerate(ctx, 500, &e), 0);
	cr_assert_eq(parclass_enumeration_port_count(e), n);
	for (unsigned i = 0; i < n; i++) {
		const parclass_port_info *p = parclass_enumeration_port(e, i);
		const parclass_device_info *d = parclass_port_info_device(p, 0);
		const char *why = plants[i].why ? plants[i].why : kind_why[plants[i].kind];
		g_autofree char *loc = g_strdup_printf("LPT%u", i + 1);
		parclass_device *dev = NULL;
		char buf[8192];
		size_t size;

		cr_assert_eq(parclass_port_info_probed(p), 0);
		cr_assert_eq(parclass_port_info_device_count(p), 1, "port %u", i);
		cr_assert_not_null(parclass_device_info_id(d), "%s as id.eoc: no ID at all", kind_name[plants[i].kind]);
		cr_assert_str_eq(parclass_device_id_text(parclass_device_info_id(d)), kernel_id,
				 "%s as id.eoc was believed", kind_name[plants[i].kind]);
		assert_logged(PARCLASS_LOG_WARNING, "parport%u/id.eoc %s: ignored\n", i, why);
		/* The same for a cached ID asked of a device. */
		cr_assert_eq(parclass_device_open(ctx, loc, &dev), 0);
		cr_assert_eq(parclass_device_get_id(dev, 0, buf, sizeof buf, &size), 0);
		cr_assert_str_eq(buf, kernel_id, "%s as id.eoc", kind_name[plants[i].kind]);
		parclass_device_close(dev);
	}
	cr_assert_null(strstr(log_text->str, "Secret"), "the bait was read:\n%s", log_text->str);
	parclass_enumeration_free(e);
	e = NULL;

	/* Free ports are probed, and what is learnt replaces what was planted. */
	release_ports(&holder, pid);
	cr_assert_eq(parclass_enumerate(ctx, EVENTUALLY_MS, &e), 0);
	for (unsigned i = 0; i < n; i++) {
		const parclass_device_info *d = parclass_port_info_device(parclass_enumeration_port(e, i), 0);
		g_autofree char *path = in_port(i, "id.eoc");
		g_autofree char *tag = g_strdup_printf("id%u", i);
		g_autofree char *raw = NULL;
		gsize len = 0;

		cr_assert_str_eq(parclass_device_id_text(parclass_device_info_id(d)), fresh_id);
		assert_regular(path);
		cr_assert(g_file_get_contents(path, &raw, &len, NULL));
		cr_assert_eq(len, sizeof fresh_id + 1);
		cr_assert(memcmp(raw + 2, fresh_id, sizeof fresh_id - 1) == 0);
		if (plants[i].kind != GARBAGE)
			assert_outside_intact(plants[i].kind, tag, plants[i].bait, plants[i].bait_len);
	}
	parclass_enumeration_free(e);
}

Test(runtime, links_as_id_are_never_followed_and_their_target_never_shows_as_a_printer)
{
	static const struct id_plant plants[] = {
		{ SYMLINK, NULL, bait_id, sizeof bait_id - 1 },
		{ SYMLINK_ZERO, NULL, NULL, 0 },
		{ DANGLING, NULL, NULL, 0 },
		{ HARDLINK, NULL, bait_id, sizeof bait_id - 1 },
	};

	id_plants(plants, G_N_ELEMENTS(plants));
}

Test(runtime, fifos_directories_sockets_and_devices_as_id_are_ignored_without_blocking)
{
	static const struct id_plant plants[] = {
		{ FIFO, NULL, NULL, 0 },
		{ DIRECTORY, NULL, bait_id, sizeof bait_id - 1 },
		{ SOCKET, NULL, NULL, 0 },
		{ DEVICE, NULL, NULL, 0 },
	};

	id_plants(plants, G_N_ELEMENTS(plants) - (geteuid() == 0 ? 0 : 1));
}

/* "MFG:Secret;" over and over behind a length of 0xfff: longer than any raw ID. */
static char *overlong_id(size_t *len)
{
	GString *s = g_string_new_len("\x0f\xff", 2);

	while (s->len < 5000)
		g_string_append(s, "MFG:Secret;");
	*len = s->len;
	return g_string_free(s, FALSE);
}

Test(runtime, huge_garbled_and_malformed_ids_are_ignored)
{
	static const char malformed[] = "\x00\x18" "MFG:Secret;MDL:\x1b[2J;x;";
	size_t overlong_len;
	g_autofree char *overlong = overlong_id(&overlong_len);
	unsigned char garbage[4000];
	g_autofree char *size_why = g_strdup_printf("is %lld bytes, more than it can be", SPARSE_SIZE);
	g_autofree char *long_why = g_strdup_printf("is %zu bytes, more than it can be", overlong_len);
	struct id_plant plants[] = {
		{ SPARSE, size_why, NULL, 0 },
		{ GARBAGE, "does not hold a device ID", garbage, sizeof garbage },
		{ GARBAGE, long_why, overlong, overlong_len },
		{ GARBAGE, "does not hold a device ID", malformed, sizeof malformed - 1 },
	};

	fill_pattern(garbage, sizeof garbage, 1284);
	id_plants(plants, G_N_ELEMENTS(plants));
}

Test(runtime, planted_modes_are_ignored)
{
	static const struct {
		enum kind kind;
		const char *text, *why;
	} plants[] = {
		{ SYMLINK, "0x7\n", "is a symbolic link" },
		{ HARDLINK, "0x7\n", "is a hard link (2 names)" },
		{ GARBAGE, "0x7 and more\n", "does not hold modes" },
		{ FIFO, NULL, "is a FIFO" },
	};
	struct holder holder;
	parclass_enumeration *e = NULL;

	start_ports(G_N_ELEMENTS(plants), NULL);
	for (unsigned i = 0; i < G_N_ELEMENTS(plants); i++) {
		g_autofree char *path = in_port(i, "modes.eoc");
		g_autofree char *tag = g_strdup_printf("modes%u", i);

		if (plants[i].kind == GARBAGE)
			write_file(path, plants[i].text, strlen(plants[i].text));
		else
			plant(path, plants[i].kind, tag, plants[i].text, plants[i].text ? strlen(plants[i].text) : 0);
	}
	hold_ports(&holder, G_N_ELEMENTS(plants));
	cr_assert_eq(parclass_enumerate(ctx, 500, &e), 0);
	for (unsigned i = 0; i < G_N_ELEMENTS(plants); i++) {
		const parclass_device_info *d = parclass_port_info_device(parclass_enumeration_port(e, i), 0);
		g_autofree char *tag = g_strdup_printf("modes%u", i);

		cr_assert_eq(parclass_device_info_modes(d), 0, "%s as modes.eoc was believed", kind_name[plants[i].kind]);
		assert_logged(PARCLASS_LOG_WARNING, "parport%u/modes.eoc %s: ignored\n", i, plants[i].why);
		if (plants[i].text)
			assert_outside_intact(plants[i].kind, tag, plants[i].text, strlen(plants[i].text));
	}
	parclass_enumeration_free(e);
}

/* ====================================================================== */
/* temporary names                                                         */
/* ====================================================================== */

Test(runtime, links_at_the_old_predictable_temporary_names_are_never_used)
{
	static const char bait[] = "precious\n";
	g_autofree char *out = NULL;
	parclass_device *dev = NULL;
	unsigned modes;
	char buf[256];
	size_t size;
	/* What earlier versions used: tmp.PID.SEQ for tickets, .NAME.PID for knowledge. */
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	start_ports(1, NULL);
	out = outside("tmp");
	write_file(out, bait, sizeof bait - 1);
	for (int seq = 0; seq < 8; seq++)
		g_ptr_array_add(names, g_strdup_printf("tmp.%d.%d", (int)getpid(), seq));
	g_ptr_array_add(names, g_strdup_printf(".id.eoc.%d", (int)getpid()));
	g_ptr_array_add(names, g_strdup_printf(".modes.eoc.%d", (int)getpid()));
	for (unsigned i = 0; i < names->len; i++) {
		g_autofree char *path = in_port(0, names->pdata[i]);

		cr_assert_eq(symlink(out, path), 0);
	}
	cr_assert_eq(parclass_device_open(ctx, "LPT1", &dev), 0);
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	cr_assert_eq(parclass_device_get_id(dev, PARCLASS_ID_FRESH, buf, sizeof buf, &size), 0);
	cr_assert_str_eq(buf, fresh_id);
	cr_assert_eq(parclass_device_get_modes(dev, &modes), 0);
	cr_assert_eq(parclass_device_unlock(dev, 0), 0);
	parclass_device_close(dev);
	assert_outside_intact(SYMLINK, "tmp", bait, sizeof bait - 1);
	for (unsigned i = 0; i < names->len; i++) {
		g_autofree char *path = in_port(0, names->pdata[i]);
		struct stat st;

		cr_assert_eq(lstat(path, &st), 0);
		cr_assert(S_ISLNK(st.st_mode), "%s was replaced", (char *)names->pdata[i]);
	}
	{
		g_autofree char *id = in_port(0, "id.eoc");
		g_autofree char *m = in_port(0, "modes.eoc");

		assert_regular(id);
		assert_regular(m);
	}
	g_ptr_array_free(names, TRUE);
}

/* ====================================================================== */
/* parportN itself                                                         */
/* ====================================================================== */

Test(runtime, anything_but_a_directory_as_parportN_is_moved_out_of_the_way)
{
	static const enum kind kinds[] = { SYMLINK, SYMLINK_ZERO, DANGLING, FIFO, SOCKET, SPARSE, GARBAGE, DEVICE };
	static const char *const why[] = { "is a symbolic link", "is a symbolic link", "is a symbolic link",
					   "is a FIFO",          "is a socket",        "is a regular file",
					   "is a regular file",  "is a device" };
	unsigned n = G_N_ELEMENTS(kinds) - (geteuid() == 0 ? 0 : 1);
	g_autofree char *elsewhere = NULL;

	start_ports(n, NULL);
	/* The symbolic link leads to a directory of our own, which must stay empty. */
	elsewhere = outside("dir");
	cr_assert_eq(mkdir(elsewhere, 0777), 0);
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *dir = g_strdup_printf("%s/parport%u", sim->runtime, i);
		g_autofree char *tag = g_strdup_printf("port%u", i);

		cr_assert_eq(rmdir(dir), 0);
		if (kinds[i] == SYMLINK)
			cr_assert_eq(symlink(elsewhere, dir), 0);
		else
			plant(dir, kinds[i], tag, NULL, 0);
	}
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *dir = g_strdup_printf("%s/parport%u", sim->runtime, i);
		parclass_port *port = open_port(i);
		struct stat st;

		cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0, "%s as parport%u", kind_name[kinds[i]], i);
		assert_logged(PARCLASS_LOG_WARNING, "parport%u %s: moved it out of the way\n", i, why[i]);
		cr_assert_eq(lstat(dir, &st), 0);
		cr_assert(S_ISDIR(st.st_mode), "parport%u is no directory", i);
		assert_queue_works(port, i);
		parclass_port_close(port);
	}
	{
		GDir *d = g_dir_open(elsewhere, 0, NULL);

		cr_assert_not_null(d);
		cr_assert_null(g_dir_read_name(d), "the library wrote where the link led");
		g_dir_close(d);
	}
}

/*
 * A process of group lp's rights, not root's: nobody, in the group of the
 * runtime directory. (It keeps root as its saved user, to become root again
 * before it exits: valgrind then cleans up what it made as root.)
 */
static int unprivileged_main(void *data)
{
	const char *expect = data;
	parclass_context *cctx;
	parclass_port *port;
	unsigned waiters = 99;
	gid_t group = 65534;
	int code;

	GString *ours = log_text;

	if (setgroups(1, &group) < 0 || setresgid(65534, 65534, 0) < 0 || setresuid(65534, 65534, 0) < 0)
		return 10;
	g_string_truncate(log_text, 0);   /* this process's own log */
	if (fx_context_new(&cctx))
		return 11;
	fx_context_set_log(cctx, PARCLASS_LOG_DEBUG, on_log, NULL);
	if (parclass_port_open(cctx, "parport0", &port))
		return 12;
	if (parclass_port_query_waiters(port, &waiters) || waiters != 0)
		return 13;
	code = strstr(ours->str, expect) ? 0 : 14;
	parclass_port_close(port);
	parclass_context_unref(cctx);
	if (setresuid(0, 0, 0) < 0 || setresgid(0, 0, 0) < 0)
		return 15;
	return code;
}

Test(runtime, a_port_directory_the_group_may_not_write_in_is_moved_out_of_the_way)
{
	/* On the stack: the child's valgrind would count our heap as its leaks. */
	char dir[512], old_seq[600], expect[640];
	struct stat st;
	GDir *d;
	const char *name;
	unsigned junk = 0;
	int code;

	start_ports(1, NULL);
	snprintf(dir, sizeof dir, "%s/parport0", sim->runtime);
	/* The runtime directory as the tmpfiles.d entry makes it, for group nogroup here. */
	cr_assert_eq(chown(sim->runtime, 0, 65534), 0);
	cr_assert_eq(chmod(sim->runtime, 02775), 0);
	cr_assert_eq(chmod(sim->dir, 0755), 0);
	cr_assert_eq(chmod(sim->testbed, 0755), 0);
	/* Someone made parport0 so that the group cannot use it, and put things in it. */
	snprintf(old_seq, sizeof old_seq, "%s/seq", dir);
	write_file(old_seq, "7\n", 2);
	cr_assert_eq(chmod(dir, 0755), 0);
	snprintf(expect, sizeof expect,
		 "2 %s/parport0 is a directory we may not write in: moved it out of the way\n", sim->runtime);
	code = wait_child(fork_child(unprivileged_main, expect));
	cr_assert_eq(code, 0, "the process of nobody's ended with %d", code);
	cr_assert_eq(lstat(dir, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_uid, 65534, "a new parport0, made by the process that needed it");
	cr_assert_eq(st.st_mode & 07777, 02775);
	d = g_dir_open(sim->runtime, 0, NULL);
	cr_assert_not_null(d);
	while ((name = g_dir_read_name(d)))
		if (g_str_has_prefix(name, "junk.")) {
			g_autofree char *kept = g_build_filename(sim->runtime, name, "seq", NULL);
			g_autofree char *text = read_text(kept);

			cr_assert_str_eq(text, "7\n", "what was in it stays as it was");
			junk++;
		}
	g_dir_close(d);
	cr_assert_eq(junk, 1, "the old one moved aside, not deleted");
}

/* ====================================================================== */
/* everything at once                                                      */
/* ====================================================================== */

Test(runtime, with_everything_planted_requests_are_still_granted_in_order_with_exact_counts)
{
	static const char *const junk[] = { "q.0000000000000001", "open.eoc", "id.eoc", "modes.eoc" };
	g_autofree char *seq = NULL;
	struct client c[3];
	parclass_port *port;
	char order[4] = { 0 };

	start_ports(1, NULL);
	seq = in_port(0, "seq");
	cr_assert_eq(mkfifo(seq, 0664), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(junk); i++) {
		g_autofree char *path = in_port(0, junk[i]);

		cr_assert_eq(symlink("/dev/zero", path), 0);
	}
	port = open_port(0);
	cr_assert_eq(parclass_port_allocate(port, EVENTUALLY_MS), 0);
	for (int i = 0; i < 3; i++) {
		client_start(&c[i], "parport0");
		client_send(&c[i], 'a');
		eventually_state(port, getpid(), (unsigned)i + 1);
	}
	cr_assert_eq(parclass_port_free(port), 0);
	for (int i = 0; i < 3; i++) {
		order[i] = client_answer(&c[i]) == 'y' ? (char)('B' + i) : '?';
		eventually_state(port, c[i].pid, 2u - (unsigned)i);
		cr_assert_eq(client_do(&c[i], 'f'), 'y');
	}
	cr_assert_str_eq(order, "BCD");
	eventually_state(port, 0, 0);
	parclass_port_close(port);
}

/* ====================================================================== */
/* report.*: what a holder published                                       */
/* ====================================================================== */

/* Our own device on parport0 publishes a report, as a holder does. */
static void publish_here(const char *display)
{
	parclass_report r = { .status = PARCLASS_STATUS_SELECTED, .lines = PARCLASS_LINE_SELECT, .pages = 3 };
	parclass_device *dev = NULL;

	snprintf(r.reasons, sizeof r.reasons, "media-empty-error");
	snprintf(r.display, sizeof r.display, "%s", display);
	cr_assert_eq(parclass_device_open(ctx, "LPT1", &dev), 0);
	cr_assert_eq(parclass_device_lock(dev, EVENTUALLY_MS, 0), 0);
	cr_assert_eq(parclass_device_publish(dev, &r), 0);
	parclass_device_close(dev);
}

static void assert_report_refused(parclass_port *port, const char *why)
{
	parclass_report r;

	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), -EBADMSG, "%s was believed", why);
	assert_logged(PARCLASS_LOG_DEBUG, "parport0/report.eoc %s: refused\n", why);
}

Test(runtime, planted_reports_are_refused_without_blocking_and_replaced_by_the_next_publish)
{
	enum kind kinds[G_N_ELEMENTS(link_kinds) + G_N_ELEMENTS(other_kinds)];
	unsigned n = 0;
	parclass_port *port;

	for (size_t i = 0; i < G_N_ELEMENTS(link_kinds); i++)
		kinds[n++] = link_kinds[i];
	for (size_t i = 0; i < n_other_kinds(); i++)
		kinds[n++] = other_kinds[i];
	start_ports(1, NULL);
	port = open_port(0);
	for (unsigned i = 0; i < n; i++) {
		g_autofree char *path = in_port(0, "report.eoc");
		g_autofree char *tag = g_strdup_printf("report%u", i);
		g_autofree char *why = NULL;
		parclass_report r;

		plant(path, kinds[i], tag, "pid=1\n", 6);
		if (kinds[i] == SPARSE)
			why = g_strdup_printf("is %lld bytes, more than a report can be", SPARSE_SIZE);
		else if (kinds[i] == GARBAGE)
			why = g_strdup("is 4000 bytes, more than a report can be");
		else
			why = g_strdup(kind_why[kinds[i]]);
		assert_report_refused(port, why);
		publish_here(kind_name[kinds[i]]);
		cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0, "%s", kind_name[kinds[i]]);
		cr_assert_str_eq(r.display, kind_name[kinds[i]]);
		cr_assert_eq(r.pid, getpid());
		cr_assert_eq(r.live, 0, "the publishing handle is closed");
		assert_regular(path);
		assert_outside_intact(kinds[i], tag, "pid=1\n", 6);
		cr_assert_eq(unlink(path), 0);
	}
	parclass_port_close(port);
}

/* A report as the library writes one, for process @pid. */
static char *report_text(pid_t pid, const char *display)
{
	return g_strdup_printf("pid=%d\npublished=1764563000123456\nstatus=132\nlines=216\npages=-1\n"
			       "reasons=media-empty-error,offline-report\ndisplay=%s\n", (int)pid, display);
}

Test(runtime, truncated_overlong_and_garbled_reports_are_refused)
{
	g_autofree char *path = NULL, *whole = report_text(getpid(), "PAPER OUT");
	g_autofree char *long_display = g_strnfill(2000, 'x');
	g_autofree char *overlong = report_text(getpid(), long_display);
	g_autofree char *long_why = g_strdup_printf("is %zu bytes, more than a report can be", strlen(overlong));
	g_autofree char *control = report_text(getpid(), "PAPER\033[2J OUT");
	g_autofree char *too_long = report_text(getpid(), long_display + 2000 - 128);
	static const char *const garbled[] = {
		"pid=1\npublished=1\nstatus=512\nlines=0\npages=-1\nreasons=\ndisplay=\n",     /* no such status bit */
		"pid=1\npublished=1\nstatus=0\nlines=7\npages=-1\nreasons=\ndisplay=\n",       /* no such lines */
		"pid=1\npublished=1\nstatus=0\nlines=0\npages=-2\nreasons=\ndisplay=\n",
		"pid=1\npublished=1\nstatus=0\nlines=0\npages=-1\nreasons=Media Empty\ndisplay=\n",
		"pid=1\npublished=1\nstatus=0\nlines=0\npages=-1\nreasons=a,,b\ndisplay=\n",
		"pid=1\npublished=1\nstatus=0\nlines=0\npages=-1\nreasons=a,\ndisplay=\n",
		"pid=01\npublished=1\nstatus=0\nlines=0\npages=-1\nreasons=\ndisplay=\n",
		"pid=0\npublished=1\nstatus=0\nlines=0\npages=-1\nreasons=\ndisplay=\n",
		"published=1\npid=1\nstatus=0\nlines=0\npages=-1\nreasons=\ndisplay=\n",
		"pid=1\npublished=1\nstatus=0\nlines=0\npages=-1\nreasons=\ndisplay=\nmore=1\n",
		"pid=1\npublished=1\nstatus=0\nlines=0\npages=-1\nreasons=\ndisplay=\0\n",
	};
	parclass_port *port;
	parclass_report r;

	start_ports(1, NULL);
	port = open_port(0);
	path = in_port(0, "report.eoc");
	/* Whole, then cut anywhere: only the whole one is a report. */
	write_file(path, whole, strlen(whole));
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0);
	cr_assert_str_eq(r.display, "PAPER OUT");
	for (size_t cut = 0; cut < strlen(whole); cut++) {
		cr_assert_eq(truncate(path, (off_t)cut), 0);
		assert_report_refused(port, "holds no report");
	}
	write_file(path, overlong, strlen(overlong));
	assert_report_refused(port, long_why);
	write_file(path, control, strlen(control));
	assert_report_refused(port, "holds no report");
	write_file(path, too_long, strlen(too_long));
	assert_report_refused(port, "holds no report");
	for (size_t i = 0; i < G_N_ELEMENTS(garbled); i++) {
		/* the last one goes on after its NUL */
		size_t len = strlen(garbled[i]) + (i == G_N_ELEMENTS(garbled) - 1 ? 2 : 0);

		write_file(path, garbled[i], len);
		cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), -EBADMSG, "believed: %s",
			     garbled[i]);
	}
	assert_logged(PARCLASS_LOG_DEBUG, "parport0/report.eoc holds no report: refused\n");
	parclass_port_close(port);
}

Test(runtime, a_report_of_a_dead_process_is_read_as_not_live_and_one_claiming_life_is_refused)
{
	pid_t gone = gone_pid();
	g_autofree char *path = NULL, *dead = report_text(gone, "READY"), *mine = report_text(getpid(), "READY");
	g_autofree char *why_gone = g_strdup_printf("is locked but names process %d, which is gone", (int)gone);
	g_autofree char *why_posix = NULL;
	parclass_port *port;
	parclass_report r;
	pid_t locker;

	start_ports(1, NULL);
	port = open_port(0);
	path = in_port(0, "report.eoc");
	/* No lock: what a publisher that died left. */
	write_file(path, dead, strlen(dead));
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0);
	cr_assert_eq(r.pid, gone);
	cr_assert_eq(r.live, 0);
	cr_assert_eq(r.published_us, 1764563000123456ll);
	cr_assert_eq(r.status, 132);
	cr_assert_eq(r.lines, 216);
	cr_assert_eq(r.pages, -1);
	cr_assert_str_eq(r.reasons, "media-empty-error,offline-report");
	/* A lock, but on a report of a process that is gone: planted. */
	locker = lock_forever(path, false, false);
	assert_report_refused(port, why_gone);
	kill(locker, SIGKILL);
	wait_child(locker);
	n_children--;
	/* A POSIX lock is never the library's. */
	write_file(path, mine, strlen(mine));
	locker = lock_forever(path, true, false);
	why_posix = g_strdup_printf("is locked by process %d, which is not libparclass", (int)locker);
	assert_report_refused(port, why_posix);
	parclass_port_close(port);
}

Test(runtime, a_live_report_owned_by_another_user_than_the_process_it_names_is_refused)
{
	g_autofree char *path = NULL, *mine = report_text(getpid(), "READY");
	g_autofree char *why = g_strdup_printf("is owned by uid 65534 but names process %d of uid %u", (int)getpid(),
					       (unsigned)geteuid());
	parclass_port *port;
	parclass_report r;

	if (geteuid() != 0)
		cr_skip_test("only root can give a file to another user");
	start_ports(1, NULL);
	port = open_port(0);
	path = in_port(0, "report.eoc");
	write_file(path, mine, strlen(mine));
	cr_assert_eq(chown(path, 65534, 65534), 0);
	/* Without a lock it claims nothing: a dead publisher's. */
	cr_assert_eq(parclass_port_read_report(port, PARCLASS_ADDRESS_END, &r), 0);
	cr_assert_eq(r.live, 0);
	lock_forever(path, false, false);
	assert_report_refused(port, why);
	parclass_port_close(port);
}
