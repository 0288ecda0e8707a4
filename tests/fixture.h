/*
 * fixture.h - shared test fixtures: a private parclass-sim per test
 *
 * Criterion runs every test in a fresh process; a test starts its own
 * simulator with fx_start(), which also points this process at the
 * simulator's test bed (UMOCKDEV_DIR; the test runner preloads umockdev).
 * Every simulator records into a private directory that the test can read.
 * The fixture's names say fx_; sim_ is the simulator's own prefix (sim/).
 */
#pragma once

#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "parclass.h"

/*
 * The bound on every "eventually" in the tests: a step that does not happen
 * within it has hung. Generous, because the tests run under valgrind on
 * busy machines (30 s, five times that under valgrind); never a speed
 * target (make bench measures speed).
 */
int eventually_ms(void);
#define EVENTUALLY_MS (eventually_ms())
/* The same as text, for a command line. */
const char *eventually_ms_text(void);

struct fx_sim {
	GPid pid;
	char *dir;        /* private temporary directory */
	char *record;     /* dir/record: the --record directory */
	char *runtime;    /* dir/run: PARCLASS_RUNTIME_DIR for libparclass */
	char *testbed;    /* the simulator's UMOCKDEV_DIR */
};

/* Start "parclass-sim --serve" with one model text per port (NULL-terminated
 * array; NULL or empty array: the built-in default printer). Also points
 * libparclass at a private runtime directory (PARCLASS_RUNTIME_DIR). */
struct fx_sim *fx_start(const char *const *models);
/* Same, with one model text. */
struct fx_sim *fx_start1(const char *model);
/* Stop the simulator (SIGTERM) and wait for it; the record stays readable. */
void fx_stop(struct fx_sim *s);
/* Stop if running, and remove the temporary directory. */
void fx_free(struct fx_sim *s);

void fx_kill(struct fx_sim *s, int sig);

/* Contents of a file in the record directory; NULL when missing. */
char *fx_record_read(struct fx_sim *s, const char *name, size_t *len);
/* Assert that the record file @name holds exactly the @n bytes @expect. */
void fx_assert_record(struct fx_sim *s, const char *name, const void *expect, size_t n);
/* Assert that events.log, normalised, is exactly @expect. */
void fx_assert_events(struct fx_sim *s, const char *expect);
/* Everything @device ("parport0", "parport0.1") received, all its sessions
 * in order; their number in @sessions (may be NULL). */
GByteArray *fx_received(struct fx_sim *s, const char *device, unsigned *sessions);
/* events.log with "pid=<pid>" replaced by "pid=PID". */
char *fx_events(struct fx_sim *s);
/* Does that text contain @text? */
bool fx_events_contain(struct fx_sim *s, const char *text);

/*
 * Library contexts: a library error fails the test unless it expects it.
 *
 * A test gets every parclass_context from fx_context_new(), in its own
 * process and in the children it forks, never from parclass_context_new().
 * Such a context logs the library's errors (PARCLASS_LOG_ERROR) to the
 * fixture: an error the test did not declare with fx_expect_lib_error()
 * fails the test where it is logged (cr_expect_fail: the test runs on and
 * reports the message). In a child forked with fork_child() the child
 * instead says the message on stderr and exits with FX_LIB_ERROR_STATUS,
 * which the test's wait_child() sees. A test that provokes an error on
 * purpose declares it first; an expectation holds for the rest of the test
 * (and in the children forked after it).
 */
#define FX_LIB_ERROR_STATUS 99
/* parclass_context_new() for tests: 0 or a negative errno, *@out only on success. */
int fx_context_new(parclass_context **out);
/* parclass_context_set_log() for a context from fx_context_new(): @fn (may be
 * NULL) also sees the messages of @level and more severe; errors stay checked. */
int fx_context_set_log(parclass_context *ctx, enum parclass_log_level level, parclass_log_fn fn, void *data);
/* Library errors whose message contains @substring are part of this test
 * (@substring must outlive the test; string literals do). */
void fx_expect_lib_error(const char *substring);
/* Is this a child forked with fork_child() (not the test's own process)? */
bool fx_forked(void);

/* Remove a file or a directory with everything in it. */
void remove_tree(const char *path);

/* Deterministic test data. */
void fill_pattern(unsigned char *buf, size_t n, unsigned seed);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

/* Run @fn in a forked child; returns its pid. The child exits with fn's return. */
pid_t fork_child(int (*fn)(void *), void *data);
/* The pid of a process that has just exited and been reaped: one that is gone. */
pid_t gone_pid(void);
/* Wait for a child and return its exit status (or 128 + signal). */
int wait_child(pid_t pid);

/* A pipe to synchronise with a child: write one byte, read one byte with a timeout. */
struct sync_pipe {
	int fd[2];
};
void sync_init(struct sync_pipe *p);
void sync_post(struct sync_pipe *p, char c);
/* The byte read, or -1 on timeout. */
int sync_wait(struct sync_pipe *p, int timeout_ms);

/* fork_child(), then wait until the child posts @ready on @up (20 s at most, or the test fails). */
pid_t fork_child_ready(int (*fn)(void *), void *data, struct sync_pipe *up, char ready);

/*
 * For fork_child(): a program outside parclass that opens /dev/parport0,
 * claims it with PPCLAIM, posts 'c' on the sync pipe @data and waits for a
 * signal. Exits with 10 when it cannot claim the port.
 */
int ppclaim_holder_main(void *data);

/* Wait up to @timeout_ms for a child; its status as wait_child(), or -1 when
 * it is still running then (it is left running). */
int wait_child_within(pid_t pid, int timeout_ms);

/*
 * "parclassctl lock LOCATION -- sh -c 'read line; exit 0'": a process that takes the
 * port as a job would and holds it until *@release is closed (or this test
 * process dies), so that no hold ends by the clock.
 */
pid_t ctl_hold(const char *location, int *release);
/* What "parclassctl waiters LOCATION" prints: the library's view of the port. */
void ctl_waiters(const char *location, char *buf, size_t size);
/* Until someone holds @location (within EVENTUALLY_MS). */
void ctl_await_held(const char *location);
/* Until "parclassctl waiters" shows @waiters waiting (within EVENTUALLY_MS). */
void ctl_await_waiters(const char *location, unsigned waiters);

/* How many times @text occurs in events.log (pids as "pid=PID"). */
unsigned fx_events_count(struct fx_sim *s, const char *text);
/* Until @text occurs @n times in events.log (within EVENTUALLY_MS). */
void fx_await_events(struct fx_sim *s, const char *text, unsigned n);
/* Until events.log contains @text (within EVENTUALLY_MS). */
void fx_await_event(struct fx_sim *s, const char *text);
/*
 * In a thread of its own: once events.log contains @text, end the active
 * faults (SIGUSR1), for a test whose own thread is blocked in a transfer
 * the fault holds up. @text must outlive the thread; pthread_join() it.
 */
pthread_t fx_end_faults_on(struct fx_sim *s, const char *text);
