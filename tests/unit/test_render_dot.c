// SPDX-License-Identifier: MIT
/* The dot format: exact nodes and edges for the sample forest (counts,
 * total and self times, recursion counted once), scaling, escaping,
 * filters, the graph label. */
#include "core/filter.h"
#include "render_run.h"

#define DOT_HEAD                                                                               \
	"digraph flowtrace {\n"                                                                \
	"\tgraph [fontname=\"Helvetica\", labelloc=t];\n"                                      \
	"\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n" \
	"\tedge [fontname=\"Helvetica\", fontsize=9];\n"

#define NODE(i, label, color) "\tn" #i " [label=\"" label "\", fillcolor=\"#ff" color "\"];\n"
#define EDGE(a, b, label, w)  "\tn" #a " -> n" #b " [label=\"" label "\", penwidth=" w "];\n"

/* clang-format off */
static const char sample_graph[] =
	DOT_HEAD
	NODE(1, "<module>\\n/tmp/app.py:1\\ntotal 10.000 us / self 7.600 us / 1 call", "5f5f")
	NODE(2, "main\\n/tmp/app.py:10\\ntotal 1.900 us / self 0.950 us / 1 call", "ebeb")
	NODE(3, "fib\\n/tmp/app.py:3\\ntotal 0.560 us / self 0.560 us / 4 calls", "f3f3")
	NODE(4, "helper\\n/tmp/app.py:20\\ntotal 0.550 us / self 0.550 us / 4 calls", "f3f3")
	NODE(5, "a;b\\\"c\\\\d\\\\x0a__x__<b>\\n/tmp/w;x.py:2\\n"
		"total 0.500 us / self 0.500 us / 1 call", "f4f4")
	EDGE(1, 2, "1 call\\n1.900 us", "5.00")
	EDGE(2, 3, "1 call\\n0.500 us", "2.05")
	EDGE(3, 3, "2 calls\\n0.300 us", "1.63")
	EDGE(2, 4, "3 calls\\n0.450 us", "1.95")
	EDGE(1, 5, "1 call\\n0.500 us", "2.05")
	"}\n";

/* main and the weird file hidden, --min-duration 150ns */
static const char filtered_graph[] =
	"digraph flowtrace {\n"
	"\tgraph [fontname=\"Helvetica\", labelloc=t];\n"
	"\tlabel=\"PID 4242, CPython 3.11.2\\\", traced 9.000 ms, 5 records lost\";\n"
	"\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n"
	"\tedge [fontname=\"Helvetica\", fontsize=9];\n"
	NODE(1, "<module>\\n/tmp/app.py:1\\ntotal 10.000 us / self 9.150 us / 1 call", "5f5f")
	NODE(2, "fib\\n/tmp/app.py:3\\ntotal 0.500 us / self 0.500 us / 2 calls", "f6f6")
	NODE(3, "helper\\n/tmp/app.py:20\\ntotal 0.350 us / self 0.350 us / 2 calls", "f9f9")
	EDGE(1, 2, "1 call\\n0.500 us", "5.00")
	EDGE(2, 2, "1 call\\n0.300 us", "3.40")
	EDGE(1, 3, "2 calls\\n0.350 us", "3.80")
	"}\n";

/* a -> b -> a -> b */
static const char recursion_graph[] =
	DOT_HEAD
	NODE(1, "a\\n/m.py:1\\ntotal 1.000 us / self 0.400 us / 2 calls", "9494")
	NODE(2, "b\\n/m.py:2\\ntotal 0.800 us / self 0.600 us / 2 calls", "5f5f")
	EDGE(1, 2, "2 calls\\n0.800 us", "5.00")
	EDGE(2, 1, "1 call\\n0.600 us", "4.00")
	"}\n";

static const char names_graph[] =
	DOT_HEAD
	NODE(1, "cut...\\n/c.py:4\\ntotal 0.001 us / self 0.001 us / 1 call", "5f5f")
	NODE(2, "nofile\\ntotal 0.001 us / self 0.001 us / 1 call", "5f5f")
	NODE(3, "<unknown>\\ntotal 0.001 us / self 0.001 us / 1 call", "5f5f")
	NODE(4, "f\\\\x01\\\\xff\\\\N\\\\G\\n/x\\\"y.py:3\\n"
		"total 0.001 us / self 0.001 us / 1 call", "5f5f")
	"}\n";
/* clang-format on */

FT_TEST(render_dot_sample)
{
	struct rdrive d;
	char *out;

	rd_sample(&d);
	out = rd_render(&render_dot, &d, NULL, NULL);
	/* fib: 4 calls; its total is the outermost fib of 4242 (500) and the
	 * fib of 77 (60); the inner fibs add to self time only. The fib ->
	 * fib edge counts both recursive calls but the time of the outer one
	 * (300) only. Colours scale self time against <module>'s 7600 ns,
	 * widths edge time against main's 1900 ns. */
	FT_EQ_STR(out, sample_graph);
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_dot_filters_and_meta)
{
	static const struct render_meta meta = {
		.pid = 4242,
		.python = "3.11.2\"",
		.duration_ns = 9000000,
		.lost = 5,
	};
	const char *exc[] = {"main", "*w;x.py"};
	struct filter f = {.exclude = exc, .nexclude = 2, .min_dur_ns = 150};
	struct rdrive d;
	char *out;

	rd_sample(&d);
	/* main hidden: its callees hang off <module>; short calls are gone
	 * and their time stays in their callers' self time */
	out = rd_render(&render_dot, &d, &f, &meta);
	FT_EQ_STR(out, filtered_graph);
	free(out);
	filter__free(&f);
	rdrive_free(&d);
}

FT_TEST(render_dot_recursion_counted_once)
{
	struct rdrive d;
	char *out;

	/* a -> b -> a -> b: a's and b's totals are their outermost calls,
	 * each edge's total its outermost call along that edge */
	rdrive_init(&d);
	rd_name(&d, 1, "a", "/m.py", 1, 0);
	rd_name(&d, 2, "b", "/m.py", 2, 0);
	rd_enter(&d, 1, 0, 1);	     /* a  0 .. 1000 */
	rd_enter(&d, 1, 100, 2);     /* b  100 .. 900 */
	rd_enter(&d, 1, 200, 1);     /* a  200 .. 800 */
	rd_leaf(&d, 1, 300, 400, 2); /* b  300 .. 700 */
	rd_leave(&d, 1, 800);
	rd_leave(&d, 1, 900);
	rd_leave(&d, 1, 1000);
	out = rd_render(&render_dot, &d, NULL, NULL);
	FT_EQ_STR(out, recursion_graph);
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_dot_names_and_empty)
{
	struct rdrive d;
	char *out;

	rdrive_init(&d);
	out = rd_render(&render_dot, &d, NULL, NULL);
	FT_EQ_STR(out, DOT_HEAD "}\n");
	free(out);
	rd_name(&d, 1, "cut", "/c.py", 4, FT_NAME_FUNC_CUT);
	rd_name(&d, 2, "nofile", "", 0, 0);
	rd_name(&d, 3, "f\x01\xff\\N\\G", "/x\"y.py", 3, 0);
	rd_leaf(&d, 5, 1000, 1, 1);
	rd_leaf(&d, 5, 2000, 1, 2);
	rd_leaf(&d, 5, 3000, 1, 99); /* never bound */
	rd_leaf(&d, 5, 4000, 1, 3);
	out = rd_render(&render_dot, &d, NULL, NULL);
	FT_EQ_STR(out, names_graph);
	free(out);
	rdrive_free(&d);
}
