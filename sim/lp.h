/*
 * lp.h - the kernel's lp driver (/dev/lpN, drivers/char/lp.c) on the
 * simulator's ports, beside the ppdev emulation
 *
 * lp is bound to a port whose model says lp-driver=true; it then shares the
 * port with ppdev users through the port's claim (struct sim_port's holder
 * and waiters), as the kernel's parport layer shares it.
 */
#pragma once

#include <stdbool.h>

#include "port.h"
#include "wire.h"

/* Handlers for the sockets of /dev/lpN. Listener data: the sim_port. */
extern const struct sim_wire_ops sim_lp_ops;

/* Register the ports (lp's per-minor state) and the function that shows
 * who holds a port (NULL: nobody); call once at start. */
void sim_lp_init(struct sim_port **ports, unsigned n_ports, void (*active)(struct sim_port *p, const char *holder));
void sim_lp_shutdown(void);
/* Stopping: end every waiting call, fail new ones. */
void sim_lp_stop(void);
/* How many lp files are open. */
unsigned sim_lp_open_files(void);

/* A device changed state, or a port's claim changed hands: move waiting
 * lp calls on. */
void sim_lp_kick(void *unused);
