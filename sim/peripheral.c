/*
 * peripheral.c - the printer's side of the IEEE 1284 handshakes on the lines
 *
 * One state machine per port, acting for the device that answers on it now
 * (sim_port_target()). It moves only when the host touches the lines: each
 * control change and each look at the status or data lines first brings it
 * up to the present (advance()), so that answers that take time - a late
 * negotiation, a byte at the model's rate - show from the moment they are
 * due, to any host that polls, with no timer of its own.
 *
 * The event numbers are IEEE 1284-1994's; the order of the host's steps is
 * the kernel's software implementation (drivers/parport/ieee1284.c,
 * ieee1284_ops.c), which HPLIP's parallel code follows too. What the
 * peripheral does with the bytes (recording, PJL, faults) and whether it
 * accepts a mode is device.c's, shared with the kernel-side transfers.
 */
#include "config.h"

#include "peripheral.h"

#include "port.h"
#include "record.h"

#include <linux/parport.h>

#define STATUS_READY 0xd8

enum phase {
	PH_IDLE,          /* no handshake under way: the device's idle lines */
	PH_NEG_WAIT,      /* event 1 seen; event 2 shows from ->at */
	PH_NEG_LATCHED,   /* event 3: the request byte is latched */
	PH_NEG_REJECTED,  /* events 5, 6 said no: the host must terminate */
	PH_TERM_ACK,      /* event 22 seen: nAck low (events 23, 24) */
	PH_TERM_HOLD,     /* event 25 seen: compatibility lines, nAck high (26, 27) */
	PH_REV_SHOW,      /* a nibble or byte goes back: on the lines, nAck low from ->at */
	PH_REV_IDLE,      /* HostBusy low with nothing to send */
	PH_COMPAT_TAKEN,  /* nStrobe low: the byte is latched, Busy high */
	PH_COMPAT_BUSY,   /* nStrobe high again: Busy until ->at */
	PH_COMPAT_ACK,    /* the nAck pulse, low for one look at the lines */
	PH_ECP_CLOCKED,   /* event 34: a byte waits for the printer to take it */
	PH_ECP_TAKEN,     /* event 35: Busy (PeriphAck) high */
	PH_ECP_RELEASED,  /* event 36 seen: Busy low again (37) from ->at */
	PH_EPP_WRITE,     /* events 62, 58: the byte is taken, nWait high */
	PH_EPP_READ,      /* events 67, 58: the byte is on the lines, nWait high */
	PH_EPP_END,       /* event 68: nInit low, termination under way */
};

enum link { LINK_COMPAT, LINK_NIBBLE, LINK_BYTE, LINK_ECP, LINK_EPP, LINK_OTHER };

struct sim_periph {
	struct sim_port *port;
	enum phase phase;
	gint64 at;                 /* when the answer the phase waits for shows */
	gint64 next_byte;          /* the model's rate: no byte moves before this */
	uint8_t xbyte;             /* extensibility request of this negotiation */
	uint8_t latch;             /* ECP byte clocked in */
	bool command;              /* ... with HostAck low */

	/* The byte going back, taken from its device and not yet acknowledged. */
	struct sim_device *rev_dev;
	uint8_t rev;
	bool high_nibble;          /* nibble mode: the low nibble went already */

	/* The kernel-side emulation moves the bytes until the client touches the
	 * control lines itself: the peripheral takes nothing on its own then. */
	bool kernel;
};

struct sim_periph *sim_periph_new(struct sim_port *p)
{
	struct sim_periph *pp = g_new0(struct sim_periph, 1);

	pp->port = p;
	return pp;
}

void sim_periph_free(struct sim_periph *pp)
{
	g_free(pp);
}

static enum link link_of(const struct sim_device *d)
{
	int xb = sim_device_xbyte(d);

	if (xb < 0)
		return LINK_COMPAT;
	if (xb & 0x10)
		return LINK_ECP;
	if ((xb & ~0x04) == 0x00)
		return LINK_NIBBLE;
	if ((xb & ~0x04) == 0x01)
		return LINK_BYTE;
	if (xb == 0x40)
		return LINK_EPP;
	return LINK_OTHER;
}

/* The time the next byte at the model's rate for @family is done. */
static gint64 take_slot(struct sim_periph *pp, const struct sim_device *d, int family, gint64 now)
{
	guint64 rate = sim_device_model(d)->rate[family];

	pp->next_byte = MAX(now, pp->next_byte) + (rate ? (gint64)(G_USEC_PER_SEC / rate) : 0);
	return pp->next_byte;
}

