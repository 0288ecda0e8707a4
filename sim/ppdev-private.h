/*
 * ppdev-private.h - what the three parts of the emulated ppdev driver share
 *
 * ppdev.c takes the clients' calls and dispatches them (and owns the
 * port-wide events: faults, signals, stopping); ppdev-client.c keeps each
 * open file's state, its claim of the port and its pending call;
 * ppdev-transfer.c moves data in each IEEE 1284 mode. Nothing outside these
 * three files includes this header.
 */
#pragma once

#include "ppdev.h"

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HZ 250                      /* Debian's kernel: jiffies are 4 ms */
#define JIFFY_US (1000000 / HZ)
#define PP_BUFFER_SIZE 1024         /* the most one read() returns */

enum op_kind { OP_CLAIM, OP_NEGOT, OP_READ, OP_WRITE };
enum write_path { PATH_COMPAT_SW, PATH_COMPAT_FIFO, PATH_ECP, PATH_EPP };

/* A call the kernel would sleep in, completed later from the main loop. */
struct op {
	enum op_kind kind;
	gint64 not_before;      /* complete no earlier than this (handshake delays) */

	/* OP_NEGOT */
	long result;
	int err;

	/* OP_READ and OP_WRITE */
	unsigned long addr;     /* client buffer */
	size_t len, done;
	bool nonblock;
	int rate_family;        /* enum sim_rate */
	guint8 *buf;            /* read: bytes taken from the device, in flight */

	/* OP_WRITE */
	enum write_path path;
	bool command;           /* ECP command / EPP address cycles */
	gint64 timeout_us;
	gint64 last_progress;
	gint64 stretch_start;   /* rate accounting since the link last started moving */
	guint64 stretch_bytes;
	bool stalled;
};

/* One open file of a client: the kernel's struct pp_struct. */
struct pp_file {
	struct sim_conn *conn;
	struct sim_port *port;      /* NULL: a node with no port behind it */
	pid_t pid;
	int client_fd;              /* the client's fd number, -1 unknown */
	bool registered, excl, claimed;
	int mode, phase;            /* pp->state */
	int saved_mode, saved_phase;
	gint64 timeout_us;
	int uflags;
	struct op *op;
};

/* ---- ppdev.c: port-wide events ---- */

/* A port-gone fault due after so many bytes: how many may still go through. */
guint64 pp_bytes_before_gone(const struct sim_port *p);
/* Fire the port-gone faults that the bytes written so far have reached. */
void pp_check_gone_bytes(struct sim_port *p);
/* Tell the test bed who holds a port. */
void pp_show_active(struct sim_port *p, bool claimed);

/* ---- ppdev-client.c: open files, claims, pending calls ---- */

/* Every open pp_file, newest first. */
extern GList *pp_files;

struct pp_file *pp_file_open(struct sim_conn *c, struct sim_port *port);
/* pp_release(): the file closed or its process died; frees f. */
void pp_file_close(struct pp_file *f);

/* Answer the client's call; copy from / to its memory (false: it is gone). */
void pp_complete(struct pp_file *f, long result, int err);
bool pp_get_bytes(struct pp_file *f, unsigned long addr, void *v, size_t n);
bool pp_put_bytes(struct pp_file *f, unsigned long addr, const void *v, size_t n);

/* End the pending call with this answer. */
void pp_op_finish(struct pp_file *f, long result, int err);
void pp_op_free(struct op *op);

/* Is the client's fd O_NONBLOCK? */
bool pp_client_nonblock(struct pp_file *f);

/* The file's IEEE 1284 mode and phase: the port's while it holds it. */
int pp_mode(const struct pp_file *f);
void pp_set_mode(struct pp_file *f, int mode);
int pp_phase(const struct pp_file *f);
void pp_set_phase(struct pp_file *f, int phase);

/* PPCLAIM, PPYIELD, PPRELEASE; each answers the call (or leaves it pending). */
void pp_claim(struct pp_file *f);
void pp_yield(struct pp_file *f);
void pp_release(struct pp_file *f);

/* Move every pending call on as far as it can go now. */
void pp_evaluate_all(void);
void pp_sched_shutdown(void);

/* ---- ppdev-transfer.c: data in each mode ---- */

/* read(), write(), PPNEGOT; each answers the call or leaves it pending. */
void pp_read(struct pp_file *f, unsigned long addr, size_t count);
void pp_write(struct pp_file *f, unsigned long addr, size_t count);
void pp_negotiate(struct pp_file *f, int mode);

/* A pending read or write: the time to look again, 0 when finished. */
gint64 pp_read_progress(struct pp_file *f, gint64 now);
gint64 pp_write_progress(struct pp_file *f, gint64 now);
