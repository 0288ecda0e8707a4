/*
 * test-torture.c - the lock torture, small, in make check
 *
 * Four workers take parport0 25 times each through allocate, lock (with
 * IEEE 1284.3 selects) and try-allocate while planned SIGKILLs fall on
 * holders and waiters; tests/torture/torture.c says how each invariant is
 * checked and from what evidence. Nothing here depends on speed: the kills
 * follow the workers' events, not the clock, and the latencies are printed,
 * never asserted (they are in tests/test-torture.figures in the build tree).
 * TORTURE_SEED=N in the environment repeats a run's choices.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "models.h"
#include "torture/torture.h"


Test(torture, holders_and_waiters_killed_at_random_break_no_invariant)
{
	struct fx_sim *sim = fx_start1(bare_chain_model);
	g_autofree char *events = g_build_filename(sim->record, "events.log", NULL);
	g_autofree char *work = g_build_filename(sim->dir, "torture", NULL);
	const char *seed = getenv("TORTURE_SEED");
	struct torture_opts o = {
		.workers = 4,
		.rounds = 25,
		.seed = seed && *seed ? (unsigned)strtoul(seed, NULL, 10) : 1,
		.kill_every = 12,
		.lull_every = 20,
		.hold_max_ms = 3,
		.chain_devices = 2,
		/* A hang bound, inside run-test.sh's timeout (120 s; 600 s under valgrind). */
		.deadline_s = (unsigned)(eventually_ms() / 300),
		.location = "parport0",
		.runtime_dir = sim->runtime,
		.events_log = events,
		.work_dir = work,
	};
	const char *builddir = getenv("PARCLASS_BUILDDIR");
	struct torture_result r;
	unsigned grants;

	cr_assert_eq(torture_run(&o, &r), 0, "the run could not be made: %s", r.setup_error);
	/* Criterion keeps a test's output out of its TAP stream: the figures
	 * go to a file beside the test's log. */
	if (builddir) {
		g_autofree char *path = g_build_filename(builddir, "tests", "test-torture.figures", NULL);
		FILE *f = fopen(path, "w");

		if (f) {
			torture_print(f, &o, &r);
			fclose(f);
		}
	}

	for (unsigned i = 0; i < TORTURE_INVARIANTS; i++)
		cr_expect_null(r.violation[i], "%s (seed %u):\n%s", torture_invariant_names[i], o.seed, r.violation[i]);

	/* The run was what it claims to be: all rounds, every planned kill,
	 * half of them (at a grant, before the holder may go on) on holders. */
	grants = r.grants[0] + r.grants[1] + r.grants[2];
	cr_expect_eq(r.rounds, 100);
	cr_expect_eq(r.kills_planned, 8);
	cr_expect_eq(r.kills, 8);
	cr_expect_eq(r.restarts, 8, "every victim had rounds left");
	cr_expect_geq(r.kills_holding, 4);
	cr_expect_eq(grants, r.rounds + r.kills_holding, "a grant either ends in a release or its holder was killed");
	cr_expect_gt(r.grants[0], 0);
	cr_expect_gt(r.grants[1], 0);
	cr_expect_geq(r.tickets, grants, "each grant had a ticket the watcher saw enter");
	cr_expect_geq(r.claims, grants, "each grant took the kernel claim");
	cr_expect_eq(r.leftover, 0);
	cr_expect(torture_passed(&r));

	torture_result_clear(&r);
	fx_free(sim);
}
