/*
 * device.c - device handles: exclusive open, lock, modes, IDs, reads and writes
 *
 * The link (the IEEE 1284 mode the device is in, and the ECP direction) is
 * tracked here and changed only when an operation needs another one: a
 * write puts the link in the negotiated forward mode, a read in the
 * negotiated reverse mode, a status query or reset in compatibility mode.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parclass-private.h"

#define WRITE_CHUNK 65536          /* per call, so that a cancel is seen soon */
#define WRITE_SLICE_MS 200         /* kernel inactivity timeout per call */
#define READ_POLL_MS 5
#define FRESH_ID_TIMEOUT_MS 2000
#define PROBE_MODES_MS 2000      /* the negotiations of a mode probe after the first */

struct parclass_device {
	parclass_context *ctx;
	parclass_port *port;
	int address;
	char name[24];
	char location[24];
	int open_fd;                /* the exclusive-open lock */

	int link;                   /* kernel mode the link is in (PC_M_*) */
	bool reverse;               /* ECP link turned around */
	unsigned modes;             /* port and device both do; 0 = not probed */
	unsigned write_mode, read_mode;
	int channel, sent_channel;  /* ECP write channel; the one the device last got */
	int read_channel;           /* ECP read address (channel) for reverse transfers */
};

static const struct pc_port_ops *ops_of(parclass_device *dev)
{
	return dev->ctx->ops;
}

static bool locked(parclass_device *dev)
{
	return dev->port->held;
}

_public_ int parclass_device_open(parclass_context *ctx, const char *location, parclass_device **out)
{
	enum parclass_location_flags flags;
	int number, address, r;

	assert_return(ctx && location && out, -EINVAL);
	r = parclass_location_parse(location, &number, &address, &flags);
	if (r < 0)
		return r;
	return parclass_device_open_at(ctx, number, address, flags, out);
}

_public_ int parclass_device_open_at(parclass_context *ctx, int number, int address,
				     enum parclass_location_flags flags, parclass_device **out)
{
	parclass_device *dev;
	int r;

	assert_return(ctx && out, -EINVAL);
	assert_return(number >= 0 && number < PC_MAX_PORTS, -EINVAL);
	assert_return(address == PARCLASS_ADDRESS_END || (address >= 0 && address < PC_MAX_CHAIN), -EINVAL);
	assert_return(!(flags & ~PARCLASS_LOCATION_BEHIND_CHAIN), -EINVAL);
	assert_return(!flags || address == PARCLASS_ADDRESS_END, -EINVAL);
	dev = calloc(1, sizeof *dev);
	if (!dev)
		return -ENOMEM;
	dev->ctx = parclass_context_ref(ctx);
	dev->address = address;
	dev->open_fd = -1;
	dev->link = PC_M_COMPAT;
	dev->write_mode = PARCLASS_MODE_CENTRONICS;
	dev->read_mode = PARCLASS_MODE_NIBBLE;
	dev->channel = dev->sent_channel = dev->read_channel = -1;
	pc_location_name(dev->name, sizeof dev->name, false, number, address, flags);
	pc_location_name(dev->location, sizeof dev->location, true, number, address, flags);
	r = pc_port_open(ctx, number, &dev->port);
	if (r < 0)
		goto fail;
	dev->open_fd = pc_open_lock(ctx, number, address);
	if (dev->open_fd < 0) {
		r = dev->open_fd;
		pc_dbg(ctx, "%s is open elsewhere", dev->location);
		goto fail;
	}
	*out = dev;
	return 0;

fail:
	parclass_device_close(dev);
	return r;
}

_public_ void parclass_device_close(parclass_device *dev)
{
	if (!dev)
		return;
	if (dev->port && locked(dev))
		parclass_device_unlock(dev, 0);
	parclass_port_close(dev->port);
	if (dev->open_fd >= 0)
		close(dev->open_fd);
	parclass_context_unref(dev->ctx);
	free(dev);
}

_public_ const char *parclass_device_get_location(const parclass_device *dev)
{
	return dev ? dev->location : NULL;
}

