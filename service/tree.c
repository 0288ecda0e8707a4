/*
 * tree.c - parclassd's object tree: one Port object per parallel port and
 * one Device object per device, from the library's enumeration
 *
 * A scan (start-up, Rescan) compares the enumeration with the tree: objects
 * that appeared are exported (InterfacesAdded), objects that went are
 * unexported (InterfacesRemoved), and the others keep their objects and get
 * what the enumeration knows now. Touches the ports only through
 * parclass_enumerate().
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/uri.h"
#include "service.h"

guint64 pcd_now_us(void)
{
	return (guint64)g_get_real_time();
}

char **pcd_bit_names(unsigned mask, const char *(*name)(unsigned bit))
{
	GPtrArray *a = g_ptr_array_new();

	for (unsigned bit = 1; bit && bit <= mask; bit <<= 1)
		if ((mask & bit) && name(bit))
			g_ptr_array_add(a, g_strdup(name(bit)));
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

/* The ID's pairs as a{ss}, in their order; a repeated key keeps its last
 * value, as the library reads it. */
static GVariant *id_keys(const char *text)
{
	g_auto(GStrv) pairs = g_strsplit(text ? text : "", ";", -1);
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
	GVariantBuilder b;

	for (char **p = pairs; *p; p++) {
		char *colon = strchr(*p, ':');
		guint i;

		if (!colon || colon == *p)
			continue;
		*colon = '\0';
		for (i = 0; i < keys->len; i++)
			if (!g_ascii_strcasecmp(keys->pdata[i], *p))
				break;
		if (i < keys->len) {
			g_free(values->pdata[i]);
			values->pdata[i] = g_strdup(colon + 1);
		} else {
			g_ptr_array_add(keys, g_strdup(*p));
			g_ptr_array_add(values, g_strdup(colon + 1));
		}
	}
	g_variant_builder_init(&b, G_VARIANT_TYPE("a{ss}"));
	for (guint i = 0; i < keys->len; i++)
		g_variant_builder_add(&b, "{ss}", keys->pdata[i], values->pdata[i]);
	return g_variant_builder_end(&b);
}

void pcd_device_show_id(struct pcd_device *dev, const parclass_device_id *id)
{
	const char *make = parclass_device_id_get(id, "MFG");
	const char *model = parclass_device_id_get(id, "MDL");

	pcd_device_set_device_id(dev->iface, id ? parclass_device_id_text(id) : "");
	pcd_device_set_device_id_keys(dev->iface, id_keys(id ? parclass_device_id_text(id) : ""));
	pcd_device_set_make(dev->iface, make ? make : "");
	pcd_device_set_model(dev->iface, model ? model : "");
}

void pcd_device_show_state(struct pcd_device *dev, const struct pcd_state *state)
{
	PcdDevice *i = dev->iface;
	g_auto(GStrv) names = pcd_bit_names(state->status, parclass_status_name);
	g_auto(GStrv) reasons = g_strsplit(state->reasons, ",", -1);
	const char *const *shown = pcd_device_get_reasons(i);

	if (!*state->reasons) {
		g_strfreev(reasons);
		reasons = g_new0(char *, 1);
	}
	/* LastObserved moves with the state, not with every look: a client
	 * is woken only when something changed. */
	if (pcd_device_get_last_observed(i) && pcd_device_get_status(i) == state->status &&
	    pcd_device_get_lines(i) == state->lines && shown && g_strv_equal(shown, (const char *const *)reasons) &&
	    !g_strcmp0(pcd_device_get_display_text(i), state->display) && pcd_device_get_pages(i) == state->pages &&
	    !g_strcmp0(pcd_device_get_observed_by(i), state->how))
		return;
	pcd_device_set_status(i, state->status);
	pcd_device_set_status_names(i, (const char *const *)names);
	pcd_device_set_lines(i, state->lines);
	pcd_device_set_reasons(i, (const char *const *)reasons);
	pcd_device_set_display_text(i, state->display);
	pcd_device_set_pages(i, state->pages);
	pcd_device_set_observed_by(i, state->how);
	pcd_device_set_last_observed(i, state->observed_us);
	pcd_cups_device_changed(dev);
}

