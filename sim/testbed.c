/*
 * testbed.c - the files clients see: /dev/parportN, /proc/sys/dev/parport
 *
 * The /proc files follow drivers/parport/procfs.c. When run as root the nodes
 * and their sockets get Debian's ownership and mode for /dev/parport*
 * (root:lp 0660), so that a backend running as lp under cupsd can use them,
 * and nobody else.
 */
#include "config.h"

#include "testbed.h"

#include "lp.h"
#include "ppdev.h"
#include "wire.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <linux/parport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <umockdev.h>
#include <unistd.h>

#define PPDEV_MAJOR 99
#define LP_MAJOR 6
#define MAX_NODES 8   /* libieee1284 looks at /dev/parport0..7 */

static UMockdevTestbed *testbed;
static char *root;
static GPtrArray *listeners;
static char *preload;
static char *default_socket;  /* umockdev's ioctl/_default */

const char *sim_testbed_root(void)
{
	return root;
}

const char *sim_testbed_preload(void)
{
	return preload;
}

/* root:lp 0660 like Debian's /dev/parport*, when we may. */
static void node_permissions(const char *path)
{
	struct group *lp;

	if (geteuid() != 0)
		return;
	lp = getgrnam("lp");
	if (lp && chown(path, 0, lp->gr_gid) == 0)
		g_chmod(path, 0660);
}

static bool write_file(const char *dir, const char *name, const char *content, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *parent = g_path_get_dirname(path);

	if (g_mkdir_with_parents(parent, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", parent,
			    g_strerror(errno));
		return false;
	}
	return g_file_set_contents(path, content, -1, error) && g_chmod(path, 0644) == 0;
}

/* The node of a port the kernel registered, and its sysfs entry. */
static bool make_node(const char *name, unsigned minor, GError **error)
{
	g_autofree char *dev = g_strdup_printf("/dev/%s", name);
	g_autofree char *maj_min = g_strdup_printf("%u:%u", PPDEV_MAJOR, minor);
	g_autofree char *node = g_build_filename(root, "dev", name, NULL);
	g_autofree char *syspath = NULL;

	/* sysfs entry and the major:minor that stat() reports for the node */
	syspath = umockdev_testbed_add_device(testbed, "ppdev", name, NULL, "dev", maj_min, NULL, "DEVNAME", dev,
					      NULL);
	if (!syspath) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "umockdev could not add %s", dev);
		return false;
	}
	g_remove(node);  /* the stand-in of a port that was not there */
	if (!write_file(root, dev + 1, "", error))
		return false;
	node_permissions(node);
	return true;
}

/*
 * ppdev has a node only for a port the kernel registered. In its place the
 * test bed holds a socket: umockdev hands a /dev path to the test bed only
 * when the test bed has the file, so without one a client would reach the
 * real /dev/parportN, and opening a socket fails with ENXIO, the kernel's
 * answer for a parallel port minor with no port behind it.
 */
static bool make_stand_in(const char *name, GError **error)
{
	g_autofree char *dir = g_build_filename(root, "dev", NULL);
	g_autofree char *node = g_build_filename(dir, name, NULL);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (g_mkdir_with_parents(dir, 0755) < 0 || strlen(node) >= sizeof sa.sun_path) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot create %s", node);
		return false;
	}
	strcpy(sa.sun_path, node);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof sa);
	if (r < 0)
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s", node,
			    g_strerror(errno));
	if (fd >= 0)
		close(fd);
	return r == 0;
}

/* The socket umockdev's preload sends the calls on an open node to. */
static bool listen_node(const char *name, struct sim_port *p, GError **error)
{
	g_autofree char *sock_dir = g_build_filename(root, "ioctl", "dev", NULL);
	g_autofree char *sock = g_build_filename(sock_dir, name, NULL);
	struct sim_listener *l;

	if (g_mkdir_with_parents(sock_dir, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s", sock_dir);
		return false;
	}
	l = sim_wire_listen(sock, &sim_ppdev_ops, p, error);
	if (!l)
		return false;
	node_permissions(sock);
	g_ptr_array_add(listeners, l);
	return true;
}

static char *modes_text(unsigned modes)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ PARPORT_MODE_PCSPP, "PCSPP" }, { PARPORT_MODE_TRISTATE, "TRISTATE" },
		{ PARPORT_MODE_COMPAT, "COMPAT" }, { PARPORT_MODE_EPP, "EPP" },
		{ PARPORT_MODE_ECP, "ECP" }, { PARPORT_MODE_DMA, "DMA" },
	};
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (modes & names[i].bit)
			g_string_append_printf(s, "%s%s", s->len ? "," : "", names[i].name);
	g_string_append_c(s, '\n');
	return g_string_free(s, FALSE);
}

