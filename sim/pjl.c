/*
 * pjl.c - the virtual printer's PJL interpreter
 *
 * The stream is a sequence of PJL sections (lines starting with "@PJL",
 * entered at power on or after a Universal Exit Language sequence) and page
 * description sections (everything else, up to the next UEL). Pages are
 * counted in the page description data: a form feed ends a PCL or text page,
 * a "%%Page:" comment starts a PostScript page (then a section's pages are
 * counted when the next page starts or the section ends). PCL escape
 * sequences are parsed as a printer does, so that a form feed byte inside
 * binary data (raster rows, downloaded fonts: "ESC * b 120 W" and 120 bytes)
 * is data, not the end of a page.
 * Message formats follow HP's PJL Technical Reference (see
 * shared/reference/ieee1284.md).
 */
#include "config.h"

#include "pjl.h"

#include <string.h>

#define UEL "\033%-12345X"
#define UEL_LEN 9
#define MAX_LINE 1024

enum section { SEC_PJL, SEC_PDL };
/* Where the PCL parser is: text, after ESC, in a parameterised sequence
 * (before its group character, in its value field), or in binary data. */
enum pcl_state { PCL_TEXT, PCL_ESC, PCL_GROUP, PCL_VALUE, PCL_BINARY };
enum lang { LANG_AUTO, LANG_PCL, LANG_POSTSCRIPT };

struct sim_pjl {
	struct sim_pjl_hooks hooks;
	void *ctx;
	char *info_id;

	enum section section;
	bool at_line_start;          /* PJL section: nothing of the current line seen yet */
	GString *line;               /* PJL section: the current line */
	unsigned uel_match;          /* PDL section: bytes of a UEL matched so far */

	enum lang lang;              /* set by ENTER LANGUAGE, for the next PDL section */
	enum lang pdl_lang;          /* of the current PDL section */
	bool pdl_started;            /* the current PDL section has data */
	GString *ps_line;            /* PostScript: the start of the current line */
	bool ps_page_open;           /* PostScript: a %%Page: was seen and not yet counted */
	enum pcl_state pcl;          /* PCL: parser state */
	unsigned char pcl_param;     /* PCL: the parameterised character ('*', '&', '(' ...) */
	unsigned char pcl_group;     /* PCL: its group character, 0 when none */
	unsigned long pcl_value;     /* PCL: the value field so far (integer part) */
	bool pcl_fraction;           /* PCL: past the value's decimal point */
	unsigned long pcl_skip;      /* PCL: binary bytes still to pass over */

	bool ustatus_device, ustatus_job, ustatus_page;
	unsigned timed;

	bool job_active;
	char *job_name;
	unsigned job_pages;
	unsigned total_pages;

	int code;
	char *display;
	bool online;
};

static void reply(struct sim_pjl *p, GString *msg)
{
	if (p->hooks.reply)
		p->hooks.reply(p->ctx, msg->str, msg->len);
	g_string_free(msg, TRUE);
}

static void status_message(struct sim_pjl *p, const char *header)
{
	GString *m = g_string_new(header);

	g_string_append_printf(m, "\r\nCODE=%d\r\nDISPLAY=\"%s\"\r\nONLINE=%s\r\n\f", p->code, p->display,
			       p->online ? "TRUE" : "FALSE");
	reply(p, m);
}

struct sim_pjl *sim_pjl_new(const struct sim_pjl_hooks *hooks, void *ctx, const char *info_id)
{
	struct sim_pjl *p = g_new0(struct sim_pjl, 1);

	p->hooks = *hooks;
	p->ctx = ctx;
	p->info_id = g_strdup(info_id);
	p->line = g_string_new(NULL);
	p->ps_line = g_string_new(NULL);
	p->display = g_strdup("00 READY");
	p->code = 10001;
	p->online = true;
	sim_pjl_reset(p);
	return p;
}

void sim_pjl_free(struct sim_pjl *p)
{
	if (!p)
		return;
	g_free(p->info_id);
	g_string_free(p->line, TRUE);
	g_string_free(p->ps_line, TRUE);
	g_free(p->job_name);
	g_free(p->display);
	g_free(p);
}

