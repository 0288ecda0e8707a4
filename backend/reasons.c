/*
 * reasons.c - printer-state-reasons: what is true now, and telling cupsd
 * only what changed
 *
 * A reason is on while any source says so (the status lines, the
 * printer's PJL status, the backend's own state). cupsd keeps the reasons a
 * backend set after the backend exits; the next job starts from the list
 * cupsd passes in PRINTER_STATE_REASONS and clears what no longer holds.
 */
#include "config.h"

#include <string.h>

#include "backend.h"

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

const char *bk_reason_keyword(unsigned bit)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (bit == 1u << i)
			return keywords[i];
	return NULL;
}

void bk_reasons_init(struct bk_reasons *r, const char *current, FILE *out)
{
	memset(r, 0, sizeof *r);
	r->out = out;
	/* A comma-separated list; keywords may carry other severities' suffixes
	 * only when someone else set them, and those are not ours to clear. */
	while (current && *current) {
		const char *comma = strchr(current, ',');
		size_t n = comma ? (size_t)(comma - current) : strlen(current);

		for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
			if (strlen(keywords[i]) == n && !strncmp(current, keywords[i], n))
				r->shown |= 1u << i;
		current = comma ? comma + 1 : NULL;
	}
}

void bk_reasons_set(struct bk_reasons *r, enum bk_source source, unsigned mask)
{
	r->from[source] = mask & BK_REASON_ALL;
}

unsigned bk_reasons_now(const struct bk_reasons *r)
{
	unsigned all = 0;

	for (int s = 0; s < BK_SOURCES; s++)
		all |= r->from[s];
	return all;
}

static void emit(FILE *out, char sign, unsigned mask)
{
	const char *sep = "";

	if (!mask)
		return;
	fprintf(out, "STATE: %c", sign);
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
		if (mask & (1u << i)) {
			fprintf(out, "%s%s", sep, keywords[i]);
			sep = ",";
		}
	}
	fputc('\n', out);
	fflush(out);
}

void bk_reasons_flush(struct bk_reasons *r)
{
	unsigned want = bk_reasons_now(r);

	emit(r->out, '-', r->shown & ~want);
	emit(r->out, '+', want & ~r->shown);
	r->shown = want;
}

unsigned bk_reasons_from_status(unsigned status)
{
	unsigned m = 0;

	if (status & (PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED))
		m |= BK_OFFLINE;
	if (status & (PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED))
		return m;
	if (status & PARCLASS_STATUS_PAPER_EMPTY)
		m |= BK_MEDIA_EMPTY;
	else if (status & PARCLASS_STATUS_ERROR)
		m |= BK_OTHER_ERROR;   /* nFault: an error the lines cannot name */
	return m;
}