_public_ const char *parclass_device_get_name(const parclass_device *dev)
{
	return dev ? dev->name : NULL;
}

_public_ int parclass_device_get_address(const parclass_device *dev, int *address)
{
	assert_return(dev && address, -EINVAL);
	*address = dev->address;
	return 0;
}

_public_ parclass_port *parclass_device_get_port(parclass_device *dev)
{
	return dev ? dev->port : NULL;
}

_public_ int parclass_device_lock(parclass_device *dev, int timeout_ms, enum parclass_lock_flags flags)
{
	int r;

	assert_return(dev, -EINVAL);
	assert_return(!(flags & ~PARCLASS_LOCK_NO_SELECT), -EINVAL);
	r = pc_port_lock(dev->port, dev->address, timeout_ms, flags, false);
	if (r == 0) {
		/* Whoever had the port before left the device in compatibility mode. */
		dev->link = PC_M_COMPAT;
		dev->reverse = false;
		dev->sent_channel = -1;
	}
	return r;
}

_public_ int parclass_device_unlock(parclass_device *dev, enum parclass_unlock_flags flags)
{
	assert_return(dev, -EINVAL);
	assert_return(!(flags & ~PARCLASS_UNLOCK_NO_DESELECT), -EINVAL);
	if (!locked(dev))
		return -ENOLCK;
	parclass_device_terminate(dev);
	return parclass_port_unlock(dev->port, flags);
}

_public_ int parclass_device_cancel(parclass_device *dev)
{
	assert_return(dev, -EINVAL);
	return parclass_port_cancel(dev->port);
}

/* A failure on a port the kernel no longer has is -ENODEV, whatever it looked like. */
static int gone_or(parclass_device *dev, int r)
{
	return pc_proc_port_exists(dev->port->number) ? r : -ENODEV;
}

/* The bus, claimed, for an operation of a locked device. */
static int bus(parclass_device *dev, struct pc_hw **hw)
{
	int r;

	if (!locked(dev))
		return -ENOLCK;
	r = pc_port_ensure_bus(dev->port, pc_now_ms() + 2000);
	if (r < 0)
		return r;
	*hw = dev->port->hw;
	return 0;
}

/* ---- modes ---- */

/*
 * The negotiations of a mode probe, in order, and the modes each shows: the
 * kernel mode that does it by the port's hardware, and the one in software
 * (negotiated instead when the caller rules out the hardware modes).
 */
static const struct {
	unsigned modes, sw_modes;
	int kmode, sw_kmode;
} probe_order[] = {
	{ PARCLASS_MODE_NIBBLE, 0, PC_M_NIBBLE, PC_M_NIBBLE },
	{ PARCLASS_MODE_BYTE_BIDIR, 0, PC_M_BYTE, PC_M_BYTE },
	{ PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_SW, PARCLASS_MODE_ECP_SW,
	  PC_M_ECP, PC_M_ECPSWE },
	{ PARCLASS_MODE_EPP_HW | PARCLASS_MODE_EPP_SW, PARCLASS_MODE_EPP_SW, PC_M_EPP, PC_M_EPPSWE },
};

unsigned pc_probe_modes(parclass_context *ctx, const struct pc_port_ops *ops, struct pc_hw *hw, unsigned allowed,
			int64_t deadline)
{
	unsigned port = ops->port_modes(hw), m = PARCLASS_MODE_CENTRONICS;
	bool ieee = false, tried = false;

	ops->terminate(hw);
	for (size_t i = 0; i < sizeof probe_order / sizeof probe_order[0]; i++) {
		unsigned want = probe_order[i].modes & port & allowed;
		bool hw_allowed = probe_order[i].modes & ~probe_order[i].sw_modes & allowed;
		int kmode = hw_allowed ? probe_order[i].kmode : probe_order[i].sw_kmode;
		int r;

		if (!want)
			continue;
		if (tried && pc_now_ms() >= deadline)
			break;
		tried = true;
		r = ops->negotiate(hw, kmode);
		ops->terminate(hw);
		if (r == 0) {
			m |= want;
			ieee = true;
		} else if (r == -ENXIO && kmode != PC_M_NIBBLE) {
			ieee = true;   /* it answered: an IEEE 1284 device without this mode */
		} else if (!ieee) {
			/* No IEEE 1284 answer (nibble mode is every IEEE 1284
			 * device's): a Centronics printer, or nothing. */
			break;
		}
	}
	if (ieee)
		m |= PARCLASS_MODE_IEEE_COMPATIBILITY;
	pc_dbg(ctx, "modes: %#x (port %#x, tried %#x)", m, port, allowed);
	return m;
}

