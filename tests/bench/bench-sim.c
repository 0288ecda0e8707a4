/*
 * bench-sim - what the emulation costs: ioctl round trips, claim cycles,
 * write and read throughput through parclass-sim at full speed
 *
 * Run by "make bench" under "parclass-sim --model tests/bench/bench.model --".
 * Plain ppdev calls on /dev/parport0, so that the figures are the
 * emulation's, not a library's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/parport.h>
#include <linux/ppdev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define RUN_SECONDS 1.0

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg) < 0)
		die(what);
}

static void bench_ioctls(int fd)
{
	unsigned char st;
	long n = 0;
	double t0 = now(), t;

	do {
		for (int i = 0; i < 100; i++)
			xioctl(fd, PPRSTATUS, &st, "PPRSTATUS");
		n += 100;
		t = now() - t0;
	} while (t < RUN_SECONDS);
	printf("  %-34s %10.0f /s   (%.1f us each)\n", "PPRSTATUS round trips", n / t, t / n * 1e6);
}

static void bench_claims(int fd)
{
	long n = 0;
	double t0 = now(), t;

	xioctl(fd, PPRELEASE, NULL, "PPRELEASE");
	do {
		for (int i = 0; i < 50; i++) {
			xioctl(fd, PPCLAIM, NULL, "PPCLAIM");
			xioctl(fd, PPRELEASE, NULL, "PPRELEASE");
		}
		n += 50;
		t = now() - t0;
	} while (t < RUN_SECONDS);
	xioctl(fd, PPCLAIM, NULL, "PPCLAIM");
	printf("  %-34s %10.0f /s\n", "PPCLAIM + PPRELEASE cycles", n / t);
}

static void bench_write(int fd, int mode, const char *name, size_t chunk)
{
	static char buf[1 << 20];
	double t0, t;
	size_t total = 0;

	memset(buf, 'x', sizeof buf);
	xioctl(fd, PPNEGOT, &mode, "PPNEGOT");
	t0 = now();
	do {
		ssize_t w = write(fd, buf, chunk);

		if (w <= 0)
			die("write");
		total += (size_t)w;
		t = now() - t0;
	} while (t < RUN_SECONDS);
	printf("  %-34s %10.1f MB/s (%zu-byte writes)\n", name, total / t / 1e6, chunk);
	mode = IEEE1284_MODE_COMPAT;
	xioctl(fd, PPNEGOT, &mode, "PPNEGOT");
}

/* Reverse data comes from PJL ECHO answers: ask for up to 60 KiB (the
 * printer's reverse buffer is 64 KiB), read it back, again. Only the reads
 * are timed. */
static void bench_read(int fd)
{
	static char cmd[1100], buf[1024];
	const size_t answer = 1000 + strlen("@PJL ECHO \r\n\f");
	size_t total = 0;
	double t = 0;

	memcpy(cmd, "@PJL ECHO ", 10);
	memset(cmd + 10, 'r', 1000);
	memcpy(cmd + 1010, "\r\n", 2);
	for (int round = 0; round < 40; round++) {
		int mode = IEEE1284_MODE_NIBBLE, flags;
		size_t got = 0;
		double t0;

		/* Earlier page data leaves the printer in its page language: UEL first. */
		if (write(fd, "\033%-12345X", 9) != 9)
			die("write");
		for (int i = 0; i < 60; i++)
			if (write(fd, cmd, 1012) != 1012)
				die("write");
		xioctl(fd, PPNEGOT, &mode, "PPNEGOT");
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		t0 = now();
		while (got < 60 * answer) {
			ssize_t r = read(fd, buf, sizeof buf);

			if (r <= 0)
				die("read");
			got += (size_t)r;
		}
		t += now() - t0;
		total += got;
		fcntl(fd, F_SETFL, flags);
		mode = IEEE1284_MODE_COMPAT;
		xioctl(fd, PPNEGOT, &mode, "PPNEGOT");
	}
	printf("  %-34s %10.1f MB/s (1024-byte reads, %zu bytes)\n", "nibble-mode reads", total / t / 1e6, total);
}

int main(void)
{
	int fd = open("/dev/parport0", O_RDWR);

	if (fd < 0)
		die("/dev/parport0 (run me under parclass-sim)");
	xioctl(fd, PPCLAIM, NULL, "PPCLAIM");
	printf("parclass-sim emulation cost (command: make bench)\n");
	bench_ioctls(fd);
	bench_claims(fd);
	bench_write(fd, IEEE1284_MODE_COMPAT, "compatibility-mode writes", 65536);
	bench_write(fd, IEEE1284_MODE_COMPAT, "compatibility-mode writes", 4096);
	bench_write(fd, IEEE1284_MODE_ECP, "ECP writes", 65536);
	bench_write(fd, IEEE1284_MODE_ECP, "ECP writes", 4096);
	bench_read(fd);
	xioctl(fd, PPRELEASE, NULL, "PPRELEASE");
	close(fd);
	return 0;
}