static struct pcd_device *find_device(struct pcd_port *port, const char *location)
{
	for (guint i = 0; i < port->devices->len; i++) {
		struct pcd_device *dev = port->devices->pdata[i];

		if (!strcmp(dev->location, location))
			return dev;
	}
	return NULL;
}

static struct pcd_port *find_port(struct pcd_service *svc, const char *name)
{
	for (guint i = 0; i < svc->ports->len; i++) {
		struct pcd_port *port = svc->ports->pdata[i];

		if (!strcmp(port->name, name))
			return port;
	}
	return NULL;
}

static void device_free(struct pcd_device *dev)
{
	GDBusObjectManagerServer *manager = dev->port->svc->manager;

	g_dbus_object_manager_server_unexport(manager, dev->path);
	g_clear_object(&dev->iface);
	g_clear_object(&dev->object);
	g_free(dev->location);
	g_free(dev->path);
	g_free(dev);
}

static void port_free(struct pcd_port *port)
{
	/* Devices first: a client sees them go before their port. */
	g_ptr_array_free(port->devices, TRUE);
	pcd_port_unwatch(port);
	g_dbus_object_manager_server_unexport(port->svc->manager, port->path);
	parclass_port_close(port->handle);
	g_clear_object(&port->iface);
	g_clear_object(&port->object);
	g_free(port->name);
	g_free(port->location);
	g_free(port->path);
	g_free(port);
}

static struct pcd_device *device_new(struct pcd_port *port, const parclass_device_info *d)
{
	struct pcd_device *dev = g_new0(struct pcd_device, 1);
	enum parclass_location_flags flags = 0;
	int number = port->number;
	char uri[64];

	dev->port = port;
	dev->location = g_strdup(parclass_device_info_location(d));
	dev->address = PARCLASS_ADDRESS_END;
	parclass_device_info_get_address(d, &dev->address);
	parclass_location_parse(dev->location, &number, &dev->address, &flags);
	dev->behind_chain = flags & PARCLASS_LOCATION_BEHIND_CHAIN;
	if (dev->address == PARCLASS_ADDRESS_END)
		dev->path = g_strdup_printf("%s_end", port->path);
	else
		dev->path = g_strdup_printf("%s_%d", port->path, dev->address);
	device_uri(uri, sizeof uri, port->number, dev->address, dev->behind_chain);

	dev->object = pcd_object_skeleton_new(dev->path);
	dev->iface = pcd_device_skeleton_new();
	pcd_device_set_location(dev->iface, dev->location);
	pcd_device_set_port(dev->iface, port->path);
	pcd_device_set_address(dev->iface, dev->address);
	pcd_device_set_uri(dev->iface, uri);
	pcd_device_set_pages(dev->iface, -1);
	pcd_device_set_observed_by(dev->iface, "cache");
	pcd_device_show_id(dev, NULL);
	pcd_device_connect_methods(dev);
	pcd_object_skeleton_set_device(dev->object, dev->iface);
	return dev;
}

static struct pcd_port *port_new(struct pcd_service *svc, const parclass_port_info *p)
{
	struct pcd_port *port = g_new0(struct pcd_port, 1);
	int r;

	port->svc = svc;
	port->name = g_strdup(parclass_port_info_name(p));
	port->location = g_strdup(parclass_port_info_location(p));
	parclass_port_info_get_number(p, &port->number);
	port->path = g_strdup_printf("%s/%s", PCD_PATH, port->name);
	port->devices = g_ptr_array_new_with_free_func((GDestroyNotify)device_free);
	r = parclass_port_open(svc->ctx, port->location, &port->handle);
	if (r < 0)
		g_warning("%s: cannot watch its queue: %s", port->location, parclass_strerror(r));

