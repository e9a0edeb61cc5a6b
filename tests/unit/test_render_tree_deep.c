// SPDX-License-Identifier: MIT
/* The tree format on deep trees: indentation bounded by --indent-max with
 * the depth written where the indentation no longer tells it, recursion
 * runs folded into one line, and trees shallower than the limit printed
 * exactly as without one. Forests come from the real builder. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/filter.h"
#include "output/render.h"
#include "render_run.h"
#include "test.h"

enum { N_MAIN = 1, N_F, N_G, N_H, N_A, N_B };

static void names_bind(struct rdrive *d)
{
	rd_name(d, N_MAIN, "main", "/a.py", 1, 0);
	rd_name(d, N_F, "f", "/a.py", 2, 0);
	rd_name(d, N_G, "g", "/a.py", 3, 0);
	rd_name(d, N_H, "h", "/a.py", 4, 0);
	rd_name(d, N_A, "a", "/a.py", 5, 0);
	rd_name(d, N_B, "b", "/a.py", 6, 0);
	rd_thread(d, 1, "py");
}

/* The tree format with --indent-max indent_max (0: the default, below 0:
 * no limit) and --fold as given. */
static char *tree(struct rdrive *d, struct filter *f, int indent_max, bool fold)
{
	struct render_ctx rc = {
		.names = d->names, .filter = f, .fold = fold, .indent_max = indent_max};
	char *buf = NULL;
	size_t len = 0;

	rc.out = open_memstream(&buf, &len);
	FT_TRUE(rc.out);
	FT_EQ_INT(render_tree.end(&rc, d->ct), 0);
	fclose(rc.out);
	return buf;
}

#define HEAD "# DURATION     TID      FUNCTION\n#\n# thread 1 (py)\n"

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static size_t longest_line(const char *s)
{
	size_t best = 0, cur = 0;

	for (; *s; s++) {
		if (*s == '\n') {
			best = cur > best ? cur : best;
			cur = 0;
		} else {
			cur++;
		}
	}
	return best;
}