/* A reverse handshake the host did not finish: the device sends that byte again. */
static void give_back(struct sim_periph *pp)
{
	if (pp->rev_dev)
		sim_device_reverse_unread(pp->rev_dev, pp->rev);
	pp->rev_dev = NULL;
	pp->high_nibble = false;
}

static bool take_reverse(struct sim_periph *pp, struct sim_device *d)
{
	if (pp->rev_dev == d)
		return true;
	give_back(pp);   /* another device was selected meanwhile: its byte stays its own */
	if (sim_device_link_stopped(d) || !sim_device_has_reverse(d) || sim_device_reverse_read(d, &pp->rev, 1) != 1)
		return false;
	pp->rev_dev = d;
	pp->high_nibble = false;
	return true;
}

void sim_periph_reset(struct sim_periph *pp)
{
	give_back(pp);
	pp->phase = PH_IDLE;
	pp->kernel = true;
}

/* The mode a request byte stands for, in the kernel's terms for events.log. */
static const char *request_name(uint8_t xbyte)
{
	/* The kernel's IEEE1284_MODE_* values are the request bytes, but for the extensibility link. */
	return sim_kernel_mode_name(xbyte & 0x80 ? IEEE1284_EXT_LINK : xbyte);
}

/* Bring time-dependent answers up to the present. */
static void advance(struct sim_periph *pp, gint64 now)
{
	struct sim_port *p = pp->port;
	struct sim_device *d = sim_port_target(p);

	if (!d || !sim_device_alive(d)) {
		/* A device without power drives nothing and forgets what it did. */
		pp->rev_dev = NULL;
		pp->phase = PH_IDLE;
		return;
	}
	switch (pp->phase) {
	case PH_IDLE:
		/* ECP reverse: with HostAck low the peripheral sends whenever it
		 * has something (event 43), however long that takes. */
		if (!pp->kernel && link_of(d) == LINK_ECP && sim_device_ecp_reverse(d) && (p->control & CTL_AUTOFD) &&
		    take_reverse(pp, d)) {
			pp->at = take_slot(pp, d, SIM_RATE_ECP, now);
			pp->phase = PH_REV_SHOW;
		}
		break;
	case PH_COMPAT_BUSY:
		if (now >= pp->at)
			pp->phase = PH_COMPAT_ACK;
		break;
	case PH_ECP_CLOCKED:
		/* Event 35 once the printer can take the byte. */
		if (sim_device_compat_status(d) == STATUS_READY && !sim_device_link_stopped(d)) {
			sim_device_forward(d, &pp->latch, 1, pp->command);
			pp->at = take_slot(pp, d, SIM_RATE_ECP, now);
			pp->phase = PH_ECP_TAKEN;
		}
		break;
	case PH_ECP_RELEASED:
		if (now >= pp->at)
			pp->phase = PH_IDLE;
		break;
	default:
		break;
	}
}

/* Data available in nibble or byte mode: nDataAvail low, AckDataReq high, XFlag as negotiated. */
static uint8_t data_avail(const struct sim_device *d)
{
	return ST_ACK | ST_PAPEROUT | (sim_device_xbyte(d) ? ST_SELECT : 0);
}

