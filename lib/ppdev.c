/*
 * ppdev.c - the hardware operations over libieee1284 on Linux's ppdev
 *
 * The only file that includes ieee1284.h, and the one place where
 * libieee1284's E1284_* codes become errno values (translate()).
 *
 * Two libieee1284 habits are tamed here:
 *   - ieee1284_find_ports() claims /dev/parport0 once per process to probe
 *     the system, and that claim sleeps while another process holds the
 *     port. It runs in a thread of its own; callers wait for it only until
 *     their deadline.
 *   - When ppdev cannot be set up, libieee1284 silently falls back to raw
 *     I/O (ioperm or /dev/port) if the process may. parclass refuses such a
 *     port: only a ppdev port passes open().
 */
#include "config.h"

#include <fcntl.h>
#include <ieee1284.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "parclass-private.h"

#define BUS_WAIT_POLL_MS 5

struct pc_hw {
	parclass_context *ctx;
	struct parport *port;
	int number;
	int caps;       /* CAP1284_* */
	int fd;         /* the ppdev fd libieee1284 uses */
	bool claimed;
	bool nonblock;  /* a non-blocking read may have left O_NONBLOCK set */
	int timeout_ms; /* the kernel's write timeout as last set, -1 unknown */
};

/* ---- errors: E1284_* to errno, here only ---- */

static int translate(int e1284, int saved_errno)
{
	switch (e1284) {
	case E1284_OK: return 0;
	case E1284_NOTIMPL: return -ENOTSUP;
	case E1284_NOTAVAIL: return -ENOTSUP;
	case E1284_TIMEDOUT: return -ETIMEDOUT;
	case E1284_REJECTED: return -ENXIO;
	case E1284_NEGFAILED: return -EIO;
	case E1284_NOMEM: return -ENOMEM;
	case E1284_INIT: return saved_errno == EACCES || saved_errno == EPERM ? -EACCES : -ENODEV;
	case E1284_SYS: return saved_errno ? -saved_errno : -EIO;
	case E1284_NOID: return -ENOENT;
	case E1284_INVALIDPORT: return -EBUSY;
	}
	return -EIO;
}

/* ---- the process's libieee1284 port list ---- */

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t list_cond;
static pthread_once_t list_once = PTHREAD_ONCE_INIT;
static enum { LIST_NONE, LIST_RUNNING, LIST_DONE } list_state;
static int list_result;
static struct parport_list list;

/* A forked child has no probing thread: it starts its own if it needs one. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&list_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&list_lock);
}

/*
 * A forked child has no probing thread, and the ports it inherited are open
 * in the parent's name (libieee1284 would refuse to open them again): it
 * makes a list of its own when it needs one. The inherited one is kept
 * reachable, not freed: it is the parent's.
 */
static struct parport_list *volatile inherited;  /* volatile: never read, must be stored */

static void fork_child(void)
{
	static struct parport_list copy;

	if (list_state == LIST_DONE) {
		copy = list;
		inherited = &copy;
	}
	list.portc = 0;
	list.portv = NULL;
	list_state = LIST_NONE;
	pthread_mutex_unlock(&list_lock);
}

static void list_cond_init(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&list_cond, &a);
	pthread_condattr_destroy(&a);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static void *find_ports_thread(void *unused)
{
	struct parport_list l = { 0, NULL };
	int r = ieee1284_find_ports(&l, 0);

	pthread_mutex_lock(&list_lock);
	list = l;
	list_result = r;
	list_state = LIST_DONE;
	pthread_cond_broadcast(&list_cond);
	pthread_mutex_unlock(&list_lock);
	return NULL;
}

