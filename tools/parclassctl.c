/*
 * parclassctl - the command-line face of libparclass
 *
 *   parclassctl list [--json]
 *   parclassctl id LOCATION [--fresh] [--raw]
 *   parclassctl modes LOCATION [--default]
 *   parclassctl caps LOCATION [--not-read MODES] [--not-write MODES]
 *   parclassctl status LOCATION
 *   parclassctl lines LOCATION
 *   parclassctl reset LOCATION
 *   parclassctl waiters LOCATION
 *   parclassctl monitor [LOCATION] [--json] [--count N] [--interval MS]
 *   parclassctl lock LOCATION [--timeout MS|--try] [--no-select] -- COMMAND...
 *   parclassctl select LOCATION [--timeout MS|--try] [--ecp] [-- COMMAND...]
 *   parclassctl send LOCATION [--mode MODE] [FILE]
 *
 * Exit status: 0 success, 1 error, 2 usage, 69 no such port or device,
 * 75 busy or timed out (sysexits EX_UNAVAILABLE and EX_TEMPFAIL).
 * Talks to the library, where everything about ports lives; status,
 * waiters and monitor show parclassd's view instead when it runs (read
 * over D-Bus).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/process.h"
#include "common/reasons.h"
#include "parclass.h"

#define EXIT_ERROR 1
#define EXIT_USAGE 2
#define EXIT_NODEV 69
#define EXIT_BUSY 75

#define DEFAULT_TIMEOUT_MS 30000
#define SEND_CHUNK 16384

static parclass_context *ctx;
static int verbose;

/*
 * SIGTERM and SIGINT end whatever waits (for the port in its queue, for a
 * device, for a transfer): the handler cancels the handle in use, and the
 * library keeps a cancel that comes before its wait begins, so none is
 * lost. While lock's command runs they go to the command instead. After
 * a signal of its own main() lets go of everything, then ends by the same
 * signal (a shell shows 128 + its number).
 */
static volatile sig_atomic_t stop_signal;
static parclass_port *volatile stop_port;   /* what the handler cancels */
static volatile pid_t stop_child;           /* where it forwards the signal instead */

static void on_stop(int sig)
{
	int saved = errno;
	parclass_port *port = stop_port;

	if (stop_child > 0) {
		kill(stop_child, sig);        /* the command's to handle: not ours */
	} else {
		stop_signal = sig;
		if (port)
			parclass_port_cancel(port);   /* only writes to an eventfd */
	}
	errno = saved;
}

static void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal also ends a read of standard input that waits. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/*
 * From now on a stop signal cancels @port's waits. @return -ECANCELED when
 * one came already (before there was anything to cancel), else 0.
 */
static int cancel_on_stop(parclass_port *port)
{
	stop_port = port;
	return stop_signal ? -ECANCELED : 0;
}

static int exit_for(int err)
{
	switch (-err) {
	case 0:
		return 0;
	case ENODEV:
	case ENXIO:
		return EXIT_NODEV;
	case EBUSY:
	case ETIMEDOUT:
	case ECANCELED:
		return EXIT_BUSY;
	case EINVAL:
		return EXIT_USAGE;
	default:
		return EXIT_ERROR;
	}
}

static int fail(const char *what, int err)
{
	int port, address;

	if (err == -EINVAL && parclass_location_parse(what, &port, &address, NULL) < 0)
		fprintf(stderr, "parclassctl: %s: not a location (parport0, parport0.2, LPT1, LPT1.2, "
			"parclass:/dev/parport0)\n", what);
	else
		fprintf(stderr, "parclassctl: %s: %s\n", what, parclass_strerror(err));
	return exit_for(err);
}

static void on_log(parclass_context *c, enum parclass_log_level level, const char *message, void *userdata)
{
	fprintf(stderr, "parclassctl: %s\n", message);
}

/* "NAME NAME ..." for the set bits of a mask. */
static char *mask_names(unsigned mask, const char *(*name)(unsigned), const char *sep)
{
	GString *s = g_string_new(NULL);

	for (unsigned bit = 1; bit && bit <= mask; bit <<= 1)
		if ((mask & bit) && name(bit))
			g_string_append_printf(s, "%s%s", s->len ? sep : "", name(bit));
	return g_string_free(s, FALSE);
}

/* ---- list ---- */

/* @s as a JSON string ("null" for NULL); bytes that are not UTF-8 become U+FFFD. */
static void json_string(GString *out, const char *s)
{
	g_autofree char *valid = NULL;

	if (!s) {
		g_string_append(out, "null");
		return;
	}
	valid = g_utf8_make_valid(s, -1);
	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(out, "\\%c", *p);
		else if (*p < 0x20)
			g_string_append_printf(out, "\\u%04x", *p);
		else
			g_string_append_c(out, (char)*p);
	}
	g_string_append_c(out, '"');
}

static void json_modes(GString *out, unsigned mask)
{
	bool first = true;

	g_string_append_c(out, '[');
	for (unsigned bit = 1; bit <= PARCLASS_MODE_ECP_SW; bit <<= 1)
		if (mask & bit) {
			if (!first)
				g_string_append_c(out, ',');
			json_string(out, parclass_mode_name(bit));
			first = false;
		}
	g_string_append_c(out, ']');
}

static void list_json(const parclass_enumeration *e)
{
	GString *out = g_string_new("{\"ports\":[");

	for (unsigned i = 0; i < parclass_enumeration_port_count(e); i++) {
		const parclass_port_info *p = parclass_enumeration_port(e, i);

		g_string_append(out, i ? ",{" : "{");
		g_string_append(out, "\"name\":");
		json_string(out, parclass_port_info_name(p));
		g_string_append(out, ",\"location\":");
		json_string(out, parclass_port_info_location(p));
		g_string_append(out, ",\"modes\":");
		json_modes(out, parclass_port_info_modes(p));
		g_string_append_printf(out, ",\"probed\":%s,\"holder\":%d,\"devices\":[",
				       parclass_port_info_probed(p) ? "true" : "false", (int)parclass_port_info_holder(p));
		for (unsigned k = 0; k < parclass_port_info_device_count(p); k++) {
			const parclass_device_info *d = parclass_port_info_device(p, k);
			const parclass_device_id *id = parclass_device_info_id(d);
			int a = PARCLASS_ADDRESS_END;

			parclass_device_info_get_address(d, &a);
			g_string_append(out, k ? ",{" : "{");
			g_string_append(out, "\"location\":");
			json_string(out, parclass_device_info_location(d));
			if (a == PARCLASS_ADDRESS_END)
				g_string_append(out, ",\"address\":null");
			else
				g_string_append_printf(out, ",\"address\":%d", a);
			g_string_append(out, ",\"device_id\":");
			json_string(out, id ? parclass_device_id_text(id) : NULL);
			g_string_append(out, ",\"make_and_model\":");
			json_string(out, parclass_device_info_make_and_model(d));
			g_string_append(out, ",\"manufacturer\":");
			json_string(out, parclass_device_id_get(id, "MFG"));
			g_string_append(out, ",\"model\":");
			json_string(out, parclass_device_id_get(id, "MDL"));
			g_string_append(out, ",\"command_set\":");
			json_string(out, parclass_device_id_get(id, "CMD"));
			g_string_append(out, ",\"class\":");
			json_string(out, parclass_device_id_get(id, "CLS"));
			g_string_append(out, ",\"modes\":");
			json_modes(out, parclass_device_info_modes(d));
			g_string_append_c(out, '}');
		}
		g_string_append(out, "]}");
	}
	g_string_append(out, "]}\n");
	fputs(out->str, stdout);
	g_string_free(out, TRUE);
}

static void list_text(const parclass_enumeration *e)
{
	for (unsigned i = 0; i < parclass_enumeration_port_count(e); i++) {
		const parclass_port_info *p = parclass_enumeration_port(e, i);
		g_autofree char *pm = mask_names(parclass_port_info_modes(p), parclass_mode_name, " ");

		printf("%s (%s): %s", parclass_port_info_location(p), parclass_port_info_name(p), pm);
		if (parclass_port_info_holder(p))
			printf("; held by pid %d", (int)parclass_port_info_holder(p));
		else if (!parclass_port_info_probed(p))
			printf("; not probed");
		putchar('\n');
		if (!parclass_port_info_device_count(p))
			printf("  nothing attached\n");
		for (unsigned k = 0; k < parclass_port_info_device_count(p); k++) {
			const parclass_device_info *d = parclass_port_info_device(p, k);
			const parclass_device_id *id = parclass_device_info_id(d);
			g_autofree char *dm = mask_names(parclass_device_info_modes(d), parclass_mode_name, " ");

			printf("  %-7s %s\n", parclass_device_info_location(d), parclass_device_info_make_and_model(d));
			printf("          id: %s\n", id ? parclass_device_id_text(id) : "(none)");
			printf("          modes: %s\n", *dm ? dm : "(unknown)");
		}
	}
}

