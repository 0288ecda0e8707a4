/*
 * parclass.h - libparclass, the parallel-class library
 *
 * The Windows parallel-class model brought to Linux user space on top of
 * libieee1284 and the kernel's ppdev driver: exclusive device open, fair
 * cross-process port arbitration, IEEE 1284 mode negotiation, device IDs and
 * reads and writes with timeouts, for ports, their end-of-chain devices and
 * IEEE 1284.3 daisy-chain devices.
 *
 * Conventions
 *   - Functions return an int: 0 (or a positive count) on success, a negative
 *     errno value on failure; parclass_strerror() describes it.
 *   - Out-parameters are written only on success, unless documented.
 *   - *_new / *_open set their result only on success; *_unref, *_close and
 *     *_free accept NULL.
 *   - Nothing waits forever: every wait has a timeout in milliseconds
 *     (a negative timeout waits without limit) or a cancel path.
 *   - The library never prints: it logs through the context's callback, which
 *     is silent unless set, or unless PARCLASS_DEBUG is set in the
 *     environment (then debug messages go to stderr).
 *
 * Thread safety
 *   A context and the ports, devices and enumerations made from it may be
 *   used by one thread at a time (use them from several threads only with
 *   your own locking). The exception: parclass_port_cancel() and
 *   parclass_device_cancel() may be called from any thread, and from a
 *   signal handler (they only write to an eventfd), at any time while the
 *   handle exists, to end a wait or a transfer in another thread.
 *   Separate contexts are independent; processes share ports through the
 *   runtime directory. A process that forks without exec while it holds a
 *   port shares the hold with its child until both have let go; fork while
 *   no other thread is inside the library.
 *
 * This header is C89 and C++ clean.
 */
#ifndef PARCLASS_H
#define PARCLASS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define PARCLASS_EXPORT __attribute__((visibility("default")))
#else
#define PARCLASS_EXPORT
#endif

/* ------------------------------------------------------------------------
 * Constants
 * ------------------------------------------------------------------------ */

/**
 * IEEE 1284 modes, as bits of a mode mask. The values are those of the
 * Windows parallel-class negotiation mask (PARCLASS_MODE_x = Windows x):
 *
 *   CENTRONICS          forward: compatibility mode without IEEE 1284
 *   IEEE_COMPATIBILITY  forward: compatibility mode of an IEEE 1284 device
 *   NIBBLE              reverse: nibble mode
 *   CHANNEL_NIBBLE      reverse: IEEE 1284.4 channelised nibble (never offered)
 *   BYTE_BIDIR          reverse: byte mode (a bidirectional, TRISTATE port)
 *   EPP_HW, EPP_SW      both: EPP, by the port's hardware or in software
 *   BOUNDED_ECP         both: bounded ECP (never offered: Linux lacks it)
 *   ECP_HW_NOIRQ        both: ECP by the port's hardware, polled
 *   ECP_HW_IRQ          both: ECP by the port's hardware, with an interrupt
 *   ECP_SW              both: ECP emulated in software
 */
#define PARCLASS_MODE_CENTRONICS         0x0001
#define PARCLASS_MODE_IEEE_COMPATIBILITY 0x0002
#define PARCLASS_MODE_NIBBLE             0x0004
#define PARCLASS_MODE_CHANNEL_NIBBLE     0x0008
#define PARCLASS_MODE_BYTE_BIDIR         0x0010
#define PARCLASS_MODE_EPP_HW             0x0020
#define PARCLASS_MODE_EPP_SW             0x0040
#define PARCLASS_MODE_BOUNDED_ECP        0x0080
#define PARCLASS_MODE_ECP_HW_NOIRQ       0x0100
#define PARCLASS_MODE_ECP_HW_IRQ         0x0200
#define PARCLASS_MODE_ECP_SW             0x0400

/** Modes that can move data host to peripheral. */
#define PARCLASS_MODES_FORWARD (PARCLASS_MODE_CENTRONICS | PARCLASS_MODE_IEEE_COMPATIBILITY | \
				PARCLASS_MODE_EPP_HW | PARCLASS_MODE_EPP_SW | PARCLASS_MODE_BOUNDED_ECP | \
				PARCLASS_MODE_ECP_HW_NOIRQ | PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW)
/** Modes that can move data peripheral to host. */
#define PARCLASS_MODES_REVERSE (PARCLASS_MODE_NIBBLE | PARCLASS_MODE_CHANNEL_NIBBLE | \
				PARCLASS_MODE_BYTE_BIDIR | PARCLASS_MODE_EPP_HW | PARCLASS_MODE_EPP_SW | \
				PARCLASS_MODE_BOUNDED_ECP | PARCLASS_MODE_ECP_HW_NOIRQ | \
				PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_SW)
/** What a printer driver asks for: hardware ECP, else compatibility forward;
 *  ECP, else byte, else nibble reverse. No software ECP, no EPP. */
