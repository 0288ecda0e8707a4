/*
 * parclass-sim - a virtual IEEE 1284 printer behind emulated /dev/parportN
 *
 *   parclass-sim [--model FILE]... [--record DIR] -- COMMAND [ARG...]
 *   parclass-sim [--model FILE]... [--record DIR] --serve
 *
 * The interface is fixed in DESIGN.md and documented in parclass-sim(1).
 * This file only wires the pieces together: options, models, the test bed,
 * signals, and the command or the serving loop.
 */
#include "config.h"

#include "lp.h"
#include "model.h"
#include "port.h"
#include "ppdev.h"
#include "record.h"
#include "testbed.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define MAX_PORTS 8

static GMainLoop *loop;
static GPid child;
static int child_status = -1;

#define STOP_GRACE_MS 500

static gint64 stop_deadline;

/* Clients still inside a call got ENODEV; give them a moment to close their
 * files, so that none is cut off mid-call (umockdev's preload would abort it). */
static gboolean stop_when_quiet(gpointer data)
{
	if (sim_ppdev_open_files() + sim_lp_open_files() && g_get_monotonic_time() < stop_deadline)
		return G_SOURCE_CONTINUE;
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static void stop(void)
{
	if (stop_deadline)
		return;
	stop_deadline = g_get_monotonic_time() + STOP_GRACE_MS * 1000;
	sim_ppdev_stop();
	sim_lp_stop();
	if (stop_when_quiet(NULL))
		g_timeout_add(10, stop_when_quiet, NULL);
}

static gboolean on_quit_signal(gpointer data)
{
	int sig = GPOINTER_TO_INT(data);

	if (child > 0)
		kill(child, sig);  /* the command decides; we follow when it exits */
	else
		stop();
	return G_SOURCE_CONTINUE;
}

/* A device changed: both drivers look at their waiting calls. */
static void kick_drivers(void *data)
{
	sim_ppdev_kick(NULL);
	sim_lp_kick(NULL);
}

/* A ppdev file took or gave up a port: /proc shows it, and a waiting lp
 * claim may go ahead. */
static void ppdev_active(void *ctx, struct sim_port *p, bool claimed)
{
	sim_testbed_ppdev_hooks.active(ctx, p, claimed);
	if (!claimed)
		sim_lp_kick(NULL);
}

static struct sim_ppdev_hooks ppdev_hooks;

static gboolean on_usr1(gpointer data)
{
	sim_ppdev_signal(false);
	sim_lp_kick(NULL);
	return G_SOURCE_CONTINUE;
}

static gboolean on_usr2(gpointer data)
{
	sim_ppdev_signal(true);
	sim_lp_kick(NULL);
	return G_SOURCE_CONTINUE;
}

static void on_child_exit(GPid pid, int status, gpointer data)
{
	child_status = status;
	child = 0;
	g_spawn_close_pid(pid);
	stop();
}

/* Could a program we start use raw I/O ports (root, or our own capability)? */
static bool may_gain_raw_io(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return true;
	return (data[CAP_TO_INDEX(CAP_SYS_RAWIO)].permitted & CAP_TO_MASK(CAP_SYS_RAWIO)) != 0;
}

/* In the command's process, before exec: no way to real I/O ports. */
static void drop_raw_io(gpointer data)
{
	bool needed = GPOINTER_TO_INT(data);

	if (prctl(PR_CAPBSET_READ, CAP_SYS_RAWIO) > 0 && prctl(PR_CAPBSET_DROP, CAP_SYS_RAWIO) < 0 && needed) {
		fprintf(stderr, "parclass-sim: cannot drop CAP_SYS_RAWIO (%s); refusing to run the command\n",
			strerror(errno));
		_exit(126);
	}
}

/* An ELF file without a program interpreter is static: LD_PRELOAD cannot reach it. */
static bool is_static_elf(const char *path)
{
	g_autofree char *data = NULL;
	gsize len;
	const Elf64_Ehdr *eh;

	if (!g_file_get_contents(path, &data, &len, NULL) || len < sizeof(Elf64_Ehdr) ||
	    memcmp(data, ELFMAG, SELFMAG) != 0 || data[EI_CLASS] != ELFCLASS64)
		return false;
	eh = (const Elf64_Ehdr *)data;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return false;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		gsize off = eh->e_phoff + (gsize)i * eh->e_phentsize;
		const Elf64_Phdr *ph;

		if (off + sizeof(Elf64_Phdr) > len)
			return false;
		ph = (const Elf64_Phdr *)(data + off);
		if (ph->p_type == PT_INTERP)
			return false;
	}
	return true;
}