static int cmd_list(int argc, char **argv)
{
	gboolean json = FALSE;
	int deadline = -1;
	const GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
		{ "deadline", 0, 0, G_OPTION_ARG_INT, &deadline, "Answer within MS milliseconds (default 2000)", "MS" },
		{ NULL }
	};
	g_autoptr(GOptionContext) oc = g_option_context_new("- list ports and devices");
	g_autoptr(GError) error = NULL;
	parclass_enumeration *e = NULL;
	int r;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error) || argc != 1) {
		fprintf(stderr, "parclassctl list: %s\n", error ? error->message : "unexpected argument");
		return EXIT_USAGE;
	}
	r = parclass_enumerate(ctx, deadline, &e);
	if (r < 0)
		return fail("list", r);
	if (json)
		list_json(e);
	else
		list_text(e);
	parclass_enumeration_free(e);
	return 0;
}

/* ---- commands on one device ---- */

static void close_device(parclass_device *dev)
{
	stop_port = NULL;   /* before the handle goes */
	parclass_device_close(dev);
}

static int open_locked(const char *location, int timeout_ms, parclass_device **out)
{
	parclass_device *dev = NULL;
	int r = parclass_device_open(ctx, location, &dev);

	if (r < 0)
		return r;
	r = cancel_on_stop(parclass_device_get_port(dev));
	if (r == 0)
		r = parclass_device_lock(dev, timeout_ms, 0);
	if (r < 0) {
		close_device(dev);
		return r;
	}
	*out = dev;
	return 0;
}

/* Parse "COMMAND LOCATION [options]" with @entries; the location comes back. */
static bool parse_location(int *argc, char ***argv, const GOptionEntry *entries, const char *what,
			   const char **location)
{
	g_autofree char *summary = g_strdup_printf("LOCATION - %s", what);
	g_autoptr(GOptionContext) oc = g_option_context_new(summary);
	g_autoptr(GError) error = NULL;

	if (entries)
		g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, argc, argv, &error) || *argc != 2) {
		fprintf(stderr, "parclassctl %s: %s\n", (*argv)[0],
			error ? error->message : "give one LOCATION (parport0, LPT1.2, parclass:/dev/parport0)");
		return false;
	}
	*location = (*argv)[1];
	return true;
}

static int cmd_id(int argc, char **argv)
{
	gboolean fresh = FALSE, raw = FALSE;
	int timeout = DEFAULT_TIMEOUT_MS;
	const GOptionEntry entries[] = {
		{ "fresh", 0, 0, G_OPTION_ARG_NONE, &fresh, "Ask the device, not a cache", NULL },
		{ "raw", 0, 0, G_OPTION_ARG_NONE, &raw, "With the two length bytes, as the device sent them", NULL },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Wait at most MS for the port (with --fresh)", "MS" },
		{ NULL }
	};
	const char *location;
	parclass_device *dev = NULL;
	unsigned flags;
	char buf[4200];
	size_t size = 0;
	int r;

	if (!parse_location(&argc, &argv, entries, "print the device ID", &location))
		return EXIT_USAGE;
	flags = (fresh ? PARCLASS_ID_FRESH : 0) | (raw ? PARCLASS_ID_RAW : 0);
	r = fresh ? open_locked(location, timeout, &dev) : parclass_device_open(ctx, location, &dev);
	if (r < 0)
		return fail(location, r);
	r = parclass_device_get_id(dev, flags, buf, sizeof buf, &size);
	close_device(dev);
	if (r == -ENOENT) {
		fprintf(stderr, "parclassctl: %s: no device ID known%s\n", location, fresh ? "" : " (try --fresh)");
		return EXIT_ERROR;
	}
	if (r < 0)
		return fail(location, r);
	if (raw)
		fwrite(buf, 1, size, stdout);
	else
		printf("%s\n", buf);
	return 0;
}

/* What the device reports with the port held, shown as @text gives it
 * (nothing without @text). */
static int locked_value(const char *location, int timeout, int (*get)(parclass_device *, unsigned *),
			char *(*text)(unsigned))
{
	parclass_device *dev;
	unsigned value;
	g_autofree char *shown = NULL;
	int r;

	r = open_locked(location, timeout, &dev);
	if (r < 0)
		return fail(location, r);
	r = get(dev, &value);
	close_device(dev);
	if (r < 0)
		return fail(location, r);
	if (text) {
		shown = text(value);
		printf("%s\n", shown);
	}
	return 0;
}

/* "status", "lines" and "reset": locked_value() with the one option --timeout. */
static int on_locked_device(int argc, char **argv, const char *summary,
			      int (*get)(parclass_device *, unsigned *), char *(*text)(unsigned))
{
	int timeout = DEFAULT_TIMEOUT_MS;
	const GOptionEntry entries[] = {
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Wait at most MS for the port", "MS" },
		{ NULL }
	};
	const char *location;

	if (!parse_location(&argc, &argv, entries, summary, &location))
		return EXIT_USAGE;
	return locked_value(location, timeout, get, text);
}

static char *modes_text(unsigned modes)
{
	return mask_names(modes, parclass_mode_name, " ");
}

/* "read: NIBBLE ...", then "write: CENTRONICS ..."; "(none)" for no mode. */
static void print_read_write(unsigned read_modes, unsigned write_modes)
{
	g_autofree char *rd = modes_text(read_modes);
	g_autofree char *wr = modes_text(write_modes);

	printf("read: %s\nwrite: %s\n", *rd ? rd : "(none)", *wr ? wr : "(none)");
}

/* The lines of @which with their levels, status lines first: "nFault=1 Select=1 ...". */
static char *levels_text(unsigned lines, unsigned which)
{
	static const unsigned order[] = {
		PARCLASS_LINE_NFAULT, PARCLASS_LINE_SELECT, PARCLASS_LINE_PERROR, PARCLASS_LINE_NACK,
		PARCLASS_LINE_BUSY, PARCLASS_LINE_NSTROBE, PARCLASS_LINE_NAUTOFD, PARCLASS_LINE_NINIT,
		PARCLASS_LINE_NSELECTIN,
	};
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(order); i++)
		if (which & order[i])
			g_string_append_printf(s, "%s%s=%d", s->len ? " " : "", parclass_line_name(order[i]),
					       (lines & order[i]) != 0);
	return g_string_free(s, FALSE);
}

/* The Windows status bits of @lines by name, then the status lines they come
 * from, which tell apart what the bits do not (no cable, power off). */
static char *status_text(unsigned lines)
{
	g_autofree char *names = mask_names(parclass_status_from_lines(lines), parclass_status_name, " ");
	g_autofree char *levels = levels_text(lines, PARCLASS_LINES_STATUS);

	return g_strdup_printf("%s (%s)", *names ? names : "(none)", levels);
}

static char *lines_text(unsigned lines)
{
	return levels_text(lines, ~0u);
}

static int cmd_modes(int argc, char **argv)
{
	int timeout = DEFAULT_TIMEOUT_MS;
	gboolean defaults = FALSE;
	const GOptionEntry entries[] = {
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Wait at most MS for the port", "MS" },
		{ "default", 0, 0, G_OPTION_ARG_NONE, &defaults, "The modes transfers use before any negotiation", NULL },
		{ NULL }
	};
	const char *location;
	parclass_device *dev;
	unsigned forward = 0, reverse = 0;
	int r;

	if (!parse_location(&argc, &argv, entries, "modes port and device both do", &location))
		return EXIT_USAGE;
	if (!defaults)
		return locked_value(location, timeout, parclass_device_get_modes, modes_text);
	/* PAR_GET_DEFAULT_MODES: nothing to ask the device, no port to wait for. */
	r = parclass_device_open(ctx, location, &dev);
	if (r < 0)
		return fail(location, r);
	r = parclass_device_get_default_modes(dev, &forward, &reverse);
	parclass_device_close(dev);
	if (r < 0)
		return fail(location, r);
	print_read_write(reverse, forward);
	return 0;
}

/* A comma-separated list of mode names into their mask; each must be a mode of @allowed. */
static bool parse_modes(const char *command, const char *list, unsigned allowed, const char *direction,
			unsigned *mask)
{
	g_auto(GStrv) names = g_strsplit(list, ",", -1);
	unsigned m = 0;

	for (char **name = names; *name; name++) {
		unsigned bits = parclass_mode_from_name(g_strstrip(*name)) & allowed;

		if (!bits) {
			fprintf(stderr, "parclassctl %s: \"%s\" is not a %s mode\n", command, *name, direction);
			return false;
		}
		m |= bits;
	}
	if (!m) {
		fprintf(stderr, "parclassctl %s: no mode named\n", command);
		return false;
	}
	*mask = m;
	return true;
}

