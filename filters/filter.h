/*
 * filter.h - what the parclass CUPS filters share
 *
 * The filters speak PJL to the printer through the parclass backend: the
 * job wrapper (pjlwrap.c, "parclass-pjl") and the maintenance-command
 * filter (command.c, "parclass-command"). This module holds what both need:
 * the command line CUPS gives a filter, the queue's PPD, the job's name on
 * the printer, writing to the backend, and (jcl.c) the lines of a PPD's
 * JCL code that may reach the printer. The PJL itself (the UEL, the string
 * sanitiser, the status reader) is common/pjl.h's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cups/cups.h>
#include <cups/ppd.h>

/* HP's printers keep 80 characters of a job name; longer is cut. */
#define PJL_NAME_MAX 80

/* What CUPS passes to every filter: argv[1..6] and the environment. */
struct filter_args {
	const char *program;       /* for messages: "parclass-pjl" */
	const char *job_id;
	const char *user;
	const char *title;
	int copies;
	int num_options;
	cups_option_t *options;
	const char *file;          /* NULL: standard input */
	ppd_file_t *ppd;           /* the queue's PPD with the job's options marked; NULL without one */
};

/*
 * Check and parse the command line; open and mark the PPD that $PPD names.
 * Prints an ERROR: line and returns false when the arguments are wrong or
 * the PPD cannot be read.
 */
bool filter_args_parse(struct filter_args *a, const char *program, int argc, char *argv[]);
void filter_args_free(struct filter_args *a);

/* The job's name on the printer: "JOBID TITLE", made safe with pjl_string() (common/pjl.h). */
void pjl_job_name(char *out, size_t size, const struct filter_args *a);

/*
 * Decode a PPD string value: "<1B>" hex escapes become their bytes.
 * @return the decoded length, or -1 when an escape is malformed or the
 *         result does not fit in @size
 */
long ppd_decode(const char *in, char *out, size_t size);

/* Gets each line of JCL code that may go to the printer (no line end). */
typedef void (*jcl_line_fn)(const char *line, void *userdata);

/*
 * Split @code, the code of a PPD's JCLSetup choice (its hex escapes already
 * decoded), at line ends, take trailing CRs and spaces off each line, and
 * give @accept each line that starts with "@PJL" and is printable ASCII
 * throughout (0x20 to 0x7E), in order. Empty lines are skipped silently.
 * @return the number of other lines, which are left out; -1 when out of memory
 */
int jcl_code_lines(const char *code, jcl_line_fn accept, void *userdata);

/* Write all of @data to standard output; false (and an ERROR: line) when that fails. */
bool out_write(const struct filter_args *a, const void *data, size_t len);
bool out_printf(const struct filter_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand what is buffered to the backend now; false (and an ERROR: line) when that fails. */
bool out_flush(const struct filter_args *a);