#define PARCLASS_MODES_PRINTER_WRITE (PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ | \
				      PARCLASS_MODE_IEEE_COMPATIBILITY | PARCLASS_MODE_CENTRONICS)
#define PARCLASS_MODES_PRINTER_READ (PARCLASS_MODE_ECP_HW_IRQ | PARCLASS_MODE_ECP_HW_NOIRQ | \
				     PARCLASS_MODE_BYTE_BIDIR | PARCLASS_MODE_NIBBLE)

/**
 * Status bits: the Windows PAR_QUERY_INFORMATION status, computed from the
 * lines as the Windows parallel class driver computes it. It reports at most
 * one condition, the first that holds of:
 *
 *   POWER_OFF      nFault, nAck and Busy low (powered off), or all five
 *                  status lines high (no cable: only the host's pull-ups)
 *   PAPER_EMPTY    PError high
 *   OFF_LINE       nFault high, Busy high, Select low
 *   NOT_CONNECTED  nFault high, Busy low, Select low
 *
 * and with it, each on its own:
 *
 *   BUSY           Busy high and nFault high
 *   SELECTED       Select high
 *   INIT           nInit low (the host is resetting the printer)
 *   AUTOFEED       nAutoFd low
 *
 * A ready printer reads SELECTED alone. PARCLASS_STATUS_ERROR is not a
 * Windows bit but this library's extension: nFault low without POWER_OFF
 * (an error, a jam, an open door). Where the Windows bits are too coarse
 * (no cable and powered off are both POWER_OFF), read the lines themselves:
 * parclass_device_get_lines().
 */
#define PARCLASS_STATUS_INIT          0x01
#define PARCLASS_STATUS_AUTOFEED      0x02
#define PARCLASS_STATUS_PAPER_EMPTY   0x04
#define PARCLASS_STATUS_OFF_LINE      0x08
#define PARCLASS_STATUS_POWER_OFF     0x10
#define PARCLASS_STATUS_NOT_CONNECTED 0x20
#define PARCLASS_STATUS_BUSY          0x40
#define PARCLASS_STATUS_SELECTED      0x80
#define PARCLASS_STATUS_ERROR         0x100

/**
 * The port's lines as levels (1: the line is high), for
 * parclass_device_get_lines(): the five status lines the printer drives,
 * at their places in a PC port's status register (where Busy is inverted,
 * it is not here), and the four control lines the host drives.
 */
#define PARCLASS_LINE_NFAULT    0x008
#define PARCLASS_LINE_SELECT    0x010
#define PARCLASS_LINE_PERROR    0x020
#define PARCLASS_LINE_NACK      0x040
#define PARCLASS_LINE_BUSY      0x080
#define PARCLASS_LINE_NSTROBE   0x100
#define PARCLASS_LINE_NAUTOFD   0x200
#define PARCLASS_LINE_NINIT     0x400
#define PARCLASS_LINE_NSELECTIN 0x800
#define PARCLASS_LINES_STATUS (PARCLASS_LINE_NFAULT | PARCLASS_LINE_SELECT | PARCLASS_LINE_PERROR | \
			       PARCLASS_LINE_NACK | PARCLASS_LINE_BUSY)

/** Log levels. */
enum parclass_log_level {
	PARCLASS_LOG_ERROR = 1,
	PARCLASS_LOG_WARNING = 2,
	PARCLASS_LOG_INFO = 3,
	PARCLASS_LOG_DEBUG = 4
};

/** Device addresses: IEEE 1284.3 chain devices are 0..3. */
#define PARCLASS_ADDRESS_END   (-1)  /**< the end-of-chain device (LPTn, or LPTn.4 behind a chain) */

/*
 * Flags: one enum type per call that takes them, and distinct bits across all
 * of them, so that a flag of another call draws the compiler's
 * -Wenum-conversion (-Wextra) and, passed anyway, -EINVAL. (In C++, a
 * combination of flags needs a cast to its enum type.)
 */
/** For parclass_device_get_id() and parclass_device_get_id_parsed(). */
enum parclass_id_flags {
	PARCLASS_ID_FRESH = 1 << 0, /**< ask the device, do not use a cached ID */
	PARCLASS_ID_RAW = 1 << 1    /**< with the two length bytes, as the device sent them */
};

/** For parclass_port_lock() and parclass_device_lock(). */
enum parclass_lock_flags {
	PARCLASS_LOCK_NO_SELECT = 1 << 2 /**< allocate only, no IEEE 1284.3 select */
};

/** For parclass_port_unlock() and parclass_device_unlock(). */
enum parclass_unlock_flags {
	PARCLASS_UNLOCK_NO_DESELECT = 1 << 3 /**< free only, no IEEE 1284.3 deselect */
};

