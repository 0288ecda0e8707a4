/*
 * port.c - lines, IEEE 1284.3 daisy chain and negotiation of one emulated port
 *
 * The chain follows the CPP protocol as the Linux kernel drives it
 * (drivers/parport/daisy.c): chain devices watch the data lines for
 * AA 55 00 FF 87 78, answer on the status lines, then take one command byte
 * per nStrobe pulse (0..3 number the next device, 0x30 deselects all,
 * 0xE0/0xD0/0x20 + address select) until FF ends the packet.
 */
#include "config.h"

#include "port.h"

#include "peripheral.h"
#include "record.h"

#include <errno.h>
#include <linux/parport.h>

#define STATUS_NOT_CONNECTED 0x78  /* pull-ups only: all status lines high */

enum cpp_state { CPP_IDLE, CPP_AA, CPP_55, CPP_00, CPP_FF, CPP_87, CPP_CMD };

const char *sim_kernel_mode_name(int mode)
{
	static char buf[64];
	const char *base;
	int m = mode & ~(IEEE1284_DEVICEID | IEEE1284_ADDR | IEEE1284_EXT_LINK);

	switch (m) {
	case IEEE1284_MODE_NIBBLE: base = "nibble"; break;
	case IEEE1284_MODE_BYTE: base = "byte"; break;
	case IEEE1284_MODE_COMPAT: base = "compat"; break;
	case IEEE1284_MODE_BECP: base = "becp"; break;
	case IEEE1284_MODE_ECP: base = "ecp"; break;
	case IEEE1284_MODE_ECPRLE: base = "ecprle"; break;
	case IEEE1284_MODE_ECPSWE: base = "ecpswe"; break;
	case IEEE1284_MODE_EPP: base = "epp"; break;
	case IEEE1284_MODE_EPPSL: base = "eppsl"; break;
	case IEEE1284_MODE_EPPSWE: base = "eppswe"; break;
	default: base = "unknown"; break;
	}
	g_snprintf(buf, sizeof buf, "%s%s%s%s", base, (mode & IEEE1284_DEVICEID) ? "+deviceid" : "",
		   (mode & IEEE1284_EXT_LINK) ? "+extlink" : "", (mode & IEEE1284_ADDR) ? "+addr" : "");
	return buf;
}

/*
 * The resources parport_pc registers a port with. The first three are the
 * legacy ISA addresses; the ports after them sit on a PCI card. The interrupt
 * lines are the ones a PC's firmware assigns to those addresses.
 */
static void set_resources(struct sim_port *p)
{
	static const struct {
		unsigned long base, base_hi;
		int irq;
	} legacy[] = { { 0x378, 0x778, 7 }, { 0x278, 0x678, 5 }, { 0x3bc, 0x7bc, 7 } };
	const struct sim_port_model *m = p->model;

	if (p->index < G_N_ELEMENTS(legacy)) {
		p->base = legacy[p->index].base;
		p->base_hi = legacy[p->index].base_hi;
		p->irq = legacy[p->index].irq;
	} else {
		p->base = 0xd000 + 0x100ul * (p->index - G_N_ELEMENTS(legacy));
		p->base_hi = p->base + 0x400;
		p->irq = 16;
	}
	if (m->irq != SIM_PORT_DEFAULT)
		p->irq = m->irq;
	p->dma = m->dma;
	if (p->dma < 0 && (m->hw_modes & PARPORT_MODE_DMA))
		p->dma = 3;  /* "dma" in the list: the channel ECP ports usually have */

	/*
	 * parport_pc_probe_port(): every PC port is SPP and safe in interrupt
	 * context; ECP (always with COMPAT, its FIFO compatibility mode) only
	 * when the chip has a FIFO and the port an interrupt line, and DMA only
	 * on top of that; without them the DMA channel goes unused.
	 */
	p->modes = PARPORT_MODE_PCSPP | PARPORT_MODE_SAFEININT;
	p->modes |= m->hw_modes & (PARPORT_MODE_TRISTATE | PARPORT_MODE_EPP);
	if ((m->hw_modes & PARPORT_MODE_ECP) && p->irq >= 0) {
		p->modes |= PARPORT_MODE_ECP | PARPORT_MODE_COMPAT;
		if (p->dma >= 0)
			p->modes |= PARPORT_MODE_DMA;
	} else {
		p->dma = -1;
	}
}