_public_ int parclass_device_get_modes(parclass_device *dev, unsigned *modes)
{
	struct pc_hw *hw;
	char text[16];
	int r;

	assert_return(dev && modes, -EINVAL);
	if (!dev->modes) {
		r = bus(dev, &hw);
		if (r < 0)
			return r;
		dev->modes = pc_probe_modes(dev->ctx, ops_of(dev), hw, ~0u, pc_now_ms() + PROBE_MODES_MS);
		dev->link = PC_M_COMPAT;
		snprintf(text, sizeof text, "%#x\n", dev->modes);
		pc_cache_store(dev->ctx, dev->port->number, dev->address, "modes", text, strlen(text));
	}
	*modes = dev->modes;
	return 0;
}

static const unsigned forward_order[] = {
	PARCLASS_MODE_ECP_HW_IRQ, PARCLASS_MODE_ECP_HW_NOIRQ, PARCLASS_MODE_EPP_HW, PARCLASS_MODE_ECP_SW,
	PARCLASS_MODE_EPP_SW, PARCLASS_MODE_IEEE_COMPATIBILITY, PARCLASS_MODE_CENTRONICS,
};
static const unsigned reverse_order[] = {
	PARCLASS_MODE_ECP_HW_IRQ, PARCLASS_MODE_ECP_HW_NOIRQ, PARCLASS_MODE_EPP_HW, PARCLASS_MODE_ECP_SW,
	PARCLASS_MODE_EPP_SW, PARCLASS_MODE_BYTE_BIDIR, PARCLASS_MODE_NIBBLE,
};

static unsigned pick(const unsigned *order, size_t n, unsigned possible)
{
	for (size_t i = 0; i < n; i++)
		if (possible & order[i])
			return order[i];
	return 0;
}

_public_ int parclass_device_negotiate(parclass_device *dev, unsigned write_mask, unsigned read_mask,
				       unsigned *write_mode, unsigned *read_mode)
{
	unsigned modes, w = 0, rd = 0;
	int r;

	assert_return(dev, -EINVAL);
	r = parclass_device_get_modes(dev, &modes);
	if (r < 0)
		return r;
	if (write_mask) {
		w = pick(forward_order, sizeof forward_order / sizeof forward_order[0], modes & write_mask);
		if (!w)
			return -ENOTSUP;
	}
	if (read_mask) {
		rd = pick(reverse_order, sizeof reverse_order / sizeof reverse_order[0], modes & read_mask);
		if (!rd)
			return -ENOTSUP;
	}
	if (w)
		dev->write_mode = w;
	if (rd)
		dev->read_mode = rd;
	pc_dbg(dev->ctx, "%s: write %s, read %s", dev->location, parclass_mode_name(dev->write_mode),
	       parclass_mode_name(dev->read_mode));
	if (write_mode)
		*write_mode = dev->write_mode;
	if (read_mode)
		*read_mode = dev->read_mode;
	return 0;
}

static int kernel_mode(unsigned mode)
{
	switch (mode) {
	case PARCLASS_MODE_NIBBLE: return PC_M_NIBBLE;
	case PARCLASS_MODE_BYTE_BIDIR: return PC_M_BYTE;
	case PARCLASS_MODE_ECP_HW_IRQ:
	case PARCLASS_MODE_ECP_HW_NOIRQ: return PC_M_ECP;
	case PARCLASS_MODE_ECP_SW: return PC_M_ECPSWE;
	case PARCLASS_MODE_EPP_HW: return PC_M_EPP;
	case PARCLASS_MODE_EPP_SW: return PC_M_EPPSWE;
	}
	return PC_M_COMPAT;
}

