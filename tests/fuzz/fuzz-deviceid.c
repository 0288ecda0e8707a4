/*
 * fuzz-deviceid.c - libFuzzer harness for the IEEE 1284 device ID parser
 *
 * Device IDs come from printers (raw, with their two length bytes), from
 * the kernel's /proc autoprobe files and from the runtime directory's cache
 * (text). The input goes to both parsers: as raw bytes to
 * parclass_device_id_parse_raw() and as text to parclass_device_id_parse().
 * What parses must keep the parser's promises: a normalised text of
 * "KEY:value;" pairs without control characters that parses again to the
 * same thing, values found through their keys and aliases, a make and model.
 */
#include "config.h"

#define FUZZ_NAME "fuzz-deviceid"
#include "fuzz.h"

#include <errno.h>

#include "parclass.h"

static const char *const keys[] = {
	"MFG", "MANUFACTURER", "MDL", "MODEL", "CMD", "COMMAND SET", "CLS", "CLASS",
	"DES", "DESCRIPTION", "SN", "SERN", "SERIALNUMBER", "VSTATUS", "",
};

/* Longest text the parser accepts (PC_ID_MAX in the library). */
#define ID_MAX 0xfff

static void check(const parclass_device_id *id, const char *what)
{
	const char *text = parclass_device_id_text(id), *mm = parclass_device_id_make_and_model(id);
	parclass_device_id *again = NULL;
	size_t len;
	int r;

	fuzz_assert(text && *text, "%s: no text", what);
	len = strlen(text);
	fuzz_assert(len <= ID_MAX, "%s: text of %zu bytes", what, len);
	fuzz_assert(text[len - 1] == ';', "%s: text \"%.100s\" does not end with ';'", what, text);
	for (const char *p = text; *p; p++)
		fuzz_assert((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f,
			    "%s: control character 0x%02x in the text", what, (unsigned char)*p);
	fuzz_assert(mm && *mm, "%s: no make and model", what);
	for (const char *p = mm; *p; p++)
		fuzz_assert((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f,
			    "%s: control character 0x%02x in the make and model", what, (unsigned char)*p);

	/* The normalised text is what the runtime directory's cache keeps: it
	 * must read back as the same ID. */
	r = parclass_device_id_parse(text, &again);
	fuzz_assert(r == 0, "%s: the normalised text \"%.100s\" (%zu bytes) does not parse again: %d", what, text, len, r);
	fuzz_assert(!strcmp(parclass_device_id_text(again), text), "%s: \"%.100s\" parses again as \"%.100s\"", what,
		    text, parclass_device_id_text(again));
	fuzz_assert(!strcmp(parclass_device_id_make_and_model(again), mm), "%s: make and model \"%.100s\" became \"%.100s\"",
		    what, mm, parclass_device_id_make_and_model(again));
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const char *v = parclass_device_id_get(id, keys[k]), *w = parclass_device_id_get(again, keys[k]);

		fuzz_assert((!v && !w) || (v && w && !strcmp(v, w)), "%s: %s is \"%.100s\", parsed again \"%.100s\"", what,
			    keys[k], v ? v : "(none)", w ? w : "(none)");
		/* A value is trimmed and is somewhere in the text. */
		if (v) {
			size_t n = strlen(v);

			fuzz_assert(!n || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' && v[n - 1] != '\t'),
				    "%s: %s value \"%.100s\" is not trimmed", what, keys[k], v);
			fuzz_assert(strstr(text, v), "%s: %s value \"%.100s\" is not in the text", what, keys[k], v);
		}
	}
	fuzz_assert(!parclass_device_id_get(id, NULL), "%s: a NULL key has a value", what);
	parclass_device_id_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parclass_device_id *id = NULL;
	char *text;
	int r;

	r = parclass_device_id_parse_raw(data, size, &id);
	fuzz_assert(r == 0 || r == -EINVAL, "parse_raw returned %d", r);
	fuzz_assert((r == 0) == (id != NULL), "parse_raw returned %d with id %p", r, (void *)id);
	if (id) {
		check(id, "raw");
		/* The raw form's text cannot be longer than what came. */
		fuzz_assert(strlen(parclass_device_id_text(id)) <= size - 2 + 1, "raw: text longer than the input");
	}
	parclass_device_id_free(id);

	id = NULL;
	text = fuzz_string(data, size);
	r = parclass_device_id_parse(text, &id);
	fuzz_assert(r == 0 || r == -EINVAL, "parse returned %d", r);
	fuzz_assert((r == 0) == (id != NULL), "parse returned %d with id %p", r, (void *)id);
	if (id)
		check(id, "text");
	parclass_device_id_free(id);
	free(text);
	return 0;
}
