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
 */
#include "config.h"

#include <cups/sidechannel.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

static void drop(struct bk_job *job, const char *why)
{
	bk_say(job, "DEBUG: Side channel dropped: %s\n", why);
	job->side_fd = -1;
	job->side_pending = 0;
	job->side_len = 0;
	job->drain_pending = false;
}

static void reply(struct bk_job *job, cups_sc_command_t cmd, cups_sc_status_t status, const char *data, int len)
{
	if (job->side_fd >= 0 && cupsSideChannelWrite(cmd, status, data, len, 1.0) < 0)
		drop(job, "the answer could not be written");
}

static bool known(int cmd)
{
	return cmd >= CUPS_SC_CMD_SOFT_RESET && cmd < CUPS_SC_CMD_MAX;
}

/*
 * Can @cmd be answered now, from the thread that calls? Only while the job
 * holds the port (job->ready) may an answer touch the device; while it
 * waits for the port (at first, or after letting a neighbour go first) the
 * watcher thread answers what it can from what the job knows, and the rest
 * waits for the port.
 */
static bool answerable(const struct bk_job *job, int cmd)
{
	if (cmd == CUPS_SC_CMD_GET_DEVICE_ID && job->id)
		return true;   /* known before the port is ours */
	if (cmd == CUPS_SC_CMD_SNMP_GET || cmd == CUPS_SC_CMD_SNMP_GET_NEXT)
		return true;
	if (cmd == CUPS_SC_CMD_GET_STATE || cmd == CUPS_SC_CMD_GET_CONNECTED)
		return job->ready || job->status_seen;   /* the last lines read */
	return job->ready;
}

/* The status lines: read now while the port is ours, else the last ones read. */
static bool fresh_status(struct bk_job *job)
{
	return !job->ready || bk_job_check_status(job) == 0;
}

static char state_bits(struct bk_job *job)
{
	unsigned st = job->status, reasons = reasons_now(&job->reasons);
	int bits = CUPS_SC_STATE_OFFLINE;

	if ((st & PARCLASS_STATUS_SELECTED) &&
	    !(st & (PARCLASS_STATUS_OFF_LINE | PARCLASS_STATUS_POWER_OFF | PARCLASS_STATUS_NOT_CONNECTED)))
		bits |= CUPS_SC_STATE_ONLINE;
	/* The Busy line: Windows's BUSY is not set while nFault is low, yet a
	 * printer out of paper or in error that holds Busy high takes no data. */
	if (job->lines & PARCLASS_LINE_BUSY)
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

static void answer(struct bk_job *job, cups_sc_command_t cmd)
{
	char c;

	switch (cmd) {
	case CUPS_SC_CMD_SOFT_RESET:
		reply(job, cmd, parclass_device_reset(job->dev) == 0 ? CUPS_SC_STATUS_OK : CUPS_SC_STATUS_IO_ERROR,
		      NULL, 0);
		break;
	case CUPS_SC_CMD_DRAIN_OUTPUT:
		job->drain_pending = true;   /* answered by bk_side_drained() */
		break;
	case CUPS_SC_CMD_GET_BIDI:
		c = job->read_mode ? CUPS_SC_BIDI_SUPPORTED : CUPS_SC_BIDI_NOT_SUPPORTED;
		reply(job, cmd, CUPS_SC_STATUS_OK, &c, 1);
		break;
	case CUPS_SC_CMD_GET_DEVICE_ID:
		reply(job, cmd, CUPS_SC_STATUS_OK, job->id, job->id ? (int)strlen(job->id) : 0);
		break;
	case CUPS_SC_CMD_GET_STATE:
		if (!fresh_status(job)) {
			reply(job, cmd, CUPS_SC_STATUS_IO_ERROR, NULL, 0);
			break;
		}
		c = state_bits(job);
		reply(job, cmd, CUPS_SC_STATUS_OK, &c, 1);
		break;
	case CUPS_SC_CMD_GET_CONNECTED:
		if (!fresh_status(job)) {
			reply(job, cmd, CUPS_SC_STATUS_IO_ERROR, NULL, 0);
			break;
		}
		c = job->status & (PARCLASS_STATUS_NOT_CONNECTED | PARCLASS_STATUS_POWER_OFF) ? CUPS_SC_NOT_CONNECTED
											     : CUPS_SC_CONNECTED;
		reply(job, cmd, CUPS_SC_STATUS_OK, &c, 1);
		break;
	default:   /* SNMP: a parallel port has no network agent */
		reply(job, cmd, CUPS_SC_STATUS_NOT_IMPLEMENTED, NULL, 0);
		break;
	}
}

/* The whole request at the start of the buffer: its command, or -1 while it is incomplete. */
static int take_request(struct bk_job *job)
{
	size_t len;
	int cmd;

	if (job->side_len < 4)
		return -1;
	len = 4 + (size_t)((job->side_buf[2] << 8) | job->side_buf[3]);
	if (job->side_len < len)
		return -1;
	cmd = job->side_buf[0];
	/* The data (an SNMP OID) is of no use on a parallel port. */
	memmove(job->side_buf, job->side_buf + len, job->side_len - len);
	job->side_len -= len;
	return cmd;
}

void bk_side_service(struct bk_job *job)
{
	ssize_t n;
	int cmd;

	if (job->side_fd < 0)
		return;
	if (job->side_pending) {
		if (!answerable(job, job->side_pending))
			return;
		cmd = job->side_pending;
		job->side_pending = 0;
		answer(job, (cups_sc_command_t)cmd);
	} else {
		/* A stream: a read may end inside a request or hold several. */
		n = read(job->side_fd, job->side_buf + job->side_len, sizeof job->side_buf - job->side_len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			drop(job, n < 0 ? strerror(errno) : "closed by the filters");
			return;
		}
		job->side_len += (size_t)n;
	}
	/* Every whole request read, in order, until one has to wait for the port. */
	while (job->side_fd >= 0 && !job->side_pending && (cmd = take_request(job)) >= 0) {
		if (!known(cmd)) {
			unsigned char no[4] = { (unsigned char)cmd, CUPS_SC_STATUS_NOT_IMPLEMENTED, 0, 0 };

			bk_say(job, "DEBUG: Side channel: unknown command %d\n", cmd);
			if (write(job->side_fd, no, sizeof no) != (ssize_t)sizeof no)
				drop(job, "the answer could not be written");
		} else if (!answerable(job, cmd)) {
			job->side_pending = cmd;
		} else {
			answer(job, (cups_sc_command_t)cmd);
		}
	}
}

void bk_side_drained(struct bk_job *job, bool ok)
{
	job->drain_pending = false;
	reply(job, CUPS_SC_CMD_DRAIN_OUTPUT, ok ? CUPS_SC_STATUS_OK : CUPS_SC_STATUS_IO_ERROR, NULL, 0);
}