/* appends to a growing expected text */
static void add(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char line[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	FT_TRUE(n > 0 && (size_t)n < sizeof(line));
	*buf = realloc(*buf, *len + (size_t)n + 1);
	FT_TRUE(*buf);
	memcpy(*buf + *len, line, (size_t)n + 1);
	*len += (size_t)n;
}

/* A tree 63 levels deep (one below the default limit) whose spine is one
 * 62-call recursion: nothing may change. The expected text is the layout
 * written out level by level, two spaces each. */
FT_TEST(render_tree_deep_shallow_unchanged)
{
	enum { RUN = 62 };
	struct rdrive d;
	char *want = NULL, *got, *unlimited, dur[16];
	size_t len = 0;

	rdrive_init(&d);
	names_bind(&d);
	rd_enter(&d, 1, 0, N_MAIN);
	for (int i = 0; i < RUN; i++)
		rd_enter(&d, 1, 100 + (uint64_t)i, N_F);
	rd_leaf(&d, 1, 1000, 7, N_G);
	for (int i = 0; i < RUN; i++)
		rd_leave(&d, 1, 2000 + (uint64_t)i);
	rd_leave(&d, 1, 3000);

	add(&want, &len, HEAD "            [      1] | main() {  # /a.py:1\n");
	for (int i = 1; i <= RUN; i++)
		add(&want, &len, "            [      1] | %*sf() {  # /a.py:2\n", 2 * i, "");
	add(&want, &len, "   0.007 us [      1] | %*sg();  # /a.py:3\n", 2 * (RUN + 1), "");
	for (int i = RUN; i >= 1; i--)
		/* f at depth i entered at 100 + i - 1, left at 2000 + RUN - i */
		add(&want, &len, " %s [      1] | %*s} /* f */\n",
		    fmt_duration(dur, 2000 + RUN - i - (100 + i - 1)), 2 * i, "");
	add(&want, &len, "   3.000 us [      1] | } /* main */\n");

	got = tree(&d, NULL, 0, false);
	FT_EQ_STR(got, want);
	unlimited = tree(&d, NULL, -1, false);
	FT_EQ_STR(unlimited, want);
	free(got);
	free(unlimited);
	free(want);
	rdrive_free(&d);
}

/* main > f > f > f > f > f, the innermost f calling g and h. With a limit
 * of 4 the run of four f above the innermost folds; the innermost and its
 * calls keep their lines, with their true depths. */
FT_TEST(render_tree_deep_folds_a_recursion_run)
{
	struct rdrive d;
	char *got;

	rdrive_init(&d);
	names_bind(&d);
	rd_enter(&d, 1, 0, N_MAIN);
	for (int i = 1; i <= 5; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, N_F);
	rd_leaf(&d, 1, 600, 10, N_G);
	rd_leaf(&d, 1, 700, 20, N_H);
	for (int i = 0; i < 5; i++)
		rd_leave(&d, 1, 800 + 100 * (uint64_t)i);
	rd_leave(&d, 1, 1300);
	got = tree(&d, NULL, 4, false);
	FT_EQ_STR(got, HEAD "            [      1] | main() {  # /a.py:1\n"
			    "            [      1] |   f() { ×4 recursion, d=1..4  # /a.py:2\n"
			    "            [      1] |     [d=5] f() {  # /a.py:2\n"
			    "   0.010 us [      1] |       [d=6] g();  # /a.py:3\n"
			    "   0.020 us [      1] |       [d=6] h();  # /a.py:4\n"
			    "   0.300 us [      1] |     [d=5] } /* f */\n"
			    "   1.100 us [      1] |   } /* f ×4 */\n"
			    "   1.300 us [      1] | } /* main */\n");
	free(got);
	/* one call less and the run is shorter than the limit: in full */
	rdrive_free(&d);
	rdrive_init(&d);
	names_bind(&d);
	rd_enter(&d, 1, 0, N_MAIN);
	for (int i = 1; i <= 4; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, N_F);
	rd_leaf(&d, 1, 600, 10, N_G);
	for (int i = 0; i < 4; i++)
		rd_leave(&d, 1, 800 + 100 * (uint64_t)i);
	rd_leave(&d, 1, 1300);
	got = tree(&d, NULL, 4, false);
	FT_EQ_STR(got, HEAD "            [      1] | main() {  # /a.py:1\n"
			    "            [      1] |   f() {  # /a.py:2\n"
			    "            [      1] |     f() {  # /a.py:2\n"
			    "            [      1] |       f() {  # /a.py:2\n"
			    "            [      1] |         [d=4] f() {  # /a.py:2\n"
			    "   0.010 us [      1] |         [d=5] g();  # /a.py:3\n"
			    "   0.400 us [      1] |         [d=4] } /* f */\n"
			    "   0.600 us [      1] |       } /* f */\n"
			    "   0.800 us [      1] |     } /* f */\n"
			    "   1.000 us [      1] |   } /* f */\n"
			    "   1.300 us [      1] | } /* main */\n");
	free(got);
	rdrive_free(&d);
}

/* No recursion run (a and b alternate): past the limit every line is
 * indented by the limit and says its depth. */
FT_TEST(render_tree_deep_depth_numbers_past_the_limit)
{
	struct rdrive d;
	char *got;

	rdrive_init(&d);
	names_bind(&d);
	rd_enter(&d, 1, 0, N_MAIN);
	for (int i = 1; i <= 4; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, i % 2 ? N_A : N_B);
	rd_leaf(&d, 1, 500, 10, N_A);
	for (int i = 0; i < 4; i++)
		rd_leave(&d, 1, 600 + 100 * (uint64_t)i);
	rd_leave(&d, 1, 1000);
	got = tree(&d, NULL, 3, false);
	FT_EQ_STR(got, HEAD "            [      1] | main() {  # /a.py:1\n"
			    "            [      1] |   a() {  # /a.py:5\n"
			    "            [      1] |     b() {  # /a.py:6\n"
			    "            [      1] |       [d=3] a() {  # /a.py:5\n"
			    "            [      1] |       [d=4] b() {  # /a.py:6\n"
			    "   0.010 us [      1] |       [d=5] a();  # /a.py:5\n"
			    "   0.200 us [      1] |       [d=4] } /* b */\n"
			    "   0.400 us [      1] |       [d=3] } /* a */\n"
			    "   0.600 us [      1] |     } /* b */\n"
			    "   0.800 us [      1] |   } /* a */\n"
			    "   1.000 us [      1] | } /* main */\n");
	free(got);
	rdrive_free(&d);
}

/* 3000 levels of a and b: every line stays short (no O(depth) indent),
 * one line per leaf and two per call with children, and the deepest line
 * says its depth. */
FT_TEST(render_tree_deep_lines_stay_short)
{
	enum { DEEP = 3000 };
	struct rdrive d;
	char *got, want[256];

	rdrive_init(&d);
	names_bind(&d);
	for (int i = 0; i < DEEP; i++)
		rd_enter(&d, 1, (uint64_t)i, i % 2 ? N_B : N_A);
	for (int i = 0; i < DEEP; i++)
		rd_leave(&d, 1, (uint64_t)(DEEP + i));
	got = tree(&d, NULL, 0, false);
	FT_EQ_U64(count_lines(got), 3 + 2 * (DEEP - 1) + 1);
	/* duration and tid columns, 64 levels of indent, "[d=2999] ", the call */
	FT_TRUE(longest_line(got) <= 25 + 2 * RENDER_INDENT_MAX_DEFAULT + 9 + 20);
	snprintf(want, sizeof(want), "| %*s[d=%d] b();  # /a.py:6\n", 2 * RENDER_INDENT_MAX_DEFAULT,
		 "", DEEP - 1);
	FT_TRUE(strstr(got, want));
	free(got);
	rdrive_free(&d);
}

/* A call whose flags differ from the run's ends it: flags are never
 * folded away. f1..f3 (no flags), f4 [spans loss], f5..f8 (no flags). */
FT_TEST(render_tree_deep_flags_end_a_run)
{
	struct rdrive d;
	char *got;

	rdrive_init(&d);
	names_bind(&d);
	for (int i = 1; i <= 8; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, N_F);
	for (int i = 0; i < 8; i++)
		rd_leave(&d, 1, 1000 + 100 * (uint64_t)i);
	rd_node(&d, 0, (int[]){0, 0, 0, 0, -1})->flags |= FT_NODE_SPANS_LOSS;
	got = tree(&d, NULL, 3, false);
	FT_EQ_STR(got,
		  HEAD "            [      1] | f() {  # /a.py:2\n"
		       "            [      1] |   f() {  # /a.py:2\n"
		       "            [      1] |     f() {  # /a.py:2\n"
		       "            [      1] |       [d=3] f() {  # /a.py:2\n"
		       "            [      1] |       [d=4] f() { ×3 recursion, d=4..6  # /a.py:2\n"
		       "   0.200 us [      1] |       [d=7] f();  # /a.py:2\n"
		       "   0.800 us [      1] |       [d=4] } /* f ×3 */\n"
		       "   1.000 us [      1] |       [d=3] } /* f */ [spans loss]\n"
		       "   1.200 us [      1] |     } /* f */\n"
		       "   1.400 us [      1] |   } /* f */\n"
		       "   1.600 us [      1] | } /* f */\n");
	free(got);
	rdrive_free(&d);
}

/* Runs inside runs: the levels each folded run takes away add up, and
 * the closing lines give them back. */
FT_TEST(render_tree_deep_nested_runs)
{
	struct rdrive d;
	char *got;

	rdrive_init(&d);
	names_bind(&d);
	rd_enter(&d, 1, 0, N_MAIN);
	for (int i = 1; i <= 5; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, N_F);
	for (int i = 6; i <= 10; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, N_G);
	for (int i = 0; i < 10; i++)
		rd_leave(&d, 1, 2000 + 100 * (uint64_t)i);
	rd_leave(&d, 1, 4000);
	got = tree(&d, NULL, 4, false);
	FT_EQ_STR(got,
		  HEAD "            [      1] | main() {  # /a.py:1\n"
		       "            [      1] |   f() { ×4 recursion, d=1..4  # /a.py:2\n"
		       "            [      1] |     [d=5] f() {  # /a.py:2\n"
		       "            [      1] |       [d=6] g() { ×4 recursion, d=6..9  # /a.py:3\n"
		       "   1.000 us [      1] |         [d=10] g();  # /a.py:3\n"
		       "   1.800 us [      1] |       [d=6] } /* g ×4 */\n"
		       "   2.000 us [      1] |     [d=5] } /* f */\n"
		       "   2.800 us [      1] |   } /* f ×4 */\n"
		       "   4.000 us [      1] | } /* main */\n");
	free(got);
	rdrive_free(&d);
}

/* The walk decides what is shown: --max-depth ends a run where it cuts,
 * and the fold counts only shown calls. A run through a call the globs
 * hide is not folded (its links are not each other's calls), but its
 * depth stays bounded. */
FT_TEST(render_tree_deep_runs_under_filters)
{
	struct rdrive d;
	struct filter f = {.max_depth = 6};
	const char *inc[] = {"main", "f"};
	char *got;

	rdrive_init(&d);
	names_bind(&d);
	rd_enter(&d, 1, 0, N_MAIN);
	for (int i = 1; i <= 20; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, N_F);
	for (int i = 0; i < 20; i++)
		rd_leave(&d, 1, 3000 + 100 * (uint64_t)i);
	rd_leave(&d, 1, 6000);
	got = tree(&d, &f, 3, false);
	/* shown: main and f at depths 1..5, the last one a leaf */
	FT_EQ_STR(got, HEAD "            [      1] | main() {  # /a.py:1\n"
			    "            [      1] |   f() { ×4 recursion, d=1..4  # /a.py:2\n"
			    "   4.000 us [      1] |     [d=5] f();  # /a.py:2\n"
			    "   4.800 us [      1] |   } /* f ×4 */\n"
			    "   6.000 us [      1] | } /* main */\n");
	free(got);
	filter__free(&f);
	rdrive_free(&d);

	/* main > f > h > f > h > f: --include main --include f shows f > f > f */
	rdrive_init(&d);
	names_bind(&d);
	rd_enter(&d, 1, 0, N_MAIN);
	for (int i = 1; i <= 5; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, i % 2 ? N_F : N_H);
	for (int i = 0; i < 5; i++)
		rd_leave(&d, 1, 1000 + 100 * (uint64_t)i);
	rd_leave(&d, 1, 2000);
	f = (struct filter){.include = inc, .ninclude = 2};
	got = tree(&d, &f, 2, false);
	FT_EQ_STR(got, HEAD "            [      1] | main() {  # /a.py:1\n"
			    "            [      1] |   f() {  # /a.py:2\n"
			    "            [      1] |     [d=2] f() {  # /a.py:2\n"
			    "   0.500 us [      1] |     [d=3] f();  # /a.py:2\n"
			    "   0.900 us [      1] |     [d=2] } /* f */\n"
			    "   1.300 us [      1] |   } /* f */\n"
			    "   2.000 us [      1] | } /* main */\n");
	free(got);
	filter__free(&f);
	rdrive_free(&d);
}

/* --fold goes on working below a folded run; a second thread starts
 * with nothing folded. */
FT_TEST(render_tree_deep_fold_and_threads)
{
	struct rdrive d;
	char *got;

	rdrive_init(&d);
	names_bind(&d);
	rd_thread(&d, 2, "py2");
	for (int i = 1; i <= 4; i++)
		rd_enter(&d, 1, 100 * (uint64_t)i, N_F);
	rd_leaf(&d, 1, 500, 10, N_G);
	rd_leaf(&d, 1, 600, 20, N_G);
	rd_leaf(&d, 1, 700, 30, N_G);
	for (int i = 0; i < 4; i++)
		rd_leave(&d, 1, 800 + 100 * (uint64_t)i);
	rd_enter(&d, 2, 100, N_MAIN);
	rd_enter(&d, 2, 200, N_A);
	rd_leaf(&d, 2, 300, 10, N_B);
	rd_leave(&d, 2, 400);
	rd_leave(&d, 2, 500);
	got = tree(&d, NULL, 3, true);
	FT_EQ_STR(got, HEAD "            [      1] | f() { ×3 recursion, d=0..2  # /a.py:2\n"
			    "            [      1] |   [d=3] f() {  # /a.py:2\n"
			    "   0.060 us [      1] |     [d=4] g(); ×3, total  # /a.py:3\n"
			    "   0.400 us [      1] |   [d=3] } /* f */\n"
			    "   1.000 us [      1] | } /* f ×3 */\n"
			    "#\n"
			    "# thread 2 (py2)\n"
			    "            [      2] | main() {  # /a.py:1\n"
			    "            [      2] |   a() {  # /a.py:5\n"
			    "   0.010 us [      2] |     b();  # /a.py:6\n"
			    "   0.200 us [      2] |   } /* a */\n"
			    "   0.400 us [      2] | } /* main */\n");
	free(got);
	rdrive_free(&d);
}

/* A recursion still running when the trace stops: every frame is
 * unfinished, so the run folds and says so once on each of its lines.
 * Without a limit (--indent-max 0) the tree is the full staircase. */
FT_TEST(render_tree_deep_unfinished_run_and_no_limit)
{
	enum { DEEP = 5000 };
	struct rdrive d;
	char *got, want[2 * DEEP + 64];

	rdrive_init(&d);
	names_bind(&d);
	for (int i = 0; i < DEEP; i++)
		rd_enter(&d, 1, (uint64_t)i, N_F);
	calltree__finish(d.ct, 2 * DEEP);
	got = tree(&d, NULL, 0, false);
	FT_EQ_STR(got, HEAD "            [      1] | f() { ×4999 recursion, d=0..4998  # /a.py:2\n"
			    "   5.001 us [      1] |   [d=4999] f();  # /a.py:2 [unfinished]\n"
			    "  10.000 us [      1] | } /* f ×4999 */ [unfinished]\n");
	free(got);
	got = tree(&d, NULL, -1, false);
	/* header, DEEP - 1 openings, a leaf, DEEP - 1 closings */
	FT_EQ_U64(count_lines(got), 3 + 2 * DEEP - 1);
	snprintf(want, sizeof(want), "\n            [      1] | %*sf() {  # /a.py:2\n", 40, "");
	FT_TRUE(strstr(got, want));
	snprintf(want, sizeof(want), "\n   5.001 us [      1] | %*sf();  # /a.py:2 [unfinished]\n",
		 2 * (DEEP - 1), "");
	FT_TRUE(strstr(got, want));
	free(got);
	rdrive_free(&d);
}
