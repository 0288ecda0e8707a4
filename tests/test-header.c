/*
 * test-header.c - the public interface: parclass.h compiles as C89 and C++,
 * and the library exports exactly the functions the header declares.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

int parclass_header_c89_probe(void);
int parclass_header_cxx_probe(void);

Test(header, compiles_as_c89)
{
	cr_assert_eq(parclass_header_c89_probe(), 13, "LPT2.3 is port 1, address 3");
}

Test(header, compiles_as_cxx)
{
	cr_assert_eq(parclass_header_cxx_probe(), 42);
}

/* Function names after PARCLASS_EXPORT in the header. */
static GHashTable *declared(void)
{
	g_autofree char *path = g_build_filename(getenv("PARCLASS_SRCDIR"), "lib", "parclass.h", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GRegex) re = g_regex_new("PARCLASS_EXPORT[^;(]*?\\b(parclass_[a-z0-9_]+)\\s*\\(", G_REGEX_DOTALL, 0, NULL);
	g_autoptr(GMatchInfo) m = NULL;
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	cr_assert(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
	g_regex_match(re, text, 0, &m);
	while (g_match_info_matches(m)) {
		g_hash_table_add(set, g_match_info_fetch(m, 1));
		g_match_info_next(m, NULL);
	}
	return set;
}

Test(header, only_the_declared_functions_are_exported)
{
	g_autofree char *lib = g_build_filename(getenv("PARCLASS_BUILDDIR"), "lib", ".libs", "libparclass.so", NULL);
	g_autofree char *cmd = g_strdup_printf("nm -D --defined-only %s", lib);
	g_autofree char *out = NULL;
	g_autoptr(GHashTable) want = declared();
	g_autoptr(GHashTable) have = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_auto(GStrv) lines = NULL;
	GHashTableIter it;
	gpointer key;
	int status;

	cr_assert(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL) && status == 0, "%s failed", cmd);
	lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l; l++) {
		char **f = g_strsplit_set(*l, " \t", -1);
		guint n = g_strv_length(f);

		/* "ADDRESS T name@@VERSION"; the version node itself is an absolute symbol */
		if (n >= 3 && strcmp(f[1], "A")) {
			char *at = strchr(f[n - 1], '@');

			g_hash_table_add(have, at ? g_strndup(f[n - 1], (gsize)(at - f[n - 1])) : g_strdup(f[n - 1]));
		}
		g_strfreev(f);
	}
	cr_assert_gt(g_hash_table_size(want), 50, "the header declares %u functions", g_hash_table_size(want));
	g_hash_table_iter_init(&it, have);
	while (g_hash_table_iter_next(&it, &key, NULL))
		cr_expect(g_hash_table_contains(want, key), "%s is exported but not in parclass.h", (char *)key);
	g_hash_table_iter_init(&it, want);
	while (g_hash_table_iter_next(&it, &key, NULL))
		cr_expect(g_hash_table_contains(have, key), "%s is in parclass.h but not exported", (char *)key);
}
