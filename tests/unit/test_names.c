// SPDX-License-Identifier: MIT
/* Name table: interning, id binding, unknown ids. */
#include "names.h"
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
	/* rebinding replaces, without counting twice */
	FT_EQ_INT(names__bind(n, 3, "main2", 5, "/app.py", 7, 11, 0), 0);
	FT_EQ_STR(names__get(n, 3)->func, "main2");
	FT_EQ_INT(names__ids(n), 2);
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
