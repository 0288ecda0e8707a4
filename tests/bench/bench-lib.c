/*
 * bench-lib - what libparclass's arbitration and enumeration cost
 *
 * Run by "make bench" under parclass-sim with four ports: a laser printer, a
 * daisy chain, a device that never answers negotiation, an empty port.
 *   - allocate + free cycles, nobody else around
 *   - handover: the time from a free (or a SIGKILL of the holder) until the
 *     next process in the queue holds the port
 *   - enumeration time with one port held by another process
 */
#include "config.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parclass.h"

#include "bench.h"

#define ROUNDS 20

static parclass_port *open_port(parclass_context **ctx)
{
	parclass_port *port;

	if (parclass_context_new(ctx) || parclass_port_open(*ctx, "parport0", &port)) {
		fprintf(stderr, "bench-lib: cannot open parport0\n");
		exit(1);
	}
	return port;
}

static void bench_cycles(void)
{
	parclass_context *ctx;
	parclass_port *port = open_port(&ctx);
	double t0, t;
	long n = 0;

	parclass_port_allocate(port, 1000);  /* the one-time libieee1284 probe */
	parclass_port_free(port);
	t0 = now();
	do {
		if (parclass_port_allocate(port, 1000) || parclass_port_free(port))
			exit(1);
		n++;
		t = now() - t0;
	} while (t < 1.0);
	printf("  %-44s %8.0f /s\n", "allocate + free, uncontended", n / t);
	parclass_port_close(port);
	parclass_context_unref(ctx);
}

/* A child waits in the queue and reports (through a pipe) when it got the port. */
static pid_t waiter(int fd_out)
{
	pid_t pid = fork();

	if (pid == 0) {
		parclass_context *ctx;
		parclass_port *port = open_port(&ctx);
		double t;

		if (parclass_port_allocate(port, 20000))
			_exit(1);
		t = now();
		if (write(fd_out, &t, sizeof t) != sizeof t)
			_exit(1);
		parclass_port_free(port);
		parclass_port_close(port);
		parclass_context_unref(ctx);
		_exit(0);
	}
	return pid;
}

static void wait_queued(parclass_port *port, unsigned n)
{
	unsigned w = 0;

	while (parclass_port_query_waiters(port, &w) == 0 && w < n)
		usleep(1000);
}

static void bench_handover(bool kill_holder)
{
	double total = 0, worst = 0;

	for (int i = 0; i < ROUNDS; i++) {
		int fds[2];
		parclass_context *ctx;
		parclass_port *port;
		pid_t holder = 0, w;
		double t_free, t_got;

		if (pipe(fds))
			exit(1);
		port = open_port(&ctx);
		if (kill_holder) {
			holder = fork();
			if (holder == 0) {
				parclass_context *c;
				parclass_port *p = open_port(&c);

				parclass_port_allocate(p, 5000);
				pause();
				_exit(0);
			}
			for (pid_t h = 0; h != holder;)
				parclass_port_get_holder(port, &h);
		} else {
			parclass_port_allocate(port, 5000);
		}
		w = waiter(fds[1]);
		wait_queued(port, 1);
		t_free = now();
		if (kill_holder)
			kill(holder, SIGKILL);
		else
			parclass_port_free(port);
		if (read(fds[0], &t_got, sizeof t_got) != sizeof t_got)
			exit(1);
		waitpid(w, NULL, 0);
		if (holder)
			waitpid(holder, NULL, 0);
		total += t_got - t_free;
		if (t_got - t_free > worst)
			worst = t_got - t_free;
		parclass_port_close(port);
		parclass_context_unref(ctx);
		close(fds[0]);
		close(fds[1]);
	}
	printf("  %-44s %8.1f ms mean, %.1f ms worst (%d rounds)\n",
	       kill_holder ? "handover after SIGKILL of the holder" : "handover after free", total / ROUNDS * 1e3,
	       worst * 1e3, ROUNDS);
}

static void bench_enumeration(void)
{
	parclass_context *ctx;
	parclass_enumeration *e;
	pid_t holder = fork();
	double t0, t;

	if (holder == 0) {
		parclass_context *c;
		parclass_port *p = open_port(&c);

		parclass_port_allocate(p, 5000);
		pause();
		_exit(0);
	}
	parclass_context_new(&ctx);
	{
		parclass_port *port;
		pid_t h = 0;

		parclass_port_open(ctx, "parport0", &port);
		while (h != holder)
			parclass_port_get_holder(port, &h);
		parclass_port_close(port);
	}
	t0 = now();
	if (parclass_enumerate(ctx, -1, &e) < 0)
		exit(1);
	t = now() - t0;
	printf("  %-44s %8.0f ms (deadline 2000 ms, %u ports)\n", "enumeration, one port held, one hung device",
	       t * 1e3, parclass_enumeration_port_count(e));
	parclass_enumeration_free(e);
	parclass_context_unref(ctx);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
}

int main(void)
{
	printf("libparclass arbitration and enumeration (command: make bench)\n");
	bench_cycles();
	bench_handover(false);
	bench_handover(true);
	bench_enumeration();
	return 0;
}
