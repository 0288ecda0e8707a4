/*
 * command.c - parclass-command, the CUPS filter for maintenance commands
 *
 *   parclass-command job-id user title copies options [file]
 *
 * Reads an application/vnd.cups-command file ("#CUPS-COMMAND" and one
 * command per line) and carries the commands out in PJL through the
 * parclass backend:
 *
 *   ReportStatus       asks "@PJL INFO STATUS", reads the answer from the
 *                      back channel and reports it: printer-state-reasons
 *                      (STATE:), printer-alert and its description (ATTR:),
 *                      printer-state-message (INFO:)
 *   ReportLevels       the same question: PJL has no supply levels, so the
 *                      toner state is what the status says, and the message
 *                      says that the printer reports no levels
 *   PrintSelfTestPage, Clean, ...
 *                      sends the bytes of the PPD's "*parclassCommand NAME"
 *                      inside a PJL job; without one the command is
 *                      reported as not supported
 *
 * A query is preceded by "@PJL ECHO parclass-ID-PID" and only an answer
 * after that echo counts, so status the printer sent earlier (and the
 * backend passed on) is never taken for the answer. The wait is bounded
 * (the job option answer-timeout=SECONDS, default 10). Unknown commands
 * are errors: the job ends with exit status 1 after the others are done.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cups/sidechannel.h>

#include "common/pjl.h"
#include "common/reasons.h"
#include "filter.h"

#define LINE_MAX_LEN 1024
#define ANSWER_TIMEOUT_S 10
#define COMMAND_MAX 4096

/* The printer-state-reasons PJL status can give; the rest are not ours to clear. */
#define PJL_REASONS (REASON_MEDIA_EMPTY | REASON_MEDIA_JAM | REASON_DOOR_OPEN | REASON_OFFLINE | REASON_TONER_LOW | \
		     REASON_OTHER_ERROR | REASON_OTHER_WARNING)

static volatile sig_atomic_t cancelled;

/* fd 3 was open when the filter started: cupsd gave it the back channel. */
static bool back_channel;

static void on_term(int sig)
{
	(void)sig;
	cancelled = 1;
}

struct query {
	char token[64];           /* the ECHO text that marks our question */
	bool synced;              /* the echo came back: what follows answers us */
	bool answered;
	struct pjl_message status;
};