static bool is_ecp(int kmode)
{
	return kmode == PC_M_ECP || kmode == PC_M_ECPSWE;
}

/* Put the link in @kmode (forward for ECP). */
static int set_link(parclass_device *dev, struct pc_hw *hw, int kmode)
{
	int r;

	if (dev->link == kmode)
		return 0;
	if (dev->link != PC_M_COMPAT)
		ops_of(dev)->terminate(hw);
	dev->link = PC_M_COMPAT;
	dev->reverse = false;
	dev->sent_channel = -1;
	if (kmode == PC_M_COMPAT)
		return 0;
	/* IEEE 1284.3: a chain device that will talk ECP is selected with the
	 * ECP select command (in compatibility mode, before the negotiation). */
	if (is_ecp(kmode) && dev->address != PARCLASS_ADDRESS_END && dev->port->chain) {
		r = pc_cpp_select(ops_of(dev), hw, dev->address, true);
		if (r < 0)
			return gone_or(dev, r == -ENXIO ? -ENXIO : -EIO);
	}
	r = ops_of(dev)->negotiate(hw, kmode);
	if (r < 0) {
		pc_info(dev->ctx, "%s: negotiating %#x failed: %s", dev->location, (unsigned)kmode,
			parclass_strerror(r));
		ops_of(dev)->terminate(hw);
		return gone_or(dev, r == -ENXIO ? -ENOTSUP : -EIO);
	}
	dev->link = kmode;
	return 0;
}

/* The bus with the link back in compatibility mode, for the calls that work
 * on the lines themselves (IDs, status, reset, AUTOFEED, probing modes). */
static int compat_bus(parclass_device *dev, struct pc_hw **hw)
{
	int r = bus(dev, hw);

	if (r == 0)
		set_link(dev, *hw, PC_M_COMPAT);
	return r;
}

_public_ int parclass_device_get_current_mode(parclass_device *dev, unsigned *mode)
{
	assert_return(dev && mode, -EINVAL);
	switch (dev->link) {
	case PC_M_COMPAT: *mode = PARCLASS_MODE_CENTRONICS; break;
	case PC_M_NIBBLE: *mode = PARCLASS_MODE_NIBBLE; break;
	case PC_M_BYTE: *mode = PARCLASS_MODE_BYTE_BIDIR; break;
	case PC_M_ECP: *mode = (dev->modes & PARCLASS_MODE_ECP_HW_IRQ) ? PARCLASS_MODE_ECP_HW_IRQ
								       : PARCLASS_MODE_ECP_HW_NOIRQ; break;
	case PC_M_ECPSWE: *mode = PARCLASS_MODE_ECP_SW; break;
	case PC_M_EPP: *mode = PARCLASS_MODE_EPP_HW; break;
	default: *mode = PARCLASS_MODE_EPP_SW; break;
	}
	return 0;
}

/* Turn an ECP link around (events 38-40 to reverse, 47 and 49 back) unless it already is. */
static int turn(parclass_device *dev, struct pc_hw *hw, bool reverse)
{
	if (dev->reverse == reverse)
		return 0;
	if ((reverse ? ops_of(dev)->ecp_fwd_to_rev(hw) : ops_of(dev)->ecp_rev_to_fwd(hw)) < 0)
		return -EIO;
	dev->reverse = reverse;
	return 0;
}

static int set_direction(parclass_device *dev, bool reverse)
{
	struct pc_hw *hw;
	int r;

	r = bus(dev, &hw);
	if (r < 0)
		return r;
	if (!is_ecp(dev->link))
		return -ENOTSUP;
	return turn(dev, hw, reverse);
}

_public_ int parclass_device_fwd_to_rev(parclass_device *dev)
{
	assert_return(dev, -EINVAL);
	return set_direction(dev, true);
}

_public_ int parclass_device_rev_to_fwd(parclass_device *dev)
{
	assert_return(dev, -EINVAL);
	return set_direction(dev, false);
}