static bool write_autoprobe(const char *dir, const char *name, struct sim_device *d, GError **error)
{
	g_autofree char *text = NULL;

	if (d && sim_device_model(d)->autoprobe)
		text = sim_autoprobe_text(sim_device_model(d)->raw_id);
	return write_file(dir, name, text ? text : "", error);
}

/* /proc/sys/dev/parport/<port>/devices/active; rewritten at every claim and
 * release, so in place (g_file_set_contents() would fsync a temporary copy). */
void sim_testbed_show_holder(struct sim_port *p, const char *holder)
{
	g_autofree char *path = NULL;
	FILE *f;

	if (p->gone || !p->proc_dir)
		return;
	path = g_build_filename(p->proc_dir, "devices", "active", NULL);
	f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", holder ? holder : "none");
	fclose(f);
}

static void show_active(void *ctx, struct sim_port *p, bool claimed)
{
	/* ppdev registers its pardevices as "ppdev<minor>". */
	g_autofree char *name = g_strdup_printf("ppdev%x", p->index);

	sim_testbed_show_holder(p, claimed ? name : NULL);
}

static void remove_tree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		g_dir_close(d);
	}
	g_remove(path);
}

/* An unplugged port leaves /proc; its node stays so that no client falls
 * through to a real port of the same name (its calls fail like a dead port's). */
static void port_gone(void *ctx, struct sim_port *p)
{
	remove_tree(p->proc_dir);
}

/* The port's entries in /proc, as the kernel shows a registered port. */
static bool write_proc(struct sim_port *p, GError **error)
{
	g_autofree char *base = NULL, *modes = NULL, *irq = NULL, *dma = NULL;
	const char *dir = p->proc_dir;

	base = g_strdup_printf("%lu\t%lu\n", p->base, p->base_hi);
	irq = g_strdup_printf("%d\n", p->irq);
	dma = g_strdup_printf("%d\n", p->dma);
	modes = modes_text(p->modes);
	if (!write_file(dir, "base-addr", base, error) || !write_file(dir, "irq", irq, error) ||
	    !write_file(dir, "dma", dma, error) || !write_file(dir, "modes", modes, error) ||
	    !write_file(dir, "spintime", "500\n", error) || !write_file(dir, "devices/active", "none\n", error) ||
	    !write_autoprobe(dir, "autoprobe", p->end, error))
		return false;
	for (unsigned i = 0; i < SIM_MAX_CHAIN; i++) {
		g_autofree char *name = g_strdup_printf("autoprobe%u", i);

		if (!write_autoprobe(dir, name, i < p->n_chain ? p->chain[i] : NULL, error))
			return false;
	}
	return true;
}

/* An absent port appears: the kernel registered it, udev made its node. */
static void port_appeared(void *ctx, struct sim_port *p)
{
	g_autoptr(GError) error = NULL;

	if (!write_proc(p, &error) || !make_node(p->name, p->index, &error))
		g_warning("%s: %s", p->name, error->message);
}

const struct sim_ppdev_hooks sim_testbed_ppdev_hooks = {
	.port_gone = port_gone,
	.port_appeared = port_appeared,
	.active = show_active,
};

bool sim_testbed_add_port(struct sim_port *p, GError **error)
{
	g_autofree char *node = g_build_filename(root, "dev", p->name, NULL);
	char real[PATH_MAX];

	p->proc_dir = g_build_filename(root, "proc", "sys", "dev", "parport", p->name, NULL);
	/* A port-absent port has neither /proc entries nor a node until it appears. */
	if (p->gone ? !make_stand_in(p->name, error) : !write_proc(p, error) || !make_node(p->name, p->index, error))
		return false;
	p->node_path = g_strdup(realpath(node, real) ? real : node);
	return listen_node(p->name, p, error);
}