static void on_message(const struct pjl_message *m, void *userdata)
{
	struct query *q = userdata;

	if (m->kind == PJL_ECHO && !strcmp(m->text, q->token))
		q->synced = true;
	else if (q->synced && !q->answered && m->kind == PJL_DEVICE) {
		q->status = *m;
		q->answered = true;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int answer_timeout(const struct filter_args *a)
{
	const char *v = cupsGetOption("answer-timeout", a->num_options, a->options);
	int s = v ? atoi(v) : ANSWER_TIMEOUT_S;

	if (s < 1 || s > 300) {
		fprintf(stderr, "WARNING: parclass-command: answer-timeout=%s is not 1 to 300 seconds, using %d\n", v,
			ANSWER_TIMEOUT_S);
		s = ANSWER_TIMEOUT_S;
	}
	return s;
}

/*
 * Ask for the printer's status and wait for the answer.
 * @return 1 answered (in q->status), 0 no answer in time, -1 no back channel
 */
static int ask_status(const struct filter_args *a, struct query *q)
{
	struct pjl_reader reader;
	double end = now_s() + answer_timeout(a);

	memset(q, 0, sizeof *q);
	snprintf(q->token, sizeof q->token, "parclass-%s-%ld", a->job_id, (long)getpid());
	pjl_string(q->token, sizeof q->token - 1, q->token);
	if (!out_printf(a, PJL_UEL_FMT "@PJL\r\n@PJL ECHO %s\r\n@PJL INFO STATUS\r\n" PJL_UEL_FMT, q->token) ||
	    !out_flush(a))
		return -2;
	pjl_reader_init(&reader);
	while (!q->answered && !cancelled) {
		double left = end - now_s();
		char buf[1024];
		ssize_t n;

		if (left <= 0)
			return 0;
		struct pollfd pfd = { .fd = CUPS_BC_FD, .events = POLLIN };

		if (!back_channel)
			return -1;
		/* libcups's cupsBackChannelRead() goes on to a blocking read when its
		 * own timeout expires: call it only when there is something to read. */
		if (poll(&pfd, 1, left < 0.25 ? (int)(left * 1000) + 1 : 250) == 0)
			continue;
		n = cupsBackChannelRead(buf, sizeof buf, 0.0);
		if (n > 0) {
			pjl_reader_feed(&reader, buf, (size_t)n, on_message, q);
		} else if (n == 0) {
			fprintf(stderr, "DEBUG: parclass-command: the backend closed the back channel\n");
			back_channel = false;
		} else if (errno != EINTR && errno != EAGAIN && errno != ETIMEDOUT) {
			fprintf(stderr, "DEBUG: parclass-command: back channel: %s\n", strerror(errno));
			back_channel = false;
		}
	}
	return q->answered ? 1 : 0;
}

/* printer-state-reasons, printer-alert and printer-state-message from a status answer. */
static void report_status(const struct pjl_message *m)
{
	struct reasons r;
	const char *text = *m->text ? m->text : pjl_code_text(m->code);

	reasons_init(&r, getenv("PRINTER_STATE_REASONS"), stderr);
	reasons_set(&r, REASON_FROM_PROGRAM, r.shown & ~PJL_REASONS);
	reasons_set(&r, REASON_FROM_PJL, pjl_code_reasons(m->code) | (m->online == 0 ? REASON_OFFLINE : 0));
	reasons_flush(&r);
	fprintf(stderr, "ATTR: printer-alert=\"%s\" printer-alert-description=\"%s\"\n", pjl_code_alert(m->code), text);
	fprintf(stderr, "INFO: %s\n", text);
}

static bool no_answer(int r, const char *command, int timeout)
{
	if (r == -1)
		fprintf(stderr, "WARNING: %s: the printer's answers cannot be read: the backend has no back "
			"channel to this printer\n", command);
	else if (r == 0)
		fprintf(stderr, "WARNING: %s: the printer did not answer within %d seconds\n", command, timeout);
	return r == -2 ? false : true;
}

static bool report_status_command(const struct filter_args *a)
{
	struct query q;
	int r = ask_status(a, &q);

	if (r == 1) {
		fprintf(stderr, "DEBUG: parclass-command: status %d \"%s\" online=%d\n", q.status.code, q.status.text,
			q.status.online);
		report_status(&q.status);
		return true;
	}
	return no_answer(r, "ReportStatus", answer_timeout(a));
}

static bool report_levels_command(const struct filter_args *a)
{
	struct query q;
	int r = ask_status(a, &q);

	if (r != 1)
		return no_answer(r, "ReportLevels", answer_timeout(a));
	/* PJL tells "toner low" (10006, 40038) and nothing finer: no level to report. */
	report_status(&q.status);
	if (pjl_code_reasons(q.status.code) & REASON_TONER_LOW)
		fprintf(stderr, "INFO: Toner low (the printer reports no supply levels over PJL)\n");
	else
		fprintf(stderr, "INFO: The printer reports no supply levels over PJL; it reports no low toner\n");
	return true;
}

/* A command the PPD defines with *parclassCommand NAME: its bytes in a PJL job. */
static int ppd_command(const struct filter_args *a, const char *command)
{
	ppd_attr_t *attr = a->ppd ? ppdFindAttr(a->ppd, "parclassCommand", command) : NULL;
	struct filter_args named = *a;
	char name[PJL_NAME_MAX + 1], *data;
	long n;
	bool ok;

	if (!attr || !attr->value)
		return 0;
	data = malloc(COMMAND_MAX);
	if (!data)
		return -1;
	n = ppd_decode(attr->value, data, COMMAND_MAX);
	if (n < 0) {
		fprintf(stderr, "ERROR: %s: the PPD's *parclassCommand %s is malformed\n", command, command);
		free(data);
		return -1;
	}
	named.title = command;
	pjl_job_name(name, sizeof name, &named);
	ok = out_printf(a, PJL_UEL_FMT "@PJL\r\n@PJL JOB NAME=\"%s\"\r\n", name) && out_write(a, data, (size_t)n) &&
	     out_printf(a, PJL_UEL_FMT "@PJL EOJ NAME=\"%s\"\r\n" PJL_UEL_FMT, name) && out_flush(a);
	free(data);
	if (ok)
		fprintf(stderr, "INFO: %s sent to the printer\n", attr->text[0] ? attr->text : command);
	return ok ? 1 : -1;
}

int main(int argc, char *argv[])
{
	struct filter_args a;
	struct sigaction sa = { .sa_handler = on_term };
	cups_file_t *in;
	char line[LINE_MAX_LEN];
	bool readable = true;
	int status = 0;

	/* Before anything opens a file: with fd 3 closed, the command file or
	 * the PPD would get it, and would be read as the printer's answers. */
	back_channel = fcntl(CUPS_BC_FD, F_GETFD) != -1;
	if (!back_channel) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (null >= 0 && null != CUPS_BC_FD) {
			if (null < CUPS_BC_FD)
				dup2(null, CUPS_BC_FD);
			close(null);
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!filter_args_parse(&a, "parclass-command", argc, argv))
		return 1;
	in = a.file ? cupsFileOpen(a.file, "r") : cupsFileStdin();
	if (!in) {
		fprintf(stderr, "ERROR: parclass-command: cannot open %s: %s\n", a.file, strerror(errno));
		filter_args_free(&a);
		return 1;
	}
	if (!cupsFileGets(in, line, sizeof line) || strncmp(line, "#CUPS-COMMAND", 13)) {
		fprintf(stderr, "ERROR: parclass-command: not a CUPS command file (no #CUPS-COMMAND line)\n");
		readable = false;
		status = 1;
	}
	while (readable && !cancelled && cupsFileGets(in, line, sizeof line)) {
		char *command = line, *end;
		bool ok = true;
		int r;

		while (*command == ' ' || *command == '\t')
			command++;
		if (!*command || *command == '#')
			continue;
		end = command + strcspn(command, " \t\r");
		*end = '\0';
		fprintf(stderr, "DEBUG: parclass-command: %s\n", command);
		if (!strcmp(command, "ReportStatus"))
			ok = report_status_command(&a);
		else if (!strcmp(command, "ReportLevels"))
			ok = report_levels_command(&a);
		else if ((r = ppd_command(&a, command)) != 0)
			ok = r > 0;
		else if (!strcmp(command, "PrintSelfTestPage") || !strcmp(command, "Clean")) {
			char safe[64];

			pjl_string(safe, sizeof safe - 1, command);
			fprintf(stderr, "ERROR: %s is not supported by this printer\n", safe);
			status = 1;
		} else {
			char safe[64];

			pjl_string(safe, sizeof safe - 1, command);
			fprintf(stderr, "ERROR: Unknown printer command \"%s\"\n", safe);
			status = 1;
		}
		if (!ok)
			status = 1;
	}
	if (cancelled)
		fprintf(stderr, "INFO: parclass-command: cancelled\n");
	if (a.file)
		cupsFileClose(in);
	filter_args_free(&a);
	return status;
}
