/*
 * bench-job.h - backend jobs for the benchmark programs: a print file, one
 * run of the backend on it as cupsd would start it, and its time
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct bench_job {
	pid_t pid;
	int back;          /* our end of its back channel */
	double started;
};

/* A file @dir/@name of @size bytes; with @pages a PJL job that asks for
 * status and has a page every 64 KiB. @return its path (malloc'd). */
char *bench_file(const char *dir, const char *name, size_t size, bool pages);

/* Start @backend on @file for the device @uri. */
void bench_job_start(struct bench_job *j, const char *backend, const char *uri, const char *file);

/* The same with the backend's stderr on @err (-1: /dev/null). */
void bench_job_start_logged(struct bench_job *j, const char *backend, const char *uri, const char *file, int err);

/* Wait for the job; @return its time, with the back channel's bytes in
 * @back_bytes (unless NULL). Exits when the backend failed. */
double bench_job_finish(struct bench_job *j, size_t *back_bytes);

/* Both: @return the time of a whole job. */
double bench_job(const char *backend, const char *uri, const char *file, size_t *back_bytes);
