// SPDX-License-Identifier: MIT
/* Call-tree builder: nesting, pre-attach frames, losses and resync,
 * unfinished frames, threads, streaming memory. Trees are compared as
 * compact strings: name ids, flags, children in braces. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/calltree.h"
#include "core/names.h"
#include "test.h"

#define T0 1000000ULL

static void dump_node(char **p, size_t *left, const struct ft_node *n)
{
	int w;

	if (n->flags & FT_NODE_LOST)
		w = snprintf(*p, *left, "LOST%u", n->lost);
	else
		w = snprintf(*p, *left, "%u", n->name);
	*p += w, *left -= w;
	static const struct {
		uint32_t flag;
		char c;
	} marks[] = {{FT_NODE_UNFINISHED, 'U'},
		     {FT_NODE_BEFORE_ATTACH, 'B'},
		     {FT_NODE_START_LOST, 'S'},
		     {FT_NODE_END_LOST, 'E'},
		     {FT_NODE_SPANS_LOSS, 'L'}};
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (n->flags & marks[i].flag) {
			w = snprintf(*p, *left, "%c", marks[i].c);
			*p += w, *left -= w;
		}
	if (n->first_child) {
		w = snprintf(*p, *left, "{");
		*p += w, *left -= w;
		for (const struct ft_node *c = n->first_child; c; c = c->next) {
			dump_node(p, left, c);
			if (c->next) {
				w = snprintf(*p, *left, ",");
				*p += w, *left -= w;
			}
		}
		w = snprintf(*p, *left, "}");
		*p += w, *left -= w;
	}
}

/* "tid:roots|tid:roots" */
static const char *dump(const struct calltree *ct)
{
	static char buf[8192];
	char *p = buf;
	size_t left = sizeof(buf);

	buf[0] = 0;
	for (size_t i = 0; i < calltree__nthreads(ct); i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);
		int w = snprintf(p, left, "%s%u:", i ? "|" : "", t->tid);
		p += w, left -= w;
		for (const struct ft_node *n = t->first_root; n; n = n->next) {
			dump_node(&p, &left, n);
			if (n->next) {
				w = snprintf(p, left, ",");
				p += w, left -= w;
			}
		}
	}
	return buf;
}

static struct calltree *new_tree(void)
{
	struct calltree_opts o = {.t0 = T0, .keep = true};
	struct calltree *ct = calltree__new(&o);

	FT_TRUE(ct);
	return ct;
}

/* one thread's records: E/R with depth and name, seq counted here unless skipped */
struct rec {
	char kind; /* 'E', 'R', or 'X' for a record lost in the ring */
	int32_t depth;
	uint32_t name;
};

static void feed(struct calltree *ct, uint32_t tid, const struct rec *r, size_t n)
{
	uint32_t seq = 0;
	uint64_t ts = T0 + 100;

	for (size_t i = 0; i < n; i++, seq++, ts += 100) {
		if (r[i].kind == 'E')
			FT_EQ_INT(calltree__push(ct, tid, ts, seq, r[i].depth, r[i].name), 0);
		else if (r[i].kind == 'R')
			FT_EQ_INT(calltree__pop(ct, tid, ts, seq, r[i].depth, r[i].name), 0);
	}
}

FT_TEST(calltree_nesting)
{
	struct calltree *ct = new_tree();
	const struct rec r[] = {
		{'E', 1, 1}, {'E', 2, 2}, {'R', 2, 2}, {'E', 2, 3},
		{'E', 3, 4}, {'R', 3, 4}, {'R', 2, 3}, {'R', 1, 1},
	};
	struct calltree_stats st;

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "7:1{2,3{4}}");
	calltree__stats(ct, &st);
	FT_EQ_U64(st.calls, 4);
	FT_EQ_U64(st.lost, 0);
	FT_EQ_U64(st.resyncs, 0);
	calltree__free(ct);
}

