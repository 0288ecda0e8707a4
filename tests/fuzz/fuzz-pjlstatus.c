/*
 * fuzz-pjlstatus.c - libFuzzer harness for the PJL status reader and scanner
 *
 * The reader (pjl_reader_feed) gets what the printer sends back, the
 * scanner (pjl_scan_feed) the job's forward data; both get it in whatever
 * pieces the port delivers. Input layout:
 *
 *   byte 0        n: how many cut sizes follow (n % 16)
 *   bytes 1..n    the sizes of the reads, used in turn (0: an empty read)
 *   the rest      the stream
 *
 * The stream goes through a reader and a scanner whole and through others
 * cut into those reads: the messages (every field), the count of garbled
 * messages and what the scanner concluded must be the same, since the
 * reader splits messages at form feeds only and keeps what came between.
 * Every message must keep the promises of struct pjl_message.
 */
#include "config.h"

#define FUZZ_NAME "fuzz-pjlstatus"
#include "fuzz.h"

#include "common/pjl.h"
#include "common/reasons.h"

struct messages {
	struct pjl_message *v;
	size_t n, cap;
};

static void check_message(const struct pjl_message *m)
{
	size_t len = strnlen(m->text, sizeof m->text);

	fuzz_assert(len <= PJL_TEXT_MAX, "text not NUL-terminated");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)m->text[i];

		/* The text goes into quoted ATTR: values for cupsd. */
		fuzz_assert(c >= 0x20 && c <= 0x7e && c != '"' && c != '\\', "byte 0x%02x in the text \"%s\"", c,
			    m->text);
	}
	fuzz_assert(m->kind >= PJL_DEVICE && m->kind <= PJL_OTHER, "kind %d", (int)m->kind);
	fuzz_assert(m->online >= -1 && m->online <= 1, "online %d", m->online);
	fuzz_assert(m->pages >= -1 && m->pages <= 99999999, "pages %d", m->pages);
	if (m->kind == PJL_DEVICE)
		fuzz_assert(m->code >= 10000 && m->code <= 69999, "device status code %d", m->code);
	else
		fuzz_assert(m->code == 0 && m->online == -1, "kind %d with code %d online %d", (int)m->kind, m->code,
			    m->online);
	if (m->kind == PJL_PAGE)
		fuzz_assert(m->pages >= 0, "a page message without its page");
	if (m->kind != PJL_PAGE && m->kind != PJL_JOB_END)
		fuzz_assert(m->pages == -1, "kind %d with pages %d", (int)m->kind, m->pages);
	/* What the backend makes of a code: always an answer. */
	fuzz_assert(pjl_code_text(m->code) && pjl_code_alert(m->code), "code %d has no text", m->code);
	fuzz_assert(!(pjl_code_reasons(m->code) & ~(unsigned)REASON_ALL), "code %d: unknown reasons", m->code);
}

static void collect(const struct pjl_message *m, void *userdata)
{
	struct messages *ms = userdata;

	check_message(m);
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? 2 * ms->cap : 16;
		ms->v = realloc(ms->v, ms->cap * sizeof *ms->v);
		if (!ms->v)
			abort();
	}
	ms->v[ms->n++] = *m;
}

/* Empty reads between others are fine; only empty ones would never end. */
static int any_nonzero(const uint8_t *cuts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cuts[i])
			return 1;
	return 0;
}

static int same_message(const struct pjl_message *a, const struct pjl_message *b)
{
	return a->kind == b->kind && a->code == b->code && a->online == b->online && a->pages == b->pages &&
	       !strcmp(a->text, b->text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pjl_reader *whole = malloc(sizeof *whole), *cut = malloc(sizeof *cut);
	struct pjl_scan scan_whole, scan_cut;
	struct messages mw = { 0 }, mc = { 0 };
	const uint8_t *cuts, *stream;
	size_t ncuts, len, off = 0, k = 0;

	if (!whole || !cut)
		abort();
	if (!size)
		ncuts = 0;
	else
		ncuts = data[0] % 16 < size - 1 ? data[0] % 16 : size - 1;
	cuts = data + 1;
	stream = data + (size ? 1 + ncuts : 0);
	len = size ? size - 1 - ncuts : 0;

	pjl_reader_init(whole);
	pjl_scan_init(&scan_whole);
	pjl_reader_feed(whole, stream, len, collect, &mw);
	pjl_scan_feed(&scan_whole, stream, len);

	pjl_reader_init(cut);
	pjl_scan_init(&scan_cut);
	while (off < len) {
		size_t n = ncuts && any_nonzero(cuts, ncuts) ? cuts[k++ % ncuts] : len;
		char *piece;

		if (n > len - off)
			n = len - off;
		/* Each read in a buffer of its own: ASan sees a reader that
		 * looks back into an earlier read or beyond this one. */
		piece = fuzz_string(stream + off, n);
		pjl_reader_feed(cut, piece, n, collect, &mc);
		pjl_scan_feed(&scan_cut, piece, n);
		free(piece);
		off += n;
	}

	fuzz_assert(mw.n == mc.n, "%zu messages whole, %zu cut", mw.n, mc.n);
	for (size_t i = 0; i < mw.n; i++)
		fuzz_assert(same_message(&mw.v[i], &mc.v[i]), "message %zu: kind %d code %d \"%s\" whole, kind %d "
			    "code %d \"%s\" cut", i, (int)mw.v[i].kind, mw.v[i].code, mw.v[i].text, (int)mc.v[i].kind,
			    mc.v[i].code, mc.v[i].text);
	fuzz_assert(whole->garbled == cut->garbled, "%u garbled whole, %u cut", whole->garbled, cut->garbled);
	fuzz_assert(whole->len == cut->len && whole->skipping == cut->skipping &&
		    !memcmp(whole->buf, cut->buf, whole->len), "what waits for its form feed differs");
	fuzz_assert(whole->len <= sizeof whole->buf, "buffered %zu bytes", whole->len);
	fuzz_assert(scan_whole.job_status_on == scan_cut.job_status_on, "job status %d whole, %d cut",
		    scan_whole.job_status_on, scan_cut.job_status_on);
	fuzz_assert(scan_whole.ends_expected == scan_cut.ends_expected, "%u EOJs whole, %u cut",
		    scan_whole.ends_expected, scan_cut.ends_expected);
	fuzz_assert(scan_whole.line_len <= sizeof scan_whole.line && scan_cut.line_len <= sizeof scan_cut.line,
		    "scanner line of %zu bytes", scan_whole.line_len);

	free(mw.v);
	free(mc.v);
	free(whole);
	free(cut);
	return 0;
}