/*
 * Refuse commands that would bypass the emulation and reach the real ports:
 * the dynamic loader ignores LD_PRELOAD for set-user-ID programs, and static
 * programs never load it.
 */
static bool command_is_safe(const char *cmd)
{
	g_autofree char *path = strchr(cmd, '/') ? g_strdup(cmd) : g_find_program_in_path(cmd);
	struct stat st;

	if (!path || stat(path, &st) < 0) {
		g_printerr("parclass-sim: %s: command not found\n", cmd);
		return false;
	}
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		g_printerr("parclass-sim: %s is set-user-ID or set-group-ID: it would ignore the emulation and use "
			   "real ports; refusing to run it\n", path);
		return false;
	}
	if (is_static_elf(path)) {
		g_printerr("parclass-sim: %s is statically linked: it cannot load the emulation and would use "
			   "real ports; refusing to run it\n", path);
		return false;
	}
	return true;
}

static char **command_environment(void)
{
	char **env = g_get_environ();
	const char *old = g_environ_getenv(env, "LD_PRELOAD");
	g_autofree char *preload = NULL;
	g_autofree char *pid = g_strdup_printf("%d", (int)getpid());

	/* Whatever is preloaded already (a sanitizer runtime) stays first. */
	preload = old && *old ? g_strdup_printf("%s:%s", old, sim_testbed_preload())
			      : g_strdup(sim_testbed_preload());
	env = g_environ_setenv(env, "LD_PRELOAD", preload, TRUE);
	env = g_environ_setenv(env, "UMOCKDEV_DIR", sim_testbed_root(), TRUE);
	env = g_environ_setenv(env, "PARCLASS_SIM_PID", pid, TRUE);
	return env;
}

static void print_environment(void)
{
	g_autofree char *preload = g_shell_quote(sim_testbed_preload());
	g_autofree char *dir = g_shell_quote(sim_testbed_root());
	int devnull;

	printf("export LD_PRELOAD=%s\n", preload);
	printf("export UMOCKDEV_DIR=%s\n", dir);
	printf("export PARCLASS_SIM_PID=%d\n", (int)getpid());
	fflush(stdout);
	/* End of file tells a reader that the emulation is ready. */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
}

