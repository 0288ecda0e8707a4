/*
 * record.c - events.log and the per-session job files of --record DIR
 *
 * Files are written as events happen and flushed at each event and at the end
 * of each session, so that a client that has released the port can read
 * complete files at once.
 */
#include "config.h"

#include "record.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>

static char *record_dir;
static FILE *events;
static bool verbose;

struct sim_job {
	FILE *f;
	char *name;
	char *location;
	guint64 bytes;
};

bool sim_record_open(const char *dir, GError **error)
{
	g_autofree char *path = NULL;

	if (g_mkdir_with_parents(dir, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", dir,
			    g_strerror(errno));
		return false;
	}
	path = g_build_filename(dir, "events.log", NULL);
	events = fopen(path, "w");
	if (!events) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", path,
			    g_strerror(errno));
		return false;
	}
	record_dir = g_strdup(dir);
	return true;
}

void sim_record_close(void)
{
	if (events)
		fclose(events);
	events = NULL;
	g_clear_pointer(&record_dir, g_free);
}

void sim_record_set_verbose(bool v)
{
	verbose = v;
}

void sim_event(const char *location, const char *fmt, ...)
{
	g_autofree char *msg = NULL;
	va_list ap;

	if (!events && !verbose)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (events) {
		fprintf(events, "%s %s\n", location, msg);
		fflush(events);
	}
	if (verbose)
		fprintf(stderr, "parclass-sim: %s %s\n", location, msg);
}

struct sim_job *sim_job_begin(const char *location, unsigned seq)
{
	struct sim_job *job;
	g_autofree char *path = NULL;

	if (!record_dir)
		return NULL;
	job = g_new0(struct sim_job, 1);
	job->name = g_strdup_printf("%s-%04u.prn", location, seq);
	job->location = g_strdup(location);
	path = g_build_filename(record_dir, job->name, NULL);
	job->f = fopen(path, "wb");
	if (!job->f)
		g_printerr("parclass-sim: cannot create %s: %s\n", path, g_strerror(errno));
	return job;
}

void sim_job_write(struct sim_job *job, const guint8 *data, size_t n)
{
	if (!job)
		return;
	job->bytes += n;
	if (job->f && fwrite(data, 1, n, job->f) != n)
		g_printerr("parclass-sim: writing %s: %s\n", job->name, g_strerror(errno));
}

void sim_job_end(struct sim_job *job)
{
	if (!job)
		return;
	if (job->f && fclose(job->f) != 0)
		g_printerr("parclass-sim: writing %s: %s\n", job->name, g_strerror(errno));
	sim_event(job->location, "job %s %" G_GUINT64_FORMAT " bytes", job->name, job->bytes);
	g_free(job->name);
	g_free(job->location);
	g_free(job);
}