static int port_list(parclass_context *ctx, int64_t deadline)
{
	int r = 0;

	pthread_once(&list_once, list_cond_init);
	pthread_mutex_lock(&list_lock);
	if (list_state == LIST_NONE) {
		pthread_t t;
		pthread_attr_t attr;
		sigset_t all, old;

		/* The thread takes no signals: they stay with the application. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, find_ports_thread, NULL) == 0)
			list_state = LIST_RUNNING;
		else
			r = -EAGAIN;
		pthread_attr_destroy(&attr);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	while (r == 0 && list_state != LIST_DONE) {
		struct timespec ts;
		int64_t when = deadline == INT64_MAX ? pc_now_ms() + 3600000 : deadline;

		ts.tv_sec = when / 1000;
		ts.tv_nsec = (long)(when % 1000) * 1000000;
		if (pthread_cond_timedwait(&list_cond, &list_lock, &ts) == ETIMEDOUT && pc_now_ms() >= deadline) {
			pc_dbg(ctx, "libieee1284 is still probing (another process holds /dev/parport0)");
			r = -ETIMEDOUT;
		}
	}
	if (r == 0 && list_result != E1284_OK)
		r = translate(list_result, 0);
	pthread_mutex_unlock(&list_lock);
	return r;
}

static struct parport *find_port(int number)
{
	char name[16];

	snprintf(name, sizeof name, "parport%d", number);
	for (int i = 0; i < list.portc; i++)
		if (!strcmp(list.portv[i]->name, name))
			return list.portv[i];
	return NULL;
}

/* ---- open, claim ---- */

static int hw_open(parclass_context *ctx, int number, int64_t deadline, struct pc_hw **out)
{
	char node[32];
	struct pc_hw *hw;
	int fd, r;

	/* ppdev must work for us, or libieee1284 would reach for raw I/O. */
	snprintf(node, sizeof node, "/dev/parport%d", number);
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = errno == EACCES || errno == EPERM ? -EACCES : -ENODEV;
		pc_dbg(ctx, "%s: %s", node, parclass_strerror(-errno));
		return r;
	}
	close(fd);

	r = port_list(ctx, deadline);
	if (r < 0)
		return r;
	hw = calloc(1, sizeof *hw);
	if (!hw)
		return -ENOMEM;
	hw->ctx = ctx;
	hw->timeout_ms = -1;
	hw->number = number;
	hw->port = find_port(number);
	if (!hw->port) {
		free(hw);
		return -ENODEV;
	}
	r = ieee1284_open(hw->port, 0, &hw->caps);
	if (r != E1284_OK) {
		int e = errno;

		free(hw);
		pc_dbg(ctx, "ieee1284_open(%s): %d", node, r);
		return translate(r, e);
	}
	hw->fd = ieee1284_get_irq_fd(hw->port);
	if (hw->fd < 0) {
		pc_err(ctx, "libieee1284 would use raw I/O for %s; parclass only uses ppdev", node);
		ieee1284_close(hw->port);
		free(hw);
		return -EPERM;
	}
	*out = hw;
	return 0;
}

static void hw_close(struct pc_hw *hw)
{
	if (!hw)
		return;
	if (hw->claimed)
		ieee1284_release(hw->port);
	ieee1284_close(hw->port);
	free(hw);
}

static int hw_claim(struct pc_hw *hw, int64_t deadline)
{
	int r;

	/* PPCLAIM sleeps while another program has the port: wait for it here,
	 * where a deadline can end the wait. */
	while (pc_proc_port_busy(hw->number)) {
		if (pc_now_ms() >= deadline) {
			pc_info(hw->ctx, "parport%d: a program outside parclass keeps the port", hw->number);
			return -EBUSY;
		}
		pc_sleep_ms(BUS_WAIT_POLL_MS);
	}
	r = ieee1284_claim(hw->port);
	if (r != E1284_OK)
		return translate(r, errno);
	hw->claimed = true;
	return 0;
}

static void hw_release(struct pc_hw *hw)
{
	if (hw->claimed)
		ieee1284_release(hw->port);
	hw->claimed = false;
}

static unsigned hw_port_modes(struct pc_hw *hw)
{
	return pc_port_modes_from_caps(hw->caps & CAP1284_RAW, hw->caps & CAP1284_BYTE, hw->caps & CAP1284_EPP,
				       hw->caps & CAP1284_ECP, hw->caps & CAP1284_IRQ);
}

static int hw_interrupt_fd(struct pc_hw *hw)
{
	return (hw->caps & CAP1284_IRQ) ? hw->fd : -ENOTSUP;
}

/* ---- line level, in PC register terms ---- */

static int hw_read_status(struct pc_hw *hw, uint8_t *reg)
{
	int s = ieee1284_read_status(hw->port);

	if (s < 0)
		return translate(s, errno);
	*reg = (uint8_t)(s ^ S1284_INVERTED);
	return 0;
}

static int hw_read_control(struct pc_hw *hw, uint8_t *reg)
{
	int c = ieee1284_read_control(hw->port);

	if (c < 0)
		return translate(c, errno);
	*reg = (uint8_t)(c ^ C1284_INVERTED);
	return 0;
}

static int hw_frob_control(struct pc_hw *hw, uint8_t mask, uint8_t val)
{
	/* libieee1284 speaks line levels; undo the register's inversions. */
	ieee1284_frob_control(hw->port, mask, (uint8_t)(val ^ (mask & C1284_INVERTED)));
	return 0;
}

static int hw_write_data(struct pc_hw *hw, uint8_t v)
{
	ieee1284_write_data(hw->port, v);
	return 0;
}

static int hw_data_dir(struct pc_hw *hw, bool reverse)
{
	int r = ieee1284_data_dir(hw->port, reverse);

	return translate(r, errno);
}

/* ---- IEEE 1284 ---- */

static int hw_negotiate(struct pc_hw *hw, int mode)
{
	int r = ieee1284_negotiate(hw->port, mode);

	return translate(r, errno);
}

static void hw_terminate(struct pc_hw *hw)
{
	ieee1284_terminate(hw->port);
}

static int hw_ecp_fwd_to_rev(struct pc_hw *hw)
{
	int r = ieee1284_ecp_fwd_to_rev(hw->port);

	return translate(r, errno);
}

static int hw_ecp_rev_to_fwd(struct pc_hw *hw)
{
	int r = ieee1284_ecp_rev_to_fwd(hw->port);

	return translate(r, errno);
}

/* libieee1284 sets O_NONBLOCK for F1284_NONBLOCK and never clears it. */
static void blocking(struct pc_hw *hw)
{
	int fl;

	if (!hw->nonblock)
		return;
	fl = fcntl(hw->fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		fcntl(hw->fd, F_SETFL, fl & ~O_NONBLOCK);
	hw->nonblock = false;
}

static ssize_t result(ssize_t r, int e)
{
	if (r >= 0)
		return r;
	if (r == E1284_SYS && (e == EAGAIN || e == EINTR || e == ENODEV))
		return -e;
	if (r == E1284_TIMEDOUT)
		return -EAGAIN;
	return translate((int)r, e);
}

static ssize_t hw_write(struct pc_hw *hw, enum pc_xfer how, const void *buf, size_t len, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	ssize_t r;
	int e;

	if (timeout_ms <= 0)
		tv.tv_usec = 4000;   /* one jiffy: the least the kernel knows */
	blocking(hw);
	/* A round trip to the kernel: only when the timeout changes. */
	if (timeout_ms != hw->timeout_ms) {
		ieee1284_set_timeout(hw->port, &tv);
		hw->timeout_ms = timeout_ms;
	}
	switch (how) {
	case PC_XFER_COMPAT: r = ieee1284_compat_write(hw->port, 0, buf, len); break;
	case PC_XFER_ECP: r = ieee1284_ecp_write_data(hw->port, 0, buf, len); break;
	case PC_XFER_ECP_ADDR: r = ieee1284_ecp_write_addr(hw->port, 0, buf, len); break;
	case PC_XFER_ECPSW: r = ieee1284_ecp_write_data(hw->port, F1284_SWE, buf, len); break;
	case PC_XFER_ECPSW_ADDR: r = ieee1284_ecp_write_addr(hw->port, F1284_SWE, buf, len); break;
	case PC_XFER_EPP: r = ieee1284_epp_write_data(hw->port, 0, buf, len); break;
	case PC_XFER_EPPSW: r = ieee1284_epp_write_data(hw->port, F1284_SWE, buf, len); break;
	default: return -EINVAL;
	}
	e = errno;
	return result(r, e);
}

static ssize_t hw_read(struct pc_hw *hw, enum pc_xfer how, void *buf, size_t len)
{
	ssize_t r;
	int e;

	hw->nonblock = true;
	switch (how) {
	case PC_XFER_NIBBLE: r = ieee1284_nibble_read(hw->port, F1284_NONBLOCK, buf, len); break;
	case PC_XFER_BYTE: r = ieee1284_byte_read(hw->port, F1284_NONBLOCK, buf, len); break;
	case PC_XFER_ECP: r = ieee1284_ecp_read_data(hw->port, F1284_NONBLOCK, buf, len); break;
	case PC_XFER_ECPSW: r = ieee1284_ecp_read_data(hw->port, F1284_NONBLOCK | F1284_SWE, buf, len); break;
	case PC_XFER_EPP: r = ieee1284_epp_read_data(hw->port, F1284_NONBLOCK, buf, len); break;
	case PC_XFER_EPPSW: r = ieee1284_epp_read_data(hw->port, F1284_NONBLOCK | F1284_SWE, buf, len); break;
	default: return -EINVAL;
	}
	e = errno;
	blocking(hw);
	return result(r, e);
}

const struct pc_port_ops pc_ppdev_ops = {
	.name = "ppdev (libieee1284)",
	.open = hw_open,
	.close = hw_close,
	.claim = hw_claim,
	.release = hw_release,
	.port_modes = hw_port_modes,
	.interrupt_fd = hw_interrupt_fd,
	.read_status = hw_read_status,
	.read_control = hw_read_control,
	.frob_control = hw_frob_control,
	.write_data = hw_write_data,
	.data_dir = hw_data_dir,
	.negotiate = hw_negotiate,
	.terminate = hw_terminate,
	.ecp_fwd_to_rev = hw_ecp_fwd_to_rev,
	.ecp_rev_to_fwd = hw_ecp_rev_to_fwd,
	.write = hw_write,
	.read = hw_read,
};
