/*
 * model.h - parclass-sim model files: what a virtual port and its printers are
 *
 * A model is a GLib key file (the format is fixed in doc/parclass-sim.1). This
 * module only parses and validates it into plain structures; it knows nothing
 * about ports, clients or time.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* IEEE 1284 modes a peripheral may accept (model key "modes"). */
enum sim_mode_bit {
	SIM_MODE_COMPAT = 1u << 0,
	SIM_MODE_NIBBLE = 1u << 1,
	SIM_MODE_BYTE   = 1u << 2,
	SIM_MODE_ECP    = 1u << 3,
	SIM_MODE_ECPRLE = 1u << 4,
	SIM_MODE_EPP    = 1u << 5,
};

/* Transfer families that have their own byte rate. */
enum sim_rate {
	SIM_RATE_COMPAT,
	SIM_RATE_NIBBLE,
	SIM_RATE_BYTE,
	SIM_RATE_ECP,
	SIM_RATE_EPP,
	SIM_RATE_COUNT
};

/*
 * Conditions a peripheral can be in. The status lines and the PJL status
 * code follow the most severe active condition (highest value wins).
 */
enum sim_condition {
	SIM_COND_READY = 0,
	SIM_COND_TONER_LOW,      /* a warning: lines stay ready, PJL reports it */
	SIM_COND_BUSY,           /* Busy held high: data waits, nothing is wrong */
	SIM_COND_OFFLINE,
	SIM_COND_PAPER_OUT,
	SIM_COND_DOOR_OPEN,
	SIM_COND_JAM,
	SIM_COND_ERROR,
	SIM_COND_POWER_OFF,
	SIM_COND_VANISHED,       /* the device is no longer connected */
	SIM_COND_COUNT
};

/* A fault only affects the port itself: its node disappears. */
#define SIM_FAULT_PORT_GONE SIM_COND_COUNT
/* Faults of the IEEE 1284 link, not of the status lines: the device rejects
 * modes in negotiation (and a link in one of them stops), or answers late. */
#define SIM_FAULT_REFUSE (SIM_COND_COUNT + 1)
#define SIM_FAULT_LATE (SIM_COND_COUNT + 2)
/* The port is not there from the start until the fault ends: it appears. */
#define SIM_FAULT_PORT_ABSENT (SIM_COND_COUNT + 3)
#define SIM_FAULT_KIND_LAST SIM_FAULT_PORT_ABSENT

struct sim_fault_model {
	char *name;              /* group name suffix: [fault.NAME] */
	int target;              /* -1 end-of-chain device, 0..3 chain position */
	int kind;                /* enum sim_condition, or SIM_FAULT_PORT_GONE, _REFUSE, _LATE, _PORT_ABSENT */
	unsigned refuse;         /* SIM_FAULT_REFUSE: enum sim_mode_bit rejected while it lasts */
	int negotiation_delay_ms; /* SIM_FAULT_LATE: how late negotiation is answered */
	guint64 after_bytes;     /* trigger after this many forward bytes (0: no byte trigger) */
	gint64 after_ms;         /* trigger this long after start (-1: no time trigger) */
	bool on_signal;          /* trigger on SIGUSR2 */
	gint64 duration_ms;      /* -1: until SIGUSR1 */
	int pjl_code;            /* 0: the kind's default */
	char *display;           /* NULL: the kind's default */
};

struct sim_device_model {
	char *group;             /* "device" or "daisy.N" */
	GBytes *raw_id;          /* what device-ID mode sends, length bytes included; NULL: no ID */
	char *id_text;           /* the ID text as configured (for autoprobe and PJL) */
	bool id_endless;         /* never signal end of data in device-ID mode */
	bool autoprobe;          /* the kernel probed the ID at boot */
	unsigned modes;          /* enum sim_mode_bit */
	bool pjl;
	char *pjl_info_id;       /* INFO ID answer */
	int initial;             /* enum sim_condition */
	int negotiation_delay_ms;
	guint64 rate[SIM_RATE_COUNT];   /* bytes per second, 0 = as fast as possible */
	unsigned reverse_garble; /* corrupt every Nth reverse byte (0 = never) */
	unsigned reverse_truncate; /* cut every reverse message to N bytes (0 = never) */
	GBytes *reverse_data;    /* queued for the host at power on */
};

#define SIM_MAX_CHAIN 4

/* [port] irq= not given: the port's number chooses one (port.c). */
#define SIM_PORT_DEFAULT (-2)

struct sim_port_model {
	char *source;            /* file name, or "(built-in)" */
	unsigned hw_modes;       /* PARPORT_MODE_* bits the port hardware has ("modes") */
	int irq;                 /* interrupt line, -1 none, SIM_PORT_DEFAULT: by port number */
	int dma;                 /* DMA channel, -1 none */
	bool lp_driver;          /* the lp driver is registered on the port */
	bool chain_assigned;     /* chain addresses were assigned at boot */
	struct sim_device_model *end;            /* NULL: nothing at the end of the cable */
	struct sim_device_model *chain[SIM_MAX_CHAIN]; /* by chain position */
	unsigned n_chain;
	GPtrArray *faults;       /* struct sim_fault_model * */
};

/* The printer used when no --model is given. */
extern const char sim_default_model[];

struct sim_port_model *sim_model_load_file(const char *path, GError **error);
struct sim_port_model *sim_model_load_data(const char *data, const char *source, GError **error);
void sim_model_free(struct sim_port_model *m);

const char *sim_condition_name(int cond);
int sim_condition_from_name(const char *name);
const char *sim_mode_name(unsigned mode_bit);

/*
 * What the Linux kernel would show in /proc/sys/dev/parport/<port>/autoprobe
 * after probing this raw ID at boot (probe.c parse_data + procfs.c format).
 * Returns "" when the kernel could not make sense of the ID.
 */
char *sim_autoprobe_text(GBytes *raw_id);

/*
 * Build the raw ID (length bytes included) for @text with @length_form:
 * "big-endian", "little-endian", "exclusive", "zero" or a decimal or 0x number.
 */
GBytes *sim_build_raw_id(const char *text, size_t text_len, const char *length_form, GError **error);
