/*
 * cups.c - parclassd and the CUPS queues: which queues print to a device
 * (the Device's Queues), and, when the CupsPush setting is on, a device's
 * idle state in those queues' printer-state-reasons and -message
 *
 * cupsd learns a printer's state only while a job runs. With CupsPush on,
 * a state change seen while no job runs is pushed into every queue whose
 * device-uri is the device's Uri by CUPS-Add-Modify-Printer, the one
 * operation with which CUPS lets root or its system group set a queue's
 * reasons. That operation replaces the whole set, rewrites printers.conf,
 * fires a printer-modified event and logs a line: so the service replaces
 * only the keywords the backend itself sets (common/reasons.h) and keeps
 * every other one, pushes only a change, at most once per queue per poll
 * interval, and never to a queue that is processing a job (the job's
 * backend owns the state then). It never sends printer-state (cupsd would
 * restart the job) nor anything else.
 *
 * Talks to cupsd only (cupsServer(): the domain socket or CUPS_SERVER),
 * with bounded waits; never to a port.
 */
#include "config.h"

#include <cups/cups.h>
#include <string.h>

#include "common/reasons.h"
#include "service.h"

/* How long a call to cupsd may take before the service gives up on it. */
#define CUPS_CONNECT_MS 2000
#define CUPS_REPLY_S 5.0

struct queue {
	char *name;
	char *uri;
	ipp_pstate_t state;
	char **reasons;           /* printer-state-reasons, "none" left out */
	char *message;
};

/* What the service last pushed into a queue. */
struct pushed {
	gint64 when;              /* monotonic microseconds */
	char *message;
};

struct pcd_cups {
	GPtrArray *queues;        /* struct queue: cupsd's last answer */
	gint64 queried;           /* when (monotonic), 0: ask at the next tick */
	GHashTable *pushed;       /* queue name -> struct pushed */
	GHashTable *pending;      /* device URI -> itself: a push that waits */
	guint retry;              /* the rate limit's timer */
};

static void queue_free(struct queue *q)
{
	g_free(q->name);
	g_free(q->uri);
	g_strfreev(q->reasons);
	g_free(q->message);
	g_free(q);
}

static void pushed_free(struct pushed *p)
{
	g_free(p->message);
	g_free(p);
}

static struct pcd_cups *cups_of(struct pcd_service *svc)
{
	if (!svc->cups) {
		svc->cups = g_new0(struct pcd_cups, 1);
		svc->cups->queues = g_ptr_array_new_with_free_func((GDestroyNotify)queue_free);
		svc->cups->pushed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)pushed_free);
		svc->cups->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	}
	return svc->cups;
}

static gint64 poll_us(struct pcd_service *svc)
{
	return (gint64)pcd_manager_get_poll_interval(svc->manager_iface) * 1000;
}

static http_t *connect_cupsd(void)
{
	http_t *http = httpConnect2(cupsServer(), ippPort(), NULL, AF_UNSPEC, cupsEncryption(), 1,
				    CUPS_CONNECT_MS, NULL);

	if (http)
		httpSetTimeout(http, CUPS_REPLY_S, NULL, NULL);
	return http;
}

/* What was pushed into queues that are no longer there. */
static void forget_gone(struct pcd_cups *cups)
{
	GHashTableIter iter;
	gpointer name;

	g_hash_table_iter_init(&iter, cups->pushed);
	while (g_hash_table_iter_next(&iter, &name, NULL)) {
		bool found = false;

		for (guint i = 0; i < cups->queues->len && !found; i++)
			found = !strcmp(((struct queue *)cups->queues->pdata[i])->name, name);
		if (!found)
			g_hash_table_iter_remove(&iter);
	}
}

/* cupsd's queues (name, device-uri, state, reasons, message) into
 * cups->queues; false when cupsd did not answer (the old list stays). */
