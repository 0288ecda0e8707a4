/*
 * job.c - running the CUPS backend "parclass" as cupsd runs it, for tests
 * (test-backend, test-faults)
 */
#include "config.h"

#include "job.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

const char *backend_path(void)
{
	static char path[4096];
	const char *b = getenv("PARCLASS_BUILDDIR");

	cr_assert(b, "PARCLASS_BUILDDIR is not set: run the tests through make check");
	snprintf(path, sizeof path, "%s/backend/parclass", b);
	return path;
}

void job_start(struct proc *j, const struct spec *s)
{
	const char *argv[] = { "parclass", "1", "tester", "test job", s->copies ? s->copies : "1", "", s->file, NULL };
	g_autofree char *uri = s->uri ? g_strconcat("DEVICE_URI=", s->uri, NULL) : g_strdup("DEVICE_URI");
	g_autofree char *reasons = s->reasons ? g_strconcat("PRINTER_STATE_REASONS=", s->reasons, NULL)
					      : g_strdup("PRINTER_STATE_REASONS");
	const char *env[] = { uri, reasons, NULL };
	struct proc_spec p = {
		.path = backend_path(),
		.argv = s->argv ? s->argv : argv,
		.env = env,
		.input = s->input,
		.input_len = s->input_len,
		.keep_stdin = s->keep_stdin,
		.back = s->channels ? PROC_BACK_FROM : PROC_BACK_NONE,
		.side = s->channels,
		.tty = s->tty,
	};

	proc_start(j, &p);
}

int run(const struct spec *s, char **err)
{
	struct proc j;
	int status;

	job_start(&j, s);
	status = proc_finish(&j, 2 * EVENTUALLY_MS);
	if (err)
		*err = g_strdup(j.errtext->str);
	proc_free(&j);
	return status;
}
