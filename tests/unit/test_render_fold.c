// SPDX-License-Identifier: MIT
/* Tree folding (--fold): runs of identical sibling leaf calls as one line
 * with a count and their total duration; what breaks a run; off by
 * default. */
#include "core/filter.h"
#include "render_run.h"

#define TREE_HEAD "# DURATION     TID      FUNCTION\n"

#define SAMPLE_4242_TOP                                                                   \
	"#\n"                                                                             \
	"# thread 4242 (python3)\n"                                                       \
	"            [   4242] | <module>() {  # /tmp/app.py:1 [entered before attach]\n" \
	"            [   4242] |   main() {  # /tmp/app.py:10\n"                          \
	"            [   4242] |     fib() {  # /tmp/app.py:3\n"                          \
	"            [   4242] |       fib() {  # /tmp/app.py:3\n"                        \
	"   0.100 us [   4242] |         fib();  # /tmp/app.py:3\n"                       \
	"   0.300 us [   4242] |       } /* fib */\n"                                     \
	"   0.500 us [   4242] |     } /* fib */\n"

#define SAMPLE_4242_BOTTOM                                                       \
	"   1.900 us [   4242] |   } /* main */\n"                               \
	"            [   4242] |   /* LOST 5 records!! */\n"                     \
	"   0.500 us [   4242] |   a;b\"c\\d\\x0a__x__<b>();  # /tmp/w;x.py:2\n" \
	"  10.000 us [   4242] | } /* <module> */ [unfinished] [spans loss]\n"   \
	"#\n"                                                                    \
	"# thread 77 (worker)\n"                                                 \
	"   0.100 us [     77] | helper();  # /tmp/app.py:20\n"                  \
	"   0.060 us [     77] | fib();  # /tmp/app.py:3\n"

#define FOLDED_HELPERS "   0.450 us [   4242] |     helper(); ×3, total  # /tmp/app.py:20\n"

