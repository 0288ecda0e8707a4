/*
 * torture.c - a lock-torture run of libparclass's port arbitration
 *
 * A supervisor forks the workers, each of which takes one port again and
 * again through lib/parclass.h only (allocate/free, lock/unlock, a
 * try-allocate now and then), holds it a few random ms and lets go. The
 * supervisor kills holders and waiters with SIGKILL at points drawn from a
 * seeded plan, and restarts each victim to finish its rounds. It is the
 * killer too: only a parent can kill a pid that cannot have been reused.
 * Kills follow the workers' events, not the clock, so a run kills as often
 * under valgrind as on an idle machine.
 *
 * Then the invariants are checked from evidence the library does not make:
 *   - the holders' logs: each worker appends one line per event (request,
 *     granted with the ticket it found of its own, released, busy), in one
 *     write(), stamped from a counter in shared memory that orders the
 *     events of all processes;
 *   - the supervisor's log of starts, kills and exits, stamped the same way;
 *   - a watcher process's record of the q.* names renamed into the port's
 *     runtime directory (inotify IN_MOVED_TO): the library renames tickets
 *     into place under the seq lock, so this is the order of the queue;
 *   - the simulator's events log of kernel claims and releases with pids;
 *   - what is left in the runtime directory once every worker is gone.
 * The runtime directory is only looked at, never changed.
 */
#include "config.h"

#include "torture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parclass.h"

#define MAX_CASES 5            /* violations quoted per invariant */
#define STOP_WAIT_MS 10000     /* for the watcher to end once told */
#define NONE UINT64_MAX        /* an ord that never was */

enum kind { K_ALLOCATE, K_LOCK, K_TRY };

const char *const torture_kind_names[3] = { "allocate", "lock", "try" };

const char *const torture_invariant_names[TORTURE_INVARIANTS] = {
	[TORTURE_ONE_HOLDER] = "never two holders at once",
	[TORTURE_CLAIMS] = "kernel claims never overlap, taken in grant order",
	[TORTURE_GRANTED] = "every surviving request is granted",
	[TORTURE_FIFO] = "requests are granted in queue order",
	[TORTURE_CLEAN] = "no tickets left in the runtime directory",
	[TORTURE_DEADLINE] = "the run ends within its deadline",
};

/* ---- clock, randomness, log lines ---- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64: small, and good enough to spread a seed over many choices. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* 0..n-1 */
static unsigned rnd(uint64_t *state, unsigned n)
{
	return n ? (unsigned)(next_random(state) % n) : 0;
}

struct shared {
	uint64_t ord;        /* orders every logged event of every process */
	int lull;            /* workers park between rounds while it is set */
	unsigned done[];     /* rounds completed, per worker slot */
};

static uint64_t next_ord(struct shared *sh)
{
	return __atomic_fetch_add(&sh->ord, 1, __ATOMIC_SEQ_CST);
}

/* "ORD T_NS PID SEQ EVENT key=value...", in one write() so that a SIGKILL
 * leaves whole lines. */
static void G_GNUC_PRINTF(6, 7) log_line(int fd, uint64_t ord, int64_t t, pid_t pid, unsigned seq, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n = snprintf(buf, sizeof buf, "%" PRIu64 " %" PRId64 " %d %u ", ord, t, (int)pid, seq);

	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	if (write(fd, buf, (size_t)n) != n) {
		/* the analysis finds the line missing */
	}
}

/* The pid a ticket names, 0 when unreadable; with @locked, only while some
 * process holds its lock (a dead process's ticket names a pid that may be
 * in use again). */
static pid_t ticket_pid(int dirfd, const char *name, bool locked)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	char buf[96];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int pid = 0;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "pid=%d", &pid) != 1)
			pid = 0;
	}
	if (locked && (fcntl(fd, F_OFD_GETLK, &fl) < 0 || fl.l_type == F_UNLCK))
		pid = 0;
	close(fd);
	return pid;
}

/* ---- the run ---- */

struct msg {
	int32_t pid;
	uint16_t slot;
	char type;           /* 'r' request made, 'g' granted, 'i' parked in a lull */
	char pad;
};

struct slot {
	pid_t pid;           /* its worker now; 0 none */
	unsigned incarnation;
	int reply[2];        /* supervisor -> worker: 'h' go on, 't' go on with a try */
	bool killed;         /* pid was sent SIGKILL */
	bool parked;         /* waits for the end of a lull */
	int64_t kill_at;     /* a planned kill falls due then (ns); 0 none */
	bool over;           /* finished, or failed for good */
};

struct planned_kill {
	unsigned after;      /* grants seen before it */
	bool holder;         /* at a grant (the holder waits for our reply), else at a request */
	unsigned delay_us;   /* after the request */
};

struct run {
	const struct torture_opts *o;
	struct torture_result *res;
	pid_t supervisor;
	struct shared *sh;
	size_t sh_size;
	struct slot *slots;
	char *port_dir;
	int notify[2];       /* workers -> supervisor, struct msg */
	int sigfd;           /* SIGCHLD */
	int stop[2];         /* closing stop[1] ends the watcher */
	int sup_log;
	unsigned sup_seq;
	pid_t watcher;
	struct planned_kill *plan;
	unsigned nplan, next_plan;
	unsigned grants_seen;
	enum { LULL_NONE, LULL_DRAIN, LULL_TRY } lull;
	unsigned next_lull;  /* at so many grants */
	uint64_t rng;
	bool stopping;       /* past the deadline: no more restarts */
	GString *cases[TORTURE_INVARIANTS];
	unsigned ncases[TORTURE_INVARIANTS];
};

static void G_GNUC_PRINTF(3, 4) note(struct run *run, enum torture_invariant inv, const char *fmt, ...)
{
	va_list ap;

	if (run->ncases[inv]++ >= MAX_CASES)
		return;
	if (!run->cases[inv])
		run->cases[inv] = g_string_new(NULL);
	va_start(ap, fmt);
	g_string_append_vprintf(run->cases[inv], fmt, ap);
	va_end(ap);
	g_string_append_c(run->cases[inv], '\n');
}

static char *work_path(const struct run *run, const char *name)
{
	return g_build_filename(run->o->work_dir, name, NULL);
}

static char *worker_log_name(unsigned slot)
{
	return g_strdup_printf("worker-%u.log", slot);
}

/* A forked child keeps only its own ends, and dies with the supervisor. */
static void child_setup(struct run *run, int slot)
{
	sigset_t chld;

	close(run->notify[0]);
	close(run->sigfd);
	close(run->stop[1]);
	if (slot >= 0)
		close(run->stop[0]);
	close(run->sup_log);
	for (unsigned i = 0; i < run->o->workers; i++) {
		close(run->slots[i].reply[1]);
		if ((int)i != slot)
			close(run->slots[i].reply[0]);
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != run->supervisor)
		_exit(1);
}

