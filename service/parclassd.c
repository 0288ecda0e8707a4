/*
 * parclassd.c - the device service: main, the bus name and the Manager
 *
 *   parclassd [--foreground] [--poll-interval MS] [--exit-idle-time SECONDS]
 *
 * Owns io.github.parclass.Parclass1 on the system bus (DBUS_SYSTEM_BUS_ADDRESS
 * names another, as GLib honours it) and exports an ObjectManager at
 * /io/github/parclass/Parclass1 with the Manager interface, and the Port
 * and Device objects of tree.c. The API is documented in
 * service/io.github.parclass.Parclass1.xml and doc/parclassd.8.
 *
 * It never forks: systemd (Type=dbus) and D-Bus activation start it as it
 * is. --foreground is for a shell: messages go to stderr instead of syslog.
 * Idle (no ports, and no method call to it for --exit-idle-time seconds),
 * it exits with status 0; D-Bus activation or the udev rule starts it again.
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "service.h"

static bool foreground;

static void log_to_syslog(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
	int priority = LOG_INFO;

	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		priority = LOG_ERR;
	else if (level & G_LOG_LEVEL_WARNING)
		priority = LOG_WARNING;
	else if (level & G_LOG_LEVEL_DEBUG)
		priority = LOG_DEBUG;
	syslog(priority, "%s", message);
}

static void library_log(parclass_context *ctx, enum parclass_log_level level, const char *message, void *data)
{
	if (level <= PARCLASS_LOG_WARNING)
		g_warning("%s", message);
	else
		g_debug("%s", message);
}

/* ---- the Manager ---- */

static gboolean on_rescan(PcdManager *iface, GDBusMethodInvocation *invocation, GVariant *options, gpointer data)
{
	struct pcd_service *svc = data;
	int r = pcd_tree_scan(svc);

	if (r < 0) {
		g_dbus_method_invocation_return_dbus_error(invocation, PCD_ERROR_FAILED, parclass_strerror(r));
		return TRUE;
	}
	pcd_cups_rescan(svc);
	pcd_probe_start(svc);
	pcd_manager_complete_rescan(iface, invocation);
	return TRUE;
}

static gboolean on_set_settings(PcdManager *iface, GDBusMethodInvocation *invocation, GVariant *settings,
				GVariant *options, gpointer data)
{
	struct pcd_service *svc = data;
	guint poll = pcd_manager_get_poll_interval(iface);
	gboolean push = pcd_manager_get_cups_push(iface);
	GVariantIter iter;
	const char *key;
	GVariant *value;

	/* Check everything first: a wrong setting changes nothing. */
	g_variant_iter_init(&iter, settings);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_autoptr(GVariant) v = value;
		const char *error = NULL;

		if (!g_strcmp0(key, "PollInterval") && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32)) {
			poll = g_variant_get_uint32(v);
			if (poll < PCD_POLL_MIN_MS)
				error = "at least 200 (milliseconds)";
		} else if (!g_strcmp0(key, "CupsPush") && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
			push = g_variant_get_boolean(v);
		} else {
			error = "not a setting, or a value of the wrong type (PollInterval: u, CupsPush: b)";
		}
		if (error) {
			g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
							      "%s: %s", key, error);
			return TRUE;
		}
	}
	pcd_manager_set_cups_push(iface, push);
	if (poll != pcd_manager_get_poll_interval(iface)) {
		pcd_manager_set_poll_interval(iface, poll);
		pcd_probe_start(svc);
	}
	pcd_manager_complete_set_settings(iface, invocation);
	return TRUE;
}

/* ---- exit when idle ---- */

/* Every message to us, in GDBus's worker thread: a method call (a Get,
 * GetManagedObjects, Introspect included) is someone looking. */
static GDBusMessage *note_call(GDBusConnection *connection, GDBusMessage *message, gboolean incoming, gpointer data)
{
	struct pcd_service *svc = data;

	if (incoming && g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL)
		g_atomic_int_set(&svc->last_call_s, (gint)(g_get_monotonic_time() / G_USEC_PER_SEC));
	return message;
}

/* Once a second: no ports, and nobody called for exit_idle_s seconds. */
static gboolean check_idle(gpointer data)
{
	struct pcd_service *svc = data;
	gint now = (gint)(g_get_monotonic_time() / G_USEC_PER_SEC);

	if (svc->ports && svc->ports->len)
		return G_SOURCE_CONTINUE;
	if (now - g_atomic_int_get(&svc->last_call_s) < (gint)svc->exit_idle_s)
		return G_SOURCE_CONTINUE;
	g_info("No parallel ports and nobody asking for %u s: exiting", svc->exit_idle_s);
	g_main_loop_quit(svc->loop);
	svc->idle_source = 0;
	return G_SOURCE_REMOVE;
}

/* ---- the bus ---- */

static void on_bus_acquired(GDBusConnection *connection, const char *name, gpointer data)
{
	struct pcd_service *svc = data;
	g_autoptr(GError) error = NULL;

	g_dbus_connection_add_filter(connection, note_call, svc, NULL);
	g_dbus_object_manager_server_set_connection(svc->manager, connection);
	/* The ObjectManager's own path carries the Manager: the server exports
	 * only objects below it, so this interface goes on by itself. */
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(svc->manager_iface), connection, PCD_PATH,
					      &error))
		g_warning("Cannot export the Manager: %s", error->message);
}

