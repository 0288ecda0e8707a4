/*
 * torture-main.c - "make torture": the lock torture at full size
 *
 * Runs under parclass-sim (the make target starts it with --record and a
 * private PARCLASS_RUNTIME_DIR), prints the figures, each invariant and the
 * command that repeats the run. Exit status: 0 every invariant held, 1 one
 * did not (or the run could not be made), 2 bad usage.
 */
#include "config.h"

#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "torture.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: torture [--workers N] [--rounds N] [--seed N] [--kill-every N] [--lull-every N]\n"
		   "               [--hold-max MS] [--chain N] [--deadline S] [--make] --record DIR --logs DIR\n"
		   "Run under parclass-sim --record DIR, with PARCLASS_RUNTIME_DIR set.\n");
}

static bool number(const char *text, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!text || !*text)
		return false;
	v = strtoul(text, &end, 10);
	if (*end || v > 0xffffffffu)
		return false;
	*out = (unsigned)v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "kill-every", required_argument, NULL, 'k' },
		{ "lull-every", required_argument, NULL, 'l' },
		{ "hold-max", required_argument, NULL, 'h' },
		{ "chain", required_argument, NULL, 'c' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "record", required_argument, NULL, 'R' },
		{ "logs", required_argument, NULL, 'L' },
		{ "make", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, '?' },
		{ NULL, 0, NULL, 0 },
	};
	struct torture_opts o = { .workers = 16, .rounds = 1000, .kill_every = 20, .lull_every = 50, .hold_max_ms = 4,
				  .location = "parport0" };
	struct torture_result res;
	g_autofree char *events = NULL;
	bool seeded = false, via_make = false, ok = true;
	const char *record = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'w': ok = number(optarg, &o.workers); break;
		case 'r': ok = number(optarg, &o.rounds); break;
		/* empty: a seed of our choosing (make torture passes TORTURE_SEED as it is) */
		case 's': seeded = *optarg != '\0'; ok = !seeded || number(optarg, &o.seed); break;
		case 'k': ok = number(optarg, &o.kill_every); break;
		case 'l': ok = number(optarg, &o.lull_every); break;
		case 'h': ok = number(optarg, &o.hold_max_ms); break;
		case 'c': ok = number(optarg, &o.chain_devices); break;
		case 'd': ok = number(optarg, &o.deadline_s); break;
		case 'R': record = optarg; break;
		case 'L': o.work_dir = optarg; break;
		case 'm': via_make = true; break;
		default: usage(stderr); return 2;
		}
		if (!ok) {
			fprintf(stderr, "torture: not a number: %s\n", optarg);
			return 2;
		}
	}
	o.runtime_dir = getenv("PARCLASS_RUNTIME_DIR");
	if (optind < argc || !record || !o.work_dir || !o.runtime_dir) {
		usage(stderr);
		return 2;
	}
	if (!seeded)
		o.seed = (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
	/* Generous: a hang, not slowness, should be what runs over it. */
	if (!o.deadline_s)
		o.deadline_s = 300 + o.workers * o.rounds / 20;
	events = g_build_filename(record, "events.log", NULL);
	o.events_log = events;

	torture_run(&o, &res);
	torture_print(stdout, &o, &res);
	if (via_make)
		printf("command: make torture TORTURE_WORKERS=%u TORTURE_ROUNDS=%u TORTURE_SEED=%u\n", o.workers,
		       o.rounds, o.seed);
	else
		printf("command: torture --workers %u --rounds %u --seed %u --kill-every %u --lull-every %u --hold-max %u "
		       "--chain %u\n",
		       o.workers, o.rounds, o.seed, o.kill_every, o.lull_every, o.hold_max_ms, o.chain_devices);
	ok = torture_passed(&res);
	torture_result_clear(&res);
	return ok ? 0 : 1;
}
