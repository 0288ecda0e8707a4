/*
 * lines.c - what CUPS reads from the backend: one message per line, whole
 *
 * cupsd reads a backend's stderr, and cups-deviced its stdout, in lines of
 * at most BK_LINE_MAX bytes with the newline (CUPS 2.4 reads into 2048-byte
 * buffers). The rest of a longer line arrives as a line of its own and is
 * read as a message of its own: "ATTR: ..." in a device ID would set
 * attributes, a split discovery line loses the printer. So every line that
 * carries text from the printer is made to fit here, cut at a UTF-8
 * character, and a device ID at a pair.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

size_t bk_utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	/* s[max] is the first byte left out: never the middle of a character. */
	n = max;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

size_t bk_quoted_len(const char *s, size_t n)
{
	size_t q = n + 3;   /* space, two quotes */

	for (size_t i = 0; i < n; i++)
		q += s[i] == '"' || s[i] == '\\';
	return q;
}

/* Does the pair at @p (up to its ':') name what CUPS finds drivers by? */
static bool essential(const char *p, size_t n)
{
	static const char *const keys[] = { "MFG", "MANUFACTURER", "MDL", "MODEL", "CMD", "COMMAND SET", "CLS", "CLASS" };
	const char *colon = memchr(p, ':', n);
	size_t k = colon ? (size_t)(colon - p) : n;

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strlen(keys[i]) == k && !strncasecmp(p, keys[i], k))
			return true;
	return false;
}

void bk_id_fit(const char *id, size_t max, char *out, size_t size)
{
	size_t n = strlen(id), used = 3, o = 0;
	bool *keep;

	if (!size)
		return;
	out[0] = '\0';
	if (bk_quoted_len(id, n) <= max && n < size) {
		memcpy(out, id, n + 1);
		return;
	}
	keep = calloc(n + 1, sizeof *keep);
	if (!keep)
		return;
	/* Pairs end at ';' (the parser's text has no other). The ones CUPS
	 * matches drivers by first, then the rest, each while it fits. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t start = 0, end; start < n; start = end) {
			const char *semi = memchr(id + start, ';', n - start);
			size_t q;

			end = semi ? (size_t)(semi - id) + 1 : n;
			q = bk_quoted_len(id + start, end - start) - 3;
			if (essential(id + start, end - start) != (pass == 0) || used + q > max ||
			    o + (end - start) >= size)
				continue;
			keep[start] = true;
			used += q;
			o += end - start;
		}
	o = 0;
	for (size_t start = 0, end; start < n; start = end) {
		const char *semi = memchr(id + start, ';', n - start);

		end = semi ? (size_t)(semi - id) + 1 : n;
		if (keep[start]) {
			memcpy(out + o, id + start, end - start);
			o += end - start;
		}
	}
	out[o] = '\0';
	free(keep);
}

void bk_vline(FILE *f, const char *fmt, va_list ap)
{
	char buf[BK_LINE_MAX + 1];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n > BK_LINE_MAX || ((size_t)n == BK_LINE_MAX && buf[n - 1] != '\n')) {
		/* Cut, and end the line ourselves: the rest must not read as a message. */
		size_t cut = bk_utf8_cut(buf, BK_LINE_MAX - 1);

		buf[cut] = '\n';
		buf[cut + 1] = '\0';
	}
	fputs(buf, f);
	fflush(f);
}

void bk_line(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bk_vline(f, fmt, ap);
	va_end(ap);
}