FT_TEST(calltree_times_relative_to_t0)
{
	struct calltree *ct = new_tree();

	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 1, 2, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 45, 2, 2, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 100, 3, 1, 1), 0);
	const struct ft_node *root = calltree__thread_at(ct, 0)->first_root;
	FT_EQ_U64(root->start_ns, 10);
	FT_EQ_U64(root->dur_ns, 90);
	FT_EQ_U64(root->first_child->start_ns, 20);
	FT_EQ_U64(root->first_child->dur_ns, 25);
	/* a record stamped before t0 (a probe that fired during attach) is 0, not negative */
	FT_EQ_INT(calltree__push(ct, 2, T0 - 5, 0, 1, 1), 0);
	FT_EQ_U64(calltree__thread_at(ct, 1)->first_root->start_ns, 0);
	calltree__free(ct);
}

FT_TEST(calltree_frames_entered_before_attach)
{
	struct calltree *ct = new_tree();
	/* attached inside P (level 0) called from Q (level -1): A and B ran in
	 * P, then P returned, Q called C and returned */
	const struct rec r[] = {
		{'E', 1, 1}, {'R', 1, 1}, {'E', 1, 2}, {'R', 1, 2},
		{'R', 0, 9}, {'E', 0, 3}, {'R', 0, 3}, {'R', -1, 8},
	};
	struct calltree_stats st;

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "7:8B{9B{1,2},3}");
	const struct ft_node *q = calltree__thread_at(ct, 0)->first_root;
	FT_EQ_U64(q->start_ns, 0);
	FT_EQ_INT(q->level, -1);
	calltree__stats(ct, &st);
	FT_EQ_U64(st.lost, 0);
	FT_EQ_U64(st.resyncs, 0);
	calltree__free(ct);
}

FT_TEST(calltree_first_record_is_a_return)
{
	struct calltree *ct = new_tree();
	const struct rec r[] = {{'R', 0, 5}, {'E', 0, 6}, {'R', 0, 6}, {'R', -1, 4}};

	feed(ct, 3, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "3:4B{5B,6}");
	calltree__free(ct);
}

FT_TEST(calltree_lost_records_inside_a_frame)
{
	struct calltree *ct = new_tree();
	/* the entry and return of 3 are lost: the depth still fits */
	const struct rec r[] = {{'E', 1, 1}, {'E', 2, 2}, {'X', 3, 3},
				{'X', 3, 3}, {'R', 2, 2}, {'R', 1, 1}};
	struct calltree_stats st;

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "7:1L{2L{LOST2}}");
	calltree__stats(ct, &st);
	FT_EQ_U64(st.lost, 2);
	FT_EQ_U64(st.resyncs, 0);
	FT_EQ_U64(calltree__thread_at(ct, 0)->lost, 2);
	calltree__free(ct);
}

FT_TEST(calltree_lost_return_closes_frame)
{
	struct calltree *ct = new_tree();
	/* 2's return is lost; 3 is a sibling of 2, not its child */
	const struct rec r[] = {{'E', 1, 1}, {'E', 2, 2}, {'X', 2, 2},
				{'E', 2, 3}, {'R', 2, 3}, {'R', 1, 1}};
	struct calltree_stats st;

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "7:1L{2EL{LOST1},3}");
	calltree__stats(ct, &st);
	FT_EQ_U64(st.resyncs, 1);
	calltree__free(ct);
}

FT_TEST(calltree_lost_entry_opens_placeholder)
{
	struct calltree *ct = new_tree();
	/* the entry of 2 is lost; its return still closes a frame under 1 */
	const struct rec r[] = {{'E', 1, 1}, {'X', 2, 2}, {'R', 2, 2}, {'R', 1, 1}};

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "7:1L{LOST1,2S}");
	calltree__free(ct);
}

FT_TEST(calltree_lost_entries_several_levels)
{
	struct calltree *ct = new_tree();
	/* entries of 2 and 3 lost, then 4 enters at level 4 */
	const struct rec r[] = {{'E', 1, 1}, {'X', 2, 2}, {'X', 3, 3}, {'E', 4, 4},
				{'R', 4, 4}, {'R', 3, 3}, {'R', 2, 2}, {'R', 1, 1}};

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	/* the placeholders learn their names from their returns */
	FT_EQ_STR(dump(ct), "7:1L{LOST2,2SL{3S{4}}}");
	calltree__free(ct);
}