uint8_t sim_periph_status(struct sim_periph *pp, uint8_t idle)
{
	struct sim_device *d = sim_port_target(pp->port);
	gint64 now = g_get_monotonic_time();
	enum link link;

	advance(pp, now);
	if (!d || !sim_device_alive(d))
		return idle;
	link = link_of(d);
	switch (pp->phase) {
	case PH_NEG_WAIT:
	case PH_NEG_LATCHED:
		/* Event 2: PError, Select, nFault high, nAck low. */
		if (now < pp->at)
			return idle;
		return (idle & ST_BUSY) | ST_PAPEROUT | ST_SELECT | ST_ERROR;
	case PH_NEG_REJECTED:
		/* Events 5, 6: nAck high, XFlag the opposite of what accepting says. */
		return ST_BUSY | ST_ACK | ST_ERROR | (pp->xbyte == 0x00 ? ST_SELECT : 0);
	case PH_TERM_ACK:
		return idle & ~ST_ACK;
	case PH_REV_SHOW:
		if (now < pp->at)
			return link == LINK_ECP ? idle & ~ST_ERROR : data_avail(d);
		if (link == LINK_NIBBLE) {
			/* Events 8, 9: the nibble on nFault, Select, PError and Busy, nAck low. */
			uint8_t n = pp->high_nibble ? pp->rev >> 4 : pp->rev & 0x0f;

			return (uint8_t)((n & 0x07) << 3) | (n & 0x08 ? 0 : ST_BUSY);
		}
		if (link == LINK_BYTE)
			return data_avail(d) & ~ST_ACK;
		/* ECP event 43: nAck (PeriphClk) low, Busy (PeriphAck) high for data, PError low. */
		return ST_SELECT;
	case PH_IDLE:
	case PH_REV_IDLE:
		if (pp->rev_dev == d && (link == LINK_NIBBLE || link == LINK_BYTE))
			return data_avail(d);   /* between the two nibbles of a byte */
		if (pp->rev_dev == d && link == LINK_ECP)
			return idle & ~ST_ERROR;
		return idle;
	case PH_COMPAT_TAKEN:
	case PH_COMPAT_BUSY:
		return idle & ~ST_BUSY;
	case PH_COMPAT_ACK:
		/* The acknowledge pulse: whoever looks sees it once, then the printer is ready. */
		pp->phase = PH_IDLE;
		return idle & ~(ST_BUSY | ST_ACK);
	case PH_ECP_CLOCKED:
		return idle | ST_BUSY;
	case PH_ECP_TAKEN:
	case PH_ECP_RELEASED:
	case PH_EPP_WRITE:
	case PH_EPP_READ:
		return idle & ~ST_BUSY;
	default:
		return idle;
	}
}

uint8_t sim_periph_data(struct sim_periph *pp)
{
	struct sim_device *d = sim_port_target(pp->port);
	gint64 now = g_get_monotonic_time();

	advance(pp, now);
	if (d && pp->phase == PH_REV_SHOW && pp->rev_dev == d && now >= pp->at && link_of(d) != LINK_NIBBLE)
		return pp->rev;
	if (d && pp->phase == PH_EPP_READ && pp->rev_dev == d)
		return pp->rev;
	return 0xff;   /* nothing drives the lines: the pull-ups */
}

/* Events 4-6: the device accepts or rejects the request. */
static void request(struct sim_periph *pp, struct sim_device *d)
{
	const char *where = sim_device_location(d);

	if (sim_device_request(d, pp->xbyte) == SIM_NEGOT_OK) {
		sim_event(where, "negotiate %s accepted", request_name(pp->xbyte));
		pp->phase = PH_IDLE;
	} else {
		sim_event(where, "negotiate %s rejected", request_name(pp->xbyte));
		pp->phase = PH_NEG_REJECTED;
	}
}

/* Event 22: nSelectIn low ends the mode, whichever it is. */
static void terminate(struct sim_periph *pp, struct sim_device *d)
{
	give_back(pp);
	sim_device_terminate(d);
	sim_event(sim_device_location(d), "terminate");
	pp->phase = PH_TERM_ACK;
}

static void compat_control(struct sim_periph *pp, struct sim_device *d, uint8_t old, gint64 now)
{
	struct sim_port *p = pp->port;
	uint8_t ctl = p->control;

	if (!(old & CTL_STROBE) && (ctl & CTL_STROBE)) {
		/* nStrobe low: a ready printer latches the data lines. */
		if (pp->phase == PH_IDLE && !p->data_reverse && sim_device_compat_status(d) == STATUS_READY) {
			sim_device_forward(d, &p->data, 1, false);
			pp->phase = PH_COMPAT_TAKEN;
		}
	} else if ((old & CTL_STROBE) && !(ctl & CTL_STROBE) && pp->phase == PH_COMPAT_TAKEN) {
		pp->at = take_slot(pp, d, SIM_RATE_COMPAT, now);
		pp->phase = PH_COMPAT_BUSY;
	}
	if ((old & CTL_INIT) && !(ctl & CTL_INIT)) {
		/* nInit low: the printer resets its interface. */
		sim_device_reset(d);
		pp->phase = PH_IDLE;
	}
}

