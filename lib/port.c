/*
 * port.c - port handles: allocate, free, waiters, lock and unlock
 *
 * The queue lives in the runtime directory (runtime.c); the hardware is
 * opened and the kernel claim taken only while this handle holds the port.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parclass-private.h"

#define TRY_SETUP_MS 500

_public_ int parclass_port_open(parclass_context *ctx, const char *location, parclass_port **out)
{
	int number, address, r;

	assert_return(ctx && location && out, -EINVAL);
	r = parclass_location_parse(location, &number, &address, NULL);
	if (r < 0)
		return r;
	return pc_port_open(ctx, number, out);
}

int pc_port_open(parclass_context *ctx, int number, parclass_port **out)
{
	parclass_port *port;
	int r;

	if (!pc_proc_port_exists(number))
		return -ENODEV;
	port = calloc(1, sizeof *port);
	if (!port)
		return -ENOMEM;
	port->ctx = parclass_context_ref(ctx);
	port->number = number;
	port->selected = PARCLASS_ADDRESS_END;
	snprintf(port->name, sizeof port->name, "parport%d", number);
	snprintf(port->location, sizeof port->location, "LPT%d", number + 1);
	for (int i = 0; i <= PC_MAX_CHAIN; i++)
		port->report_fd[i] = -1;
	r = pc_queue_open(ctx, number, &port->queue);
	if (r < 0) {
		parclass_context_unref(ctx);
		free(port);
		return r;
	}
	*out = port;
	return 0;
}

static void drop_bus(parclass_port *port)
{
	if (!port->hw)
		return;
	if (port->claimed)
		port->ctx->ops->release(port->hw);
	port->claimed = false;
	port->ctx->ops->close(port->hw);
	port->hw = NULL;
}

_public_ void parclass_port_close(parclass_port *port)
{
	if (!port)
		return;
	if (port->held)
		parclass_port_free(port);
	/* Our reports stay, as a publisher's that is gone. */
	for (int i = 0; i <= PC_MAX_CHAIN; i++)
		if (port->report_fd[i] >= 0)
			close(port->report_fd[i]);
	pc_queue_close(&port->queue);
	parclass_context_unref(port->ctx);
	free(port);
}

/* Open the port and take the kernel's claim, once we hold it. */
int pc_port_ensure_bus(parclass_port *port, int64_t deadline)
{
	const struct pc_port_ops *ops = port->ctx->ops;
	int r;

	if (!port->held)
		return -ENOLCK;
	if (!port->hw) {
		r = ops->open(port->ctx, port->number, deadline, &port->hw);
		if (r < 0)
			return r;
	}
	if (!port->claimed) {
		r = ops->claim(port->hw, deadline);
		if (r < 0)
			return r;
		port->claimed = true;
	}
	return 0;
}

/* We are at the head of the queue: take the bus, or step out again. */
static int take(parclass_port *port, int64_t deadline)
{
	int r;

	port->held = true;
	pc_queue_mark_held(&port->queue);
	r = pc_port_ensure_bus(port, deadline);
	if (r == -ETIMEDOUT && pc_proc_port_busy(port->number))
		r = -EBUSY;   /* a program outside parclass has the port */
	if (r < 0) {
		pc_dbg(port->ctx, "%s: cannot take the bus: %s", port->name, parclass_strerror(r));
		drop_bus(port);
		port->held = false;
		pc_queue_leave(&port->queue);
		return r;
	}
	pc_dbg(port->ctx, "%s: allocated", port->name);
	return 0;
}

static int allocate(parclass_port *port, const char *what, int address, int timeout_ms)
{
	int64_t deadline = pc_deadline(timeout_ms);
	int r;

	if (port->held)
		return -EALREADY;
	r = pc_queue_enter(&port->queue, what, address, false);
	if (r < 0)
		return r;
	r = pc_queue_wait(&port->queue, deadline);
	if (r < 0) {
		pc_queue_leave(&port->queue);
		return r;
	}
	/* The timeout is for the queue: the library's one-time set-up of the
	 * bus may take a moment even for a "try once". */
	if (timeout_ms >= 0 && deadline < pc_now_ms() + TRY_SETUP_MS)
		deadline = pc_now_ms() + TRY_SETUP_MS;
	return take(port, deadline);
}

_public_ int parclass_port_allocate(parclass_port *port, int timeout_ms)
{
	assert_return(port, -EINVAL);
	return allocate(port, "allocate", PARCLASS_ADDRESS_END, timeout_ms);
}