struct sim_port *sim_port_new(unsigned index, struct sim_port_model *model, sim_device_notify notify,
			      void *notify_data)
{
	struct sim_port *p = g_new0(struct sim_port, 1);

	p->index = index;
	p->name = g_strdup_printf("parport%u", index);
	p->model = model;
	p->control = CTL_INIT | CTL_SELECT;
	p->selected = -1;
	p->cpp_result = -1;
	p->ieee_mode = IEEE1284_MODE_COMPAT;
	p->ieee_phase = SIM_PH_FWD_IDLE;
	g_queue_init(&p->waiters);
	p->periph = sim_periph_new(p);
	set_resources(p);

	if (model->end)
		p->end = sim_device_new(model->end, p->name, notify, notify_data);
	for (unsigned i = 0; i < model->n_chain; i++) {
		g_autofree char *loc = g_strdup_printf("%s.%u", p->name, i);

		p->chain[i] = sim_device_new(model->chain[i], loc, notify, notify_data);
		p->address[i] = model->chain_assigned ? (int)i : -1;
	}
	p->n_chain = model->n_chain;

	for (unsigned i = 0; i < model->faults->len; i++) {
		const struct sim_fault_model *f = g_ptr_array_index(model->faults, i);

		if (f->kind == SIM_FAULT_PORT_ABSENT)
			p->gone = true;  /* until ppdev.c makes it appear */
		if (f->kind == SIM_FAULT_PORT_GONE || f->kind == SIM_FAULT_PORT_ABSENT)
			continue;  /* ppdev.c: it is about the node, not a device */
		sim_device_add_fault(f->target < 0 ? p->end : p->chain[f->target], f);
	}
	return p;
}

void sim_port_free(struct sim_port *p)
{
	if (!p)
		return;
	sim_periph_free(p->periph);
	sim_device_free(p->end);
	for (unsigned i = 0; i < p->n_chain; i++)
		sim_device_free(p->chain[i]);
	g_queue_clear(&p->waiters);
	g_list_free(p->registered);
	g_free(p->name);
	g_free(p->node_path);
	g_free(p->proc_dir);
	g_free(p);
}

bool sim_paced(gint64 start, guint64 done, guint64 rate, gint64 now, guint64 *chunk, gint64 *next)
{
	guint64 allowed;

	if (!rate)
		return true;
	allowed = (guint64)(now - start) * rate / G_USEC_PER_SEC;
	allowed = allowed > done ? allowed - done : 0;
	if (!allowed) {
		*next = start + (gint64)((done + 1) * G_USEC_PER_SEC + rate - 1) / (gint64)rate;
		return false;
	}
	*chunk = MIN(*chunk, allowed);
	return true;
}

struct sim_device *sim_port_target(const struct sim_port *p)
{
	return p->selected >= 0 ? p->chain[p->selected] : p->end;
}

void sim_port_session_end(struct sim_port *p)
{
	if (p->end)
		sim_device_session_end(p->end);
	for (unsigned i = 0; i < p->n_chain; i++)
		sim_device_session_end(p->chain[i]);
}

/* ---- status lines ---- */

static bool is_ecp(int xbyte)
{
	return xbyte >= 0 && (xbyte & 0x10);
}

static uint8_t device_status(const struct sim_device *d)
{
	bool stopped;
	int xb;

	if (!d)
		return STATUS_NOT_CONNECTED;
	xb = sim_device_xbyte(d);
	/* A stopped link (a refuse fault): the device answers no handshake and
	 * offers no data. */
	stopped = sim_device_link_stopped(d);
	if (!sim_device_alive(d) || xb < 0)
		return sim_device_compat_status(d);
	if (xb == 0x40)
		return stopped ? sim_device_compat_status(d) & ~ST_BUSY : sim_device_compat_status(d);

	if (is_ecp(xb)) {
		/* PeriphAck (Busy) low when taking data, nAckReverse (PError) high
		 * when forward, nPeriphRequest (nFault) low when it has data. */
		uint8_t s = ST_ACK | ST_SELECT;

		if (!sim_device_ecp_reverse(d))
			s |= ST_PAPEROUT;
		if (!stopped && (sim_device_ecp_reverse(d) || sim_device_compat_status(d) == 0xd8))
			s |= ST_BUSY;
		if (stopped || !sim_device_has_reverse(d))
			s |= ST_ERROR;
		return s;
	}

	/* Nibble or byte reverse idle: nDataAvail (nFault) low and AckDataReq
	 * (PError) high while data waits; XFlag (Select) as negotiated. */
	{
		uint8_t s = ST_ACK;

		if (xb != 0x00)
			s |= ST_SELECT;
		s |= !stopped && sim_device_has_reverse(d) ? ST_PAPEROUT : ST_ERROR;
		return s;
	}
}

