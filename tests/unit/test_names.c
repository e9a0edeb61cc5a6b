// SPDX-License-Identifier: MIT
/* Name table: interning, id binding, unknown ids. */
#include <sys/resource.h>

#include "core/names.h"
#include "test.h"

FT_TEST(names_intern_shares_equal_strings)
{
	struct names *n = names__new();
	const char *a = names__intern(n, "fib", 3);
	const char *b = names__intern(n, "fibonacci", 3);
	const char *c = names__intern(n, "fib\0junk", 8);

	FT_EQ_STR(a, "fib");
	FT_TRUE(a == b);
	FT_TRUE(a == c);
	FT_EQ_INT(names__strings(n), 1);
	names__free(n);
}

FT_TEST(names_intern_many_grows_table)
{
	struct names *n = names__new();
	char buf[32];
	const char *first[5000];

	for (int i = 0; i < 5000; i++) {
		int len = snprintf(buf, sizeof(buf), "func_%d", i);
		first[i] = names__intern(n, buf, len);
		FT_TRUE(first[i]);
	}
	for (int i = 0; i < 5000; i++) {
		int len = snprintf(buf, sizeof(buf), "func_%d", i);
		FT_TRUE(names__intern(n, buf, len) == first[i]);
	}
	FT_EQ_INT(names__strings(n), 5000);
	names__free(n);
}

FT_TEST(names_bind_and_get)
{
	struct names *n = names__new();

	FT_EQ_INT(names__bind(n, 3, "main", 4, "/app.py", 7, 10, 0), 0);
	FT_EQ_INT(names__bind(n, 70000, "naïve", 6, "/app.py", 7, 20, FT_NAME_CUT), 0);
	const struct ft_name *a = names__get(n, 3), *b = names__get(n, 70000);
	FT_EQ_STR(a->func, "main");
	FT_EQ_INT(a->line, 10);
	FT_EQ_STR(b->func, "naïve");
	FT_EQ_INT(b->flags, FT_NAME_CUT);
	FT_TRUE(a->file == b->file); /* interned */
	FT_EQ_INT(names__ids(n), 2);
	/* the same name again changes nothing */
	FT_EQ_INT(names__bind(n, 3, "main", 4, "/app.py", 7, 10, 0), 0);
	FT_EQ_INT(names__ids(n), 2);
	FT_EQ_INT(names__id(n, 3), 3);
	names__free(n);
}

/* An id bound again to another name (a damaged or crafted file; BPF never
 * reuses an id) must not rename what was named before: the new name gets
 * an id of its own, which the wire id stands for from then on. */
FT_TEST(names_rebinding_never_renames)
{
	struct names *n = names__new();

	FT_EQ_INT(names__bind(n, 1, "work", 4, "/m0.py", 6, 1, 0), 0);
	FT_EQ_INT(names__bind(n, 2, "outer", 5, "/m0.py", 6, 5, 0), 0);
	FT_EQ_INT(names__id(n, 1), 1);
	FT_EQ_INT(names__bind(n, 1, "work", 4, "/m1.py", 6, 1, 0), 0);
	uint32_t a = names__id(n, 1);
	FT_TRUE(a != 1 && a != 2 && a != 0);
	FT_EQ_STR(names__get(n, 1)->file, "/m0.py"); /* the calls before keep it */
	FT_EQ_STR(names__get(n, a)->file, "/m1.py");
	FT_EQ_INT(names__ids(n), 3);
	/* again with the alias's name: nothing new */
	FT_EQ_INT(names__bind(n, 1, "work", 4, "/m1.py", 6, 1, 0), 0);
	FT_EQ_INT(names__id(n, 1), a);
	FT_EQ_INT(names__ids(n), 3);
	/* a wire id equal to the alias: its own id again, and an unbound one
	 * there is unknown, never the alias's name */
	FT_EQ_INT(names__id(n, a), 0);
	FT_EQ_INT(names__bind(n, a, "late", 4, "/m2.py", 6, 7, 0), 0);
	uint32_t b = names__id(n, a);
	FT_TRUE(b != a && b != 0);
	FT_EQ_STR(names__get(n, b)->func, "late");
	FT_EQ_STR(names__get(n, a)->file, "/m1.py");
	FT_EQ_INT(names__id(n, 2), 2);
	/* many rebinds: the remap table grows */
	for (uint32_t i = 0; i < 100; i++) {
		char f[16];
		int len = snprintf(f, sizeof(f), "f%u", i);

		FT_EQ_INT(names__bind(n, 2, f, len, "/x.py", 5, i, 0), 0);
		FT_EQ_STR(names__get(n, names__id(n, 2))->func, f);
	}
	FT_EQ_STR(names__get(n, 2)->func, "outer");
	FT_EQ_STR(names__get(n, names__id(n, 1))->file, "/m1.py");
	names__free(n);
}