_public_ int parclass_port_try_allocate(parclass_port *port)
{
	int r;

	assert_return(port, -EINVAL);
	if (port->held)
		return -EALREADY;
	/* Nobody waits for anybody: not for a queue, not for an outside claimant. */
	if (pc_proc_port_busy(port->number))
		return -EBUSY;
	r = pc_queue_enter(&port->queue, "allocate", PARCLASS_ADDRESS_END, true);
	if (r < 0)
		return r;
	/* Only the library's one-time set-up may take a moment. */
	return take(port, pc_now_ms() + TRY_SETUP_MS);
}

_public_ int parclass_port_free(parclass_port *port)
{
	assert_return(port, -EINVAL);
	if (!port->held)
		return -ENOLCK;
	drop_bus(port);
	port->held = false;
	port->selected = PARCLASS_ADDRESS_END;
	pc_queue_leave(&port->queue);
	pc_dbg(port->ctx, "%s: freed", port->name);
	return 0;
}

/* Only a write to an eventfd: safe from any thread and from a signal handler. */
_public_ int parclass_port_cancel(parclass_port *port)
{
	assert_return(port, -EINVAL);
	return pc_queue_cancel(&port->queue);
}

_public_ int parclass_port_query_waiters(parclass_port *port, unsigned *waiters)
{
	pid_t holder;

	assert_return(port && waiters, -EINVAL);
	return pc_queue_state(&port->queue, &holder, waiters, NULL);
}

_public_ int parclass_port_get_holder(parclass_port *port, pid_t *pid)
{
	unsigned waiters;

	assert_return(port && pid, -EINVAL);
	return pc_queue_state(&port->queue, pid, &waiters, NULL);
}

_public_ int parclass_port_get_holder_since(parclass_port *port, pid_t *pid, parclass_usec *since_us)
{
	unsigned waiters;
	pid_t holder;
	int64_t since;
	int r;

	assert_return(port && pid, -EINVAL);
	r = pc_queue_state(&port->queue, &holder, &waiters, &since);
	if (r < 0)
		return r;
	*pid = holder;
	if (since_us)
		*since_us = since;
	return 0;
}

_public_ int parclass_port_get_queue_fd(parclass_port *port, int *fd)
{
	int r;

	assert_return(port && fd, -EINVAL);
	r = pc_queue_watch_fd(&port->queue);
	if (r < 0)
		return r;
	*fd = r;
	return 0;
}

_public_ int parclass_port_drain_queue_fd(parclass_port *port)
{
	assert_return(port, -EINVAL);
	return pc_queue_watch_drain(&port->queue);
}

_public_ int parclass_port_get_resources(parclass_port *port, unsigned long *base, unsigned long *base_hi, int *irq,
					 int *dma)
{
	unsigned long b, hi;
	int i, d, r;

	assert_return(port && base && base_hi && irq && dma, -EINVAL);
	r = pc_proc_port_resources(port->number, &b, &hi, &i, &d);
	if (r < 0)
		return r;
	*base = b;
	*base_hi = hi;
	*irq = i;
	*dma = d;
	return 0;
}

_public_ int parclass_port_is_free(parclass_port *port)
{
	pid_t holder;
	int r;

	assert_return(port, -EINVAL);
	r = parclass_port_get_holder(port, &holder);
	if (r < 0)
		return r;
	/* Free means free: also of a program outside parclass with the kernel's claim. */
	return holder == 0 && !pc_proc_port_busy(port->number);
}

_public_ int parclass_port_is_held(const parclass_port *port)
{
	return port && port->held;
}

/* A chain device some device handle has open is its alone: no port handle selects it. */
static bool chain_device_taken(parclass_port *port, int address)
{
	return address != PARCLASS_ADDRESS_END && pc_open_elsewhere(port->ctx, port->number, address);
}

int pc_port_lock(parclass_port *port, int address, int timeout_ms, enum parclass_lock_flags flags, bool exclusive)
{
	int r;

	if (exclusive && chain_device_taken(port, address))
		return -EBUSY;
	r = allocate(port, "lock", address, timeout_ms);
	if (r == 0 && exclusive && chain_device_taken(port, address)) {
		/* Opened while we waited. */
		parclass_port_free(port);
		return -EBUSY;
	}
	if (r < 0 || (flags & PARCLASS_LOCK_NO_SELECT))
		return r;
	r = pc_cpp_select(port->ctx->ops, port->hw, address, false);
	if (address == PARCLASS_ADDRESS_END) {
		/* No chain to deselect: the end device answers anyway. */
		port->chain = r == 0;
		r = 0;
	} else if (r < 0) {
		pc_info(port->ctx, "%s.%d does not answer the IEEE 1284.3 select", port->name, address);
		parclass_port_free(port);
		return -ENXIO;
	} else {
		port->chain = true;
	}
	port->selected = address;
	return 0;
}

