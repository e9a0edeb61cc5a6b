// SPDX-License-Identifier: MIT
/* Display filters: glob decisions, promotion of children of hidden
 * frames, max depth, min duration, lost markers, exact has_children, and
 * deep or wide forests. */
#include <stdbool.h>
#include <stdlib.h>

#include "core/filter.h"
#include "forest.h"
#include "test.h"

/* A visitor that writes "A{ B C{ D } }" and checks on the way that the
 * walk is balanced, that depth is the number of open shown nodes, and
 * that has_children is exact: true iff something was visited below. */
struct rec {
	FILE *f; /* NULL: count only */
	char *buf;
	size_t len;
	const struct names *names;
	struct open {
		const struct ft_node *n;
		bool hc, saw;
	} * st;
	size_t sp, cap;
	size_t visits;
	int max_depth;
};

static void rec_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		      bool hc)
{
	struct rec *r = ctx;

	FT_EQ_INT(depth, r->sp);
	if (r->sp)
		r->st[r->sp - 1].saw = true;
	if (depth > r->max_depth)
		r->max_depth = depth;
	r->visits++;
	if (n->flags & FT_NODE_LOST)
		FT_TRUE(!hc);
	if (r->f) {
		if (n->flags & FT_NODE_LOST)
			fprintf(r->f, "LOST%u ", n->lost);
		else
			fprintf(r->f, "%s%s ", names__get(r->names, n->name)->func, hc ? "{" : "");
	}
	if (r->sp == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->st = realloc(r->st, r->cap * sizeof(*r->st));
		FT_TRUE(r->st);
	}
	r->st[r->sp++] = (struct open){.n = n, .hc = hc};
}

static void rec_leave(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		      bool hc)
{
	struct rec *r = ctx;
	struct open o;

	FT_TRUE(r->sp > 0);
	o = r->st[--r->sp];
	FT_TRUE(o.n == n);
	FT_EQ_INT(depth, r->sp);
	FT_EQ_INT(o.hc, hc);
	FT_EQ_INT(o.saw, hc);
	if (r->f && hc)
		fputs("} ", r->f);
}

static const struct filter_visit rec_visit = {.enter = rec_enter, .leave = rec_leave};

/* Walks t with f; returns the shape written by rec (trailing space cut). */
static char *walk_shape(struct filter *f, const struct names *names, const struct ft_thread *t)
{
	struct rec r = {.names = names};

	r.f = open_memstream(&r.buf, &r.len);
	FT_TRUE(r.f);
	filter__walk(f, names, t, &rec_visit, &r);
	FT_EQ_INT(r.sp, 0);
	fclose(r.f);
	free(r.st);
	if (r.len && r.buf[r.len - 1] == ' ')
		r.buf[r.len - 1] = 0;
	return r.buf;
}

static size_t walk_count(struct filter *f, const struct names *names, const struct ft_thread *t,
			 int *max_depth)
{
	struct rec r = {.names = names, .max_depth = -1};

	filter__walk(f, names, t, &rec_visit, &r);
	FT_EQ_INT(r.sp, 0);
	free(r.st);
	if (max_depth)
		*max_depth = r.max_depth;
	return r.visits;
}

enum { A = 1, B, X, B2, C, B3, D };

/*
 * A(0+1000) /app/a.py
 *   B(10+100) /app/b.py
 *     X(20+50) /lib/x.py
 *       B2(30+10) /app/b.py
 *   C(200+500) /app/c.py
 *     B3(210+5) /app/b.py
 *     D(300+100) /lib/d.py
 *       LOST 3
 * X(2000+100)
 *   D(2010+50)
 */
