/*
 * ppdev.h - the kernel half of parclass-sim: /dev/parportN as Linux's ppdev
 * driver answers it (drivers/char/ppdev.c, drivers/parport/)
 *
 * Implemented by ppdev.c (the calls and port-wide events), ppdev-client.c
 * (per-file state) and ppdev-transfer.c (data), which share ppdev-private.h.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "port.h"
#include "wire.h"

/* Handlers for the sockets of emulated nodes. Listener data: the sim_port,
 * or NULL for a node with no port behind it. */
extern const struct sim_wire_ops sim_ppdev_ops;

/* What the driver tells the rest of the simulator; either may be NULL. */
struct sim_ppdev_hooks {
	/* A port went away (port-gone fault): take its files out of the test bed. */
	void (*port_gone)(void *ctx, struct sim_port *p);
	/* An absent port appeared (its port-absent fault ended): put its files in. */
	void (*port_appeared)(void *ctx, struct sim_port *p);
	/* A port was claimed (true) or released: show who holds it in /proc. */
	void (*active)(void *ctx, struct sim_port *p, bool claimed);
};

/* Register ports so that faults and signals reach them, and the hooks with
 * the ctx they get; call once at start. */
void sim_ppdev_init(struct sim_port **ports, unsigned n_ports, const struct sim_ppdev_hooks *hooks, void *ctx);
void sim_ppdev_shutdown(void);
/* Stopping: end every waiting call and fail all new ones (ENODEV), so that
 * clients are not inside a call when their connections close. */
void sim_ppdev_stop(void);
/* How many client files are open. */
unsigned sim_ppdev_open_files(void);

/* A device changed state or has reverse data: re-evaluate waiting calls. */
void sim_ppdev_kick(void *unused);

/* Would the kernel see signal_pending() for this process (lp.c asks too)? */
bool sim_ppdev_signal_pending(pid_t pid);

/* SIGUSR1 (false) / SIGUSR2 (true): end / start signal-driven faults. */
void sim_ppdev_signal(bool start);