/* The bus of a port this handle holds, for a CPP command. */
static int held_bus(parclass_port *port)
{
	if (!port->held)
		return -ENOLCK;
	return pc_port_ensure_bus(port, pc_now_ms() + 1000);
}

/* Select @address, or deselect the chain (PARCLASS_ADDRESS_END); the port stays held. */
static int chain_select(parclass_port *port, int address, bool ecp)
{
	int r = held_bus(port);

	if (r == 0)
		r = pc_cpp_select(port->ctx->ops, port->hw, address, ecp);
	if (r < 0)
		return r;
	if (address != PARCLASS_ADDRESS_END)
		port->chain = true;
	port->selected = address;
	return 0;
}

_public_ int parclass_port_select(parclass_port *port, int address, enum parclass_select_flags flags)
{
	assert_return(port, -EINVAL);
	assert_return(address >= 0 && address < PC_MAX_CHAIN, -EINVAL);
	assert_return(!(flags & ~PARCLASS_SELECT_ECP), -EINVAL);
	if (port->held && chain_device_taken(port, address))
		return -EBUSY;
	return chain_select(port, address, flags & PARCLASS_SELECT_ECP);
}

_public_ int parclass_port_deselect(parclass_port *port)
{
	assert_return(port, -EINVAL);
	return chain_select(port, PARCLASS_ADDRESS_END, false);
}

_public_ int parclass_port_get_lines(parclass_port *port, unsigned *lines)
{
	const struct pc_port_ops *ops;
	uint8_t st, ctl;
	int r;

	assert_return(port && lines, -EINVAL);
	r = held_bus(port);
	if (r < 0)
		return r;
	ops = port->ctx->ops;
	if (ops->read_status(port->hw, &st) < 0 || ops->read_control(port->hw, &ctl) < 0)
		return pc_proc_port_exists(port->number) ? -EIO : -ENODEV;
	/* Every line low with Busy high: what an unregistered port reads. */
	if (st == 0 && !pc_proc_port_exists(port->number))
		return -ENODEV;
	*lines = pc_lines_from_registers(st, ctl);
	return 0;
}

_public_ int parclass_port_init_chain(parclass_port *port, unsigned *count)
{
	int r;

	assert_return(port, -EINVAL);
	r = held_bus(port);
	if (r < 0)
		return r;
	r = pc_cpp_assign(port->ctx->ops, port->hw);
	port->chain = r > 0;
	port->selected = PARCLASS_ADDRESS_END;
	if (count)
		*count = (unsigned)r;
	return 0;
}

_public_ int parclass_port_lock(parclass_port *port, int address, int timeout_ms, enum parclass_lock_flags flags)
{
	assert_return(port, -EINVAL);
	assert_return(address == PARCLASS_ADDRESS_END || (address >= 0 && address < PC_MAX_CHAIN), -EINVAL);
	assert_return(!(flags & ~PARCLASS_LOCK_NO_SELECT), -EINVAL);
	return pc_port_lock(port, address, timeout_ms, flags, true);
}

_public_ int parclass_port_unlock(parclass_port *port, enum parclass_unlock_flags flags)
{
	assert_return(port, -EINVAL);
	assert_return(!(flags & ~PARCLASS_UNLOCK_NO_DESELECT), -EINVAL);
	if (!port->held)
		return -ENOLCK;
	if (!(flags & PARCLASS_UNLOCK_NO_DESELECT) && port->selected != PARCLASS_ADDRESS_END &&
	    pc_port_ensure_bus(port, pc_now_ms() + 1000) == 0)
		pc_cpp_select(port->ctx->ops, port->hw, PARCLASS_ADDRESS_END, false);
	return parclass_port_free(port);
}

_public_ int parclass_port_release_bus(parclass_port *port)
{
	assert_return(port, -EINVAL);
	if (!port->held)
		return -ENOLCK;
	drop_bus(port);
	return 0;
}
