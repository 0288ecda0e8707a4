/*
 * parclass-private.h - libparclass internals shared between its modules
 *
 * Struct bodies of the public types, the hardware operations table (one
 * implementation: ppdev through libieee1284, lib/ppdev.c, the only file that
 * includes ieee1284.h), logging and the runtime-directory helpers.
 * Library-internal functions are prefixed pc_.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "parclass.h"

#define _public_ PARCLASS_EXPORT

/* sd-bus style argument checks at each public entry point. */
#define assert_return(expr, r)          \
	do {                            \
		if (!(expr))            \
			return (r);     \
	} while (0)

#define PC_MAX_PORTS (PARCLASS_PORT_MAX + 1) /* /dev/parport0..7, as libieee1284 looks */
#define PC_MAX_CHAIN 4          /* IEEE 1284.3: addresses 0..3 */
#define PC_ID_MAX 0xfff         /* longest device ID accepted */
#define PC_ID_RAW_MAX (PC_ID_MAX + 4)  /* a raw ID as read: two length bytes, up to PC_ID_MAX + 2 after them */
#define PC_DEFAULT_RUNTIME_DIR "/run/parclass"

/* Kernel / libieee1284 mode numbers (linux/parport.h IEEE1284_MODE_*). */
#define PC_M_NIBBLE   0x0000
#define PC_M_BYTE     0x0001
#define PC_M_COMPAT   0x0100
#define PC_M_ECP      0x0010
#define PC_M_ECPRLE   0x0030
#define PC_M_ECPSWE   0x0400
#define PC_M_EPP      0x0040
#define PC_M_EPPSWE   0x1000
#define PC_M_DEVICEID 0x0004

/* PC status register bits. */
#define PC_ST_ERROR    0x08  /* nFault high */
#define PC_ST_SELECT   0x10
#define PC_ST_PAPEROUT 0x20
#define PC_ST_ACK      0x40  /* nAck high */
#define PC_ST_BUSY     0x80  /* Busy low: the register inverts the line */

/* PC control register bits. */
#define PC_CTL_STROBE  0x01  /* 1: nStrobe low */
#define PC_CTL_AUTOFD  0x02  /* 1: nAutoFd low */
#define PC_CTL_INIT    0x04  /* 1: nInit high */
#define PC_CTL_SELECT  0x08  /* 1: nSelectIn low */

/* ---- names ---- */

/* A device's "LPT1.2" style location (@lpt) or "parport0.2" style name. */
void pc_location_name(char *buf, size_t len, bool lpt, int number, int address, enum parclass_location_flags flags);

/* ---- logging ---- */

