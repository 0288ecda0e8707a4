/*
 * pjl.h - the virtual printer's PJL interpreter
 *
 * Reads the forward data stream of one device, answers PJL requests and emits
 * unsolicited USTATUS messages through a callback, and counts pages. Pure
 * logic: no I/O, no clock; the device drives it.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

struct sim_pjl_hooks {
	/* One complete reverse message (ends with a form feed). */
	void (*reply)(void *ctx, const char *data, size_t len);
	/* One PJL command line as received, without the line end. */
	void (*command)(void *ctx, const char *line);
};

struct sim_pjl;

struct sim_pjl *sim_pjl_new(const struct sim_pjl_hooks *hooks, void *ctx, const char *info_id);
void sim_pjl_free(struct sim_pjl *p);

/* Feed forward (host to printer) data bytes. */
void sim_pjl_feed(struct sim_pjl *p, const guint8 *data, size_t n);

/*
 * The printer's status changed: remembered for INFO STATUS, and reported with
 * USTATUS DEVICE when the host asked for it.
 */
void sim_pjl_set_status(struct sim_pjl *p, int code, const char *display, bool online);

/* USTATUS TIMED: the interval the host asked for in seconds (0 = off), and the tick. */
unsigned sim_pjl_timed_interval(const struct sim_pjl *p);
void sim_pjl_timed_tick(struct sim_pjl *p);

/* Printer reset (nInit): the I/O parser and USTATUS settings start over. */
void sim_pjl_reset(struct sim_pjl *p);

/* Pages printed since power on (INFO PAGECOUNT). */
unsigned sim_pjl_page_count(const struct sim_pjl *p);