FT_TEST(calltree_lost_returns_below_roots)
{
	struct calltree *ct = new_tree();
	/* attach inside level 0; its return and the return of level -1 are
	 * lost; then a new call at level -1 */
	const struct rec r[] = {{'E', 1, 1},  {'R', 1, 1},  {'X', 0, 9},
				{'X', -1, 8}, {'E', -1, 5}, {'R', -1, 5}};

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "7:0SEL{0SEL{1,LOST2}},5");
	calltree__free(ct);
}

FT_TEST(calltree_first_records_lost)
{
	struct calltree *ct = new_tree();

	/* the thread's first record seen has seq 3: three were lost before it */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 3, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 20, 4, 1, 1), 0);
	FT_EQ_STR(dump(ct), "1:LOST3,1");
	calltree__free(ct);
}

FT_TEST(calltree_unfinished_at_finish)
{
	struct calltree *ct = new_tree();

	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 1, 2, 2), 0);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 30, 2, 3, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 40, 3, 3, 3), 0);
	calltree__finish(ct, T0 + 1000);
	FT_EQ_STR(dump(ct), "1:1U{2U{3}}");
	const struct ft_node *root = calltree__thread_at(ct, 0)->first_root;
	FT_EQ_U64(root->dur_ns, 990);
	struct calltree_stats st;
	calltree__stats(ct, &st);
	FT_EQ_U64(st.open, 2);
	FT_EQ_U64(st.calls, 3);
	calltree__free(ct);
}

FT_TEST(calltree_threads_in_first_record_order)
{
	struct calltree *ct = new_tree();

	FT_EQ_INT(calltree__thread(ct, 20, "worker"), 0);
	FT_EQ_INT(calltree__push(ct, 10, T0 + 1, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 20, T0 + 2, 0, 1, 2), 0);
	FT_EQ_INT(calltree__push(ct, 10, T0 + 3, 1, 2, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 20, T0 + 4, 1, 1, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 10, T0 + 5, 2, 2, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 10, T0 + 6, 3, 1, 1), 0);
	FT_EQ_STR(dump(ct), "20:2|10:1{3}");
	FT_EQ_STR(calltree__thread_at(ct, 0)->comm, "worker");
	calltree__free(ct);
}

FT_TEST(calltree_many_threads)
{
	struct calltree *ct = new_tree();

	for (uint32_t tid = 1; tid <= 1000; tid++)
		FT_EQ_INT(calltree__push(ct, tid * 7919, T0 + tid, 0, 1, tid), 0);
	for (uint32_t tid = 1; tid <= 1000; tid++)
		FT_EQ_INT(calltree__pop(ct, tid * 7919, T0 + 2000 + tid, 1, 1, tid), 0);
	FT_EQ_INT(calltree__nthreads(ct), 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);
		FT_EQ_INT(t->tid, (i + 1) * 7919);
		FT_EQ_INT(t->first_root->name, i + 1);
		FT_TRUE(!t->first_root->next);
	}
	calltree__free(ct);
}

FT_TEST(calltree_deep_recursion)
{
	struct calltree *ct = new_tree();
	const int depth = 20000;
	uint32_t seq = 0;

	for (int d = 1; d <= depth; d++)
		FT_EQ_INT(calltree__push(ct, 1, T0 + d, seq++, d, 1), 0);
	for (int d = depth; d >= 1; d--)
		FT_EQ_INT(calltree__pop(ct, 1, T0 + 2 * depth - d, seq++, d, 1), 0);
	const struct ft_node *n = calltree__thread_at(ct, 0)->first_root;
	int levels = 0;
	for (; n; n = n->first_child) {
		levels++;
		FT_TRUE(!n->next);
	}
	FT_EQ_INT(levels, depth);
	struct calltree_stats st;
	calltree__stats(ct, &st);
	FT_EQ_U64(st.resyncs, 0);
	calltree__free(ct);
}

struct order_log {
	char buf[256];
	size_t len;
};

