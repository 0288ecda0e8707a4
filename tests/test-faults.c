/*
 * test-faults.c - the fault matrix: the real backend "parclass" prints a
 * job to parclass-sim while the printer (or the port, or a neighbour, or
 * cupsd) misbehaves, for every fault, in each forward mode (ECP,
 * compatibility), at each point of the job (before it starts, in the
 * middle, at the very end), and each cell asserts exactly what happens:
 *
 *  - the exit code, and what the printer received: the whole job once and
 *    in order (all sessions together), or for a failed job a prefix of it,
 *    of a known length, nothing twice;
 *  - the printer-state-reasons the backend shows while the fault lasts
 *    (nothing else, ever), and that they are cleared: by the backend when
 *    it goes on, or - when it ends while the fault still holds, which is
 *    then true - by the next job once the fault is over;
 *  - that every wait ends: the fault starts at a point the test controls
 *    (a byte count, SIGUSR2 after the test saw what it needs) and ends
 *    when the test sends SIGUSR1 after it saw the backend report it; every
 *    wait of the test is an "eventually" bound that only a hang reaches.
 *
 * The matrix is one table (MATRIX below); the cells that do not apply say
 * why. Each fault and mode is a test that runs its cells, each with a
 * simulator of its own (Criterion runs the tests in parallel). With PARCLASS_FAULT_MATRIX=FILE
 * (make fault-matrix) each cell also writes its outcome as a table row,
 * and FILE gets the table.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <cups/backend.h>
#include <cups/sidechannel.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pjl.h"
#include "fixture.h"
#include "job.h"
#include "parclass.h"

#define JOB_LEN 8192
#define HALF (JOB_LEN / 2)

/* ---- the matrix ---- */

enum mode { ECP, COMPAT, N_MODES };
enum point { BEFORE, MID, END, N_POINTS };

static const char *const mode_names[N_MODES] = { "ECP", "compat" };
static const char *const point_names[N_POINTS] = { "before", "mid-job", "at the end" };

/* How a cell runs. */
enum drive {
	WAITS,      /* the backend waits through the fault; SIGUSR1 once it reported it */
	ENDS,       /* the backend ends (or goes on) by itself while the fault holds */
	CANCELLED,  /* the fault never ends by itself: cupsd cancels (SIGTERM) once it was reported */
	SIGTERM_AT, /* no printer fault: SIGTERM at the point */
	NEIGHBOUR,  /* another program holds the port at the point and is killed */
	STATIC,     /* the printer is made so (a model key): before the job only */
};

/* What the printer received. */
enum received { ALL, PREFIX_HALF, NOTHING, ALL_IN_TWO };

struct row {
	const char *label;
	const char *kind;          /* [fault.f] kind=, NULL: none */
	const char *fault_keys;    /* more keys of [fault.f] */
	const char *device_keys;   /* more keys of [device] */
	const char *id;            /* the device ID, NULL: the standard one */
	const char *uri_keys;      /* more device URI options */
	bool forced;               /* "ECP" is mode=ecp, not the automatic choice */
	bool chain;                /* the printer is daisy-chain device 1 of 2 */
};

enum row_id {
	OFFLINE, PAPER, ERROR, DOOR, JAM, POWER, BUSY, BUSY_FOR_GOOD, CABLE, REFUSE, REFUSE_FORCED, LATE,
	LATE_FORCED, GARBLE, TRUNCATE, ID_LE, ID_EXCLUSIVE, ID_ZERO, ID_HUGE, ID_ENDLESS, ID_CONTROL, VANISH,
	PORT_GONE, TERM, NEIGHBOUR_KILL, DAISY_ABSENT, N_ROWS
};

static const struct row rows[N_ROWS] = {
	[OFFLINE] = { "offline", "offline" },
	[PAPER] = { "paper out", "paper-out" },
	[ERROR] = { "printer error", "error" },
	[DOOR] = { "door open", "door-open" },
	[JAM] = { "paper jam", "jam" },
	[POWER] = { "power off, back on", "power-off" },
	[BUSY] = { "Busy stuck, then released", "busy" },
	[BUSY_FOR_GOOD] = { "Busy stuck for good (stall-timeout=1)", "busy", .uri_keys = "stall-timeout=1" },
	[CABLE] = { "cable pulled, replugged", "vanish" },
	[REFUSE] = { "ECP refused", "refuse", .fault_keys = "refuse=ecp\n" },
	[REFUSE_FORCED] = { "ECP refused, mode=ecp", "refuse", .fault_keys = "refuse=ecp\n", .forced = true },
	[LATE] = { "negotiation answered late", "late", .fault_keys = "negotiation-delay-ms=100\n" },
	[LATE_FORCED] = { "negotiation late, mode=ecp", "late", .fault_keys = "negotiation-delay-ms=100\n",
			  .forced = true },
	[GARBLE] = { "reverse data garbled", .device_keys = "reverse-garble=4\n" },
	[TRUNCATE] = { "reverse data truncated", .device_keys = "reverse-truncate=10\n" },
	[ID_LE] = { "device ID, little-endian length", .device_keys = "id-length=little-endian\n" },
	[ID_EXCLUSIVE] = { "device ID, length without itself", .device_keys = "id-length=exclusive\n" },
	[ID_ZERO] = { "device ID, length zero", .device_keys = "id-length=zero\n" },
	[ID_HUGE] = { "device ID, length 0x1000", .device_keys = "id-length=0x1000\n" },
	[ID_ENDLESS] = { "device ID that never ends", .device_keys = "id-endless=true\n" },
	[ID_CONTROL] = { "device ID with control bytes", .id = "MFG:Parclass;MDL:Fault\\x01Matrix;CMD:PJL,PCL;CLS:PRINTER;" },
	[VANISH] = { "device vanishes for good", "vanish" },
	[PORT_GONE] = { "port vanishes", "port-gone" },
	[TERM] = { "SIGTERM to the backend" },
	[NEIGHBOUR_KILL] = { "SIGKILL of a neighbour holding the port", .uri_keys = "share=0" },
	[DAISY_ABSENT] = { "daisy-chain device absent (daisy=3)", .chain = true, .uri_keys = "daisy=3" },
};

struct cell {
	const char *name;
	enum row_id row;
	enum mode mode;
	enum point point;
	enum drive drive;
	int exit;                  /* CUPS_BACKEND_* */
	enum received received;
	const char *during;        /* reasons while the fault lasts (or at exit, when it ends first) */
	const char *left;          /* reasons still set when the backend exits (true then) */
	const char *observe;       /* a message to see before ending the fault */
	const char *said;          /* messages, '|' between them; "!text": must not be said */
};

struct not_applicable {
	enum row_id row;
	enum mode mode;
	enum point point;
	const char *why;
};

#define ID_TEXT "MFG:Parclass;MDL:Fault Matrix;CMD:PJL,PCL;CLS:PRINTER;"
#define SAID_ID "DEBUG: Device ID of LPT1: "
#define PRINTING_ECP "INFO: Printing on LPT1 in ECP mode, status in ECP mode"
#define PRINTING_COMPAT "INFO: Printing on LPT1 in compatibility mode, status in ECP mode"
#define PRINTING_COMPAT_BYTE "INFO: Printing on LPT1 in compatibility mode, status in byte mode"
#define PRINTING_CENTRONICS "INFO: Printing on LPT1 in compatibility mode, without status from the printer"
#define SWITCHED_OFF "ERROR: The printer on LPT1 was switched off during the job and lost what it had received"
#define BUSY_SEEN "DEBUG: Status of LPT1: BUSY SELECTED"
#define FALLBACK "WARNING: ECP mode keeps failing on LPT1; going on in compatibility mode"
#define GONE "ERROR: LPT1 is gone: the port disappeared while printing"
#define CANCELLED_AT(n) "INFO: Job cancelled after " #n " bytes"