_public_ int parclass_device_terminate(parclass_device *dev)
{
	struct pc_hw *hw;
	int r;

	assert_return(dev, -EINVAL);
	r = bus(dev, &hw);
	if (r < 0)
		return r;
	return set_link(dev, hw, PC_M_COMPAT);
}

/* ---- device ID ---- */

/* The ID as raw bytes: fresh from the device, or what is known. */
static int raw_id(parclass_device *dev, enum parclass_id_flags flags, char **raw, size_t *len)
{
	int number = dev->port->number, r;
	char *text;

	if (flags & PARCLASS_ID_FRESH) {
		struct pc_hw *hw;

		r = compat_bus(dev, &hw);
		if (r < 0)
			return r;
		r = pc_read_fresh_id(dev->ctx, ops_of(dev), hw, pc_now_ms() + FRESH_ID_TIMEOUT_MS, raw, len);
		dev->link = PC_M_COMPAT;
		if (r == 0)
			pc_cache_store(dev->ctx, number, dev->address, "id", *raw, *len);
		return r;
	}
	*raw = pc_cache_load(dev->ctx, number, dev->address, "id", len);
	if (*raw)
		return 0;
	text = pc_proc_autoprobe(number, dev->address);
	if (!text)
		return -ENOENT;
	/* The kernel's cache has no length bytes: give it standard ones. */
	*len = strlen(text) + 2;
	*raw = malloc(*len + 1);
	if (!*raw) {
		free(text);
		return -ENOMEM;
	}
	(*raw)[0] = (char)(*len >> 8);
	(*raw)[1] = (char)(*len & 0xff);
	memcpy(*raw + 2, text, *len - 2);
	(*raw)[*len] = '\0';
	free(text);
	return 0;
}

_public_ int parclass_device_get_id(parclass_device *dev, enum parclass_id_flags flags, void *buf, size_t len,
				    size_t *size)
{
	parclass_device_id *parsed;
	size_t rawlen, need;
	char *raw;
	int r, text;

	assert_return(dev && size && (buf || !len), -EINVAL);
	assert_return(!(flags & ~(PARCLASS_ID_FRESH | PARCLASS_ID_RAW)), -EINVAL);
	r = raw_id(dev, flags, &raw, &rawlen);
	if (r < 0)
		return r;
	/* What we hand out must be a device ID. */
	r = parclass_device_id_parse_raw(raw, rawlen, &parsed);
	if (r < 0) {
		free(raw);
		return r == -ENOMEM ? r : -EPROTO;
	}
	parclass_device_id_free(parsed);
	text = pc_device_id_text_length((const uint8_t *)raw, rawlen);
	need = (flags & PARCLASS_ID_RAW) ? (size_t)text + 2 : (size_t)text;
	*size = need;
	if (!buf) {
		free(raw);
		return 0;
	}
	if (len < need + ((flags & PARCLASS_ID_RAW) ? 0 : 1)) {
		free(raw);
		return -ENOSPC;
	}
	if (flags & PARCLASS_ID_RAW) {
		memcpy(buf, raw, need);
	} else {
		memcpy(buf, raw + 2, need);
		((char *)buf)[need] = '\0';
	}
	free(raw);
	return 0;
}

_public_ int parclass_device_get_id_parsed(parclass_device *dev, enum parclass_id_flags flags,
					   parclass_device_id **out)
{
	size_t rawlen;
	char *raw;
	int r;

	assert_return(dev && out, -EINVAL);
	assert_return(!(flags & ~PARCLASS_ID_FRESH), -EINVAL);
	r = raw_id(dev, flags, &raw, &rawlen);
	if (r < 0)
		return r;
	r = parclass_device_id_parse_raw(raw, rawlen, out);
	free(raw);
	return r < 0 && r != -ENOMEM ? -EPROTO : r;
}

/* ---- I/O ---- */

static enum pc_xfer forward_xfer(int kmode, bool command)
{
	switch (kmode) {
	case PC_M_ECP: return command ? PC_XFER_ECP_ADDR : PC_XFER_ECP;
	case PC_M_ECPSWE: return command ? PC_XFER_ECPSW_ADDR : PC_XFER_ECPSW;
	case PC_M_EPP: return PC_XFER_EPP;
	case PC_M_EPPSWE: return PC_XFER_EPPSW;
	}
	return PC_XFER_COMPAT;
}