static void sample(struct forest *fo, struct ft_thread *t)
{
	struct ft_node *a, *b, *x, *c, *d;

	forest_init(fo, 64);
	memset(t, 0, sizeof(*t));
	t->tid = 1;
	forest_name(fo, A, "A", "/app/a.py", 1, 0);
	forest_name(fo, B, "B", "/app/b.py", 2, 0);
	forest_name(fo, X, "X", "/lib/x.py", 3, 0);
	forest_name(fo, B2, "B2", "/app/b.py", 4, 0);
	forest_name(fo, C, "C", "/app/c.py", 5, 0);
	forest_name(fo, B3, "B3", "/app/b.py", 6, 0);
	forest_name(fo, D, "D", "/lib/d.py", 7, 0);
	a = forest_add(fo, t, NULL, A, 0, 1000, 0);
	b = forest_add(fo, t, a, B, 10, 100, 0);
	x = forest_add(fo, t, b, X, 20, 50, 0);
	forest_add(fo, t, x, B2, 30, 10, 0);
	c = forest_add(fo, t, a, C, 200, 500, 0);
	forest_add(fo, t, c, B3, 210, 5, 0);
	d = forest_add(fo, t, c, D, 300, 100, 0);
	forest_lost(fo, t, d, 3, 350);
	x = forest_add(fo, t, NULL, X, 2000, 100, 0);
	forest_add(fo, t, x, D, 2010, 50, 0);
}

#define SHAPE(f, expected) FT_EQ_STR(walk_shape(f, fo.names, &t), expected)