void pc_log(parclass_context *ctx, enum parclass_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define pc_err(ctx, ...) pc_log(ctx, PARCLASS_LOG_ERROR, __VA_ARGS__)
#define pc_warn(ctx, ...) pc_log(ctx, PARCLASS_LOG_WARNING, __VA_ARGS__)
#define pc_info(ctx, ...) pc_log(ctx, PARCLASS_LOG_INFO, __VA_ARGS__)
#define pc_dbg(ctx, ...) pc_log(ctx, PARCLASS_LOG_DEBUG, __VA_ARGS__)

/* ---- time ---- */

/* Milliseconds on the monotonic clock. */
int64_t pc_now_ms(void);
/* A deadline from a timeout (negative timeout: none, INT64_MAX). */
int64_t pc_deadline(int timeout_ms);
/* Milliseconds left until @deadline, clamped to 0..INT_MAX; -1 for none. */
int pc_remaining(int64_t deadline);
void pc_sleep_ms(int ms);

/* ---- the hardware operations table ---- */

struct pc_hw;   /* one open port, owned by the implementation */

enum pc_xfer {
	PC_XFER_COMPAT,     /* compatibility mode forward */
	PC_XFER_NIBBLE,
	PC_XFER_BYTE,
	PC_XFER_ECP,        /* hardware ECP data */
	PC_XFER_ECP_ADDR,   /* hardware ECP command cycles (channel addresses) */
	PC_XFER_ECPSW,      /* software ECP data */
	PC_XFER_ECPSW_ADDR,
	PC_XFER_EPP,
	PC_XFER_EPPSW,
};

struct pc_port_ops {
	const char *name;

	/*
	 * Open port @number for I/O (no claim), waiting at most until
	 * @deadline (pc_now_ms() scale) for the platform's one-time set-up.
	 * Returns 0, -ENODEV, -EACCES, -ETIMEDOUT, -EPERM (not ppdev).
	 */
	int (*open)(parclass_context *ctx, int number, int64_t deadline, struct pc_hw **out);
	void (*close)(struct pc_hw *hw);

	/* The kernel's claim; bounded by @deadline. */
	int (*claim)(struct pc_hw *hw, int64_t deadline);
	void (*release)(struct pc_hw *hw);

	/* The port's own modes as a PARCLASS_MODE_* mask, and whether it has an interrupt. */
	unsigned (*port_modes)(struct pc_hw *hw);
	int (*interrupt_fd)(struct pc_hw *hw);

	/* Line level, in PC register terms (as the kernel's parport API). */
	int (*read_status)(struct pc_hw *hw, uint8_t *reg);
	int (*read_control)(struct pc_hw *hw, uint8_t *reg);
	int (*frob_control)(struct pc_hw *hw, uint8_t mask, uint8_t val);
	int (*write_data)(struct pc_hw *hw, uint8_t v);
	int (*data_dir)(struct pc_hw *hw, bool reverse);

	/* IEEE 1284: 0, -EIO (no answer), -ENXIO (rejected), other -errno. */
	int (*negotiate)(struct pc_hw *hw, int mode);
	void (*terminate)(struct pc_hw *hw);
	int (*ecp_fwd_to_rev)(struct pc_hw *hw);
	int (*ecp_rev_to_fwd)(struct pc_hw *hw);

	/* Transfers: bytes moved (0 when nothing moved in time), or -errno.
	 * write waits up to @timeout_ms of inactivity; read never waits. */
	ssize_t (*write)(struct pc_hw *hw, enum pc_xfer how, const void *buf, size_t len, int timeout_ms);
	ssize_t (*read)(struct pc_hw *hw, enum pc_xfer how, void *buf, size_t len);
};

extern const struct pc_port_ops pc_ppdev_ops;

/* ---- the system's ports (/proc/sys/dev/parport) ---- */

/* Port numbers present, ascending; returns how many (at most @max). */
int pc_proc_ports(int *numbers, int max);
/* The port's modes from its "modes" file, as a PARCLASS_MODE_* mask (no device). */
unsigned pc_proc_port_modes(int number);
/* The kernel's cached ID for @address (PARCLASS_ADDRESS_END or 0..3), as ID text; NULL if none. */
char *pc_proc_autoprobe(int number, int address);
/* Does a program hold the kernel's claim now (devices/active is not "none")? */
bool pc_proc_port_busy(int number);
/* /proc's base-addr, irq and dma of a port: 0, -ENODEV. */
int pc_proc_port_resources(int number, unsigned long *base, unsigned long *base_hi, int *irq, int *dma);
/* Is the port still registered with the kernel? */
bool pc_proc_port_exists(int number);
/* PC port register values (status, control) as PARCLASS_LINE_* levels. */
unsigned pc_lines_from_registers(unsigned st, unsigned ctl);
/* Modes a port can do given its PPGETMODES-style capability names. */
unsigned pc_port_modes_from_caps(bool spp, bool tristate, bool epp, bool ecp, bool irq);

/* ---- the runtime directory: queues, exclusive opens, shared knowledge ---- */

struct pc_queue {
	parclass_context *ctx;
	int number;
	int dirfd;          /* <runtime>/parportN */
	int seqfd;          /* <runtime>/parportN/seq, locked around queue changes */
	int ticket_fd;      /* our ticket, -1 when not queued */
	uint64_t ticket;
	uint64_t newest_dead; /* the newest dead ticket a scan removed */
	int inotify_fd;
	int cancel_fd;      /* eventfd: parclass_port_cancel() */
	int watch_fd;       /* inotify for parclass_port_get_queue_fd(), -1 until asked */
};

int pc_queue_open(parclass_context *ctx, int number, struct pc_queue *q);
void pc_queue_close(struct pc_queue *q);
/* Queue a request; with @only_if_empty, -EBUSY instead of queueing behind anyone. */
int pc_queue_enter(struct pc_queue *q, const char *what, int address, bool only_if_empty);
/* Wait until our request is the oldest live one: 0, -ETIMEDOUT, -ECANCELED. */
int pc_queue_wait(struct pc_queue *q, int64_t deadline);
void pc_queue_leave(struct pc_queue *q);
/* Holder (0 when none), number of waiters and (@since_us may be NULL) since
 * when the holder has the port (CLOCK_REALTIME microseconds, 0 when none), now. */
int pc_queue_state(struct pc_queue *q, pid_t *holder, unsigned *waiters, int64_t *since_us);
/* Our request at the head of the queue has just been granted: note when. */
void pc_queue_mark_held(struct pc_queue *q);
/* The queue watch (made on first use): its fd, or -ENOMEM, -EIO. */
int pc_queue_watch_fd(struct pc_queue *q);
/* Empty the watch: PARCLASS_WATCH_* of what changed since the last time, or -EBADF, -EIO. */
int pc_queue_watch_drain(struct pc_queue *q);
/* Cancel the wait or transfer in progress, else the next one (the eventfd keeps it). */
int pc_queue_cancel(struct pc_queue *q);
/* Take a pending cancel: true when there was one. */
bool pc_queue_cancelled(struct pc_queue *q);

/* Exclusive open of a device: an fd holding the lock, or -EBUSY. */
int pc_open_lock(parclass_context *ctx, int number, int address);
/* Has a device handle (of any process, this one's included) the device at
 * @address of port @number open? */
bool pc_open_elsewhere(parclass_context *ctx, int number, int address);

/* What one process learnt about a device, for others (a held port's IDs). */
int pc_cache_store(parclass_context *ctx, int number, int address, const char *what, const void *data, size_t len);
/* Returns a NUL-terminated copy (size in *len), or NULL. */
char *pc_cache_load(parclass_context *ctx, int number, int address, const char *what, size_t *len);

/* "report.eoc", "report.2": the name of @address's report. */
void pc_report_name(int address, char *buf, size_t size);
/* The report published for @address: made locked and renamed over the one
 * there; the fd that keeps it live replaces *@lock_fd. 0, -EACCES, -EIO. */
int pc_report_store(struct pc_queue *q, int address, const char *text, size_t len, int *lock_fd);
/* The report's text, NUL-terminated in @buf (@max + 2 bytes); its file's
 * owner, and whether its publisher's lock is on it. Returns its length;
 * -ENOENT (none), -EBADMSG (something that is no report: logged). */
int pc_report_load(struct pc_queue *q, int address, char *buf, size_t max, uid_t *owner, bool *locked);

/* ---- IEEE 1284.3 ---- */

/* CPP command; returns the status while the command strobe is low, or -ENXIO (no chain). */
int pc_cpp_command(const struct pc_port_ops *ops, struct pc_hw *hw, uint8_t cmd);
/* Number the chain from 0; returns how many devices (0 without a chain). */
int pc_cpp_assign(const struct pc_port_ops *ops, struct pc_hw *hw);
/* Select @address (0..3) or, for PARCLASS_ADDRESS_END, deselect all. 0 or -ENXIO. */
int pc_cpp_select(const struct pc_port_ops *ops, struct pc_hw *hw, int address, bool ecp);

/* ---- device IDs ---- */

/* Read a fresh raw ID (length bytes and text) from the device that answers now. */
int pc_read_fresh_id(parclass_context *ctx, const struct pc_port_ops *ops, struct pc_hw *hw, int64_t deadline,
		     char **raw, size_t *len);
/* Which of the two length byte orders and forms to believe; returns the text length or -EINVAL. */
int pc_device_id_text_length(const uint8_t *raw, size_t len);

/* Modes port and device both do, by negotiation (the device that answers now),
 * negotiating none but the PARCLASS_MODE_* modes in @allowed. */
unsigned pc_probe_modes(parclass_context *ctx, const struct pc_port_ops *ops, struct pc_hw *hw, unsigned allowed,
			int64_t deadline);

/* ---- structs ---- */

struct parclass_context {
	int refs;
	enum parclass_log_level log_level;
	parclass_log_fn log_fn;
	void *log_data;
	char *runtime_dir;
	const struct pc_port_ops *ops;
};

struct parclass_port {
	parclass_context *ctx;
	int number;
	char name[16];          /* parportN */
	char location[16];      /* LPTn */
	struct pc_queue queue;
	bool held;              /* we are at the head of the queue */
	struct pc_hw *hw;       /* open while held */
	bool claimed;           /* the kernel claim */
	int selected;           /* chain address selected by our lock, -1 none */
	bool chain;             /* the port has a 1284.3 chain (known after a probe) */
	int report_fd[PC_MAX_CHAIN + 1]; /* keep our published reports live: [address + 1] */
};

/* parclass_port_open() of port @number, parsed already. */
int pc_port_open(parclass_context *ctx, int number, parclass_port **out);
int pc_port_ensure_bus(parclass_port *port, int64_t deadline);
/* parclass_port_lock(); @exclusive: -EBUSY for a chain device a device handle
 * has open (a device's own lock passes false). */
int pc_port_lock(parclass_port *port, int address, int timeout_ms, enum parclass_lock_flags flags, bool exclusive);
