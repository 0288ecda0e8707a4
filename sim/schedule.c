/*
 * schedule.c - when a driver of the simulator looks at its pending calls again:
 * at a time, soon after a kick, or while a signal may end them
 */
#include "config.h"

#include "schedule.h"

#define SIGNAL_POLL_MS 20

static gboolean timer_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	g_source_set_ready_time(source, -1);
	return callback(data);
}

static gboolean timer_cb(gpointer data)
{
	struct sim_sched *s = data;

	s->evaluate();
	return G_SOURCE_CONTINUE;
}

/* A source woken at a monotonic time, in microseconds. */
static void arm_timer(struct sim_sched *s, gint64 when)
{
	static GSourceFuncs funcs = { .dispatch = timer_dispatch };

	if (!s->timer) {
		s->timer = g_source_new(&funcs, sizeof(GSource));
		g_source_set_callback(s->timer, timer_cb, s, NULL);
		g_source_attach(s->timer, NULL);
	}
	g_source_set_ready_time(s->timer, when);
}

static gboolean kick_cb(gpointer data)
{
	struct sim_sched *s = data;

	s->kick_idle = 0;
	s->evaluate();
	return G_SOURCE_REMOVE;
}

void sim_sched_kick(struct sim_sched *s)
{
	if (!s->kick_idle)
		s->kick_idle = g_idle_add_full(G_PRIORITY_DEFAULT, kick_cb, s, NULL);
}

static gboolean signal_poll_cb(gpointer data)
{
	struct sim_sched *s = data;

	if (s->poll_signals())
		return G_SOURCE_CONTINUE;
	s->signal_poll = 0;
	return G_SOURCE_REMOVE;
}

void sim_sched_rearm(struct sim_sched *s, gint64 next, bool interruptible)
{
	if (next != G_MAXINT64)
		arm_timer(s, next);
	else if (s->timer)
		g_source_set_ready_time(s->timer, -1);
	if (interruptible && !s->signal_poll)
		s->signal_poll = g_timeout_add(SIGNAL_POLL_MS, signal_poll_cb, s);
}

void sim_sched_shutdown(struct sim_sched *s)
{
	if (s->timer) {
		g_source_destroy(s->timer);
		g_source_unref(s->timer);
		s->timer = NULL;
	}
	if (s->signal_poll)
		g_source_remove(s->signal_poll);
	s->signal_poll = 0;
	if (s->kick_idle)
		g_source_remove(s->kick_idle);
	s->kick_idle = 0;
}
