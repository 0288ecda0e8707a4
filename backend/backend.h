/*
 * backend.h - the modules of the CUPS backend "parclass"
 *
 * The backend is CUPS protocol around libparclass: the device URI and its
 * options (options.c), whole lines for CUPS (lines.c), discovery
 * (discover.c), the print loop with its back and side channels (job.c,
 * side.c) and main() (parclass.c). Everything about ports lives in the
 * library; printer-state-reasons and PJL, which the filters and the
 * service share, live in common/.
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

enum bk_waitjob {
	BK_WAITJOB_AUTO,  /* when the job asked for PJL job status and ends its PJL jobs */
	BK_WAITJOB_YES,
	BK_WAITJOB_NO,
};

struct bk_options {
	char location[64];      /* "parclass:/dev/parportN[?daisy=A]": what the library opens */
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

/* The URI discovery reports for a device of port @port at @address. */
void bk_device_uri(char *buf, size_t len, int port, int address, bool behind_chain);

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

/* ---- job.c, side.c: printing ------------------------------------------- */

extern volatile sig_atomic_t bk_cancel_signal;  /* the signal that cancelled the job, 0 if none */
extern parclass_device *volatile bk_cancel_device;  /* what the signal handler cancels */

#define BK_BUFFER (64 * 1024)

struct bk_job {
	parclass_context *ctx;
	parclass_device *dev;
	const struct bk_options *opt;
	const char *location;          /* "LPT1" */
	char *id;                      /* the device ID text, NULL when none */
	struct reasons reasons;
	struct pjl_reader reader;
	struct pjl_scan scan;

	int in_fd;                     /* print data */
	bool in_eof;
	unsigned char buf[BK_BUFFER];  /* read, not yet taken by the printer: buf[off..len) */
	size_t off, len;
	uint64_t sent;                 /* bytes the printer took, all copies */
	uint64_t total;                /* bytes to send, 0 when unknown (stdin) */

	unsigned write_mode, read_mode; /* read_mode 0: no back channel */
	size_t chunk;                  /* bytes per write call */
	unsigned status;               /* the Windows status bits of the lines last read */
	unsigned lines;                /* those lines (PARCLASS_LINE_*) */
	unsigned condition;            /* the part of it that needs a person */
	int64_t stalled_since;         /* the printer took nothing since (0: flowing) */
	bool stall_reported;
	int write_failures;            /* in a row, without a condition to explain them */
	int fatal;                     /* a CUPS_BACKEND_* exit code once the job cannot go on */
	bool all_sent;                 /* every byte of every copy went */
	bool ready;                    /* port locked, modes negotiated: the device may be used */
	bool status_seen;              /* status holds lines read while we had the port */

	int back_fd;                   /* fd 3, or -1 */
	uint64_t back_dropped;         /* bytes the filters did not take in time */
	int side_fd;                   /* fd 4, or -1 (none, or dropped when broken) */
	int side_pending;              /* a request that waits for the port (cups_sc_command_t), 0 none */
	unsigned char side_buf[4 + 65535]; /* requests read, not yet answered: side_buf[0..side_len) */
	size_t side_len;
	bool drain_pending;

	int64_t next_status, next_read, next_peek, next_share, next_progress;
	int64_t held_since, started;

	int64_t last_reverse;          /* when the printer last sent something */
	int pjl_code;                  /* last device status code */
	unsigned ends_seen;            /* PJL job END messages since printing began */
	int pages_done, page_now, pages_reported;

	bool tty;                      /* stderr is a terminal: progress line */
	bool progress_shown;
};

/* job.c */
int64_t bk_now_ms(void);
/* A message line for cupsd (clears the progress line first on a terminal). */
void bk_say(struct bk_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read the status lines and update the reasons. @return 0 or negative errno */
int bk_job_check_status(struct bk_job *job);
/* Everything the printer has for us, to the back channel and the PJL reader. */
int bk_job_read_back(struct bk_job *job);

/* side.c */
/* fd 4 polled readable: take one request and answer it (or drop a broken channel). */
void bk_side_service(struct bk_job *job);
/* Answer a DRAIN_OUTPUT that waited for the data and the printer. */
void bk_side_drained(struct bk_job *job, bool ok);

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