/* ---- a worker ---- */

static void send_msg(struct run *run, unsigned slot, char type)
{
	struct msg m = { .pid = getpid(), .slot = (uint16_t)slot, .type = type };

	if (write(run->notify[1], &m, sizeof m) != sizeof m) {
		/* the supervisor is gone: so are we, soon (PR_SET_PDEATHSIG) */
	}
}

/* The supervisor's answer, 0 when none came. */
static char await_reply(struct run *run, unsigned slot)
{
	struct pollfd p = { run->slots[slot].reply[0], POLLIN, 0 };
	char c;

	if (poll(&p, 1, (int)MIN(run->o->deadline_s, INT_MAX / 1000) * 1000) == 1 && read(p.fd, &c, 1) == 1)
		return c;
	return 0;
}

/* The one ticket of ours, seen while we hold the port: its name ties our
 * grant to the watcher's record of the queue. */
static void own_ticket(const char *port_dir, char *out, size_t size)
{
	DIR *d = opendir(port_dir);
	struct dirent *de;
	unsigned found = 0;

	snprintf(out, size, "none");
	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "q.", 2) && ticket_pid(dirfd(d), de->d_name, true) == getpid())
			snprintf(out, size, "%.30s", found++ ? "many" : de->d_name);
	closedir(d);
}

static void hold(unsigned us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct worker {
	struct run *run;
	unsigned slot;
	parclass_port *port;
	uint64_t rng;
	pid_t pid;
	unsigned seq;        /* of its log lines */
	int logfd;
	bool fresh;          /* has not held the port yet */
	int wait_ms;         /* the timeout of the requests that have one */
};

/* One request and, when granted, one round: 0, or the worker's exit status. */
static int request(struct worker *w, bool try_it)
{
	const struct torture_opts *o = w->run->o;
	struct shared *sh = w->run->sh;
	/* libieee1284 probes the ports once per process, when the process
	 * first takes the bus, and a try-allocate gives that 0.5 s only:
	 * a fresh process starts with a request that may wait. */
	unsigned pick = w->fresh ? rnd(&w->rng, 2) * 2 : try_it ? 4 : rnd(&w->rng, 5);
	enum kind k = pick < 2 ? K_ALLOCATE : pick < 4 ? K_LOCK : K_TRY;
	int timeout = rnd(&w->rng, 2) ? -1 : w->wait_ms;
	unsigned a = rnd(&w->rng, o->chain_devices + 1);
	int address = a < o->chain_devices ? (int)a : PARCLASS_ADDRESS_END;
	unsigned hold_us = rnd(&w->rng, o->hold_max_ms * 1000 + 1);
	char ticket[32];
	uint64_t ord;
	int64_t t;
	int r;

	log_line(w->logfd, next_ord(sh), now_ns(), w->pid, w->seq++, "request kind=%s timeout=%d address=%d",
		 torture_kind_names[k], k == K_TRY ? 0 : timeout, k == K_LOCK ? address : PARCLASS_ADDRESS_END);
	send_msg(w->run, w->slot, 'r');
	if (k == K_ALLOCATE)
		r = parclass_port_allocate(w->port, timeout);
	else if (k == K_LOCK)
		r = parclass_port_lock(w->port, address, timeout, 0);
	else
		r = parclass_port_try_allocate(w->port);
	t = now_ns();
	ord = next_ord(sh);
	if (r == -EBUSY && k == K_TRY) {
		log_line(w->logfd, ord, t, w->pid, w->seq++, "busy kind=try");
		return 0;
	}
	if (r < 0) {
		log_line(w->logfd, ord, t, w->pid, w->seq++, "failed kind=%s r=%d", torture_kind_names[k], r);
		return 12;
	}
	w->fresh = false;
	own_ticket(w->run->port_dir, ticket, sizeof ticket);
	log_line(w->logfd, ord, t, w->pid, w->seq++, "granted kind=%s ticket=%s", torture_kind_names[k], ticket);
	send_msg(w->run, w->slot, 'g');
	if (!await_reply(w->run, w->slot))
		return 13;
	hold(hold_us);
	/* Logged while still holding: the logged interval lies inside the hold. */
	log_line(w->logfd, next_ord(sh), now_ns(), w->pid, w->seq++, "released kind=%s", torture_kind_names[k]);
	r = k == K_LOCK ? parclass_port_unlock(w->port, 0) : parclass_port_free(w->port);
	if (r < 0) {
		log_line(w->logfd, next_ord(sh), now_ns(), w->pid, w->seq++, "failed kind=free r=%d", r);
		return 14;
	}
	__atomic_add_fetch(&sh->done[w->slot], 1, __ATOMIC_SEQ_CST);
	/* A pause before the next request, as a client's work between jobs. */
	hold(rnd(&w->rng, o->hold_max_ms * 1000 + 1));
	return 0;
}

static int worker_main(struct run *run, unsigned slot)
{
	const struct torture_opts *o = run->o;
	struct shared *sh = run->sh;
	struct worker w = {
		.run = run,
		.slot = slot,
		.rng = ((uint64_t)o->seed << 32) ^ ((uint64_t)slot << 20) ^ run->slots[slot].incarnation,
		.pid = getpid(),
		.fresh = true,
		.wait_ms = (int)MIN(o->deadline_s, INT_MAX / 1000) * 1000,
	};
	g_autofree char *name = worker_log_name(slot);
	g_autofree char *path = work_path(run, name);
	parclass_context *ctx = NULL;
	bool try_it = false;
	int rc = 0, r;

	child_setup(run, (int)slot);
	next_random(&w.rng);
	w.logfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (w.logfd < 0)
		return 10;
	r = parclass_context_new(&ctx);
	if (r == 0)
		r = parclass_port_open(ctx, o->location, &w.port);
	if (r < 0) {
		log_line(w.logfd, next_ord(sh), now_ns(), w.pid, w.seq++, "failed kind=open r=%d", r);
		rc = 11;
	}
	while (rc == 0 && __atomic_load_n(&sh->done[slot], __ATOMIC_SEQ_CST) < o->rounds) {
		/* In a lull everybody parks here until the queue is empty; then
		 * one worker tries while another may queue at the same time. */
		if (__atomic_load_n(&sh->lull, __ATOMIC_SEQ_CST)) {
			char go;

			send_msg(run, slot, 'i');
			if (!(go = await_reply(run, slot))) {
				rc = 15;
				break;
			}
			try_it = go == 't';
		}
		rc = request(&w, try_it);
		try_it = false;
	}
	parclass_port_close(w.port);
	parclass_context_unref(ctx);
	close(w.logfd);
	return rc;
}

/* ---- the watcher ---- */

static bool watch_drain(int in, int dirfd, int logfd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(in, buf, sizeof buf)) > 0) {
		const struct inotify_event *ev;

		for (char *p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			char line[96];
			int len = 0;

			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				len = snprintf(line, sizeof line, "overflow\n");
			else if (ev->len && !strncmp(ev->name, "q.", 2))
				len = snprintf(line, sizeof line, "%.40s %d\n", ev->name,
					       (int)ticket_pid(dirfd, ev->name, false));
			if (len > 0 && write(logfd, line, (size_t)len) != len)
				return false;
		}
	}
	return n == 0 || errno == EAGAIN;
}

