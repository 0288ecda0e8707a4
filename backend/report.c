/*
 * report.c - what the job tells cupsd and the person watching: message
 * lines, the state of the status lines as printer-state-reasons and
 * words, the progress line on a terminal, and the failure that ends the job
 *
 * It reads the status lines (bk_job_check_status) and touches nothing else
 * of the device; what it tells cupsd it also publishes for everyone
 * (parclass_device_publish(): a device service shows a held port so).
 */
#include "config.h"

#include <cups/backend.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "job.h"

#define CONDITIONS (PARCLASS_STATUS_PAPER_EMPTY | PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_POWER_OFF | \
		    PARCLASS_STATUS_NOT_CONNECTED | PARCLASS_STATUS_ERROR)
/* Not a status bit: which of Windows's POWER_OFF it is, from the lines. */
#define NO_CABLE 0x10000

/* ---- messages ---- */

static void progress_clear(struct bk_job *job)
{
	if (job->progress_shown) {
		fputs("\r\033[K", stderr);
		job->progress_shown = false;
	}
}

void bk_say(struct bk_job *job, const char *fmt, ...)
{
	va_list ap;

	progress_clear(job);
	va_start(ap, fmt);
	bk_vline(stderr, fmt, ap);   /* whole, as cupsd reads it */
	va_end(ap);
}

void bk_job_flush_reasons(struct bk_job *job)
{
	/* Published before cupsd hears it: whoever sees the message finds the report. */
	bk_job_publish(job);
	progress_clear(job);
	reasons_flush(&job->reasons);
}

/* ---- the published report ---- */

static bool same_report(const parclass_report *a, const parclass_report *b)
{
	return a->status == b->status && a->lines == b->lines && a->pages == b->pages &&
	       !strcmp(a->reasons, b->reasons) && !strcmp(a->display, b->display);
}

void bk_job_publish(struct bk_job *job)
{
	parclass_report now = { .status = job->status, .lines = job->lines, .pages = -1 };
	unsigned reasons = reasons_now(&job->reasons);
	int r;

	/* Only what we saw while we had the port, and only while we have it. */
	if (!job->status_seen || !parclass_port_is_held(parclass_device_get_port(job->dev)))
		return;
	if (job->pages_known)
		now.pages = job->pages_done + job->page_now;
	reasons_text(reasons, now.reasons, sizeof now.reasons);
	snprintf(now.display, sizeof now.display, "%s", job->display);
	if (job->published_once && !job->publish_again && same_report(&now, &job->published))
		return;
	r = parclass_device_publish(job->dev, &now);
	if (r < 0) {
		bk_say(job, "DEBUG: Cannot publish the state of %s: %s\n", job->location, parclass_strerror(r));
		return;
	}
	job->published = now;
	job->published_once = true;
	job->publish_again = false;
}