static enum pc_xfer reverse_xfer(int kmode)
{
	switch (kmode) {
	case PC_M_BYTE: return PC_XFER_BYTE;
	case PC_M_ECP: return PC_XFER_ECP;
	case PC_M_ECPSWE: return PC_XFER_ECPSW;
	case PC_M_EPP: return PC_XFER_EPP;
	case PC_M_EPPSWE: return PC_XFER_EPPSW;
	}
	return PC_XFER_NIBBLE;
}

/* The link ready to send: the forward mode, ECP turned forward, its channel set. */
/* An ECP channel address command, forward: the channel for what follows, both ways. */
static int send_channel(parclass_device *dev, struct pc_hw *hw, int kmode, int channel)
{
	uint8_t addr = (uint8_t)(0x80 | channel);

	if (ops_of(dev)->write(hw, forward_xfer(kmode, true), &addr, 1, WRITE_SLICE_MS) != 1)
		return -EIO;
	dev->sent_channel = channel;
	return 0;
}

static int ready_to_send(parclass_device *dev, struct pc_hw *hw)
{
	int kmode = kernel_mode(dev->write_mode), r;

	r = set_link(dev, hw, kmode);
	if (r < 0)
		return r;
	if (is_ecp(kmode)) {
		r = turn(dev, hw, false);
		if (r < 0)
			return r;
	}
	if (is_ecp(kmode) && dev->channel >= 0 && dev->channel != dev->sent_channel)
		return send_channel(dev, hw, kmode, dev->channel);
	return 0;
}

static int write_locked(parclass_device *dev, const void *buf, size_t len, int timeout_ms, size_t *written)
{
	const char *p = buf;
	struct pc_hw *hw;
	size_t done = 0;
	int64_t deadline;
	int r;

	r = bus(dev, &hw);
	if (r < 0)
		return r;
	r = ready_to_send(dev, hw);
	if (r < 0)
		return r;
	deadline = pc_deadline(timeout_ms);
	while (done < len) {
		int left = pc_remaining(deadline);
		int slice = left < 0 || left > WRITE_SLICE_MS ? WRITE_SLICE_MS : left;
		size_t n = len - done > WRITE_CHUNK ? WRITE_CHUNK : len - done;
		ssize_t w;

		if (pc_queue_cancelled(&dev->port->queue)) {
			r = -ECANCELED;
			break;
		}
		w = ops_of(dev)->write(hw, forward_xfer(dev->link, false), p + done, n, slice);

		if (w > 0) {
			done += (size_t)w;
			deadline = pc_deadline(timeout_ms);   /* the timeout counts inactivity */
		} else if (w < 0 && w != -EAGAIN && w != -EINTR) {
			r = w == -ENODEV ? -ENODEV : -EIO;
			break;
		}
		if (w == -EINTR) {
			r = -EINTR;
			break;
		}
		if (w <= 0) {
			if (pc_now_ms() >= deadline) {
				r = -ETIMEDOUT;
				break;
			}
			/* A printer that is out of paper or off line refuses at once: wait a little. */
			pc_sleep_ms(10);
		}
	}
	if (written)
		*written = done;
	if (done < len && (r == -ETIMEDOUT || r == -EIO))
		r = gone_or(dev, r);
	return done == len ? 0 : r;
}

/*
 * "Reading and Writing a Parallel Device": a client need not lock the port.
 * A transfer (or a caps probe) on a device whose port this handle does not
 * hold waits for it in the queue like any request, within the call's
 * timeout, and frees it again afterwards (deselecting a chain device); one
 * that holds it keeps it.
 * @return 1 when the port was taken for the transfer (unlock after it), 0
 * when the handle holds it already, or the lock's error.
 */
static int lock_for_transfer(parclass_device *dev, int timeout_ms)
{
	int r;

	if (locked(dev))
		return 0;
	r = parclass_device_lock(dev, timeout_ms, 0);
	return r < 0 ? r : 1;
}

