/*
 * context.c - library context, logging, errors, time helpers
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parclass-private.h"

static void log_stderr(parclass_context *ctx, enum parclass_log_level level, const char *message, void *userdata)
{
	static const char *const names[] = { "", "error", "warning", "info", "debug" };

	fprintf(stderr, "libparclass %s: %s\n", names[level], message);
}

_public_ int parclass_context_new(parclass_context **out)
{
	parclass_context *ctx;
	const char *env;

	assert_return(out, -EINVAL);
	ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return -ENOMEM;
	ctx->refs = 1;
	ctx->ops = &pc_ppdev_ops;
	env = getenv("PARCLASS_RUNTIME_DIR");
	ctx->runtime_dir = strdup(env && env[0] == '/' ? env : PC_DEFAULT_RUNTIME_DIR);
	if (!ctx->runtime_dir) {
		free(ctx);
		return -ENOMEM;
	}
	env = getenv("PARCLASS_DEBUG");
	if (env && *env && strcmp(env, "0") != 0) {
		ctx->log_fn = log_stderr;
		ctx->log_level = PARCLASS_LOG_DEBUG;
	}
	*out = ctx;
	return 0;
}

_public_ parclass_context *parclass_context_ref(parclass_context *ctx)
{
	if (ctx)
		ctx->refs++;
	return ctx;
}

_public_ parclass_context *parclass_context_unref(parclass_context *ctx)
{
	if (!ctx || --ctx->refs > 0)
		return NULL;
	free(ctx->runtime_dir);
	free(ctx);
	return NULL;
}

_public_ int parclass_context_set_log(parclass_context *ctx, enum parclass_log_level level, parclass_log_fn fn,
				      void *userdata)
{
	assert_return(ctx, -EINVAL);
	assert_return(level >= PARCLASS_LOG_ERROR && level <= PARCLASS_LOG_DEBUG, -EINVAL);
	ctx->log_level = level;
	ctx->log_fn = fn;
	ctx->log_data = userdata;
	return 0;
}

_public_ int parclass_context_set_runtime_dir(parclass_context *ctx, const char *dir)
{
	char *copy;

	assert_return(ctx, -EINVAL);
	assert_return(dir && dir[0] == '/', -EINVAL);
	copy = strdup(dir);
	if (!copy)
		return -ENOMEM;
	free(ctx->runtime_dir);
	ctx->runtime_dir = copy;
	return 0;
}

_public_ const char *parclass_context_get_runtime_dir(const parclass_context *ctx)
{
	return ctx ? ctx->runtime_dir : NULL;
}

_public_ const char *parclass_version(void)
{
	return PACKAGE_VERSION;
}

void pc_log(parclass_context *ctx, enum parclass_log_level level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!ctx || !ctx->log_fn || level > ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ctx->log_fn(ctx, level, buf, ctx->log_data);
}

/* Text of its own only where the library gave a code a meaning of its own;
 * everything else (ETIMEDOUT, ECANCELED, ENOMEM, ...) as strerror() says. */
_public_ const char *parclass_strerror(int error)
{
	static const struct {
		int err;
		const char *text;
	} own[] = {
		{ ENOLCK, "the port is not locked by this handle" },
		{ EBUSY, "the device or port is in use" },
		{ ENODEV, "no such port, or the port went away" },
		{ ENXIO, "no such device on the port, or it does not answer" },
		{ ENOTSUP, "not supported by the port or the device" },
		{ EPROTO, "the device sent something that is not a device ID" },
		{ EALREADY, "this handle already holds the port" },
		{ EPERM, "only ppdev access is allowed, and the port is not reachable through ppdev" },
		{ ENOENT, "no device ID known" },
	};
	int e = error < 0 ? -error : error;

	if (e == 0)
		return "success";
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		if (own[i].err == e)
			return own[i].text;
	return strerror(e);
}

int64_t pc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pc_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? INT64_MAX : pc_now_ms() + timeout_ms;
}

int pc_remaining(int64_t deadline)
{
	int64_t left;

	if (deadline == INT64_MAX)
		return -1;
	left = deadline - pc_now_ms();
	if (left < 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

void pc_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}
