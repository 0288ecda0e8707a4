/*
 * schedule.h - when a driver of the simulator looks at its pending calls again
 */
#ifndef SIM_SCHEDULE_H
#define SIM_SCHEDULE_H

#include <glib.h>
#include <stdbool.h>

/*
 * One per driver (ppdev, lp). A pending call is looked at again at the time
 * its progress asks for (microseconds, monotonic: g_timeout_add has only
 * milliseconds), soon after a kick (something changed: a claim freed, a
 * line moved), and every few milliseconds while a signal may end it, since
 * the simulator learns of a client's signals only from /proc.
 */
struct sim_sched {
	void (*evaluate)(void);     /* look at every pending call; calls sim_sched_rearm() */
	bool (*poll_signals)(void); /* end the calls a signal interrupts; false: none can be */
	GSource *timer;
	guint kick_idle;
	guint signal_poll;
};

/* Look at the pending calls again, soon (from the main loop, once however
 * often it is kicked meanwhile). */
void sim_sched_kick(struct sim_sched *s);
/* After an evaluation: wake at @next (G_MAXINT64: at no set time), and
 * poll for signals while @interruptible. */
void sim_sched_rearm(struct sim_sched *s, gint64 next, bool interruptible);
void sim_sched_shutdown(struct sim_sched *s);

#endif
