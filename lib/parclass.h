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
 *   - Every function documents every negative errno it can return. Two
 *     groups that many share are named once, here:
 *     "the queue errors" (a port's queue in the runtime directory):
 *       -EACCES (the runtime directory lets this process look, not queue),
 *       -EIO (its files vanish or are damaged under it), -ENOMEM;
 *     "the bus errors" (opening the port's hardware and taking the kernel's
 *     claim, which a held port does again after
 *     parclass_port_release_bus()): -EBUSY (a program outside parclass keeps
 *     the claim), -ETIMEDOUT (libieee1284's set-up waits for such a
 *     program), -ENODEV (the port is gone), -EACCES, -EPERM (the port is
 *     not reachable through ppdev), -ENOTSUP, -ENOMEM, -EIO (or the errno
 *     of a system call of libieee1284's that failed).
 *     A NULL where an object or out-parameter is needed is -EINVAL.
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

/**
 * Microseconds since the epoch (CLOCK_REALTIME), a 64-bit count: C89 has
 * no such type, GCC and Clang have it as an extension.
 */
#if defined(__GNUC__) && !defined(__cplusplus)
__extension__ typedef long long parclass_usec;
#else
typedef long long parclass_usec;
#endif

/** Longest reasons text of a parclass_report, its NUL included. */
#define PARCLASS_REPORT_REASONS_MAX 256
/** Longest display text of a parclass_report, its NUL included. */
#define PARCLASS_REPORT_DISPLAY_MAX 128

/**
 * A device's status as the process holding its port sees it, published
 * with parclass_device_publish() for everyone to read with
 * parclass_port_read_report() (a device service shows it while a job
 * holds the port, and so never touches a held port itself).
 */
typedef struct parclass_report {
	/** PARCLASS_STATUS_* bits */
	unsigned status;
	/** PARCLASS_LINE_* levels */
	unsigned lines;
	/** pages of the running job so far; -1 unknown */
	int pages;
	/** printer-state-reasons keywords (lower case letters, digits and
	 *  '-'), separated by commas, without blanks; "" for none */
	char reasons[PARCLASS_REPORT_REASONS_MAX];
	/** what the printer's display shows (PJL), printable ASCII; "" unknown */
	char display[PARCLASS_REPORT_DISPLAY_MAX];
	/** read only (parclass_device_publish() ignores them): the publisher's
	 *  process ID, */
	pid_t pid;
	/** when it published this (microseconds since the epoch), */
	parclass_usec published_us;
	/** and whether it still has the device open: 1 while its device
	 *  handle is open, 0 once the handle is closed or the process gone */
	int live;
} parclass_report;

/** What parclass_port_drain_queue_fd() found changed (a bit mask). */
enum parclass_watch_flags {
	/** a request entered or left the port's queue, or the holder changed */
	PARCLASS_WATCH_QUEUE = 1 << 0,
	/** a holder published a report (parclass_port_read_report()) */
	PARCLASS_WATCH_REPORT = 1 << 1
};

/** A log callback: @message is one line without a trailing newline. */
typedef void (*parclass_log_fn)(parclass_context *ctx, enum parclass_log_level level, const char *message,
				void *userdata);

/* ------------------------------------------------------------------------
 * Context, errors, logging
 * ------------------------------------------------------------------------ */

/**
 * Create a library context, with one reference.
 * @param out  the new context (set only on success)
 * @return 0; -EINVAL (no @out); -ENOMEM
 */
PARCLASS_EXPORT int parclass_context_new(parclass_context **out);

/**
 * Take a reference.
 * @param ctx  the context, or NULL
 * @return @ctx
 */
PARCLASS_EXPORT parclass_context *parclass_context_ref(parclass_context *ctx);

/**
 * Drop a reference; the last one frees the context (ports, devices and
 * enumerations made from it hold references of their own).
 * @param ctx  the context, or NULL
 * @return NULL
 */
PARCLASS_EXPORT parclass_context *parclass_context_unref(parclass_context *ctx);

/**
 * Route log messages of @level and more severe to @fn.
 * @param ctx       the context
 * @param level     the least severe level passed on
 * @param fn        the callback; NULL: silent
 * @param userdata  passed to @fn as it is
 * @return 0; -EINVAL (no @ctx, or a level that is not a parclass_log_level)
 */
PARCLASS_EXPORT int parclass_context_set_log(parclass_context *ctx, enum parclass_log_level level, parclass_log_fn fn,
					     void *userdata);

/**
 * Where the cross-process port state lives. The default is
 * $PARCLASS_RUNTIME_DIR, else /run/parclass (see parclass(7) for the
 * permissions it needs). Ports and devices opened before keep theirs.
 * @param ctx  the context
 * @param dir  an absolute path (copied)
 * @return 0; -EINVAL (no @ctx, or a relative or empty path); -ENOMEM
 */
PARCLASS_EXPORT int parclass_context_set_runtime_dir(parclass_context *ctx, const char *dir);

/**
 * The runtime directory in use.
 * @param ctx  the context
 * @return the path, owned by @ctx (valid until it is set again or @ctx is
 *         freed); NULL for no @ctx
 */
PARCLASS_EXPORT const char *parclass_context_get_runtime_dir(const parclass_context *ctx);

/**
 * Describe an error returned by this library: the library's own meaning
 * where it gave the code one (e.g. -ENOLCK "the port is not locked by this
 * handle"), else what strerror() says.
 * @param error  a negative errno value (a positive one names the same code; 0 is "success")
 * @return a string never NULL: static for the library's own meanings and 0;
 *         otherwise strerror()'s, valid until the next strerror() call of
 *         this thread
 */
PARCLASS_EXPORT const char *parclass_strerror(int error);

/**
 * The library version.
 * @return "MAJOR.MINOR.MICRO", a static string
 */
PARCLASS_EXPORT const char *parclass_version(void);

/* ------------------------------------------------------------------------
 * Locations
 * ------------------------------------------------------------------------ */

/** The highest port number: parport0..7, LPT1..8. */
#define PARCLASS_PORT_MAX 7

/** What a location says beyond its port and address. */
enum parclass_location_flags {
	/** The end-of-chain device, named as the device behind a chain
	 *  ("LPT1.4", "parport0.4", "?daisy=4"): the address is
	 *  PARCLASS_ADDRESS_END, as for "LPT1", and only the names differ. */
	PARCLASS_LOCATION_BEHIND_CHAIN = 1 << 5
};

/**
 * Parse a location: "parport0", "parport0.2", "LPT1", "LPT1.2", "LPT1.4"
 * (the end-of-chain device behind a chain), "/dev/parport0", or a device URI
 * "parclass:/dev/parport0" with an optional "?daisy=N" (and other options,
 * which are ignored here).
 * @param location  the text to parse
 * @param port     the port number N of parportN, 0..PARCLASS_PORT_MAX
 * @param address  0..3 for a chain device, PARCLASS_ADDRESS_END otherwise
 * @param flags    PARCLASS_LOCATION_BEHIND_CHAIN for ".4" and "daisy=4",
 *                 else 0; may be NULL
 * @return 0, or -EINVAL when @location is none of these (nothing is written)
 */
PARCLASS_EXPORT int parclass_location_parse(const char *location, int *port, int *address,
					    enum parclass_location_flags *flags);

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
 * @param raw  the bytes as the device sent them
 * @param len  how many
 * @param out  the parsed ID (free it with parclass_device_id_free())
 * @return 0; -EINVAL (no @raw or @out, no usable pairs, fewer than three
 *         bytes, a length of 0 or over 0xFFF in both byte orders, control
 *         characters or a NUL); -ENOMEM
 */
PARCLASS_EXPORT int parclass_device_id_parse_raw(const void *raw, size_t len, parclass_device_id **out);

/**
 * Parse the text of a device ID (no length bytes). Also accepts the
 * kernel's cached form, one "KEY:value;" per line.
 * @param text  the ID text, NUL-terminated
 * @param out   the parsed ID (free it with parclass_device_id_free())
 * @return 0; -EINVAL (no @text or @out, empty or longer than 0xFFF, no
 *         usable pairs, control characters other than line ends); -ENOMEM
 */
PARCLASS_EXPORT int parclass_device_id_parse(const char *text, parclass_device_id **out);

/**
 * Free a parsed ID, and with it every string its getters gave.
 * @param id  the ID, or NULL
 */
PARCLASS_EXPORT void parclass_device_id_free(parclass_device_id *id);

/**
 * The value of @key, looked up case-insensitively and through its aliases
 * (MFG / MANUFACTURER, MDL / MODEL, CMD / COMMAND SET, CLS / CLASS,
 * DES / DESCRIPTION, SN / SERN / SERIALNUMBER). Of a key given twice, the last.
 * @param id   the ID, or NULL
 * @param key  the key, or NULL
 * @return the value, owned by @id (valid until parclass_device_id_free());
 *         NULL when absent, and for no @id or @key
 */
PARCLASS_EXPORT const char *parclass_device_id_get(const parclass_device_id *id, const char *key);

/**
 * The normalised ID text: "KEY:value;" pairs in the order received.
 * @param id  the ID, or NULL
 * @return text owned by @id (valid until parclass_device_id_free()); NULL for no @id
 */
PARCLASS_EXPORT const char *parclass_device_id_text(const parclass_device_id *id);

/**
 * Make and model as CUPS shows them: "Manufacturer Model", the manufacturer
 * not repeated when the model already starts with it, "Hewlett-Packard"
 * shortened to "HP"; from DES when MFG or MDL are missing; "Unknown" when
 * nothing is known.
 * @param id  the ID, or NULL
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
 * claim that a program outside parclass holds. A port that cannot be probed
 * (its queue or bus unusable) is described from what is known: that is no
 * error of the enumeration.
 * @param ctx          the context
 * @param deadline_ms  when to answer, in milliseconds from now (negative: no limit)
 * @param out          the enumeration (free it with parclass_enumeration_free())
 * @return 0; -EINVAL (no @ctx or @out); -ENODEV (no parallel port support
 *         at all); -ENOMEM
 */
PARCLASS_EXPORT int parclass_enumerate(parclass_context *ctx, int deadline_ms, parclass_enumeration **out);

/**
 * Free an enumeration, and with it everything its getters gave.
 * @param e  the enumeration, or NULL
 */
PARCLASS_EXPORT void parclass_enumeration_free(parclass_enumeration *e);

/*
 * The ports of an enumeration and what is known of them. Everything these
 * getters return is owned by the enumeration and valid until
 * parclass_enumeration_free(); for no object (NULL) they return NULL, 0 or
 * "Unknown" as each says.
 */

/**
 * How many ports the enumeration has.
 * @param e  the enumeration, or NULL
 * @return the number (0 for no @e)
 */
PARCLASS_EXPORT unsigned parclass_enumeration_port_count(const parclass_enumeration *e);

/**
 * One port of the enumeration, in the order of their numbers.
 * @param e  the enumeration, or NULL
 * @param i  0 .. parclass_enumeration_port_count() - 1
 * @return the port, owned by @e; NULL when there is none
 */
PARCLASS_EXPORT const parclass_port_info *parclass_enumeration_port(const parclass_enumeration *e, unsigned i);

/**
 * The port's name.
 * @param p  the port, or NULL
 * @return "parport0", owned by the enumeration; NULL for no @p
 */
PARCLASS_EXPORT const char *parclass_port_info_name(const parclass_port_info *p);

/**
 * The port's location.
 * @param p  the port, or NULL
 * @return "LPT1", owned by the enumeration; NULL for no @p
 */
PARCLASS_EXPORT const char *parclass_port_info_location(const parclass_port_info *p);

/**
 * The port number N of parportN.
 * @param p       the port
 * @param number  the number
 * @return 0; -EINVAL (no @p or @number)
 */
PARCLASS_EXPORT int parclass_port_info_get_number(const parclass_port_info *p, int *number);

/**
 * Modes the port itself can do (the device may do fewer).
 * @param p  the port, or NULL
 * @return a mode mask; 0 for no @p
 */
PARCLASS_EXPORT unsigned parclass_port_info_modes(const parclass_port_info *p);

/**
 * Was the port probed now?
 * @param p  the port, or NULL
 * @return 1 when it was, 0 when it was held or out of time and is described
 *         from what is known (and for no @p)
 */
PARCLASS_EXPORT int parclass_port_info_probed(const parclass_port_info *p);

/**
 * Who held the port when it was enumerated.
 * @param p  the port, or NULL
 * @return the holder's process ID; 0 when none (and for no @p)
 */
PARCLASS_EXPORT pid_t parclass_port_info_holder(const parclass_port_info *p);

/**
 * How many devices were found on the port.
 * @param p  the port, or NULL
 * @return the number (0 for no @p)
 */
PARCLASS_EXPORT unsigned parclass_port_info_device_count(const parclass_port_info *p);

/**
 * One device of the port: chain devices first, then the end device.
 * @param p  the port, or NULL
 * @param i  0 .. parclass_port_info_device_count() - 1
 * @return the device, owned by the enumeration; NULL when there is none
 */
PARCLASS_EXPORT const parclass_device_info *parclass_port_info_device(const parclass_port_info *p, unsigned i);

/**
 * The device's location.
 * @param d  the device, or NULL
 * @return "LPT1", "LPT1.2" or "LPT1.4", owned by the enumeration; NULL for no @d
 */
PARCLASS_EXPORT const char *parclass_device_info_location(const parclass_device_info *d);

/**
 * The device's address.
 * @param d        the device
 * @param address  0..3, or PARCLASS_ADDRESS_END
 * @return 0; -EINVAL (no @d or @address)
 */
PARCLASS_EXPORT int parclass_device_info_get_address(const parclass_device_info *d, int *address);

/**
 * The device's parsed ID.
 * @param d  the device, or NULL
 * @return the ID, owned by the enumeration (do not free it); NULL when the
 *         device has none, it is unknown, or for no @d
 */
PARCLASS_EXPORT const parclass_device_id *parclass_device_info_id(const parclass_device_info *d);

/**
 * The device's make and model, as parclass_device_id_make_and_model().
 * @param d  the device, or NULL
 * @return text owned by the enumeration, or the static "Unknown" (without
 *         an ID, and for no @d)
 */
PARCLASS_EXPORT const char *parclass_device_info_make_and_model(const parclass_device_info *d);

/**
 * Modes port and device both do.
 * @param d  the device, or NULL
 * @return a mode mask; 0 when unknown (and for no @d)
 */
PARCLASS_EXPORT unsigned parclass_device_info_modes(const parclass_device_info *d);

/* ------------------------------------------------------------------------
 * Ports: cross-process arbitration
 * ------------------------------------------------------------------------ */

/**
 * Open a port for arbitration (not exclusive: any number of handles).
 * @param ctx       the context (the handle takes a reference)
 * @param location  a location naming the port (its address is ignored)
 * @param out       the handle (close it with parclass_port_close())
 * @return 0; -EINVAL (no @ctx, @location or @out, or not a location);
 *         -ENODEV (no such port); -EACCES (the runtime directory is not
 *         usable); -EIO (the port's queue in it is not); -ENOMEM
 */
PARCLASS_EXPORT int parclass_port_open(parclass_context *ctx, const char *location, parclass_port **out);

/**
 * Close a port handle; frees the port first if this handle holds it.
 * @param port  the handle, or NULL
 */
PARCLASS_EXPORT void parclass_port_close(parclass_port *port);

/**
 * Wait for the port. Requests are granted in the order they were made, by
 * all processes; a holder or waiter that dies never blocks the others.
 * Takes the kernel's claim (PPCLAIM) once granted.
 * @param port        the handle
 * @param timeout_ms  how long to wait in the queue; negative = no limit
 *                    (taking the bus once granted may add up to 0.5 s); 0 =
 *                    granted only when nobody holds or waits for the port,
 *                    else -ETIMEDOUT. parclass_port_try_allocate() grants on
 *                    the same condition but fails with -EBUSY, never counts
 *                    as a waiter even for a moment, and does not wait for a
 *                    claim that a program outside parclass holds.
 * @return 0; -EINVAL (no @port); -ETIMEDOUT; -ECANCELED
 *         (parclass_port_cancel()); -EALREADY (this handle holds it);
 *         -EBUSY (a program outside parclass keeps the kernel's claim); the
 *         queue errors (-EACCES, -EIO, -ENOMEM); the bus errors
 */
PARCLASS_EXPORT int parclass_port_allocate(parclass_port *port, int timeout_ms);

/**
 * Take the port only if nobody holds it or waits for it.
 * @param port  the handle
 * @return 0; -EINVAL (no @port); -EBUSY (held, waited for, or a program
 *         outside parclass has the kernel's claim); -EALREADY (this handle
 *         holds it); the queue errors (-EACCES, -EIO, -ENOMEM); the bus errors
 */
PARCLASS_EXPORT int parclass_port_try_allocate(parclass_port *port);

/**
 * Give the port to the next waiter (no IEEE 1284.3 deselect: see
 * parclass_port_unlock()).
 * @param port  the handle
 * @return 0; -EINVAL (no @port); -ENOLCK (this handle does not hold it)
 */
PARCLASS_EXPORT int parclass_port_free(parclass_port *port);

/**
 * End a wait of parclass_port_allocate() or parclass_port_lock(), or a read
 * or write of a device on this port, with -ECANCELED. Safe from any thread
 * and from a signal handler. A cancel is kept until a wait or transfer on
 * the port takes it: the one in progress, else the next one to start, which
 * then fails at once and does nothing. So a signal handler's cancel is never
 * lost in the moment before a wait begins. A transfer whose last bytes go
 * before it looks again leaves the cancel for the next.
 * @param port  the handle
 * @return 0; -EINVAL (no @port)
 */
PARCLASS_EXPORT int parclass_port_cancel(parclass_port *port);

/**
 * How many allocate and lock requests wait for the port now (the holder
 * not counted), across processes.
 * @param port     the handle
 * @param waiters  the number
 * @return 0; -EINVAL (no @port or @waiters); -EIO (the queue cannot be
 *         read); -ENOMEM
 */
PARCLASS_EXPORT int parclass_port_query_waiters(parclass_port *port, unsigned *waiters);

/**
 * What the kernel says of the port's hardware (/proc/sys/dev/parport/parportN).
 * @param port     the handle
 * @param base     the I/O base address (0 when the port has none, as USB ones)
 * @param base_hi  the ECP registers' base address (0: none)
 * @param irq      its interrupt line, -1 when it has none
 * @param dma      its DMA channel, -1 when it has none
 * @return 0; -EINVAL (no @port or a NULL out-parameter); -ENODEV (the port is gone)
 */
PARCLASS_EXPORT int parclass_port_get_resources(parclass_port *port, unsigned long *base, unsigned long *base_hi,
						int *irq, int *dma);

/**
 * Advisory: is the port free now?
 * @param port  the handle
 * @return 1 when nobody holds the port (a program outside parclass with the
 *         kernel's claim included), 0 when held; -EINVAL (no @port); -EIO
 *         (the queue cannot be read); -ENOMEM
 */
PARCLASS_EXPORT int parclass_port_is_free(parclass_port *port);

/**
 * The process holding the port.
 * @param port  the handle
 * @param pid   its process ID; 0 when the port is free
 * @return 0; -EINVAL (no @port or @pid); -EIO (the queue cannot be read); -ENOMEM
 */
PARCLASS_EXPORT int parclass_port_get_holder(parclass_port *port, pid_t *pid);

/**
 * The process holding the port, and since when it holds it (from the
 * runtime directory: a holder that died reads as none).
 * @param port      the handle
 * @param pid       its process ID; 0 when the port is free
 * @param since_us  when it was granted the port, in microseconds since the
 *                  epoch (CLOCK_REALTIME); 0 when the port is free. May be
 *                  NULL.
 * @return 0; -EINVAL (no @port or @pid); -EIO (the queue cannot be read); -ENOMEM
 */
PARCLASS_EXPORT int parclass_port_get_holder_since(parclass_port *port, pid_t *pid, parclass_usec *since_us);

/**
 * An fd that polls readable when the port's queue changes: a request (of
 * any process) enters or leaves it, or the holder changes; also when a
 * holder publishes a report. It is an inotify fd (close-on-exec,
 * non-blocking) on the port's directory in the runtime directory, owned by
 * the handle (do not close it; it lasts until parclass_port_close()). After
 * it polls readable, parclass_port_drain_queue_fd() empties it and says
 * what changed; then look at the queue (parclass_port_get_holder_since(),
 * parclass_port_query_waiters()) or the reports. In a GLib main loop:
 * g_unix_fd_add(fd, G_IO_IN, callback, data), the callback calling
 * parclass_port_drain_queue_fd() and returning G_SOURCE_CONTINUE.
 * A holder killed while nobody waits leaves no event: its request is
 * removed by the next look at the queue, which counts it as gone at once.
 * @param port  the handle
 * @param fd    the fd
 * @return 0; -EINVAL (no @port or @fd); -EIO (the directory cannot be
 *         watched); -ENOMEM
 */
PARCLASS_EXPORT int parclass_port_get_queue_fd(parclass_port *port, int *fd);

/**
 * Empty the fd of parclass_port_get_queue_fd() without waiting: it polls
 * readable again at the next change.
 * @param port  the handle
 * @return the PARCLASS_WATCH_* bits of what changed since the last drain
 *         (0: nothing the caller needs to look at, such as a temporary
 *         file); -EINVAL (no @port); -EBADF (no queue fd was asked for);
 *         -EIO (reading it failed)
 */
PARCLASS_EXPORT int parclass_port_drain_queue_fd(parclass_port *port);

/**
 * The report last published for the device at @address of the port (by
 * whichever process held the port then). What a process without the right
 * to publish put there (a planted file, a symbolic link, a file of
 * another owner claiming a live publisher, a lock that is not the
 * library's, garbage, a truncated or an overlong report) is refused, with
 * a debug line in the context's log; a report whose publisher is gone is
 * read with live 0.
 * @param port     the handle
 * @param address  0..3, or PARCLASS_ADDRESS_END
 * @param report   the report, every field filled
 * @return 0; -ENOENT (nothing was published for that device); -EBADMSG
 *         (what is there is no report); -EINVAL (no @port or @report, an
 *         address out of range)
 */
PARCLASS_EXPORT int parclass_port_read_report(parclass_port *port, int address, parclass_report *report);

/**
 * Does this handle hold the port?
 * @param port  the handle, or NULL
 * @return 1 or 0 (0 for no @port)
 */
PARCLASS_EXPORT int parclass_port_is_held(const parclass_port *port);

/**
 * Allocate the port, then select device @address on the IEEE 1284.3 chain
 * (PARCLASS_ADDRESS_END deselects the chain so that the end-of-chain device
 * answers). PARCLASS_LOCK_NO_SELECT skips the select.
 * @param port        the handle
 * @param address     0..3, or PARCLASS_ADDRESS_END
 * @param timeout_ms  as for parclass_port_allocate()
 * @param flags       0 or PARCLASS_LOCK_NO_SELECT
 * @return as parclass_port_allocate(); -ENXIO when the device does not
 *         answer the select (the port is then freed again); -EBUSY when a
 *         device handle (of any process) has the chain device at @address
 *         open; -EINVAL (no @port, an address out of range, a flag that is
 *         not a parclass_lock_flags)
 */
PARCLASS_EXPORT int parclass_port_lock(parclass_port *port, int address, int timeout_ms,
				       enum parclass_lock_flags flags);

/**
 * Select chain device @address on a port this handle holds, without
 * freeing it (IEEE 1284.3 SELECT; with PARCLASS_SELECT_ECP the ECP select
 * command, for a device that will talk ECP).
 * @param port     the handle
 * @param address  0..3
 * @param flags    0 or PARCLASS_SELECT_ECP
 * @return 0; -ENOLCK (not held); -ENXIO (no device answers at @address);
 *         -EBUSY (a device handle has it open); -EINVAL (no @port, an
 *         address out of range, another flag); the bus errors
 */
PARCLASS_EXPORT int parclass_port_select(parclass_port *port, int address, enum parclass_select_flags flags);

/**
 * Deselect every chain device (the end-of-chain device answers); the port stays held.
 * @param port  the handle
 * @return 0; -EINVAL (no @port); -ENOLCK (not held); -ENXIO (no chain
 *         answers); the bus errors
 */
PARCLASS_EXPORT int parclass_port_deselect(parclass_port *port);

/**
 * The port's lines (PARCLASS_LINE_* levels), read at one moment, on a port
 * this handle holds: what parclass_device_get_lines() reads, without a
 * device open and without ending the link's mode (a port just allocated is
 * in compatibility mode). For a look at an idle port that must not keep a
 * device's open from whoever wants it: select the device first
 * (parclass_port_select(), or parclass_port_deselect() for the end of the
 * chain).
 * @param port   the handle
 * @param lines  the levels
 * @return 0; -EINVAL (no @port or @lines); -ENOLCK (not held); -EIO;
 *         -ENODEV (the port went away); the bus errors
 */
PARCLASS_EXPORT int parclass_port_get_lines(parclass_port *port, unsigned *lines);

/**
 * (Re)initialise the IEEE 1284.3 chain on a port this handle holds: number
 * its devices from 0 (INIT_1284_3_BUS, address assignment). Selections end.
 * @param port   the handle
 * @param count  how many chain devices answered (0: no chain); may be NULL
 * @return 0; -EINVAL (no @port); -ENOLCK (not held); the bus errors
 */
PARCLASS_EXPORT int parclass_port_init_chain(parclass_port *port, unsigned *count);

/**
 * Deselect the chain (unless PARCLASS_UNLOCK_NO_DESELECT) and free the port.
 * A deselect that fails does not keep the port.
 * @param port   the handle
 * @param flags  0 or PARCLASS_UNLOCK_NO_DESELECT
 * @return 0; -ENOLCK (not held); -EINVAL (no @port, a flag that is not a
 *         parclass_unlock_flags)
 */
PARCLASS_EXPORT int parclass_port_unlock(parclass_port *port, enum parclass_unlock_flags flags);

/**
 * Keep the allocation but let go of the kernel's claim, so that a program
 * outside parclass may use the port under this allocation (parclassctl lock
 * does this while its command runs). The next operation that needs the bus
 * claims it again.
 * @param port  the handle
 * @return 0; -EINVAL (no @port); -ENOLCK (not held)
 */
PARCLASS_EXPORT int parclass_port_release_bus(parclass_port *port);

/* ------------------------------------------------------------------------
 * Devices
 * ------------------------------------------------------------------------ */

/**
 * Open a device exclusively: until it is closed or its process dies, every
 * other open of the same device, by any process, fails with -EBUSY. Opening
 * takes neither the port nor the bus: that waits for a lock or a transfer.
 * @param ctx       the context (the handle takes a reference)
 * @param location  a location naming the device (see
 *                  parclass_location_parse())
 * @param out       the handle (close it with parclass_device_close())
 * @return 0; -EINVAL (no @ctx, @location or @out, or not a location);
 *         -ENODEV (no such port); -EBUSY (the device is open elsewhere);
 *         -EACCES (the runtime directory is not usable); -EIO (the port's
 *         queue in it is not); -ENOMEM
 */
PARCLASS_EXPORT int parclass_device_open(parclass_context *ctx, const char *location, parclass_device **out);
/**
 * Open the device a location names, from what parclass_location_parse()
 * gave: as parclass_device_open(), for a caller that parsed the location
 * itself.
 * @param ctx      the context (the handle takes a reference)
 * @param port     0..PARCLASS_PORT_MAX
 * @param address  0..3, or PARCLASS_ADDRESS_END
 * @param flags    PARCLASS_LOCATION_BEHIND_CHAIN (with PARCLASS_ADDRESS_END
 *                 only) for the names "LPTn.4" and "parportN.4", or 0
 * @param out      the handle (close it with parclass_device_close())
 * @return 0; -EINVAL (no @ctx or @out, or a value out of range); -ENODEV
 *         (no such port); -EBUSY (the device is open elsewhere); -EACCES
 *         (the runtime directory is not usable); -EIO (the port's queue in
 *         it is not); -ENOMEM
 */
PARCLASS_EXPORT int parclass_device_open_at(parclass_context *ctx, int port, int address,
					    enum parclass_location_flags flags, parclass_device **out);

/**
 * Close a device; unlocks the port first if this handle holds it.
 * @param dev  the device, or NULL
 */
PARCLASS_EXPORT void parclass_device_close(parclass_device *dev);

/**
 * The device's location.
 * @param dev  the device, or NULL
 * @return "LPT1.2" style text owned by @dev (valid until
 *         parclass_device_close()); NULL for no @dev
 */
PARCLASS_EXPORT const char *parclass_device_get_location(const parclass_device *dev);

/**
 * The device's name.
 * @param dev  the device, or NULL
 * @return "parport0.2" style text owned by @dev (valid until
 *         parclass_device_close()); NULL for no @dev
 */
PARCLASS_EXPORT const char *parclass_device_get_name(const parclass_device *dev);

/**
 * The device's address.
 * @param dev      the device
 * @param address  0..3, or PARCLASS_ADDRESS_END
 * @return 0; -EINVAL (no @dev or @address)
 */
PARCLASS_EXPORT int parclass_device_get_address(const parclass_device *dev, int *address);

/**
 * The device's port handle.
 * @param dev  the device, or NULL
 * @return the handle, owned by @dev (valid until parclass_device_close();
 *         do not close it); NULL for no @dev
 */
PARCLASS_EXPORT parclass_port *parclass_device_get_port(parclass_device *dev);

/**
 * parclass_port_lock() for this device's address (its own open does not
 * count against it).
 * @param dev         the device
 * @param timeout_ms  as for parclass_port_allocate()
 * @param flags       0 or PARCLASS_LOCK_NO_SELECT
 * @return 0; -EINVAL (no @dev, a flag that is not a parclass_lock_flags);
 *         -ETIMEDOUT; -ECANCELED; -EALREADY (this handle holds the port);
 *         -ENXIO (a chain device that does not answer the select); -EBUSY;
 *         the queue errors (-EACCES, -EIO, -ENOMEM); the bus errors
 */
PARCLASS_EXPORT int parclass_device_lock(parclass_device *dev, int timeout_ms, enum parclass_lock_flags flags);

/**
 * parclass_port_unlock() after returning the link to compatibility mode.
 * @param dev    the device
 * @param flags  0 or PARCLASS_UNLOCK_NO_DESELECT
 * @return 0; -ENOLCK (not held); -EINVAL (no @dev, a flag that is not a
 *         parclass_unlock_flags)
 */
PARCLASS_EXPORT int parclass_device_unlock(parclass_device *dev, enum parclass_unlock_flags flags);

/**
 * parclass_port_cancel() for this device's port: ends a wait, a read or a
 * write in another thread. Safe from any thread and from a signal handler.
 * @param dev  the device
 * @return 0; -EINVAL (no @dev)
 */
PARCLASS_EXPORT int parclass_device_cancel(parclass_device *dev);

/* The calls below need the port locked by this device (else -ENOLCK),
 * except parclass_device_get_caps(), _write() and _read(), which take it
 * for themselves, and the getters that only report what the handle knows. */

/**
 * The modes port and device both do, found by negotiating each one once
 * (cached for the handle).
 * @param dev    the device
 * @param modes  a mode mask
 * @return 0; -EINVAL (no @dev or @modes); -ENOLCK; the bus errors
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
 *         out-parameter); the bus errors; and, taking the port,
 *         parclass_device_lock()'s errors (-ETIMEDOUT, -ECANCELED, -EBUSY,
 *         -ENXIO, the queue errors)
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
 * @param dev         the device
 * @param write_mask  forward modes to choose from; 0 keeps the write mode
 * @param read_mask   reverse modes to choose from; 0 keeps the read mode
 * @param write_mode, read_mode  the chosen modes (either may be NULL)
 * @return 0; -ENOTSUP when no mode in a non-zero mask is possible (then
 *         nothing changes); -EINVAL (no @dev); -ENOLCK; the bus errors
 *         (of the mode probe, as parclass_device_get_modes())
 */
PARCLASS_EXPORT int parclass_device_negotiate(parclass_device *dev, unsigned write_mask, unsigned read_mask,
					      unsigned *write_mode, unsigned *read_mode);

/**
 * The mode the link is in now (needs no lock: what the handle knows).
 * @param dev   the device
 * @param mode  one mode bit: PARCLASS_MODE_CENTRONICS in compatibility mode
 * @return 0; -EINVAL (no @dev or @mode)
 */
PARCLASS_EXPORT int parclass_device_get_current_mode(parclass_device *dev, unsigned *mode);

/**
 * Turn an ECP link to reverse.
 * @param dev  the device
 * @return 0; -EINVAL (no @dev); -ENOLCK; -ENOTSUP (the link is not in ECP
 *         mode); -EIO (the device did not turn); the bus errors
 */
PARCLASS_EXPORT int parclass_device_fwd_to_rev(parclass_device *dev);

/**
 * Turn an ECP link to forward.
 * @param dev  the device
 * @return 0; -EINVAL (no @dev); -ENOLCK; -ENOTSUP (the link is not in ECP
 *         mode); -EIO (the device did not turn); the bus errors
 */
PARCLASS_EXPORT int parclass_device_rev_to_fwd(parclass_device *dev);

/**
 * Return the link to compatibility mode.
 * @param dev  the device
 * @return 0; -EINVAL (no @dev); -ENOLCK; the bus errors
 */
PARCLASS_EXPORT int parclass_device_terminate(parclass_device *dev);

/**
 * The device ID: cooked (the text, NUL-terminated) or raw
 * (PARCLASS_ID_RAW: the two length bytes as the device sent them, then the
 * text), fresh from the device (PARCLASS_ID_FRESH) or cached (what this or
 * another process read before, else the kernel's cache).
 * @param dev    the device
 * @param flags  PARCLASS_ID_FRESH, PARCLASS_ID_RAW, both or 0
 * @param buf    where to put it; with @buf NULL (and @len 0) only @size is set
 * @param len    the size of @buf
 * @param size   the ID's size in bytes (cooked: without the NUL)
 * @return 0; -ENOENT (no ID known, or the device has none); -ENOSPC (@len
 *         too small; @size is set); -EPROTO (what the device sent is not an
 *         ID); -ETIMEDOUT (the device sent nothing in time); -ENXIO (no IEEE
 *         1284 answer to the ID request); -EINVAL (no @dev or @size, @buf
 *         NULL with a @len, a flag that is not a parclass_id_flags);
 *         -ENOMEM; with PARCLASS_ID_FRESH also -ENOLCK (the port is not
 *         locked) and the bus errors
 */
PARCLASS_EXPORT int parclass_device_get_id(parclass_device *dev, enum parclass_id_flags flags, void *buf, size_t len,
					   size_t *size);

/**
 * The device ID, parsed.
 * @param dev    the device
 * @param flags  0 or PARCLASS_ID_FRESH (PARCLASS_ID_RAW is -EINVAL)
 * @param out    the ID (free it with parclass_device_id_free())
 * @return 0; -ENOENT (no ID known, or the device has none); -EPROTO (what
 *         the device sent is not an ID); -ETIMEDOUT; -ENXIO; -EINVAL (no
 *         @dev or @out, a flag other than PARCLASS_ID_FRESH); -ENOMEM; with
 *         PARCLASS_ID_FRESH also -ENOLCK and the bus errors, as
 *         parclass_device_get_id()
 */
PARCLASS_EXPORT int parclass_device_get_id_parsed(parclass_device *dev, enum parclass_id_flags flags,
						  parclass_device_id **out);

/**
 * Write in the negotiated forward mode (compatibility mode unless
 * parclass_device_negotiate() chose another). A handle that does not hold
 * the port need not lock it: the write then waits for the port in the queue
 * (within @timeout_ms, as parclass_device_lock()), writes, and unlocks it
 * again; a handle that holds it keeps it.
 * @param dev         the device
 * @param buf         the data
 * @param len         its length
 * @param timeout_ms  how long to wait for the port, and how long the printer
 *                    may take nothing before the write gives up (negative:
 *                    no limit)
 * @param written     bytes the printer took, also on failure (may be NULL)
 * @return 0 when all @len bytes went; -ETIMEDOUT (also: the port did not
 *         come in time); -ECANCELED (parclass_port_cancel()); -EINTR (a
 *         signal); -ENOTSUP (the device refused the negotiated mode);
 *         -ENXIO (a chain device did not answer the select); -EIO; -ENODEV
 *         (the port went away); -EINVAL (no @dev, or no @buf with a @len);
 *         and, taking the port, parclass_device_lock()'s errors
 */
PARCLASS_EXPORT int parclass_device_write(parclass_device *dev, const void *buf, size_t len, int timeout_ms,
					  size_t *written);

/**
 * Read what the device has for the host, in the negotiated reverse mode
 * (nibble mode unless parclass_device_negotiate() chose another), waiting up
 * to @timeout_ms (0: only what is there now) for the first byte. Without
 * the port, the read waits for it first (within @timeout_ms; 0: only when
 * nobody holds or waits for it) and unlocks it again, as a write does.
 * @param dev         the device
 * @param buf         where to put what comes
 * @param len         the size of @buf
 * @param timeout_ms  how long to wait for the port and then for the first
 *                    byte (negative: no limit)
 * @param got         bytes read; 0 when the device has nothing (may be NULL)
 * @return 0 (also when nothing came); -ETIMEDOUT (the port did not come in
 *         time); -ECANCELED; -EINTR (a signal); -ENOTSUP (the device
 *         refused the negotiated mode); -ENXIO (a chain device did not
 *         answer the select); -EIO; -ENODEV (the port went away); -EINVAL
 *         (no @dev, or no @buf with a @len); and, taking the port,
 *         parclass_device_lock()'s errors
 */
PARCLASS_EXPORT int parclass_device_read(parclass_device *dev, void *buf, size_t len, int timeout_ms,
					 size_t *got);

/**
 * Does the device signal that it has data for the host? Reads the status
 * lines without changing the link: in ECP mode nPeriphRequest, in nibble or
 * byte mode nDataAvail (both nFault low). Cheap enough to call between
 * writes, so that a reader turns the link around only when it pays.
 * @param dev  the device
 * @return 1 (data waits), 0 (none); -ENOTSUP when the link's mode has no
 *         such signal (compatibility or EPP mode: read to find out);
 *         -EINVAL (no @dev); -ENOLCK; -EIO; the bus errors
 */
PARCLASS_EXPORT int parclass_device_reverse_pending(parclass_device *dev);

/**
 * The ECP channel for following reads, sent before the bus turns
 * (SET_READ_ADDRESS).
 * @param dev      the device
 * @param channel  0..127; -1: none
 * @return 0; -EINVAL (no @dev, a channel out of range); -ENOLCK
 */
PARCLASS_EXPORT int parclass_device_set_read_channel(parclass_device *dev, int channel);

/**
 * The modes a transfer uses without parclass_device_negotiate()
 * (PAR_GET_DEFAULT_MODES): CENTRONICS forward, NIBBLE reverse. Needs no lock.
 * @param dev      the device
 * @param forward  the forward mode
 * @param reverse  the reverse mode
 * @return 0; -EINVAL (no @dev, @forward or @reverse)
 */
PARCLASS_EXPORT int parclass_device_get_default_modes(parclass_device *dev, unsigned *forward, unsigned *reverse);

/**
 * The ECP channel for following writes (SET_WRITE_ADDRESS).
 * @param dev      the device
 * @param channel  0..127; -1: no channel address
 * @return 0; -EINVAL (no @dev, a channel out of range); -ENOLCK
 */
PARCLASS_EXPORT int parclass_device_set_write_channel(parclass_device *dev, int channel);

/**
 * The PARCLASS_STATUS_* bits; the link returns to compatibility mode first.
 * @param dev     the device
 * @param status  the bits
 * @return 0; -EINVAL (no @dev or @status); -ENOLCK; -EIO; -ENODEV (the port
 *         went away); the bus errors
 */
PARCLASS_EXPORT int parclass_device_get_status(parclass_device *dev, unsigned *status);

/**
 * The lines themselves (PARCLASS_LINE_* levels), read at one moment; the
 * link returns to compatibility mode first. parclass_status_from_lines()
 * gives the status bits of what this read.
 * @param dev    the device
 * @param lines  the levels
 * @return 0; -EINVAL (no @dev or @lines); -ENOLCK; -EIO; -ENODEV (the port
 *         went away); the bus errors
 */
PARCLASS_EXPORT int parclass_device_get_lines(parclass_device *dev, unsigned *lines);

/**
 * PAR_SET_INFORMATION's AUTOFEED, in compatibility mode. The status shows
 * it as PARCLASS_STATUS_AUTOFEED.
 * @param dev  the device
 * @param on   not 0: nAutoFd low (the printer adds a line feed to each
 *             carriage return); 0: high
 * @return 0; -EINVAL (no @dev); -ENOLCK; -EIO; -ENODEV (the port went
 *         away); the bus errors
 */
PARCLASS_EXPORT int parclass_device_set_autofeed(parclass_device *dev, int on);

/**
 * Reset the printer: an nInit pulse in compatibility mode.
 * @param dev  the device
 * @return 0; -EINVAL (no @dev); -ENOLCK; the bus errors
 */
PARCLASS_EXPORT int parclass_device_reset(parclass_device *dev);

/**
 * An fd that polls readable on the port's interrupts (nAck).
 * @param dev  the device
 * @param fd   the fd, owned by the port handle (do not close it): valid
 *             until the port is freed or its bus released
 * @return 0; -ENOTSUP when the port has no interrupt line; -EINVAL (no @dev
 *         or @fd); -ENOLCK; the bus errors
 */
PARCLASS_EXPORT int parclass_device_get_interrupt_fd(parclass_device *dev, int *fd);

/**
 * Publish what this process sees of the device, for everyone to read with
 * parclass_port_read_report(), while this handle holds its port. The
 * report replaces the one before, whoever published that, and counts as
 * live until this handle is closed or the process ends. Publish when
 * something changed: every call writes the runtime directory and wakes
 * whoever watches the port's queue fd.
 * @param dev     the device
 * @param report  what to publish (pid, published_us and live are ignored)
 * @return 0; -EINVAL (no @dev or @report, pages below -1, a status or line
 *         bit that does not exist, reasons that are not keywords separated
 *         by commas, a display text that is not printable ASCII, a text
 *         without its NUL); -ENOLCK (this handle does not hold the port);
 *         -EACCES (the runtime directory does not let us write); -EIO
 */
PARCLASS_EXPORT int parclass_device_publish(parclass_device *dev, const parclass_report *report);

/* ------------------------------------------------------------------------
 * Status and modes as text
 * ------------------------------------------------------------------------ */

/**
 * The status bits of line levels, as Windows computes them.
 * @param lines  PARCLASS_LINE_* levels
 * @return the PARCLASS_STATUS_* bits
 */
PARCLASS_EXPORT unsigned parclass_status_from_lines(unsigned lines);

/**
 * The name of a line.
 * @param bit  one PARCLASS_LINE_* bit
 * @return "nFault", "Busy"..., a static string; NULL for another value
 */
PARCLASS_EXPORT const char *parclass_line_name(unsigned bit);

/**
 * The name of a status bit.
 * @param bit  one PARCLASS_STATUS_* bit
 * @return "PAPER_EMPTY"..., a static string; NULL for another value
 */
PARCLASS_EXPORT const char *parclass_status_name(unsigned bit);

/**
 * The name of a mode.
 * @param bit  one PARCLASS_MODE_* bit
 * @return "ECP_HW_NOIRQ"..., a static string; NULL for another value
 */
PARCLASS_EXPORT const char *parclass_mode_name(unsigned bit);

/**
 * Parse a mode name ("ECP_HW_NOIRQ", case-insensitive) into its bit, or a
 * short name into the bits it stands for: "compat" (CENTRONICS and
 * IEEE_COMPATIBILITY), "nibble", "byte", "ecp" (both hardware ECP bits),
 * "ecpsw", "epp", "eppsw".
 * @param name  the name, or NULL
 * @return the mask, or 0 when unknown (and for no @name)
 */
PARCLASS_EXPORT unsigned parclass_mode_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* PARCLASS_H */