/* PAR_GET_DEVICE_CAPS: what the device does now, without the modes ruled out. */
static int cmd_caps(int argc, char **argv)
{
	g_autofree char *not_read = NULL, *not_write = NULL;
	int timeout = DEFAULT_TIMEOUT_MS;
	const GOptionEntry entries[] = {
		{ "not-read", 0, 0, G_OPTION_ARG_STRING, &not_read, "Reverse modes not to try (nibble,byte,...)", "MODES" },
		{ "not-write", 0, 0, G_OPTION_ARG_STRING, &not_write, "Forward modes not to try (ecp,epp,...)", "MODES" },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Wait at most MS for the port", "MS" },
		{ NULL }
	};
	unsigned must_not_read = 0, must_not_write = 0, rd = 0, wr = 0;
	const char *location;
	parclass_device *dev;
	int r;

	if (!parse_location(&argc, &argv, entries, "the modes the device does, by negotiation", &location))
		return EXIT_USAGE;
	if ((not_read && !parse_modes("caps", not_read, PARCLASS_MODES_REVERSE, "reverse", &must_not_read)) ||
	    (not_write && !parse_modes("caps", not_write, PARCLASS_MODES_FORWARD, "forward", &must_not_write)))
		return EXIT_USAGE;
	r = parclass_device_open(ctx, location, &dev);
	if (r < 0)
		return fail(location, r);
	/* The probe takes the port for itself, as a write does. */
	r = cancel_on_stop(parclass_device_get_port(dev));
	if (r == 0)
		r = parclass_device_get_caps(dev, must_not_read, must_not_write, timeout, &rd, &wr);
	close_device(dev);
	if (r < 0)
		return fail(location, r);
	print_read_write(rd, wr);
	return 0;
}

/* ---- the device service ---- */

/*
 * parclassd's names (service/io.github.parclass.Parclass1.xml is the
 * interface). Only reading: plain GDBus calls and signals, no generated
 * code, so that parclassctl needs nothing of service/.
 */
#define PCD_NAME "io.github.parclass.Parclass1"
#define PCD_ROOT "/io/github/parclass/Parclass1"
#define PCD_DEVICE PCD_NAME ".Device"
#define PCD_PORT PCD_NAME ".Port"
#define PCD_CALL_MS 5000

/* A private connection to the system bus (DBUS_SYSTEM_BUS_ADDRESS
 * honoured), or NULL. */
static GDBusConnection *bus_connect(void)
{
	g_autofree char *address = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);

	if (!address)
		return NULL;
	return g_dbus_connection_new_for_address_sync(address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
						       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, NULL);
}

static void service_disconnect(GDBusConnection *bus)
{
	if (!bus)
		return;
	g_dbus_connection_close_sync(bus, NULL, NULL);
	g_object_unref(bus);
}

/* The unique name that owns parclassd's name on @bus, or NULL. */
static char *service_owner(GDBusConnection *bus)
{
	g_autoptr(GVariant) reply = NULL;
	char *owner;

	/* GetNameOwner, not a call to the service: that would start it. */
	reply = g_dbus_connection_call_sync(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
					    "GetNameOwner", g_variant_new("(s)", PCD_NAME), G_VARIANT_TYPE("(s)"),
					    G_DBUS_CALL_FLAGS_NONE, PCD_CALL_MS, NULL, NULL);
	if (!reply)
		return NULL;
	g_variant_get(reply, "(s)", &owner);
	return owner;
}

/* A private connection to the system bus when parclassd owns its name
 * there; else NULL: no bus, or no service on it. Its unique name in @owner
 * (g_free() it). */
static GDBusConnection *service_connect(char **owner)
{
	GDBusConnection *bus = bus_connect();

	if (bus && !(*owner = service_owner(bus))) {
		service_disconnect(bus);
		return NULL;
	}
	return bus;
}

/* The service's objects: path -> interface -> property -> value. */
typedef GHashTable service_tree;

static GHashTable *new_props(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_variant_unref);
}

static GHashTable *new_ifaces(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
}

/* Merge the a{sv} @props into @path's @iface. */
static void tree_set(service_tree *tree, const char *path, const char *iface, GVariant *props)
{
	GHashTable *ifaces = g_hash_table_lookup(tree, path), *values;
	GVariantIter it;
	const char *name;
	GVariant *value;

	if (!ifaces) {
		ifaces = new_ifaces();
		g_hash_table_insert(tree, g_strdup(path), ifaces);
	}
	values = g_hash_table_lookup(ifaces, iface);
	if (!values) {
		values = new_props();
		g_hash_table_insert(ifaces, g_strdup(iface), values);
	}
	g_variant_iter_init(&it, props);
	while (g_variant_iter_next(&it, "{&sv}", &name, &value))
		g_hash_table_insert(values, g_strdup(name), value);
}

/* The a{sa{sv}} of InterfacesAdded and GetManagedObjects into @tree. */
static void tree_add(service_tree *tree, const char *path, GVariant *ifaces)
{
	GVariantIter it;
	const char *iface;
	GVariant *props;

	g_variant_iter_init(&it, ifaces);
	while (g_variant_iter_next(&it, "{&s@a{sv}}", &iface, &props)) {
		tree_set(tree, path, iface, props);
		g_variant_unref(props);
	}
}

/* The service's objects; NULL when it does not answer. */
static service_tree *tree_fetch(GDBusConnection *bus, const char *owner)
{
	service_tree *tree = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
	g_autoptr(GVariant) reply = NULL, objects = NULL;
	GVariantIter it;
	const char *path;
	GVariant *ifaces;

	reply = g_dbus_connection_call_sync(bus, owner, PCD_ROOT, "org.freedesktop.DBus.ObjectManager",
					    "GetManagedObjects", NULL, G_VARIANT_TYPE("(a{oa{sa{sv}}})"),
					    G_DBUS_CALL_FLAGS_NONE, PCD_CALL_MS, NULL, NULL);
	if (!reply) {
		g_hash_table_unref(tree);
		return NULL;
	}
	objects = g_variant_get_child_value(reply, 0);
	g_variant_iter_init(&it, objects);
	while (g_variant_iter_next(&it, "{&o@a{sa{sv}}}", &path, &ifaces)) {
		tree_add(tree, path, ifaces);
		g_variant_unref(ifaces);
	}
	return tree;
}

/* A property of @path's @iface, if it has the @type. */
static GVariant *tree_get(service_tree *tree, const char *path, const char *iface, const char *name, const char *type)
{
	GHashTable *ifaces = path ? g_hash_table_lookup(tree, path) : NULL;
	GHashTable *values = ifaces ? g_hash_table_lookup(ifaces, iface) : NULL;
	GVariant *v = values ? g_hash_table_lookup(values, name) : NULL;

	return v && g_variant_is_of_type(v, G_VARIANT_TYPE(type)) ? v : NULL;
}

static const char *tree_string(service_tree *tree, const char *path, const char *iface, const char *name)
{
	GVariant *v = tree_get(tree, path, iface, name, "s");

	if (!v)
		v = tree_get(tree, path, iface, name, "o");
	return v ? g_variant_get_string(v, NULL) : "";
}

static guint64 tree_number(service_tree *tree, const char *path, const char *iface, const char *name)
{
	GVariant *v;

	if ((v = tree_get(tree, path, iface, name, "u")))
		return g_variant_get_uint32(v);
	if ((v = tree_get(tree, path, iface, name, "t")))
		return g_variant_get_uint64(v);
	if ((v = tree_get(tree, path, iface, name, "i")))
		return (guint64)(gint64)g_variant_get_int32(v);
	return 0;
}

/* A string-array property (empty when missing); g_free() it. */
static const char **tree_strv(service_tree *tree, const char *path, const char *iface, const char *name)
{
	GVariant *v = tree_get(tree, path, iface, name, "as");

	return v ? g_variant_get_strv(v, NULL) : g_new0(const char *, 1);
}

/* The object of the Device (or, @iface PCD_PORT, the Port) at @location. */
static const char *tree_find(service_tree *tree, const char *iface, const char *location)
{
	GHashTableIter it;
	gpointer path;

	g_hash_table_iter_init(&it, tree);
	while (g_hash_table_iter_next(&it, &path, NULL))
		if (tree_get(tree, path, iface, "Location", "s") &&
		    !strcmp(tree_string(tree, path, iface, "Location"), location))
			return path;
	return NULL;
}

/* parclassd's spelling of a location: "LPT1", "LPT1.2", "LPT1.4"; with
 * @port_only the port's ("LPT1"). NULL when it is none. */
