/*
 * jcl.c - which lines of a PPD's JCL code may reach the printer
 *
 * The code of a JCLSetup choice is the administrator's, but it goes out
 * inside the job's PJL header, where a UEL or a line in another language
 * would end the job early or confuse the printer. Only whole "@PJL" lines
 * of printable ASCII pass. Pure string handling: parclass-pjl uses it, and
 * so does its fuzz harness (tests/fuzz/fuzz-jcl.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "filter.h"

int jcl_code_lines(const char *code, jcl_line_fn accept, void *userdata)
{
	char *copy, *save = NULL;
	int dropped = 0;

	if (!code)
		return 0;
	copy = strdup(code);
	if (!copy)
		return -1;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(l);
		bool ok = !strncmp(l, "@PJL", 4);

		/* PPDs end their lines with CR LF; the header adds its own. */
		while (len && (l[len - 1] == '\r' || l[len - 1] == ' '))
			l[--len] = '\0';
		/* No control character: an ESC could start a UEL, a CR a new command. */
		for (size_t k = 0; k < len; k++)
			if ((unsigned char)l[k] < 0x20 || (unsigned char)l[k] > 0x7e)
				ok = false;
		if (!len)
			continue;
		if (!ok) {
			dropped++;
			continue;
		}
		accept(l, userdata);
	}
	free(copy);
	return dropped;
}
