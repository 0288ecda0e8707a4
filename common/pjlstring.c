/*
 * pjlstring.c - text from outside made safe inside a PJL string
 * (common/: the filters and, later, the service)
 *
 * Job titles, user names and command names come from whoever submitted
 * the job; inside "..." a quote, a line end or an ESC would let them end
 * the string, start a PJL command or leave PJL (a UEL).
 */
#include "config.h"

#include "pjl.h"

void pjl_string(char *out, size_t max, const char *in)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = 0;

	while (*p && n < max) {
		unsigned char c = *p++;

		if (c == '"')
			out[n++] = '\'';
		else if (c < 0x20 || c == 0x7f)
			out[n++] = ' ';
		else if (c < 0x7f)
			out[n++] = (char)c;
		else {
			/* One '?' for a whole UTF-8 sequence: skip its continuation bytes. */
			out[n++] = '?';
			while ((*p & 0xc0) == 0x80)
				p++;
		}
	}
	out[n] = '\0';
}
