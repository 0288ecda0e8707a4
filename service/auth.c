/*
 * auth.c - who may call parclassd's methods
 *
 * Reading is open to everyone (the bus policy lets everyone call and read).
 * Every method that touches a printer or the service is authorized here:
 * uid 0 and the service's own uid always; other callers through the polkit
 * action of the method, with the caller's bus name as the subject; when
 * polkit is not on the bus, members of group lpadmin. The caller's
 * credentials come from the bus (GetConnectionCredentials).
 *
 * GDBus runs the g-authorize-method handler in a worker thread of its own
 * for each call, so the blocking calls to the bus and to polkit are fine
 * here; nothing in this file touches the service's state.
 */
#include "config.h"

#include <grp.h>
#include <polkit/polkit.h>
#include <unistd.h>

#include "service.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"

static const struct {
	const char *method;
	const char *action;
} actions[] = {
	{ "Rescan", PCD_BUS_NAME ".rescan" },
	{ "SetSettings", PCD_BUS_NAME ".settings" },
	{ "RefreshId", PCD_BUS_NAME ".refresh-id" },
	{ "Reset", PCD_BUS_NAME ".reset" },
};

static GVariant *bus_call(GDBusConnection *c, const char *method, GVariant *args, const char *reply_type,
			  GError **error)
{
	return g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					   "org.freedesktop.DBus", method, args, G_VARIANT_TYPE(reply_type),
					   G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
}

/* Is polkit on the bus, running or to be started by the bus? */
static bool have_polkit(GDBusConnection *c)
{
	g_autoptr(GVariant) owner = bus_call(c, "NameHasOwner", g_variant_new("(s)", POLKIT_NAME), "(b)", NULL);
	g_autoptr(GVariant) names = NULL;
	g_autofree const char **list = NULL;
	gboolean has = FALSE;

	if (owner)
		g_variant_get(owner, "(b)", &has);
	if (has)
		return true;
	names = bus_call(c, "ListActivatableNames", NULL, "(as)", NULL);
	if (!names)
		return false;
	g_variant_get(names, "(^a&s)", &list);
	return g_strv_contains(list, POLKIT_NAME);
}

static bool in_group(GVariant *creds, const char *group)
{
	g_autoptr(GVariant) gids = g_variant_lookup_value(creds, "UnixGroupIDs", G_VARIANT_TYPE("au"));
	struct group g, *found = NULL;
	char buf[4096];
	gsize n = 0;
	const guint32 *ids;

	if (!gids || getgrnam_r(group, &g, buf, sizeof buf, &found) != 0 || !found)
		return false;
	ids = g_variant_get_fixed_array(gids, &n, sizeof(guint32));
	for (gsize i = 0; i < n; i++)
		if (ids[i] == (guint32)found->gr_gid)
			return true;
	return false;
}

/* The method's a{sv} options (its last argument) say whether polkit may ask. */
static bool may_interact(GDBusMethodInvocation *invocation)
{
	GVariant *params = g_dbus_method_invocation_get_parameters(invocation);
	gsize n = g_variant_n_children(params);
	g_autoptr(GVariant) options = n ? g_variant_get_child_value(params, n - 1) : NULL;
	gboolean no = FALSE;

	if (options && g_variant_is_of_type(options, G_VARIANT_TYPE_VARDICT))
		g_variant_lookup(options, "auth.no_user_interaction", "b", &no);
	return !no;
}

/* polkit's answer: 1 yes, 0 no, negative: it could not say (@error set). */
static int ask_polkit(const char *sender, const char *action, bool interact, GError **error)
{
	g_autoptr(PolkitAuthority) authority = polkit_authority_get_sync(NULL, error);
	g_autoptr(PolkitSubject) subject = NULL;
	g_autoptr(PolkitAuthorizationResult) result = NULL;

	if (!authority)
		return -1;
	subject = polkit_system_bus_name_new(sender);
	result = polkit_authority_check_authorization_sync(
		authority, subject, action, NULL,
		interact ? POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION : POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE,
		NULL, error);
	if (!result)
		return -1;
	return polkit_authorization_result_get_is_authorized(result) ? 1 : 0;
}

static gboolean authorize(GDBusInterfaceSkeleton *skeleton, GDBusMethodInvocation *invocation, gpointer data)
{
	const char *method = g_dbus_method_invocation_get_method_name(invocation);
	const char *sender = g_dbus_method_invocation_get_sender(invocation);
	GDBusConnection *c = g_dbus_method_invocation_get_connection(invocation);
	const char *action = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) creds = NULL;
	g_autoptr(GError) error = NULL;
	guint32 uid;
	int yes;

	for (size_t i = 0; i < G_N_ELEMENTS(actions); i++)
		if (!g_strcmp0(method, actions[i].method))
			action = actions[i].action;
	if (!action)
		return TRUE;   /* not ours to guard (Properties, Introspectable) */

	reply = bus_call(c, "GetConnectionCredentials", g_variant_new("(s)", sender), "(a{sv})", &error);
	if (!reply) {
		g_dbus_method_invocation_return_dbus_error(invocation, PCD_ERROR_NOT_AUTHORIZED,
							   "Cannot tell who the caller is");
		return FALSE;
	}
	creds = g_variant_get_child_value(reply, 0);
	if (!g_variant_lookup(creds, "UnixUserID", "u", &uid)) {
		g_dbus_method_invocation_return_dbus_error(invocation, PCD_ERROR_NOT_AUTHORIZED,
							   "The bus does not say who the caller is");
		return FALSE;
	}
	if (uid == 0 || uid == (guint32)getuid())
		return TRUE;

	if (have_polkit(c)) {
		yes = ask_polkit(sender, action, may_interact(invocation), &error);
		if (yes > 0)
			return TRUE;
		if (yes < 0)
			g_dbus_method_invocation_return_dbus_error(invocation, PCD_ERROR_NOT_AUTHORIZED,
								   error->message);
		else
			g_dbus_method_invocation_return_dbus_error(invocation, PCD_ERROR_NOT_AUTHORIZED,
								   "Not authorized by polkit");
		return FALSE;
	}
	if (in_group(creds, "lpadmin"))
		return TRUE;
	g_dbus_method_invocation_return_dbus_error(invocation, PCD_ERROR_NOT_AUTHORIZED,
						   "Only root and group lpadmin may (polkit is not running)");
	return FALSE;
}

void pcd_auth_attach(GDBusInterfaceSkeleton *skeleton)
{
	g_signal_connect(skeleton, "g-authorize-method", G_CALLBACK(authorize), NULL);
}