static int watcher_main(struct run *run, int ready)
{
	g_autofree char *path = work_path(run, "watcher.log");
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	int dirfd = open(run->port_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int logfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = 0;

	child_setup(run, -1);
	close(run->notify[1]);
	if (in < 0 || dirfd < 0 || logfd < 0 || inotify_add_watch(in, run->port_dir, IN_MOVED_TO) < 0)
		return 20;
	if (write(ready, "w", 1) != 1)
		return 21;
	close(ready);
	for (;;) {
		struct pollfd p[2] = { { in, POLLIN, 0 }, { run->stop[0], POLLIN, 0 } };

		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			rc = 22;
			break;
		}
		if (!watch_drain(in, dirfd, logfd)) {
			rc = 23;
			break;
		}
		/* Told to stop: every rename the workers made is queued already. */
		if (p[1].revents) {
			if (!watch_drain(in, dirfd, logfd))
				rc = 23;
			break;
		}
	}
	close(in);
	close(dirfd);
	close(logfd);
	close(run->stop[0]);
	return rc;
}

/* ---- the supervisor ---- */

static int start_worker(struct run *run, unsigned slot)
{
	struct slot *s = &run->slots[slot];
	uint64_t ord = next_ord(run->sh);   /* before anything the worker logs */
	pid_t pid = fork();

	if (pid == 0)
		_exit(worker_main(run, slot));
	if (pid < 0) {
		note(run, TORTURE_GRANTED, "cannot start worker %u: %s", slot, g_strerror(errno));
		s->over = true;
		return -1;
	}
	s->pid = pid;
	s->killed = false;
	s->parked = false;
	s->kill_at = 0;
	log_line(run->sup_log, ord, now_ns(), pid, run->sup_seq++, "start slot=%u incarnation=%u done=%u", slot,
		 s->incarnation, run->sh->done[slot]);
	return 0;
}

static void kill_worker(struct run *run, unsigned slot, const char *as)
{
	struct slot *s = &run->slots[slot];

	log_line(run->sup_log, next_ord(run->sh), now_ns(), s->pid, run->sup_seq++, "kill slot=%u as=%s", slot, as);
	kill(s->pid, SIGKILL);
	s->killed = true;
	s->kill_at = 0;
	run->res->kills++;
}

static const struct planned_kill *due_plan(struct run *run, bool holder)
{
	const struct planned_kill *k = run->next_plan < run->nplan ? &run->plan[run->next_plan] : NULL;

	return k && k->holder == holder && run->grants_seen >= k->after ? k : NULL;
}

static void answer(struct run *run, unsigned slot, char go)
{
	run->slots[slot].parked = false;
	if (write(run->slots[slot].reply[1], &go, 1) != 1)
		note(run, TORTURE_GRANTED, "cannot answer worker %u: %s", slot, g_strerror(errno));
}

/* A parked worker, at random; -1 when none. */
static int pick_parked(struct run *run)
{
	unsigned n = 0, pick;

	for (unsigned i = 0; i < run->o->workers; i++)
		n += run->slots[i].parked;
	if (!n)
		return -1;
	pick = rnd(&run->rng, n);
	for (unsigned i = 0; i < run->o->workers; i++)
		if (run->slots[i].parked && pick-- == 0)
			return (int)i;
	return -1;
}

/*
 * A lull: workers park between rounds until every one still running is
 * parked and the queue is empty; then one of them is let go with a try and
 * another (if any) with a request of its own, racing it; when both have
 * parked again the lull ends.
 */
static void lull_step(struct run *run)
{
	int tryer, other;

	if (run->lull == LULL_NONE)
		return;
	for (unsigned i = 0; i < run->o->workers; i++)
		if (!run->slots[i].over && !run->slots[i].parked)
			return;
	if (run->lull == LULL_DRAIN && (tryer = pick_parked(run)) >= 0) {
		answer(run, (unsigned)tryer, 't');
		if ((other = pick_parked(run)) >= 0)
			answer(run, (unsigned)other, 'h');
		run->lull = LULL_TRY;
		run->res->lulls++;
		return;
	}
	__atomic_store_n(&run->sh->lull, 0, __ATOMIC_SEQ_CST);
	run->lull = LULL_NONE;
	for (unsigned i = 0; i < run->o->workers; i++)
		if (run->slots[i].parked)
			answer(run, i, 'h');
}

static void handle_msg(struct run *run, const struct msg *m)
{
	const struct planned_kill *k;
	struct slot *s;

	if (m->slot >= run->o->workers)
		return;
	s = &run->slots[m->slot];
	if (m->pid != s->pid || s->killed)
		return;   /* from a process killed since */
	if (m->type == 'i') {
		s->parked = true;
		lull_step(run);
		return;
	}
	if (m->type == 'r') {
		if (s->kill_at || !(k = due_plan(run, false)))
			return;
		run->next_plan++;
		if (k->delay_us)
			s->kill_at = now_ns() + (int64_t)k->delay_us * 1000;
		else
			kill_worker(run, m->slot, "waiter");
		return;
	}
	run->grants_seen++;
	if (run->o->lull_every && run->lull == LULL_NONE && run->grants_seen >= run->next_lull) {
		run->next_lull += run->o->lull_every;
		run->lull = LULL_DRAIN;
		__atomic_store_n(&run->sh->lull, 1, __ATOMIC_SEQ_CST);
	}
	if (s->kill_at)
		return;   /* no reply: it holds until its planned kill */
	if ((k = due_plan(run, true))) {
		run->next_plan++;
		kill_worker(run, m->slot, "holder");
		return;
	}
	answer(run, m->slot, 'h');
}

static void read_msgs(struct run *run)
{
	struct msg m[64];
	ssize_t n;

	while ((n = read(run->notify[0], m, sizeof m)) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof *m; i++)
			handle_msg(run, &m[i]);
}