/** For parclass_port_select(). */
enum parclass_select_flags {
	PARCLASS_SELECT_ECP = 1 << 4 /**< the ECP select command: the device will talk ECP */
};

/* ------------------------------------------------------------------------
 * Types (opaque)
 * ------------------------------------------------------------------------ */

typedef struct parclass_context parclass_context;
typedef struct parclass_port parclass_port;
typedef struct parclass_device parclass_device;
typedef struct parclass_device_id parclass_device_id;
typedef struct parclass_enumeration parclass_enumeration;
typedef struct parclass_port_info parclass_port_info;
typedef struct parclass_device_info parclass_device_info;

/** A log callback: @message is one line without a trailing newline. */
typedef void (*parclass_log_fn)(parclass_context *ctx, enum parclass_log_level level, const char *message,
				void *userdata);

/* ------------------------------------------------------------------------
 * Context, errors, logging
 * ------------------------------------------------------------------------ */

/**
 * Create a library context.
 * @param out  the new context
 * @return 0, or -ENOMEM
 */
PARCLASS_EXPORT int parclass_context_new(parclass_context **out);

/** Take a reference. @return @ctx */
PARCLASS_EXPORT parclass_context *parclass_context_ref(parclass_context *ctx);

/** Drop a reference; the last one frees the context. Accepts NULL. @return NULL */
PARCLASS_EXPORT parclass_context *parclass_context_unref(parclass_context *ctx);

/**
 * Route log messages of @level and more severe to @fn (NULL: silent).
 * @return 0, or -EINVAL for a bad level
 */
PARCLASS_EXPORT int parclass_context_set_log(parclass_context *ctx, enum parclass_log_level level, parclass_log_fn fn,
					     void *userdata);

/**
 * Where the cross-process port state lives. The default is
 * $PARCLASS_RUNTIME_DIR, else /run/parclass (see parclass(7) for the
 * permissions it needs).
 * @return 0, -EINVAL for a relative or empty path, -ENOMEM
 */
PARCLASS_EXPORT int parclass_context_set_runtime_dir(parclass_context *ctx, const char *dir);

/** The runtime directory in use.
 *  @return the path, owned by @ctx (valid until it is set again or @ctx is freed); NULL for no @ctx */
PARCLASS_EXPORT const char *parclass_context_get_runtime_dir(const parclass_context *ctx);

/**
 * Describe an error returned by this library (a negative errno value; the
 * library's own meanings where it has them, e.g. -ENOLCK "the port is not
 * locked by this handle").
 * @return a static string; never NULL
 */
PARCLASS_EXPORT const char *parclass_strerror(int error);

/** The library version. @return "MAJOR.MINOR.MICRO", a static string */
PARCLASS_EXPORT const char *parclass_version(void);

/* ------------------------------------------------------------------------
 * Locations
 * ------------------------------------------------------------------------ */

/**
 * Parse a location: "parport0", "parport0.2", "LPT1", "LPT1.2", "LPT1.4"
 * (the end-of-chain device behind a chain), "/dev/parport0", or a device URI
 * "parclass:/dev/parport0" with an optional "?daisy=N" (and other options,
 * which are ignored here).
 * @param port     the port number N of parportN
 * @param address  0..3 for a chain device, PARCLASS_ADDRESS_END otherwise
 * @return 0, or -EINVAL when @location is none of these
 */
PARCLASS_EXPORT int parclass_location_parse(const char *location, int *port, int *address);

/* ------------------------------------------------------------------------
 * Device IDs
 * ------------------------------------------------------------------------ */

/**
 * Parse an IEEE 1284 device ID as a device sends it: two length bytes, then
 * "KEY:value;" pairs. Tolerates what broken devices send: a little-endian
 * length, a length that excludes the two bytes, a missing final ';', spaces
 * around keys and values. The length is bounded (0xFFF, also for the
 * normalised text, which adds a missing final ';') and control characters
 * are refused. What it hands on (keys, values, text, make and
 * model) is printable UTF-8: a byte that is not part of a valid UTF-8
 * sequence, a C1 control, and a character that changes how the text around
 * it shows (Unicode format characters, line and paragraph separators)
 * each become '?'.
 * @return 0, -EINVAL (no usable pairs, a length of 0 or over 0xFFF in both
 *         byte orders, control characters), -ENOMEM
 */
PARCLASS_EXPORT int parclass_device_id_parse_raw(const void *raw, size_t len, parclass_device_id **out);

/**
 * Parse the text of a device ID (no length bytes). Also accepts the
 * kernel's cached form, one "KEY:value;" per line.
 * @return as parclass_device_id_parse_raw()
 */
PARCLASS_EXPORT int parclass_device_id_parse(const char *text, parclass_device_id **out);

/** Free a parsed ID. Accepts NULL. */
PARCLASS_EXPORT void parclass_device_id_free(parclass_device_id *id);

