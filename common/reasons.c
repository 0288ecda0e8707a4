/*
 * reasons.c - printer-state-reasons: what is true now, and telling cupsd
 * only what changed (common/: the backend, the filters and the service)
 *
 * A reason is on while any source says so (the status lines, the
 * printer's PJL status, the program's own state). cupsd keeps the reasons a
 * backend set after the backend exits; the next job starts from the list
 * cupsd passes in PRINTER_STATE_REASONS and clears what no longer holds.
 */
#include "config.h"

#include <string.h>

#include "parclass.h"
#include "reasons.h"

static const char *const keywords[] = {
	"media-empty-error",
	"media-jam-error",
	"door-open-error",
	"offline-report",
	"toner-low-warning",
	"toner-empty-error",
	"other-error",
	"other-warning",
	"connecting-to-device",
	"cups-waiting-for-job-completed",
};

const char *reason_keyword(unsigned bit)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (bit == 1u << i)
			return keywords[i];
	return NULL;
}

size_t reasons_text(unsigned mask, char *buf, size_t size)
{
	size_t o = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned bit = 1; bit & REASON_ALL; bit <<= 1) {
		const char *k = (mask & bit) ? reason_keyword(bit) : NULL;
		int n;

		if (!k)
			continue;
		n = snprintf(buf + o, size - o, "%s%s", o ? "," : "", k);
		if (n < 0 || (size_t)n >= size - o) {
			buf[o] = '\0';   /* only whole keywords */
			break;
		}
		o += (size_t)n;
	}
	return o;
}

unsigned reason_from_keyword(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strlen(keywords[i]) == n && !strncmp(s, keywords[i], n))
			return 1u << i;
	return 0;
}

void reasons_init(struct reasons *r, const char *current, FILE *out)
{
	memset(r, 0, sizeof *r);
	r->out = out;
	/* A comma-separated list; keywords may carry other severities' suffixes
	 * only when someone else set them, and those are not ours to clear. */
	while (current && *current) {
		const char *comma = strchr(current, ',');
		size_t n = comma ? (size_t)(comma - current) : strlen(current);

		r->shown |= reason_from_keyword(current, n);
		current = comma ? comma + 1 : NULL;
	}
}

void reasons_set(struct reasons *r, enum reason_source source, unsigned mask)
{
	r->from[source] = mask & REASON_ALL;
}

unsigned reasons_now(const struct reasons *r)
{
	unsigned all = 0;

	for (int s = 0; s < REASON_SOURCES; s++)
		all |= r->from[s];
	return all;
}

static void emit(FILE *out, char sign, unsigned mask)
{
	char text[REASONS_TEXT_MAX];

	if (!mask)
		return;
	reasons_text(mask, text, sizeof text);
	fprintf(out, "STATE: %c%s\n", sign, text);
	fflush(out);
}

void reasons_flush(struct reasons *r)
{
	unsigned want = reasons_now(r);

	emit(r->out, '-', r->shown & ~want);
	emit(r->out, '+', want & ~r->shown);
	r->shown = want;
}

unsigned reasons_from_status(unsigned status)
{
	unsigned m = 0;

	if (status & (PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED))
		m |= REASON_OFFLINE;
	if (status & (PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED))
		return m;
	if (status & PARCLASS_STATUS_PAPER_EMPTY)
		m |= REASON_MEDIA_EMPTY;
	else if (status & PARCLASS_STATUS_ERROR)
		m |= REASON_OTHER_ERROR;   /* nFault: an error the lines cannot name */
	return m;
}