int main(int argc, char **argv)
{
	g_auto(GStrv) models = NULL;
	g_autofree char *record = NULL;
	gboolean serve = FALSE, verbose = FALSE, version = FALSE;
	const GOptionEntry entries[] = {
		{ "model", 'm', 0, G_OPTION_ARG_FILENAME_ARRAY, &models,
		  "Model of parportN (the Nth --model is parport(N-1))", "FILE" },
		{ "record", 'r', 0, G_OPTION_ARG_FILENAME, &record, "Record jobs and events into DIR", "DIR" },
		{ "serve", 's', 0, G_OPTION_ARG_NONE, &serve, "Print the client environment, then serve until SIGTERM",
		  NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print every event on standard error", NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("-- COMMAND [ARG...] | --serve");
	g_autoptr(GError) error = NULL;
	struct sim_port_model *port_models[MAX_PORTS] = { NULL };
	struct sim_port *ports[MAX_PORTS] = { NULL };
	unsigned n_ports = 0;
	char **command = NULL;
	int opt_argc = argc, exit_code = 0;

	for (int i = 1; i < argc; i++)
		if (g_str_equal(argv[i], "--")) {
			command = argv[i + 1] ? argv + i + 1 : NULL;
			opt_argc = i;
			break;
		}

	g_option_context_set_summary(ctx, "A virtual IEEE 1284 printer behind emulated /dev/parportN ports.");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &opt_argc, &argv, &error)) {
		g_printerr("parclass-sim: %s\n", error->message);
		return EXIT_USAGE;
	}
	if (version) {
		printf("parclass-sim %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (opt_argc > 1 && !g_str_equal(argv[1], "--")) {
		g_printerr("parclass-sim: unexpected argument \"%s\" (a command goes after --)\n", argv[1]);
		return EXIT_USAGE;
	}
	if (!!serve == !!command) {
		g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);

		g_printerr("parclass-sim: give either --serve or -- COMMAND\n%s", help);
		return EXIT_USAGE;
	}
	if (command && !command_is_safe(command[0]))
		return EXIT_USAGE;

	if (models && g_strv_length(models) > MAX_PORTS) {
		g_printerr("parclass-sim: at most %d ports (libieee1284 looks at /dev/parport0..7)\n", MAX_PORTS);
		return EXIT_USAGE;
	}
	for (char **m = models; m && *m; m++) {
		port_models[n_ports] = sim_model_load_file(*m, &error);
		if (!port_models[n_ports]) {
			g_printerr("parclass-sim: %s\n", error->message);
			exit_code = EXIT_USAGE;
			goto out;
		}
		n_ports++;
	}
	if (!n_ports) {
		port_models[0] = sim_model_load_data(sim_default_model, "(built-in)", &error);
		g_assert(port_models[0]);
		n_ports = 1;
	}

	sim_record_set_verbose(verbose);
	if (record && !sim_record_open(record, &error)) {
		g_printerr("parclass-sim: %s\n", error->message);
		exit_code = 1;
		goto out;
	}

	signal(SIGPIPE, SIG_IGN);
	loop = g_main_loop_new(NULL, FALSE);
	if (!sim_testbed_create(&error))
		goto fail;
	for (unsigned i = 0; i < n_ports; i++) {
		ports[i] = sim_port_new(i, port_models[i], kick_drivers, NULL);
		if (!sim_testbed_add_port(ports[i], &error))
			goto fail;
	}
	if (!sim_testbed_finish(n_ports, &error) || !sim_testbed_add_lp(ports, n_ports, &error))
		goto fail;
	ppdev_hooks = sim_testbed_ppdev_hooks;
	ppdev_hooks.active = ppdev_active;
	sim_ppdev_init(ports, n_ports, &ppdev_hooks, NULL);
	sim_lp_init(ports, n_ports, sim_testbed_show_holder);

	g_unix_signal_add(SIGTERM, on_quit_signal, GINT_TO_POINTER(SIGTERM));
	g_unix_signal_add(SIGINT, on_quit_signal, GINT_TO_POINTER(SIGINT));
	g_unix_signal_add(SIGHUP, on_quit_signal, GINT_TO_POINTER(SIGHUP));
	g_unix_signal_add(SIGUSR1, on_usr1, NULL);
	g_unix_signal_add(SIGUSR2, on_usr2, NULL);

	if (serve) {
		if (geteuid() == 0)
			g_printerr("parclass-sim: note: clients running as root keep raw I/O port access; "
				   "start them with setpriv --bounding-set=-sys_rawio or through "
				   "parclass-sim -- COMMAND\n");
		print_environment();
	} else {
		g_auto(GStrv) env = command_environment();

		if (!g_spawn_async(NULL, command, env,
				   G_SPAWN_SEARCH_PATH_FROM_ENVP | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN,
				   drop_raw_io, GINT_TO_POINTER(may_gain_raw_io()), &child, &error))
			goto fail;
		g_child_watch_add(child, on_child_exit, NULL);
	}
	g_main_loop_run(loop);

	if (child_status >= 0) {
		if (WIFEXITED(child_status))
			exit_code = WEXITSTATUS(child_status);
		else if (WIFSIGNALED(child_status))
			exit_code = 128 + WTERMSIG(child_status);
	}
	goto out;

fail:
	g_printerr("parclass-sim: %s\n", error->message);
	exit_code = 1;
out:
	sim_ppdev_stop();
	sim_lp_stop();
	sim_testbed_destroy();
	sim_ppdev_shutdown();
	sim_lp_shutdown();
	for (unsigned i = 0; i < n_ports; i++) {
		sim_port_free(ports[i]);
		sim_model_free(port_models[i]);
	}
	sim_record_close();
	if (loop)
		g_main_loop_unref(loop);
	return exit_code;
}
