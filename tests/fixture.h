/*
 * fixture.h - shared test fixtures: a private parclass-sim per test
 *
 * Criterion runs every test in a fresh process; a test starts its own
 * simulator with sim_start(), which also points this process at the
 * simulator's test bed (UMOCKDEV_DIR; the test runner preloads umockdev).
 * Every simulator records into a private directory that the test can read.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sim {
	GPid pid;
	char *dir;        /* private temporary directory */
	char *record;     /* dir/record: the --record directory */
	char *runtime;    /* dir/run: PARCLASS_RUNTIME_DIR for libparclass */
	char *testbed;    /* the simulator's UMOCKDEV_DIR */
};

/* Start "parclass-sim --serve" with one model text per port (NULL-terminated
 * array; NULL or empty array: the built-in default printer). Also points
 * libparclass at a private runtime directory (PARCLASS_RUNTIME_DIR). */
struct sim *sim_start(const char *const *models);
/* Same, with one model text. */
struct sim *sim_start1(const char *model);
/* Stop the simulator (SIGTERM) and wait for it; the record stays readable. */
void sim_stop(struct sim *s);
/* Stop if running, and remove the temporary directory. */
void sim_free(struct sim *s);

void sim_kill(struct sim *s, int sig);

/* Contents of a file in the record directory; NULL when missing. */
char *sim_record_read(struct sim *s, const char *name, size_t *len);
/* Everything @device ("parport0", "parport0.1") received, all its sessions
 * in order; their number in @sessions (may be NULL). */
GByteArray *sim_received(struct sim *s, const char *device, unsigned *sessions);
/* events.log with "pid=<pid>" replaced by "pid=PID". */
char *sim_events(struct sim *s);
/* Does that text contain @text? */
bool sim_events_contain(struct sim *s, const char *text);
/* Wait until it does (the simulator handles signals in its own time); fails
 * the test after @timeout_ms. */
void sim_events_wait(struct sim *s, const char *text, int timeout_ms);

/* Remove a file or a directory with everything in it. */
void remove_tree(const char *path);

/* Deterministic test data. */
void fill_pattern(unsigned char *buf, size_t n, unsigned seed);

/* Milliseconds on the monotonic clock. */
long long now_ms(void);

/* Run @fn in a forked child; returns its pid. The child exits with fn's return. */
pid_t fork_child(int (*fn)(void *), void *data);
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

/*
 * For fork_child(): a program outside parclass that opens /dev/parport0,
 * claims it with PPCLAIM, posts 'c' on the sync pipe @data and waits for a
 * signal. Exits with 10 when it cannot claim the port.
 */
int ppclaim_holder_main(void *data);
