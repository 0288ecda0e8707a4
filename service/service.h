/*
 * service.h - parclassd's shared state: the object tree, the probes and who
 * may call what
 *
 * Internal to service/. Everything runs in the main loop's thread except
 * the authorization check (auth.c), which GDBus runs in a worker thread of
 * its own per method call and which touches none of this.
 */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <sys/types.h>

#include "parclass.h"
#include "pcd-generated.h"

#define PCD_BUS_NAME "io.github.parclass.Parclass1"
#define PCD_PATH "/io/github/parclass/Parclass1"
#define PCD_ERROR_NOT_AUTHORIZED PCD_BUS_NAME ".Error.NotAuthorized"
#define PCD_ERROR_BUSY PCD_BUS_NAME ".Error.Busy"
#define PCD_ERROR_FAILED PCD_BUS_NAME ".Error.Failed"

#define PCD_POLL_DEFAULT_MS 5000u
#define PCD_POLL_MIN_MS 200u
/* Seconds without ports and callers before parclassd exits (not --foreground). */
#define PCD_EXIT_IDLE_DEFAULT_S 60

/* How long an enumeration (start-up, Rescan) may take. */
#define PCD_ENUMERATE_MS 5000

struct pcd_port;

struct pcd_device {
	struct pcd_port *port;
	int address;              /* 0..3, PARCLASS_ADDRESS_END */
	bool behind_chain;        /* LPTn.4: the end device behind a chain */
	char *location;
	char *path;
	PcdObjectSkeleton *object;
	PcdDevice *iface;
	bool want_id;             /* the next probe step reads the device ID */
};

struct pcd_port {
	struct pcd_service *svc;
	int number;
	char *name;               /* parport0 */
	char *location;           /* LPT1 */
	char *path;
	PcdObjectSkeleton *object;
	PcdPort *iface;
	parclass_port *handle;    /* for the queue's state only: never allocated */
	guint queue_source;       /* the watch on its queue fd (0: none) */
	GPtrArray *devices;       /* struct pcd_device */
	pid_t holder;             /* last seen, for Holder */
	parclass_usec holder_since;
	bool busy;                /* someone else holds or waits for it: no probes */
};

/* What is known of a device's state, and from where. */
struct pcd_state {
	unsigned status;          /* PARCLASS_STATUS_* */
	unsigned lines;           /* PARCLASS_LINE_* */
	const char *reasons;      /* printer-state-reasons keywords, "a,b"; "" none */
	const char *display;      /* PJL display text, "" unknown */
	int pages;                /* -1 unknown */
	guint64 observed_us;      /* when (microseconds since the epoch) */
	const char *how;          /* "probe", "job", "cache" */
};

struct pcd_service {
	parclass_context *ctx;
	GDBusObjectManagerServer *manager;
	PcdManager *manager_iface;
	GPtrArray *ports;         /* struct pcd_port */
	guint poll_source;
	GMainLoop *loop;
	struct pcd_cups *cups;    /* cups.c's: the queues and what it pushed */
	guint exit_idle_s;        /* --exit-idle-time (0: never) */
	guint idle_source;
	gint last_call_s;         /* monotonic seconds of the last method call to us
	                           * (g_atomic_int: GDBus's filter thread sets it) */
	bool failed;              /* the bus name was lost or never owned */
};

/* tree.c: the ports and devices of an enumeration as objects. */
int pcd_tree_scan(struct pcd_service *svc);
void pcd_tree_free(struct pcd_service *svc);
/* Microseconds since the epoch. */
guint64 pcd_now_us(void);
/* The names of the bits set in @mask, by @name, as a NULL-terminated array
 * (g_strfreev() it). */
char **pcd_bit_names(unsigned mask, const char *(*name)(unsigned bit));
/* Show the device ID @id (NULL: unknown). */
void pcd_device_show_id(struct pcd_device *dev, const parclass_device_id *id);
/* A device's state as observed now: the one place where it changes on
 * the bus (whoever reacts to a change hooks in here). Changes nothing, and
 * signals nothing, when only the time differs. */
void pcd_device_show_state(struct pcd_device *dev, const struct pcd_state *state);

/* probe.c: (re)start the idle probes every PollInterval (the first now);
 * watch a new port's queue (and show what its holder published); stop
 * watching; RefreshId and Reset of a new Device object. */
void pcd_probe_start(struct pcd_service *svc);
void pcd_port_watch(struct pcd_port *port);
void pcd_port_unwatch(struct pcd_port *port);
void pcd_device_connect_methods(struct pcd_device *dev);

/* cups.c: the CUPS queues that print to a device (Device.Queues) and,
 * with CupsPush on, a device's idle state in them. A device's state
 * changed; each poll tick; Rescan asks cupsd again at the next tick. */
void pcd_cups_device_changed(struct pcd_device *dev);
void pcd_cups_tick(struct pcd_service *svc);
void pcd_cups_rescan(struct pcd_service *svc);
void pcd_cups_free(struct pcd_service *svc);

/* auth.c: who may call the methods of @skeleton (its g-authorize-method). */
void pcd_auth_attach(GDBusInterfaceSkeleton *skeleton);