FT_TEST(names_unknown_id_is_a_placeholder)
{
	struct names *n = names__new();
	const struct ft_name *u = names__get(n, 42);

	FT_TRUE(u);
	FT_TRUE(u->flags & FT_NAME_UNKNOWN);
	FT_EQ_STR(u->func, "<unknown>");
	FT_TRUE(names__get(n, 0)->flags & FT_NAME_UNKNOWN);
	names__free(n);
}

static long max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

FT_TEST(names_far_ids_cost_what_they_hold)
{
	struct names *n = names__new();
	long before = max_rss_kb();

	/* ids a damaged trace file claims: a dense array up to them would take
	 * up to 100 GB; they cost an entry each */
	for (uint32_t i = 0; i < 1000; i++)
		FT_EQ_INT(names__bind(n, 0xfffffffeu - i * 4000000u, "far", 3, "/f.py", 5, i, 0),
			  0);
	FT_EQ_INT(names__bind(n, 2, "near", 4, "/n.py", 5, 7, 0), 0);
	FT_TRUE(max_rss_kb() - before < 64 * 1024);
	FT_EQ_STR(names__get(n, 0xfffffffeu)->func, "far");
	FT_EQ_INT(names__get(n, 0xfffffffeu - 999 * 4000000u)->line, 999);
	FT_TRUE(names__get(n, 0xfffffffdu)->flags & FT_NAME_UNKNOWN);
	FT_EQ_STR(names__get(n, 2)->func, "near");
	FT_EQ_INT(names__ids(n), 1001);
	/* rebinding a far id never renames the calls made before; with no id
	 * left above it for an alias, what follows is <unknown> */
	FT_EQ_INT(names__bind(n, 0xfffffffeu, "far2", 4, "/f.py", 5, 1, 0), 0);
	FT_EQ_STR(names__get(n, 0xfffffffeu)->func, "far");
	FT_TRUE(names__get(n, names__id(n, 0xfffffffeu))->flags & FT_NAME_UNKNOWN);
	FT_EQ_INT(names__ids(n), 1001);
	/* ids that come densely, as BPF hands them out, still index the array */
	for (uint32_t id = 3; id < 200000; id++)
		FT_EQ_INT(names__bind(n, id, "d", 1, "/d.py", 5, id, 0), 0);
	FT_EQ_INT(names__get(n, 199999)->line, 199999);
	FT_EQ_INT(names__ids(n), 1001 + 199997);
	names__free(n);
}

FT_TEST(names_sparse_id_survives_the_dense_array_growing_past_it)
{
	struct names *n = names__new();

	/* far beyond the ids bound so far: kept aside */
	FT_EQ_INT(names__bind(n, 200000, "far", 3, "/a.py", 5, 1, 0), 0);
	/* dense ids up to where the dense array grows past 200000 */
	for (uint32_t id = 1; id <= 140000; id++)
		FT_EQ_INT(names__bind(n, id, "near", 4, "/a.py", 5, id, 0), 0);
	FT_EQ_STR(names__get(n, 200000)->func, "far");
	FT_EQ_INT(names__get(n, 200000)->flags, 0);
	FT_EQ_INT(names__id(n, 200000), 200000);
	/* binding it again to the same name changes nothing */
	FT_EQ_INT(names__bind(n, 200000, "far", 3, "/a.py", 5, 1, 0), 0);
	FT_EQ_INT(names__id(n, 200000), 200000);
	FT_EQ_INT(names__ids(n), 140001);
	names__free(n);
}
