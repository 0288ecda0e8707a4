/*
 * context.c - the library contexts tests use: an error the library logs
 * fails the test unless the test said it expects it (see fixture.h)
 *
 * An object of its own in libfixture, so that only the tests that use
 * libparclass link it.
 */
#include "config.h"

#include "fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What a test's own log function asked for, per context. */
struct fx_log {
	parclass_context *ctx;
	enum parclass_log_level level;   /* 0: the test has no log function */
	parclass_log_fn fn;
	void *data;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fx_log logs[64];
static const char *expected[8];

void fx_expect_lib_error(const char *substring)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
		if (!expected[i]) {
			expected[i] = substring;
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	pthread_mutex_unlock(&lock);
	cr_assert_fail("too many expected library errors");
}

static bool is_expected(const char *message)
{
	bool yes = false;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < G_N_ELEMENTS(expected) && expected[i] && !yes; i++)
		yes = strstr(message, expected[i]) != NULL;
	pthread_mutex_unlock(&lock);
	return yes;
}

static void on_log(parclass_context *ctx, enum parclass_log_level level, const char *message, void *data)
{
	struct fx_log *l = data;

	if (level <= PARCLASS_LOG_ERROR && !is_expected(message)) {
		/* A forked child cannot report to Criterion: its exit status tells. */
		if (fx_forked()) {
			fprintf(stderr, "libparclass error in child %d: %s\n", (int)getpid(), message);
			_exit(FX_LIB_ERROR_STATUS);
		}
		cr_expect_fail("libparclass logged an error the test does not expect: %s", message);
	}
	if (l->fn && level <= l->level)
		l->fn(ctx, level, message, l->data);
}

static struct fx_log *entry(parclass_context *ctx, bool add)
{
	struct fx_log *found = NULL, *free_slot = NULL;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < G_N_ELEMENTS(logs) && !found; i++) {
		if (logs[i].ctx == ctx)
			found = &logs[i];
		else if (!logs[i].ctx && !free_slot)
			free_slot = &logs[i];
	}
	if (!found && add && free_slot) {
		found = free_slot;
		found->ctx = ctx;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

static int set_log(parclass_context *ctx, struct fx_log *l, enum parclass_log_level level, parclass_log_fn fn,
		   void *data)
{
	l->level = fn ? level : 0;
	l->fn = fn;
	l->data = data;
	return parclass_context_set_log(ctx, level > PARCLASS_LOG_ERROR && fn ? level : PARCLASS_LOG_ERROR, on_log, l);
}

int fx_context_new(parclass_context **out)
{
	parclass_context *ctx;
	struct fx_log *l;
	int r = parclass_context_new(&ctx);

	if (r < 0)
		return r;
	/* A context at the same address as a freed one takes its entry over. */
	l = entry(ctx, true);
	if (!l) {
		parclass_context_unref(ctx);
		return -ENOMEM;
	}
	set_log(ctx, l, 0, NULL, NULL);
	*out = ctx;
	return 0;
}

int fx_context_set_log(parclass_context *ctx, enum parclass_log_level level, parclass_log_fn fn, void *data)
{
	struct fx_log *l = entry(ctx, false);

	if (!l)
		return -EINVAL;
	if (level < PARCLASS_LOG_ERROR || level > PARCLASS_LOG_DEBUG)
		return -EINVAL;
	return set_log(ctx, l, level, fn, data);
}
