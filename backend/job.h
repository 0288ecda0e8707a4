/*
 * job.h - the state of one print job, shared by the files that print it
 *
 * Private to job.c; side.c sees none of it (it has struct bk_side).
 */
#pragma once

#include "backend.h"

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
	bool status_seen;              /* status holds lines read while we had the port */

	int back_fd;                   /* fd 3, or -1 */
	uint64_t back_dropped;         /* bytes the filters did not take in time */
	struct bk_side side;           /* fd 4 */

	int64_t next_status, next_read, next_peek, next_share, next_progress;
	int64_t held_since, started;

	int64_t last_reverse;          /* when the printer last sent something */
	int pjl_code;                  /* last device status code */
	unsigned ends_seen;            /* PJL job END messages since printing began */
	int pages_done, page_now, pages_reported;
	bool pages_known;              /* the printer counts pages (PJL) */
	char display[PJL_TEXT_MAX + 1]; /* what its display shows (PJL), "" unknown */

	parclass_report published;     /* what we last published for others to read */
	bool publish_again;            /* the port was someone else's meanwhile: publish even without a change */
	bool published_once;

	bool tty;                      /* stderr is a terminal: progress line */
	bool progress_shown;
};

/* The printer is off or not there: data sent now would be lost. */
#define BK_ABSENT (PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED)
#define BK_SLOW_POLL_MS 250    /* status and back channel while the printer does not take data */

/* job.c */
int64_t bk_now_ms(void);

/* report.c: messages, status, progress */
/* A message line for cupsd (clears the progress line first on a terminal). */
void bk_say(struct bk_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Tell cupsd what changed in the reasons (and publish the job's view first). */
void bk_job_flush_reasons(struct bk_job *job);
/* Publish the job's view of the printer (status, reasons, display, pages)
 * for a device service, when it changed and we hold the port. */
void bk_job_publish(struct bk_job *job);
/* The job cannot go on: say why (once), and end it with CUPS_BACKEND_* @code
 * unless every byte went already. */
void bk_job_fail(struct bk_job *job, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "ECP", "compatibility": a mode's name for people. */
const char *bk_mode_text(unsigned mode);
/* Read the status lines and update the reasons. @return 0 or negative errno */
int bk_job_check_status(struct bk_job *job);
/* The progress line on a terminal, with @state at its end. */
void bk_job_progress(struct bk_job *job, const char *state);
/* "printing", "printer busy", or the condition that stops it. */
const char *bk_job_state_text(struct bk_job *job);

/* backchannel.c: what the printer sends back */
/* Everything the printer has for us, to the back channel and the PJL reader. */
int bk_job_read_back(struct bk_job *job);
/* After the data: wait for the printer to say the job is done, if asked. */
void bk_job_wait_for_end(struct bk_job *job);

/* stream.c: the data to the printer */
/* Wait up to @ms for the side channel or (with @input, when the buffer is
 * empty) for print data, and serve what came. */
void bk_job_idle(struct bk_job *job, int ms, bool input);
/* Send the input to the printer, to its end. */
void bk_job_stream(struct bk_job *job);

/* wait.c: the device and the port */
/* Open the device, waiting while another program has it open. @return 0 or negative errno */
int bk_job_open_wait(struct bk_job *job);
/* Lock the port, waiting in its queue with a watcher thread. @return 0 or negative errno */
int bk_job_lock_wait(struct bk_job *job, bool first);
/* Let waiting neighbours go first when the job held the port long enough (or @between_copies). */
void bk_job_maybe_share(struct bk_job *job, int64_t now, bool between_copies);