/*
 * One line a cell: CELL(name, fields) or NA(row, mode, point, why). The
 * expectations are the documented behaviour (doc/parclass.8), not what the
 * code happened to do.
 */
#define MATRIX(CELL, NA)                                                                                       \
	/* Conditions that need a person: waited for, nothing lost or repeated; at the very end the data  */          \
	/* has gone (exit 0) and the reason stays true until the next job clears it.                       */         \
	CELL(offline_ecp_before, OFFLINE, ECP, BEFORE, WAITS, 0, ALL, "offline-report", "", NULL,                     \
	     "INFO: The printer is offline|" PRINTING_ECP)                                                            \
	CELL(offline_ecp_mid, OFFLINE, ECP, MID, WAITS, 0, ALL, "offline-report", "", NULL,                           \
	     "INFO: The printer is offline|INFO: OFFLINE")                                                            \
	CELL(offline_ecp_end, OFFLINE, ECP, END, ENDS, 0, ALL, "offline-report", "offline-report", NULL,              \
	     "INFO: The printer is offline")                                                                          \
	CELL(offline_compat_before, OFFLINE, COMPAT, BEFORE, WAITS, 0, ALL, "offline-report", "", NULL,               \
	     "INFO: The printer is offline|" PRINTING_COMPAT)                                                         \
	CELL(offline_compat_mid, OFFLINE, COMPAT, MID, WAITS, 0, ALL, "offline-report", "", NULL,                     \
	     "INFO: The printer is offline|INFO: OFFLINE")                                                            \
	CELL(offline_compat_end, OFFLINE, COMPAT, END, ENDS, 0, ALL, "offline-report", "offline-report", NULL,        \
	     "INFO: The printer is offline")                                                                          \
	CELL(paper_ecp_before, PAPER, ECP, BEFORE, WAITS, 0, ALL, "media-empty-error", "", NULL,                      \
	     "INFO: The printer is out of paper")                                                                     \
	CELL(paper_ecp_mid, PAPER, ECP, MID, WAITS, 0, ALL, "media-empty-error", "", NULL,                            \
	     "INFO: The printer is out of paper|INFO: LOAD TRAY 1")                                                   \
	CELL(paper_ecp_end, PAPER, ECP, END, ENDS, 0, ALL, "media-empty-error", "media-empty-error", NULL,            \
	     "INFO: The printer is out of paper")                                                                     \
	CELL(paper_compat_before, PAPER, COMPAT, BEFORE, WAITS, 0, ALL, "media-empty-error", "", NULL,                \
	     "INFO: The printer is out of paper")                                                                     \
	CELL(paper_compat_mid, PAPER, COMPAT, MID, WAITS, 0, ALL, "media-empty-error", "", NULL,                      \
	     "INFO: The printer is out of paper|INFO: LOAD TRAY 1")                                                   \
	CELL(paper_compat_end, PAPER, COMPAT, END, ENDS, 0, ALL, "media-empty-error", "media-empty-error", NULL,      \
	     "INFO: The printer is out of paper")                                                                     \
	CELL(error_ecp_before, ERROR, ECP, BEFORE, WAITS, 0, ALL, "other-error", "", NULL,                            \
	     "INFO: The printer reports an error")                                                                    \
	CELL(error_ecp_mid, ERROR, ECP, MID, WAITS, 0, ALL, "other-error", "", NULL,                                  \
	     "INFO: The printer reports an error|INFO: 50 SERVICE")                                                   \
	CELL(error_ecp_end, ERROR, ECP, END, ENDS, 0, ALL, "other-error", "other-error", NULL,                        \
	     "INFO: The printer reports an error")                                                                    \
	CELL(error_compat_before, ERROR, COMPAT, BEFORE, WAITS, 0, ALL, "other-error", "", NULL,                      \
	     "INFO: The printer reports an error")                                                                    \
	CELL(error_compat_mid, ERROR, COMPAT, MID, WAITS, 0, ALL, "other-error", "", NULL,                            \
	     "INFO: The printer reports an error|INFO: 50 SERVICE")                                                   \
	CELL(error_compat_end, ERROR, COMPAT, END, ENDS, 0, ALL, "other-error", "other-error", NULL,                  \
	     "INFO: The printer reports an error")                                                                    \
	/* Door and jam read as nFault on the lines (other-error); the PJL status names them once the */              \
	/* job has turned USTATUS DEVICE on, which a printer that is stopped before the job never got. */             \
	CELL(door_ecp_before, DOOR, ECP, BEFORE, WAITS, 0, ALL, "other-error", "", NULL,                              \
	     "INFO: The printer reports an error|!door-open-error")                                                   \
	CELL(door_ecp_mid, DOOR, ECP, MID, WAITS, 0, ALL, "door-open-error,other-error", "", NULL,                    \
	     "INFO: 12 PRINTER OPEN|ATTR: printer-alert=\"code=doorOpen;severity=critical\"")                         \
	CELL(door_ecp_end, DOOR, ECP, END, ENDS, 0, ALL, "door-open-error,other-error",                               \
	     "door-open-error,other-error", NULL, "INFO: 12 PRINTER OPEN")                                            \
	CELL(door_compat_before, DOOR, COMPAT, BEFORE, WAITS, 0, ALL, "other-error", "", NULL,                        \
	     "INFO: The printer reports an error|!door-open-error")                                                   \
	CELL(door_compat_mid, DOOR, COMPAT, MID, WAITS, 0, ALL, "door-open-error,other-error", "", NULL,              \
	     "INFO: 12 PRINTER OPEN")                                                                                 \
	CELL(door_compat_end, DOOR, COMPAT, END, ENDS, 0, ALL, "door-open-error,other-error",                         \
	     "door-open-error,other-error", NULL, "INFO: 12 PRINTER OPEN")                                            \
	CELL(jam_ecp_before, JAM, ECP, BEFORE, WAITS, 0, ALL, "other-error", "", NULL,                                \
	     "INFO: The printer reports an error|!media-jam-error")                                                   \
	CELL(jam_ecp_mid, JAM, ECP, MID, WAITS, 0, ALL, "media-jam-error,other-error", "", NULL,                      \
	     "INFO: 13 PAPER JAM")                                                                                    \
	CELL(jam_ecp_end, JAM, ECP, END, ENDS, 0, ALL, "media-jam-error,other-error", "media-jam-error,other-error",  \
	     NULL, "INFO: 13 PAPER JAM")                                                                              \
	CELL(jam_compat_before, JAM, COMPAT, BEFORE, WAITS, 0, ALL, "other-error", "", NULL,                          \
	     "INFO: The printer reports an error|!media-jam-error")                                                   \
	CELL(jam_compat_mid, JAM, COMPAT, MID, WAITS, 0, ALL, "media-jam-error,other-error", "", NULL,                \
	     "INFO: 13 PAPER JAM")                                                                                    \
	CELL(jam_compat_end, JAM, COMPAT, END, ENDS, 0, ALL, "media-jam-error,other-error",                           \
	     "media-jam-error,other-error", NULL, "INFO: 13 PAPER JAM")                                               \
	/* A printer switched off loses what it had: before the job it is waited for, after data went the */          \
	/* job fails (the printer got a prefix, or all of it, and lost it).                                 */        \
	CELL(power_ecp_before, POWER, ECP, BEFORE, WAITS, 0, ALL, "offline-report", "", NULL,                         \
	     "INFO: The printer is off|" PRINTING_ECP)                                                                \
	CELL(power_ecp_mid, POWER, ECP, MID, ENDS, 1, PREFIX_HALF, "offline-report", "offline-report", NULL,          \
	     SWITCHED_OFF)                                                                                            \
	CELL(power_ecp_end, POWER, ECP, END, ENDS, 1, ALL, "offline-report", "offline-report", NULL, SWITCHED_OFF)    \
	CELL(power_compat_before, POWER, COMPAT, BEFORE, WAITS, 0, ALL, "offline-report", "", NULL,                   \
	     "INFO: The printer is off|" PRINTING_COMPAT)                                                             \
	CELL(power_compat_mid, POWER, COMPAT, MID, ENDS, 1, PREFIX_HALF, "offline-report", "offline-report", NULL,    \
	     SWITCHED_OFF)                                                                                            \
	CELL(power_compat_end, POWER, COMPAT, END, ENDS, 1, ALL, "offline-report", "offline-report", NULL,            \
	     SWITCHED_OFF)                                                                                            \
	/* Busy is no condition: nothing for a person to do, no reason; the stall time bounds it. */                  \
	CELL(busy_ecp_before, BUSY, ECP, BEFORE, WAITS, 0, ALL, "", "", BUSY_SEEN, PRINTING_ECP)                      \
	CELL(busy_ecp_mid, BUSY, ECP, MID, WAITS, 0, ALL, "", "", BUSY_SEEN, NULL)                                    \
	CELL(busy_ecp_end, BUSY, ECP, END, ENDS, 0, ALL, "", "", NULL, BUSY_SEEN)                                     \
	CELL(busy_compat_before, BUSY, COMPAT, BEFORE, WAITS, 0, ALL, "", "", BUSY_SEEN, PRINTING_COMPAT)             \
	CELL(busy_compat_mid, BUSY, COMPAT, MID, WAITS, 0, ALL, "", "", BUSY_SEEN, NULL)                              \
	CELL(busy_compat_end, BUSY, COMPAT, END, ENDS, 0, ALL, "", "", NULL, BUSY_SEEN)                               \
	CELL(busy_for_good_ecp_before, BUSY_FOR_GOOD, ECP, BEFORE, ENDS, 1, NOTHING, "", "", NULL,                    \
	     "ERROR: The printer on LPT1 took no data for 1 s (stall-timeout)")                                       \
	CELL(busy_for_good_ecp_mid, BUSY_FOR_GOOD, ECP, MID, ENDS, 1, PREFIX_HALF, "", "", NULL,                      \
	     "ERROR: The printer on LPT1 took no data for 1 s (stall-timeout)")                                       \
	CELL(busy_for_good_ecp_end, BUSY_FOR_GOOD, ECP, END, ENDS, 0, ALL, "", "", NULL, "!took no data")             \
	CELL(busy_for_good_compat_before, BUSY_FOR_GOOD, COMPAT, BEFORE, ENDS, 1, NOTHING, "", "", NULL,              \
	     "ERROR: The printer on LPT1 took no data for 1 s (stall-timeout)")                                       \
	CELL(busy_for_good_compat_mid, BUSY_FOR_GOOD, COMPAT, MID, ENDS, 1, PREFIX_HALF, "", "", NULL,                \
	     "ERROR: The printer on LPT1 took no data for 1 s (stall-timeout)")                                       \
	CELL(busy_for_good_compat_end, BUSY_FOR_GOOD, COMPAT, END, ENDS, 0, ALL, "", "", NULL, "!took no data")       \
	/* Unplugged (every status line high): waited for like a printer that is off, but it kept its data. */        \
	CELL(cable_ecp_before, CABLE, ECP, BEFORE, WAITS, 0, ALL, "offline-report", "", NULL,                         \
	     "INFO: No printer is connected|" PRINTING_ECP)                                                           \
	CELL(cable_ecp_mid, CABLE, ECP, MID, WAITS, 0, ALL, "offline-report", "", NULL,                               \
	     "INFO: No printer is connected")                                                                         \
	CELL(cable_ecp_end, CABLE, ECP, END, ENDS, 0, ALL, "offline-report", "offline-report", NULL,                  \
	     "INFO: No printer is connected")                                                                         \
	CELL(cable_compat_before, CABLE, COMPAT, BEFORE, WAITS, 0, ALL, "offline-report", "", NULL,                   \
	     "INFO: No printer is connected|" PRINTING_COMPAT)                                                        \
	CELL(cable_compat_mid, CABLE, COMPAT, MID, WAITS, 0, ALL, "offline-report", "", NULL,                         \
	     "INFO: No printer is connected")                                                                         \
	CELL(cable_compat_end, CABLE, COMPAT, END, ENDS, 0, ALL, "offline-report", "offline-report", NULL,            \
	     "INFO: No printer is connected")                                                                         \
	/* The printer's ECP stops working (mid-job: its ECP link stalls and renegotiation is refused). */            \
	CELL(refuse_ecp_before, REFUSE, ECP, BEFORE, ENDS, 0, ALL, "", "", NULL, PRINTING_COMPAT_BYTE)                \
	CELL(refuse_ecp_mid, REFUSE, ECP, MID, ENDS, 0, ALL, "", "", NULL, FALLBACK "|" PRINTING_ECP)                 \
	CELL(refuse_ecp_end, REFUSE, ECP, END, ENDS, 0, ALL, "", "", NULL, PRINTING_ECP "|!" FALLBACK)                \
	CELL(refuse_compat_before, REFUSE, COMPAT, BEFORE, ENDS, 0, ALL, "", "", NULL, PRINTING_COMPAT_BYTE)          \
	CELL(refuse_compat_mid, REFUSE, COMPAT, MID, ENDS, 0, ALL, "", "", NULL, PRINTING_COMPAT)                     \
	CELL(refuse_compat_end, REFUSE, COMPAT, END, ENDS, 0, ALL, "", "", NULL, PRINTING_COMPAT)                     \
	CELL(refuse_forced_ecp_before, REFUSE_FORCED, ECP, BEFORE, ENDS, 4, NOTHING, "", "", NULL,                    \
	     "ERROR: LPT1 cannot print in the mode the device URI asks for (mode=ecp)")                               \
	CELL(refuse_forced_ecp_mid, REFUSE_FORCED, ECP, MID, ENDS, 1, PREFIX_HALF, "", "", NULL,                      \
	     "ERROR: Unable to send print data to LPT1")                                                              \
	CELL(refuse_forced_ecp_end, REFUSE_FORCED, ECP, END, ENDS, 0, ALL, "", "", NULL, PRINTING_ECP)                \
	NA(REFUSE_FORCED, COMPAT, BEFORE, "mode=ecp is the ECP column")                                               \
	NA(REFUSE_FORCED, COMPAT, MID, "mode=ecp is the ECP column")                                                  \
	NA(REFUSE_FORCED, COMPAT, END, "mode=ecp is the ECP column")                                                  \
	/* No answer to negotiation within the kernel's 40 ms: not an IEEE 1284 printer (when it starts), */          \
	/* or nothing that matters to a link that is up (later).                                           */         \
	CELL(late_ecp_before, LATE, ECP, BEFORE, ENDS, 0, ALL, "", "", NULL, PRINTING_CENTRONICS)                     \
	CELL(late_ecp_mid, LATE, ECP, MID, ENDS, 0, ALL, "", "", NULL, PRINTING_ECP)                                  \
	CELL(late_ecp_end, LATE, ECP, END, ENDS, 0, ALL, "", "", NULL, PRINTING_ECP)                                  \
	CELL(late_compat_before, LATE, COMPAT, BEFORE, ENDS, 0, ALL, "", "", NULL, PRINTING_CENTRONICS)               \
	CELL(late_compat_mid, LATE, COMPAT, MID, ENDS, 0, ALL, "", "", NULL, PRINTING_COMPAT)                         \
	CELL(late_compat_end, LATE, COMPAT, END, ENDS, 0, ALL, "", "", NULL, PRINTING_COMPAT)                         \
	CELL(late_forced_ecp_before, LATE_FORCED, ECP, BEFORE, ENDS, 4, NOTHING, "", "", NULL,                        \
	     "ERROR: LPT1 cannot print in the mode the device URI asks for (mode=ecp)")                               \
	CELL(late_forced_ecp_mid, LATE_FORCED, ECP, MID, ENDS, 0, ALL, "", "", NULL, PRINTING_ECP)                    \
	CELL(late_forced_ecp_end, LATE_FORCED, ECP, END, ENDS, 0, ALL, "", "", NULL, PRINTING_ECP)                    \
	NA(LATE_FORCED, COMPAT, BEFORE, "mode=ecp is the ECP column")                                                 \
	NA(LATE_FORCED, COMPAT, MID, "mode=ecp is the ECP column")                                                    \
	NA(LATE_FORCED, COMPAT, END, "mode=ecp is the ECP column")                                                    \
	/* Damaged answers: the job prints, the damage reaches the filters as it came, no reason is made up. */       \
	CELL(garble_ecp_before, GARBLE, ECP, BEFORE, STATIC, 0, ALL, "", "", NULL,                                    \
	     "DEBUG: 1 status messages from the printer made no sense and were ignored|!DEBUG: PJL: fault matrix")    \
	NA(GARBLE, ECP, MID, "a property of the printer's reverse channel, from power on")                            \
	NA(GARBLE, ECP, END, "a property of the printer's reverse channel, from power on")                            \
	CELL(garble_compat_before, GARBLE, COMPAT, BEFORE, STATIC, 0, ALL, "", "", NULL,                              \
	     "DEBUG: 1 status messages from the printer made no sense and were ignored|!DEBUG: PJL: fault matrix")    \
	NA(GARBLE, COMPAT, MID, "a property of the printer's reverse channel, from power on")                         \
	NA(GARBLE, COMPAT, END, "a property of the printer's reverse channel, from power on")                         \
	CELL(truncate_ecp_before, TRUNCATE, ECP, BEFORE, STATIC, 0, ALL, "", "", NULL,                                \
	     "!DEBUG: PJL: fault matrix|!made no sense")                                                              \
	NA(TRUNCATE, ECP, MID, "a property of the printer's reverse channel, from power on")                          \
	NA(TRUNCATE, ECP, END, "a property of the printer's reverse channel, from power on")                          \
	CELL(truncate_compat_before, TRUNCATE, COMPAT, BEFORE, STATIC, 0, ALL, "", "", NULL,                          \
	     "!DEBUG: PJL: fault matrix|!made no sense")                                                              \
	NA(TRUNCATE, COMPAT, MID, "a property of the printer's reverse channel, from power on")                       \
	NA(TRUNCATE, COMPAT, END, "a property of the printer's reverse channel, from power on")                       \
	/* Malformed device IDs: read once, before the data; the job prints whatever the ID. */                       \
	CELL(id_le_ecp_before, ID_LE, ECP, BEFORE, STATIC, 0, ALL, "", "", NULL, SAID_ID ID_TEXT "\n")                \
	CELL(id_le_compat_before, ID_LE, COMPAT, BEFORE, STATIC, 0, ALL, "", "", NULL, SAID_ID ID_TEXT "\n")          \
	CELL(id_exclusive_ecp_before, ID_EXCLUSIVE, ECP, BEFORE, STATIC, 0, ALL, "", "", NULL, SAID_ID ID_TEXT "\n")  \
	CELL(id_exclusive_compat_before, ID_EXCLUSIVE, COMPAT, BEFORE, STATIC, 0, ALL, "", "", NULL,                  \
	     SAID_ID ID_TEXT "\n")                                                                                    \
	CELL(id_zero_ecp_before, ID_ZERO, ECP, BEFORE, STATIC, 0, ALL, "", "", NULL, "!" SAID_ID)                     \
	CELL(id_zero_compat_before, ID_ZERO, COMPAT, BEFORE, STATIC, 0, ALL, "", "", NULL, "!" SAID_ID)               \
	CELL(id_huge_ecp_before, ID_HUGE, ECP, BEFORE, STATIC, 0, ALL, "", "", NULL, SAID_ID ID_TEXT "\n")            \
	CELL(id_huge_compat_before, ID_HUGE, COMPAT, BEFORE, STATIC, 0, ALL, "", "", NULL, SAID_ID ID_TEXT "\n")      \
	CELL(id_endless_ecp_before, ID_ENDLESS, ECP, BEFORE, STATIC, 0, ALL, "", "", NULL, SAID_ID ID_TEXT "\n")      \
	CELL(id_endless_compat_before, ID_ENDLESS, COMPAT, BEFORE, STATIC, 0, ALL, "", "", NULL,                      \
	     SAID_ID ID_TEXT "\n")                                                                                    \
	CELL(id_control_ecp_before, ID_CONTROL, ECP, BEFORE, STATIC, 0, ALL, "", "", NULL, "!" SAID_ID)               \
	CELL(id_control_compat_before, ID_CONTROL, COMPAT, BEFORE, STATIC, 0, ALL, "", "", NULL, "!" SAID_ID)         \
	NA(ID_LE, ECP, MID, "the ID is read once, before the data")                                                   \
	NA(ID_LE, ECP, END, "the ID is read once, before the data")                                                   \
	NA(ID_LE, COMPAT, MID, "the ID is read once, before the data")                                                \
	NA(ID_LE, COMPAT, END, "the ID is read once, before the data")                                                \
	NA(ID_EXCLUSIVE, ECP, MID, "the ID is read once, before the data")                                            \
	NA(ID_EXCLUSIVE, ECP, END, "the ID is read once, before the data")                                            \
	NA(ID_EXCLUSIVE, COMPAT, MID, "the ID is read once, before the data")                                         \
	NA(ID_EXCLUSIVE, COMPAT, END, "the ID is read once, before the data")                                         \
	NA(ID_ZERO, ECP, MID, "the ID is read once, before the data")                                                 \
	NA(ID_ZERO, ECP, END, "the ID is read once, before the data")                                                 \
	NA(ID_ZERO, COMPAT, MID, "the ID is read once, before the data")                                              \
	NA(ID_ZERO, COMPAT, END, "the ID is read once, before the data")                                              \
	NA(ID_HUGE, ECP, MID, "the ID is read once, before the data")                                                 \
	NA(ID_HUGE, ECP, END, "the ID is read once, before the data")                                                 \
	NA(ID_HUGE, COMPAT, MID, "the ID is read once, before the data")                                              \
	NA(ID_HUGE, COMPAT, END, "the ID is read once, before the data")                                              \
	NA(ID_ENDLESS, ECP, MID, "the ID is read once, before the data")                                              \
	NA(ID_ENDLESS, ECP, END, "the ID is read once, before the data")                                              \
	NA(ID_ENDLESS, COMPAT, MID, "the ID is read once, before the data")                                           \
	NA(ID_ENDLESS, COMPAT, END, "the ID is read once, before the data")                                           \
	NA(ID_CONTROL, ECP, MID, "the ID is read once, before the data")                                              \
	NA(ID_CONTROL, ECP, END, "the ID is read once, before the data")                                              \
	NA(ID_CONTROL, COMPAT, MID, "the ID is read once, before the data")                                           \
	NA(ID_CONTROL, COMPAT, END, "the ID is read once, before the data")                                           \
	/* Unplugged for good: the backend waits as long as it takes (a person must act); cancel ends it. */          \
	CELL(vanish_ecp_before, VANISH, ECP, BEFORE, CANCELLED, 5, NOTHING, "offline-report", "offline-report", NULL, \
	     "INFO: No printer is connected|" CANCELLED_AT(0))                                                        \
	CELL(vanish_ecp_mid, VANISH, ECP, MID, CANCELLED, 5, PREFIX_HALF, "offline-report", "offline-report", NULL,   \
	     CANCELLED_AT(4096))                                                                                      \
	CELL(vanish_ecp_end, VANISH, ECP, END, ENDS, 0, ALL, "offline-report", "offline-report", NULL,                \
	     "INFO: No printer is connected")                                                                         \
	CELL(vanish_compat_before, VANISH, COMPAT, BEFORE, CANCELLED, 5, NOTHING, "offline-report", "offline-report", \
	     NULL, "INFO: No printer is connected|" CANCELLED_AT(0))                                                  \
	CELL(vanish_compat_mid, VANISH, COMPAT, MID, CANCELLED, 5, PREFIX_HALF, "offline-report", "offline-report",   \
	     NULL, CANCELLED_AT(4096))                                                                                \
	CELL(vanish_compat_end, VANISH, COMPAT, END, ENDS, 0, ALL, "offline-report", "offline-report", NULL,          \
	     "INFO: No printer is connected")                                                                         \
	/* The port itself goes away (the kernel unregistered it): nothing to wait for. */                            \
	CELL(port_gone_ecp_before, PORT_GONE, ECP, BEFORE, ENDS, 4, NOTHING, "", "", NULL,                            \
	     "ERROR: parclass:/dev/parport0: there is no such parallel port")                                         \
	CELL(port_gone_ecp_mid, PORT_GONE, ECP, MID, ENDS, 1, PREFIX_HALF, "", "", NULL, GONE)                        \
	CELL(port_gone_ecp_end, PORT_GONE, ECP, END, ENDS, 1, ALL, "", "", NULL, GONE)                                \
	CELL(port_gone_compat_before, PORT_GONE, COMPAT, BEFORE, ENDS, 4, NOTHING, "", "", NULL,                      \
	     "ERROR: parclass:/dev/parport0: there is no such parallel port")                                         \
	CELL(port_gone_compat_mid, PORT_GONE, COMPAT, MID, ENDS, 1, PREFIX_HALF, "", "", NULL, GONE)                  \
	CELL(port_gone_compat_end, PORT_GONE, COMPAT, END, ENDS, 1, ALL, "", "", NULL, GONE)                          \
	/* cupsd cancels: before any data, after half of it, and once all of it went (waiting for the     */          \
	/* printer's job END: done, exit 0).                                                             */           \
	CELL(sigterm_ecp_before, TERM, ECP, BEFORE, SIGTERM_AT, 5, NOTHING, "", "", NULL, CANCELLED_AT(0))            \
	CELL(sigterm_ecp_mid, TERM, ECP, MID, SIGTERM_AT, 5, PREFIX_HALF, "", "", NULL, CANCELLED_AT(4096))           \
	CELL(sigterm_ecp_end, TERM, ECP, END, SIGTERM_AT, 0, ALL, "cups-waiting-for-job-completed", "", NULL,         \
	     CANCELLED_AT(8192))                                                                                      \
	CELL(sigterm_compat_before, TERM, COMPAT, BEFORE, SIGTERM_AT, 5, NOTHING, "", "", NULL, CANCELLED_AT(0))      \
	CELL(sigterm_compat_mid, TERM, COMPAT, MID, SIGTERM_AT, 5, PREFIX_HALF, "", "", NULL, CANCELLED_AT(4096))     \
	CELL(sigterm_compat_end, TERM, COMPAT, END, SIGTERM_AT, 0, ALL, "cups-waiting-for-job-completed", "", NULL,   \
	     CANCELLED_AT(8192))                                                                                      \
	/* A neighbour holds the port (before the job; mid-job after the job let it in) and is killed. */             \
	CELL(neighbour_ecp_before, NEIGHBOUR_KILL, ECP, BEFORE, NEIGHBOUR, 0, ALL, "connecting-to-device", "", NULL,  \
	     PRINTING_ECP)                                                                                            \
	CELL(neighbour_ecp_mid, NEIGHBOUR_KILL, ECP, MID, NEIGHBOUR, 0, ALL_IN_TWO, "", "", NULL,                     \
	     "INFO: Letting 1 other user of LPT1 go first")                                                           \
	NA(NEIGHBOUR_KILL, ECP, END, "after the last byte the backend never waits for the port again")                \
	CELL(neighbour_compat_before, NEIGHBOUR_KILL, COMPAT, BEFORE, NEIGHBOUR, 0, ALL, "connecting-to-device", "",  \
	     NULL, PRINTING_COMPAT)                                                                                   \
	CELL(neighbour_compat_mid, NEIGHBOUR_KILL, COMPAT, MID, NEIGHBOUR, 0, ALL_IN_TWO, "", "", NULL,               \
	     "INFO: Letting 1 other user of LPT1 go first")                                                           \
	NA(NEIGHBOUR_KILL, COMPAT, END, "after the last byte the backend never waits for the port again")             \
	/* The chain has devices 0 and 1: address 3 never answers the select. */                                      \
	CELL(daisy_absent_ecp_before, DAISY_ABSENT, ECP, BEFORE, STATIC, 6, NOTHING, "", "", NULL,                    \
	     "ERROR: The printer at LPT1.3 does not answer on the daisy chain: is it on?")                            \
	CELL(daisy_absent_compat_before, DAISY_ABSENT, COMPAT, BEFORE, STATIC, 6, NOTHING, "", "", NULL,              \
	     "ERROR: The printer at LPT1.3 does not answer on the daisy chain: is it on?")                            \
	NA(DAISY_ABSENT, ECP, MID, "the chain device is selected when the port is taken: absent means from the start") \
	NA(DAISY_ABSENT, ECP, END, "the chain device is selected when the port is taken: absent means from the start") \
	NA(DAISY_ABSENT, COMPAT, MID, "the chain device is selected when the port is taken: absent means from the start") \
	NA(DAISY_ABSENT, COMPAT, END, "the chain device is selected when the port is taken: absent means from the start")