static int read_locked(parclass_device *dev, void *buf, size_t len, int timeout_ms, size_t *got)
{
	struct pc_hw *hw;
	int64_t deadline = pc_deadline(timeout_ms);
	int kmode, r;

	r = bus(dev, &hw);
	if (r < 0)
		return r;
	kmode = kernel_mode(dev->read_mode);
	r = set_link(dev, hw, kmode);
	if (r < 0)
		return r;
	/* SET_READ_ADDRESS: the read channel goes forward before the turn. */
	if (is_ecp(kmode) && dev->read_channel >= 0 && dev->read_channel != dev->sent_channel) {
		r = turn(dev, hw, false);
		if (r == 0)
			r = send_channel(dev, hw, kmode, dev->read_channel);
		if (r < 0)
			return r;
	}
	if (is_ecp(kmode)) {
		r = turn(dev, hw, true);
		if (r < 0)
			return r;
	}
	for (;;) {
		ssize_t n;

		if (pc_queue_cancelled(&dev->port->queue))
			return -ECANCELED;
		n = len ? ops_of(dev)->read(hw, reverse_xfer(kmode), buf, len) : 0;

		if (n > 0) {
			if (got)
				*got = (size_t)n;
			return 0;
		}
		if (n < 0 && n != -EAGAIN)
			return n == -EINTR || n == -ENODEV ? (int)n : -EIO;
		if (!len || pc_now_ms() >= deadline)
			return 0;
		pc_sleep_ms(READ_POLL_MS);
	}
}

/*
 * One read (@reverse, into @in) or write (from @out) on the port the caller
 * holds, or on one taken for this call only and freed after it.
 */
static int transfer(parclass_device *dev, bool reverse, const void *out, void *in, size_t len, int timeout_ms,
		    size_t *done)
{
	int taken, r;

	assert_return(dev && (len == 0 || (reverse ? in != NULL : out != NULL)), -EINVAL);
	if (done)
		*done = 0;
	taken = lock_for_transfer(dev, timeout_ms);
	if (taken < 0)
		return taken;
	r = reverse ? read_locked(dev, in, len, timeout_ms, done) : write_locked(dev, out, len, timeout_ms, done);
	if (taken)
		parclass_device_unlock(dev, 0);
	return r;
}

_public_ int parclass_device_write(parclass_device *dev, const void *buf, size_t len, int timeout_ms,
				   size_t *written)
{
	return transfer(dev, false, buf, NULL, len, timeout_ms, written);
}

_public_ int parclass_device_read(parclass_device *dev, void *buf, size_t len, int timeout_ms, size_t *got)
{
	return transfer(dev, true, NULL, buf, len, timeout_ms, got);
}

_public_ int parclass_device_reverse_pending(parclass_device *dev)
{
	struct pc_hw *hw;
	uint8_t st;
	int r;

	assert_return(dev, -EINVAL);
	r = bus(dev, &hw);
	if (r < 0)
		return r;
	if (!is_ecp(dev->link) && dev->link != PC_M_NIBBLE && dev->link != PC_M_BYTE)
		return -ENOTSUP;
	if (ops_of(dev)->read_status(hw, &st) < 0)
		return -EIO;
	return (st & PC_ST_ERROR) ? 0 : 1;
}

_public_ int parclass_device_set_read_channel(parclass_device *dev, int channel)
{
	assert_return(dev, -EINVAL);
	assert_return(channel >= -1 && channel <= 127, -EINVAL);
	if (!locked(dev))
		return -ENOLCK;
	dev->read_channel = channel;
	return 0;
}

_public_ int parclass_device_get_default_modes(parclass_device *dev, unsigned *forward, unsigned *reverse)
{
	assert_return(dev && forward && reverse, -EINVAL);
	/* What a transfer uses before any negotiation: IEEE 1284's defaults. */
	*forward = PARCLASS_MODE_CENTRONICS;
	*reverse = PARCLASS_MODE_NIBBLE;
	return 0;
}

/*
 * PAR_GET_DEVICE_CAPS: negotiate each mode the masks leave, every time (the
 * answer is not cached: the caller may ask again with other masks), and
 * never one they rule out. A mode is tried when either direction may use it.
 */
