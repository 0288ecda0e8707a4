/*
 * filter.c - the command line, the PPD, the job's name and the output for the filters
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pjl.h"
#include "filter.h"

bool filter_args_parse(struct filter_args *a, const char *program, int argc, char *argv[])
{
	const char *ppd_path = getenv("PPD");
	char *end;
	long copies;

	memset(a, 0, sizeof *a);
	a->program = program;
	if (argc < 6 || argc > 7) {
		fprintf(stderr, "Usage: %s job-id user title copies options [file]\n", program);
		return false;
	}
	a->job_id = argv[1];
	a->user = argv[2];
	a->title = argv[3];
	errno = 0;
	copies = strtol(argv[4], &end, 10);
	if (errno || end == argv[4] || *end || copies < 1 || copies > 9999) {
		fprintf(stderr, "ERROR: %s: copies must be a number from 1 to 9999, not \"%s\"\n", program, argv[4]);
		return false;
	}
	a->copies = (int)copies;
	a->num_options = cupsParseOptions(argv[5], 0, &a->options);
	a->file = argc == 7 ? argv[6] : NULL;

	if (ppd_path && *ppd_path) {
		ppd_status_t status;
		int line;

		a->ppd = ppdOpenFile(ppd_path);
		if (!a->ppd) {
			status = ppdLastError(&line);
			fprintf(stderr, "ERROR: %s: cannot read the PPD file %s: %s on line %d\n", program, ppd_path,
				ppdErrorString(status), line);
			filter_args_free(a);
			return false;
		}
		ppdMarkDefaults(a->ppd);
		cupsMarkOptions(a->ppd, a->num_options, a->options);
	}
	return true;
}

void filter_args_free(struct filter_args *a)
{
	cupsFreeOptions(a->num_options, a->options);
	a->num_options = 0;
	a->options = NULL;
	if (a->ppd)
		ppdClose(a->ppd);
	a->ppd = NULL;
}

void pjl_job_name(char *out, size_t size, const struct filter_args *a)
{
	char raw[2 * PJL_NAME_MAX];
	size_t max = size - 1 < PJL_NAME_MAX ? size - 1 : PJL_NAME_MAX;

	snprintf(raw, sizeof raw, "%s %s", a->job_id, a->title);
	pjl_string(out, max, raw);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long ppd_decode(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in) {
		if (*in != '<') {
			if (n >= size)
				return -1;
			out[n++] = *in++;
			continue;
		}
		/* <hex digits, in pairs, whitespace allowed> */
		in++;
		while (*in && *in != '>') {
			int hi, lo;

			if (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n') {
				in++;
				continue;
			}
			hi = hex_digit(in[0]);
			lo = hi < 0 ? -1 : hex_digit(in[1]);
			if (lo < 0 || n >= size)
				return -1;
			out[n++] = (char)(hi << 4 | lo);
			in += 2;
		}
		if (*in != '>')
			return -1;
		in++;
	}
	return (long)n;
}

/* Said once: after the backend has gone, every later write fails the same way. */
static bool out_failed(const struct filter_args *a)
{
	static bool said;

	if (!said)
		fprintf(stderr, "ERROR: %s: cannot pass the job on to the backend: %s\n", a->program, strerror(errno));
	said = true;
	return false;
}

/*
 * A signal (cupsd's SIGTERM) that interrupts a write to a backend that takes
 * its time is no failure: stdio keeps what it has not written, so go on.
 */
bool out_write(const struct filter_args *a, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		size_t n = fwrite(p, 1, len, stdout);

		p += n;
		len -= n;
		if (len && errno != EINTR)
			return out_failed(a);
		clearerr(stdout);
	}
	return true;
}

bool out_flush(const struct filter_args *a)
{
	while (fflush(stdout) == EOF) {
		if (errno != EINTR)
			return out_failed(a);
		clearerr(stdout);
	}
	return true;
}

bool out_printf(const struct filter_args *a, const char *fmt, ...)
{
	char small[1024], *heap = NULL;
	const char *text = small;
	va_list ap;
	int n;
	bool ok;

	/* Formatted first, then written as out_write() writes. */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return out_failed(a);
	if ((size_t)n >= sizeof small) {
		heap = malloc((size_t)n + 1);
		if (!heap)
			return out_failed(a);
		va_start(ap, fmt);
		vsnprintf(heap, (size_t)n + 1, fmt, ap);
		va_end(ap);
		text = heap;
	}
	ok = out_write(a, text, (size_t)n);
	free(heap);
	return ok;
}