FT_TEST(filter_none_shows_everything)
{
	struct forest fo;
	struct ft_thread t;
	struct filter f = {0};

	sample(&fo, &t);
	SHAPE(&f, "A{ B{ X{ B2 } } C{ B3 D{ LOST3 } } } X{ D }");
	FT_EQ_STR(walk_shape(NULL, fo.names, &t), "A{ B{ X{ B2 } } C{ B3 D{ LOST3 } } } X{ D }");
	FT_TRUE(!filter__active(&f));
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_include_promotes_grandchildren)
{
	struct forest fo;
	struct ft_thread t;
	const char *inc[] = {"B*"};
	struct filter f = {.include = inc, .ninclude = 1};

	sample(&fo, &t);
	/* B2 sits under hidden X: it becomes B's child; B3 and the lost
	 * marker climb to the top through hidden A, C and D */
	SHAPE(&f, "B{ B2 } B3 LOST3");
	FT_TRUE(filter__active(&f));
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_exclude)
{
	struct forest fo;
	struct ft_thread t;
	const char *exc[] = {"X"};
	struct filter f = {.exclude = exc, .nexclude = 1};

	sample(&fo, &t);
	SHAPE(&f, "A{ B{ B2 } C{ B3 D{ LOST3 } } } D");
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_include_and_exclude_on_paths)
{
	struct forest fo;
	struct ft_thread t;
	const char *inc[] = {"/app/*"}, *exc[] = {"B2", "nothing"};
	struct filter f = {.include = inc, .ninclude = 1, .exclude = exc, .nexclude = 2};

	sample(&fo, &t);
	/* B loses its only shown descendant: a leaf now */
	SHAPE(&f, "A{ B C{ B3 LOST3 } }");
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_include_several_globs)
{
	struct forest fo;
	struct ft_thread t;
	const char *inc[] = {"A", "D"};
	struct filter f = {.include = inc, .ninclude = 2};

	sample(&fo, &t);
	SHAPE(&f, "A{ D{ LOST3 } } D");
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_everything_hidden_but_lost_markers)
{
	struct forest fo;
	struct ft_thread t;
	const char *exc[] = {"*"};
	struct filter f = {.exclude = exc, .nexclude = 1};

	sample(&fo, &t);
	SHAPE(&f, "LOST3");
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_max_depth)
{
	struct forest fo;
	struct ft_thread t;
	struct filter f = {.max_depth = 1};

	sample(&fo, &t);
	SHAPE(&f, "A X");
	f.max_depth = 2;
	/* C's children exist but lie beyond the limit: C is a leaf */
	SHAPE(&f, "A{ B C } X{ D }");
	f.max_depth = 3;
	SHAPE(&f, "A{ B{ X } C{ B3 D } } X{ D }");
	f.max_depth = 4;
	SHAPE(&f, "A{ B{ X{ B2 } } C{ B3 D{ LOST3 } } } X{ D }");
	FT_TRUE(filter__active(&f));
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_max_depth_counts_shown_levels)
{
	struct forest fo;
	struct ft_thread t;
	const char *exc[] = {"A", "C"};
	struct filter f = {.exclude = exc, .nexclude = 2, .max_depth = 1};

	sample(&fo, &t);
	SHAPE(&f, "B B3 D X");
	f.max_depth = 2;
	SHAPE(&f, "B{ X } B3 D{ LOST3 } X{ D }");
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_min_duration_hides_subtrees)
{
	struct forest fo;
	struct ft_thread t;
	struct filter f = {.min_dur_ns = 60};

	sample(&fo, &t);
	/* X (50) goes with B2 (10) under it, though only X is too short */
	SHAPE(&f, "A{ B C{ D{ LOST3 } } } X");
	f.min_dur_ns = 100;
	SHAPE(&f, "A{ B C{ D{ LOST3 } } } X");
	/* D goes, and the lost marker in it */
	f.min_dur_ns = 101;
	SHAPE(&f, "A{ C }");
	f.min_dur_ns = 1001;
	SHAPE(&f, "");
	FT_TRUE(filter__active(&f));
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_min_duration_with_globs)
{
	struct forest fo;
	struct ft_thread t;
	const char *inc[] = {"B*"};
	struct filter f = {.include = inc, .ninclude = 1, .min_dur_ns = 60};

	sample(&fo, &t);
	/* hidden but long D still holds its place for the lost marker */
	SHAPE(&f, "B LOST3");
	f.min_dur_ns = 101;
	SHAPE(&f, "");
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_unfinished_judged_by_duration)
{
	struct forest fo;
	struct ft_thread t = {0};
	struct filter f = {.min_dur_ns = 1000};
	struct ft_node *a;

	forest_init(&fo, 8);
	forest_name(&fo, A, "A", "a.py", 1, 0);
	forest_name(&fo, B, "B", "a.py", 2, 0);
	a = forest_add(&fo, &t, NULL, A, 0, 5000, FT_NODE_UNFINISHED);
	forest_add(&fo, &t, a, B, 10, 999, FT_NODE_UNFINISHED);
	forest_add(&fo, &t, a, B, 10, 1000, FT_NODE_UNFINISHED | FT_NODE_BEFORE_ATTACH);
	FT_EQ_STR(walk_shape(&f, fo.names, &t), "A{ B }");
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_has_children_exact)
{
	struct forest fo;
	struct ft_thread t = {0};
	const char *exc[] = {"H"};
	struct filter f = {.exclude = exc, .nexclude = 1, .min_dur_ns = 10};
	struct ft_node *s, *h;

	forest_init(&fo, 32);
	forest_name(&fo, 1, "S", "s.py", 1, 0);
	forest_name(&fo, 2, "H", "h.py", 1, 0);
	/* only hidden children */
	s = forest_add(&fo, &t, NULL, 1, 0, 100, 0);
	h = forest_add(&fo, &t, s, 2, 1, 50, 0);
	forest_add(&fo, &t, h, 2, 2, 20, 0);
	/* only too short children */
	s = forest_add(&fo, &t, NULL, 1, 100, 100, 0);
	forest_add(&fo, &t, s, 1, 101, 5, 0);
	/* a shown node behind a too short hidden one */
	s = forest_add(&fo, &t, NULL, 1, 200, 100, 0);
	h = forest_add(&fo, &t, s, 2, 201, 5, 0);
	forest_add(&fo, &t, h, 1, 202, 50, 0);
	/* a shown node deep behind hidden ones, after a dead end */
	s = forest_add(&fo, &t, NULL, 1, 300, 100, 0);
	h = forest_add(&fo, &t, s, 2, 301, 50, 0);
	forest_add(&fo, &t, h, 2, 302, 40, 0);
	h = forest_add(&fo, &t, h, 2, 303, 40, 0);
	h = forest_add(&fo, &t, h, 2, 304, 30, 0);
	forest_add(&fo, &t, h, 1, 305, 20, 0);
	/* a lost marker behind a hidden one */
	s = forest_add(&fo, &t, NULL, 1, 400, 100, 0);
	h = forest_add(&fo, &t, s, 2, 401, 50, 0);
	forest_lost(&fo, &t, h, 1, 402);
	FT_EQ_STR(walk_shape(&f, fo.names, &t), "S S S S{ S } S{ LOST1 }");
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_far_name_id_costs_one_entry)
{
	struct forest fo;
	const char *inc[] = {"*.py"};
	struct filter f = {.include = inc, .ninclude = 1};

	/* a damaged or crafted trace file: an id near 2^32 */
	forest_init(&fo, 1);
	forest_name(&fo, 1, "main", "app.py", 1, 0);
	forest_name(&fo, 0xf0000000u, "far", "x.py", 2, 0);
	for (int round = 0; round < 2; round++) {
		FT_TRUE(filter__shows_name(&f, fo.names, 1));
		FT_TRUE(filter__shows_name(&f, fo.names, 0xf0000000u));
		FT_TRUE(!filter__shows_name(&f, fo.names, 0xfffffff0u)); /* never bound */
	}
	/* the dense cache reaches only as far as the ids bound justify */
	FT_TRUE(f.ncache < 1 << 20);
	FT_EQ_INT(hashmap__count(&f.far), 2);
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_name_decisions_cached)
{
	struct forest fo;
	const char *inc[] = {"*.py"}, *exc[] = {"_*"};
	struct filter f = {.include = inc, .ninclude = 1, .exclude = exc, .nexclude = 1};

	forest_init(&fo, 1);
	forest_name(&fo, 1, "main", "app.py", 1, 0);
	forest_name(&fo, 2, "_private", "app.py", 2, 0);
	forest_name(&fo, 3, "main", "app.c", 2, 0);
	forest_name(&fo, 100000, "late", "x.py", 2, 0);
	for (int round = 0; round < 2; round++) {
		FT_TRUE(filter__shows_name(&f, fo.names, 1));
		FT_TRUE(!filter__shows_name(&f, fo.names, 2));
		FT_TRUE(!filter__shows_name(&f, fo.names, 3));
		FT_TRUE(filter__shows_name(&f, fo.names, 100000));
		/* never bound: "<unknown>" in "" matches nothing */
		FT_TRUE(!filter__shows_name(&f, fo.names, 77));
	}
	/* 100000 is far beyond the 4 ids bound: kept aside, not in the array */
	FT_TRUE(f.ncache <= 100000);
	FT_EQ_INT(hashmap__count(&f.far), 1);
	FT_EQ_INT(f.cache[1], 1);
	FT_EQ_INT(f.cache[2], 2);
	FT_EQ_INT(f.cache[4], 0);
	filter__free(&f);
	FT_TRUE(!f.cache && !f.ncache);
	filter__free(&f);

	/* no globs: everything shows, nothing is cached */
	struct filter none = {.max_depth = 3};
	FT_TRUE(filter__shows_name(&none, fo.names, 2));
	FT_TRUE(!none.cache);
	FT_TRUE(filter__shows_name(NULL, fo.names, 2));

	const char *unk[] = {"<unk*"};
	struct filter u = {.include = unk, .ninclude = 1};
	FT_TRUE(filter__shows_name(&u, fo.names, 77));
	FT_TRUE(!filter__shows_name(&u, fo.names, 1));
	filter__free(&u);
	forest_free(&fo);
}

