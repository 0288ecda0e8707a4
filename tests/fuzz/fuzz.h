/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz share
 *
 * A harness asserts the parser's promises, not only that it does not crash:
 * a broken promise prints what was expected and aborts, which libFuzzer
 * reports like a crash (with the input saved as an artifact).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message when @cond does not hold. */
#define fuzz_assert(cond, ...)                                                          \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s: %s:%d: %s: ", FUZZ_NAME, __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* @data as a C string on the heap (ASan sees any read past it); free() it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Is every byte of @s printable ASCII (0x20 to 0x7E)? */
static inline int fuzz_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}
