/*
 * job.h - running the CUPS backend "parclass" as cupsd runs it, for tests
 *
 * The backend runs in its own process (proc.h): print data on stdin or in a
 * file, the back channel on fd 3 (a pipe the test reads), the side channel
 * on fd 4 (a socket pair the test drives with the protocol's bytes), CUPS
 * messages on stderr.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "proc.h"

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

/* Start the backend as @s says; the test's ends of its fds are in @j. */
void job_start(struct proc *j, const struct spec *s);
/* Run a whole job; its stderr in @err (g_free it), exit status returned. */
int run(const struct spec *s, char **err);