/**
 * The value of @key, looked up case-insensitively and through its aliases
 * (MFG / MANUFACTURER, MDL / MODEL, CMD / COMMAND SET, CLS / CLASS,
 * DES / DESCRIPTION, SN / SERN / SERIALNUMBER).
 * @return the value, or NULL when absent
 */
PARCLASS_EXPORT const char *parclass_device_id_get(const parclass_device_id *id, const char *key);

/** The normalised ID text: "KEY:value;" pairs in the order received.
 *  @return text owned by @id (valid until parclass_device_id_free()); NULL for no @id */
PARCLASS_EXPORT const char *parclass_device_id_text(const parclass_device_id *id);

/**
 * Make and model as CUPS shows them: "Manufacturer Model", the manufacturer
 * not repeated when the model already starts with it, "Hewlett-Packard"
 * shortened to "HP"; from DES when MFG or MDL are missing; "Unknown" when
 * nothing is known.
 * @return text owned by @id (valid until parclass_device_id_free()), or the
 *         static "Unknown" (also for no @id)
 */
PARCLASS_EXPORT const char *parclass_device_id_make_and_model(const parclass_device_id *id);

/* ------------------------------------------------------------------------
 * Enumeration
 * ------------------------------------------------------------------------ */

/**
 * Enumerate every ppdev port and the devices on it: the end-of-chain device
 * and IEEE 1284.3 chain devices (the chain is numbered and each device asked
 * for its ID and modes). Returns within @deadline_ms (negative: no limit, as
 * for every timeout here; each device's ID still gets a bounded time) even
 * when another process holds a port for a long job or a device never
 * answers: a held port, or one not probed in time, is described from what
 * is known about it (the IDs its holder read and the kernel's cache), and
 * marked so. Without a limit, the probe of a port waits for the kernel's
 * claim that a program outside parclass holds.
 * @return 0, -ENOMEM, or -ENODEV when there is no parallel port support at all
 */
PARCLASS_EXPORT int parclass_enumerate(parclass_context *ctx, int deadline_ms, parclass_enumeration **out);

/** Free an enumeration. Accepts NULL. */
PARCLASS_EXPORT void parclass_enumeration_free(parclass_enumeration *e);

/*
 * The ports of an enumeration and what is known of them. Everything these
 * getters return is owned by the enumeration and valid until
 * parclass_enumeration_free(); for no object (NULL) they return NULL, 0 or
 * "Unknown" as each says.
 */

/** @return how many ports @e has (0 for no @e) */
PARCLASS_EXPORT unsigned parclass_enumeration_port_count(const parclass_enumeration *e);
/** @return port @i of @e, or NULL when there is none */
PARCLASS_EXPORT const parclass_port_info *parclass_enumeration_port(const parclass_enumeration *e, unsigned i);

/** "parport0" */
PARCLASS_EXPORT const char *parclass_port_info_name(const parclass_port_info *p);
/** "LPT1" */
PARCLASS_EXPORT const char *parclass_port_info_location(const parclass_port_info *p);
/** The port number N of parportN. @return 0, -EINVAL (no @p) */
PARCLASS_EXPORT int parclass_port_info_get_number(const parclass_port_info *p, int *number);
/** Modes the port itself can do (a mode mask; the device may do fewer). */
PARCLASS_EXPORT unsigned parclass_port_info_modes(const parclass_port_info *p);
/** 1 when the port was probed now, 0 when it was held or out of time and is described from what is known. */
PARCLASS_EXPORT int parclass_port_info_probed(const parclass_port_info *p);
/** The process holding the port when it was enumerated, 0 when none. */
PARCLASS_EXPORT pid_t parclass_port_info_holder(const parclass_port_info *p);
/** @return how many devices were found on the port (chain devices first, then the end device) */
PARCLASS_EXPORT unsigned parclass_port_info_device_count(const parclass_port_info *p);
/** @return device @i of @p, or NULL when there is none */
PARCLASS_EXPORT const parclass_device_info *parclass_port_info_device(const parclass_port_info *p, unsigned i);

/** "LPT1", "LPT1.2" or "LPT1.4" */
PARCLASS_EXPORT const char *parclass_device_info_location(const parclass_device_info *d);
/** The address: 0..3, or PARCLASS_ADDRESS_END. @return 0, -EINVAL (no @d) */
PARCLASS_EXPORT int parclass_device_info_get_address(const parclass_device_info *d, int *address);
/** The parsed device ID, or NULL when the device has none (or it is unknown). */
PARCLASS_EXPORT const parclass_device_id *parclass_device_info_id(const parclass_device_info *d);
/** Make and model ("Unknown" without an ID). */
PARCLASS_EXPORT const char *parclass_device_info_make_and_model(const parclass_device_info *d);
/** Modes port and device both do (a mode mask); 0 when unknown. */
PARCLASS_EXPORT unsigned parclass_device_info_modes(const parclass_device_info *d);

