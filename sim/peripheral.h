/*
 * peripheral.h - the printer's side of the IEEE 1284 handshakes on the lines
 *
 * A host that moves the control lines itself (PPWCONTROL, PPFCONTROL,
 * PPWDATA, PPDATADIR) and polls the status lines, as the kernel's software
 * IEEE 1284 code or HPLIP's parallel code does, gets the answers of an IEEE
 * 1284 peripheral here: negotiation (events 0-6), termination (22-28),
 * nibble and byte reverse (7-11, 14-17), compatibility forward (nStrobe,
 * Busy, nAck) and ECP forward (34-37), reverse (43-46) and its direction
 * changes (38-40, 47-49). The device behind it (device.c) is the same one
 * the kernel-side transfers of ppdev-transfer.c feed: both paths reach the
 * same device states and record the same bytes, under the same model
 * timing and faults. Used by port.c only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct sim_port;
struct sim_periph;

struct sim_periph *sim_periph_new(struct sim_port *p);
void sim_periph_free(struct sim_periph *pp);

/* The control lines changed from @old to the port's value now. */
void sim_periph_control(struct sim_periph *pp, uint8_t old);
/* The status lines now, given what the device shows when no handshake is
 * under way (@idle). */
uint8_t sim_periph_status(struct sim_periph *pp, uint8_t idle);
/* The data lines while the host has them reversed: what the peripheral drives. */
uint8_t sim_periph_data(struct sim_periph *pp);
/* The kernel-side emulation moved the link itself (negotiate, terminate):
 * no line-level handshake is under way any more. */
void sim_periph_reset(struct sim_periph *pp);