_public_ int parclass_device_get_caps(parclass_device *dev, unsigned must_not_read, unsigned must_not_write,
				      int timeout_ms, unsigned *read_modes, unsigned *write_modes)
{
	unsigned may_read = PARCLASS_MODES_REVERSE & ~must_not_read;
	unsigned may_write = PARCLASS_MODES_FORWARD & ~must_not_write;
	struct pc_hw *hw;
	unsigned m;
	int taken, r;

	assert_return(dev && read_modes && write_modes, -EINVAL);
	assert_return(!(must_not_read & ~PARCLASS_MODES_REVERSE), -EINVAL);
	assert_return(!(must_not_write & ~PARCLASS_MODES_FORWARD), -EINVAL);
	taken = lock_for_transfer(dev, timeout_ms);
	if (taken < 0)
		return taken;
	r = compat_bus(dev, &hw);
	if (r == 0) {
		m = pc_probe_modes(dev->ctx, ops_of(dev), hw, may_read | may_write, pc_now_ms() + PROBE_MODES_MS);
		*read_modes = m & may_read;
		*write_modes = m & may_write;
	}
	if (taken)
		parclass_device_unlock(dev, 0);
	return r;
}

_public_ int parclass_device_set_write_channel(parclass_device *dev, int channel)
{
	assert_return(dev, -EINVAL);
	assert_return(channel >= -1 && channel <= 127, -EINVAL);
	if (!locked(dev))
		return -ENOLCK;
	dev->channel = channel;
	return 0;
}

_public_ int parclass_device_get_lines(parclass_device *dev, unsigned *lines)
{
	struct pc_hw *hw;
	uint8_t st, ctl;
	int r;

	assert_return(dev && lines, -EINVAL);
	r = compat_bus(dev, &hw);
	if (r < 0)
		return r;
	if (ops_of(dev)->read_status(hw, &st) < 0 || ops_of(dev)->read_control(hw, &ctl) < 0)
		return gone_or(dev, -EIO);
	/* Every line low with Busy high: what an unregistered port reads. */
	if (st == 0 && !pc_proc_port_exists(dev->port->number))
		return -ENODEV;
	*lines = pc_lines_from_registers(st, ctl);
	return 0;
}

_public_ int parclass_device_get_status(parclass_device *dev, unsigned *status)
{
	unsigned lines;
	int r;

	assert_return(dev && status, -EINVAL);
	r = parclass_device_get_lines(dev, &lines);
	if (r < 0)
		return r;
	*status = parclass_status_from_lines(lines);
	return 0;
}

_public_ int parclass_device_set_autofeed(parclass_device *dev, int on)
{
	struct pc_hw *hw;
	int r;

	assert_return(dev, -EINVAL);
	r = compat_bus(dev, &hw);
	if (r < 0)
		return r;
	/* PAR_SET_INFORMATION's AUTOFEED: nAutoFd low while it is on. */
	if (ops_of(dev)->frob_control(hw, PC_CTL_AUTOFD, on ? PC_CTL_AUTOFD : 0) < 0)
		return gone_or(dev, -EIO);
	return 0;
}

_public_ int parclass_device_reset(parclass_device *dev)
{
	struct pc_hw *hw;
	int r;

	assert_return(dev, -EINVAL);
	r = compat_bus(dev, &hw);
	if (r < 0)
		return r;
	/* IEEE 1284: nInit low for at least 50 us resets the printer. */
	ops_of(dev)->frob_control(hw, PC_CTL_INIT, 0);
	pc_sleep_ms(1);
	ops_of(dev)->frob_control(hw, PC_CTL_INIT, PC_CTL_INIT);
	return 0;
}

_public_ int parclass_device_get_interrupt_fd(parclass_device *dev, int *fd)
{
	struct pc_hw *hw;
	int r;

	assert_return(dev && fd, -EINVAL);
	r = bus(dev, &hw);
	if (r < 0)
		return r;
	r = ops_of(dev)->interrupt_fd(hw);
	if (r < 0)
		return r;
	*fd = r;
	return 0;
}
