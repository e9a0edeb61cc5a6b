// SPDX-License-Identifier: MIT
/* The folded format: exact lines for the sample forest, aggregation of
 * identical stacks, escaping, and weights that add up to the durations of
 * the outermost shown calls under every filter. */
#include <inttypes.h>

#include "core/filter.h"
#include "render_run.h"

#define T4242  "thread 4242 (python3)"
#define MODULE T4242 ";<module> (/tmp/app.py:1)"
#define MAIN   MODULE ";main (/tmp/app.py:10)"
#define FIB    "fib (/tmp/app.py:3)"
#define HELPER "helper (/tmp/app.py:20)"
#define WEIRD  "a:b\"c\\d\\x0a__x__<b> (/tmp/w:x.py:2)"

/* clang-format off */
/* self times: <module> 10000 - 1900 - 500, main 1900 - 500 - 450; the
 * helpers' three calls share one stack; the lost marker takes nothing;
 * siblings sort by text, threads too ("4242" < "77") */
static const char sample_lines[] =
	MODULE " 7600\n"
	MODULE ";" WEIRD " 500\n"
	MAIN " 950\n"
	MAIN ";" FIB " 200\n"
	MAIN ";" FIB ";" FIB " 200\n"
	MAIN ";" FIB ";" FIB ";" FIB " 100\n"
	MAIN ";" HELPER " 450\n"
	"thread 77 (worker);" FIB " 60\n"
	"thread 77 (worker);" HELPER " 100\n";

/* main hidden: its self time goes to <module> */
static const char unmain_lines[] =
	MODULE " 8550\n"
	MODULE ";" WEIRD " 500\n"
	MODULE ";" FIB " 200\n"
	MODULE ";" FIB ";" FIB " 200\n"
	MODULE ";" FIB ";" FIB ";" FIB " 100\n"
	MODULE ";" HELPER " 450\n"
	"thread 77 (worker);" FIB " 60\n"
	"thread 77 (worker);" HELPER " 100\n";

/* --min-duration 250ns --max-depth 3 */
static const char pruned_lines[] =
	MODULE " 7600\n"
	MODULE ";" WEIRD " 500\n"
	MAIN " 1400\n"
	MAIN ";" FIB " 500\n";

/* --include fib */
static const char fib_lines[] =
	T4242 ";" FIB " 200\n"
	T4242 ";" FIB ";" FIB " 200\n"
	T4242 ";" FIB ";" FIB ";" FIB " 100\n"
	"thread 77 (worker);" FIB " 60\n";
/* clang-format on */

/* Sums the weights per first frame (thread); returns the number of lines.
 * Checks every line's shape: frames, one space, a decimal weight. */
static size_t weights(const char *out, const char *thread, uint64_t *sum)
{
	size_t lines = 0;

	*sum = 0;
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		const char *sp;
		char *end;

		FT_TRUE(nl);
		sp = memrchr(p, ' ', nl - p);
		FT_TRUE(sp && sp > p);
		uint64_t w = strtoull(sp + 1, &end, 10);
		FT_TRUE(end == nl && w > 0);
		if (!strncmp(p, thread, strlen(thread)) && p[strlen(thread)] == ';')
			*sum += w;
		lines++;
		p = nl + 1;
	}
	return lines;
}