/* ------------------------------------------------------------------------
 * Ports: cross-process arbitration
 * ------------------------------------------------------------------------ */

/**
 * Open a port for arbitration (not exclusive: any number of handles).
 * @param location  a location naming the port (its address is ignored)
 * @return 0, -EINVAL (bad location), -ENODEV (no such port),
 *         -EACCES (the runtime directory is not usable), -ENOMEM
 */
PARCLASS_EXPORT int parclass_port_open(parclass_context *ctx, const char *location, parclass_port **out);

/** Close a port handle; frees the port first if this handle holds it. Accepts NULL. */
PARCLASS_EXPORT void parclass_port_close(parclass_port *port);

/**
 * Wait for the port. Requests are granted in the order they were made, by
 * all processes; a holder or waiter that dies never blocks the others.
 * Takes the kernel's claim (PPCLAIM) once granted.
 * @param timeout_ms  how long to wait in the queue; negative = no limit
 *                    (taking the bus once granted may add up to 0.5 s); 0 =
 *                    granted only when nobody holds or waits for the port,
 *                    else -ETIMEDOUT. parclass_port_try_allocate() grants on
 *                    the same condition but fails with -EBUSY, never counts
 *                    as a waiter even for a moment, and does not wait for a
 *                    claim that a program outside parclass holds.
 * @return 0; -ETIMEDOUT; -ECANCELED (parclass_port_cancel()); -EALREADY
 *         (this handle holds it); -EBUSY (a program outside parclass keeps
 *         the kernel's claim); -EIO
 */
PARCLASS_EXPORT int parclass_port_allocate(parclass_port *port, int timeout_ms);

/** Take the port only if nobody holds it or waits for it. @return 0, -EBUSY, -EALREADY */
PARCLASS_EXPORT int parclass_port_try_allocate(parclass_port *port);

/** Give the port to the next waiter. @return 0, -ENOLCK (not held) */
PARCLASS_EXPORT int parclass_port_free(parclass_port *port);

/**
 * End a wait of parclass_port_allocate() or parclass_port_lock(), or a read
 * or write of a device on this port, with -ECANCELED. Safe from any thread
 * and from a signal handler. A cancel is kept until a wait or transfer on
 * the port takes it: the one in progress, else the next one to start, which
 * then fails at once and does nothing. So a signal handler's cancel is never
 * lost in the moment before a wait begins. A transfer whose last bytes go
 * before it looks again leaves the cancel for the next. @return 0
 */
PARCLASS_EXPORT int parclass_port_cancel(parclass_port *port);

/**
 * How many allocate and lock requests wait for the port now (the holder
 * not counted), across processes.
 * @return 0, -EIO
 */
PARCLASS_EXPORT int parclass_port_query_waiters(parclass_port *port, unsigned *waiters);

/**
 * What the kernel says of the port's hardware (/proc/sys/dev/parport/parportN):
 * @param base     the I/O base address (0 when the port has none, as USB ones)
 * @param base_hi  the ECP registers' base address (0: none)
 * @param irq      its interrupt line, -1 when it has none
 * @param dma      its DMA channel, -1 when it has none
 * @return 0; -ENODEV (the port is gone); -EINVAL
 */
PARCLASS_EXPORT int parclass_port_get_resources(parclass_port *port, unsigned long *base, unsigned long *base_hi,
						int *irq, int *dma);

/** Advisory: @return 1 when nobody holds the port (a program outside parclass
 *  with the kernel's claim included), 0 when held, negative on error. */
PARCLASS_EXPORT int parclass_port_is_free(parclass_port *port);

/** The process holding the port (0 when free). @return 0, -EIO */
PARCLASS_EXPORT int parclass_port_get_holder(parclass_port *port, pid_t *pid);

/** Does this handle hold the port? @return 1 or 0 */
PARCLASS_EXPORT int parclass_port_is_held(const parclass_port *port);

/**
 * Allocate the port, then select device @address on the IEEE 1284.3 chain
 * (PARCLASS_ADDRESS_END deselects the chain so that the end-of-chain device
 * answers). PARCLASS_LOCK_NO_SELECT skips the select.
 * @return as parclass_port_allocate(), or -ENXIO when the device does not
 *         answer the select (the port is then freed again), -EBUSY when a
 *         device handle (of any process) has the chain device at @address
 *         open, -EINVAL for a flag that is not a parclass_lock_flags
 */
PARCLASS_EXPORT int parclass_port_lock(parclass_port *port, int address, int timeout_ms,
				       enum parclass_lock_flags flags);