static void fire_due_kills(struct run *run)
{
	int64_t now = now_ns();

	for (unsigned i = 0; i < run->o->workers; i++) {
		struct slot *s = &run->slots[i];

		if (s->pid && !s->killed && s->kill_at && s->kill_at <= now)
			kill_worker(run, i, "waiter");
	}
}

static char *describe_status(int status)
{
	if (WIFSIGNALED(status))
		return g_strdup_printf("signal %d", WTERMSIG(status));
	return g_strdup_printf("exit %d", WEXITSTATUS(status));
}

static void drain_reply(struct slot *s)
{
	struct pollfd p = { s->reply[0], POLLIN, 0 };
	char c;

	while (poll(&p, 1, 0) == 1 && read(p.fd, &c, 1) == 1)
		;
}

static void handle_exit(struct run *run, unsigned slot, int status)
{
	struct slot *s = &run->slots[slot];
	unsigned done = run->sh->done[slot];
	g_autofree char *how = describe_status(status);

	log_line(run->sup_log, next_ord(run->sh), now_ns(), s->pid, run->sup_seq++, "exit slot=%u status=%s", slot,
		 how);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && done >= run->o->rounds) {
		s->over = true;
	} else if (s->killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		if (done >= run->o->rounds || run->stopping) {
			s->over = true;
		} else {
			run->res->restarts++;
			s->incarnation++;
			drain_reply(s);
			start_worker(run, slot);
		}
	} else {
		note(run, TORTURE_GRANTED, "worker %u (pid %d) ended with %s after %u rounds", slot, (int)s->pid, how,
		     done);
		s->over = true;
	}
	if (s->over)
		s->pid = 0;
}

static void reap(struct run *run, bool block)
{
	for (unsigned i = 0; i < run->o->workers; i++) {
		struct slot *s = &run->slots[i];
		int status;
		pid_t r;

		if (!s->pid)
			continue;
		do
			r = waitpid(s->pid, &status, block ? 0 : WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == s->pid)
			handle_exit(run, i, status);
	}
	lull_step(run);
}

static bool any_running(const struct run *run)
{
	for (unsigned i = 0; i < run->o->workers; i++)
		if (!run->slots[i].over)
			return true;
	return false;
}

static char *last_line(const char *path)
{
	g_autofree char *text = NULL;
	char *end, *start;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("(no log)");
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		end--;
	*end = '\0';
	start = strrchr(text, '\n');
	return g_strdup(start ? start + 1 : text);
}

/* What is in the runtime directory: tickets and temporary files, with the
 * pid they name and whether a live process holds their lock. */
static unsigned list_tickets(const char *port_dir, GString *out)
{
	DIR *d = opendir(port_dir);
	struct dirent *de;
	unsigned n = 0;

	if (!d) {
		g_string_append_printf(out, "  cannot read %s: %s\n", port_dir, g_strerror(errno));
		return 0;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "q.", 2) && strncmp(de->d_name, "tmp.", 4))
			continue;
		n++;
		g_string_append_printf(out, "  %s: pid=%d, %s\n", de->d_name, (int)ticket_pid(dirfd(d), de->d_name, false),
				       ticket_pid(dirfd(d), de->d_name, true) ? "locked" : "not locked");
	}
	closedir(d);
	return n;
}

/* Past the deadline: say where everybody was, then end them. */
static void hang(struct run *run, int64_t started)
{
	GString *state = g_string_new(NULL);

	g_string_append_printf(state, "still running after %.0f s:\n", (double)(now_ns() - started) / 1e9);
	for (unsigned i = 0; i < run->o->workers; i++) {
		struct slot *s = &run->slots[i];
		g_autofree char *name = worker_log_name(i);
		g_autofree char *path = work_path(run, name);
		g_autofree char *line = last_line(path);

		if (s->over)
			continue;
		g_string_append_printf(state, "  worker %u: pid %d, %u/%u rounds,%s last line: %s\n", i, (int)s->pid,
				       run->sh->done[i], run->o->rounds, s->parked ? " parked," : "", line);
	}
	g_string_append_printf(state, " %s:\n", run->port_dir);
	list_tickets(run->port_dir, state);
	note(run, TORTURE_DEADLINE, "%s", state->str);
	g_string_free(state, TRUE);
	run->stopping = true;
	for (unsigned i = 0; i < run->o->workers; i++)
		if (run->slots[i].pid && !run->slots[i].killed)
			kill_worker(run, i, "deadline");
	reap(run, true);
}

static void supervise(struct run *run, int64_t started)
{
	int64_t deadline = started + (int64_t)run->o->deadline_s * 1000000000;

	while (any_running(run)) {
		struct pollfd p[2] = { { run->notify[0], POLLIN, 0 }, { run->sigfd, POLLIN, 0 } };
		int64_t now = now_ns(), wake = deadline;
		int timeout;

		for (unsigned i = 0; i < run->o->workers; i++)
			if (run->slots[i].kill_at && run->slots[i].kill_at < wake)
				wake = run->slots[i].kill_at;
		timeout = wake <= now ? 0 : (int)MIN((wake - now + 999999) / 1000000, INT_MAX);
		if (poll(p, 2, timeout) < 0 && errno != EINTR) {
			note(run, TORTURE_DEADLINE, "poll: %s", g_strerror(errno));
			hang(run, started);
			return;
		}
		if (p[0].revents & POLLIN)
			read_msgs(run);
		fire_due_kills(run);
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(run->sigfd, &si, sizeof si) == sizeof si)
				;
			reap(run, false);
		}
		if (now_ns() >= deadline) {
			hang(run, started);
			return;
		}
	}
}

/* Ends the watcher once everything it should see has happened. */
static void stop_watcher(struct run *run)
{
	int64_t until = now_ns() + (int64_t)STOP_WAIT_MS * 1000000;
	int status = 0;
	pid_t r;

	close(run->stop[1]);
	run->stop[1] = -1;
	while ((r = waitpid(run->watcher, &status, WNOHANG)) == 0 && now_ns() < until) {
		struct pollfd p = { run->sigfd, POLLIN, 0 };
		struct signalfd_siginfo si;

		if (poll(&p, 1, 100) == 1)
			while (read(run->sigfd, &si, sizeof si) == sizeof si)
				;
	}
	if (r == 0) {
		kill(run->watcher, SIGKILL);
		waitpid(run->watcher, &status, 0);
		note(run, TORTURE_FIFO, "the watcher did not end within %d ms of being told", STOP_WAIT_MS);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		g_autofree char *how = describe_status(status);

		note(run, TORTURE_FIFO, "the watcher failed: %s", how);
	}
}

