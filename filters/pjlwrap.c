/*
 * pjlwrap.c - parclass-pjl, the CUPS filter that wraps a job in PJL
 *
 *   parclass-pjl job-id user title copies options [file]
 *
 * Writes to standard output (the backend):
 *
 *   UEL @PJL
 *   @PJL USTATUS ...                 the PPD's JCL code that turns on status
 *   @PJL JOB NAME="ID TITLE"
 *   @PJL SET USERNAME="USER"
 *   @PJL SET ...                     the rest of the PPD's marked JCL code
 *   @PJL SET COPIES=N                when the PPD leaves the copies to PJL
 *   @PJL SET RESOLUTION=N            from a Resolution option
 *   @PJL ENTER LANGUAGE=L            from *parclassLanguage, or the data's first bytes
 *   the job: its file or standard input, or what the PPD's *parclassFilter
 *            (e.g. CUPS's rastertohp) makes of it
 *   UEL @PJL EOJ NAME="ID TITLE"
 *   UEL
 *
 * USTATUS comes before JOB so that the printer reports the job's start too.
 * Without a PPD (run by hand) all three kinds of status are turned on.
 * Titles and user names come from whoever submitted the job: pjl_string()
 * makes them inert. The PPD's JCL code is the administrator's, but only
 * whole "@PJL" lines of printable ASCII are passed on.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/pjl.h"
#include "filter.h"

#define CHUNK 65536
#define SNIFF 4096     /* read first, to tell the page description language */
#define SNIFF_MIN 16   /* enough for any signature sniff_language() knows */

static volatile sig_atomic_t cancelled;
/* Written by the SIGTERM handler: a wait for input sees a cancel that lands
 * just before it began, which a read() interrupted by EINTR would not. */
static int cancel_pipe[2] = { -1, -1 };

static void on_term(int sig)
{
	int saved = errno;

	(void)sig;
	cancelled = 1;
	if (cancel_pipe[1] >= 0 && write(cancel_pipe[1], "x", 1) < 0) {
		/* full: a cancel is pending already */
	}
	errno = saved;
}

/* Until @fd has data (or its end) or the job is cancelled; false when cancelled. */
static bool wait_input(int fd)
{
	struct pollfd p[2] = { { fd, POLLIN, 0 }, { cancel_pipe[0], POLLIN, 0 } };

	while (!cancelled && poll(p, 2, -1) < 0 && errno == EINTR)
		;
	return !cancelled;
}

/* ---- the PJL header ---- */

#define LINES_MAX 64

struct lines {
	char *v[LINES_MAX];
	int n;
};

static void lines_add(struct lines *l, const char *s)
{
	if (l->n < LINES_MAX)
		l->v[l->n++] = strdup(s);
}