/**
 * Select chain device @address (0..3) on a port this handle holds, without
 * freeing it (IEEE 1284.3 SELECT; with PARCLASS_SELECT_ECP the ECP select
 * command, for a device that will talk ECP).
 * @return 0; -ENOLCK (not held); -ENXIO (no device answers at @address);
 *         -EBUSY (a device handle has it open); -EINVAL; -EIO
 */
PARCLASS_EXPORT int parclass_port_select(parclass_port *port, int address, enum parclass_select_flags flags);

/** Deselect every chain device (the end-of-chain device answers); the port stays held.
 *  @return 0; -ENOLCK; -ENXIO (no chain answers); -EIO */
PARCLASS_EXPORT int parclass_port_deselect(parclass_port *port);

/**
 * (Re)initialise the IEEE 1284.3 chain on a port this handle holds: number
 * its devices from 0 (INIT_1284_3_BUS, address assignment). Selections end.
 * @param count  how many chain devices answered (0: no chain); may be NULL
 * @return 0; -ENOLCK; -EIO
 */
PARCLASS_EXPORT int parclass_port_init_chain(parclass_port *port, unsigned *count);

/** Deselect the chain (unless PARCLASS_UNLOCK_NO_DESELECT) and free the port. @return 0, -ENOLCK, -EINVAL */
PARCLASS_EXPORT int parclass_port_unlock(parclass_port *port, enum parclass_unlock_flags flags);

/**
 * Keep the allocation but let go of the kernel's claim, so that a program
 * outside parclass may use the port under this allocation (parclassctl lock
 * does this while its command runs). The next operation that needs the bus
 * claims it again.
 * @return 0, -ENOLCK
 */
PARCLASS_EXPORT int parclass_port_release_bus(parclass_port *port);

/* ------------------------------------------------------------------------
 * Devices
 * ------------------------------------------------------------------------ */

/**
 * Open a device exclusively: until it is closed or its process dies, every
 * other open of the same device, by any process, fails with -EBUSY.
 * @return 0, -EINVAL, -ENODEV (no such port), -EBUSY, -EACCES, -ENOMEM
 */
PARCLASS_EXPORT int parclass_device_open(parclass_context *ctx, const char *location, parclass_device **out);

/** Close a device; unlocks the port first if this handle holds it. Accepts NULL. */
PARCLASS_EXPORT void parclass_device_close(parclass_device *dev);

/** "LPT1.2" style location of the device, "parport0.2" style name.
 *  @return text owned by @dev (valid until parclass_device_close()); NULL for no @dev */
PARCLASS_EXPORT const char *parclass_device_get_location(const parclass_device *dev);
PARCLASS_EXPORT const char *parclass_device_get_name(const parclass_device *dev);
/** The address: 0..3, or PARCLASS_ADDRESS_END. @return 0, -EINVAL (no @dev) */
PARCLASS_EXPORT int parclass_device_get_address(const parclass_device *dev, int *address);

/** The device's port handle. @return the handle, owned by @dev (do not close it); NULL for no @dev */
PARCLASS_EXPORT parclass_port *parclass_device_get_port(parclass_device *dev);

/** parclass_port_lock() for this device's address (its own open does not
 *  count against it). @return as parclass_port_lock() */
PARCLASS_EXPORT int parclass_device_lock(parclass_device *dev, int timeout_ms, enum parclass_lock_flags flags);
/** parclass_port_unlock() after returning the link to compatibility mode.
 *  @return 0, -ENOLCK, -EINVAL (a flag that is not a parclass_unlock_flags) */
PARCLASS_EXPORT int parclass_device_unlock(parclass_device *dev, enum parclass_unlock_flags flags);
/** parclass_port_cancel() for this device's port: ends a wait, a read or a
 *  write in another thread. Safe from any thread and from a signal handler.
 *  @return 0, -EINVAL (no @dev) */
PARCLASS_EXPORT int parclass_device_cancel(parclass_device *dev);

/* The calls below need the port locked by this device (else -ENOLCK). */

/**
 * The modes port and device both do, found by negotiating each one once
 * (cached for the handle).
 * @return 0, -ENOLCK, -EIO
 */
PARCLASS_EXPORT int parclass_device_get_modes(parclass_device *dev, unsigned *modes);

/**
 * The device's capabilities (PAR_GET_DEVICE_CAPS): the modes port and device
 * both do, found by negotiating, now, each mode the caller has not ruled
 * out, and never one it has. A mode that goes both ways (ECP, EPP) is tried
 * when either direction may use it and reported only for those that may;
 * with the hardware modes of ECP or EPP ruled out, the software one is
 * negotiated as such. IEEE_COMPATIBILITY is reported when the device answers
 * an IEEE 1284 negotiation (with NIBBLE ruled out: any of those tried);
 * CENTRONICS needs none. The port is held for the probe as for a write
 * (a handle that does not hold it waits for it within @timeout_ms, then
 * frees it), and the link is left in compatibility mode. Nothing is cached:
 * parclass_device_get_modes() keeps its own answer.
 * @param dev             the device
 * @param must_not_read   reverse modes (PARCLASS_MODES_REVERSE bits) not to try or report
 * @param must_not_write  forward modes (PARCLASS_MODES_FORWARD bits) not to try or report
 * @param timeout_ms      how long to wait for the port (negative: no limit)
 * @param read_modes      the reverse modes the device does, of those allowed
 * @param write_modes     the forward modes the device does, of those allowed
 * @return 0; -EINVAL (a mask bit of the other direction, or no @dev or
 *         out-parameter); -ETIMEDOUT, -ECANCELED, -EBUSY, -ENXIO, -EIO (as
 *         parclass_device_lock())
 */