static char *service_location(const char *location, bool port_only)
{
	int number, address;
	unsigned flags = 0;

	if (parclass_location_parse(location, &number, &address, &flags) < 0)
		return NULL;
	if (port_only || (address == PARCLASS_ADDRESS_END && !(flags & PARCLASS_LOCATION_BEHIND_CHAIN)))
		return g_strdup_printf("LPT%d", number + 1);
	return g_strdup_printf("LPT%d.%d", number + 1, address == PARCLASS_ADDRESS_END ? 4 : address);
}

/* ---- what monitor shows of a device ---- */

/* @s for a line of text: every control character as '?'. */
static char *printable(const char *s)
{
	char *t = g_strdup(s);

	for (char *c = t; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return t;
}

/* A copy of @v to g_strfreev(). */
static char **strv_copy(const char *const *v)
{
	GPtrArray *a = g_ptr_array_new();

	for (size_t i = 0; v[i]; i++)
		g_ptr_array_add(a, g_strdup(v[i]));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* The strings of @v, @sep between them. */
static char *strv_join(const char *const *v, const char *sep)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; v[i]; i++)
		g_string_append_printf(s, "%s%s", i ? sep : "", v[i]);
	return g_string_free(s, FALSE);
}

struct view {
	const char *location;
	unsigned status;
	const char *const *reasons;   /* printer-state-reasons keywords */
	const char *observed_by;      /* "probe", "job", "cache" */
	const char *display;          /* "" unknown */
	int pages;                    /* -1 unknown */
	guint32 holder;               /* pid, 0 none */
	const char *holder_name;
	unsigned waiters;
	bool gone;
	bool unknown;                 /* held since the start, nothing published */
};

/* "LPT1: PAPER_EMPTY SELECTED ERROR media-empty-error (probe)", then what
 * else is known: "display "...", pages N, held by pid N (name), N waiting". */
static char *view_text(const struct view *v)
{
	g_autofree char *names = mask_names(v->status, parclass_status_name, " ");
	g_autofree char *reasons = strv_join(v->reasons, ",");
	g_autofree char *display = printable(v->display), *holder = printable(v->holder_name);
	GString *s = g_string_new(NULL);

	if (v->gone) {
		g_string_printf(s, "%s: gone", v->location);
		return g_string_free(s, FALSE);
	}
	if (v->unknown)
		g_string_printf(s, "%s: unknown", v->location);
	else
		g_string_printf(s, "%s: %s %s (%s)", v->location, *names ? names : "(none)",
				*reasons ? reasons : "none", v->observed_by);
	if (*v->display)
		g_string_append_printf(s, " display \"%s\"", display);
	if (v->pages >= 0)
		g_string_append_printf(s, " pages %d", v->pages);
	if (v->holder)
		g_string_append_printf(s, "; held by pid %u (%s)", v->holder, holder);
	if (v->waiters)
		g_string_append_printf(s, "; %u waiting", v->waiters);
	return g_string_free(s, FALSE);
}

static void json_strv(GString *out, const char *const *v)
{
	g_string_append_c(out, '[');
	for (size_t i = 0; v[i]; i++) {
		if (i)
			g_string_append_c(out, ',');
		json_string(out, v[i]);
	}
	g_string_append_c(out, ']');
}

static char *view_json(const struct view *v)
{
	g_autofree char *names = mask_names(v->status, parclass_status_name, "\n");
	g_auto(GStrv) name_list = g_strsplit(names, "\n", -1);
	GString *out = g_string_new("{\"location\":");

	json_string(out, v->location);
	if (v->gone) {
		g_string_append(out, ",\"gone\":true}");
		return g_string_free(out, FALSE);
	}
	if (v->unknown)
		g_string_append(out, ",\"status\":null,\"status_names\":");
	else
		g_string_append_printf(out, ",\"status\":%u,\"status_names\":", v->status);
	json_strv(out, *names ? (const char *const *)name_list : (const char *const[]){ NULL });
	g_string_append(out, ",\"reasons\":");
	json_strv(out, v->reasons);
	g_string_append(out, ",\"observed_by\":");
	json_string(out, v->unknown ? NULL : v->observed_by);
	g_string_append(out, ",\"display\":");
	json_string(out, *v->display ? v->display : NULL);
	if (v->pages >= 0)
		g_string_append_printf(out, ",\"pages\":%d", v->pages);
	else
		g_string_append(out, ",\"pages\":null");
	if (v->holder) {
		g_string_append_printf(out, ",\"holder\":{\"pid\":%u,\"name\":", v->holder);
		json_string(out, v->holder_name);
		g_string_append_c(out, '}');
	} else {
		g_string_append(out, ",\"holder\":null");
	}
	g_string_append_printf(out, ",\"waiters\":%u}", v->waiters);
	return g_string_free(out, FALSE);
}

/* ---- monitor ---- */

struct watched {
	char *location;         /* the library's: "LPT1", "LPT2.0", "LPT2.4" */
	int number, address;
	char *path;             /* its Device object (from the service) */
	char *last;             /* the line shown last */
	/* polling: the state last seen */
	unsigned status;
	char **reasons;
	char *observed_by;
	char *display;
	int pages;
};

struct monitor;

struct watched_port {
	struct monitor *m;
	int number;
	parclass_port *port;
	guint source;
};

struct monitor {
	bool json;
	int count;              /* lines to go; 0: no end */
	int number, address;    /* what LOCATION names: a port (address -1 and
				 * not behind a chain: all its devices) or a device */
	unsigned flags;
	bool all;               /* no LOCATION */
	bool done;              /* the count reached, or a stop signal */
	bool service_gone;      /* parclassd left the bus: poll instead */
	bool service_back;      /* parclassd came (back): follow it */
	GMainLoop *loop;
	GPtrArray *devices;     /* struct watched */
	GPtrArray *shown;       /* what was shown before the switch between
				 * the service and polling */
	GPtrArray *ports;       /* struct watched_port (polling) */
	service_tree *tree;     /* (from the service) */
};

static void watched_free(gpointer data)
{
	struct watched *w = data;

	g_free(w->location);
	g_free(w->path);
	g_free(w->last);
	g_strfreev(w->reasons);
	g_free(w->observed_by);
	g_free(w->display);
	g_free(w);
}

static void watched_port_free(gpointer data)
{
	struct watched_port *p = data;

	if (p->source)
		g_source_remove(p->source);
	parclass_port_close(p->port);
	g_free(p);
}

static void monitor_end(struct monitor *m)
{
	m->done = true;
	g_main_loop_quit(m->loop);
}

/* Is the device at @location one monitor watches? */
static bool monitor_wants(const struct monitor *m, const char *location, int *number, int *address)
{
	unsigned flags = 0;

	if (parclass_location_parse(location, number, address, &flags) < 0)
		return false;
	if (m->all)
		return true;
	if (*number != m->number)
		return false;
	if (m->address == PARCLASS_ADDRESS_END && !(m->flags & PARCLASS_LOCATION_BEHIND_CHAIN))
		return true;   /* the port: all its devices */
	return *address == m->address && (flags & PARCLASS_LOCATION_BEHIND_CHAIN) == (m->flags & PARCLASS_LOCATION_BEHIND_CHAIN);
}

/* Print @v for @w if it differs from what was shown last. */
static void monitor_show(struct monitor *m, struct watched *w, const struct view *v)
{
	g_autofree char *line = m->json ? view_json(v) : view_text(v);

	if (!g_strcmp0(line, w->last))
		return;
	g_free(w->last);
	w->last = g_steal_pointer(&line);
	printf("%s\n", w->last);
	fflush(stdout);
	if (m->count > 0 && --m->count == 0)
		monitor_end(m);
}

static void set_state(struct watched *w, unsigned status, char **reasons, const char *how, const char *display,
		      int pages)
{
	w->status = status;
	g_strfreev(w->reasons);
	w->reasons = reasons;
	g_free(w->observed_by);
	w->observed_by = g_strdup(how);
	g_free(w->display);
	w->display = g_strdup(display);
	w->pages = pages;
}

/* What @w showed and saw before the switch between the service and
 * polling: no line repeats, and polling goes on from the state shown last. */
static void monitor_carry(struct monitor *m, struct watched *w)
{
	for (guint j = 0; m->shown && j < m->shown->len; j++) {
		struct watched *seen = m->shown->pdata[j];

		if (strcmp(seen->location, w->location))
			continue;
		w->last = g_steal_pointer(&seen->last);
		if (seen->observed_by)
			set_state(w, seen->status, g_steal_pointer(&seen->reasons), seen->observed_by, seen->display,
				  seen->pages);
	}
}

/* -- from the service -- */

