/*
 * torture.h - a lock-torture run of libparclass's port arbitration
 *
 * torture_run() forks workers that take one port many times through the
 * library while holders and waiters are killed with SIGKILL, then checks the
 * arbitration's invariants from evidence the library does not produce: the
 * workers' own logs, an inotify watcher's record of the queue, the
 * simulator's events log and what is left in the runtime directory. It must
 * run where the simulator's ports are visible (parclass-sim's environment),
 * with PARCLASS_RUNTIME_DIR set. Used by tests/test-torture.c (small, in
 * make check) and tests/torture/torture-main.c (make torture).
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct torture_opts {
	unsigned workers;        /* worker processes at any time */
	unsigned rounds;         /* grants each worker completes */
	unsigned seed;           /* every random choice follows from it */
	unsigned kill_every;     /* one SIGKILL per so many rounds (0: none) */
	unsigned lull_every;     /* let the queue run empty for a try per so many rounds (0: never) */
	unsigned hold_max_ms;    /* holds last 0..this; so do delayed kills */
	unsigned chain_devices;  /* lock selects addresses 0..this-1 or the end device */
	unsigned deadline_s;     /* the whole run; running over it is a hang */
	const char *location;    /* the port, "parport0" */
	const char *runtime_dir; /* PARCLASS_RUNTIME_DIR */
	const char *events_log;  /* the simulator's <record>/events.log */
	const char *work_dir;    /* for the logs; created if missing */
};

/* The invariants, each checked from its own evidence. */
enum torture_invariant {
	TORTURE_ONE_HOLDER,   /* holders' logs: hold intervals never overlap */
	TORTURE_CLAIMS,       /* events log: claims never overlap, holders take them in grant order */
	TORTURE_GRANTED,      /* every request of a worker not killed before its grant is granted */
	TORTURE_FIFO,         /* requests are granted in the order they entered the queue */
	TORTURE_CLEAN,        /* no q.* or tmp.* left in the runtime directory */
	TORTURE_DEADLINE,     /* the run ended within its deadline */
	TORTURE_INVARIANTS
};

struct torture_result {
	/* NULL when the invariant held, else what broke it (the first cases) */
	char *violation[TORTURE_INVARIANTS];
	char *setup_error;           /* the run could not be made at all */

	unsigned rounds;             /* rounds completed (grant, hold, release) */
	unsigned grants[3];          /* by kind: allocate, lock, try */
	unsigned failed_tries;       /* try-allocate answered -EBUSY */
	unsigned kills_planned;
	unsigned kills;              /* SIGKILLs sent */
	unsigned kills_holding;      /* ... to a worker whose log shows it holding */
	unsigned kills_waiting;      /* ... to a worker whose log shows a request not yet granted */
	unsigned restarts;
	unsigned lulls;              /* the queue ran empty for a try */
	unsigned tickets;            /* renamed into the queue, as the watcher saw */
	unsigned claims;             /* kernel claims in the events log */
	unsigned leftover;           /* q.* and tmp.* files left */
	double latency_median_ms;    /* allocate and lock: request to grant */
	double latency_p99_ms;
	double latency_max_ms;
	double seconds;
};

extern const char *const torture_invariant_names[TORTURE_INVARIANTS];
extern const char *const torture_kind_names[3];

/* Run and check. Returns 0 when the run was made (see the violations),
 * -1 when it could not be (see setup_error). */
int torture_run(const struct torture_opts *o, struct torture_result *res);
bool torture_passed(const struct torture_result *res);
void torture_print(FILE *f, const struct torture_opts *o, const struct torture_result *res);
void torture_result_clear(struct torture_result *res);