static void lines_free(struct lines *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

struct jcl_sink {
	struct lines *status, *settings;
};

static void jcl_accept(const char *line, void *userdata)
{
	struct jcl_sink *sink = userdata;

	lines_add(!strncmp(line + 4, " USTATUS", 8) ? sink->status : sink->settings, line);
}

/*
 * Every marked JCLSetup choice's code, in order, as CRLF-terminated lines:
 * those that turn on status (USTATUS) into @status, the rest into @settings.
 */
static void jcl_lines(const struct filter_args *a, struct lines *status, struct lines *settings)
{
	ppd_choice_t **choices = NULL;
	int n = ppdCollect2(a->ppd, PPD_ORDER_JCL, 0.0f, &choices);
	struct jcl_sink sink = { status, settings };

	for (int i = 0; i < n; i++) {
		int dropped;

		if (!strcmp(choices[i]->choice, "Custom")) {
			fprintf(stderr, "WARNING: %s: custom value of %s ignored\n", a->program,
				choices[i]->option->keyword);
			continue;
		}
		dropped = jcl_code_lines(choices[i]->code, jcl_accept, &sink);
		for (int k = 0; k < dropped; k++)
			fprintf(stderr, "WARNING: %s: PPD code of %s=%s is not a PJL line, left out\n", a->program,
				choices[i]->option->keyword, choices[i]->choice);
	}
	free(choices);
}

/* The ENTER LANGUAGE value for data that starts with @head, or NULL to let the printer choose. */
static const char *sniff_language(const unsigned char *head, size_t n)
{
	if (n >= 2 && head[0] == '%' && head[1] == '!')
		return "POSTSCRIPT";
	if (n >= 3 && head[0] == 0x04 && head[1] == '%' && head[2] == '!')
		return "POSTSCRIPT";
	if (n >= 9 && !memcmp(head, PJL_UEL, 9))
		return NULL;   /* the data is PJL itself and says what comes */
	if (n >= 4 && !memcmp(head, "%PDF", 4))
		return "PDF";
	if (n >= 11 && !memcmp(head, ") HP-PCL XL", 11))
		return "PCLXL";
	if (n >= 2 && head[0] == 0x1b && (head[1] == 'E' || head[1] == '&' || head[1] == '*' || head[1] == '('))
		return "PCL";
	return NULL;
}

static bool write_header(const struct filter_args *a, const char *name, const unsigned char *head, size_t n)
{
	char user[PJL_NAME_MAX + 1];
	struct lines status = { .n = 0 }, settings = { .n = 0 };
	const char *language = NULL;
	bool ok;

	if (a->ppd) {
		ppd_attr_t *attr = ppdFindAttr(a->ppd, "parclassLanguage", NULL);

		jcl_lines(a, &status, &settings);
		if (attr && attr->value && *attr->value)
			language = attr->value;
	} else {
		lines_add(&status, "@PJL USTATUS DEVICE=ON");
		lines_add(&status, "@PJL USTATUS JOB=ON");
		lines_add(&status, "@PJL USTATUS PAGE=ON");
	}
	if (!language)
		language = sniff_language(head, n);
	pjl_string(user, PJL_NAME_MAX, a->user);

	ok = out_printf(a, PJL_UEL_FMT "@PJL\r\n");
	for (int i = 0; ok && i < status.n; i++)
		ok = !status.v[i] || out_printf(a, "%s\r\n", status.v[i]);
	ok = ok && out_printf(a, "@PJL JOB NAME=\"%s\"\r\n@PJL SET USERNAME=\"%s\"\r\n", name, user);
	for (int i = 0; ok && i < settings.n; i++)
		ok = !settings.v[i] || out_printf(a, "%s\r\n", settings.v[i]);
	if (ok && a->ppd && a->copies > 1) {
		ppd_attr_t *pjl_copies = ppdFindAttr(a->ppd, "parclassPJLCopies", NULL);

		/* Only where the PPD says that the page description leaves the copies
		 * to the printer: pstops' NumCopies and rastertohp's ESC&l#X override
		 * PJL anyway, and data that CUPS already copied (collated copies)
		 * would come out copies x copies times. */
		if (pjl_copies && pjl_copies->value && !strcasecmp(pjl_copies->value, "true"))
			ok = out_printf(a, "@PJL SET COPIES=%d\r\n", a->copies);
	}
	if (ok && a->ppd) {
		ppd_choice_t *res = ppdFindMarkedChoice(a->ppd, "Resolution");
		int dpi = res ? atoi(res->choice) : 0;

		if (dpi > 0)
			ok = out_printf(a, "@PJL SET RESOLUTION=%d\r\n", dpi);
	}
	if (ok && language)
		ok = out_printf(a, "@PJL ENTER LANGUAGE=%s\r\n", language);
	lines_free(&status);
	lines_free(&settings);
	return ok;
}

/* ---- the job's data ---- */

/* Start the PPD's driver filter with our arguments; its output is returned in @fd. */
static pid_t start_driver(const struct filter_args *a, const char *driver, char *argv[], int *fd)
{
	const char *serverbin = getenv("CUPS_SERVERBIN");
	char path[1024];
	int pipefd[2];
	pid_t pid;

	if (!*driver || strchr(driver, '/') || !strcmp(driver, ".") || !strcmp(driver, "..")) {
		fprintf(stderr, "ERROR: %s: *parclassFilter \"%s\" must name a program in the CUPS filter directory\n",
			a->program, driver);
		return -1;
	}
	snprintf(path, sizeof path, "%s/filter/%s", serverbin && *serverbin ? serverbin : CUPS_SERVERBIN, driver);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "ERROR: %s: pipe: %s\n", a->program, strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "ERROR: %s: fork: %s\n", a->program, strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(pipefd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(path, argv);
		fprintf(stderr, "ERROR: %s: cannot run %s: %s\n", a->program, path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	*fd = pipefd[0];
	fprintf(stderr, "DEBUG: %s: running %s (pid %d)\n", a->program, path, (int)pid);
	return pid;
}

/* Read at least @min of up to @len bytes (fewer only at end of file); -1 on error or cancel. */
static ssize_t read_some(int fd, unsigned char *buf, size_t min, size_t len)
{
	size_t got = 0;

	while (got < min && wait_input(fd)) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return cancelled ? -1 : (ssize_t)got;
}

/* The driver's exit status as a message; false when it failed. */
static bool driver_done(const struct filter_args *a, const char *driver, pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "ERROR: %s: waitpid: %s\n", a->program, strerror(errno));
			return false;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFEXITED(status))
		fprintf(stderr, "ERROR: %s: %s failed with exit status %d\n", a->program, driver, WEXITSTATUS(status));
	else if (!cancelled)
		fprintf(stderr, "ERROR: %s: %s was killed by signal %d\n", a->program, driver, WTERMSIG(status));
	return false;
}

int main(int argc, char *argv[])
{
	struct filter_args a;
	struct sigaction sa = { .sa_handler = on_term };
	char name[PJL_NAME_MAX + 1];
	unsigned char *buf;
	const char *driver = NULL;
	pid_t driver_pid = -1;
	int fd = STDIN_FILENO, status = 0;
	ssize_t n;
	bool ok;

	/* No SA_RESTART: a cancel must interrupt a read that waits for data. */
	if (pipe2(cancel_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		fprintf(stderr, "ERROR: parclass-pjl: pipe: %s\n", strerror(errno));
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!filter_args_parse(&a, "parclass-pjl", argc, argv))
		return 1;
	buf = malloc(CHUNK);
	if (!buf) {
		fprintf(stderr, "ERROR: parclass-pjl: out of memory\n");
		filter_args_free(&a);
		return 1;
	}
	if (a.ppd) {
		ppd_attr_t *attr = ppdFindAttr(a.ppd, "parclassFilter", NULL);

		if (attr && attr->value)
			driver = attr->value;
	}
	if (driver) {
		driver_pid = start_driver(&a, driver, argv, &fd);
		if (driver_pid < 0) {
			free(buf);
			filter_args_free(&a);
			return 1;
		}
	} else if (a.file) {
		fd = open(a.file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "ERROR: parclass-pjl: cannot open %s: %s\n", a.file, strerror(errno));
			free(buf);
			filter_args_free(&a);
			return 1;
		}
	}

	pjl_job_name(name, sizeof name, &a);
	/* The first bytes tell the language; the header goes out before them. */
	n = read_some(fd, buf, SNIFF_MIN, SNIFF);
	ok = n >= 0 && write_header(&a, name, buf, n > 0 ? (size_t)n : 0) &&
	     out_write(&a, buf, (size_t)(n > 0 ? n : 0)) && out_flush(&a);
	while (ok && n > 0) {
		if (!wait_input(fd))
			break;
		n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR && !cancelled)
			continue;
		/* Flushed at once: the printer must not wait for data a slow producer
		 * upstream has already given us. */
		if (n > 0)
			ok = out_write(&a, buf, (size_t)n) && out_flush(&a);
	}
	if (n < 0 && !cancelled) {
		fprintf(stderr, "ERROR: parclass-pjl: cannot read the job: %s\n", strerror(errno));
		status = 1;
	}
	if (cancelled) {
		fprintf(stderr, "INFO: parclass-pjl: job cancelled, ending it on the printer\n");
		if (driver_pid > 0)
			kill(driver_pid, SIGTERM);
	}
	if (!ok)
		status = 1;
	if (fd != STDIN_FILENO)
		close(fd);
	if (driver_pid > 0 && !driver_done(&a, driver, driver_pid) && !cancelled)
		status = 1;
	/* Always end the job: a printer left inside a page description would
	 * take the next job for more of this one. */
	if (!out_printf(&a, PJL_UEL_FMT "@PJL EOJ NAME=\"%s\"\r\n" PJL_UEL_FMT, name) || !out_flush(&a))
		status = 1;
	free(buf);
	filter_args_free(&a);
	return status;
}