FT_TEST(render_folded_sample)
{
	struct rdrive d;
	uint64_t sum;
	char *out;

	rd_sample(&d);
	out = rd_render(&render_folded, &d, NULL, NULL);
	FT_EQ_STR(out, sample_lines);
	FT_EQ_U64(weights(out, T4242, &sum), 9);
	FT_EQ_U64(sum, 10000);
	weights(out, "thread 77 (worker)", &sum);
	FT_EQ_U64(sum, 160);
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_folded_filters_keep_time)
{
	const char *exc[] = {"main"};
	const char *inc[] = {"fib"};
	struct filter f = {.exclude = exc, .nexclude = 1};
	struct rdrive d;
	uint64_t sum;
	char *out;

	rd_sample(&d);
	/* a hidden frame's self time goes to its nearest shown caller */
	out = rd_render(&render_folded, &d, &f, NULL);
	FT_EQ_STR(out, unmain_lines);
	weights(out, T4242, &sum);
	FT_EQ_U64(sum, 10000);
	free(out);
	filter__free(&f);

	/* pruned subtrees stay in their caller's self time */
	f = (struct filter){.min_dur_ns = 250, .max_depth = 3};
	out = rd_render(&render_folded, &d, &f, NULL);
	FT_EQ_STR(out, pruned_lines);
	weights(out, T4242, &sum);
	FT_EQ_U64(sum, 10000);
	free(out);

	/* only fib: the outermost shown fibs are the roots, their time the
	 * total; <module> and main are gone with their self time */
	f = (struct filter){.include = inc, .ninclude = 1};
	out = rd_render(&render_folded, &d, &f, NULL);
	FT_EQ_STR(out, fib_lines);
	weights(out, T4242, &sum);
	FT_EQ_U64(sum, 500);
	free(out);
	filter__free(&f);

	/* nothing shown, nothing written */
	f = (struct filter){.min_dur_ns = 1000000};
	out = rd_render(&render_folded, &d, &f, NULL);
	FT_EQ_STR(out, "");
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_folded_aggregates_and_escapes)
{
	struct rdrive d;
	char *out;

	rdrive_init(&d);
	rd_name(&d, 1, "run", "/r.py", 1, 0);
	rd_name(&d, 2, "step", "/r.py", 5, 0);
	/* another id for the same function: still one frame */
	rd_name(&d, 3, "step", "/r.py", 5, 0);
	rd_name(&d, 4, "cut", "/c.py", 9, FT_NAME_FUNC_CUT);
	rd_name(&d, 5, "nofile", "", 0, 0);
	rd_name(&d, 6, "\x1b[2J;\xff", "/x;\ty.py", 7, 0);
	rd_thread(&d, 1, "a;b\n");
	rd_thread(&d, 2, "");
	rd_enter(&d, 1, 0, 1);
	rd_leaf(&d, 1, 10, 5, 2);
	rd_leaf(&d, 1, 20, 7, 3);
	rd_leaf(&d, 1, 30, 1, 4);
	rd_leaf(&d, 1, 40, 2, 5);
	rd_leaf(&d, 1, 50, 3, 6);
	rd_leaf(&d, 1, 60, 4, 99);
	rd_leave(&d, 1, 100);
	/* a second run of the same stack adds up */
	rd_enter(&d, 1, 200, 1);
	rd_leaf(&d, 1, 210, 8, 2);
	rd_leave(&d, 1, 220);
	rd_leaf(&d, 2, 5, 10, 2);
	out = rd_render(&render_folded, &d, NULL, NULL);
	FT_EQ_STR(out, "thread 1 (a:b\\x0a);run (/r.py:1) 90\n"
		       "thread 1 (a:b\\x0a);run (/r.py:1);<unknown> 4\n"
		       "thread 1 (a:b\\x0a);run (/r.py:1);\\x1b[2J:\\xff (/x:\\x09y.py:7) 3\n"
		       "thread 1 (a:b\\x0a);run (/r.py:1);cut... (/c.py:9) 1\n"
		       "thread 1 (a:b\\x0a);run (/r.py:1);nofile 2\n"
		       "thread 1 (a:b\\x0a);run (/r.py:1);step (/r.py:5) 20\n"
		       "thread 2;step (/r.py:5) 10\n");
	free(out);

	/* an empty trace writes nothing */
	rdrive_free(&d);
	rdrive_init(&d);
	out = rd_render(&render_folded, &d, NULL, NULL);
	FT_EQ_STR(out, "");
	free(out);
	rdrive_free(&d);
}

/* A call of no time (its corrected duration 0: all of it was the tracer's
 * own cost) still ran: its stack shows with weight 0, while a caller whose
 * time all went to its callees stays implied by their lines. */
FT_TEST(render_folded_keeps_calls_of_no_time)
{
	struct rdrive d;
	char *out;

	rdrive_init(&d);
	rd_name(&d, 1, "run", "/r.py", 1, 0);
	rd_name(&d, 2, "step", "/r.py", 5, 0);
	rd_name(&d, 3, "mid", "/r.py", 9, 0);
	rd_thread(&d, 1, "");
	rd_enter(&d, 1, 0, 1);
	rd_leaf(&d, 1, 10, 0, 2);
	rd_enter(&d, 1, 20, 3);
	rd_leaf(&d, 1, 20, 30, 2);
	rd_leave(&d, 1, 50);
	rd_leave(&d, 1, 100);
	out = rd_render(&render_folded, &d, NULL, NULL);
	FT_EQ_STR(out, "thread 1;run (/r.py:1) 70\n"
		       "thread 1;run (/r.py:1);mid (/r.py:9);step (/r.py:5) 30\n"
		       "thread 1;run (/r.py:1);step (/r.py:5) 0\n");
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_folded_deep_chain)
{
	enum { DEEP = 2000 };
	struct rdrive d;
	uint64_t sum;
	char *out, *last;

	rdrive_init(&d);
	rd_name(&d, 1, "r", "r.py", 1, 0);
	for (int i = 0; i < DEEP; i++)
		rd_enter(&d, 9, i, 1);
	for (int i = 0; i < DEEP; i++)
		rd_leave(&d, 9, DEEP + i + 1);
	out = rd_render(&render_folded, &d, NULL, NULL);
	/* every level has 2 ns of self time but the innermost: 2 */
	FT_EQ_U64(weights(out, "thread 9", &sum), DEEP);
	FT_EQ_U64(sum, 2 * DEEP);
	out[strlen(out) - 1] = 0;
	last = strrchr(out, '\n') + 1;
	FT_EQ_U64(strlen(last), strlen("thread 9") + DEEP * strlen(";r (r.py:1)") + 2);
	free(out);
	rdrive_free(&d);
}