static void make_plan(struct run *run)
{
	const struct torture_opts *o = run->o;
	unsigned total = o->workers * o->rounds;
	uint64_t rng = (uint64_t)o->seed * 0x2545f4914f6cdd1du + 1;

	run->nplan = o->kill_every ? MAX(1u, total / o->kill_every) : 0;
	run->plan = g_new0(struct planned_kill, run->nplan ? run->nplan : 1);
	/* Thresholds in the first three quarters of the rounds: every kill
	 * then still finds a request or a grant to fall on. */
	for (unsigned i = 0; i < run->nplan; i++)
		run->plan[i].after = rnd(&rng, total * 3 / 4 + 1);
	for (unsigned i = 1; i < run->nplan; i++)
		for (unsigned j = i; j > 0 && run->plan[j - 1].after > run->plan[j].after; j--) {
			struct planned_kill t = run->plan[j];

			run->plan[j] = run->plan[j - 1];
			run->plan[j - 1] = t;
		}
	/* Holders and waiters alternate; a quarter of the waiters die at once,
	 * while they are still entering the queue. */
	for (unsigned i = 0; i < run->nplan; i++) {
		run->plan[i].holder = i % 2 == 0;
		run->plan[i].delay_us = rnd(&rng, 4) ? rnd(&rng, o->hold_max_ms * 1000 + 1) : 0;
	}
	run->res->kills_planned = run->nplan;
	run->rng = rng;
	run->next_lull = o->lull_every;
}

/* ---- the analysis ---- */

enum ev_type { EV_REQUEST, EV_GRANTED, EV_RELEASED, EV_BUSY, EV_FAILED, EV_START, EV_KILL, EV_EXIT };

static const char *const ev_names[] = { "request", "granted", "released", "busy", "failed", "start", "kill", "exit" };

struct proc {
	pid_t pid;
	enum { IDLE, WAITING, HOLDING } state;
	int kind;
	int64_t req_t;
	uint64_t req_ord;
	uint64_t last_ord;   /* its last logged line */
	uint64_t kill_ord;   /* NONE when not killed */
};

struct ev {
	uint64_t ord;
	int64_t t;
	pid_t pid;
	unsigned seq;
	unsigned char type;
	signed char kind;
	bool from_worker;
	int r;               /* of a failed call */
	char ticket[24];
	struct proc *proc;
};

static int cmp_ev(gconstpointer a, gconstpointer b)
{
	const struct ev *x = a, *y = b;

	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static const char *field(const char *rest, const char *key)
{
	const char *p = strstr(rest, key);

	return p ? p + strlen(key) : NULL;
}

static void parse_log(struct run *run, const char *name, bool from_worker, GArray *evs)
{
	g_autofree char *path = work_path(run, name);
	g_autofree char *text = NULL;
	char *line, *next;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		note(run, TORTURE_GRANTED, "no log %s", path);
		return;
	}
	for (line = text; (next = strchr(line, '\n')); line = next + 1) {
		struct ev e = { .from_worker = from_worker, .kind = -1 };
		char type[16];
		const char *v;
		int used = 0;

		*next = '\0';
		if (sscanf(line, "%" SCNu64 " %" SCNd64 " %d %u %15s %n", &e.ord, &e.t, &e.pid, &e.seq, type, &used) < 5) {
			note(run, TORTURE_GRANTED, "%s: unreadable line: %s", name, line);
			continue;
		}
		for (e.type = 0; e.type < G_N_ELEMENTS(ev_names) && strcmp(type, ev_names[e.type]); e.type++)
			;
		if (e.type == G_N_ELEMENTS(ev_names)) {
			note(run, TORTURE_GRANTED, "%s: unknown event: %s", name, line);
			continue;
		}
		if ((v = field(line + used, "kind=")))
			for (int k = 0; k < 3; k++)
				if (!strncmp(v, torture_kind_names[k], strlen(torture_kind_names[k])) &&
				    (v[strlen(torture_kind_names[k])] == ' ' || !v[strlen(torture_kind_names[k])]))
					e.kind = (signed char)k;
		if ((v = field(line + used, "ticket=")))
			sscanf(v, "%23s", e.ticket);
		if ((v = field(line + used, " r=")))
			e.r = atoi(v);
		g_array_append_val(evs, e);
	}
	/* A line without its newline cannot be: each is one write(). */
	if (*line)
		note(run, TORTURE_GRANTED, "%s: a torn last line: %s", name, line);
}

/* The watcher's record: ticket name -> position in the queue. */
static GHashTable *parse_queue(struct run *run, GHashTable *watched_pid)
{
	g_autofree char *path = work_path(run, "watcher.log");
	g_autofree char *text = NULL;
	GHashTable *pos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_auto(GStrv) lines = NULL;
	uint64_t last = 0;
	bool any = false;

	if (!g_file_get_contents(path, &text, NULL, NULL)) {
		note(run, TORTURE_FIFO, "the watcher left no record");
		return pos;
	}
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l && **l; l++) {
		char name[41];
		uint64_t seq;
		int pid;

		if (!strcmp(*l, "overflow")) {
			note(run, TORTURE_FIFO, "the watcher lost events (inotify queue overflow)");
			continue;
		}
		if (sscanf(*l, "%40s %d", name, &pid) != 2 || sscanf(name, "q.%" SCNx64, &seq) != 1) {
			note(run, TORTURE_FIFO, "the watcher's record has an unreadable line: %s", *l);
			continue;
		}
		/* Renamed under the seq lock: the numbers must rise with the renames. */
		if (any && seq <= last)
			note(run, TORTURE_FIFO, "%s entered the queue after q.%016" PRIx64, name, last);
		last = seq;
		any = true;
		if (g_hash_table_contains(pos, name))
			continue;
		g_hash_table_insert(pos, g_strdup(name), GUINT_TO_POINTER(g_hash_table_size(pos) + 1));
		g_hash_table_insert(watched_pid, g_strdup(name), GINT_TO_POINTER(pid));
		run->res->tickets++;
	}
	return pos;
}

/* Kernel claims: alternate claim and release of one pid at a time, and
 * follow the grants: a run of claims by one pid for each run of grants, in
 * the same order; between them only claims of processes killed before they
 * logged their grant. */
