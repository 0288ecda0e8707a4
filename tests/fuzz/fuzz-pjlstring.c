/*
 * fuzz-pjlstring.c - libFuzzer harness for the PJL string sanitiser
 *
 * Job titles and user names come from whoever submitted the job, and go
 * into PJL strings (@PJL JOB NAME="...", SET USERNAME="..."). Input layout:
 *
 *   byte 0     max for pjl_string()
 *   byte 1     size for pjl_job_name() (at least 1)
 *   the rest   the text up to its first NUL; after that NUL, a title for
 *              pjl_job_name() (the text is its job ID)
 *
 * Asserted: the output is NUL-terminated within max bytes (the buffer is
 * exactly max + 1 bytes, so ASan sees a write past it), has no double quote
 * (it would end the string), no control character and no byte above 0x7E
 * (so no ESC and no UEL, no line end that would start a PJL command); and
 * ASCII input comes out byte for byte as documented.
 */
#include "config.h"

#define FUZZ_NAME "fuzz-pjlstring"
#include "fuzz.h"

#include "common/pjl.h"
#include "filter.h"

static void check_safe(const char *out, size_t max, const char *what)
{
	size_t len = strnlen(out, max + 1);

	fuzz_assert(len <= max, "%s: %zu bytes, max %zu", what, len, max);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		fuzz_assert(c >= 0x20 && c <= 0x7e && c != '"', "%s: byte 0x%02x at %zu", what, c, i);
	}
	fuzz_assert(!strstr(out, PJL_UEL), "%s: a UEL", what);
}

/* ASCII input: each byte maps to one output byte, as filter.h says. */
static void check_ascii(const char *out, size_t max, const char *in)
{
	size_t n = strlen(in);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)in[i] > 0x7f)
			return;
	fuzz_assert(strlen(out) == (n < max ? n : max), "%zu bytes from %zu, max %zu", strlen(out), n, max);
	for (size_t i = 0; out[i]; i++) {
		unsigned char c = (unsigned char)in[i];
		char want = c == '"' ? '\'' : c < 0x20 || c == 0x7f ? ' ' : (char)c;

		fuzz_assert(out[i] == want, "byte %zu: 0x%02x became 0x%02x", i, c, (unsigned char)out[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct filter_args a = { .program = FUZZ_NAME };
	size_t max, name_size;
	char *text, *out, *name;
	const char *title;

	if (size < 2)
		return 0;
	max = data[0];
	name_size = data[1] ? data[1] : 1;
	text = fuzz_string(data + 2, size - 2);
	/* The title: what follows the first NUL, if any. */
	title = memchr(data + 2, 0, size - 2) ? text + strlen(text) + 1 : "";

	out = malloc(max + 1);
	if (!out)
		abort();
	memset(out, 'X', max + 1);
	pjl_string(out, max, text);
	check_safe(out, max, "pjl_string");
	check_ascii(out, max, text);
	free(out);

	name = malloc(name_size);
	if (!name)
		abort();
	a.job_id = text;
	a.title = title;
	pjl_job_name(name, name_size, &a);
	check_safe(name, name_size - 1 < PJL_NAME_MAX ? name_size - 1 : PJL_NAME_MAX, "pjl_job_name");
	free(name);

	out = malloc(1);
	if (!out)
		abort();
	pjl_string(out, 0, text);
	fuzz_assert(!*out, "max 0 is not empty");
	pjl_string(out, 0, NULL);
	fuzz_assert(!*out, "NULL is not empty");
	free(out);
	free(text);
	return 0;
}