PARCLASS_EXPORT int parclass_device_get_caps(parclass_device *dev, unsigned must_not_read, unsigned must_not_write,
					     int timeout_ms, unsigned *read_modes, unsigned *write_modes);

/**
 * Choose the fastest forward mode in @write_mask and reverse mode in
 * @read_mask that port and device both do: hardware ECP, else EPP, else
 * software ECP (only when asked for), else compatibility forward;
 * hardware ECP, else EPP, else software ECP (only when asked for), else byte,
 * else nibble reverse. Reads and writes then use them, negotiating and
 * turning the bus around as needed.
 * @param write_mode, read_mode  the chosen modes (either may be NULL)
 * @return 0; -ENOTSUP when no mode in a non-zero mask is possible (then
 *         nothing changes); -ENOLCK; -EIO
 */
PARCLASS_EXPORT int parclass_device_negotiate(parclass_device *dev, unsigned write_mask, unsigned read_mask,
					      unsigned *write_mode, unsigned *read_mode);

/** The mode the link is in now (PARCLASS_MODE_CENTRONICS in compatibility mode).
 *  @return 0, -EINVAL */
PARCLASS_EXPORT int parclass_device_get_current_mode(parclass_device *dev, unsigned *mode);

/** Turn an ECP link to reverse or forward. @return 0, -ENOLCK, -ENOTSUP (not in ECP), -EIO */
PARCLASS_EXPORT int parclass_device_fwd_to_rev(parclass_device *dev);
PARCLASS_EXPORT int parclass_device_rev_to_fwd(parclass_device *dev);

/** Return the link to compatibility mode. @return 0, -ENOLCK */
PARCLASS_EXPORT int parclass_device_terminate(parclass_device *dev);

/**
 * The device ID: cooked (the text, NUL-terminated) or raw
 * (PARCLASS_ID_RAW: the two length bytes as the device sent them, then the
 * text), fresh from the device (PARCLASS_ID_FRESH) or cached (what this or
 * another process read before, else the kernel's cache).
 * @param buf, len  where to put it; with @buf NULL only @size is set
 * @param size      the ID's size in bytes (cooked: without the NUL)
 * @return 0; -ENOENT (no ID known or the device has none); -ENOSPC (@len
 *         too small; @size is set); -EPROTO (what the device sent is not an
 *         ID); -ENOLCK (a fresh ID needs the port locked); -ETIMEDOUT
 */
PARCLASS_EXPORT int parclass_device_get_id(parclass_device *dev, enum parclass_id_flags flags, void *buf, size_t len,
					   size_t *size);

/** The device ID, parsed (free it with parclass_device_id_free()); only PARCLASS_ID_FRESH applies.
 *  @return as parclass_device_get_id() */
PARCLASS_EXPORT int parclass_device_get_id_parsed(parclass_device *dev, enum parclass_id_flags flags,
						  parclass_device_id **out);

/**
 * Write in the negotiated forward mode (compatibility mode unless
 * parclass_device_negotiate() chose another). A handle that does not hold
 * the port need not lock it: the write then waits for the port in the queue
 * (within @timeout_ms, as parclass_device_lock()), writes, and unlocks it
 * again; a handle that holds it keeps it.
 * @param timeout_ms  how long to wait for the port, and how long the printer
 *                    may take nothing before the write gives up (negative:
 *                    no limit)
 * @param written     bytes the printer took, also on failure (may be NULL)
 * @return 0 when all @len bytes went; -ETIMEDOUT (also: the port did not
 *         come in time); -ECANCELED (parclass_port_cancel()); -EINTR (a
 *         signal); -EBUSY, -ENXIO (as parclass_device_lock()); -EIO;
 *         -ENODEV (the port went away)
 */
PARCLASS_EXPORT int parclass_device_write(parclass_device *dev, const void *buf, size_t len, int timeout_ms,
					  size_t *written);

