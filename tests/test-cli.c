/*
 * test-cli.c - parclass-sim's command line: -- COMMAND, --serve, refusals,
 * usage errors and exit statuses
 */
#include "config.h"

#include <criterion/criterion.h>
#include <elf.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "proc.h"

struct run {
	int status;          /* exit status, or 128 + signal */
	char *out, *err;
};

static char *tmpdir;

static void setup(void)
{
	tmpdir = g_dir_make_tmp("parclass-cli.XXXXXX", NULL);
	cr_assert(tmpdir);
}

static void teardown(void)
{
	remove_tree(tmpdir);
	g_free(tmpdir);
}

TestSuite(cli, .init = setup, .fini = teardown);

/* Run parclass-sim with @args (NULL-terminated); @preload is its LD_PRELOAD. */
static struct run sim_run_preload(const char *const *args, const char *preload)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *ld_preload = preload ? g_strconcat("LD_PRELOAD=", preload, NULL) : NULL;
	/* In a sanitizer build the preload would come before ASan's runtime. */
	const char *env[] = { "LD_PRELOAD", "UMOCKDEV_DIR", ld_preload, preload ? "ASAN_OPTIONS=verify_asan_link_order=0" : NULL,
			      NULL };
	struct proc_spec s = { .path = getenv("PARCLASS_SIM"), .env = env };
	struct run r = { 0 };
	struct proc p;

	g_ptr_array_add(argv, g_strdup(s.path));
	for (const char *const *a = args; *a; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	g_ptr_array_add(argv, NULL);
	s.argv = (const char *const *)argv->pdata;
	r.status = proc_run(&p, &s);
	r.out = g_strndup(p.outdata->len ? (const char *)p.outdata->data : "", p.outdata->len);
	r.err = g_strdup(p.errtext->str);
	proc_free(&p);
	return r;
}

static struct run sim_run(const char *const *args)
{
	return sim_run_preload(args, NULL);
}

static void run_free(struct run *r)
{
	g_free(r->out);
	g_free(r->err);
}

static char *write_tmp(const char *name, const char *text)
{
	char *path = g_build_filename(tmpdir, name, NULL);

	cr_assert(g_file_set_contents(path, text, -1, NULL));
	return path;
}

Test(cli, command_exit_status_is_passed_on)
{
	const char *args[] = { "--", "sh", "-c", "exit 3", NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 3, "stderr: %s", r.err);
	run_free(&r);
}

Test(cli, a_command_killed_by_a_signal_gives_128_plus_the_signal)
{
	const char *args[] = { "--", "sh", "-c", "kill -KILL $$", NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 128 + SIGKILL);
	run_free(&r);
}

Test(cli, the_command_sees_the_emulation)
{
	const char *args[] = { "--", "sh", "-c",
			       "test -e \"$UMOCKDEV_DIR/dev/parport0\" && "
			       "test -e /dev/parport7 && "
			       "case \"$LD_PRELOAD\" in *" UMOCKDEV_PRELOAD ") ;; *) exit 4;; esac && "
			       "test \"$PARCLASS_SIM_PID\" = \"$PPID\" && "
			       "cat /proc/sys/dev/parport/parport0/modes /proc/sys/dev/parport/parport0/irq "
			       "/proc/sys/dev/parport/parport0/devices/active",
			       NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert_str_eq(r.out, "PCSPP,TRISTATE,COMPAT,ECP\n7\nnone\n");
	run_free(&r);
}

Test(cli, what_was_preloaded_already_stays_first)
{
	const char *args[] = { "--", "sh", "-c", "echo \"$LD_PRELOAD\"", NULL };
	struct run r = sim_run_preload(args, "libc.so.6");

	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_assert(g_str_has_prefix(r.out, "libc.so.6:"), "LD_PRELOAD=%s", r.out);
	cr_assert(g_str_has_suffix(g_strchomp(r.out), UMOCKDEV_PRELOAD), "LD_PRELOAD=%s", r.out);
	run_free(&r);
}

Test(cli, the_command_has_no_raw_io_capability)
{
	/* CapBnd: bit 17 is CAP_SYS_RAWIO */
	const char *args[] = { "--", "sh", "-c", "grep '^CapBnd:' /proc/self/status", NULL };
	struct run r = sim_run(args);
	unsigned long long bnd;

	cr_assert_eq(r.status, 0);
	bnd = strtoull(r.out + strlen("CapBnd:"), NULL, 16);
	if (geteuid() == 0)
		cr_assert_eq(bnd & (1ull << 17), 0, "CAP_SYS_RAWIO still in the bounding set: %s", r.out);
	run_free(&r);
}

Test(cli, a_set_user_id_command_is_refused)
{
	g_autofree char *path = g_build_filename(tmpdir, "suid-true", NULL);
	g_autofree char *data = NULL;
	gsize len;
	const char *args[] = { "--", path, NULL };
	struct run r;

	cr_assert(g_file_get_contents("/bin/true", &data, &len, NULL));
	cr_assert(g_file_set_contents(path, data, (gssize)len, NULL));
	cr_assert_eq(chmod(path, 04755), 0);
	r = sim_run(args);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "set-user-ID"), "stderr: %s", r.err);
	run_free(&r);
}