static void monitor_show_path(struct monitor *m, struct watched *w)
{
	service_tree *t = m->tree;
	const char *port = tree_string(t, w->path, PCD_DEVICE, "Port");
	GVariant *holder = tree_get(t, port, PCD_PORT, "Holder", "(uts)");
	g_autofree const char **reason_list = tree_strv(t, w->path, PCD_DEVICE, "Reasons");
	struct view v = {
		.location = tree_string(t, w->path, PCD_DEVICE, "Location"),
		.status = (unsigned)tree_number(t, w->path, PCD_DEVICE, "Status"),
		.reasons = reason_list,
		.observed_by = tree_string(t, w->path, PCD_DEVICE, "ObservedBy"),
		.display = tree_string(t, w->path, PCD_DEVICE, "DisplayText"),
		.pages = tree_get(t, w->path, PCD_DEVICE, "Pages", "i") ?
				 (int)tree_number(t, w->path, PCD_DEVICE, "Pages") : -1,
		.holder_name = "",
		.waiters = (unsigned)tree_number(t, port, PCD_PORT, "Waiters"),
		.gone = !tree_get(t, w->path, PCD_DEVICE, "Location", "s"),
	};
	guint64 since;

	if (v.gone)
		v.location = w->location;
	if (holder)
		g_variant_get(holder, "(ut&s)", &v.holder, &since, &v.holder_name);
	if (!v.gone)   /* kept for polling, should the service go */
		set_state(w, v.status, strv_copy(reason_list), v.observed_by, v.display, v.pages);
	monitor_show(m, w, &v);
}

/* A device object watched from now on (if LOCATION names it). */
static void monitor_add_path(struct monitor *m, const char *path)
{
	const char *location = tree_string(m->tree, path, PCD_DEVICE, "Location");
	struct watched *w;
	int number, address;

	if (!tree_get(m->tree, path, PCD_DEVICE, "Location", "s") || !monitor_wants(m, location, &number, &address))
		return;
	for (guint i = 0; i < m->devices->len; i++) {
		w = m->devices->pdata[i];
		if (!strcmp(w->path, path))
			return;
	}
	w = g_new0(struct watched, 1);
	w->location = g_strdup(location);
	w->path = g_strdup(path);
	monitor_carry(m, w);
	g_ptr_array_add(m->devices, w);
}

/* Show every watched device whose object is @path or whose port is. */
static void monitor_show_changed(struct monitor *m, const char *path)
{
	for (guint i = 0; i < m->devices->len && !m->done; i++) {
		struct watched *w = m->devices->pdata[i];

		if (!strcmp(w->path, path) || !strcmp(tree_string(m->tree, w->path, PCD_DEVICE, "Port"), path))
			monitor_show_path(m, w);
	}
}

static void on_service_signal(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
			      const char *name, GVariant *params, gpointer data)
{
	struct monitor *m = data;
	g_autoptr(GVariant) what = NULL;
	const char *object, *changed_iface;

	/* Once the service has left, the objects it leaves behind are not
	 * devices that went: what it sent before going may still be queued. */
	if (m->done || m->service_gone)
		return;
	if (!strcmp(name, "PropertiesChanged") && g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)"))) {
		g_variant_get(params, "(&s@a{sv}@as)", &changed_iface, &what, NULL);
		if (!g_hash_table_contains(m->tree, path))
			return;
		tree_set(m->tree, path, changed_iface, what);
		monitor_show_changed(m, path);
	} else if (!strcmp(name, "InterfacesAdded") && g_variant_is_of_type(params, G_VARIANT_TYPE("(oa{sa{sv}})"))) {
		g_variant_get(params, "(&o@a{sa{sv}})", &object, &what);
		tree_add(m->tree, object, what);
		monitor_add_path(m, object);
		monitor_show_changed(m, object);
	} else if (!strcmp(name, "InterfacesRemoved") && g_variant_is_of_type(params, G_VARIANT_TYPE("(oas)"))) {
		g_variant_get(params, "(&o@as)", &object, &what);
		g_hash_table_remove(m->tree, object);
		monitor_show_changed(m, object);
	}
}

/* parclassd left the bus (it ends when idle, or was stopped): go on by
 * polling, as without it. */
static void on_service_owner(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
			     const char *name, GVariant *params, gpointer data)
{
	struct monitor *m = data;
	const char *new_owner = NULL;

	if (g_variant_is_of_type(params, G_VARIANT_TYPE("(sss)")))
		g_variant_get(params, "(&s&s&s)", NULL, NULL, &new_owner);
	if (new_owner && !*new_owner) {
		m->service_gone = true;
		g_main_loop_quit(m->loop);
	}
}

/* parclassd came on the bus while polling: follow it instead. */
static void on_service_back(GDBusConnection *bus, const char *sender, const char *path, const char *iface,
			    const char *name, GVariant *params, gpointer data)
{
	struct monitor *m = data;
	const char *new_owner = NULL;

	if (g_variant_is_of_type(params, G_VARIANT_TYPE("(sss)")))
		g_variant_get(params, "(&s&s&s)", NULL, NULL, &new_owner);
	if (new_owner && *new_owner) {
		m->service_back = true;
		g_main_loop_quit(m->loop);
	}
}

static int monitor_service(struct monitor *m, GDBusConnection *bus, const char *owner)
{
	guint props, objects, gone;
	GHashTableIter it;
	gpointer path;

	m->service_gone = false;
	/* Subscribed first: a change while the tree comes is applied after it. */
	props = g_dbus_connection_signal_subscribe(bus, owner, "org.freedesktop.DBus.Properties", "PropertiesChanged",
						   NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_service_signal, m, NULL);
	objects = g_dbus_connection_signal_subscribe(bus, owner, "org.freedesktop.DBus.ObjectManager", NULL, PCD_ROOT,
						     NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_service_signal, m, NULL);
	gone = g_dbus_connection_signal_subscribe(bus, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
						  "/org/freedesktop/DBus", PCD_NAME, G_DBUS_SIGNAL_FLAGS_NONE, on_service_owner,
						  m, NULL);
	m->tree = tree_fetch(bus, owner);
	if (m->tree) {
		g_hash_table_iter_init(&it, m->tree);
		while (g_hash_table_iter_next(&it, &path, NULL))
			monitor_add_path(m, path);
		for (guint i = 0; i < m->devices->len && !m->done; i++)
			monitor_show_path(m, m->devices->pdata[i]);
		if (!m->done)
			g_main_loop_run(m->loop);
	} else {
		m->service_gone = true;   /* gone meanwhile */
	}
	g_dbus_connection_signal_unsubscribe(bus, props);
	g_dbus_connection_signal_unsubscribe(bus, objects);
	g_dbus_connection_signal_unsubscribe(bus, gone);
	if (m->tree)
		g_hash_table_unref(m->tree);
	return 0;
}

/* -- by polling, as the service would -- */

/* One bounded step on an idle port, as parclassd takes it: try-allocate
 * (never queue), select the device, one reading of the lines, let go. */
static int probe_lines(const char *location, int address, unsigned *lines)
{
	parclass_device *dev;
	parclass_port *port;
	int r = parclass_device_open(ctx, location, &dev);

	if (r < 0)
		return r;
	port = parclass_device_get_port(dev);
	r = parclass_port_try_allocate(port);
	if (r == 0) {
		if (address != PARCLASS_ADDRESS_END)
			r = parclass_port_select(port, address, 0);
		else
			parclass_port_deselect(port);   /* no chain: the end device answers anyway */
		if (r == 0)
			r = parclass_device_get_lines(dev, lines);
		parclass_device_unlock(dev, 0);
	}
	parclass_device_close(dev);
	return r;
}


static char **status_reasons(unsigned status)
{
	char text[REASONS_TEXT_MAX];

	reasons_text(reasons_from_status(status), text, sizeof text);
	return g_strsplit(text, ",", -1);
}

/* The process name of @pid ("?" when unknown), valid UTF-8. */
static char *name_of(pid_t pid)
{
	char comm[64];

	if (!process_name(pid, comm, sizeof comm))
		return g_strdup("?");
	g_strchomp(comm);
	return g_utf8_make_valid(comm, -1);
}

/*
 * Look at one port: its holder's report while held, else (with @probe) a
 * probe of each device. Without @probe an idle port keeps the state seen
 * last: a queue change calls for a look, not a probe, since the probe's own
 * allocate and free change the queue.
 */