#define CELL_INDEX(name, ...) CELL_##name,
#define NO_INDEX(...)
enum { MATRIX(CELL_INDEX, NO_INDEX) N_CELLS };

#define CELL_ENTRY(name, row, mode, point, drive, exit, received, during, left, observe, said)                 \
	[CELL_##name] = { #name, row, mode, point, drive, exit, received, during, left, observe, said },
static const struct cell cells[N_CELLS] = { MATRIX(CELL_ENTRY, NO_INDEX) };

#define NO_CELL(...)
#define NA_ENTRY(row, mode, point, why) { row, mode, point, why },
static const struct not_applicable not_applicable[] = { MATRIX(NO_CELL, NA_ENTRY) };

/* ---- printer-state-reasons, as the backend's STATE: lines set them ---- */

static const char *const keywords[] = {
	"media-empty-error", "media-jam-error", "door-open-error", "offline-report", "toner-low-warning",
	"toner-empty-error", "other-error", "other-warning", "connecting-to-device", "cups-waiting-for-job-completed",
};
#define N_KEYWORDS (sizeof keywords / sizeof keywords[0])

static unsigned keyword_bit(const char *k, size_t len)
{
	for (size_t i = 0; i < N_KEYWORDS; i++)
		if (strlen(keywords[i]) == len && !strncmp(keywords[i], k, len))
			return 1u << i;
	cr_assert_fail("unknown printer-state-reason \"%.*s\"", (int)len, k);
	return 0;
}

/* "a,b" as bits. */
static unsigned reason_set(const char *list)
{
	unsigned set = 0;

	while (list && *list) {
		size_t n = strcspn(list, ",");

		set |= keyword_bit(list, n);
		list += n + (list[n] == ',');
	}
	return set;
}

static void reason_text(unsigned set, char *buf, size_t len)
{
	*buf = '\0';
	for (size_t i = 0; i < N_KEYWORDS; i++)
		if (set & (1u << i))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", *buf ? "," : "", keywords[i]);
	if (!*buf)
		snprintf(buf, len, "-");
}

struct reasons {
	unsigned now;    /* set now */
	unsigned ever;   /* set at any time */
};

/* Replay the STATE: lines, starting from what cupsd showed (@initial). */
static struct reasons replay(const char *err, unsigned initial)
{
	struct reasons r = { initial, 0 };

	for (const char *l = err; (l = strstr(l, "STATE: ")); l++) {
		const char *list = l + 8, *end = list + strcspn(list, "\n");
		char sign = l[7];

		cr_assert(sign == '+' || sign == '-', "a STATE: line without + or -: %.40s", l);
		while (list < end) {
			size_t n = strcspn(list, ",\n");
			unsigned bit = keyword_bit(list, n);

			if (sign == '+') {
				r.now |= bit;
				r.ever |= bit;
			} else {
				r.now &= ~bit;
			}
			list += n + (list[n] == ',');
		}
	}
	return r;
}

/* ---- one cell ---- */

static struct fx_sim *sim;
static const struct cell *cell;   /* the one running */

static void teardown(void)
{
	fx_free(sim);
	sim = NULL;
}

TestSuite(faults, .fini = teardown);

static char *cell_model(void)
{
	const struct row *r = &rows[cell->row];
	GString *m = g_string_new("[port]\nmodes=pcspp,tristate,ecp\n");
	/* The points: when the test says so (before the job), half way, with the last byte. */
	g_autofree char *trigger = cell->point == BEFORE ? g_strdup("on-signal=true\n")
				   : g_strdup_printf("after-bytes=%d\n", cell->point == MID ? HALF : JOB_LEN);

	if (r->chain)
		g_string_append(m, "[daisy.0]\nid=MFG:ACME;MDL:Scan 1284;CLS:SCANNER;\nmodes=compat,nibble\n"
				   "[daisy.1]\nid=MFG:ACME;MDL:Laser 9;CMD:PJL;CLS:PRINTER;\nmodes=compat,nibble,ecp\n");
	g_string_append_printf(m, "[device]\nid=%s\nmodes=compat,nibble,byte,ecp\npjl=true\n%s", r->id ? r->id : ID_TEXT,
			       r->device_keys ? r->device_keys : "");
	if (r->kind)
		g_string_append_printf(m, "[fault.f]\nkind=%s\n%s%s", r->kind, trigger,
				       r->fault_keys ? r->fault_keys : "");
	return g_string_free(m, FALSE);
}

static char *cell_uri(void)
{
	const struct row *r = &rows[cell->row];
	const char *mode = cell->mode == COMPAT ? "mode=compat" : r->forced ? "mode=ecp" : NULL;
	GString *u = g_string_new("parclass:/dev/parport0");
	const char *sep = "?";

	if (mode) {
		g_string_append_printf(u, "%s%s", sep, mode);
		sep = "&";
	}
	if (r->uri_keys) {
		g_string_append_printf(u, "%s%s", sep, r->uri_keys);
		sep = "&";
	}
	if (cell->drive == SIGTERM_AT && cell->point == END)
		g_string_append_printf(u, "%swaitjob=yes", sep);
	return g_string_free(u, FALSE);
}

/* The job: PJL that turns device status on and asks for an echo, then PCL. */
static unsigned char *job_data(void)
{
	static const char head[] = PJL_UEL "@PJL USTATUS DEVICE=ON\r\n@PJL ECHO fault matrix\r\n@PJL ENTER LANGUAGE=PCL\r\n";
	unsigned char *data = g_malloc(JOB_LEN);

	fill_pattern(data, JOB_LEN, 1284);
	memcpy(data, head, sizeof head - 1);
	return data;
}

static void fault_signal(int sig, const char *event)
{
	fx_kill(sim, sig);
	fx_await_event(sim, event);
}

static void fault_begin(void)
{
	g_autofree char *event = g_strdup_printf("parport0 fault f begin %s\n", rows[cell->row].kind);

	fault_signal(SIGUSR2, event);
}

static void fault_end(void)
{
	fault_signal(SIGUSR1, "parport0 fault f end\n");
}

/* Pump until the reasons shown are @want (and @text was said, if given). */
static void wait_reasons(struct proc *j, unsigned want, const char *text)
{
	long long end = now_ms() + EVENTUALLY_MS;

	for (;;) {
		if (replay(j->errtext->str, 0).now == want && (!text || strstr(j->errtext->str, text)))
			return;
		cr_assert_lt(now_ms(), end, "%s: the backend never showed \"%s\"%s%s; it said:\n%s", cell->name,
			     cell->during, text ? " with " : "", text ? text : "", j->errtext->str);
		proc_pump(j, 20);
	}
}

/* DRAIN_OUTPUT on the side channel: answered once the data so far reached the printer. */
static void drain(struct proc *j)
{
	unsigned char req[4] = { CUPS_SC_CMD_DRAIN_OUTPUT, 0, 0, 0 }, ans[4];
	long long end = now_ms() + EVENTUALLY_MS;

	cr_assert_eq(write(j->side, req, sizeof req), (ssize_t)sizeof req);
	for (;;) {
		struct pollfd p = { .fd = j->side, .events = POLLIN };

		if (poll(&p, 1, 0) > 0)
			break;
		cr_assert_lt(now_ms(), end, "%s: DRAIN_OUTPUT was never answered; the backend said:\n%s", cell->name,
			     j->errtext->str);
		proc_pump(j, 20);
	}
	cr_assert_eq(read(j->side, ans, sizeof ans), (ssize_t)sizeof ans);
	cr_assert(ans[0] == CUPS_SC_CMD_DRAIN_OUTPUT && ans[1] == CUPS_SC_STATUS_OK && !ans[2] && !ans[3],
		  "%s: DRAIN_OUTPUT answered %02x %02x", cell->name, ans[0], ans[1]);
}

/* A neighbour that holds the port through the library until it is killed. */
static int neighbour_main(void *data)
{
	struct sync_pipe *sp = data;
	parclass_context *ctx;
	parclass_port *port;

	if (fx_context_new(&ctx) < 0 || parclass_port_open(ctx, "parport0", &port) < 0)
		return 10;
	if (parclass_port_lock(port, PARCLASS_ADDRESS_END, -1, 0) < 0)
		return 11;
	sync_post(sp, 'l');
	for (;;)
		pause();
}

static void neighbour_has_it(struct sync_pipe *sp)
{
	cr_assert_eq(sync_wait(sp, EVENTUALLY_MS), 'l', "%s: the neighbour did not get the port", cell->name);
}

/* Once the job says it waits for the neighbour by name. */
static void kill_neighbour(struct proc *j, pid_t pid)
{
	char text[64];

	snprintf(text, sizeof text, "INFO: Waiting for LPT1: process %d (", (int)pid);
	proc_wait_for(j, text, EVENTUALLY_MS);
	kill(pid, SIGKILL);
	cr_assert_eq(wait_child(pid), 128 + SIGKILL);
}

/* The outcome, for the table. */
struct outcome {
	int exit;
	size_t received;
	unsigned sessions;
	unsigned during, left;
	bool cleared_by_next;
};

static void write_row(const struct outcome *o)
{
	const char *out = getenv("PARCLASS_FAULT_MATRIX");
	char during[160], left[160], recv[64], file[4096], note[80] = "";
	const char *said = cell->observe ? cell->observe : cell->said;
	FILE *f;

	if (!out)
		return;
	reason_text(o->during, during, sizeof during);
	reason_text(o->left, left, sizeof left);
	if (o->left && o->cleared_by_next)
		snprintf(left + strlen(left), sizeof left - strlen(left), " (next job clears)");
	else if (!o->left && o->during)
		snprintf(left, sizeof left, "cleared");
	if (!o->received)
		snprintf(recv, sizeof recv, "nothing");
	else
		snprintf(recv, sizeof recv, "%zu%s%s", o->received, o->received == JOB_LEN ? " (all)" : " (prefix)",
			 o->sessions > 1 ? ", 2 sessions" : "");
	if (said && *said != '!')
		snprintf(note, sizeof note, "%.*s", (int)strcspn(said, "|\n"), said);
	snprintf(file, sizeof file, "%s.d/%02d%d%d", out, cell->row, cell->mode, cell->point);
	f = fopen(file, "w");
	cr_assert(f, "%s: %s", file, strerror(errno));
	fprintf(f, "| %s | %s | %s | %d | %s | %s | %s | %s |\n", rows[cell->row].label, mode_names[cell->mode],
		point_names[cell->point], o->exit, recv, during, left, note);
	fclose(f);
}

/* A second job once the fault is over: the reasons left are cleared, the printer prints. */
static void next_job(const char *uri, unsigned left, unsigned sessions_before)
{
	static const char data[] = "the next job\f";
	char shown[160];
	struct spec s = { .uri = uri, .input = data, .input_len = sizeof data - 1, .reasons = shown };
	g_autofree char *err = NULL;
	g_autofree char *name = g_strdup_printf("parport0-%04u.prn", sessions_before + 1);
	g_autofree char *got = NULL;
	size_t len = 0;
	struct reasons r;
	int status;

	reason_text(left, shown, sizeof shown);
	status = run(&s, &err);
	cr_assert_eq(status, CUPS_BACKEND_OK, "%s: the next job ended with %d:\n%s", cell->name, status, err);
	r = replay(err, left);
	cr_assert_eq(r.now, 0, "%s: the next job left reasons set:\n%s", cell->name, err);
	cr_assert_eq(r.ever, 0, "%s: the next job set reasons:\n%s", cell->name, err);
	got = fx_record_read(sim, name, &len);
	cr_assert(got && len == sizeof data - 1 && !memcmp(got, data, len), "%s: the next job did not print",
		  cell->name);
}

static void assert_said(const char *err)
{
	g_auto(GStrv) list = g_strsplit(cell->said ? cell->said : "", "|", -1);

	for (char **m = list; *m; m++) {
		if (!**m)
			continue;
		if (**m == '!')
			cr_assert_null(strstr(err, *m + 1), "%s: the backend said \"%s\":\n%s", cell->name, *m + 1, err);
		else
			cr_assert(strstr(err, *m), "%s: the backend did not say \"%s\"; it said:\n%s", cell->name, *m, err);
	}
}

static void run_cell(const struct cell *c)
{
	g_autofree char *model = NULL, *uri = NULL, *file = NULL;
	g_autofree unsigned char *data = job_data();
	/* The test feeds the data in steps where it acts between them: no data yet, or half of it. */
	bool from_stdin = (c->drive == SIGTERM_AT && c->point == BEFORE) ||
			  ((c->drive == SIGTERM_AT || c->drive == NEIGHBOUR) && c->point == MID);
	struct spec s = { 0 };
	struct sync_pipe sp;
	struct outcome o = { 0 };
	struct reasons r;
	GByteArray *got;
	pid_t neighbour = 0;
	struct proc j;
	size_t expect;

	cell = c;
	model = cell_model();
	uri = cell_uri();
	sim = fx_start1(model);
	file = g_build_filename(sim->dir, "job.data", NULL);
	cr_assert(g_file_set_contents(file, (const char *)data, JOB_LEN, NULL));
	s.uri = uri;
	s.channels = true;
	if (from_stdin) {
		s.keep_stdin = true;
	} else {
		s.file = file;
	}

	if (c->point == BEFORE && rows[c->row].kind)
		fault_begin();
	if (c->drive == NEIGHBOUR && c->point == BEFORE) {
		sync_init(&sp);
		neighbour = fork_child(neighbour_main, &sp);
		neighbour_has_it(&sp);
	}
	job_start(&j, &s);

	switch (c->drive) {
	case WAITS:
		wait_reasons(&j, reason_set(c->during), c->observe);
		fault_end();
		o.exit = proc_finish(&j, EVENTUALLY_MS);
		break;
	case ENDS:
		o.exit = proc_finish(&j, EVENTUALLY_MS);
		break;
	case CANCELLED:
		wait_reasons(&j, reason_set(c->during), c->observe);
		kill(j.pid, SIGTERM);
		o.exit = proc_finish(&j, EVENTUALLY_MS);
		break;
	case SIGTERM_AT:
		if (c->point == BEFORE) {
			proc_wait_for(&j, "INFO: Printing on LPT1", EVENTUALLY_MS);
		} else if (c->point == MID) {
			proc_write(&j, data, HALF);
			drain(&j);
		} else {
			wait_reasons(&j, reason_set(c->during), NULL);
		}
		kill(j.pid, SIGTERM);
		o.exit = proc_finish(&j, EVENTUALLY_MS);
		break;
	case NEIGHBOUR:
		if (c->point == BEFORE) {
			proc_wait_for(&j, "STATE: +connecting-to-device\n", EVENTUALLY_MS);
			kill_neighbour(&j, neighbour);
		} else {
			proc_write(&j, data, HALF);
			drain(&j);
			sync_init(&sp);
			neighbour = fork_child(neighbour_main, &sp);
			proc_wait_for(&j, "INFO: Letting 1 other user of LPT1 go first\n", EVENTUALLY_MS);
			neighbour_has_it(&sp);
			kill_neighbour(&j, neighbour);
			proc_wait_for(&j, "INFO: Printing\n", EVENTUALLY_MS);
			proc_write(&j, data + HALF, JOB_LEN - HALF);
			proc_close_stdin(&j);
		}
		o.exit = proc_finish(&j, EVENTUALLY_MS);
		break;
	case STATIC:
		o.exit = proc_finish(&j, EVENTUALLY_MS);
		break;
	}

	cr_assert_eq(o.exit, c->exit, "%s: exit %d, expected %d; the backend said:\n%s", c->name, o.exit, c->exit,
		     j.errtext->str);
	assert_said(j.errtext->str);
	r = replay(j.errtext->str, 0);
	o.during = r.ever;
	o.left = r.now;
	cr_assert_eq(r.ever, reason_set(c->during), "%s: reasons shown other than \"%s\":\n%s", c->name, c->during,
		     j.errtext->str);
	cr_assert_eq(r.now, reason_set(c->left), "%s: reasons left at exit other than \"%s\":\n%s", c->name, c->left,
		     j.errtext->str);
	if (c->row == GARBLE)
		/* "@PJL ECHO fault matrix\r\n\f", every 4th byte xor 0x5a */
		cr_assert(j.backdata->len == 25 && !memcmp(j.backdata->data, "@PJ\x16 EC\x12O f;ultzmat(ix\rP\f", 25),
			  "%s: the filters got other bytes (%u)", c->name, j.backdata->len);
	if (c->row == TRUNCATE)
		cr_assert(j.backdata->len == 10 && !memcmp(j.backdata->data, "@PJL ECHO ", 10),
			  "%s: the filters got other bytes (%u)", c->name, j.backdata->len);
	proc_free(&j);

	/* The printer: the job once, in order (or a prefix of it), in one session unless it let a neighbour in. */
	got = fx_received(sim, "parport0", &o.sessions);
	o.received = got->len;
	expect = c->received == ALL || c->received == ALL_IN_TWO ? JOB_LEN : c->received == PREFIX_HALF ? HALF : 0;
	cr_assert_eq(got->len, expect, "%s: the printer received %u bytes, expected %zu", c->name, got->len, expect);
	cr_assert(!got->len || memcmp(got->data, data, got->len) == 0, "%s: the printer received other bytes than the job's",
		  c->name);
	cr_assert_eq(o.sessions, c->received == ALL_IN_TWO ? 2 : got->len ? 1 : 0, "%s: %u sessions", c->name,
		     o.sessions);
	g_byte_array_free(got, TRUE);

	/* The fault ends (if it can); what the backend left set is true until then, and cleared after. */
	if (rows[c->row].kind && c->drive != WAITS && c->row != PORT_GONE)
		fault_end();
	if (o.left) {
		next_job(uri, o.left, o.sessions);
		o.cleared_by_next = true;
	}
	write_row(&o);
}

/*
 * One test for each fault and mode, running its cells (the points) one
 * after the other, each with a simulator of its own: under valgrind a test
 * process costs more than a cell, and Criterion still runs the tests two at
 * a time.
 */
#define GROUPS(X)                                                                                              \
	X(offline_ecp, OFFLINE, ECP) X(offline_compat, OFFLINE, COMPAT)                                               \
	X(paper_out_ecp, PAPER, ECP) X(paper_out_compat, PAPER, COMPAT)                                               \
	X(printer_error_ecp, ERROR, ECP) X(printer_error_compat, ERROR, COMPAT)                                       \
	X(door_open_ecp, DOOR, ECP) X(door_open_compat, DOOR, COMPAT)                                                 \
	X(jam_ecp, JAM, ECP) X(jam_compat, JAM, COMPAT)                                                               \
	X(power_off_ecp, POWER, ECP) X(power_off_compat, POWER, COMPAT)                                               \
	X(busy_stuck_ecp, BUSY, ECP) X(busy_stuck_compat, BUSY, COMPAT)                                               \
	X(busy_stuck_for_good_ecp, BUSY_FOR_GOOD, ECP) X(busy_stuck_for_good_compat, BUSY_FOR_GOOD, COMPAT)           \
	X(cable_pulled_ecp, CABLE, ECP) X(cable_pulled_compat, CABLE, COMPAT)                                         \
	X(ecp_refused_ecp, REFUSE, ECP) X(ecp_refused_compat, REFUSE, COMPAT)                                         \
	X(ecp_refused_mode_ecp, REFUSE_FORCED, ECP)                                                                   \
	X(negotiation_late_ecp, LATE, ECP) X(negotiation_late_compat, LATE, COMPAT)                                   \
	X(negotiation_late_mode_ecp, LATE_FORCED, ECP)                                                                \
	X(reverse_garbled_ecp, GARBLE, ECP) X(reverse_garbled_compat, GARBLE, COMPAT)                                 \
	X(reverse_truncated_ecp, TRUNCATE, ECP) X(reverse_truncated_compat, TRUNCATE, COMPAT)                         \
	X(id_little_endian_ecp, ID_LE, ECP) X(id_little_endian_compat, ID_LE, COMPAT)                                 \
	X(id_exclusive_ecp, ID_EXCLUSIVE, ECP) X(id_exclusive_compat, ID_EXCLUSIVE, COMPAT)                           \
	X(id_zero_ecp, ID_ZERO, ECP) X(id_zero_compat, ID_ZERO, COMPAT)                                               \
	X(id_huge_ecp, ID_HUGE, ECP) X(id_huge_compat, ID_HUGE, COMPAT)                                               \
	X(id_endless_ecp, ID_ENDLESS, ECP) X(id_endless_compat, ID_ENDLESS, COMPAT)                                   \
	X(id_control_ecp, ID_CONTROL, ECP) X(id_control_compat, ID_CONTROL, COMPAT)                                   \
	X(device_vanishes_ecp, VANISH, ECP) X(device_vanishes_compat, VANISH, COMPAT)                                 \
	X(port_vanishes_ecp, PORT_GONE, ECP) X(port_vanishes_compat, PORT_GONE, COMPAT)                               \
	X(sigterm_ecp, TERM, ECP) X(sigterm_compat, TERM, COMPAT)                                                     \
	X(neighbour_killed_ecp, NEIGHBOUR_KILL, ECP) X(neighbour_killed_compat, NEIGHBOUR_KILL, COMPAT)               \
	X(daisy_absent_ecp, DAISY_ABSENT, ECP) X(daisy_absent_compat, DAISY_ABSENT, COMPAT)

static void run_group(enum row_id row, enum mode mode)
{
	for (int i = 0; i < N_CELLS; i++) {
		if (cells[i].row != row || cells[i].mode != mode)
			continue;
		run_cell(&cells[i]);
		fx_free(sim);
		sim = NULL;
	}
}

#define GROUP_TEST(name, row, mode)                                                                            \
	Test(faults, name) { run_group(row, mode); }
GROUPS(GROUP_TEST)

#define GROUP_ENTRY(name, row, mode) { row, mode },
static const struct {
	enum row_id row;
	enum mode mode;
} groups[] = { GROUPS(GROUP_ENTRY) };

/* Every fault has one entry for each mode and point: a cell or the reason it does not apply. */
Test(faults, the_matrix_is_complete)
{
	const char *out = getenv("PARCLASS_FAULT_MATRIX");

	for (int r = 0; r < N_ROWS; r++)
		for (int m = 0; m < N_MODES; m++)
			for (int p = 0; p < N_POINTS; p++) {
				int n = 0;

				for (int i = 0; i < N_CELLS; i++)
					n += cells[i].row == (enum row_id)r && cells[i].mode == (enum mode)m &&
					     cells[i].point == (enum point)p;
				for (size_t i = 0; i < G_N_ELEMENTS(not_applicable); i++)
					n += not_applicable[i].row == (enum row_id)r && not_applicable[i].mode == (enum mode)m &&
					     not_applicable[i].point == (enum point)p;
				cr_assert_eq(n, 1, "%s, %s, %s: %d entries", rows[r].label, mode_names[m], point_names[p], n);
			}
	/* ... and every cell runs in one test. */
	for (int i = 0; i < N_CELLS; i++) {
		int n = 0;

		for (size_t g = 0; g < G_N_ELEMENTS(groups); g++)
			n += groups[g].row == cells[i].row && groups[g].mode == cells[i].mode;
		cr_assert_eq(n, 1, "%s is in %d tests", cells[i].name, n);
	}
	if (!out)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(not_applicable); i++) {
		const struct not_applicable *na = &not_applicable[i];
		g_autofree char *file = g_strdup_printf("%s.d/%02d%d%d", out, na->row, na->mode, na->point);
		g_autofree char *row = g_strdup_printf("| %s | %s | %s | n/a | | | | %s |\n", rows[na->row].label,
						       mode_names[na->mode], point_names[na->point], na->why);

		cr_assert(g_file_set_contents(file, row, -1, NULL));
	}
}
