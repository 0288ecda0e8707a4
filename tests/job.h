/*
 * job.h - running the CUPS backend "parclass" as cupsd runs it, for tests
 *
 * The backend runs in its own process: print data on stdin or in a file,
 * the back channel on fd 3 (a pipe the test reads), the side channel on
 * fd 4 (a socket pair the test drives with the protocol's bytes), CUPS
 * messages on stderr. Every wait here is bounded: a backend that hangs
 * fails the test instead of stopping it.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct job {
	pid_t pid;
	int in, err, back, side;   /* our ends: stdin (write), stderr, fd 3 (read), fd 4 */
	const unsigned char *input;
	size_t input_len, input_off;
	bool keep_stdin;           /* do not close stdin after the input: the test will */
	GString *errtext;
	GByteArray *backdata;
	int status;
	long long exited_ms;
};

struct spec {
	const char *uri;             /* DEVICE_URI, NULL: none */
	const char *copies;          /* default "1" */
	const char *file;            /* argv[6] */
	const void *input;           /* stdin */
	size_t input_len;
	bool keep_stdin;
	bool channels;               /* fds 3 and 4, as cupsd gives them */
	bool tty;                    /* stderr is a terminal */
	const char *reasons;         /* PRINTER_STATE_REASONS */
	const char *const *argv;     /* instead of the standard six */
};

/* The backend in the build tree (PARCLASS_BUILDDIR/backend/parclass). */
const char *backend_path(void);
/* execv() with an argument vector kept as constants. */
void exec_args(const char *path, const char *const *argv);

/* Start the backend as @s says; the test's ends of its fds are in @j. */
void job_start(struct job *j, const struct spec *s);
/* Move data for up to @ms: stdin out, stderr and the back channel in. */
void job_pump(struct job *j, int ms);
/* Pump until stderr shows @text; fails the test after @timeout_ms. */
void job_wait_for(struct job *j, const char *text, int timeout_ms);
struct fx_sim;
/* Pump until the simulator's events log shows @text (within EVENTUALLY_MS). */
void job_await_event(struct job *j, struct fx_sim *s, const char *text);
/* Send more print data (with keep_stdin), after what the job started with. */
void job_write(struct job *j, const void *data, size_t len);
void job_close_stdin(struct job *j);
/* Wait for the backend to exit, reading all it says; @return its exit
 * status (128 + signal when killed). Fails the test after @timeout_ms. */
int job_finish(struct job *j, int timeout_ms);
void job_free(struct job *j);
/* Run a whole job; its stderr in @err (g_free it), exit status returned. */
int run(const struct spec *s, char **err);