static void poll_port(struct monitor *m, struct watched_port *p, bool probe)
{
	pid_t holder = 0;
	unsigned waiters = 0;
	g_autofree char *holder_name = NULL;

	if (parclass_port_get_holder(p->port, &holder) < 0 || parclass_port_query_waiters(p->port, &waiters) < 0)
		return;
	holder_name = holder ? name_of(holder) : g_strdup("");
	for (guint i = 0; i < m->devices->len && !m->done; i++) {
		struct watched *w = m->devices->pdata[i];
		parclass_report rep;
		unsigned lines;
		struct view v;

		if (w->number != p->number)
			continue;
		if (holder || waiters) {
			/* Only a report of someone who has the device open now: an
			 * older job's says nothing about this holder. */
			if (parclass_port_read_report(p->port, w->address, &rep) == 0 && rep.live)
				set_state(w, rep.status, g_strsplit(rep.reasons, ",", -1), "job", rep.display,
					  rep.pages);
		} else if (probe && probe_lines(w->location, w->address, &lines) == 0) {
			unsigned status = parclass_status_from_lines(lines);

			set_state(w, status, status_reasons(status), "probe", "", -1);
		}
		if (!w->observed_by && !holder)
			continue;   /* nothing known yet: the next probe tells */
		v = (struct view){ .location = w->location, .status = w->status,
				   .reasons = w->reasons ? (const char *const *)w->reasons : (const char *const[]){ NULL },
				   .observed_by = w->observed_by, .display = w->display ? w->display : "",
				   .pages = w->pages, .holder = (guint32)holder, .holder_name = holder_name,
				   .waiters = waiters, .unknown = !w->observed_by };
		monitor_show(m, w, &v);
	}
}

static gboolean poll_tick(gpointer data)
{
	struct monitor *m = data;

	for (guint i = 0; i < m->ports->len && !m->done; i++)
		poll_port(m, m->ports->pdata[i], true);
	return G_SOURCE_CONTINUE;
}

/* The queue changed (someone queued, left or published): look at once. */
static gboolean on_queue(int fd, GIOCondition cond, gpointer data)
{
	struct watched_port *p = data;

	if (parclass_port_drain_queue_fd(p->port) > 0)
		poll_port(p->m, p, false);
	return G_SOURCE_CONTINUE;
}

/* The devices to watch, from an enumeration, and their ports. */
static int monitor_enumerate(struct monitor *m, int deadline)
{
	parclass_enumeration *e = NULL;
	int r = parclass_enumerate(ctx, deadline, &e);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < parclass_enumeration_port_count(e); i++) {
		const parclass_port_info *pi = parclass_enumeration_port(e, i);
		struct watched_port *p = NULL;

		for (unsigned k = 0; k < parclass_port_info_device_count(pi); k++) {
			const char *location = parclass_device_info_location(parclass_port_info_device(pi, k));
			struct watched *w;
			int number, address, fd;

			if (!monitor_wants(m, location, &number, &address))
				continue;
			if (!p) {
				p = g_new0(struct watched_port, 1);
				p->m = m;
				p->number = number;
				r = parclass_port_open(ctx, parclass_port_info_location(pi), &p->port);
				if (r < 0) {
					g_free(p);
					parclass_enumeration_free(e);
					return r;
				}
				if (parclass_port_get_queue_fd(p->port, &fd) == 0)
					p->source = g_unix_fd_add(fd, G_IO_IN, on_queue, p);
				g_ptr_array_add(m->ports, p);
			}
			w = g_new0(struct watched, 1);
			w->location = g_strdup(location);
			w->number = number;
			w->address = address;
			w->pages = -1;
			monitor_carry(m, w);
			g_ptr_array_add(m->devices, w);
		}
	}
	parclass_enumeration_free(e);
	return 0;
}

/* Poll until the count is reached, a stop signal, or parclassd comes on
 * @bus (when there is one): then m->service_back. */
static int monitor_poll(struct monitor *m, GDBusConnection *bus, int interval, int deadline)
{
	g_autofree char *owner = NULL;
	guint tick, back = 0;
	int r;

	m->service_back = false;
	/* Subscribed before the look: a service that comes meanwhile is seen. */
	if (bus)
		back = g_dbus_connection_signal_subscribe(bus, "org.freedesktop.DBus", "org.freedesktop.DBus",
							  "NameOwnerChanged", "/org/freedesktop/DBus", PCD_NAME,
							  G_DBUS_SIGNAL_FLAGS_NONE, on_service_back, m, NULL);
	if (bus && (owner = service_owner(bus))) {
		m->service_back = true;
		r = 0;
	} else {
		r = monitor_enumerate(m, deadline);
		if (r == 0 && !m->devices->len)
			r = -ENODEV;
	}
	if (r == 0 && !m->service_back) {
		poll_tick(m);
		tick = g_timeout_add(interval, poll_tick, m);
		if (!m->done && !m->service_back)
			g_main_loop_run(m->loop);
		g_source_remove(tick);
	}
	if (back)
		g_dbus_connection_signal_unsubscribe(bus, back);
	g_ptr_array_set_size(m->ports, 0);   /* the service watches them now */
	return r;
}

/* A switch between the service and polling, on stderr: stdout has only
 * the lines. */
static void note_monitor(const char *what)
{
	fprintf(stderr, "parclassctl monitor: %s\n", what);
}

static gboolean on_monitor_stop(gpointer data)
{
	monitor_end(data);
	return G_SOURCE_CONTINUE;
}

static int cmd_monitor(int argc, char **argv)
{
	gboolean json = FALSE;
	int count = 0, interval = 1000, deadline = -1;
	const GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "One JSON object per line", NULL },
		{ "count", 0, 0, G_OPTION_ARG_INT, &count, "End after N lines", "N" },
		{ "interval", 0, 0, G_OPTION_ARG_INT, &interval,
		  "Without parclassd: look every MS milliseconds (default 1000, at least 200)", "MS" },
		{ "deadline", 0, 0, G_OPTION_ARG_INT, &deadline, "Without parclassd: find the devices within MS", "MS" },
		{ NULL }
	};
	g_autoptr(GOptionContext) oc = g_option_context_new("[LOCATION] - follow status changes");
	g_autoptr(GError) error = NULL;
	struct monitor m = { 0 };
	GDBusConnection *bus;
	guint sigint, sigterm;
	int r;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error) || argc > 2 || count < 0 || interval < 200) {
		fprintf(stderr, "parclassctl monitor: %s\n",
			error ? error->message : "usage: parclassctl monitor [LOCATION] [--json] [--count N] [--interval MS]");
		return EXIT_USAGE;
	}
	m.all = argc == 1;
	if (!m.all) {
		r = parclass_location_parse(argv[1], &m.number, &m.address, &m.flags);
		if (r < 0)
			return fail(argv[1], r);
	}
	m.json = json;
	m.count = count;
	m.loop = g_main_loop_new(NULL, FALSE);
	m.devices = g_ptr_array_new_with_free_func(watched_free);
	m.ports = g_ptr_array_new_with_free_func(watched_port_free);
	sigint = g_unix_signal_add(SIGINT, on_monitor_stop, &m);
	sigterm = g_unix_signal_add(SIGTERM, on_monitor_stop, &m);
	/* One connection for the whole run: the service may leave and come
	 * back, and the lines follow it, or polling meanwhile. */
	bus = bus_connect();
	for (bool polled = false;;) {
		g_autofree char *owner = bus ? service_owner(bus) : NULL;

		if (owner) {
			if (polled)
				note_monitor("parclassd is on the bus: following it");
			r = monitor_service(&m, bus, owner);
			if (m.done || !m.service_gone)
				break;
			note_monitor("parclassd left the bus: polling");
		} else {
			r = monitor_poll(&m, bus, interval, deadline);
			polled = true;
			if (r < 0 || m.done || !m.service_back)
				break;
		}
		/* What was shown stays shown: the other source goes on from there. */
		if (m.shown)
			g_ptr_array_free(m.shown, TRUE);
		m.shown = g_steal_pointer(&m.devices);
		m.devices = g_ptr_array_new_with_free_func(watched_free);
	}
	service_disconnect(bus);
	if (m.shown)
		g_ptr_array_free(m.shown, TRUE);
	g_source_remove(sigint);
	g_source_remove(sigterm);
	g_ptr_array_free(m.devices, TRUE);
	g_ptr_array_free(m.ports, TRUE);
	g_main_loop_unref(m.loop);
	if (r < 0)
		return fail(m.all ? "monitor" : argv[1], r);
	return 0;
}

/* ---- status and waiters from the service ---- */

/* parclassd's objects, when it runs and has the @iface object of @location
 * (a port's, for PCD_PORT); its path in @path. NULL otherwise. */
static service_tree *service_object(const char *location, const char *iface, const char **path)
{
	g_autofree char *owner = NULL, *loc = service_location(location, !strcmp(iface, PCD_PORT));
	GDBusConnection *bus = loc ? service_connect(&owner) : NULL;
	service_tree *tree;

	if (!bus)
		return NULL;
	tree = tree_fetch(bus, owner);
	service_disconnect(bus);
	if (!tree)
		return NULL;
	*path = tree_find(tree, iface, loc);
	if (!*path) {
		g_hash_table_unref(tree);
		return NULL;
	}
	return tree;
}

