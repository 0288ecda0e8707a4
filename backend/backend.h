/*
 * backend.h - the modules of the CUPS backend "parclass"
 *
 * The backend is CUPS protocol around libparclass: the device URI and its
 * options (options.c), whole lines for CUPS (lines.c), discovery
 * (discover.c), the side channel behind struct bk_side (side.c), printing
 * a job (job.c, with its private job.h: wait.c opens the device and waits
 * for the port, stream.c sends the data, backchannel.c reads what the
 * printer sends back, report.c says how it goes) and main() (parclass.c).
 * Everything about ports lives in the library; printer-state-reasons and
 * PJL, which the filters and the service share, live in common/.
 */
#pragma once

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/pjl.h"
#include "common/reasons.h"
#include "parclass.h"

/* ---- options.c: the device URI ---------------------------------------- */

#define BK_MS_PER_S 1000   /* timeouts are given in seconds and kept in milliseconds */

enum bk_waitjob {
	BK_WAITJOB_AUTO,  /* when the job asked for PJL job status and ends its PJL jobs */
	BK_WAITJOB_YES,
	BK_WAITJOB_NO,
};

struct bk_options {
	char location[64];      /* "parclass:/dev/parportN[?daisy=A]", as discovery names it: for messages */
	int port;               /* parportN */
	int address;            /* chain address, PARCLASS_ADDRESS_END */
	bool behind_chain;      /* daisy=4: the end-of-chain device behind a chain */
	unsigned write_mask;    /* forward modes allowed (mode=) */
	bool write_forced;      /* mode= named one: no fallback */
	unsigned read_mask;     /* reverse modes allowed (reverse=); 0: no back channel */
	bool read_forced;
	int channel;            /* ECP channel for print data (channel=), -1 none */
	int poll_ms;            /* status and back-channel period (poll=) */
	int share_ms;           /* hold at least this long before yielding to waiters; -1 never */
	enum bk_waitjob waitjob;
	int waitjob_timeout_ms; /* give up waiting when the printer says nothing this long */
	bool reset_on_cancel;   /* reset=yes */
	int lock_timeout_ms;    /* 0: no limit */
	int stall_timeout_ms;   /* no progress without a reason; 0: no limit */
};

/*
 * Parse a parclass: device URI into @o. Unknown options are reported in
 * @warning (empty when none) and otherwise ignored.
 * @return 0, or -EINVAL with a message for the user in @error
 */
int bk_options_parse(const char *uri, struct bk_options *o, char *error, size_t error_len, char *warning,
		     size_t warning_len);

/* ---- lines.c: what CUPS reads ------------------------------------------- */

/* The longest line cupsd (stderr) and cups-deviced (stdout) read whole, newline included. */
#define BK_LINE_MAX 2047

/* How many bytes of @s, at most @max, end at a whole UTF-8 character. */
size_t bk_utf8_cut(const char *s, size_t max);
/* How long @n bytes of @s are once cupsBackendReport() has quoted them: a
 * space, the quotes, '"' and '\\' escaped. */
size_t bk_quoted_len(const char *s, size_t n);
/*
 * The pairs of the device ID text @id (a parsed ID's) whose quoted form fits
 * in @max bytes, in their order: MFG, MDL, CMD and CLS (and their long
 * names) first, then the others while they fit. All of @id when it fits.
 */
void bk_id_fit(const char *id, size_t max, char *out, size_t size);
/* One message as one line of at most BK_LINE_MAX bytes: a longer one is cut
 * at a character and ended there. */
void bk_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bk_vline(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* ---- discover.c -------------------------------------------------------- */

/* List every printer for lpinfo -v (cupsBackendReport lines on stdout). */
int bk_discover(parclass_context *ctx, int deadline_ms);

/* ---- side.c: the side channel (fd 4) ------------------------------------ */

/* What the job knows of the printer, as the side channel answers it. */
struct bk_side_state {
	unsigned status;   /* the Windows status bits of the lines last read */
	unsigned lines;    /* those lines (PARCLASS_LINE_*) */
	unsigned reasons;  /* printer-state-reasons now (enum reason) */
};

/*
 * What the side channel asks of the job. @state may run on the watcher
 * thread while the job waits for the port; the others touch the device and
 * are called only while the port is the job's (bk_side.device_ours), on
 * the job's own thread.
 */
struct bk_side_ops {
	/* The last status read, without touching the device. @return false while none was read */
	bool (*state)(void *job, struct bk_side_state *out);
	/* Read the status lines afresh (then @state has them). @return 0 or negative errno */
	int (*check_status)(void *job);
	/* Reset the printer. @return 0 or negative errno */
	int (*reset)(void *job);
	/* A message line for cupsd ("DEBUG: ...\n"). */
	void (*say)(void *job, const char *line);
};

struct bk_side {
	int fd;                        /* fd 4, or -1 (none, or dropped when broken) */
	const struct bk_side_ops *ops;
	void *job;                     /* for the ops */
	const char *id;                /* the device ID text, NULL when none (the job's, set by the job) */
	bool bidi;                     /* the printer has a back channel (set by the job) */
	bool device_ours;              /* the job holds the port: answers may touch the device */
	int pending;                   /* a request that waits for the port (cups_sc_command_t), 0 none */
	bool drain_pending;            /* DRAIN_OUTPUT waits: the job answers it with bk_side_drained() */
	unsigned char buf[4 + 65535];  /* requests read, not yet answered: buf[0..len) */
	size_t len;
};

void bk_side_init(struct bk_side *s, int fd, const struct bk_side_ops *ops, void *job);
/* The fd to poll for requests; -1 when there is none or a request waits for the port. */
int bk_side_poll_fd(const struct bk_side *s);
/* The fd polled readable: take requests and answer them (or drop a broken channel).
 * From the job's thread, or from the watcher's while the job waits for the port. */
void bk_side_service(struct bk_side *s);
/* The port is the job's now (@ours), or not: a request that waited for it is answered. Job's thread. */
void bk_side_port(struct bk_side *s, bool ours);
/* Answer a DRAIN_OUTPUT that waited for the data and the printer. Job's thread. */
void bk_side_drained(struct bk_side *s, bool ok);

/* ---- job.c: printing ---------------------------------------------------- */

extern volatile sig_atomic_t bk_cancel_signal;  /* the signal that cancelled the job, 0 if none */
extern parclass_device *volatile bk_cancel_device;  /* what the signal handler cancels */

/* The back channel (fd 3) and side channel (fd 4) cupsd gave, -1 when none. */
struct bk_channels {
	int back_fd, side_fd;
};

/* Look at fds 3 and 4 before anything else opens a file. */
void bk_channels_probe(struct bk_channels *ch);

/*
 * Print @copies copies of @file (or stdin once when @file is NULL) to the
 * device the options name. Messages for cupsd go to stderr.
 * @return a CUPS_BACKEND_* exit code
 */
int bk_print(parclass_context *ctx, const struct bk_options *opt, const struct bk_channels *ch, const char *file,
	     int copies);
