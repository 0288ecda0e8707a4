/*
 * reasons.h - printer-state-reasons bookkeeping, shared by the backend,
 * the filters and the device service
 *
 * Internal (common/ is not installed). A reason is a bit; several sources
 * may hold it at once, and what cupsd is told is only what changed. The
 * status lines' reasons come from the library's Windows status bits
 * (reasons_from_status), PJL's from its status codes (pjl_code_reasons in
 * pjl.h). Nothing here touches a port.
 */
#pragma once

#include <stdio.h>

enum reason {
	REASON_MEDIA_EMPTY = 1u << 0,   /* media-empty-error */
	REASON_MEDIA_JAM = 1u << 1,     /* media-jam-error */
	REASON_DOOR_OPEN = 1u << 2,     /* door-open-error */
	REASON_OFFLINE = 1u << 3,       /* offline-report */
	REASON_TONER_LOW = 1u << 4,     /* toner-low-warning */
	REASON_TONER_EMPTY = 1u << 5,   /* toner-empty-error */
	REASON_OTHER_ERROR = 1u << 6,   /* other-error */
	REASON_OTHER_WARNING = 1u << 7, /* other-warning */
	REASON_CONNECTING = 1u << 8,    /* connecting-to-device */
	REASON_WAITING_JOB = 1u << 9,   /* cups-waiting-for-job-completed */
	REASON_ALL = (1u << 10) - 1,
};

/* Who says so: the status lines, the printer's PJL status, the program
 * itself (the backend's connecting and waiting). */
enum reason_source { REASON_FROM_LINES, REASON_FROM_PJL, REASON_FROM_PROGRAM, REASON_SOURCES };

struct reasons {
	unsigned from[REASON_SOURCES];
	unsigned shown;          /* what cupsd has from us */
	FILE *out;
};

/* Start from what cupsd shows now (PRINTER_STATE_REASONS), so that stale
 * reasons of ours are cleared by the first reasons_flush(). */
void reasons_init(struct reasons *r, const char *printer_state_reasons, FILE *out);
void reasons_set(struct reasons *r, enum reason_source source, unsigned mask);
/* Tell cupsd what changed: "STATE: -a,b" and "STATE: +c". */
void reasons_flush(struct reasons *r);
unsigned reasons_now(const struct reasons *r);
/* The keyword of one reason bit; NULL for anything else. */
const char *reason_keyword(unsigned bit);
/* The bit of the keyword @s of @n bytes; 0 for a keyword that is not ours. */
unsigned reason_from_keyword(const char *s, size_t n);
/* Room for the keywords of every reason at once, NUL included. */
#define REASONS_TEXT_MAX 256
/* The keywords of @mask as "a,b" in bit order ("" for none), in @buf of
 * @size bytes (at least 1), whole keywords only; @return its length. */
size_t reasons_text(unsigned mask, char *buf, size_t size);
/* Reasons the status lines give: @status holds the library's Windows
 * status bits (PARCLASS_STATUS_*). */
unsigned reasons_from_status(unsigned status);
