/*
 * backchannel.c - what the printer sends back: reverse reads passed on to
 * the filters (fd 3) and read as PJL status (pages, device status, job
 * ends), and the wait for the printer to end the job
 *
 * Runs on the job's thread only, while the job holds the port.
 */
#include "config.h"

#include <cups/backend.h>
#include <cups/sidechannel.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "job.h"

#define READ_SIZE 4096         /* bytes per reverse read */
#define READS_MAX 16           /* reverse reads in a row: 64 KiB, so that a chatty printer cannot stop the job */
#define JOB_END_POLL_MS 100    /* between reads while waiting for the printer to end the job */

/* ---- the back channel ---- */

static void report_pages(struct bk_job *job)
{
	int total = job->pages_done + job->page_now;

	job->pages_known = true;
	bk_job_publish(job);
	if (total > job->pages_reported) {
		bk_say(job, "PAGE: total %d\n", total);
		job->pages_reported = total;
	}
}

static void on_pjl(const struct pjl_message *m, void *userdata)
{
	struct bk_job *job = userdata;

	switch (m->kind) {
	case PJL_DEVICE:
		if (strcmp(m->text, job->display)) {
			snprintf(job->display, sizeof job->display, "%s", m->text);
			bk_job_publish(job);
		}
		if (m->code == job->pjl_code)
			break;
		job->pjl_code = m->code;
		bk_say(job, "DEBUG: PJL status %d (%s)\n", m->code, pjl_code_text(m->code));
		reasons_set(&job->reasons, REASON_FROM_PJL, pjl_code_reasons(m->code));
		bk_job_flush_reasons(job);
		bk_say(job, "ATTR: printer-alert=\"%s\" printer-alert-description=\"%s\"\n", pjl_code_alert(m->code),
		       *m->text ? m->text : pjl_code_text(m->code));
		bk_say(job, "INFO: %s\n", *m->text ? m->text : pjl_code_text(m->code));
		break;
	case PJL_JOB_START:
		bk_say(job, "DEBUG: The printer started PJL job \"%s\"\n", m->text);
		job->page_now = 0;
		break;
	case PJL_JOB_END:
		bk_say(job, "DEBUG: The printer ended PJL job \"%s\" (%d pages)\n", m->text, m->pages);
		if (!job->sent)
			break;   /* an earlier job's */
		job->ends_seen++;
		job->pages_done += m->pages >= 0 ? m->pages : job->page_now;
		job->page_now = 0;
		report_pages(job);
		break;
	case PJL_PAGE:
		if (!job->sent)
			break;
		job->page_now = m->pages;
		report_pages(job);
		break;
	case PJL_ECHO:
	case PJL_OTHER:
		bk_say(job, "DEBUG: PJL: %s\n", m->text);
		break;
	}
}

static void to_back_channel(struct bk_job *job, const char *data, size_t n)
{
	if (job->back_fd < 0)
		return;
	/* Never wait for filters that do not read: the forward stream comes first. */
	if (cupsBackChannelWrite(data, n, 0.0) < 0) {
		if (errno == EPIPE || errno == EBADF) {
			bk_say(job, "DEBUG: The back channel is closed\n");
			job->back_fd = -1;
		} else {
			job->back_dropped += n;
		}
	}
}

int bk_job_read_back(struct bk_job *job)
{
	char data[READ_SIZE];
	int r = 0;

	if (!job->read_mode)
		return 0;
	for (int i = 0; i < READS_MAX; i++) {
		size_t got = 0;

		r = parclass_device_read(job->dev, data, sizeof data, 0, &got);
		if (r == -ENODEV)
			bk_job_fail(job, CUPS_BACKEND_FAILED, "%s is gone: the port disappeared", job->location);
		if (r < 0 || !got)
			break;
		job->last_reverse = bk_now_ms();
		to_back_channel(job, data, got);
		pjl_reader_feed(&job->reader, data, got, on_pjl, job);
	}
	return r;
}

/* After the data: wait for the printer to say the job is done, if asked. */
void bk_job_wait_for_end(struct bk_job *job)
{
	unsigned expect = job->scan.ends_expected;

	if (job->opt->waitjob == BK_WAITJOB_NO || (!expect && job->opt->waitjob == BK_WAITJOB_AUTO))
		return;
	if (!expect)
		expect = 1;
	if (!job->read_mode) {
		bk_say(job, "WARNING: Cannot wait for the printer to finish: %s has no back channel\n", job->location);
		return;
	}
	bk_job_read_back(job);
	if (job->ends_seen >= expect)
		return;
	reasons_set(&job->reasons, REASON_FROM_PROGRAM, REASON_WAITING_JOB);
	bk_job_flush_reasons(job);
	bk_say(job, "INFO: Waiting for the printer to finish the job\n");
	job->last_reverse = bk_now_ms();
	while (job->ends_seen < expect && !bk_cancel_signal) {
		int64_t now = bk_now_ms();

		/* The printer talks while it works: only its silence ends the wait. */
		if (now - job->last_reverse >= job->opt->waitjob_timeout_ms) {
			bk_say(job, "WARNING: The printer did not say that the job ended; stopped waiting after %d "
				    "seconds of silence\n", job->opt->waitjob_timeout_ms / BK_MS_PER_S);
			break;
		}
		bk_job_idle(job, JOB_END_POLL_MS, false);
		if (now >= job->next_status) {
			bk_job_check_status(job);
			job->next_status = now + job->opt->poll_ms;
		}
		if (bk_job_read_back(job) == -ENODEV)
			break;
	}
	reasons_set(&job->reasons, REASON_FROM_PROGRAM, 0);
	bk_job_flush_reasons(job);
}
