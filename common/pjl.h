/*
 * pjl.h - PJL as the host speaks it, shared by the backend, the filters
 * and the device service
 *
 * Internal (common/ is not installed): the UEL; the reader of the status
 * the printer sends back, HP's status code tables and the scanner of what
 * a job asks of the printer (pjlstatus.c); the sanitiser for text that
 * goes into a PJL string (pjlstring.c). The simulator has a PJL responder
 * and a UEL of its own (sim/pjl.c) and never uses this: the simulated
 * printer must not share the host's parser.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Universal Exit Language: ends whatever language the printer is in. Its
 * text is written once, here, for the string and the printf format alike. */
#define PJL_UEL_TAIL "-12345X"
#define PJL_UEL "\033%" PJL_UEL_TAIL
#define PJL_UEL_FMT "\033%%" PJL_UEL_TAIL   /* the same in a printf format */

/* ---- pjlstatus.c: PJL status messages from the printer ---------------- */

#define PJL_MESSAGE_MAX 4096
#define PJL_TEXT_MAX 80

enum pjl_kind {
	PJL_DEVICE,     /* USTATUS DEVICE, USTATUS TIMED or INFO STATUS: code, display, online */
	PJL_JOB_START,  /* USTATUS JOB START: name */
	PJL_JOB_END,    /* USTATUS JOB END: name, pages */
	PJL_PAGE,       /* USTATUS PAGE: page */
	PJL_ECHO,       /* ECHO: text */
	PJL_OTHER,      /* any other PJL answer (INFO ID ...) */
};

struct pjl_message {
	enum pjl_kind kind;
	int code;                     /* 10000..69999, 0 when missing */
	int online;                   /* 1, 0, -1 unknown */
	int pages;                    /* JOB END PAGES=, PAGE number; -1 unknown */
	char text[PJL_TEXT_MAX + 1];  /* DISPLAY=, NAME=, ECHO text (printable ASCII) */
};

typedef void (*pjl_message_fn)(const struct pjl_message *m, void *userdata);

struct pjl_reader {
	char buf[PJL_MESSAGE_MAX];
	size_t len;
	bool skipping;           /* an overlong message: drop until its form feed */
	unsigned garbled;        /* messages that made no sense */
};

void pjl_reader_init(struct pjl_reader *r);
/* Feed what the printer sent; @fn gets every complete message. */
void pjl_reader_feed(struct pjl_reader *r, const void *data, size_t len, pjl_message_fn fn, void *userdata);

/* printer-state-reasons for a PJL status code (HP's code table): a mask of
 * enum reason (reasons.h). */
unsigned pjl_code_reasons(int code);
/* A short English description of a status code, for printer-state-message. */
const char *pjl_code_text(int code);
/* The printer-alert value for a status code ("code=doorOpen;severity=critical"). */
const char *pjl_code_alert(int code);

/*
 * Watches forward data for what the job asks of the printer: whether it
 * turns PJL job status on, and how many PJL jobs it ends (@PJL EOJ), so
 * that the backend knows how many job END messages to wait for.
 */
struct pjl_scan {
	char line[96];           /* the "@PJL ..." line being read (truncated) */
	size_t line_len;
	bool in_line;
	size_t partial;          /* a piece of "@PJL" ended the last data */
	bool job_status_on;      /* USTATUS JOB=ON is in force */
	unsigned ends_expected;  /* EOJs sent while it was: job END messages to come */
};

void pjl_scan_init(struct pjl_scan *s);
void pjl_scan_feed(struct pjl_scan *s, const void *data, size_t len);

/* ---- pjlstring.c: text that goes to the printer ------------------------ */

/*
 * @in as the contents of a PJL string ("..."): printable ASCII only, at
 * most @max bytes. A double quote becomes an apostrophe (it would end the
 * string), control characters become spaces (a line end would start a new
 * PJL command, an ESC a UEL), and each UTF-8 sequence or other byte above
 * 0x7E becomes one '?'. @out must hold @max + 1 bytes.
 */
void pjl_string(char *out, size_t max, const char *in);
