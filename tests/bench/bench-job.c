/*
 * bench-job.c - backend jobs for the benchmark programs: print files and
 * whole runs of the backend, started as cupsd starts it (back channel on
 * fd 3, side channel on fd 4)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench-job.h"
#include "common/pjl.h"

#define CHUNK 65536

/* With @pages a page every 64 KiB: 30 pages a second at 2 MB/s, a chatty
 * printer, so that the printer talks while it prints. */
char *bench_file(const char *dir, const char *name, size_t size, bool pages)
{
	static const char head[] = PJL_UEL "@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS PAGE=ON\r\n"
				   "@PJL USTATUS TIMED=1\r\n@PJL ENTER LANGUAGE=PCL\r\n";
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	char *buf = malloc(CHUNK);
	unsigned x = 12345;
	size_t done = 0;
	int fd;

	if (!path || !buf)
		die("malloc");
	sprintf(path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	while (done < size) {
		size_t n = size - done < CHUNK ? size - done : CHUNK;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			/* Page data without form feeds or escapes, a form feed every 64 KiB. */
			buf[i] = (char)('A' + (x >> 16) % 26);
			if (pages && (done + i) % 65536 == 65535)
				buf[i] = '\f';
		}
		if (pages && done == 0)
			memcpy(buf, head, sizeof head - 1);
		if (write(fd, buf, n) != (ssize_t)n)
			die("write");
		done += n;
	}
	close(fd);
	free(buf);
	return path;
}

void bench_job_start(struct bench_job *j, const char *backend, const char *uri, const char *file)
{
	bench_job_start_logged(j, backend, uri, file, -1);
}

void bench_job_start_logged(struct bench_job *j, const char *backend, const char *uri, const char *file, int err)
{
	int back[2], side[2];

	if (pipe(back) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, side) < 0)
		die("pipe");
	/* Here, not in the child: the caller may have threads (GDBus's), and
	 * the child does only what is safe after fork() in a threaded process. */
	setenv("DEVICE_URI", uri, 1);
	j->started = now();
	j->pid = fork();
	if (j->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(err >= 0 ? err : null, 2);
		dup2(back[1], 3);
		dup2(side[1], 4);
		for (int fd = 5; fd < 256; fd++)
			close(fd);
		execl(backend, "parclass", "1", "bench", "bench", "1", "", file, (char *)NULL);
		_exit(127);
	}
	close(back[1]);
	close(side[1]);
	close(side[0]);
	j->back = back[0];
}

double bench_job_finish(struct bench_job *j, size_t *back_bytes)
{
	char buf[4096];
	ssize_t n;
	size_t total = 0;
	int status;

	while ((n = read(j->back, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			total += (size_t)n;
	close(j->back);
	if (waitpid(j->pid, &status, 0) < 0)
		die("waitpid");
	if (back_bytes)
		*back_bytes = total;
	if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 5)) {
		fprintf(stderr, "%s: the backend failed (status %#x)\n", program_invocation_short_name, status);
		exit(1);
	}
	return now() - j->started;
}

double bench_job(const char *backend, const char *uri, const char *file, size_t *back_bytes)
{
	struct bench_job j;

	bench_job_start(&j, backend, uri, file);
	return bench_job_finish(&j, back_bytes);
}