static void check_claims(struct run *run, off_t from, GArray *grant_pids, GHashTable *killed)
{
	g_autofree char *text = NULL;
	g_autoptr(GArray) claim_pids = g_array_new(FALSE, FALSE, sizeof(int));
	g_auto(GStrv) lines = NULL;
	g_autofree char *claim = g_strdup_printf("%s claim pid=", run->o->location);
	g_autofree char *release = g_strdup_printf("%s release pid=", run->o->location);
	gsize len = 0;
	int holder = 0, last = 0;
	unsigned i = 0, j = 0;

	if (!g_file_get_contents(run->o->events_log, &text, &len, NULL)) {
		note(run, TORTURE_CLAIMS, "cannot read %s", run->o->events_log);
		return;
	}
	lines = g_strsplit(text + MIN((gsize)from, len), "\n", -1);
	for (char **l = lines; *l; l++) {
		int pid;

		if (g_str_has_prefix(*l, claim)) {
			pid = atoi(*l + strlen(claim));
			run->res->claims++;
			if (holder)
				note(run, TORTURE_CLAIMS, "claim by pid %d while pid %d has the port", pid, holder);
			holder = pid;
			if (pid != last)
				g_array_append_val(claim_pids, pid);
			last = pid;
		} else if (g_str_has_prefix(*l, release)) {
			pid = atoi(*l + strlen(release));
			if (pid != holder)
				note(run, TORTURE_CLAIMS, "release by pid %d while pid %d has the port", pid, holder);
			holder = 0;
		}
	}
	if (holder)
		note(run, TORTURE_CLAIMS, "pid %d never released its claim", holder);

	while (j < grant_pids->len) {
		int g = g_array_index(grant_pids, int, j);
		int c;

		if (i == claim_pids->len) {
			note(run, TORTURE_CLAIMS, "pid %d logged grant %u of %u without a kernel claim", g, j + 1,
			     grant_pids->len);
			return;
		}
		c = g_array_index(claim_pids, int, i);
		if (c == g) {
			i++;
			j++;
		} else if (g_hash_table_contains(killed, GINT_TO_POINTER(c))) {
			i++;
		} else {
			note(run, TORTURE_CLAIMS, "a kernel claim by pid %d, which did not hold the port; pid %d did (grant %u)",
			     c, g, j + 1);
			return;
		}
	}
	for (; i < claim_pids->len; i++)
		if (!g_hash_table_contains(killed, GINT_TO_POINTER(g_array_index(claim_pids, int, i))))
			note(run, TORTURE_CLAIMS, "a kernel claim by pid %d after the last grant",
			     g_array_index(claim_pids, int, i));
}

