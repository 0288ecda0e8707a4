/*
 * pjlstatus.c - PJL status from the printer, and what a job asks of it
 * (common/: the backend, the filters and the service)
 *
 * The reader splits the reverse stream into messages at form feeds (every
 * PJL answer ends with one) and makes sense of the status messages HP's
 * PJL reference defines. The stream comes over a parallel cable: bytes may
 * be lost or garbled, a form feed may go missing. A message that does not
 * parse is counted and dropped, never half believed; a "@PJL" line inside
 * a message starts a new one.
 *
 * The scanner watches the forward data for the few PJL commands that tell
 * the backend what status to expect (USTATUS JOB, EOJ).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pjl.h"
#include "reasons.h"

void pjl_reader_init(struct pjl_reader *r)
{
	memset(r, 0, sizeof *r);
}

/* A line of a message without its end of line; not NUL-terminated. */
struct line {
	const char *s;
	size_t n;
};

static struct line trim(struct line l)
{
	while (l.n && (isspace((unsigned char)*l.s) || !*l.s))
		l.s++, l.n--;
	while (l.n && (isspace((unsigned char)l.s[l.n - 1]) || !l.s[l.n - 1]))
		l.n--;
	return l;
}

/* Does @l start with @word (case-insensitive), followed by the end or a space? */
static bool word_is(struct line *l, const char *word)
{
	size_t n = strlen(word);

	if (l->n < n || strncasecmp(l->s, word, n) || (l->n > n && !isspace((unsigned char)l->s[n])))
		return false;
	l->s += n;
	l->n -= n;
	*l = trim(*l);
	return true;
}

/* "KEY=value" (spaces around '=' allowed): the value, trimmed. */
static bool key_value(struct line l, const char *key, struct line *value)
{
	size_t n = strlen(key);

	if (l.n <= n || strncasecmp(l.s, key, n))
		return false;
	l.s += n;
	l.n -= n;
	l = trim(l);
	if (!l.n || *l.s != '=')
		return false;
	l.s++;
	l.n--;
	*value = trim(l);
	return true;
}

/* Printable ASCII only, quotes taken off, bounded. */
static void copy_text(char *out, struct line v)
{
	size_t k = 0;

	if (v.n >= 2 && v.s[0] == '"' && v.s[v.n - 1] == '"') {
		v.s++;
		v.n -= 2;
	}
	for (size_t i = 0; i < v.n && k < PJL_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)v.s[i];

		/* No quotes or backslashes: the text goes into quoted ATTR: values. */
		out[k++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
	}
	out[k] = '\0';
}

/* A decimal number and nothing else. */
static bool number(struct line v, long max, int *out)
{
	long x = 0;

	if (!v.n || v.n > 9)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		if (!isdigit((unsigned char)v.s[i]))
			return false;
		x = x * 10 + (v.s[i] - '0');
	}
	if (x > max)
		return false;
	*out = (int)x;
	return true;
}

/* One message: a "@PJL ..." header line and its body lines. */
static bool parse(const struct line *lines, size_t n, struct pjl_message *m)
{
	struct line head = lines[0], v;

	memset(m, 0, sizeof *m);
	m->online = -1;
	m->pages = -1;
	if (!word_is(&head, "@PJL"))
		return false;
	if (word_is(&head, "ECHO")) {
		m->kind = PJL_ECHO;
		copy_text(m->text, head);
		return true;
	}
	if ((word_is(&head, "USTATUS") && (word_is(&head, "DEVICE") || word_is(&head, "TIMED")) && !head.n) ||
	    (word_is(&head, "INFO") && word_is(&head, "STATUS") && !head.n)) {
		m->kind = PJL_DEVICE;
		for (size_t i = 1; i < n; i++) {
			if (key_value(lines[i], "CODE", &v) && !number(v, 69999, &m->code))
				return false;
			if (key_value(lines[i], "DISPLAY", &v))
				copy_text(m->text, v);
			if (key_value(lines[i], "ONLINE", &v))
				m->online = v.n == 4 && !strncasecmp(v.s, "TRUE", 4) ? 1
					    : v.n == 5 && !strncasecmp(v.s, "FALSE", 5) ? 0 : -1;
		}
		return m->code >= 10000;
	}
	head = lines[0];
	word_is(&head, "@PJL");
	if (word_is(&head, "USTATUS") && word_is(&head, "JOB") && !head.n) {
		struct line what = n > 1 ? trim(lines[1]) : (struct line){ "", 0 };

		if (word_is(&what, "START") && !what.n)
			m->kind = PJL_JOB_START;
		else if (word_is(&what, "END") && !what.n)
			m->kind = PJL_JOB_END;
		else
			return false;
		for (size_t i = 2; i < n; i++) {
			if (key_value(lines[i], "NAME", &v))
				copy_text(m->text, v);
			/* Only an end has a page count (struct pjl_message). */
			if (m->kind == PJL_JOB_END && key_value(lines[i], "PAGES", &v) &&
			    !number(v, 99999999, &m->pages))
				return false;
		}
		return true;
	}
	head = lines[0];
	word_is(&head, "@PJL");
	if (word_is(&head, "USTATUS") && word_is(&head, "PAGE") && !head.n) {
		m->kind = PJL_PAGE;
		return n > 1 && number(trim(lines[1]), 99999999, &m->pages);
	}
	m->kind = PJL_OTHER;
	copy_text(m->text, trim(lines[0]));
	return true;
}