FT_TEST(render_fold_off_by_default)
{
	struct rdrive d;
	char *out;

	rd_sample(&d);
	out = rd_render(&render_tree, &d, NULL, NULL);
	FT_EQ_STR(out, TREE_HEAD SAMPLE_4242_TOP
		  "   0.100 us [   4242] |     helper();  # /tmp/app.py:20\n"
		  "   0.150 us [   4242] |     helper();  # /tmp/app.py:20\n"
		  "   0.200 us [   4242] |     helper();  # /tmp/app.py:20\n" SAMPLE_4242_BOTTOM);
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_fold_sample)
{
	struct rdrive d;
	char *out;

	rd_sample(&d);
	/* the helpers fold, their durations add up; fib's recursion is not a
	 * run of leaves and stays as it is */
	out = rd_render_ex(&render_tree, &d, NULL, NULL, true);
	FT_EQ_STR(out, TREE_HEAD SAMPLE_4242_TOP FOLDED_HELPERS SAMPLE_4242_BOTTOM);
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_fold_what_breaks_a_run)
{
	struct rdrive d;
	char *out;

	rdrive_init(&d);
	rd_name(&d, 1, "loop", "/l.py", 1, 0);
	rd_name(&d, 2, "step", "/l.py", 5, 0);
	rd_name(&d, 3, "step", "/l.py", 5, 0); /* another id, the same function */
	rd_name(&d, 4, "step", "/l.py", 9, 0); /* another function of that name */
	rd_name(&d, 5, "inner", "/l.py", 12, 0);
	rd_thread(&d, 1, "main");
	rd_enter(&d, 1, 0, 1);
	rd_leaf(&d, 1, 10, 1, 2);
	rd_leaf(&d, 1, 20, 2, 3);
	rd_leaf(&d, 1, 30, 4, 4); /* other line: a new run */
	rd_leaf(&d, 1, 40, 8, 4);
	rd_leaf(&d, 1, 50, 16, 2); /* flagged below: alone */
	rd_leaf(&d, 1, 70, 32, 2);
	rd_enter(&d, 1, 110, 2); /* not a leaf: alone, and it ends the run */
	rd_leaf(&d, 1, 111, 1, 5);
	rd_leaf(&d, 1, 113, 1, 5);
	rd_leave(&d, 1, 120);
	rd_leaf(&d, 1, 130, 64, 2);
	rd_gap(&d, 1, 3); /* a lost marker ends the run */
	rd_leaf(&d, 1, 200, 128, 2);
	rd_leaf(&d, 1, 400, 256, 2);
	rd_leave(&d, 1, 1000);
	rd_leaf(&d, 1, 1100, 5, 99); /* unbound ids fold only with themselves */
	rd_leaf(&d, 1, 1200, 5, 99);
	rd_leaf(&d, 1, 1300, 5, 98);
	rd_leaf(&d, 2, 10, 3, 2); /* the run at the end of thread 1 is out first */
	rd_leaf(&d, 2, 20, 3, 2);
	rd_node(&d, 0, (int[]){0, 4, -1})->flags |= FT_NODE_END_LOST;
	out = rd_render_ex(&render_tree, &d, NULL, NULL, true);
	FT_EQ_STR(out, TREE_HEAD "#\n"
				 "# thread 1 (main)\n"
				 "            [      1] | loop() {  # /l.py:1\n"
				 "   0.003 us [      1] |   step(); ×2, total  # /l.py:5\n"
				 "   0.012 us [      1] |   step(); ×2, total  # /l.py:9\n"
				 "   0.016 us [      1] |   step();  # /l.py:5 [return lost]\n"
				 "   0.032 us [      1] |   step();  # /l.py:5\n"
				 "            [      1] |   step() {  # /l.py:5\n"
				 "   0.002 us [      1] |     inner(); ×2, total  # /l.py:12\n"
				 "   0.010 us [      1] |   } /* step */\n"
				 "   0.064 us [      1] |   step();  # /l.py:5\n"
				 "            [      1] |   /* LOST 3 records!! */\n"
				 "   0.384 us [      1] |   step(); ×2, total  # /l.py:5\n"
				 "   1.000 us [      1] | } /* loop */ [spans loss]\n"
				 "   0.010 us [      1] | <unknown>(); ×2, total\n"
				 "   0.005 us [      1] | <unknown>();\n"
				 "#\n"
				 "# thread 2\n"
				 "   0.006 us [      2] | step(); ×2, total  # /l.py:5\n");
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_fold_after_filters)
{
	const char *exc[] = {"wrap"};
	struct filter f = {.exclude = exc, .nexclude = 1};
	struct rdrive d;
	char *out;

	rdrive_init(&d);
	rd_name(&d, 1, "wrap", "/w.py", 1, 0);
	rd_name(&d, 2, "work", "/w.py", 5, 0);
	rd_name(&d, 3, "tiny", "/w.py", 9, 0);
	for (int i = 0; i < 3; i++) {
		rd_enter(&d, 7, 100 * (uint64_t)i, 1);
		rd_leaf(&d, 7, 100 * (uint64_t)i + 10, 20, 2);
		rd_leave(&d, 7, 100 * (uint64_t)i + 50);
	}
	rd_enter(&d, 7, 1000, 2);
	rd_leaf(&d, 7, 1010, 1, 3);
	rd_leave(&d, 7, 1100);
	rd_leaf(&d, 7, 1200, 30, 2);
	/* the shown tree is what folds: hidden wrappers put the works side
	 * by side, and a work whose only child is too short is a leaf */
	f.min_dur_ns = 5;
	out = rd_render_ex(&render_tree, &d, &f, NULL, true);
	FT_EQ_STR(out, TREE_HEAD "#\n"
				 "# thread 7\n"
				 "   0.190 us [      7] | work(); ×5, total  # /w.py:5\n");
	free(out);
	filter__free(&f);
	rdrive_free(&d);
}