static void log_complete(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct order_log *l = ctx;

	l->len += snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%u@%d", l->len ? " " : "",
			   n->flags & FT_NODE_LOST ? 0 : n->name, depth);
}

FT_TEST(calltree_streaming_order_and_depth)
{
	struct order_log log = {0};
	struct calltree_opts o = {
		.t0 = T0, .keep = false, .on_complete = log_complete, .ctx = &log};
	struct calltree *ct = calltree__new(&o);
	const struct rec r[] = {{'E', 1, 1}, {'E', 2, 2}, {'R', 2, 2}, {'E', 2, 3},
				{'R', 2, 3}, {'R', 1, 1}, {'R', 0, 4}};

	feed(ct, 1, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(log.buf, "2@1 3@1 1@0 4@-1");
	calltree__free(ct);
}

FT_TEST(calltree_streaming_memory_is_flat)
{
	struct calltree_opts o = {.t0 = T0, .keep = false};
	struct calltree *ct = calltree__new(&o);
	struct calltree_stats st;
	uint32_t seq = 0;
	uint64_t ts = T0;

	FT_EQ_INT(calltree__push(ct, 1, ts++, seq++, 1, 1), 0);
	for (int i = 0; i < 200000; i++) {
		FT_EQ_INT(calltree__push(ct, 1, ts++, seq++, 2, 2), 0);
		FT_EQ_INT(calltree__push(ct, 1, ts++, seq++, 3, 3), 0);
		FT_EQ_INT(calltree__pop(ct, 1, ts++, seq++, 3, 3), 0);
		FT_EQ_INT(calltree__pop(ct, 1, ts++, seq++, 2, 2), 0);
	}
	calltree__stats(ct, &st);
	FT_EQ_U64(st.nodes, 1); /* only the open root */
	FT_EQ_U64(st.calls, 400000);
	calltree__free(ct);
}

static struct calltree *new_named_tree(struct names **names)
{
	*names = names__new();
	names__bind(*names, 1, "outer", 5, "/a.py", 5, 1, 0);
	names__bind(*names, 2, "flood", 5, "/a.py", 5, 10, 0);
	names__bind(*names, 3, "after", 5, "/a.py", 5, 20, 0);
	names__bind(*names, 4, "flood", 5, "/a.py", 5, 12, 0); /* flood's return line */
	struct calltree_opts o = {.t0 = T0, .keep = true, .names = *names};
	return calltree__new(&o);
}

FT_TEST(calltree_return_after_loss_matches_function)
{
	struct names *names;
	struct calltree *ct = new_named_tree(&names);
	/* flood's return and after's entry are lost; after's return arrives at
	 * the level flood is open at: it must not close flood */
	const struct rec r[] = {{'E', 1, 1}, {'E', 2, 2}, {'X', 2, 4},
				{'X', 2, 3}, {'R', 2, 3}, {'R', 1, 1}};

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "7:1L{2EL{LOST2},3S}");
	calltree__free(ct);
	names__free(names);
}

FT_TEST(calltree_return_after_loss_same_function_other_line)
{
	struct names *names;
	struct calltree *ct = new_named_tree(&names);
	/* a loss elsewhere, then flood returns under its return-line id (4) */
	const struct rec r[] = {{'E', 1, 1}, {'E', 2, 2}, {'X', 3, 3},
				{'X', 3, 3}, {'R', 2, 4}, {'R', 1, 1}};

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_STR(dump(ct), "7:1L{2L{LOST2}}");
	calltree__free(ct);
	names__free(names);
}