/* The service's Status, Lines, Reasons and ObservedBy of the device at
 * @location; false (nothing printed) without the service or its view. */
static bool service_status(const char *location)
{
	const char *path;
	service_tree *tree = service_object(location, PCD_DEVICE, &path);
	g_autofree char *names = NULL, *levels = NULL, *reason_text = NULL;
	g_autofree const char **reason_list = NULL;

	if (!tree)
		return false;
	if (!tree_number(tree, path, PCD_DEVICE, "LastObserved")) {
		g_hash_table_unref(tree);
		return false;
	}
	names = mask_names((unsigned)tree_number(tree, path, PCD_DEVICE, "Status"), parclass_status_name, " ");
	levels = levels_text((unsigned)tree_number(tree, path, PCD_DEVICE, "Lines"), PARCLASS_LINES_STATUS);
	reason_list = tree_strv(tree, path, PCD_DEVICE, "Reasons");
	reason_text = strv_join(reason_list, ",");
	printf("%s (%s)\nreasons: %s\nobserved by: parclassd (%s)\n", *names ? names : "(none)", levels,
	       *reason_text ? reason_text : "none", tree_string(tree, path, PCD_DEVICE, "ObservedBy"));
	g_hash_table_unref(tree);
	return true;
}

/* The service's Holder and Waiters of the port of @location; false
 * (nothing printed) without the service or its object. */
static bool service_waiters(const char *location)
{
	const char *path;
	service_tree *tree = service_object(location, PCD_PORT, &path);
	GVariant *holder = tree ? tree_get(tree, path, PCD_PORT, "Holder", "(uts)") : NULL;
	guint32 pid = 0;
	guint64 since;
	const char *name = "";

	if (!holder) {
		if (tree)
			g_hash_table_unref(tree);
		return false;
	}
	g_variant_get(holder, "(ut&s)", &pid, &since, &name);
	if (pid) {
		g_autofree char *shown = printable(name);

		printf("holder: pid %u (%s)\n", pid, shown);
	}
	if (!pid)
		printf("holder: none\n");
	printf("waiters: %u\nobserved by: parclassd\n", (unsigned)tree_number(tree, path, PCD_PORT, "Waiters"));
	g_hash_table_unref(tree);
	return true;
}

/* The service's view when it runs; else one reading of the device's lines. */
static int cmd_status(int argc, char **argv)
{
	int timeout = DEFAULT_TIMEOUT_MS;
	const GOptionEntry entries[] = {
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Wait at most MS for the port", "MS" },
		{ NULL }
	};
	const char *location;

	if (!parse_location(&argc, &argv, entries, "status bits and the status lines", &location))
		return EXIT_USAGE;
	if (service_status(location))
		return 0;
	/* The bits and the lines of one reading. */
	return locked_value(location, timeout, parclass_device_get_lines, status_text);
}

static int cmd_lines(int argc, char **argv)
{
	return on_locked_device(argc, argv, "the port's lines and their levels", parclass_device_get_lines,
				  lines_text);
}

/* "reset": an nInit pulse, with the port held for it; nothing to print. */
static int reset_device(parclass_device *dev, unsigned *unused)
{
	(void)unused;
	return parclass_device_reset(dev);
}

static int cmd_reset(int argc, char **argv)
{
	return on_locked_device(argc, argv, "reset the printer (an nInit pulse)", reset_device, NULL);
}

static int cmd_waiters(int argc, char **argv)
{
	const char *location;
	parclass_port *port;
	unsigned waiters = 0;
	pid_t holder = 0;
	int r;

	if (!parse_location(&argc, &argv, NULL, "who holds the port, how many wait", &location))
		return EXIT_USAGE;
	if (service_waiters(location))
		return 0;
	r = parclass_port_open(ctx, location, &port);
	if (r < 0)
		return fail(location, r);
	r = parclass_port_get_holder(port, &holder);
	if (r == 0)
		r = parclass_port_query_waiters(port, &waiters);
	parclass_port_close(port);
	if (r < 0)
		return fail(location, r);
	if (holder)
		printf("holder: pid %d\n", (int)holder);
	else
		printf("holder: none\n");
	printf("waiters: %u\n", waiters);
	return 0;
}

/* ---- lock ---- */

/* Run @command, the stop signals going to it; its wait status. */
static int run_command(char **command, int *wait_status)
{
	g_autoptr(GError) error = NULL;
	GPid child;

	if (!g_spawn_async(NULL, command, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CHILD_INHERITS_STDIN,
			   NULL, NULL, &child, &error)) {
		fprintf(stderr, "parclassctl: %s\n", error->message);
		return -1;
	}
	stop_child = child;
	/* A signal between the spawn and the line above was not forwarded. */
	if (stop_signal) {
		kill(child, stop_signal);
		stop_signal = 0;
	}
	while (waitpid(child, wait_status, 0) < 0)
		if (errno != EINTR) {
			*wait_status = 0;
			break;
		}
	stop_child = 0;
	g_spawn_close_pid(child);
	return 0;
}

/* What lock and select share: a location, how to wait for its port, a command. */
struct hold {
	const char *location;
	int number, address;
	int timeout;            /* negative: no limit */
	gboolean try;
	char **command;         /* NULL when none is given */
	parclass_port *port;
};

/* How lock and select differ in their command lines. */
struct hold_syntax {
	const char *flag, *flag_help;   /* the option of their own */
	const char *summary, *usage;
	bool need_command;
};

static const struct hold_syntax lock_syntax = {
	"no-select", "Allocate only, no IEEE 1284.3 select",
	"LOCATION -- COMMAND... - hold the port while COMMAND runs",
	"usage: parclassctl lock LOCATION [--timeout MS|--try] [--no-select] -- COMMAND...", true
};
static const struct hold_syntax select_syntax = {
	"ecp", "The ECP select command: the device will talk ECP",
	"LOCATION [-- COMMAND...] - select a daisy-chain device",
	"usage: parclassctl select LOCATION [--timeout MS|--try] [--ecp] [-- COMMAND...]", false
};

/*
 * Parse "LOCATION [--timeout MS|--try] [--FLAG] [-- COMMAND...]" as @syntax
 * says, @flag set by its option, and open the port.
 * @return 0, or the exit status of the failure (said on stderr).
 */
static int open_hold(int argc, char **argv, const struct hold_syntax *syntax, gboolean *flag, struct hold *h)
{
	const GOptionEntry entries[] = {
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &h->timeout, "Wait at most MS for the port (default: no limit)", "MS" },
		{ "try", 0, 0, G_OPTION_ARG_NONE, &h->try, "Do not wait: busy is an error", NULL },
		{ syntax->flag, 0, 0, G_OPTION_ARG_NONE, flag, syntax->flag_help, NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) oc = g_option_context_new(syntax->summary);
	g_autoptr(GError) error = NULL;
	int opt_argc = argc, r;

	*flag = FALSE;
	h->timeout = -1;
	h->try = FALSE;
	h->command = NULL;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			h->command = argv + i + 1;
			opt_argc = i;
			break;
		}
	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &opt_argc, &argv, &error) || opt_argc != 2 ||
	    (h->command ? !h->command[0] : syntax->need_command) || (h->try && h->timeout >= 0)) {
		fprintf(stderr, "parclassctl %s: %s\n", argv[0], error ? error->message : syntax->usage);
		return EXIT_USAGE;
	}
	h->location = argv[1];
	r = parclass_location_parse(h->location, &h->number, &h->address, NULL);
	if (r == 0)
		r = parclass_port_open(ctx, h->location, &h->port);
	return r < 0 ? fail(h->location, r) : 0;
}

/*
 * parclass_port_lock() as a shell user waits: --try is a wait of no time in
 * which busy (or queued behind someone) is an error, and a stop signal ends
 * the wait; one that comes as the port is granted gives it back.
 */
static int wait_for_port(parclass_port *port, int address, int timeout, bool try, enum parclass_lock_flags flags)
{
	int r = cancel_on_stop(port);

	if (r == 0)
		r = parclass_port_lock(port, address, try ? 0 : timeout, flags);
	if (r == -ETIMEDOUT && try)
		r = -EBUSY;
	/* A stop signal that came as the port was granted: the command must not run. */
	if (r == 0 && stop_signal) {
		parclass_port_unlock(port, (flags & PARCLASS_LOCK_NO_SELECT) ? PARCLASS_UNLOCK_NO_DESELECT : 0);
		r = -ECANCELED;
	}
	stop_port = NULL;
	return r;
}

/* Run @command on the held port: its exit status (as a shell gives it). */
static int run_held(parclass_port *port, char **command)
{
	int wait_status;

	/* The command may be a program outside parclass: let it claim the port. */
	parclass_port_release_bus(port);
	if (run_command(command, &wait_status) < 0)
		return 127;
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	return 128 + WTERMSIG(wait_status);
}