static bool query(struct pcd_service *svc)
{
	static const char *const wanted[] = { "printer-name", "device-uri", "printer-state",
					      "printer-state-reasons", "printer-state-message" };
	struct pcd_cups *cups = cups_of(svc);
	http_t *http = connect_cupsd();
	ipp_t *request, *answer;
	struct queue *q = NULL;
	GPtrArray *queues;

	cups->queried = g_get_monotonic_time();
	if (!http)
		return false;
	request = ippNewRequest(IPP_OP_CUPS_GET_PRINTERS);
	ippAddStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
		      (int)G_N_ELEMENTS(wanted), NULL, wanted);
	answer = cupsDoRequest(http, request, "/");
	httpClose(http);
	/* No queues at all is "not found": an empty list. */
	if (!answer || (cupsLastError() > IPP_STATUS_OK_EVENTS_COMPLETE &&
			cupsLastError() != IPP_STATUS_ERROR_NOT_FOUND)) {
		g_debug("CUPS-Get-Printers: %s", cupsLastErrorString());
		ippDelete(answer);
		return false;
	}
	queues = g_ptr_array_new_with_free_func((GDestroyNotify)queue_free);
	for (ipp_attribute_t *a = ippFirstAttribute(answer); a; a = ippNextAttribute(answer)) {
		const char *name = ippGetName(a);

		/* Each printer is a group of its own. */
		if (ippGetGroupTag(a) != IPP_TAG_PRINTER || !name) {
			q = NULL;
			continue;
		}
		if (!q) {
			q = g_new0(struct queue, 1);
			g_ptr_array_add(queues, q);
		}
		if (!strcmp(name, "printer-name") && !q->name) {
			q->name = g_strdup(ippGetString(a, 0, NULL));
		} else if (!strcmp(name, "device-uri") && !q->uri) {
			q->uri = g_strdup(ippGetString(a, 0, NULL));
		} else if (!strcmp(name, "printer-state")) {
			q->state = (ipp_pstate_t)ippGetInteger(a, 0);
		} else if (!strcmp(name, "printer-state-message") && !q->message) {
			q->message = g_strdup(ippGetString(a, 0, NULL));
		} else if (!strcmp(name, "printer-state-reasons") && !q->reasons) {
			GPtrArray *r = g_ptr_array_new();

			for (int i = 0; i < ippGetCount(a); i++) {
				const char *k = ippGetString(a, i, NULL);

				if (k && strcmp(k, "none"))
					g_ptr_array_add(r, g_strdup(k));
			}
			g_ptr_array_add(r, NULL);
			q->reasons = (char **)g_ptr_array_free(r, FALSE);
		}
	}
	ippDelete(answer);
	for (guint i = queues->len; i-- > 0;) {
		q = queues->pdata[i];
		if (!q->name || !q->uri)
			g_ptr_array_remove_index(queues, i);
	}
	g_ptr_array_unref(cups->queues);
	cups->queues = queues;
	forget_gone(cups);
	return true;
}

/* A keyword the backend sets (and so the service may replace). */
static bool owned(const char *keyword)
{
	return reason_from_keyword(keyword, strlen(keyword)) != 0;
}

