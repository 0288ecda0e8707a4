/*
 * side.c - the side channel (fd 4): filters ask, the backend answers
 *
 * Requests are read here rather than with cupsSideChannelRead(), which
 * drops a request with a command code it does not know without saying
 * which (the filter that sent it would wait for its timeout), and takes one
 * read() for one request, where a stream socket may deliver two requests
 * in one read or one in two. Every request gets an answer, in order; a
 * request that needs the port waits until the job holds it (and
 * DRAIN_OUTPUT until the data has left and the printer is not busy). A
 * side channel that breaks is dropped, never polled again.
 *
 * This file knows the job only through struct bk_side (backend.h): what the
 * job tells it (the device ID, bidi, whether the port is the job's) and the
 * callbacks of struct bk_side_ops. Two threads serve requests, never at the
 * same time: the job's own, and the watcher thread while the job waits in
 * the port's queue (and then the job's thread is blocked in the library). A
 * request that would touch the device is answered only while the port is
 * the job's (device_ours), so only the job's thread calls the ops that
 * touch the device.
 */
#include "config.h"

#include <cups/sidechannel.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

static void debug(struct bk_side *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void debug(struct bk_side *s, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	s->ops->say(s->job, text);
}

static void drop(struct bk_side *s, const char *why)
{
	debug(s, "DEBUG: Side channel dropped: %s\n", why);
	s->fd = -1;
	s->pending = 0;
	s->len = 0;
	s->drain_pending = false;
}

static void reply(struct bk_side *s, cups_sc_command_t cmd, cups_sc_status_t status, const char *data, int len)
{
	if (s->fd >= 0 && cupsSideChannelWrite(cmd, status, data, len, 1.0) < 0)
		drop(s, "the answer could not be written");
}

static bool known(int cmd)
{
	return cmd >= CUPS_SC_CMD_SOFT_RESET && cmd < CUPS_SC_CMD_MAX;
}

/*
 * Can @cmd be answered now, from the thread that calls? Only while the job
 * holds the port (device_ours) may an answer touch the device; while it
 * waits for the port (at first, or after letting a neighbour go first) the
 * watcher thread answers what it can from what the job knows, and the rest
 * waits for the port.
 */
static bool answerable(const struct bk_side *s, int cmd)
{
	struct bk_side_state st;

	if (cmd == CUPS_SC_CMD_GET_DEVICE_ID && s->id)
		return true;   /* known before the port is ours */
	if (cmd == CUPS_SC_CMD_SNMP_GET || cmd == CUPS_SC_CMD_SNMP_GET_NEXT)
		return true;
	if (cmd == CUPS_SC_CMD_GET_STATE || cmd == CUPS_SC_CMD_GET_CONNECTED)
		return s->device_ours || s->ops->state(s->job, &st);   /* the last lines read */
	return s->device_ours;
}

/* The status lines: read now while the port is ours, else the last ones read. */
static bool fresh_state(struct bk_side *s, struct bk_side_state *st)
{
	return (!s->device_ours || s->ops->check_status(s->job) == 0) && s->ops->state(s->job, st);
}

static char state_bits(const struct bk_side_state *state)
{
	unsigned st = state->status, reasons = state->reasons;
	int bits = CUPS_SC_STATE_OFFLINE;

	if ((st & PARCLASS_STATUS_SELECTED) &&
	    !(st & (PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED)))
		bits |= CUPS_SC_STATE_ONLINE;
	/* The Busy line: Windows's BUSY is not set while nFault is low, yet a
	 * printer out of paper or in error that holds Busy high takes no data. */
	if (state->lines & PARCLASS_LINE_BUSY)
		bits |= CUPS_SC_STATE_BUSY;
	if ((st & (PARCLASS_STATUS_ERROR | PARCLASS_STATUS_PAPER_EMPTY)) ||
	    (reasons & (REASON_MEDIA_EMPTY | REASON_MEDIA_JAM | REASON_DOOR_OPEN | REASON_TONER_EMPTY | REASON_OTHER_ERROR)))
		bits |= CUPS_SC_STATE_ERROR;
	if ((st & PARCLASS_STATUS_PAPER_EMPTY) || (reasons & REASON_MEDIA_EMPTY))
		bits |= CUPS_SC_STATE_MEDIA_EMPTY;
	if (reasons & REASON_TONER_LOW)
		bits |= CUPS_SC_STATE_MARKER_LOW;
	if (reasons & REASON_TONER_EMPTY)
		bits |= CUPS_SC_STATE_MARKER_EMPTY;
	return (char)bits;
}

static void answer(struct bk_side *s, cups_sc_command_t cmd)
{
	struct bk_side_state st;
	char c;

	switch (cmd) {
	case CUPS_SC_CMD_SOFT_RESET:
		reply(s, cmd, s->ops->reset(s->job) == 0 ? CUPS_SC_STATUS_OK : CUPS_SC_STATUS_IO_ERROR, NULL, 0);
		break;
	case CUPS_SC_CMD_DRAIN_OUTPUT:
		s->drain_pending = true;   /* answered by bk_side_drained() */
		break;
	case CUPS_SC_CMD_GET_BIDI:
		c = s->bidi ? CUPS_SC_BIDI_SUPPORTED : CUPS_SC_BIDI_NOT_SUPPORTED;
		reply(s, cmd, CUPS_SC_STATUS_OK, &c, 1);
		break;
	case CUPS_SC_CMD_GET_DEVICE_ID:
		reply(s, cmd, CUPS_SC_STATUS_OK, s->id, s->id ? (int)strlen(s->id) : 0);
		break;
	case CUPS_SC_CMD_GET_STATE:
		if (!fresh_state(s, &st)) {
			reply(s, cmd, CUPS_SC_STATUS_IO_ERROR, NULL, 0);
			break;
		}
		c = state_bits(&st);
		reply(s, cmd, CUPS_SC_STATUS_OK, &c, 1);
		break;
	case CUPS_SC_CMD_GET_CONNECTED:
		if (!fresh_state(s, &st)) {
			reply(s, cmd, CUPS_SC_STATUS_IO_ERROR, NULL, 0);
			break;
		}
		c = st.status & (PARCLASS_STATUS_NOT_CONNECTED | PARCLASS_STATUS_POWER_OFF) ? CUPS_SC_NOT_CONNECTED
											   : CUPS_SC_CONNECTED;
		reply(s, cmd, CUPS_SC_STATUS_OK, &c, 1);
		break;
	default:   /* SNMP: a parallel port has no network agent */
		reply(s, cmd, CUPS_SC_STATUS_NOT_IMPLEMENTED, NULL, 0);
		break;
	}
}

/* The whole request at the start of the buffer: its command, or -1 while it is incomplete. */
static int take_request(struct bk_side *s)
{
	size_t len;
	int cmd;

	if (s->len < 4)
		return -1;
	len = 4 + (size_t)((s->buf[2] << 8) | s->buf[3]);
	if (s->len < len)
		return -1;
	cmd = s->buf[0];
	/* The data (an SNMP OID) is of no use on a parallel port. */
	memmove(s->buf, s->buf + len, s->len - len);
	s->len -= len;
	return cmd;
}

void bk_side_init(struct bk_side *s, int fd, const struct bk_side_ops *ops, void *job)
{
	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->ops = ops;
	s->job = job;
}

int bk_side_poll_fd(const struct bk_side *s)
{
	return s->pending ? -1 : s->fd;
}

void bk_side_service(struct bk_side *s)
{
	ssize_t n;
	int cmd;

	if (s->fd < 0)
		return;
	if (s->pending) {
		if (!answerable(s, s->pending))
			return;
		cmd = s->pending;
		s->pending = 0;
		answer(s, (cups_sc_command_t)cmd);
	} else {
		/* A stream: a read may end inside a request or hold several. */
		n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			drop(s, n < 0 ? strerror(errno) : "closed by the filters");
			return;
		}
		s->len += (size_t)n;
	}
	/* Every whole request read, in order, until one has to wait for the port. */
	while (s->fd >= 0 && !s->pending && (cmd = take_request(s)) >= 0) {
		if (!known(cmd)) {
			unsigned char no[4] = { (unsigned char)cmd, CUPS_SC_STATUS_NOT_IMPLEMENTED, 0, 0 };

			debug(s, "DEBUG: Side channel: unknown command %d\n", cmd);
			if (write(s->fd, no, sizeof no) != (ssize_t)sizeof no)
				drop(s, "the answer could not be written");
		} else if (!answerable(s, cmd)) {
			s->pending = cmd;
		} else {
			answer(s, (cups_sc_command_t)cmd);
		}
	}
}

void bk_side_port(struct bk_side *s, bool ours)
{
	s->device_ours = ours;
	if (ours && s->pending)
		bk_side_service(s);
}

void bk_side_drained(struct bk_side *s, bool ok)
{
	s->drain_pending = false;
	reply(s, CUPS_SC_CMD_DRAIN_OUTPUT, ok ? CUPS_SC_STATUS_OK : CUPS_SC_STATUS_IO_ERROR, NULL, 0);
}