void sim_pjl_reset(struct sim_pjl *p)
{
	p->section = SEC_PJL;
	p->at_line_start = true;
	g_string_truncate(p->line, 0);
	g_string_truncate(p->ps_line, 0);
	p->uel_match = 0;
	p->lang = LANG_AUTO;
	p->pdl_started = false;
	p->ps_page_open = false;
	p->pcl = PCL_TEXT;
	p->ustatus_device = p->ustatus_job = p->ustatus_page = false;
	p->timed = 0;
	p->job_active = false;
	g_clear_pointer(&p->job_name, g_free);
	p->job_pages = 0;
}

unsigned sim_pjl_page_count(const struct sim_pjl *p)
{
	return p->total_pages;
}

unsigned sim_pjl_timed_interval(const struct sim_pjl *p)
{
	return p->timed;
}

void sim_pjl_timed_tick(struct sim_pjl *p)
{
	if (p->timed)
		status_message(p, "@PJL USTATUS TIMED");
}

void sim_pjl_set_status(struct sim_pjl *p, int code, const char *display, bool online)
{
	bool changed = code != p->code || online != p->online || g_strcmp0(display, p->display);

	p->code = code;
	p->online = online;
	g_free(p->display);
	p->display = g_strdup(display);
	if (changed && p->ustatus_device)
		status_message(p, "@PJL USTATUS DEVICE");
}

static void page_done(struct sim_pjl *p)
{
	p->total_pages++;
	p->job_pages++;
	if (p->ustatus_page) {
		GString *m = g_string_new(NULL);

		g_string_printf(m, "@PJL USTATUS PAGE\r\n%u\r\n\f", p->job_pages);
		reply(p, m);
	}
}

/* Value of NAME="..." (or NAME=word) in a PJL argument string; keys are case-insensitive. */
static char *name_arg(const char *args)
{
	for (const char *n = args; *n; n++) {
		const char *v = n + 4;

		if (g_ascii_strncasecmp(n, "NAME", 4))
			continue;
		while (*v == ' ')
			v++;
		if (*v != '=')
			continue;
		v++;
		while (*v == ' ')
			v++;
		if (*v == '"') {
			const char *end = strchr(v + 1, '"');

			return end ? g_strndup(v + 1, (gsize)(end - v - 1)) : g_strdup(v + 1);
		}
		return g_strndup(v, strcspn(v, " \t"));
	}
	return NULL;
}

static bool on_value(const char *v)
{
	return !g_ascii_strncasecmp(v, "ON", 2) || !g_ascii_strncasecmp(v, "VERBOSE", 7);
}

static void ustatus(struct sim_pjl *p, char *args)
{
	/* "DEVICE = ON", "JOB=OFF", "TIMED=30" */
	char *eq = strchr(args, '=');
	char *key, *val;

	if (!eq)
		return;
	*eq = '\0';
	key = g_strstrip(args);
	val = g_strstrip(eq + 1);
	if (!g_ascii_strcasecmp(key, "DEVICE"))
		p->ustatus_device = on_value(val);
	else if (!g_ascii_strcasecmp(key, "JOB"))
		p->ustatus_job = on_value(val);
	else if (!g_ascii_strcasecmp(key, "PAGE"))
		p->ustatus_page = on_value(val);
	else if (!g_ascii_strcasecmp(key, "TIMED"))
		p->timed = (unsigned)g_ascii_strtoull(val, NULL, 10);
}

static void job_message(struct sim_pjl *p, bool end)
{
	GString *m = g_string_new(NULL);

	g_string_printf(m, "@PJL USTATUS JOB\r\n%s\r\nNAME=\"%s\"\r\n", end ? "END" : "START",
			p->job_name ? p->job_name : "");
	if (end)
		g_string_append_printf(m, "PAGES=%u\r\n", p->job_pages);
	g_string_append_c(m, '\f');
	reply(p, m);
}

