/*
 * test-process.c - common/process.c: another process's name, as /proc has it
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/process.h"

Test(process, a_name_comes_whole_without_the_kernels_newline_whatever_its_bytes)
{
	char buf[64];

	/* Criterion runs each test in a process of its own: naming it is ours to do. */
	cr_assert_eq(prctl(PR_SET_NAME, "ev \033[2J\n\303\251 ", 0, 0, 0), 0);
	cr_assert(process_name(getpid(), buf, sizeof buf));
	cr_assert_str_eq(buf, "ev \033[2J\n\303\251 ", "only the newline the kernel adds goes");
}

Test(process, a_small_buffer_keeps_what_fits)
{
	char buf[4];

	cr_assert_eq(prctl(PR_SET_NAME, "abcdef", 0, 0, 0), 0);
	cr_assert(process_name(getpid(), buf, sizeof buf));
	cr_assert_str_eq(buf, "abc");
}

Test(process, a_process_that_is_gone_reads_as_a_question_mark)
{
	char buf[16] = "unchanged";
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_not(process_name(pid, buf, sizeof buf));
	cr_assert_str_eq(buf, "?");
}