Test(cli, a_static_command_is_refused)
{
	g_autofree char *path = g_build_filename(tmpdir, "static", NULL);
	Elf64_Ehdr eh = { 0 };
	const char *args[] = { "--", path, NULL };
	struct run r;

	/* An ELF executable without a program interpreter. */
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_type = ET_EXEC;
	cr_assert(g_file_set_contents(path, (const char *)&eh, sizeof eh, NULL));
	cr_assert_eq(chmod(path, 0755), 0);
	r = sim_run(args);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "statically linked"), "stderr: %s", r.err);
	run_free(&r);
}

Test(cli, a_missing_command_is_a_usage_error)
{
	const char *args[] = { "--", "/nonexistent/command", NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "command not found"), "stderr: %s", r.err);
	run_free(&r);
}

Test(cli, serve_or_command_is_required_and_not_both)
{
	const char *neither[] = { "--record", "/tmp/x", NULL };
	const char *both[] = { "--serve", "--", "true", NULL };
	struct run r = sim_run(neither);

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "give either --serve or -- COMMAND"), "stderr: %s", r.err);
	run_free(&r);
	r = sim_run(both);
	cr_assert_eq(r.status, 2);
	run_free(&r);
}

Test(cli, an_invalid_model_is_reported_with_its_file_and_key)
{
	g_autofree char *model = write_tmp("bad.model", "[device]\nmodes=compat,nibble\ncolor=blue\n");
	const char *args[] = { "--model", model, "--", "true", NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "bad.model: [device]: unknown key \"color\""), "stderr: %s", r.err);
	run_free(&r);
}

Test(cli, an_unreadable_model_is_reported)
{
	const char *args[] = { "--model", "/nonexistent.model", "--", "true", NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "/nonexistent.model"), "stderr: %s", r.err);
	run_free(&r);
}

Test(cli, more_than_eight_ports_are_refused)
{
	g_autofree char *m = write_tmp("p.model", "[device]\nmodes=compat\n");
	const char *args[] = { "-m", m, "-m", m, "-m", m, "-m", m, "-m", m, "-m", m, "-m", m, "-m", m, "-m", m,
			       "--", "true", NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "at most 8 ports"), "stderr: %s", r.err);
	run_free(&r);
}

Test(cli, an_unusable_record_directory_is_an_error)
{
	g_autofree char *file = write_tmp("plain-file", "x");
	g_autofree char *dir = g_build_filename(file, "sub", NULL);
	const char *args[] = { "--record", dir, "--", "true", NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "cannot create"), "stderr: %s", r.err);
	run_free(&r);
}

Test(cli, serve_prints_the_environment_closes_stdout_and_stops_on_sigterm)
{
	const char *argv[] = { getenv("PARCLASS_SIM"), "--serve", NULL };
	const char *env[] = { "LD_PRELOAD", NULL };
	struct proc_spec s = { .path = argv[0], .argv = argv, .env = env };
	g_autofree char *testbed = NULL;
	g_autofree char *out = NULL;
	struct proc p;

	proc_start(&p, &s);
	proc_wait_output_end(&p, EVENTUALLY_MS);
	out = g_strndup(p.outdata->len ? (const char *)p.outdata->data : "", p.outdata->len);
	{
		g_auto(GStrv) lines = g_strsplit(out, "\n", -1);

		cr_assert_eq(g_strv_length(lines), 4, "three lines: [%s]", out);
		cr_assert(g_str_has_prefix(lines[0], "export LD_PRELOAD="));
		cr_assert(g_str_has_prefix(lines[1], "export UMOCKDEV_DIR="));
		testbed = g_shell_unquote(lines[1] + strlen("export UMOCKDEV_DIR="), NULL);
		g_autofree char *pid_line = g_strdup_printf("export PARCLASS_SIM_PID=%d", (int)p.pid);

		cr_assert_str_eq(lines[2], pid_line);
	}
	cr_assert(g_file_test(testbed, G_FILE_TEST_IS_DIR));
	kill(p.pid, SIGTERM);
	cr_assert_eq(proc_finish(&p, EVENTUALLY_MS), 0, "%s", p.errtext->str);
	proc_free(&p);
	cr_assert_not(g_file_test(testbed, G_FILE_TEST_EXISTS), "the test bed is removed");
}

Test(cli, version_is_printed)
{
	const char *args[] = { "--version", NULL };
	struct run r = sim_run(args);

	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, "parclass-sim " PACKAGE_VERSION "\n");
	run_free(&r);
}
