/*
 * testbed.h - the files clients see: /dev/parportN, /dev/lpN,
 * /proc/sys/dev/parport
 *
 * Built on a umockdev test bed ($UMOCKDEV_DIR). Every node through which
 * libieee1284 (or a /dev/lpN client) could reach real hardware is shadowed,
 * so that a client under the emulation never opens a real port.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "port.h"
#include "ppdev.h"

/* Create the test bed (this sets UMOCKDEV_DIR in the environment). */
bool sim_testbed_create(GError **error);
const char *sim_testbed_root(void);

/* Files and socket for one modelled port. */
bool sim_testbed_add_port(struct sim_port *p, GError **error);
/* Shadow /dev/parport<first>..7 and /dev/port; call after the last port. */
bool sim_testbed_finish(unsigned first_free, GError **error);

/* /dev/lp0..7: the lp driver's nodes for the ports it is bound to
 * (lp-driver=true); opening any other minor fails (ENXIO). Call after the
 * last port. */
bool sim_testbed_add_lp(struct sim_port **ports, unsigned n_ports, GError **error);
/* Show who holds a port in /proc (a pardevice name; NULL: nobody). */
void sim_testbed_show_holder(struct sim_port *p, const char *holder);

/* What the ppdev driver reports that the test bed's files show: a gone
 * port's /proc directory, devices/active (for sim_ppdev_init(), ctx unused). */
extern const struct sim_ppdev_hooks sim_testbed_ppdev_hooks;

void sim_testbed_destroy(void);

/* The umockdev preload library clients load. */
const char *sim_testbed_preload(void);