#define MAX_LINES 32

static void deliver(struct pjl_reader *r, const struct line *lines, size_t n, pjl_message_fn fn, void *userdata)
{
	struct pjl_message m;

	if (!n)
		return;
	if (parse(lines, n, &m))
		fn(&m, userdata);
	else
		r->garbled++;
}

/* A complete message (its form feed taken off). */
static void message(struct pjl_reader *r, const char *s, size_t len, pjl_message_fn fn, void *userdata)
{
	struct line lines[MAX_LINES];
	size_t n = 0;
	bool junk = false;

	while (len) {
		const char *nl = memchr(s, '\n', len);
		struct line l = { s, nl ? (size_t)(nl - s) : len };
		struct line t = trim(l);
		bool header = t.n >= 4 && !strncasecmp(t.s, "@PJL", 4);

		s += l.n + (nl ? 1 : 0);
		len -= l.n + (nl ? 1 : 0);
		if (header) {
			/* A lost form feed joined two messages: split them. */
			deliver(r, lines, n, fn, userdata);
			n = 0;
		} else if (!n) {
			junk |= t.n > 0;   /* bytes before any header: garbage */
			continue;
		}
		if (!t.n)
			continue;
		if (n == MAX_LINES) {
			r->garbled++;
			return;
		}
		lines[n++] = t;
	}
	if (junk && !n)
		r->garbled++;
	deliver(r, lines, n, fn, userdata);
}

void pjl_reader_feed(struct pjl_reader *r, const void *data, size_t len, pjl_message_fn fn, void *userdata)
{
	const char *p = data, *end = p + len;

	while (p < end) {
		const char *ff = memchr(p, '\f', (size_t)(end - p));
		size_t n = ff ? (size_t)(ff - p) : (size_t)(end - p);

		if (!r->skipping) {
			if (r->len + n > sizeof r->buf) {
				/* Too long for a status message: drop it up to its end. */
				r->skipping = true;
				r->len = 0;
				r->garbled++;
			} else {
				memcpy(r->buf + r->len, p, n);
				r->len += n;
			}
		}
		p += n;
		if (!ff)
			break;
		p++;
		if (!r->skipping)
			message(r, r->buf, r->len, fn, userdata);
		r->skipping = false;
		r->len = 0;
	}
}

unsigned pjl_code_reasons(int code)
{
	switch (code) {
	case 10002: return REASON_OFFLINE;
	case 10006: return REASON_TONER_LOW;
	case 40000: return 0;                /* sleep mode */
	case 40021: return REASON_DOOR_OPEN;
	case 40022: return REASON_MEDIA_JAM;
	case 40038: return REASON_TONER_LOW;
	case 40079: return REASON_OFFLINE;
	}
	switch (code / 1000) {
	case 41: return REASON_MEDIA_EMPTY;  /* 41xyy: load paper in tray x */
	case 42:
	case 44: return REASON_MEDIA_JAM;    /* 42xyy, 44xyy: jams */
	}
	switch (code / 10000) {
	case 3: return REASON_OTHER_WARNING; /* auto-continuable conditions */
	case 4:
	case 5: return REASON_OTHER_ERROR;   /* operator intervention, hardware errors */
	}
	return 0;                            /* informational */
}

const char *pjl_code_text(int code)
{
	switch (code) {
	case 10001: return "Ready";
	case 10002: return "Offline";
	case 10003: return "Warming up";
	case 10004: return "Self test";
	case 10005: return "Resetting";
	case 10006: return "Toner low";
	case 10023: return "Printing";
	case 40000: return "Sleep mode";
	case 40021: return "Door open";
	case 40022: return "Paper jam";
	case 40038: return "Toner low";
	case 40079: return "Offline";
	}
	switch (code / 1000) {
	case 41: return "Paper out";
	case 42:
	case 44: return "Paper jam";
	}
	switch (code / 10000) {
	case 1: return "Ready";
	case 3: return "Warning";
	case 4: return "Needs attention";
	case 5: return "Printer error";
	}
	return "Unknown status";
}

