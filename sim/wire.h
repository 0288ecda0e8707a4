/*
 * wire.h - server side of umockdev's ioctl socket protocol
 *
 * libumockdev-preload.so, loaded into a client, connects one unix socket per
 * opened device node ($UMOCKDEV_DIR/ioctl/<node>) and forwards ioctl(),
 * read() and write() on it: a request is three unsigned longs (command,
 * argument 1, argument 2); the server may then read and write the client's
 * memory and finally answers with the result and errno. The client stays
 * inside the call until then, with every signal blocked.
 *
 * parclass-sim serves this protocol itself, instead of through umockdev's
 * in-process handler API, to learn each client's process (SO_PEERCRED) and to
 * notice a client that dies while one of its calls is parked.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#define SIM_WIRE_IOCTL 1
#define SIM_WIRE_READ 7
#define SIM_WIRE_WRITE 8
/* A result the preload treats as "not emulated": it then runs the real call. */
#define SIM_WIRE_UNHANDLED (-100)

struct sim_conn;
struct sim_listener;

struct sim_wire_ops {
	/* A client opened the node. */
	void (*opened)(struct sim_conn *c, void *listener_data);
	/* A request arrived; answer it with sim_conn_complete(), now or later. */
	void (*request)(struct sim_conn *c, unsigned long cmd, unsigned long arg1, unsigned long arg2);
	/* The client closed the node or died; @c is freed after this returns. */
	void (*gone)(struct sim_conn *c);
};

struct sim_listener *sim_wire_listen(const char *path, const struct sim_wire_ops *ops, void *data,
				     GError **error);
/* Stop listening and drop every connection of this listener. */
void sim_wire_close(struct sim_listener *l);

pid_t sim_conn_pid(const struct sim_conn *c);
/* Has the client closed the node, though the main loop has not seen it yet?
 * (A close the driver must know of before it answers the next open.) */
bool sim_conn_hung_up(const struct sim_conn *c);
void sim_conn_set_data(struct sim_conn *c, void *data);
void *sim_conn_get_data(const struct sim_conn *c);

/* Client memory. False when the client is gone (it is then dropped soon). */
bool sim_conn_read_mem(struct sim_conn *c, unsigned long addr, void *buf, size_t n);
bool sim_conn_write_mem(struct sim_conn *c, unsigned long addr, const void *buf, size_t n);

/* Answer the pending request: the call returns @result with errno @err. */
void sim_conn_complete(struct sim_conn *c, long result, int err);
