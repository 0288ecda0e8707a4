/*
 * port.h - one emulated parallel port: its lines, its IEEE 1284.3 chain and
 * the kernel's per-port IEEE 1284 state (struct parport in Linux)
 *
 * port.c owns what is physical (data, control and status lines, which device
 * answers, the CPP protocol of a daisy chain) and parport_negotiate(); the
 * ppdev files own the per-file and claim semantics of /dev/parportN on top of it.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "model.h"

/* The kernel's IEEE 1284 phases (enum ieee1284_phase), as PPGETPHASE reports them. */
enum sim_phase {
	SIM_PH_FWD_DATA,
	SIM_PH_FWD_IDLE,
	SIM_PH_TERMINATE,
	SIM_PH_NEGOTIATION,
	SIM_PH_HBUSY_DNA,
	SIM_PH_REV_IDLE,
	SIM_PH_HBUSY_DAVAIL,
	SIM_PH_REV_DATA,
	SIM_PH_ECP_SETUP,
	SIM_PH_ECP_FWD_TO_REV,
	SIM_PH_ECP_REV_TO_FWD,
	SIM_PH_ECP_DIR_UNKNOWN,
};

/* The PC's control register, as ppdev takes it. */
#define CTL_STROBE  0x01  /* 1: nStrobe low */
#define CTL_AUTOFD  0x02  /* 1: nAutoFd (HostBusy, HostAck) low */
#define CTL_INIT    0x04  /* 1: nInit high */
#define CTL_SELECT  0x08  /* 1: nSelectIn low */

/* The PC's status register. */
#define ST_ERROR    0x08  /* nFault high */
#define ST_SELECT   0x10
#define ST_PAPEROUT 0x20
#define ST_ACK      0x40  /* nAck high */
#define ST_BUSY     0x80  /* Busy low (the register inverts it) */

/* How long the kernel waits for a peripheral to answer negotiation. */
#define SIM_NEGOTIATION_TIMEOUT_MS 40

struct pp_file;

struct sim_port {
	unsigned index;                 /* N of parportN */
	char *name;                     /* "parportN" */
	struct sim_port_model *model;
	bool gone;                      /* port-gone fault: the node disappeared; port-absent: not yet there */
	guint64 forward_bytes;      /* data bytes delivered through the port (port-gone after-bytes) */

	/* What parport_pc found at boot (struct parport base, base_hi, irq, dma, modes). */
	unsigned long base, base_hi;
	int irq, dma;                   /* -1: none */
	unsigned modes;                 /* PARPORT_MODE_* as PPGETMODES reports them */

	/* What hangs off the cable. */
	struct sim_device *end;         /* NULL: nothing at the end of the cable */
	struct sim_device *chain[SIM_MAX_CHAIN];
	unsigned n_chain;
	int address[SIM_MAX_CHAIN];     /* 1284.3 address of each chain position, -1 unassigned */
	int selected;                   /* chain position selected by CPP, -1 none */

	/* Lines driven by the host. */
	uint8_t data;
	uint8_t control;                /* control register value (PPWCONTROL) */
	bool data_reverse;

	/* IEEE 1284.3 CPP decoder. */
	int cpp_state;
	unsigned cpp_cursor;            /* next chain position to number */
	int cpp_result;                 /* status while a command strobe is low, -1 none */

	/* The device's side of the IEEE 1284 handshakes (peripheral.c). */
	struct sim_periph *periph;

	/* Kernel state (struct parport / struct ieee1284_info). */
	int ieee_mode;
	int ieee_phase;
	const void *holder;             /* who has the port claimed: a ppdev file or lp (lp.c) */
	GQueue waiters;                 /* pending claims of both, oldest first */
	GList *registered;              /* files registered with the port */
	bool excl;                      /* an exclusive device is registered */

	/* Files in the test bed. */
	char *node_path;                /* <testbed>/dev/parportN */
	char *proc_dir;                 /* <testbed>/proc/sys/dev/parport/parportN */
};

struct sim_port *sim_port_new(unsigned index, struct sim_port_model *model, sim_device_notify notify,
			      void *notify_data);
void sim_port_free(struct sim_port *p);

/* The device that answers now: the selected chain device, else the end device. */
struct sim_device *sim_port_target(const struct sim_port *p);

/* A transfer paced at @rate bytes per second (0: unpaced) that began a
 * stretch at @start (microseconds, monotonic) and has moved @done bytes in
 * it: may it go on at @now? If so *@chunk is cut to what the rate allows;
 * if not, *@next is when the next byte may go. ppdev's and lp's writes
 * share it. */
bool sim_paced(gint64 start, guint64 done, guint64 rate, gint64 now, guint64 *chunk, gint64 *next);

/* Line level (PPRSTATUS, PPWDATA, PPWCONTROL, PPFCONTROL, PPRCONTROL, PPRDATA, PPDATADIR). */
uint8_t sim_port_read_status(const struct sim_port *p);
void sim_port_write_data(struct sim_port *p, uint8_t v);
uint8_t sim_port_read_data(const struct sim_port *p);
void sim_port_write_control(struct sim_port *p, uint8_t v);
void sim_port_frob_control(struct sim_port *p, uint8_t mask, uint8_t val);
uint8_t sim_port_read_control(const struct sim_port *p);
void sim_port_data_dir(struct sim_port *p, bool reverse);

/*
 * parport_negotiate(): 0 accepted, -1 no IEEE 1284 answer, 1 rejected,
 * -ENOSYS for bounded ECP. *delay_ms is how long the handshake took.
 */
int sim_port_negotiate(struct sim_port *p, int mode, int *delay_ms);
/* ECP bus direction changes the kernel does itself (events 38-40, 47-49). */
bool sim_port_ecp_reverse(struct sim_port *p);
void sim_port_ecp_forward(struct sim_port *p);

/* A kernel-side transfer moves bytes now: a line-level handshake left
 * unfinished is dropped and its reverse byte goes back to the device. */
void sim_port_kernel_transfer(struct sim_port *p);

/* End the claim session: every device closes its job file. */
void sim_port_session_end(struct sim_port *p);

const char *sim_kernel_mode_name(int mode);