/* The job cannot go on: say why, once. */
void bk_job_fail(struct bk_job *job, int code, const char *fmt, ...)
{
	va_list ap;

	if (job->fatal)
		return;
	progress_clear(job);
	/* Once every byte went, nothing can fail the job any more. */
	fputs(job->all_sent ? "WARNING: " : "ERROR: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!job->all_sent)
		job->fatal = code;
}

/* Words for bits: the first entry with a bit in common wins. */
struct bits_text {
	unsigned bits;
	const char *text;
};

static const char *text_of(const struct bits_text *table, size_t n, unsigned bits, const char *otherwise)
{
	for (size_t i = 0; i < n; i++)
		if (bits & table[i].bits)
			return table[i].text;
	return otherwise;
}

/* The fastest first: a mask of modes reads as the best of them. */
static const struct bits_text mode_texts[] = {
	{ PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ, "ECP" },
	{ PARCLASS_MODE_ECP_SW, "software ECP" },
	{ PARCLASS_MODE_EPP_HW | PARCLASS_MODE_EPP_SW, "EPP" },
	{ PARCLASS_MODE_BYTE_BIDIR, "byte" },
	{ PARCLASS_MODE_NIBBLE, "nibble" },
};

const char *bk_mode_text(unsigned mode)
{
	return text_of(mode_texts, sizeof mode_texts / sizeof mode_texts[0], mode, "compatibility");
}

/* The lines of a port with no cable: nothing drives them but the host's pull-ups. */
static bool no_cable(unsigned lines)
{
	return (lines & PARCLASS_LINES_STATUS) == PARCLASS_LINES_STATUS;
}

/* What a person must see to first: no printer before a printer that is off, and so on. */
static const struct bits_text condition_texts[] = {
	{ PARCLASS_STATUS_NOT_CONNECTED | NO_CABLE, "No printer is connected" },
	{ PARCLASS_STATUS_POWER_OFF, "The printer is off" },
	{ PARCLASS_STATUS_PAPER_EMPTY, "The printer is out of paper" },
	{ PARCLASS_STATUS_OFF_LINE, "The printer is offline" },
	{ PARCLASS_STATUS_ERROR, "The printer reports an error" },
};

static const char *condition_text(unsigned status)
{
	return text_of(condition_texts, sizeof condition_texts / sizeof condition_texts[0], status,
		       "The printer is ready");
}

static void human_bytes(char *buf, size_t len, double n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB" };
	int u = 0;

	while (n >= 1024 && u < 3) {
		n /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", n, unit[u]);
}

/* One line, redrawn in place, when a person watches on a terminal. */
void bk_job_progress(struct bk_job *job, const char *state)
{
	char sent[32], total[32] = "", rate[32];
	double secs = (double)(bk_now_ms() - job->started) / 1000.0;

	if (!job->tty)
		return;
	human_bytes(sent, sizeof sent, (double)job->sent);
	if (job->total) {
		strcpy(total, " of ");
		human_bytes(total + 4, sizeof total - 4, (double)job->total);
	}
	human_bytes(rate, sizeof rate, secs > 0 ? (double)job->sent / secs : 0);
	fprintf(stderr, "\r\033[K%s: %s%s sent, %s/s, %s mode, %s", job->location, sent, total, rate,
		bk_mode_text(job->write_mode), state);
	job->progress_shown = true;
}

const char *bk_job_state_text(struct bk_job *job)
{
	if (job->condition)
		return condition_text(job->condition);
	if (job->stalled_since)
		return "printer busy";
	return "printing";
}

/* ---- status ---- */

int bk_job_check_status(struct bk_job *job)
{
	unsigned lines, st, cond;
	int r = parclass_device_get_lines(job->dev, &lines);

	if (r == -ENODEV)
		bk_job_fail(job, CUPS_BACKEND_FAILED, "%s is gone: the port disappeared", job->location);
	if (r < 0)
		return r;
	st = parclass_status_from_lines(lines);
	cond = st & CONDITIONS;
	if ((st & PARCLASS_STATUS_POWER_OFF) && no_cable(lines))
		cond |= NO_CABLE;
	if (st != job->status) {
		char names[128] = "";

		for (unsigned bit = 1; bit <= PARCLASS_STATUS_ERROR; bit <<= 1)
			if (st & bit)
				snprintf(names + strlen(names), sizeof names - strlen(names), " %s",
					 parclass_status_name(bit));
		bk_say(job, "DEBUG: Status of %s:%s\n", job->location, *names ? names : " none");
	}
	if (cond != job->condition)
		bk_say(job, "INFO: %s\n", cond ? condition_text(cond) : job->off < job->len || !job->in_eof
			      ? "Printing" : "The printer is ready");
	job->status = st;
	job->lines = lines;
	job->status_seen = true;
	job->condition = cond;
	reasons_set(&job->reasons, REASON_FROM_LINES, reasons_from_status(st));
	bk_job_flush_reasons(job);
	/* A printer switched off loses what it had: going on would print a torso.
	 * (A pulled cable loses nothing: the printer keeps what it has.) */
	if ((cond & PARCLASS_STATUS_POWER_OFF) && !(cond & NO_CABLE) && job->sent && !job->all_sent)
		bk_job_fail(job, CUPS_BACKEND_FAILED, "The printer on %s was switched off during the job and lost what "
		     "it had received: print the job again", job->location);
	return 0;
}