static int cmp_i64(gconstpointer a, gconstpointer b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct analysis {
	GArray *evs;            /* struct ev, in ord order */
	GPtrArray *procs;       /* struct proc, one per process */
	GHashTable *killed;     /* pids sent SIGKILL */
	GHashTable *queue;      /* ticket name -> position in the queue, from 1 */
	GHashTable *watched;    /* ticket name -> the pid the watcher read in it */
	GArray *latency;        /* ns from request to grant, allocate and lock */
	GArray *grant_pids;     /* the holders in grant order, each run of one pid once */
	struct proc *holder;
	unsigned last_pos;      /* of the last ticket granted */
	const char *last_ticket;
};

/* Which process each line is of: a pid may be used again, but only after
 * its process was reaped, and a start is stamped before its fork. */
static void assign_procs(struct run *run, struct analysis *a)
{
	g_autoptr(GHashTable) current = g_hash_table_new(NULL, NULL);

	for (unsigned i = 0; i < a->evs->len; i++) {
		struct ev *e = &g_array_index(a->evs, struct ev, i);
		struct proc *p = g_hash_table_lookup(current, GINT_TO_POINTER(e->pid));

		if (i && e->ord == g_array_index(a->evs, struct ev, i - 1).ord)
			note(run, TORTURE_GRANTED, "two lines stamped %" PRIu64, e->ord);
		if (e->type == EV_START || !p) {
			p = g_new0(struct proc, 1);
			p->pid = e->pid;
			p->last_ord = p->kill_ord = NONE;
			g_ptr_array_add(a->procs, p);
			g_hash_table_insert(current, GINT_TO_POINTER(e->pid), p);
		}
		e->proc = p;
		if (e->from_worker)
			p->last_ord = e->ord;
		if (e->type == EV_KILL) {
			p->kill_ord = e->ord;
			g_hash_table_add(a->killed, GINT_TO_POINTER(e->pid));
		}
	}
}

static void on_grant(struct run *run, struct analysis *a, const struct ev *e)
{
	struct proc *p = e->proc, *before = a->holder;
	gpointer pos;
	int seen;

	if (p->state != WAITING || p->kind != e->kind || e->kind < 0) {
		note(run, TORTURE_GRANTED, "pid %d: a grant at %" PRIu64 " without its request", p->pid, e->ord);
		return;
	}
	p->state = HOLDING;
	run->res->grants[e->kind]++;
	if (e->kind != K_TRY) {
		int64_t wait = e->t - p->req_t;

		g_array_append_val(a->latency, wait);
	}

	/* The holder before held from its grant to its release or, when
	 * killed, to its death: after the kill was sent and after its last line. */
	if (before && before != p &&
	    !(before->kill_ord != NONE && before->kill_ord < e->ord && before->last_ord < e->ord))
		note(run, TORTURE_ONE_HOLDER, "pid %d was granted the port at %" PRIu64 " while pid %d held it", p->pid,
		     e->ord, before->pid);
	a->holder = p;
	if (!a->grant_pids->len || g_array_index(a->grant_pids, int, a->grant_pids->len - 1) != p->pid)
		g_array_append_val(a->grant_pids, p->pid);

	/* Grants follow the order in which the tickets entered the queue. */
	if (!strcmp(e->ticket, "none") || !strcmp(e->ticket, "many")) {
		note(run, TORTURE_FIFO, "pid %d held the port with %s live ticket of its own", p->pid,
		     e->ticket[0] == 'n' ? "no" : "more than one");
		return;
	}
	if (!g_hash_table_lookup_extended(a->queue, e->ticket, NULL, &pos)) {
		note(run, TORTURE_FIFO, "pid %d held the port with %s, which the watcher never saw enter", p->pid,
		     e->ticket);
		return;
	}
	if (GPOINTER_TO_UINT(pos) < a->last_pos)
		note(run, TORTURE_FIFO, "%s (queued #%u, pid %d) was granted after %s (queued #%u)", e->ticket,
		     GPOINTER_TO_UINT(pos), p->pid, a->last_ticket, a->last_pos);
	seen = GPOINTER_TO_INT(g_hash_table_lookup(a->watched, e->ticket));
	if (seen && seen != p->pid)
		note(run, TORTURE_FIFO, "%s: the watcher read pid %d in it, pid %d held with it", e->ticket, seen,
		     p->pid);
	a->last_pos = GPOINTER_TO_UINT(pos);
	a->last_ticket = e->ticket;
}

/* Each process's lines in order: request, then granted and released, or busy. */
static void walk(struct run *run, struct analysis *a)
{
	for (unsigned i = 0; i < a->evs->len; i++) {
		const struct ev *e = &g_array_index(a->evs, struct ev, i);
		struct proc *p = e->proc;

		switch (e->type) {
		case EV_REQUEST:
			if (p->state != IDLE)
				note(run, TORTURE_GRANTED, "pid %d: a request at %" PRIu64 " while one is open", p->pid, e->ord);
			p->state = WAITING;
			p->kind = e->kind;
			p->req_t = e->t;
			p->req_ord = e->ord;
			break;
		case EV_GRANTED:
			on_grant(run, a, e);
			break;
		case EV_RELEASED:
			if (p->state != HOLDING)
				note(run, TORTURE_GRANTED, "pid %d: a release at %" PRIu64 " without a grant", p->pid, e->ord);
			if (a->holder == p)
				a->holder = NULL;
			p->state = IDLE;
			break;
		case EV_BUSY:
			if (p->state != WAITING || p->kind != K_TRY)
				note(run, TORTURE_GRANTED, "pid %d: busy at %" PRIu64 " without a try", p->pid, e->ord);
			run->res->failed_tries++;
			p->state = IDLE;
			break;
		case EV_FAILED:
			note(run, TORTURE_GRANTED, "pid %d: %s failed at %" PRIu64 ": %s", p->pid,
			     e->kind >= 0 ? torture_kind_names[e->kind] : "open or free", e->ord, parclass_strerror(e->r));
			p->state = IDLE;
			break;
		default:
			break;
		}
	}

	/* Where each process's log ends tells what it was doing when it died:
	 * the line after the kill was sent may still have been written. */
	for (unsigned i = 0; i < a->procs->len; i++) {
		struct proc *p = a->procs->pdata[i];

		if (p->kill_ord != NONE) {
			run->res->kills_waiting += p->state == WAITING;
			run->res->kills_holding += p->state == HOLDING;
		} else if (p->state == WAITING) {
			note(run, TORTURE_GRANTED, "pid %d's %s request at %" PRIu64 " was never granted", p->pid,
			     p->kind >= 0 ? torture_kind_names[p->kind] : "?", p->req_ord);
		}
	}
}

static void analyse(struct run *run, off_t events_from)
{
	struct torture_result *res = run->res;
	struct analysis a = {
		.evs = g_array_new(FALSE, TRUE, sizeof(struct ev)),
		.procs = g_ptr_array_new_with_free_func(g_free),
		.killed = g_hash_table_new(NULL, NULL),
		.watched = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.latency = g_array_new(FALSE, FALSE, sizeof(int64_t)),
		.grant_pids = g_array_new(FALSE, FALSE, sizeof(int)),
		.last_ticket = "",
	};
	GArray *lat = a.latency;

	a.queue = parse_queue(run, a.watched);
	for (unsigned i = 0; i < run->o->workers; i++) {
		g_autofree char *name = worker_log_name(i);

		parse_log(run, name, true, a.evs);
	}
	parse_log(run, "supervisor.log", false, a.evs);
	g_array_sort(a.evs, cmp_ev);
	assign_procs(run, &a);
	walk(run, &a);
	check_claims(run, events_from, a.grant_pids, a.killed);

	if (lat->len) {
		g_array_sort(lat, cmp_i64);
		res->latency_median_ms = (double)g_array_index(lat, int64_t, (lat->len - 1) / 2) / 1e6;
		res->latency_p99_ms = (double)g_array_index(lat, int64_t, (lat->len * 99 + 99) / 100 - 1) / 1e6;
		res->latency_max_ms = (double)g_array_index(lat, int64_t, lat->len - 1) / 1e6;
	}
	g_array_unref(a.evs);
	g_ptr_array_unref(a.procs);
	g_hash_table_unref(a.killed);
	g_hash_table_unref(a.queue);
	g_hash_table_unref(a.watched);
	g_array_unref(a.latency);
	g_array_unref(a.grant_pids);
}

/* ---- setting up, and the whole ---- */

static char *setup(struct run *run, off_t *events_from)
{
	const struct torture_opts *o = run->o;
	parclass_context *ctx = NULL;
	parclass_port *port = NULL;
	g_autoptr(GString) found = g_string_new(NULL);
	g_autofree char *sup = NULL;
	struct stat st;
	int r;

	if (!o->workers || o->workers > UINT16_MAX || !o->rounds || o->hold_max_ms > 60000 || !o->deadline_s ||
	    !o->location || strncmp(o->location, "parport", 7) || !o->runtime_dir || !o->events_log || !o->work_dir)
		return g_strdup("bad options");
	if (g_mkdir_with_parents(o->work_dir, 0755) < 0)
		return g_strdup_printf("%s: %s", o->work_dir, g_strerror(errno));
	/* The library makes the port's runtime directory; the watcher needs it. */
	r = parclass_context_new(&ctx);
	if (r == 0)
		r = parclass_port_open(ctx, o->location, &port);
	parclass_port_close(port);
	parclass_context_unref(ctx);
	if (r < 0)
		return g_strdup_printf("cannot open %s: %s", o->location, parclass_strerror(r));
	run->port_dir = g_build_filename(o->runtime_dir, o->location, NULL);
	if (list_tickets(run->port_dir, found))
		return g_strdup_printf("%s is not fresh:\n%s", run->port_dir, found->str);
	*events_from = stat(o->events_log, &st) == 0 ? st.st_size : 0;

	for (unsigned i = 0; i < o->workers; i++) {
		g_autofree char *name = worker_log_name(i);
		g_autofree char *path = work_path(run, name);

		if (!g_file_set_contents(path, "", 0, NULL))
			return g_strdup_printf("cannot write %s", path);
	}
	sup = work_path(run, "supervisor.log");
	run->sup_log = open(sup, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (run->sup_log < 0)
		return g_strdup_printf("%s: %s", sup, g_strerror(errno));
	run->sh_size = sizeof *run->sh + o->workers * sizeof run->sh->done[0];
	run->sh = mmap(NULL, run->sh_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (run->sh == MAP_FAILED) {
		run->sh = NULL;
		return g_strdup_printf("mmap: %s", g_strerror(errno));
	}
	if (pipe2(run->notify, O_CLOEXEC) < 0 || pipe2(run->stop, O_CLOEXEC) < 0)
		return g_strdup_printf("pipe: %s", g_strerror(errno));
	fcntl(run->notify[0], F_SETFL, O_NONBLOCK);
	for (unsigned i = 0; i < o->workers; i++)
		if (pipe2(run->slots[i].reply, O_CLOEXEC) < 0)
			return g_strdup_printf("pipe: %s", g_strerror(errno));
	return NULL;
}

static char *start_watcher(struct run *run)
{
	struct pollfd p = { -1, POLLIN, 0 };
	int ready[2];
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return g_strdup_printf("pipe: %s", g_strerror(errno));
	run->watcher = fork();
	if (run->watcher == 0) {
		close(ready[0]);
		_exit(watcher_main(run, ready[1]));
	}
	close(ready[1]);
	close(run->stop[0]);
	run->stop[0] = -1;
	p.fd = ready[0];
	/* A bound for a hang, not for speed. */
	if (run->watcher < 0 || poll(&p, 1, STOP_WAIT_MS) != 1 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return g_strdup("the watcher did not start");
	}
	close(ready[0]);
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int torture_run(const struct torture_opts *o, struct torture_result *res)
{
	struct run run = { .o = o, .res = res, .supervisor = getpid(), .sigfd = -1, .sup_log = -1,
			   .notify = { -1, -1 }, .stop = { -1, -1 } };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old_chld;
	sigset_t chld, old_mask;
	g_autoptr(GString) left = g_string_new(NULL);
	off_t events_from = 0;
	int64_t started;
	int rc = -1;

	memset(res, 0, sizeof *res);
	run.slots = g_new0(struct slot, MAX(o->workers, 1u));
	for (unsigned i = 0; i < o->workers; i++)
		run.slots[i].reply[0] = run.slots[i].reply[1] = -1;

	/* Children are reaped here, through a signalfd. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old_mask);
	sigaction(SIGCHLD, &dfl, &old_chld);
	run.sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (run.sigfd < 0)
		res->setup_error = g_strdup_printf("signalfd: %s", g_strerror(errno));
	if (!res->setup_error)
		res->setup_error = setup(&run, &events_from);
	if (!res->setup_error)
		res->setup_error = start_watcher(&run);
	if (res->setup_error)
		goto out;

	make_plan(&run);
	started = now_ns();
	for (unsigned i = 0; i < o->workers; i++)
		start_worker(&run, i);
	supervise(&run, started);
	stop_watcher(&run);
	res->seconds = (double)(now_ns() - started) / 1e9;
	for (unsigned i = 0; i < o->workers; i++)
		res->rounds += run.sh->done[i];

	/* Every worker is gone: nothing may be left but what belongs to nobody. */
	res->leftover = list_tickets(run.port_dir, left);
	if (res->leftover)
		note(&run, TORTURE_CLEAN, "left in %s:\n%s", run.port_dir, left->str);
	analyse(&run, events_from);
	rc = 0;
out:
	if (run.watcher > 0 && run.stop[1] >= 0) {
		close_fd(&run.stop[1]);
		kill(run.watcher, SIGKILL);
		waitpid(run.watcher, NULL, 0);
	}
	for (unsigned i = 0; i < TORTURE_INVARIANTS; i++) {
		if (run.ncases[i] > MAX_CASES)
			g_string_append_printf(run.cases[i], "... and %u more\n", run.ncases[i] - MAX_CASES);
		res->violation[i] = run.cases[i] ? g_string_free(run.cases[i], FALSE) : NULL;
	}
	for (unsigned i = 0; i < o->workers; i++) {
		close_fd(&run.slots[i].reply[0]);
		close_fd(&run.slots[i].reply[1]);
	}
	close_fd(&run.notify[0]);
	close_fd(&run.notify[1]);
	close_fd(&run.stop[0]);
	close_fd(&run.stop[1]);
	close_fd(&run.sup_log);
	close_fd(&run.sigfd);
	sigaction(SIGCHLD, &old_chld, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (run.sh)
		munmap(run.sh, run.sh_size);
	g_free(run.slots);
	g_free(run.plan);
	g_free(run.port_dir);
	return rc;
}

bool torture_passed(const struct torture_result *res)
{
	if (res->setup_error)
		return false;
	for (unsigned i = 0; i < TORTURE_INVARIANTS; i++)
		if (res->violation[i])
			return false;
	return true;
}

void torture_print(FILE *f, const struct torture_opts *o, const struct torture_result *r)
{
	fprintf(f, "libparclass lock torture on %s: %u workers x %u rounds, seed %u, a kill per %u rounds, "
		   "a lull per %u, holds 0-%u ms\n",
		o->location, o->workers, o->rounds, o->seed, o->kill_every, o->lull_every, o->hold_max_ms);
	if (r->setup_error) {
		fprintf(f, "  could not run: %s\n", r->setup_error);
		return;
	}
	fprintf(f, "  %-26s %u\n", "rounds completed", r->rounds);
	fprintf(f, "  %-26s %u (allocate %u, lock %u, try %u)\n", "grants", r->grants[0] + r->grants[1] + r->grants[2],
		r->grants[0], r->grants[1], r->grants[2]);
	fprintf(f, "  %-26s %u\n", "failed tries (-EBUSY)", r->failed_tries);
	fprintf(f, "  %-26s %u of %u planned (%u holding, %u waiting, %u in between)\n", "kills", r->kills,
		r->kills_planned, r->kills_holding, r->kills_waiting, r->kills - r->kills_holding - r->kills_waiting);
	fprintf(f, "  %-26s %u\n", "restarts", r->restarts);
	fprintf(f, "  %-26s %u\n", "lulls (a try, queue empty)", r->lulls);
	fprintf(f, "  %-26s median %.2f ms, p99 %.2f ms, max %.2f ms (allocate and lock, request to grant)\n",
		"grant latency", r->latency_median_ms, r->latency_p99_ms, r->latency_max_ms);
	fprintf(f, "  %-26s %u\n", "tickets queued (watcher)", r->tickets);
	fprintf(f, "  %-26s %u\n", "kernel claims (events log)", r->claims);
	fprintf(f, "  %-26s %u\n", "leftover files", r->leftover);
	fprintf(f, "  %-26s %.1f s (deadline %u s)\n", "duration", r->seconds, o->deadline_s);
	for (unsigned i = 0; i < TORTURE_INVARIANTS; i++) {
		fprintf(f, "  %-50s %s\n", torture_invariant_names[i], r->violation[i] ? "VIOLATED" : "ok");
		if (r->violation[i]) {
			g_auto(GStrv) lines = g_strsplit(r->violation[i], "\n", -1);

			for (char **l = lines; *l && **l; l++)
				fprintf(f, "      %s\n", *l);
		}
	}
}

void torture_result_clear(struct torture_result *res)
{
	for (unsigned i = 0; i < TORTURE_INVARIANTS; i++)
		g_free(res->violation[i]);
	g_free(res->setup_error);
	memset(res, 0, sizeof *res);
}