static const char *phrase(const char *keyword)
{
	static const char *const phrases[][2] = {
		{ "media-empty-error", "Out of paper" },   { "media-jam-error", "Paper jam" },
		{ "door-open-error", "Door open" },        { "offline-report", "Off line" },
		{ "toner-low-warning", "Toner low" },      { "toner-empty-error", "Toner empty" },
		{ "other-error", "Printer error" },        { "other-warning", "Printer warning" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(phrases); i++)
		if (!strcmp(keyword, phrases[i][0]))
			return phrases[i][1];
	return NULL;
}

/* What the state message says of the device: its display, else what its
 * reasons mean; "" when all is well. */
static char *message_of(PcdDevice *iface)
{
	const char *const *reasons = pcd_device_get_reasons(iface);
	const char *display = pcd_device_get_display_text(iface);
	GString *s = g_string_new(NULL);

	if (!reasons || !reasons[0])
		return g_string_free(s, FALSE);
	if (display && *display)
		return g_string_free(g_string_append(s, display), FALSE);
	for (const char *const *r = reasons; *r; r++)
		if (phrase(*r))
			g_string_append_printf(s, "%s%s", s->len ? ", " : "", phrase(*r));
	return g_string_free(s, FALSE);
}

static bool same_set(char **a, char **b)
{
	if (g_strv_length(a) != g_strv_length(b))
		return false;
	for (char **k = a; *k; k++)
		if (!g_strv_contains((const char *const *)b, *k))
			return false;
	return true;
}

/* CUPS-Add-Modify-Printer with the reasons (and the message, when there
 * is one to set or ours to clear). */
static bool modify(const char *queue, char **reasons, const char *message)
{
	static const char *const none[] = { "none" };
	char uri[HTTP_MAX_URI];
	http_t *http = connect_cupsd();
	ipp_t *request, *answer;
	guint n = g_strv_length(reasons);

	if (!http) {
		g_warning("CUPS queue %s: cannot reach cupsd at %s", queue, cupsServer());
		return false;
	}
	httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof uri, "ipp", NULL, "localhost", ippPort(),
			 "/printers/%s", queue);
	request = ippNewRequest(IPP_OP_CUPS_ADD_MODIFY_PRINTER);
	ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
	ippAddStrings(request, IPP_TAG_PRINTER, IPP_TAG_KEYWORD, "printer-state-reasons", n ? (int)n : 1, NULL,
		      n ? (const char *const *)reasons : none);
	if (message)
		ippAddString(request, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-state-message", NULL, message);
	answer = cupsDoRequest(http, request, "/admin/");
	httpClose(http);
	ippDelete(answer);
	if (cupsLastError() > IPP_STATUS_OK_EVENTS_COMPLETE) {
		g_warning("CUPS queue %s: cannot set its state: %s", queue, cupsLastErrorString());
		return false;
	}
	return true;
}

static void schedule_retry(struct pcd_service *svc, gint64 in_us);

/* Push @dev's state into its queues; what cannot go now waits in
 * cups->pending. Asks cupsd afresh: whether a queue is processing must be
 * true now, not a poll interval ago. */
static void push(struct pcd_service *svc, struct pcd_device *dev)
{
	struct pcd_cups *cups = cups_of(svc);
	const char *uri = pcd_device_get_uri(dev->iface);
	const char *const *ours = pcd_device_get_reasons(dev->iface);
	g_autofree char *message = message_of(dev->iface);
	gint64 now = g_get_monotonic_time();
	bool waits = false;

	if (!query(svc)) {
		/* cupsd down or busy: once more at the next tick */
		g_hash_table_add(cups->pending, g_strdup(uri));
		return;
	}
	g_hash_table_remove(cups->pending, uri);
	for (guint i = 0; i < cups->queues->len; i++) {
		struct queue *q = cups->queues->pdata[i];
		struct pushed *p = g_hash_table_lookup(cups->pushed, q->name);
		const char *q_message = q->message ? q->message : "";
		g_autoptr(GPtrArray) reasons = g_ptr_array_new_with_free_func(g_free);
		const char *send_message = NULL;
		char *message_kept;

		if (strcmp(q->uri, uri))
			continue;
		for (char **k = q->reasons; k && *k; k++)
			if (!owned(*k))
				g_ptr_array_add(reasons, g_strdup(*k));
		for (const char *const *k = ours; k && *k; k++)
			g_ptr_array_add(reasons, g_strdup(*k));
		g_ptr_array_add(reasons, NULL);
		/* A message of someone else's stays while the device is well. */
		if (*message || (p && p->message && !strcmp(q_message, p->message)))
			send_message = message;
		if (same_set((char **)reasons->pdata, q->reasons) &&
		    (!send_message || !strcmp(send_message, q_message)))
			continue;
		/* The job's backend tells cupsd; what is still true after the
		 * job goes in at a later tick. */
		if (q->state == IPP_PSTATE_PROCESSING) {
			waits = true;
			continue;
		}
		if (p && now - p->when < poll_us(svc)) {
			waits = true;
			schedule_retry(svc, p->when + poll_us(svc) - now);
			continue;
		}
		if (!modify(q->name, (char **)reasons->pdata, send_message))
			continue;
		/* (replacing frees the old record: take what stays of it first) */
		message_kept = g_strdup(send_message ? send_message : (p && p->message ? p->message : ""));
		p = g_new0(struct pushed, 1);
		p->when = now;
		p->message = message_kept;
		g_hash_table_replace(cups->pushed, g_strdup(q->name), p);
	}
	if (waits)
		g_hash_table_add(cups->pending, g_strdup(uri));
}

static struct pcd_device *device_of(struct pcd_service *svc, const char *uri)
{
	for (guint i = 0; svc->ports && i < svc->ports->len; i++) {
		struct pcd_port *port = svc->ports->pdata[i];

		for (guint k = 0; k < port->devices->len; k++) {
			struct pcd_device *dev = port->devices->pdata[k];

			if (!strcmp(pcd_device_get_uri(dev->iface), uri))
				return dev;
		}
	}
	return NULL;
}

/* The pushes that waited, once more (a device that went is forgotten). */
static void push_pending(struct pcd_service *svc)
{
	struct pcd_cups *cups = cups_of(svc);
	g_autofree char **uris = (char **)g_hash_table_get_keys_as_array(cups->pending, NULL);

	for (char **u = uris; *u; u++) {
		struct pcd_device *dev = device_of(svc, *u);

		if (dev)
			push(svc, dev);
		else
			g_hash_table_remove(cups->pending, *u);
	}
}

static gboolean on_retry(gpointer data)
{
	struct pcd_service *svc = data;

	svc->cups->retry = 0;
	if (pcd_manager_get_cups_push(svc->manager_iface))
		push_pending(svc);
	return G_SOURCE_REMOVE;
}

static void schedule_retry(struct pcd_service *svc, gint64 in_us)
{
	struct pcd_cups *cups = cups_of(svc);

	if (!cups->retry)
		cups->retry = g_timeout_add((guint)((in_us + 999) / 1000), on_retry, svc);
}

/* Each Device's Queues from cupsd's last answer. */
static void show_queues(struct pcd_service *svc)
{
	struct pcd_cups *cups = cups_of(svc);

	for (guint i = 0; svc->ports && i < svc->ports->len; i++) {
		struct pcd_port *port = svc->ports->pdata[i];

		for (guint k = 0; k < port->devices->len; k++) {
			struct pcd_device *dev = port->devices->pdata[k];
			const char *uri = pcd_device_get_uri(dev->iface);
			g_autoptr(GPtrArray) names = g_ptr_array_new();

			for (guint n = 0; n < cups->queues->len; n++) {
				struct queue *q = cups->queues->pdata[n];

				if (!strcmp(q->uri, uri))
					g_ptr_array_add(names, q->name);
			}
			g_ptr_array_add(names, NULL);
			pcd_device_set_queues(dev->iface, (const char *const *)names->pdata);
		}
	}
}

void pcd_cups_device_changed(struct pcd_device *dev)
{
	struct pcd_service *svc = dev->port->svc;

	if (pcd_manager_get_cups_push(svc->manager_iface))
		push(svc, dev);
}

void pcd_cups_tick(struct pcd_service *svc)
{
	struct pcd_cups *cups = cups_of(svc);
	bool on = pcd_manager_get_cups_push(svc->manager_iface);

	/* Without CupsPush cupsd is asked at start-up and on Rescan only;
	 * with it at most once per poll interval (a push asks too). */
	if (on)
		push_pending(svc);
	if (!cups->queried || (on && g_get_monotonic_time() - cups->queried >= poll_us(svc)))
		query(svc);
	show_queues(svc);
}

void pcd_cups_rescan(struct pcd_service *svc)
{
	cups_of(svc)->queried = 0;
}

void pcd_cups_free(struct pcd_service *svc)
{
	struct pcd_cups *cups = svc->cups;

	if (!cups)
		return;
	if (cups->retry)
		g_source_remove(cups->retry);
	g_ptr_array_unref(cups->queues);
	g_hash_table_destroy(cups->pushed);
	g_hash_table_destroy(cups->pending);
	g_free(cups);
	svc->cups = NULL;
}
