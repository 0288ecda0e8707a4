/*
 * ppdev.h - the kernel half of parclass-sim: /dev/parportN as Linux's ppdev
 * driver answers it (drivers/char/ppdev.c, drivers/parport/)
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "port.h"
#include "wire.h"

/* Handlers for the sockets of emulated nodes. Listener data: the sim_port,
 * or NULL for a node with no port behind it. */
extern const struct sim_wire_ops sim_ppdev_ops;

/* Register ports so that faults and signals reach them; call once at start. */
void sim_ppdev_init(struct sim_port **ports, unsigned n_ports);
void sim_ppdev_shutdown(void);
/* Stopping: end every waiting call and fail all new ones (ENODEV), so that
 * clients are not inside a call when their connections close. */
void sim_ppdev_stop(void);
/* How many client files are open. */
unsigned sim_ppdev_open_files(void);

/* A device changed state or has reverse data: re-evaluate waiting calls. */
void sim_ppdev_kick(void *unused);

/* SIGUSR1 (false) / SIGUSR2 (true): end / start signal-driven faults. */
void sim_ppdev_signal(bool start);

/* Hook to take a gone port's files out of the test bed. */
extern void (*sim_ppdev_port_gone_hook)(struct sim_port *p);
/* Hook to show who holds a port in /proc (devices/active). */
extern void (*sim_ppdev_active_hook)(struct sim_port *p, bool claimed);
