/*
 * device.h - the printer half of parclass-sim: one IEEE 1284 peripheral
 *
 * A device knows its condition (ready, paper out, ...), which IEEE 1284 modes
 * it accepts, its device ID, the forward data it receives (ECP channels and
 * RLE decoded, fed to the PJL interpreter and the job record) and the reverse
 * data it has for the host. It knows nothing of ppdev or clients: the port
 * drives it.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct sim_device;

/* Called when something a waiting host operation may care about changed. */
typedef void (*sim_device_notify)(void *data);

struct sim_device *sim_device_new(const struct sim_device_model *m, const char *location,
				  sim_device_notify notify, void *notify_data);
void sim_device_free(struct sim_device *d);

const char *sim_device_location(const struct sim_device *d);
const struct sim_device_model *sim_device_model(const struct sim_device *d);

/* Conditions: faults stack; the most severe one shows. (Link faults - refuse,
 * late - are no condition: the lines stay, negotiation changes.) */
int sim_device_condition(const struct sim_device *d);
void sim_device_fault_begin(struct sim_device *d, int kind, int pjl_code, const char *display);
void sim_device_fault_end(struct sim_device *d, int kind);
/* Can the device answer at all (powered and connected)? */
bool sim_device_alive(const struct sim_device *d);

/* Arm a model fault aimed at this device (byte, time and signal triggers). */
void sim_device_add_fault(struct sim_device *d, const struct sim_fault_model *f);
/* SIGUSR2: start on-signal faults; SIGUSR1: end faults that last until a signal. */
void sim_device_signal(struct sim_device *d, bool start);

/* Status register the device drives in compatibility-mode idle. */
uint8_t sim_device_compat_status(const struct sim_device *d);

/* IEEE 1284 negotiation with the extensibility request byte @xbyte. */
enum sim_negot {
	SIM_NEGOT_OK,
	SIM_NEGOT_REJECTED,   /* answered, XFlag says no */
	SIM_NEGOT_NO_ANSWER,  /* not an IEEE 1284 device, off, gone or too slow */
};
enum sim_negot sim_device_negotiate(struct sim_device *d, uint8_t xbyte);
/* Does the device answer event 1 at all (powered, and more than a Centronics device)? */
bool sim_device_answers_1284(const struct sim_device *d);
/* Events 5 and 6: accept or reject @xbyte, whenever the device answered event 2. */
enum sim_negot sim_device_request(struct sim_device *d, uint8_t xbyte);
void sim_device_terminate(struct sim_device *d);
/* The extensibility byte of the mode the device is in; -1 in compatibility mode. */
int sim_device_xbyte(const struct sim_device *d);
bool sim_device_in_deviceid(const struct sim_device *d);

/* How late the device answers negotiation now (model and active late faults). */
int sim_device_negotiation_delay(const struct sim_device *d);
/* A refuse fault hit the mode the link is in: the device no longer answers
 * its handshake (data stalls, nothing comes back) until the link is
 * terminated. */
bool sim_device_link_stopped(const struct sim_device *d);

/* ECP direction as the device sees it. */
bool sim_device_ecp_reverse(const struct sim_device *d);
void sim_device_set_ecp_reverse(struct sim_device *d, bool reverse);

/*
 * Forward data. @command marks ECP command cycles (channel address or RLE
 * count) and EPP address cycles. The device accepts what it is given; the
 * caller checks the lines first.
 */
void sim_device_forward(struct sim_device *d, const guint8 *data, size_t n, bool command);
/* Forward bytes the device may still take before a byte-triggered fault fires. */
guint64 sim_device_bytes_before_fault(const struct sim_device *d);
/* The claim session ended: close its job file. */
void sim_device_session_end(struct sim_device *d);
/* nInit pulse in compatibility mode: the printer resets its interface. */
void sim_device_reset(struct sim_device *d);

/* Reverse data: the device ID in device-ID mode, else the reverse queue. */
bool sim_device_has_reverse(const struct sim_device *d);
size_t sim_device_reverse_read(struct sim_device *d, guint8 *buf, size_t n);
/* A byte taken for a reverse handshake the host did not finish: it is sent again. */
void sim_device_reverse_unread(struct sim_device *d, guint8 c);