const char *pjl_code_alert(int code)
{
	/* RFC 3805 alert codes and severities, as printer-alert writes them. */
	switch (code) {
	case 10001: return "code=printerReadyToPrint;severity=other";
	case 10002:
	case 40079: return "code=subunitOffline;severity=critical";
	case 10003: return "code=subunitWarmingUp;severity=other";
	case 10006:
	case 40038: return "code=markerTonerAlmostEmpty;severity=warning";
	case 40000: return "code=subunitPowerSaver;severity=other";
	case 40021: return "code=doorOpen;severity=critical";
	case 40022: return "code=jam;severity=critical";
	}
	switch (code / 1000) {
	case 41: return "code=inputMediaSupplyEmpty;severity=critical";
	case 42:
	case 44: return "code=jam;severity=critical";
	}
	switch (code / 10000) {
	case 3: return "code=other;severity=warning";
	case 4:
	case 5: return "code=other;severity=critical";
	}
	return "code=other;severity=other";
}

/* ---- the forward scanner ---- */

void pjl_scan_init(struct pjl_scan *s)
{
	memset(s, 0, sizeof *s);
}

/* A whole "@PJL ..." line: uppercase, one space between words, none around '='. */
static void scan_line(struct pjl_scan *s)
{
	char norm[sizeof s->line + 1];
	size_t k = 0;
	bool space = false;

	for (size_t i = 0; i < s->line_len; i++) {
		char c = (char)toupper((unsigned char)s->line[i]);

		if (isspace((unsigned char)c)) {
			space = k > 0;
			continue;
		}
		if (space && c != '=' && norm[k - 1] != '=')
			norm[k++] = ' ';
		space = false;
		norm[k++] = c;
	}
	norm[k] = '\0';
	if (!strcmp(norm, "@PJL USTATUS JOB=ON"))
		s->job_status_on = true;
	else if (!strcmp(norm, "@PJL USTATUS JOB=OFF") || !strcmp(norm, "@PJL USTATUSOFF"))
		s->job_status_on = false;
	else if ((!strcmp(norm, "@PJL EOJ") || !strncmp(norm, "@PJL EOJ ", 9)) && s->job_status_on)
		s->ends_expected++;
}

/* Take line bytes up to a newline; true when the line is complete. */
static bool line_bytes(struct pjl_scan *s, const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)((nl ? nl : end) - *p);
	size_t room = sizeof s->line - s->line_len;

	memcpy(s->line + s->line_len, *p, n < room ? n : room);
	s->line_len += n < room ? n : room;
	*p = nl ? nl + 1 : end;
	if (!nl)
		return false;
	scan_line(s);
	s->in_line = false;
	s->line_len = 0;
	return true;
}

void pjl_scan_feed(struct pjl_scan *s, const void *data, size_t len)
{
	const char *p = data, *end = p + len;

	if (s->in_line && !line_bytes(s, &p, end))
		return;
	if (s->partial) {
		/* "@PJ" ended the last piece: does this one go on with the rest? */
		size_t need = 4 - s->partial, have = (size_t)(end - p) < need ? (size_t)(end - p) : need;

		if (strncasecmp(p, &"@PJL"[s->partial], have)) {
			s->partial = 0;
		} else if (have < need) {
			s->partial += have;
			return;
		} else {
			memcpy(s->line, "@PJL", 4);
			s->line_len = 4;
			s->in_line = true;
			s->partial = 0;
			p += need;
			if (!line_bytes(s, &p, end))
				return;
		}
	}
	while (p < end) {
		const char *at = memchr(p, '@', (size_t)(end - p));
		size_t avail;

		if (!at)
			return;
		avail = (size_t)(end - at);
		if (avail < 4) {
			if (!strncasecmp(at, "@PJL", avail)) {
				s->partial = avail;
				return;
			}
			/* Not this '@': a later one ("@@" at the end) may start "@PJL". */
			p = at + 1;
			continue;
		}
		if (strncasecmp(at, "@PJL", 4)) {
			p = at + 1;
			continue;
		}
		s->in_line = true;
		s->line_len = 0;
		p = at;
		if (!line_bytes(s, &p, end))
			return;
	}
}