/**
 * Read what the device has for the host, in the negotiated reverse mode
 * (nibble mode unless parclass_device_negotiate() chose another), waiting up
 * to @timeout_ms (0: only what is there now) for the first byte. Without
 * the port, the read waits for it first (within @timeout_ms; 0: only when
 * nobody holds or waits for it) and unlocks it again, as a write does.
 * @param got  bytes read; 0 when the device has nothing (may be NULL)
 * @return 0 (also when nothing came); -ETIMEDOUT (the port did not come in
 *         time); -ECANCELED; -EBUSY, -ENXIO (as parclass_device_lock());
 *         -EIO; -ENODEV; -EINTR
 */
PARCLASS_EXPORT int parclass_device_read(parclass_device *dev, void *buf, size_t len, int timeout_ms,
					 size_t *got);

/**
 * Does the device signal that it has data for the host? Reads the status
 * lines without changing the link: in ECP mode nPeriphRequest, in nibble or
 * byte mode nDataAvail (both nFault low). Cheap enough to call between
 * writes, so that a reader turns the link around only when it pays.
 * @return 1 (data waits), 0 (none); -ENOTSUP when the link's mode has no
 *         such signal (compatibility or EPP mode: read to find out);
 *         -ENOLCK; -EIO
 */
PARCLASS_EXPORT int parclass_device_reverse_pending(parclass_device *dev);

/** ECP channel (0..127) for following reads, sent before the bus turns
 *  (SET_READ_ADDRESS); -1: none. @return 0, -EINVAL, -ENOLCK */
PARCLASS_EXPORT int parclass_device_set_read_channel(parclass_device *dev, int channel);

/** The modes a transfer uses without parclass_device_negotiate()
 *  (PAR_GET_DEFAULT_MODES): CENTRONICS forward, NIBBLE reverse. @return 0, -EINVAL */
PARCLASS_EXPORT int parclass_device_get_default_modes(parclass_device *dev, unsigned *forward, unsigned *reverse);

/** ECP channel (0..127) for following writes; -1: no channel address. @return 0, -EINVAL, -ENOLCK */
PARCLASS_EXPORT int parclass_device_set_write_channel(parclass_device *dev, int channel);

/** The PARCLASS_STATUS_* bits; the link returns to compatibility mode first.
 *  @return 0, -ENOLCK, -EIO, -ENODEV (the port went away) */
PARCLASS_EXPORT int parclass_device_get_status(parclass_device *dev, unsigned *status);

/**
 * The lines themselves (PARCLASS_LINE_* levels), read at one moment; the
 * link returns to compatibility mode first. parclass_status_from_lines()
 * gives the status bits of what this read.
 * @return 0, -ENOLCK, -EIO, -ENODEV (the port went away)
 */
PARCLASS_EXPORT int parclass_device_get_lines(parclass_device *dev, unsigned *lines);

/** PAR_SET_INFORMATION's AUTOFEED: nAutoFd low while @on is not 0 (the printer adds a
 *  line feed to each carriage return), high when 0; in compatibility
 *  mode. The status shows it as PARCLASS_STATUS_AUTOFEED. @return 0, -ENOLCK, -EIO, -ENODEV */
PARCLASS_EXPORT int parclass_device_set_autofeed(parclass_device *dev, int on);

/** Reset the printer: an nInit pulse in compatibility mode. @return 0, -ENOLCK, -EIO */
PARCLASS_EXPORT int parclass_device_reset(parclass_device *dev);

/**
 * An fd that polls readable on the port's interrupts (nAck).
 * @return 0; -ENOTSUP when the port has no interrupt line; -ENOLCK
 */
PARCLASS_EXPORT int parclass_device_get_interrupt_fd(parclass_device *dev, int *fd);

/* ------------------------------------------------------------------------
 * Status and modes as text
 * ------------------------------------------------------------------------ */

/** @return the PARCLASS_STATUS_* bits of PARCLASS_LINE_* levels @lines, as Windows computes them */
PARCLASS_EXPORT unsigned parclass_status_from_lines(unsigned lines);

/** @return the name of one PARCLASS_LINE_* bit ("nFault", "Busy"), a static string; NULL for another value */
PARCLASS_EXPORT const char *parclass_line_name(unsigned bit);

/** @return the name of one status bit ("PAPER_EMPTY"), a static string; NULL for another value */
PARCLASS_EXPORT const char *parclass_status_name(unsigned bit);

/** @return the name of one mode bit ("ECP_HW_NOIRQ"), a static string; NULL for another value */
PARCLASS_EXPORT const char *parclass_mode_name(unsigned bit);

/**
 * Parse a mode name ("ECP_HW_NOIRQ", case-insensitive) into its bit, or a
 * short name into the bits it stands for: "compat" (CENTRONICS and
 * IEEE_COMPATIBILITY), "nibble", "byte", "ecp" (both hardware ECP bits),
 * "ecpsw", "epp", "eppsw".
 * @return the mask, or 0 when unknown
 */
PARCLASS_EXPORT unsigned parclass_mode_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* PARCLASS_H */
