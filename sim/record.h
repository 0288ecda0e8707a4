/*
 * record.h - what the virtual printers saw: --record DIR and the debug log
 *
 * DIR/events.log gets one line per event, "<location> <event>[ <details>]",
 * with no time stamps so that a test can compare it byte for byte.
 * DIR/<location>-<NNNN>.prn holds the data bytes one device received during
 * one claim-to-release session of a client.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Start recording into @dir (created if needed). */
bool sim_record_open(const char *dir, GError **error);
void sim_record_close(void);

/* Also print every event on stderr. */
void sim_record_set_verbose(bool verbose);

void sim_event(const char *location, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A device's job file for one session. */
struct sim_job;

/* Returns NULL when not recording. @seq counts from 1 per device. */
struct sim_job *sim_job_begin(const char *location, unsigned seq);
void sim_job_write(struct sim_job *job, const guint8 *data, size_t n);
void sim_job_end(struct sim_job *job);