uint8_t sim_port_read_status(const struct sim_port *p)
{
	if (p->n_chain) {
		switch (p->cpp_state) {
		case CPP_FF:
			return ST_BUSY | ST_ACK | ST_PAPEROUT | ST_SELECT | ST_ERROR;
		case CPP_87:
			return ST_ACK | ST_SELECT | ST_ERROR;
		case CPP_CMD:
			if (p->cpp_result >= 0)
				return (uint8_t)p->cpp_result;
			if (p->cpp_cursor < p->n_chain) {
				/* Numbering: the next device shows PError and Select;
				 * Busy high means it is the last one in the chain. */
				uint8_t s = ST_ACK | ST_PAPEROUT | ST_SELECT | ST_ERROR;

				if (p->cpp_cursor + 1 < p->n_chain)
					s |= ST_BUSY;
				return s;
			}
			return device_status(p->end);
		default:
			break;
		}
	}
	return sim_periph_status(p->periph, device_status(sim_port_target(p)));
}

/* ---- data lines and the CPP decoder ---- */

void sim_port_write_data(struct sim_port *p, uint8_t v)
{
	static const uint8_t seq[] = { 0xaa, 0x55, 0x00, 0xff, 0x87, 0x78 };

	p->data = v;
	if (!p->n_chain)
		return;  /* no 1284.3 device listens */

	if (p->cpp_state == CPP_CMD) {
		if (v == 0xff)
			p->cpp_state = CPP_IDLE;
		return;  /* a command byte, taken at the next strobe */
	}
	if (p->cpp_state < CPP_CMD && v == seq[p->cpp_state]) {
		p->cpp_state++;
		if (p->cpp_state == CPP_CMD) {
			p->cpp_cursor = 0;
			p->cpp_result = -1;
		}
		return;
	}
	p->cpp_state = v == 0xaa ? CPP_AA : CPP_IDLE;
}

uint8_t sim_port_read_data(const struct sim_port *p)
{
	return p->data_reverse ? sim_periph_data(p->periph) : p->data;
}

void sim_port_data_dir(struct sim_port *p, bool reverse)
{
	p->data_reverse = reverse;
}

static void cpp_command(struct sim_port *p)
{
	uint8_t v = p->data;
	const uint8_t ok = ST_ACK | ST_SELECT | ST_ERROR, failed = ST_ACK | ST_SELECT;

	if (v < SIM_MAX_CHAIN) {
		if (p->cpp_cursor == 0) {
			/* A new numbering: every device forgets its address. */
			for (unsigned i = 0; i < p->n_chain; i++)
				p->address[i] = -1;
			p->selected = -1;
		}
		if (p->cpp_cursor < p->n_chain) {
			for (unsigned i = 0; i < p->n_chain; i++)
				if (p->address[i] == v)
					p->address[i] = -1;
			p->address[p->cpp_cursor] = v;
			sim_event(sim_device_location(p->chain[p->cpp_cursor]), "assign %u", v);
			p->cpp_cursor++;
		}
		p->cpp_result = ok;
	} else if (v == 0x30) {
		p->selected = -1;
		sim_event(p->name, "deselect-all");
		p->cpp_result = ok;
	} else if (((v & 0xf0) == 0xe0 || (v & 0xf0) == 0xd0 || (v & 0xf0) == 0x20) && (v & 0x0f) < SIM_MAX_CHAIN) {
		int addr = v & 0x0f;

		p->cpp_result = failed;
		for (unsigned i = 0; i < p->n_chain; i++)
			if (p->address[i] == addr) {
				p->selected = (int)i;
				sim_event(sim_device_location(p->chain[i]), (v & 0xf0) == 0xd0 ? "select ecp" : "select");
				p->cpp_result = ok;
			}
		if (p->cpp_result == failed)
			sim_event(p->name, "select %d failed", addr);
	} else {
		p->cpp_result = failed;
		sim_event(p->name, "cpp command 0x%02x unknown", v);
	}
}

static void control_changed(struct sim_port *p, uint8_t old)
{
	uint8_t now = p->control;

	if (!(old & CTL_STROBE) && (now & CTL_STROBE)) {
		if (p->n_chain && p->cpp_state == CPP_CMD) {
			cpp_command(p);
			return;
		}
		p->cpp_state = CPP_IDLE;
	} else if ((old & CTL_STROBE) && !(now & CTL_STROBE)) {
		p->cpp_result = -1;
	}
	/* The device answers the IEEE 1284 handshakes (peripheral.c). */
	sim_periph_control(p->periph, old);
}

void sim_port_write_control(struct sim_port *p, uint8_t v)
{
	uint8_t old = p->control;

	p->control = v & 0x0f;
	control_changed(p, old);
}

void sim_port_frob_control(struct sim_port *p, uint8_t mask, uint8_t val)
{
	sim_port_write_control(p, (uint8_t)((p->control & ~mask) ^ val));
}