FT_TEST(filter_active)
{
	const char *g[] = {"x"};
	struct filter f = {0};

	FT_TRUE(!filter__active(NULL));
	FT_TRUE(!filter__active(&f));
	f = (struct filter){.include = g, .ninclude = 1};
	FT_TRUE(filter__active(&f));
	f = (struct filter){.exclude = g, .nexclude = 1};
	FT_TRUE(filter__active(&f));
	f = (struct filter){.max_depth = 1};
	FT_TRUE(filter__active(&f));
	f = (struct filter){.min_dur_ns = 1};
	FT_TRUE(filter__active(&f));
}

/* 5000 nested calls named top, mid..., leaf, alternating even/odd ids */
enum { DEEP = 5000 };

static void deep_chain(struct forest *fo, struct ft_thread *t)
{
	struct ft_node *p = NULL;

	forest_init(fo, DEEP + 1);
	memset(t, 0, sizeof(*t));
	forest_name(fo, 1, "top", "a.py", 1, 0);
	forest_name(fo, 2, "even", "a.py", 2, 0);
	forest_name(fo, 3, "odd", "a.py", 3, 0);
	forest_name(fo, 4, "leaf", "a.py", 4, 0);
	for (int i = 0; i < DEEP; i++) {
		uint32_t id = i == 0 ? 1 : i == DEEP - 1 ? 4 : i % 2 ? 3 : 2;

		p = forest_add(fo, t, p, id, i, 2 * (DEEP - i), 0);
	}
}