static void command(struct sim_pjl *p, char *line)
{
	char *cmd, *rest;

	if (p->hooks.command)
		p->hooks.command(p->ctx, line);

	rest = line + 4;  /* after "@PJL" */
	while (*rest == ' ' || *rest == '\t')
		rest++;
	cmd = rest;
	while (*rest && *rest != ' ' && *rest != '\t')
		rest++;
	if (*rest)
		*rest++ = '\0';
	while (*rest == ' ' || *rest == '\t')
		rest++;

	if (!g_ascii_strcasecmp(cmd, "ECHO")) {
		GString *m = g_string_new("@PJL ECHO");

		if (*rest)
			g_string_append_printf(m, " %s", rest);
		g_string_append(m, "\r\n\f");
		reply(p, m);
	} else if (!g_ascii_strcasecmp(cmd, "INFO")) {
		char *cat = g_strstrip(rest);

		if (!g_ascii_strcasecmp(cat, "STATUS")) {
			status_message(p, "@PJL INFO STATUS");
		} else if (!g_ascii_strcasecmp(cat, "ID")) {
			GString *m = g_string_new(NULL);

			g_string_printf(m, "@PJL INFO ID\r\n\"%s\"\r\n\f", p->info_id);
			reply(p, m);
		} else if (!g_ascii_strcasecmp(cat, "PAGECOUNT")) {
			GString *m = g_string_new(NULL);

			g_string_printf(m, "@PJL INFO PAGECOUNT\r\n%u\r\n\f", p->total_pages);
			reply(p, m);
		} else {
			GString *m = g_string_new(NULL);

			g_string_printf(m, "@PJL INFO %s\r\n?\r\n\f", cat);
			reply(p, m);
		}
	} else if (!g_ascii_strcasecmp(cmd, "USTATUS")) {
		ustatus(p, rest);
	} else if (!g_ascii_strcasecmp(cmd, "USTATUSOFF")) {
		p->ustatus_device = p->ustatus_job = p->ustatus_page = false;
		p->timed = 0;
	} else if (!g_ascii_strcasecmp(cmd, "JOB")) {
		g_free(p->job_name);
		p->job_name = name_arg(rest);
		p->job_active = true;
		p->job_pages = 0;
		if (p->ustatus_job)
			job_message(p, false);
	} else if (!g_ascii_strcasecmp(cmd, "EOJ")) {
		if (p->job_active) {
			if (p->ustatus_job)
				job_message(p, true);
			p->job_active = false;
			g_clear_pointer(&p->job_name, g_free);
		}
	} else if (!g_ascii_strcasecmp(cmd, "ENTER")) {
		/* LANGUAGE = POSTSCRIPT */
		char *eq = strchr(rest, '=');

		if (eq) {
			char *lang = g_strstrip(eq + 1);

			p->lang = !g_ascii_strncasecmp(lang, "POSTSCRIPT", 10) ? LANG_POSTSCRIPT : LANG_PCL;
		}
	}
}

static void pdl_end(struct sim_pjl *p)
{
	if (p->ps_page_open)
		page_done(p);
	p->ps_page_open = false;
	p->pdl_started = false;
	p->pcl = PCL_TEXT;
	g_string_truncate(p->ps_line, 0);
	p->lang = LANG_AUTO;
}

/* PostScript: a page begins at each "%%Page:" comment at the start of a line. */
static void ps_byte(struct sim_pjl *p, guint8 c)
{
	if (c == '\n' || c == '\r') {
		g_string_truncate(p->ps_line, 0);
		return;
	}
	if (p->ps_line->len < 7) {
		g_string_append_c(p->ps_line, (char)c);
		if (p->ps_line->len == 7 && !memcmp(p->ps_line->str, "%%Page:", 7)) {
			if (p->ps_page_open)
				page_done(p);
			p->ps_page_open = true;
		}
	}
}

/*
 * PCL: ESC, a parameterised character (0x21-0x2f), usually a group character
 * (0x60-0x7e), then value fields ending in parameter characters: lower case
 * (0x60-0x7e) goes on with the next field, upper case (0x40-0x5e) ends the
 * sequence. "W" (and "w") are followed by as many bytes of binary data as the
 * value says, as is "X" after "ESC & p" (transparent print data). Anything
 * else after ESC is a two-character sequence (ESC E, ESC z ...).
 */