FT_TEST(calltree_losses_at_the_end)
{
	struct calltree *ct = new_tree();

	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 1, 2, 2), 0);
	/* everything after was lost and the target exited */
	calltree__finish_lost(ct, T0 + 1000, 500, true);
	FT_EQ_STR(dump(ct), "1:1EL{2EL{LOST500}}");
	struct calltree_stats st;
	calltree__stats(ct, &st);
	FT_EQ_U64(st.open, 0);
	calltree__free(ct);

	/* still running (Ctrl-C): unfinished, and the loss still shows */
	ct = new_tree();
	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	calltree__finish_lost(ct, T0 + 1000, 3, false);
	FT_EQ_STR(dump(ct), "1:1UL{LOST3}");
	calltree__free(ct);

	/* nothing open: the marker goes to the thread seen last */
	ct = new_tree();
	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 20, 1, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 2, T0 + 30, 0, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 2, T0 + 40, 1, 1, 1), 0);
	calltree__finish_lost(ct, T0 + 1000, 9, true);
	FT_EQ_STR(dump(ct), "1:1|2:1,LOST9");
	calltree__free(ct);
}

static void log_flags(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct order_log *l = ctx;

	(void)t;
	(void)depth;
	if (n->flags & FT_NODE_LOST)
		l->len += snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%sLOST",
				   l->len ? " " : "");
	else
		l->len += snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%u%s",
				   l->len ? " " : "", n->name,
				   n->flags & FT_NODE_SPANS_LOSS ? "L" : "");
}

FT_TEST(calltree_spans_loss_marks_every_caller_of_a_loss)
{
	struct calltree *ct = new_tree();
	/* 2 loses records under it; its sibling 3 does not; 1 spans 2's loss;
	 * then 1's caller (from before attach) returns and spans it too */
	const struct rec r[] = {{'E', 1, 1}, {'E', 2, 2}, {'E', 3, 5}, {'X', 4, 6},
				{'X', 4, 6}, {'R', 3, 5}, {'R', 2, 2}, {'E', 2, 3},
				{'R', 2, 3}, {'R', 1, 1}, {'R', 0, 4}};

	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	/* a thread without losses: nothing is marked, also not the frame
	 * wrapped around its roots */
	const struct rec clean[] = {{'E', 1, 1}, {'R', 1, 1}, {'R', 0, 4}};
	feed(ct, 8, clean, sizeof(clean) / sizeof(clean[0]));
	FT_EQ_STR(dump(ct), "7:4SL{1L{2L{5L{LOST2}},3}}|8:4B{1}");
	calltree__free(ct);

	/* an entry lost without a gap seen before it (a placeholder's return)
	 * and a return lost: their callers span the loss */
	ct = new_tree();
	const struct rec ph[] = {{'E', 1, 1}, {'E', 2, 2}, {'X', 3, 3}, {'X', 3, 3},
				 {'X', 3, 3}, {'R', 3, 3}, {'R', 2, 2}, {'R', 1, 1}};
	feed(ct, 7, ph, sizeof(ph) / sizeof(ph[0]));
	FT_EQ_STR(dump(ct), "7:1L{2L{LOST3,3S}}");
	calltree__free(ct);
}

FT_TEST(calltree_spans_loss_streaming)
{
	struct order_log log = {0};
	struct calltree_opts o = {.t0 = T0, .keep = false, .on_complete = log_flags, .ctx = &log};
	struct calltree *ct = calltree__new(&o);
	const struct rec r[] = {{'E', 1, 1}, {'E', 2, 2}, {'X', 3, 3}, {'X', 3, 3}, {'R', 2, 2},
				{'E', 2, 3}, {'R', 2, 3}, {'R', 1, 1}, {'R', 0, 4}};

	feed(ct, 1, r, sizeof(r) / sizeof(r[0]));
	/* flags are final when a call is reported: children come first */
	FT_EQ_STR(log.buf, "LOST 2L 3 1L 4L");
	calltree__free(ct);
}

static struct calltree_stats stats_of(const struct calltree *ct)
{
	struct calltree_stats st;

	calltree__stats(ct, &st);
	return st;
}