static void on_name_acquired(GDBusConnection *connection, const char *name, gpointer data)
{
	g_info("%s on the system bus", name);
}

static void on_name_lost(GDBusConnection *connection, const char *name, gpointer data)
{
	struct pcd_service *svc = data;

	if (connection)
		g_warning("Cannot own %s on the system bus (another parclassd, or the bus policy)", name);
	else
		g_warning("Cannot connect to the system bus");
	g_main_loop_quit(svc->loop);
	svc->failed = true;
}

static gboolean on_signal(gpointer data)
{
	struct pcd_service *svc = data;

	g_main_loop_quit(svc->loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	struct pcd_service svc = { 0 };
	int poll_ms = PCD_POLL_DEFAULT_MS;
	int exit_idle_s = -1;
	gboolean version = FALSE;
	const GOptionEntry entries[] = {
		{ "foreground", 'f', 0, G_OPTION_ARG_NONE, &foreground, "Log to stderr (for a shell)", NULL },
		{ "poll-interval", 'p', 0, G_OPTION_ARG_INT, &poll_ms, "Milliseconds between idle probes of a device",
		  "MS" },
		{ "exit-idle-time", 0, 0, G_OPTION_ARG_INT, &exit_idle_s,
		  "Exit after SECONDS without ports and callers (0: never; default 60, 0 with --foreground)",
		  "SECONDS" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) options = g_option_context_new("- the parclass device service");
	g_autoptr(GError) error = NULL;
	guint owner;
	int r;

	g_option_context_add_main_entries(options, entries, NULL);
	if (!g_option_context_parse(options, &argc, &argv, &error)) {
		fprintf(stderr, "parclassd: %s\n", error->message);
		return 2;
	}
	if (version) {
		printf("parclassd %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (argc > 1 || poll_ms < (int)PCD_POLL_MIN_MS || exit_idle_s < -1) {
		fprintf(stderr,
			"parclassd: usage: parclassd [--foreground] [--poll-interval MS (at least %u)]"
			" [--exit-idle-time SECONDS]\n",
			PCD_POLL_MIN_MS);
		return 2;
	}
	if (exit_idle_s < 0)
		exit_idle_s = foreground ? 0 : PCD_EXIT_IDLE_DEFAULT_S;
	svc.exit_idle_s = (guint)exit_idle_s;
	if (!foreground) {
		openlog("parclassd", LOG_PID, LOG_DAEMON);
		g_log_set_default_handler(log_to_syslog, NULL);
	}

	r = parclass_context_new(&svc.ctx);
	if (r < 0) {
		g_warning("Cannot start libparclass: %s", parclass_strerror(r));
		return 1;
	}
	parclass_context_set_log(svc.ctx, PARCLASS_LOG_WARNING, library_log, NULL);

	svc.loop = g_main_loop_new(NULL, FALSE);
	svc.manager = g_dbus_object_manager_server_new(PCD_PATH);
	svc.manager_iface = pcd_manager_skeleton_new();
	pcd_manager_set_version(svc.manager_iface, PACKAGE_VERSION);
	pcd_manager_set_poll_interval(svc.manager_iface, (guint)poll_ms);
	g_signal_connect(svc.manager_iface, "handle-rescan", G_CALLBACK(on_rescan), &svc);
	g_signal_connect(svc.manager_iface, "handle-set-settings", G_CALLBACK(on_set_settings), &svc);
	pcd_auth_attach(G_DBUS_INTERFACE_SKELETON(svc.manager_iface));

	r = pcd_tree_scan(&svc);
	if (r < 0)
		g_warning("Cannot list the parallel ports: %s", parclass_strerror(r));
	pcd_probe_start(&svc);
	svc.last_call_s = (gint)(g_get_monotonic_time() / G_USEC_PER_SEC);
	if (svc.exit_idle_s)
		svc.idle_source = g_timeout_add_seconds(1, check_idle, &svc);

	g_unix_signal_add(SIGTERM, on_signal, &svc);
	g_unix_signal_add(SIGINT, on_signal, &svc);
	owner = g_bus_own_name(G_BUS_TYPE_SYSTEM, PCD_BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE, on_bus_acquired,
			       on_name_acquired, on_name_lost, &svc, NULL);
	g_main_loop_run(svc.loop);

	g_bus_unown_name(owner);
	/* Its objects go with the name: leaving is not the devices going, so
	 * no InterfacesRemoved for them. */
	g_dbus_object_manager_server_set_connection(svc.manager, NULL);
	if (svc.poll_source)
		g_source_remove(svc.poll_source);
	if (svc.idle_source)
		g_source_remove(svc.idle_source);
	pcd_cups_free(&svc);
	pcd_tree_free(&svc);
	g_object_unref(svc.manager_iface);
	g_object_unref(svc.manager);
	g_main_loop_unref(svc.loop);
	parclass_context_unref(svc.ctx);
	return svc.failed ? 1 : 0;
}