uint8_t sim_port_read_control(const struct sim_port *p)
{
	/* parport_pc_read_control(): its soft copy of the four control lines. */
	return p->control & 0x0f;
}

/* ---- the kernel's IEEE 1284 negotiation (drivers/parport/ieee1284.c) ---- */

static void terminate(struct sim_port *p)
{
	struct sim_device *d = sim_port_target(p);

	if (d && sim_device_ecp_reverse(d))
		sim_port_ecp_forward(p);
	sim_periph_reset(p->periph);
	if (d)
		sim_device_terminate(d);
	p->control = (p->control & ~(CTL_AUTOFD | CTL_STROBE)) | CTL_SELECT | CTL_INIT;
	p->ieee_mode = IEEE1284_MODE_COMPAT;
	p->ieee_phase = SIM_PH_FWD_IDLE;
	sim_event(d ? sim_device_location(d) : p->name, "terminate");
}

int sim_port_negotiate(struct sim_port *p, int mode, int *delay_ms)
{
	struct sim_device *d;
	const char *where;
	int m = mode & ~IEEE1284_ADDR;
	enum sim_negot r;

	*delay_ms = 0;
	if (p->ieee_mode == mode)
		return 0;
	if ((p->ieee_mode & ~IEEE1284_ADDR) == (mode & ~IEEE1284_ADDR)) {
		p->ieee_mode = mode;
		return 0;
	}
	if (p->ieee_mode != IEEE1284_MODE_COMPAT)
		terminate(p);
	if (mode == IEEE1284_MODE_COMPAT)
		return 0;

	switch (mode) {
	case IEEE1284_MODE_ECPSWE:
		m = IEEE1284_MODE_ECP;
		break;
	case IEEE1284_MODE_EPPSL:
	case IEEE1284_MODE_EPPSWE:
		m = IEEE1284_MODE_EPP;
		break;
	case IEEE1284_MODE_BECP:
		return -ENOSYS;
	}
	if (mode & IEEE1284_EXT_LINK)
		m = 0x80;
	sim_periph_reset(p->periph);

	d = sim_port_target(p);
	where = d ? sim_device_location(d) : p->name;
	r = d ? sim_device_negotiate(d, (uint8_t)m) : SIM_NEGOT_NO_ANSWER;
	if (r == SIM_NEGOT_NO_ANSWER) {
		*delay_ms = SIM_NEGOTIATION_TIMEOUT_MS;
		p->ieee_phase = SIM_PH_FWD_IDLE;
		sim_event(where, "negotiate %s no-answer", sim_kernel_mode_name(mode));
		return -1;
	}
	*delay_ms = sim_device_negotiation_delay(d);
	if (r == SIM_NEGOT_REJECTED) {
		sim_event(where, "negotiate %s rejected", sim_kernel_mode_name(mode));
		terminate(p);
		return 1;
	}
	sim_event(where, "negotiate %s accepted", sim_kernel_mode_name(mode));
	p->ieee_mode = mode;
	p->control &= ~CTL_SELECT;  /* nSelectIn (1284Active) high */
	if (m & IEEE1284_MODE_ECP)
		p->ieee_phase = SIM_PH_FWD_IDLE;
	else if (mode == IEEE1284_MODE_NIBBLE || mode == IEEE1284_MODE_BYTE)
		p->ieee_phase = SIM_PH_REV_IDLE;
	else
		p->ieee_phase = SIM_PH_FWD_IDLE;
	return 0;
}

void sim_port_kernel_transfer(struct sim_port *p)
{
	sim_periph_reset(p->periph);
}

/* ecp_forward_to_reverse(): events 38 and 39, then wait for PError low (event 40). */
bool sim_port_ecp_reverse(struct sim_port *p)
{
	sim_port_frob_control(p, CTL_AUTOFD, CTL_AUTOFD);
	sim_port_data_dir(p, true);
	sim_port_frob_control(p, CTL_INIT, 0);
	/* The kernel, not a line-level client, moves the bytes from here. */
	sim_periph_reset(p->periph);
	if (sim_port_read_status(p) & ST_PAPEROUT) {
		p->ieee_phase = SIM_PH_ECP_DIR_UNKNOWN;
		return false;
	}
	p->ieee_phase = SIM_PH_REV_IDLE;
	return true;
}

/* ecp_reverse_to_forward(): event 47, then PError high (event 49). */
void sim_port_ecp_forward(struct sim_port *p)
{
	sim_port_frob_control(p, CTL_INIT | CTL_AUTOFD, CTL_INIT);
	sim_port_data_dir(p, false);
	p->ieee_phase = SIM_PH_FWD_IDLE;
}