static void pcl_byte(struct sim_pjl *p, guint8 c)
{
	switch (p->pcl) {
	case PCL_TEXT:
		if (c == 0x1b)
			p->pcl = PCL_ESC;
		else if (c == '\f')
			page_done(p);
		return;
	case PCL_ESC:
		if (c >= 0x21 && c <= 0x2f) {
			p->pcl_param = c;
			p->pcl_group = 0;
			p->pcl_value = 0;
			p->pcl_fraction = false;
			p->pcl = PCL_GROUP;
		} else {
			p->pcl = c == 0x1b ? PCL_ESC : PCL_TEXT;
		}
		return;
	case PCL_GROUP:
		p->pcl = PCL_VALUE;
		if (c >= 0x60 && c <= 0x7e) {
			p->pcl_group = c;
			return;
		}
		break;   /* no group character ("ESC ( 8 U"): this is the value */
	case PCL_VALUE:
		break;
	case PCL_BINARY:
		if (--p->pcl_skip == 0)
			p->pcl = p->pcl_group ? PCL_VALUE : PCL_TEXT;
		return;
	}
	/* The value field and its parameter character. */
	if (c >= '0' && c <= '9') {
		if (!p->pcl_fraction && p->pcl_value < 100000000)
			p->pcl_value = p->pcl_value * 10 + (unsigned)(c - '0');
		return;
	}
	if (c == '.') {
		p->pcl_fraction = true;
		return;
	}
	if (c == '+' || c == '-' || c == ' ')
		return;
	if ((c >= 0x60 && c <= 0x7e) || (c >= 0x40 && c <= 0x5e)) {
		bool last = c <= 0x5e;
		bool binary = c == 'W' || c == 'w' || (p->pcl_param == '&' && p->pcl_group == 'p' && (c == 'X' || c == 'x'));
		unsigned long n = p->pcl_value;

		p->pcl_value = 0;
		p->pcl_fraction = false;
		if (binary && n) {
			p->pcl_skip = n;
			p->pcl = PCL_BINARY;
			if (last)
				p->pcl_group = 0;   /* back to text after the data */
			return;
		}
		p->pcl = last ? PCL_TEXT : PCL_VALUE;
		return;
	}
	/* Not PCL after all: back to text, and the byte is text. */
	p->pcl = PCL_TEXT;
	pcl_byte(p, c);
}

static void pdl_byte(struct sim_pjl *p, guint8 c)
{
	if (!p->pdl_started) {
		p->pdl_started = true;
		p->pdl_lang = p->lang != LANG_AUTO ? p->lang : (c == '%' ? LANG_POSTSCRIPT : LANG_PCL);
	}
	if (p->pdl_lang == LANG_POSTSCRIPT)
		ps_byte(p, c);
	else
		pcl_byte(p, c);
}

/* One byte of page description data: watch for the UEL that ends the section. */
static void pdl_input(struct sim_pjl *p, guint8 c)
{
	if (c == (guint8)UEL[p->uel_match]) {
		if (++p->uel_match == UEL_LEN) {
			pdl_end(p);
			p->section = SEC_PJL;
			p->at_line_start = true;
			p->uel_match = 0;
		}
		return;
	}
	if (p->uel_match) {
		/* A partial UEL was ordinary data after all. */
		unsigned held = p->uel_match;

		p->uel_match = 0;
		for (unsigned k = 0; k < held; k++)
			pdl_byte(p, (guint8)UEL[k]);
		if (c == (guint8)UEL[0]) {
			p->uel_match = 1;
			return;
		}
	}
	pdl_byte(p, c);
}

/* One byte in a PJL section. */
static void pjl_input(struct sim_pjl *p, guint8 c)
{
	if (p->at_line_start) {
		if (c == '\r' || c == '\n')
			return;
		g_string_append_c(p->line, (char)c);
		if (g_ascii_strncasecmp(p->line->str, "@PJL", p->line->len)) {
			/* Not PJL: the page description starts with the bytes held so far. */
			char held[4];
			size_t n = p->line->len;

			memcpy(held, p->line->str, n);
			g_string_truncate(p->line, 0);
			p->section = SEC_PDL;
			p->uel_match = 0;
			for (size_t k = 0; k < n; k++)
				pdl_input(p, (guint8)held[k]);
		} else if (p->line->len == 4) {
			p->at_line_start = false;
		}
		return;
	}
	if (c == '\n') {
		while (p->line->len && p->line->str[p->line->len - 1] == '\r')
			g_string_truncate(p->line, p->line->len - 1);
		command(p, p->line->str);
		g_string_truncate(p->line, 0);
		p->at_line_start = true;
	} else if (p->line->len < MAX_LINE) {
		g_string_append_c(p->line, (char)c);
	}
}

void sim_pjl_feed(struct sim_pjl *p, const guint8 *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p->section == SEC_PJL)
			pjl_input(p, data[i]);
		else
			pdl_input(p, data[i]);
	}
}
