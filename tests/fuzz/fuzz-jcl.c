/*
 * fuzz-jcl.c - libFuzzer harness for the PPD's JCL code filter and ppd_decode
 *
 * PPD string values carry "<1B>" hex escapes: ppd_decode() turns them into
 * bytes (parclass-command's *parclassCommand values), and the code of a
 * JCLSetup choice arrives so decoded from the PPD API, to be filtered by
 * jcl_code_lines() into the lines parclass-pjl puts in the job's PJL
 * header. Input layout:
 *
 *   bytes 0-1  the size of ppd_decode's output buffer (little-endian)
 *   the rest   a PPD string value (up to its first NUL)
 *
 * Asserted: ppd_decode stays within its buffer (exactly that size, so ASan
 * sees a write past it) and returns the decoded length or -1; every line
 * jcl_code_lines accepts, from the value as it is and as decoded, starts
 * with "@PJL", is printable ASCII (so holds no ESC and no UEL), ends in
 * neither CR nor space, and accepted plus left-out lines are no more than
 * the code's lines.
 */
#include "config.h"

#define FUZZ_NAME "fuzz-jcl"
#include "fuzz.h"

#include "common/pjl.h"
#include "filter.h"

struct accepted {
	size_t n;
};

static void accept_line(const char *line, void *userdata)
{
	struct accepted *acc = userdata;
	size_t len = strlen(line);

	fuzz_assert(!strncmp(line, "@PJL", 4), "accepted \"%s\"", line);
	fuzz_assert(fuzz_printable(line), "accepted a line with a control character or a byte above 0x7E");
	fuzz_assert(!strstr(line, PJL_UEL) && !strchr(line, '\033'), "accepted an ESC");
	fuzz_assert(line[len - 1] != ' ' && line[len - 1] != '\r', "accepted \"%s\" untrimmed", line);
	acc->n++;
}

static void check_lines(const char *code)
{
	struct accepted acc = { 0 };
	size_t lines = 0;
	int dropped;

	for (const char *p = code; *p; p++)
		if (*p != '\n' && (p[1] == '\n' || !p[1]))
			lines++;
	dropped = jcl_code_lines(code, accept_line, &acc);
	fuzz_assert(dropped >= 0, "jcl_code_lines returned %d", dropped);
	fuzz_assert(acc.n + (size_t)dropped <= lines, "%zu accepted and %d left out of %zu lines", acc.n, dropped,
		    lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t out_size;
	char *value, *out;
	long n;

	if (size < 2)
		return 0;
	out_size = (size_t)data[0] | (size_t)data[1] << 8;
	value = fuzz_string(data + 2, size - 2);
	check_lines(value);

	out = malloc(out_size ? out_size : 1);
	if (!out)
		abort();
	n = ppd_decode(value, out, out_size);
	fuzz_assert(n >= -1 && n <= (long)out_size, "ppd_decode returned %ld for a buffer of %zu", n, out_size);
	fuzz_assert(n <= (long)strlen(value), "ppd_decode made %ld bytes of %zu", n, strlen(value));
	if (!strchr(value, '<'))
		fuzz_assert(n == -1 ? strlen(value) > out_size : !memcmp(out, value, (size_t)n),
			    "a value without escapes changed");
	if (n >= 0) {
		char *decoded = malloc((size_t)n + 1);

		if (!decoded)
			abort();
		memcpy(decoded, out, (size_t)n);
		decoded[n] = '\0';
		check_lines(decoded);
		free(decoded);
	}
	free(out);
	free(value);
	return 0;
}