bool sim_testbed_finish(unsigned first_free, GError **error)
{
	g_autofree char *dev_port = g_build_filename(root, "dev", "port", NULL);
	g_autofree char *defaults = g_build_filename(root, "proc", "sys", "dev", "parport", "default", NULL);

	for (unsigned i = first_free; i < MAX_NODES; i++) {
		g_autofree char *name = g_strdup_printf("parport%u", i);

		if (!make_stand_in(name, error))
			return false;
	}
	/* /dev/port as a directory: opening it for raw I/O fails. */
	if (g_mkdir_with_parents(dev_port, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s", dev_port);
		return false;
	}
	if (!write_file(defaults, "spintime", "500\n", error) || !write_file(defaults, "timeslice", "200\n", error))
		return false;
	return true;
}

/*
 * /dev/lp0..7: a node (char major 6) served by the lp emulation for each port
 * the lp driver is bound to. Every other minor is a socket file: opening it
 * fails with ENXIO, as a static lp node with no port behind it does, and
 * never reaches a real /dev/lpN (umockdev passes a path that does not exist
 * in the test bed through to the real one).
 */
bool sim_testbed_add_lp(struct sim_port **ports, unsigned n_ports, GError **error)
{
	g_autofree char *sock_dir = g_build_filename(root, "ioctl", "dev", NULL);

	if (g_mkdir_with_parents(sock_dir, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s", sock_dir);
		return false;
	}
	for (unsigned i = 0; i < MAX_NODES; i++) {
		g_autofree char *name = g_strdup_printf("lp%u", i);
		g_autofree char *dev = g_strdup_printf("/dev/%s", name);
		g_autofree char *node = g_build_filename(root, "dev", name, NULL);
		g_autofree char *maj_min = g_strdup_printf("%u:%u", LP_MAJOR, i);
		g_autofree char *sock = g_build_filename(sock_dir, name, NULL);
		g_autofree char *syspath = NULL;
		struct sim_listener *l;

		if (i >= n_ports || !ports[i]->model->lp_driver) {
			if (mknod(node, S_IFSOCK | 0666, 0) < 0) {
				g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
					    node, g_strerror(errno));
				return false;
			}
			continue;
		}
		syspath = umockdev_testbed_add_device(testbed, "printer", name, NULL, "dev", maj_min, NULL, "DEVNAME",
						      dev, NULL);
		if (!syspath) {
			g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "umockdev could not add %s", dev);
			return false;
		}
		if (!write_file(root, dev + 1, "", error))
			return false;
		node_permissions(node);
		l = sim_wire_listen(sock, &sim_lp_ops, ports[i], error);
		if (!l)
			return false;
		node_permissions(sock);
		g_ptr_array_add(listeners, l);
	}
	return true;
}

bool sim_testbed_create(GError **error)
{
	testbed = umockdev_testbed_new();
	root = umockdev_testbed_get_root_dir(testbed);
	listeners = g_ptr_array_new();
	preload = g_file_test(UMOCKDEV_PRELOAD_PATH, G_FILE_TEST_EXISTS) ? g_strdup(UMOCKDEV_PRELOAD_PATH)
									    : g_strdup(UMOCKDEV_PRELOAD);
	/* A backend running as another user (lp under cupsd) must reach the nodes. */
	if (g_chmod(root, 0755) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot open up %s", root);
		return false;
	}
	/* umockdev's own socket, which its preload library connects to at start-up. */
	default_socket = g_build_filename(root, "ioctl", "_default", NULL);
	node_permissions(default_socket);
	return true;
}

void sim_testbed_destroy(void)
{
	if (listeners) {
		for (guint i = 0; i < listeners->len; i++)
			sim_wire_close(g_ptr_array_index(listeners, i));
		g_ptr_array_unref(listeners);
		listeners = NULL;
	}
	g_clear_object(&testbed);  /* removes the directory */
	g_clear_pointer(&root, g_free);
	g_clear_pointer(&preload, g_free);
	g_clear_pointer(&default_socket, g_free);
}
