/*
 * parclass.c - the CUPS backend "parclass": main()
 *
 *   parclass                                          list printers (lpinfo -v)
 *   parclass job-id user title copies options [file]  print, DEVICE_URI=parclass:...
 *
 * Exit codes are CUPS's (doc/parclass.8 says which failure gives which).
 */
#include "config.h"

#include <cups/backend.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

#define DISCOVERY_DEADLINE_MS 1500
#define DISCOVERY_DEADLINE_MAX_MS 600000

static void on_cancel(int sig)
{
	parclass_device *dev = bk_cancel_device;

	bk_cancel_signal = sig;
	if (dev)
		parclass_device_cancel(dev);   /* ends a wait or a transfer now */
}

static void on_log(parclass_context *ctx, enum parclass_log_level level, const char *message, void *userdata)
{
	(void)ctx;
	(void)level;
	(void)userdata;
	bk_line(stderr, "DEBUG: libparclass: %s\n", message);
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_cancel;   /* no SA_RESTART: a cancel ends what waits */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);    /* a closed back channel is an error, not a death */
}

/*
 * How long discovery may take: PARCLASS_DISCOVERY_DEADLINE_MS, else 1.5 s
 * (cups-deviced waits for its backends, and lpinfo -v for cups-deviced).
 * A slow machine may need longer to probe every printer; a bad value is
 * said once and the default used.
 */
static int discovery_deadline(void)
{
	const char *v = getenv("PARCLASS_DISCOVERY_DEADLINE_MS");
	char *end;
	long ms;

	if (!v || !*v)
		return DISCOVERY_DEADLINE_MS;
	errno = 0;
	ms = strtol(v, &end, 10);
	if (errno || *end || ms < 1 || ms > DISCOVERY_DEADLINE_MAX_MS) {
		fprintf(stderr, "WARNING: PARCLASS_DISCOVERY_DEADLINE_MS=%s is not 1 to %d ms; using %d\n", v,
			DISCOVERY_DEADLINE_MAX_MS, DISCOVERY_DEADLINE_MS);
		return DISCOVERY_DEADLINE_MS;
	}
	return (int)ms;
}

static bool parse_copies(const char *s, int *copies)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 100000)
		return false;
	*copies = (int)v;
	return true;
}

int main(int argc, char **argv)
{
	char error[512], warning[256];
	struct bk_options opt;
	struct bk_channels channels;
	parclass_context *ctx;
	const char *uri;
	int copies, code, r;

	bk_channels_probe(&channels);   /* first: later opens may take fds 3 and 4 */
	setup_signals();
	r = parclass_context_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "ERROR: Unable to start: %s\n", parclass_strerror(r));
		return CUPS_BACKEND_FAILED;
	}
	parclass_context_set_log(ctx, getenv("PARCLASS_DEBUG") ? PARCLASS_LOG_DEBUG : PARCLASS_LOG_INFO, on_log,
				 NULL);

	if (argc == 1) {
		code = bk_discover(ctx, discovery_deadline());
		parclass_context_unref(ctx);
		return code;
	}
	if (argc != 6 && argc != 7) {
		fputs("Usage: parclass job-id user title copies options [file]\n", stderr);
		parclass_context_unref(ctx);
		return CUPS_BACKEND_FAILED;
	}
	if (!parse_copies(argv[4], &copies)) {
		fprintf(stderr, "ERROR: Bad number of copies \"%s\"\n", argv[4]);
		parclass_context_unref(ctx);
		return CUPS_BACKEND_FAILED;
	}
	uri = cupsBackendDeviceURI(argv);
	if (!uri) {
		fputs("ERROR: No device URI: set DEVICE_URI, for example DEVICE_URI=parclass:/dev/parport0\n", stderr);
		parclass_context_unref(ctx);
		return CUPS_BACKEND_STOP;
	}
	if (bk_options_parse(uri, &opt, error, sizeof error, warning, sizeof warning) < 0) {
		fprintf(stderr, "ERROR: %s\n", error);
		parclass_context_unref(ctx);
		return CUPS_BACKEND_STOP;
	}
	if (*warning)
		fprintf(stderr, "WARNING: Unknown options in the device URI ignored: %s\n", warning);

	code = bk_print(ctx, &opt, &channels, argc == 7 ? argv[6] : NULL, copies);
	parclass_context_unref(ctx);
	return code;
}