/* Nibble and byte mode: events 7-11 (and 14-17, whose strobe the device needs not). */
static void reverse_control(struct sim_periph *pp, struct sim_device *d, uint8_t old, gint64 now)
{
	uint8_t ctl = pp->port->control;
	enum link link = link_of(d);

	if (!(old & CTL_AUTOFD) && (ctl & CTL_AUTOFD) && pp->phase == PH_IDLE) {
		/* Event 7: HostBusy low. Nothing to send: reverse idle. */
		if (pp->rev_dev == d) {
			pp->at = now;   /* the second nibble is on its way at once */
			pp->phase = PH_REV_SHOW;
		} else if (take_reverse(pp, d)) {
			pp->at = take_slot(pp, d, link == LINK_NIBBLE ? SIM_RATE_NIBBLE : SIM_RATE_BYTE, now);
			pp->phase = PH_REV_SHOW;
		} else {
			pp->phase = PH_REV_IDLE;
		}
	} else if ((old & CTL_AUTOFD) && !(ctl & CTL_AUTOFD)) {
		/* Event 10 (or 20 from reverse idle): HostBusy high; event 11: nAck high. */
		if (pp->phase == PH_REV_SHOW && now >= pp->at) {
			if (link == LINK_NIBBLE && !pp->high_nibble)
				pp->high_nibble = true;
			else
				pp->rev_dev = NULL;   /* delivered */
		}
		if (pp->phase == PH_REV_SHOW || pp->phase == PH_REV_IDLE)
			pp->phase = PH_IDLE;
	}
}

static void ecp_control(struct sim_periph *pp, struct sim_device *d, uint8_t old, gint64 now)
{
	struct sim_port *p = pp->port;
	uint8_t ctl = p->control;

	if (sim_device_link_stopped(d))
		return;
	/* Event 39 (nInit low with HostAck low) reverses the bus: PError low (40);
	 * event 47 (nInit high) turns it forward: PError high (49). */
	if ((old & CTL_INIT) && !(ctl & CTL_INIT) && (ctl & CTL_AUTOFD) && !sim_device_ecp_reverse(d)) {
		sim_device_set_ecp_reverse(d, true);
		sim_event(sim_device_location(d), "direction reverse");
		pp->phase = PH_IDLE;
		return;
	}
	if (!(old & CTL_INIT) && (ctl & CTL_INIT) && sim_device_ecp_reverse(d)) {
		give_back(pp);
		sim_device_set_ecp_reverse(d, false);
		sim_event(sim_device_location(d), "direction forward");
		pp->phase = PH_IDLE;
		return;
	}
	if (!sim_device_ecp_reverse(d)) {
		if (!(old & CTL_STROBE) && (ctl & CTL_STROBE) && pp->phase == PH_IDLE && !p->data_reverse) {
			/* Event 34: HostClk low; HostAck low marks a command byte. */
			pp->latch = p->data;
			pp->command = (ctl & CTL_AUTOFD) != 0;
			pp->phase = PH_ECP_CLOCKED;
		} else if ((old & CTL_STROBE) && !(ctl & CTL_STROBE)) {
			/* Event 36: HostClk high. A byte not taken yet is not taken at all. */
			if (pp->phase == PH_ECP_TAKEN)
				pp->phase = PH_ECP_RELEASED;
			else if (pp->phase == PH_ECP_CLOCKED)
				pp->phase = PH_IDLE;
		}
		advance(pp, now);
		return;
	}
	/* Reverse, event 44: HostAck high takes the byte; nAck goes high (45). */
	if ((old & CTL_AUTOFD) && !(ctl & CTL_AUTOFD) && pp->phase == PH_REV_SHOW && now >= pp->at) {
		pp->rev_dev = NULL;
		pp->phase = PH_IDLE;
	}
	advance(pp, now);
}

/*
 * EPP data cycles as the kernel's software EPP runs them: nAutoFd (nDStrb)
 * low with nStrobe (nWrite) low writes (events 62, 58), with nWrite high
 * reads (67, 58); nDStrb high ends the cycle (63, 60). nInit low, then nInit
 * high with nSelectIn low terminates (events 68, 69). Address cycles
 * (nSelectIn as nAStrb) are not answered, and a cycle takes no model time:
 * the kernel polls only microseconds for each EPP answer.
 */
