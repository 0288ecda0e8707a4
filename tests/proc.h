/*
 * proc.h - running a program under test in a process of its own: the CUPS
 * backend and filters as cupsd runs them, parclassctl, parclass-sim
 *
 * The test writes the program's stdin (bytes given at the start, and more
 * later), collects its stdout and stderr, and may give it fd 3 (a back
 * channel, either way) and fd 4 (a socket pair, the side channel). Every
 * wait is bounded: a program that hangs fails the test instead of stopping
 * it.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What the program's fd 3 is. */
enum proc_back {
	PROC_BACK_NONE,   /* closed */
	PROC_BACK_FROM,   /* a pipe it writes and the test reads (a backend's back channel) */
	PROC_BACK_TO,     /* a pipe the test writes and it reads (a filter's back channel) */
};

struct proc_spec {
	const char *path;            /* the program */
	const char *const *argv;     /* its arguments, argv[0] included */
	const char *const *env;      /* changes to the test's environment, in order:
				      * "NAME=value" sets, "NAME" unsets; NULL-terminated */
	const void *input;           /* stdin, written as the program takes it */
	size_t input_len;
	bool keep_stdin;             /* stdin stays open after the input: the test closes it */
	enum proc_back back;         /* fd 3 */
	bool side;                   /* fd 4: a socket pair */
	bool tty;                    /* stderr is a terminal */
	/* Instead of a pipe to the test, the program's stdin, stdout or fd 3
	 * is this fd (> 0; the test closes its own copy after proc_start). */
	int stdin_fd, stdout_fd, back_fd;
};

struct proc {
	char *name;                  /* the program's file name, for messages */
	pid_t pid;
	int in, out, err, back, side;   /* the test's ends; -1 when closed */
	bool back_to;                /* back is the end the test writes */
	const unsigned char *input;
	size_t input_len, input_off;
	bool keep_stdin;
	GByteArray *outdata;         /* stdout */
	GString *errtext;            /* stderr */
	GByteArray *backdata;        /* fd 3 (PROC_BACK_FROM) */
	bool exited;
	int status;                  /* exit status, 128 + signal when killed; -1 while it runs */
	long long exited_ms;         /* when its exit was seen (now_ms()) */
};

/* execv() with an argument vector kept as constants (returns only on failure). */
void exec_args(const char *path, const char *const *argv);
/* Start the program as @s says; the test's ends of its fds are in @p. */
void proc_start(struct proc *p, const struct proc_spec *s);
/* Move data for up to @ms: stdin out; stdout, stderr and fd 3 in. */
void proc_pump(struct proc *p, int ms);
/* Pump until stderr shows @text; fails the test after @timeout_ms. */
void proc_wait_for(struct proc *p, const char *text, int timeout_ms);
/* Pump until stdout holds @text; fails the test after @timeout_ms. */
void proc_wait_output(struct proc *p, const char *text, int timeout_ms);
/* Pump until the program closes its stdout; fails the test after @timeout_ms. */
void proc_wait_output_end(struct proc *p, int timeout_ms);
struct fx_sim;
/* Pump until the simulator's events log shows @text (within EVENTUALLY_MS). */
void proc_await_event(struct proc *p, struct fx_sim *s, const char *text);
/* Send more to stdin (with keep_stdin), after the input it started with. */
void proc_write(struct proc *p, const void *data, size_t len);
void proc_close_stdin(struct proc *p);
/* Has the program exited (reaped, its status in @p)? Does not wait. */
bool proc_exited(struct proc *p);
/* Wait for the program to exit, then read all it says until it closes its
 * outputs; stdin stays as the test left it. @return its exit status.
 * Fails the test (and kills the program) after @timeout_ms. */
int proc_finish(struct proc *p, int timeout_ms);
void proc_free(struct proc *p);
/* Start, write the input, close stdin and finish within 2 × EVENTUALLY_MS.
 * @return the exit status; the output stays in @p (proc_free() it). */
int proc_run(struct proc *p, const struct proc_spec *s);