FT_TEST(filter_deep_chain_no_recursion)
{
	struct forest fo;
	struct ft_thread t;
	struct filter f = {0};
	int maxd;

	deep_chain(&fo, &t);
	FT_EQ_U64(walk_count(&f, fo.names, &t, &maxd), DEEP);
	FT_EQ_INT(maxd, DEEP - 1);

	const char *odd[] = {"odd"};
	f = (struct filter){.include = odd, .ninclude = 1};
	/* odd i from 1 to DEEP - 3: DEEP - 1 is the leaf */
	FT_EQ_U64(walk_count(&f, fo.names, &t, &maxd), DEEP / 2 - 1);
	FT_EQ_INT(maxd, DEEP / 2 - 2);
	filter__free(&f);

	const char *ends[] = {"top", "leaf"};
	f = (struct filter){.include = ends, .ninclude = 2};
	FT_EQ_STR(walk_shape(&f, fo.names, &t), "top{ leaf }");
	filter__free(&f);

	f = (struct filter){.max_depth = 3000};
	FT_EQ_U64(walk_count(&f, fo.names, &t, &maxd), 3000);
	FT_EQ_INT(maxd, 2999);

	/* durations shrink by 2 per level: 2 * (DEEP - i) >= 4000 keeps 3001 */
	f = (struct filter){.min_dur_ns = 2 * DEEP - 2 * 3000};
	FT_EQ_U64(walk_count(&f, fo.names, &t, &maxd), 3001);
	forest_free(&fo);
}

/* Shapes where recomputing has_children naively would cost n^2. */
FT_TEST(filter_wide_and_comb_stay_linear)
{
	enum { N = 200000 };
	struct forest fo;
	struct ft_thread t = {0};
	const char *exc[] = {"H"};
	struct filter f = {.exclude = exc, .nexclude = 1};
	struct ft_node *s, *h, *p;

	forest_init(&fo, 3 * N + 8);
	forest_name(&fo, 1, "S", "s.py", 1, 0);
	forest_name(&fo, 2, "H", "h.py", 1, 0);
	/* one shown root over N hidden children, each with a hidden child,
	 * and a shown great-grandchild only at the very end */
	s = forest_add(&fo, &t, NULL, 1, 0, 1, 0);
	for (int i = 0; i < N; i++)
		h = forest_add(&fo, &t, forest_add(&fo, &t, s, 2, 0, 1, 0), 2, 0, 1, 0);
	forest_add(&fo, &t, h, 1, 0, 1, 0);
	FT_EQ_STR(walk_shape(&f, fo.names, &t), "S{ S }");

	/* a comb: shown nodes nested N/2 deep, each with a hidden leaf first */
	forest_free(&fo);
	memset(&t, 0, sizeof(t));
	forest_init(&fo, N + 8);
	forest_name(&fo, 1, "S", "s.py", 1, 0);
	forest_name(&fo, 2, "H", "h.py", 1, 0);
	p = NULL;
	for (int i = 0; i < N / 2; i++) {
		if (p)
			forest_add(&fo, &t, p, 2, 0, 1, 0);
		p = forest_add(&fo, &t, p, 1, 0, 1, 0);
	}
	int maxd;
	FT_EQ_U64(walk_count(&f, fo.names, &t, &maxd), N / 2);
	FT_EQ_INT(maxd, N / 2 - 1);
	filter__free(&f);
	forest_free(&fo);
}

FT_TEST(filter_empty_thread)
{
	struct ft_thread t = {0};
	struct names *names = names__new();
	struct filter f = {0};

	FT_EQ_U64(walk_count(&f, names, &t, NULL), 0);
	names__free(names);
}