static void epp_control(struct sim_periph *pp, struct sim_device *d, uint8_t old)
{
	struct sim_port *p = pp->port;
	uint8_t ctl = p->control;

	if ((old & CTL_INIT) && !(ctl & CTL_INIT)) {
		give_back(pp);
		pp->phase = PH_EPP_END;   /* event 68 */
		return;
	}
	if (pp->phase == PH_EPP_END) {
		if ((ctl & CTL_INIT) && (ctl & CTL_SELECT)) {
			/* Event 69: back to compatibility mode. */
			sim_device_terminate(d);
			sim_event(sim_device_location(d), "terminate");
			pp->phase = PH_IDLE;
		}
		return;
	}
	if (!(old & CTL_AUTOFD) && (ctl & CTL_AUTOFD) && pp->phase == PH_IDLE && !sim_device_link_stopped(d)) {
		if ((ctl & CTL_STROBE) && !p->data_reverse) {
			if (sim_device_compat_status(d) == STATUS_READY) {
				sim_device_forward(d, &p->data, 1, false);
				pp->phase = PH_EPP_WRITE;
			}
		} else if (!(ctl & CTL_STROBE) && take_reverse(pp, d)) {
			pp->phase = PH_EPP_READ;
		}
	} else if ((old & CTL_AUTOFD) && !(ctl & CTL_AUTOFD)) {
		if (pp->phase == PH_EPP_READ)
			pp->rev_dev = NULL;   /* event 63: the host has the byte */
		if (pp->phase == PH_EPP_WRITE || pp->phase == PH_EPP_READ)
			pp->phase = PH_IDLE;
	}
}

void sim_periph_control(struct sim_periph *pp, uint8_t old)
{
	struct sim_port *p = pp->port;
	struct sim_device *d = sim_port_target(p);
	uint8_t ctl = p->control;
	gint64 now = g_get_monotonic_time();
	bool select_low = !(old & CTL_SELECT) && (ctl & CTL_SELECT);

	pp->kernel = false;
	advance(pp, now);
	if (!d || !sim_device_alive(d))
		return;

	switch (pp->phase) {
	case PH_NEG_WAIT:
	case PH_NEG_LATCHED:
		if (select_low) {
			pp->phase = PH_IDLE;   /* the host gave up waiting */
		} else if (pp->phase == PH_NEG_WAIT && !(old & CTL_STROBE) && (ctl & CTL_STROBE)) {
			/* Event 3: nStrobe low latches the request, once event 2 is shown. */
			if (now >= pp->at) {
				pp->xbyte = p->data;
				pp->phase = PH_NEG_LATCHED;
			}
		} else if (pp->phase == PH_NEG_LATCHED && !(ctl & (CTL_STROBE | CTL_AUTOFD))) {
			request(pp, d);   /* event 4: nStrobe and nAutoFd high */
		}
		return;
	case PH_TERM_ACK:
		if (!(old & CTL_AUTOFD) && (ctl & CTL_AUTOFD))
			pp->phase = PH_TERM_HOLD;   /* event 25 */
		return;
	case PH_TERM_HOLD:
		if ((old & CTL_AUTOFD) && !(ctl & CTL_AUTOFD))
			pp->phase = PH_IDLE;        /* event 28: compatibility forward idle */
		return;
	default:
		break;
	}

	/* EPP terminates its own way: nSelectIn is its address strobe. */
	if (link_of(d) == LINK_EPP) {
		epp_control(pp, d, old);
		return;
	}
	if (select_low && (sim_device_xbyte(d) >= 0 || pp->phase == PH_NEG_REJECTED)) {
		terminate(pp, d);
		return;
	}
	if (pp->phase == PH_NEG_REJECTED)
		return;

	switch (link_of(d)) {
	case LINK_COMPAT:
		/* Event 1: nSelectIn high and nAutoFd low, in whichever order. */
		if (!(ctl & CTL_SELECT) && (ctl & CTL_AUTOFD) && ((old & CTL_SELECT) || !(old & CTL_AUTOFD)) &&
		    pp->phase == PH_IDLE) {
			if (sim_device_answers_1284(d)) {
				pp->xbyte = p->data;
				pp->at = now + (gint64)sim_device_negotiation_delay(d) * 1000;
				pp->phase = PH_NEG_WAIT;
			}
			return;
		}
		compat_control(pp, d, old, now);
		break;
	case LINK_NIBBLE:
	case LINK_BYTE:
		if (!sim_device_link_stopped(d))
			reverse_control(pp, d, old, now);
		break;
	case LINK_ECP:
		ecp_control(pp, d, old, now);
		break;
	default:
		break;   /* the extensibility link: rejected at negotiation */
	}
}