FT_TEST(calltree_depth_jump_without_loss_is_refused)
{
	struct calltree *ct = new_tree();

	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 1, 2, 2), 0);
	/* one edited depth, no record lost before it: it would open 997
	 * placeholders the file cannot justify */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 30, 2, 1000, 3), -ERANGE);
	const struct calltree_reject *rj = calltree__rejected(ct);
	FT_TRUE(rj);
	FT_EQ_U64(rj->record, 3);
	FT_EQ_INT(rj->tid, 1);
	FT_EQ_INT(rj->depth, 1000);
	FT_EQ_INT(rj->expected, 3);
	FT_EQ_INT(rj->gap, 0);
	FT_TRUE(rj->entry && !rj->first);
	FT_EQ_INT(rj->why, CALLTREE_REJECT_GAP);
	/* the extremes, which used to overflow int32 arithmetic */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 30, 2, INT32_MAX, 3), -ERANGE);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 30, 2, INT32_MIN, 3), -ERANGE);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 30, 2, INT32_MAX, 3), -ERANGE);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 30, 2, INT32_MIN, 3), -ERANGE);
	/* downwards too: 2 closing with no return lost is damage as well */
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 30, 2, -5000, 2), -ERANGE);
	FT_EQ_U64(stats_of(ct).rejected, 6);
	FT_EQ_U64(stats_of(ct).unseen, 0);
	FT_EQ_U64(calltree__rejected(ct)->depth, 1000); /* the first one is kept */
	/* nothing changed; the refused record's seq shows as one lost */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 40, 3, 3, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 50, 4, 3, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 60, 5, 2, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 70, 6, 1, 1), 0);
	FT_EQ_STR(dump(ct), "1:1L{2L{LOST1,3}}");
	FT_EQ_U64(stats_of(ct).nodes, 4);
	calltree__free(ct);

	/* a thread's first record: any depth within the bound sets its levels */
	ct = new_tree();
	FT_EQ_INT(calltree__push(ct, 2, T0 + 10, 0, INT32_MIN, 1), -ERANGE);
	FT_EQ_INT(calltree__pop(ct, 2, T0 + 10, 0, INT32_MAX, 1), -ERANGE);
	FT_TRUE(calltree__rejected(ct)->first);
	FT_EQ_INT(calltree__rejected(ct)->why, CALLTREE_REJECT_RANGE);
	FT_EQ_INT(calltree__pop(ct, 2, T0 + 10, 0, CALLTREE_DEPTH_MAX + 1, 1), -ERANGE);
	FT_EQ_INT(calltree__pop(ct, 2, T0 + 10, 0, CALLTREE_DEPTH_MAX, 1), 0);
	FT_EQ_INT(calltree__push(ct, 3, T0 + 10, 0, -CALLTREE_DEPTH_MAX, 1), 0);
	FT_EQ_INT(calltree__push(ct, 3, T0 + 20, 1, -CALLTREE_DEPTH_MAX + 1, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 3, T0 + 30, 2, -CALLTREE_DEPTH_MAX + 1, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 3, T0 + 40, 3, -CALLTREE_DEPTH_MAX, 1), 0);
	FT_EQ_STR(dump(ct), "2:1B|3:1{2}");
	calltree__free(ct);
}

FT_TEST(calltree_depth_jump_within_loss_is_accepted)
{
	struct calltree *ct = new_tree();

	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	/* 5 records lost: the entries of levels 2..5 can be among them, not
	 * those of 2..7 */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 6, 8, 8), -ERANGE);
	FT_EQ_INT(calltree__rejected(ct)->gap, 5);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 6, 6, 6), 0);
	FT_EQ_U64(stats_of(ct).unseen, 4);
	calltree__finish(ct, T0 + 100);
	FT_EQ_STR(dump(ct), "1:1UL{LOST5,0USL{0USL{0USL{0US{6U}}}}}");
	calltree__free(ct);

	/* returns lost below the roots (frames from before attach) are
	 * unseen frames too: as many as records were lost */
	ct = new_tree();
	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 20, 1, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 30, 4, -4, 9), -ERANGE);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 30, 4, -2, 9), 0);
	FT_EQ_U64(stats_of(ct).unseen, 2);
	FT_EQ_STR(dump(ct), "1:9SL{0SEL{0SEL{1,LOST2}}}");
	calltree__free(ct);
}