static int cmd_lock(int argc, char **argv)
{
	gboolean no_select;
	struct hold h;
	int r = open_hold(argc, argv, &lock_syntax, &no_select, &h), status;

	if (r)
		return r;
	r = wait_for_port(h.port, h.address, h.timeout, h.try, no_select ? PARCLASS_LOCK_NO_SELECT : 0);
	if (r < 0) {
		parclass_port_close(h.port);
		return fail(h.location, r);
	}
	status = run_held(h.port, h.command);
	parclass_port_unlock(h.port, no_select ? PARCLASS_UNLOCK_NO_DESELECT : 0);
	parclass_port_close(h.port);
	return status;
}

/*
 * SELECT_DEVICE and DESELECT_DEVICE from a shell: allocate the port, select
 * the chain device, run the command (or say that the device answered),
 * deselect it and free the port.
 */
static int cmd_select(int argc, char **argv)
{
	gboolean ecp;
	struct hold h;
	int r = open_hold(argc, argv, &select_syntax, &ecp, &h), status = 0;

	if (r)
		return r;
	if (h.address == PARCLASS_ADDRESS_END) {
		fprintf(stderr, "parclassctl select: %s: not a daisy-chain device (LPT%d.0 to LPT%d.3)\n", h.location,
			h.number + 1, h.number + 1);
		parclass_port_close(h.port);
		return EXIT_USAGE;
	}
	r = wait_for_port(h.port, h.address, h.timeout, h.try, PARCLASS_LOCK_NO_SELECT);
	if (r == 0) {
		r = parclass_port_select(h.port, h.address, ecp ? PARCLASS_SELECT_ECP : 0);
		if (r < 0)
			parclass_port_unlock(h.port, PARCLASS_UNLOCK_NO_DESELECT);
	}
	if (r < 0) {
		parclass_port_close(h.port);
		return fail(h.location, r);
	}
	if (h.command)
		status = run_held(h.port, h.command);
	else
		printf("LPT%d.%d: selected\n", h.number + 1, h.address);
	r = parclass_port_deselect(h.port);
	parclass_port_unlock(h.port, PARCLASS_UNLOCK_NO_DESELECT);
	parclass_port_close(h.port);
	if (r < 0 && status == 0)
		return fail(h.location, r);
	return status;
}

/* ---- send ---- */

/* Print what the printer has to say, until it has been quiet for @quiet_ms. */
static int drain_reverse(parclass_device *dev, int quiet_ms)
{
	char buf[4096];
	size_t got;
	int r;

	for (;;) {
		r = parclass_device_read(dev, buf, sizeof buf, quiet_ms, &got);
		if (r < 0 || !got)
			return r;
		fwrite(buf, 1, got, stdout);
		fflush(stdout);
	}
}

static int cmd_send(int argc, char **argv)
{
	g_autofree char *mode_name = NULL;
	int timeout = DEFAULT_TIMEOUT_MS, wait_ms = 500;
	const GOptionEntry entries[] = {
		{ "mode", 0, 0, G_OPTION_ARG_STRING, &mode_name,
		  "Forward mode: ecp, compat, ecpsw, epp or a mode name (default: ECP, else compatibility)", "MODE" },
		{ "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Give up after MS without progress", "MS" },
		{ "wait", 0, 0, G_OPTION_ARG_INT, &wait_ms, "Then read answers until MS of quiet (default 500)", "MS" },
		{ NULL }
	};
	g_autoptr(GOptionContext) oc = g_option_context_new("LOCATION [FILE] - send FILE or stdin, print the answers");
	g_autoptr(GError) error = NULL;
	unsigned write_mask = PARCLASS_MODES_PRINTER_WRITE;
	parclass_device *dev;
	char buf[SEND_CHUNK];
	int fd = STDIN_FILENO, r;
	ssize_t n;

	g_option_context_add_main_entries(oc, entries, NULL);
	if (!g_option_context_parse(oc, &argc, &argv, &error) || argc < 2 || argc > 3) {
		fprintf(stderr, "parclassctl send: %s\n",
			error ? error->message : "usage: parclassctl send LOCATION [--mode MODE] [FILE]");
		return EXIT_USAGE;
	}
	if (mode_name && !parse_modes("send", mode_name, PARCLASS_MODES_FORWARD, "forward", &write_mask))
		return EXIT_USAGE;
	if (argc == 3 && strcmp(argv[2], "-")) {
		fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "parclassctl send: %s: %s\n", argv[2], g_strerror(errno));
			return EXIT_ERROR;
		}
	}
	r = open_locked(argv[1], timeout, &dev);
	if (r < 0)
		return fail(argv[1], r);
	r = parclass_device_negotiate(dev, write_mask, PARCLASS_MODES_PRINTER_READ, NULL, NULL);
	if (r < 0) {
		close_device(dev);
		return fail("negotiation", r);
	}
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		size_t written = 0;

		r = parclass_device_write(dev, buf, (size_t)n, timeout, &written);
		if (r < 0)
			break;
		/* Answers come back as the job goes (PJL USTATUS): keep them flowing. */
		r = drain_reverse(dev, 0);
		if (r < 0)
			break;
	}
	if (n < 0)
		r = errno == EINTR && stop_signal ? -ECANCELED : -errno;
	if (r == 0)
		r = drain_reverse(dev, wait_ms);
	close_device(dev);
	if (fd != STDIN_FILENO)
		close(fd);
	if (r < 0)
		return fail("send", r);
	return 0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fputs("usage: parclassctl [--verbose] COMMAND ...\n"
	      "  list [--json]                         ports and devices: location, device ID, make and model, modes\n"
	      "  id LOCATION [--fresh] [--raw]         the device ID\n"
	      "  modes LOCATION [--default]            modes both ends support (--default: before negotiation)\n"
	      "  caps LOCATION [--not-read MODES] [--not-write MODES]\n"
	      "                                        read and write modes, negotiating none of MODES\n"
	      "  status LOCATION                       status bits by name (the Windows status), status lines\n"
	      "  lines LOCATION                        the port's lines and their levels\n"
	      "  reset LOCATION                        reset the printer (an nInit pulse)\n"
	      "  waiters LOCATION                      holder (pid) and number of waiters\n"
	      "  monitor [LOCATION] [--json] [--count N]\n"
	      "                                        follow status changes (from parclassd when it runs)\n"
	      "  lock LOCATION [--timeout MS|--try] [--no-select] -- COMMAND...\n"
	      "                                        hold the port (allocate + select) while COMMAND runs\n"
	      "  select LOCATION [--timeout MS|--try] [--ecp] [-- COMMAND...]\n"
	      "                                        select a daisy-chain device (while COMMAND runs), deselect\n"
	      "  send LOCATION [--mode MODE] [FILE]    write FILE or stdin to the device, reverse data to stdout\n"
	      "LOCATION: parport0, parport0.2, LPT1, LPT1.2, or a parclass: device URI\n"
	      "Exit status: 0 success, 1 error, 2 usage, 69 no such port or device, 75 busy or timed out\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} commands[] = {
		{ "list", cmd_list }, { "id", cmd_id }, { "modes", cmd_modes }, { "caps", cmd_caps },
		{ "status", cmd_status }, { "lines", cmd_lines }, { "reset", cmd_reset },
		{ "waiters", cmd_waiters }, { "monitor", cmd_monitor }, { "lock", cmd_lock }, { "select", cmd_select }, { "send", cmd_send },
	};
	int first = 1, r;

	while (first < argc && argv[first][0] == '-' && strcmp(argv[first], "--")) {
		if (!strcmp(argv[first], "-v") || !strcmp(argv[first], "--verbose")) {
			verbose++;
		} else if (!strcmp(argv[first], "-h") || !strcmp(argv[first], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[first], "--version")) {
			printf("parclassctl %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "parclassctl: unknown option %s\n", argv[first]);
			usage(stderr);
			return EXIT_USAGE;
		}
		first++;
	}
	if (first >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[first], commands[i].name))
			continue;
		r = parclass_context_new(&ctx);
		if (r < 0)
			return fail("parclassctl", r);
		if (verbose)
			parclass_context_set_log(ctx, verbose > 1 ? PARCLASS_LOG_DEBUG : PARCLASS_LOG_INFO, on_log, NULL);
		catch_stop_signals();
		r = commands[i].fn(argc - first, argv + first);
		parclass_context_unref(ctx);
		if (stop_signal) {
			signal(stop_signal, SIG_DFL);
			raise(stop_signal);
		}
		return r;
	}
	fprintf(stderr, "parclassctl: unknown command \"%s\"\n", argv[first]);
	usage(stderr);
	return EXIT_USAGE;
}