	port->object = pcd_object_skeleton_new(port->path);
	port->iface = pcd_port_skeleton_new();
	pcd_port_set_name(port->iface, port->name);
	pcd_port_set_location(port->iface, port->location);
	pcd_port_set_holder(port->iface, g_variant_new("(uts)", 0, (guint64)0, ""));
	pcd_object_skeleton_set_port(port->object, port->iface);
	return port;
}

/* What the enumeration says of a port and its devices, into the tree. */
static void update_port(struct pcd_service *svc, const parclass_port_info *p)
{
	struct pcd_port *port = find_port(svc, parclass_port_info_name(p));
	bool probed = parclass_port_info_probed(p);
	bool added = false;
	g_auto(GStrv) modes = pcd_bit_names(parclass_port_info_modes(p), parclass_mode_name);

	if (!port) {
		port = port_new(svc, p);
		g_ptr_array_add(svc->ports, port);
		added = true;
	}
	pcd_port_set_modes(port->iface, (const char *const *)modes);
	if (added)
		g_dbus_object_manager_server_export(svc->manager, G_DBUS_OBJECT_SKELETON(port->object));

	/* Devices that went. */
	for (guint i = port->devices->len; i-- > 0;) {
		struct pcd_device *dev = port->devices->pdata[i];
		bool found = false;

		for (unsigned k = 0; k < parclass_port_info_device_count(p); k++)
			if (!strcmp(dev->location, parclass_device_info_location(parclass_port_info_device(p, k))))
				found = true;
		if (!found)
			g_ptr_array_remove_index(port->devices, i);
	}
	for (unsigned k = 0; k < parclass_port_info_device_count(p); k++) {
		const parclass_device_info *d = parclass_port_info_device(p, k);
		const parclass_device_id *id = parclass_device_info_id(d);
		struct pcd_device *dev = find_device(port, parclass_device_info_location(d));
		g_auto(GStrv) dev_modes = pcd_bit_names(parclass_device_info_modes(d), parclass_mode_name);
		bool new_device = !dev;

		if (new_device) {
			dev = device_new(port, d);
			g_ptr_array_add(port->devices, dev);
		}
		pcd_device_set_modes(dev->iface, (const char *const *)dev_modes);
		/* An ID the enumeration read now, or any ID for a new device;
		 * a port it could not probe keeps what the service knew. */
		if (id && (probed || new_device))
			pcd_device_show_id(dev, id);
		if (probed && id) {
			pcd_device_set_observed_by(dev->iface, "probe");
			pcd_device_set_last_observed(dev->iface, pcd_now_us());
		}
		/* Without a fresh ID, the first probe step reads it. */
		dev->want_id = !probed;
		if (new_device)
			g_dbus_object_manager_server_export(svc->manager, G_DBUS_OBJECT_SKELETON(dev->object));
	}
	/* Its queue from now on; a holder's report before any probe. */
	if (added)
		pcd_port_watch(port);
}

int pcd_tree_scan(struct pcd_service *svc)
{
	parclass_enumeration *e = NULL;
	int r = parclass_enumerate(svc->ctx, PCD_ENUMERATE_MS, &e);

	if (r < 0 && r != -ENODEV)
		return r;
	if (!svc->ports)
		svc->ports = g_ptr_array_new_with_free_func((GDestroyNotify)port_free);
	/* Ports that went (-ENODEV: no parallel port support at all, none left). */
	for (guint i = svc->ports->len; i-- > 0;) {
		struct pcd_port *port = svc->ports->pdata[i];
		bool found = false;

		for (unsigned k = 0; k < parclass_enumeration_port_count(e); k++)
			if (!strcmp(port->name, parclass_port_info_name(parclass_enumeration_port(e, k))))
				found = true;
		if (!found)
			g_ptr_array_remove_index(svc->ports, i);
	}
	for (unsigned k = 0; k < parclass_enumeration_port_count(e); k++)
		update_port(svc, parclass_enumeration_port(e, k));
	parclass_enumeration_free(e);
	return 0;
}

void pcd_tree_free(struct pcd_service *svc)
{
	if (svc->ports)
		g_ptr_array_free(svc->ports, TRUE);
	svc->ports = NULL;
}