FT_TEST(calltree_unseen_frames_bounded_by_records)
{
	struct calltree_opts o = {.t0 = T0, .keep = false};
	struct calltree *ct = calltree__new(&o);

	/* a seq gap can claim any number of lost records; the frames opened
	 * for them stay within the slack plus one per record consumed */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 1u << 31, 1 << 23, 2), -ERANGE);
	FT_EQ_INT(calltree__rejected(ct)->why, CALLTREE_REJECT_BUDGET);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 1u << 31, CALLTREE_UNSEEN_SLACK + 4, 2), -ERANGE);
	FT_EQ_U64(stats_of(ct).nodes, 1);
	/* one record consumed so far: the slack and one more */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 1u << 31, CALLTREE_UNSEEN_SLACK + 3, 2), 0);
	FT_EQ_U64(stats_of(ct).unseen, CALLTREE_UNSEEN_SLACK + 1);
	/* the budget is spent but for the record just consumed */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 30, (1u << 31) + 10, CALLTREE_UNSEEN_SLACK + 6, 2),
		  -ERANGE);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 30, (1u << 31) + 10, CALLTREE_UNSEEN_SLACK + 5, 2), 0);
	FT_EQ_U64(stats_of(ct).rejected, 3);
	calltree__free(ct);
}

FT_TEST(calltree_reused_tid_starts_afresh)
{
	struct calltree *ct = new_tree();

	/* a thread ends inside two frames; a new thread gets its tid, and BPF
	 * numbers its records from 0 again at depth 1 */
	FT_EQ_INT(calltree__push(ct, 1, T0 + 10, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 20, 1, 2, 2), 0);
	FT_EQ_INT(calltree__push(ct, 1, T0 + 30, 0, 1, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 40, 1, 1, 3), 0);
	FT_EQ_STR(dump(ct), "1:1EL{2E},3");
	FT_EQ_U64(stats_of(ct).rejected, 0);
	calltree__free(ct);
}

/* CPython 3.15's markers fire no return for a frame an exception unwinds:
 * outer calls flood, flood raises (no return record), outer catches it,
 * calls after, and returns. BPF's depth stays one too deep from flood on. */
static const struct rec unwound_flood[] = {
	{'E', 1, 1}, {'E', 2, 2}, {'E', 3, 3}, {'R', 3, 3}, {'R', 2, 1}, {'E', 2, 3}, {'R', 2, 3},
};

FT_TEST(calltree_return_below_top_closes_unwound_frames)
{
	struct names *names;
	struct calltree *ct = new_named_tree(&names);

	feed(ct, 7, unwound_flood, sizeof(unwound_flood) / sizeof(unwound_flood[0]));
	/* after, called once flood was gone, cannot be told from a call of
	 * flood's: it stays under flood, whose end is flagged unknown. outer
	 * closes at its own return, and the next after is a root again */
	FT_EQ_STR(dump(ct), "7:1L{2E{3}},3");
	FT_EQ_U64(stats_of(ct).unwound, 1);
	FT_EQ_U64(stats_of(ct).rejected, 0);
	/* a new thread under the tid: BPF counts its depth from 1 again */
	FT_EQ_INT(calltree__push(ct, 7, T0 + 900, 0, 1, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 7, T0 + 910, 1, 1, 3), 0);
	FT_EQ_STR(dump(ct), "7:1L{2E{3}},3,3");
	calltree__free(ct);
	names__free(names);
}

FT_TEST(calltree_return_below_top_needs_known_names)
{
	struct names *names;
	struct calltree *ct = new_tree();

	/* without names depth is all there is: nothing is closed as unwound */
	feed(ct, 7, unwound_flood, sizeof(unwound_flood) / sizeof(unwound_flood[0]));
	FT_EQ_U64(stats_of(ct).unwound, 0);
	calltree__free(ct);
	/* a record lost just before the return: the loss explains it */
	ct = new_named_tree(&names);
	const struct rec r[] = {{'E', 1, 1}, {'E', 2, 2}, {'X', 3, 3}, {'R', 2, 1}};
	feed(ct, 7, r, sizeof(r) / sizeof(r[0]));
	FT_EQ_U64(stats_of(ct).unwound, 0);
	calltree__free(ct);
	names__free(names);
}
