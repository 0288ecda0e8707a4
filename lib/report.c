/*
 * report.c - the holder's published view of a device: what it is as text,
 * and the public calls that publish and read it
 *
 * The file itself (report.<addr> in the port's directory, its lock and its
 * hostile-directory rules) is runtime.c's. A report reads, one field a line
 * and always in this order:
 *   pid=1234
 *   published=1764563000123456    (CLOCK_REALTIME microseconds)
 *   status=132                    (PARCLASS_STATUS_* bits)
 *   lines=216                     (PARCLASS_LINE_* levels)
 *   pages=-1
 *   reasons=media-empty-error,offline-report
 *   display=PAPER OUT
 * Anything else under that name is refused, never half believed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parclass-private.h"

#define STATUS_BITS 0x1ffu   /* PARCLASS_STATUS_INIT .. PARCLASS_STATUS_ERROR */
#define LINE_BITS 0xff8u     /* PARCLASS_LINE_NFAULT .. PARCLASS_LINE_NSELECTIN */
/* The longest report: its fields at their longest, and their names. */
#define REPORT_TEXT_MAX (128 + PARCLASS_REPORT_REASONS_MAX + PARCLASS_REPORT_DISPLAY_MAX)

/* ---- the fields' rules, the same for the publisher and the reader ---- */

/* Keywords separated by single commas, none empty, ending within @size bytes. */
static bool reasons_fit(const char *text, size_t size)
{
	char prev = ',';   /* no comma first */

	for (size_t i = 0; i < size; i++) {
		char c = text[i];

		if (!c)
			return !i || prev != ',';
		if (c == ',' ? prev == ',' : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
		prev = c;
	}
	return false;
}

/* Printable ASCII ending within @size bytes. */
static bool display_fits(const char *text, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (!text[i])
			return true;
		if (text[i] < ' ' || text[i] > '~')
			return false;
	}
	return false;
}

static bool report_valid(const parclass_report *r)
{
	return r->pages >= -1 && !(r->status & ~STATUS_BITS) && !(r->lines & ~LINE_BITS) &&
	       reasons_fit(r->reasons, sizeof r->reasons) && display_fits(r->display, sizeof r->display);
}

/* ---- publishing ---- */

static parclass_usec realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (parclass_usec)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

_public_ int parclass_device_publish(parclass_device *dev, const parclass_report *report)
{
	parclass_port *port;
	char text[REPORT_TEXT_MAX + 1];
	int address, len;

	assert_return(dev && report, -EINVAL);
	assert_return(report_valid(report), -EINVAL);
	port = parclass_device_get_port(dev);
	parclass_device_get_address(dev, &address);
	if (!port->held)
		return -ENOLCK;
	len = snprintf(text, sizeof text, "pid=%d\npublished=%lld\nstatus=%u\nlines=%u\npages=%d\nreasons=%s\ndisplay=%s\n",
		       (int)getpid(), realtime_us(), report->status, report->lines, report->pages, report->reasons,
		       report->display);
	return pc_report_store(&port->queue, address, text, (size_t)len, &port->report_fd[address + 1]);
}

/* ---- reading ---- */

/* "@name=" and a decimal number from @min to @max, then a line break; NULL when not. */
static const char *number_line(const char *p, const char *name, long long min, long long max, long long *v)
{
	size_t n = strlen(name);
	bool minus;
	int digits = 0;

	if (strncmp(p, name, n) || p[n] != '=')
		return NULL;
	p += n + 1;
	minus = *p == '-';
	p += minus;
	*v = 0;
	/* 18 digits cannot overflow a long long */
	for (; *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
		*v = *v * 10 + (*p - '0');
	if (minus)
		*v = -*v;
	if (!digits || *p != '\n' || *v < min || *v > max || (minus && !*v) || (digits > 1 && p[-digits] == '0'))
		return NULL;
	return p + 1;
}

/* "@name=" and text up to the line break, copied into @buf; NULL when it does not fit. */
static const char *text_line(const char *p, const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);
	const char *end;

	if (strncmp(p, name, n) || p[n] != '=')
		return NULL;
	p += n + 1;
	end = strchr(p, '\n');
	if (!end || (size_t)(end - p) >= size)
		return NULL;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return end + 1;
}

/* @text as a report, exactly as parclass_device_publish() writes one. */
static bool parse(const char *text, parclass_report *r)
{
	long long pid, published, status, lines, pages;
	const char *p = text;

	memset(r, 0, sizeof *r);
	p = number_line(p, "pid", 1, INT32_MAX, &pid);
	p = p ? number_line(p, "published", 0, INT64_MAX / 10, &published) : NULL;
	p = p ? number_line(p, "status", 0, STATUS_BITS, &status) : NULL;
	p = p ? number_line(p, "lines", 0, LINE_BITS, &lines) : NULL;
	p = p ? number_line(p, "pages", -1, INT32_MAX, &pages) : NULL;
	p = p ? text_line(p, "reasons", r->reasons, sizeof r->reasons) : NULL;
	p = p ? text_line(p, "display", r->display, sizeof r->display) : NULL;
	if (!p || *p)
		return false;
	r->pid = (pid_t)pid;
	r->published_us = published;
	r->status = (unsigned)status;
	r->lines = (unsigned)lines;
	r->pages = (int)pages;
	return report_valid(r);
}

/* The owner of process @pid; false when there is no such process. */
static bool process_owner(pid_t pid, uid_t *uid)
{
	char path[32];
	struct stat st;

	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	if (stat(path, &st) < 0)
		return false;
	*uid = st.st_uid;
	return true;
}

_public_ int parclass_port_read_report(parclass_port *port, int address, parclass_report *report)
{
	char text[REPORT_TEXT_MAX + 2], name[32];
	parclass_report r;
	uid_t owner, uid;
	bool locked;
	int n;

	assert_return(port && report, -EINVAL);
	assert_return(address == PARCLASS_ADDRESS_END || (address >= 0 && address < PC_MAX_CHAIN), -EINVAL);
	n = pc_report_load(&port->queue, address, text, REPORT_TEXT_MAX, &owner, &locked);
	if (n < 0)
		return n;
	pc_report_name(address, name, sizeof name);
	if ((size_t)n != strlen(text) || !parse(text, &r)) {
		pc_dbg(port->ctx, "%s/%s/%s holds no report: refused", port->ctx->runtime_dir, port->name, name);
		return -EBADMSG;
	}
	/* A lock says the publisher lives; believed only of a process of the
	 * file's owner (a planted file could name any process). */
	if (locked && !process_owner(r.pid, &uid)) {
		pc_dbg(port->ctx, "%s/%s/%s is locked but names process %d, which is gone: refused",
		       port->ctx->runtime_dir, port->name, name, (int)r.pid);
		return -EBADMSG;
	}
	if (locked && uid != owner) {
		pc_dbg(port->ctx, "%s/%s/%s is owned by uid %u but names process %d of uid %u: refused",
		       port->ctx->runtime_dir, port->name, name, (unsigned)owner, (int)r.pid, (unsigned)uid);
		return -EBADMSG;
	}
	r.live = locked;
	*report = r;
	return 0;
}
