// SPDX-License-Identifier: MIT
/* --trigger on the builder: which calls are kept, their context, the
 * --min-duration rule for trigger calls, the streaming order, and that
 * memory stays flat over millions of calls outside any trigger. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "app/capture.h"
#include "core/calltree.h"
#include "core/names.h"
#include "core/trigger.h"
#include "test.h"

enum { MAIN = 1, HANDLE, WORK, IDLE, HANDLE_INNER };

static struct names *test_names(void)
{
	struct names *n = names__new();

	names__bind(n, MAIN, "main", 4, "app.py", 6, 1, 0);
	names__bind(n, HANDLE, "handle_request", 14, "app.py", 6, 10, 0);
	names__bind(n, WORK, "work", 4, "lib.py", 6, 20, 0);
	names__bind(n, IDLE, "idle", 4, "app.py", 6, 30, 0);
	names__bind(n, HANDLE_INNER, "handle_inner", 12, "app.py", 6, 40, 0);
	return n;
}

/* records of thread 1, stamped like BPF: depth and seq advance per record */
struct feed {
	struct calltree *ct;
	uint32_t seq;
	int32_t depth;
	uint64_t ts;
};

static void in(struct feed *f, uint32_t name, uint64_t dt)
{
	f->ts += dt;
	FT_EQ_INT(calltree__push(f->ct, 1, f->ts, f->seq++, ++f->depth, name), 0);
}

static void out(struct feed *f, uint32_t name, uint64_t dt)
{
	f->ts += dt;
	FT_EQ_INT(calltree__pop(f->ct, 1, f->ts, f->seq++, f->depth--, name), 0);
}

static void dump_node(char **p, size_t *left, const struct ft_node *n)
{
	int w = snprintf(*p, *left, "%u%s", n->name, n->flags & FT_NODE_CONTEXT ? "C" : "");

	*p += w, *left -= w;
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

static const char *dump(const struct calltree *ct)
{
	static char buf[4096];
	char *p = buf;
	size_t left = sizeof(buf);

	buf[0] = 0;
	for (size_t i = 0; i < calltree__nthreads(ct); i++)
		for (const struct ft_node *r = calltree__thread_at(ct, i)->first_root; r;
		     r = r->next) {
			dump_node(&p, &left, r);
			if (r->next) {
				int w = snprintf(p, left, ",");
				p += w, left -= w;
			}
		}
	return buf;
}

static const char *globs[] = {"handle_*"};

static struct calltree *builder_for(struct trigger *tr, const struct names *names)
{
	struct calltree_opts co = {
		.names = names, .keep = false, .on_complete = trigger__complete, .ctx = tr};

	return calltree__new(&co);
}

/* main { handle(short){work} idle handle(long){work, idle} idle } */
static void requests(struct feed *f)
{
	in(f, MAIN, 1);
	in(f, HANDLE, 1);
	in(f, WORK, 1);
	out(f, WORK, 1);
	out(f, HANDLE, 1);
	in(f, IDLE, 1);
	out(f, IDLE, 1);
	in(f, HANDLE, 1);
	in(f, WORK, 1);
	out(f, WORK, 1000);
	in(f, IDLE, 1);
	out(f, IDLE, 1);
	out(f, HANDLE, 1);
	in(f, IDLE, 1);
	out(f, IDLE, 1);
	out(f, MAIN, 1);
}

FT_TEST(trigger_keeps_the_subtree_under_its_context)
{
	struct names *names = test_names();
	struct trigger_opts to = {.globs = globs, .nglobs = 1, .names = names, .keep = true};
	struct trigger *tr = trigger__new(&to);
	struct feed f = {.ct = builder_for(tr, names)};
	struct trigger_stats st;

	requests(&f);
	calltree__finish(f.ct, f.ts);
	/* both requests under one context copy of main; idle outside is gone */
	FT_EQ_STR(dump(trigger__forest(tr)), "1C{2{3},2{3,4}}");
	trigger__stats(tr, &st);
	FT_EQ_U64(st.kept, 2);
	FT_EQ_U64(st.dropped, 0);
	/* the context's duration is the ancestor's own */
	const struct ft_node *m = calltree__thread_at(trigger__forest(tr), 0)->first_root;
	FT_EQ_U64(m->dur_ns, f.ts - 1);
	calltree__free(f.ct);
	trigger__free(tr);
	names__free(names);
}

FT_TEST(trigger_min_duration_drops_short_trigger_calls)
{
	struct names *names = test_names();
	struct trigger_opts to = {
		.globs = globs, .nglobs = 1, .names = names, .keep = true, .min_dur_ns = 500};
	struct trigger *tr = trigger__new(&to);
	struct feed f = {.ct = builder_for(tr, names)};
	struct trigger_stats st;

	requests(&f);
	calltree__finish(f.ct, f.ts);
	/* the long one whole, its short children included */
	FT_EQ_STR(dump(trigger__forest(tr)), "1C{2{3,4}}");
	trigger__stats(tr, &st);
	FT_EQ_U64(st.kept, 1);
	FT_EQ_U64(st.dropped, 1);
	calltree__free(f.ct);
	trigger__free(tr);
	names__free(names);
}

FT_TEST(trigger_matches_the_outermost_call_and_files_too)
{
	static const char *by_file[] = {"lib.py", "handle_*"};
	struct names *names = test_names();
	struct trigger_opts to = {.globs = by_file, .nglobs = 2, .names = names, .keep = true};
	struct trigger *tr = trigger__new(&to);
	struct feed f = {.ct = builder_for(tr, names)};

	in(&f, MAIN, 1);
	in(&f, IDLE, 1);
	in(&f, WORK, 1); /* lib.py: a trigger of its own */
	out(&f, WORK, 1);
	out(&f, IDLE, 1);
	in(&f, HANDLE, 1);
	in(&f, HANDLE_INNER, 1); /* inside a trigger: part of it */
	in(&f, WORK, 1);
	out(&f, WORK, 1);
	out(&f, HANDLE_INNER, 1);
	out(&f, HANDLE, 1);
	calltree__finish(f.ct, f.ts + 1); /* main still running */
	FT_EQ_STR(dump(trigger__forest(tr)), "1C{4C{3},2{5{3}}}");
	const struct ft_node *m = calltree__thread_at(trigger__forest(tr), 0)->first_root;
	FT_TRUE(m->flags & FT_NODE_UNFINISHED);
	calltree__free(f.ct);
	trigger__free(tr);
	names__free(names);
}

struct emitted {
	char order[256];
	size_t n;
};

static void collect(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct emitted *e = ctx;

	(void)t;
	FT_EQ_INT(depth, n->level - 1);
	e->n += snprintf(e->order + e->n, sizeof(e->order) - e->n, "%u%s ", n->name,
			 n->flags & FT_NODE_CONTEXT ? "C" : "");
}

FT_TEST(trigger_streams_children_first_and_context_when_it_ends)
{
	struct names *names = test_names();
	struct emitted e = {0};
	struct trigger_opts to = {.globs = globs,
				  .nglobs = 1,
				  .names = names,
				  .min_dur_ns = 500,
				  .emit = collect,
				  .ctx = &e};
	struct trigger *tr = trigger__new(&to);
	struct feed f = {.ct = builder_for(tr, names)};

	requests(&f);
	calltree__finish(f.ct, f.ts);
	FT_EQ_STR(e.order, "3 4 2 1C ");
	calltree__free(f.ct);
	trigger__free(tr);
	names__free(names);
}

FT_TEST(trigger_memory_stays_flat_over_millions_of_calls)
{
	struct names *names = test_names();
	struct emitted e = {0};
	struct trigger_opts to = {.globs = globs,
				  .nglobs = 1,
				  .names = names,
				  .min_dur_ns = 500,
				  .emit = collect,
				  .ctx = &e};
	struct trigger *tr = trigger__new(&to);
	struct feed f = {.ct = builder_for(tr, names)};
	struct calltree_stats cs;
	struct trigger_stats st;

	in(&f, MAIN, 1);
	for (int i = 0; i < 1000000; i++) {
		/* short requests (dropped) and calls outside any trigger */
		in(&f, HANDLE, 1);
		in(&f, WORK, 1);
		out(&f, WORK, 1);
		out(&f, HANDLE, 1);
		in(&f, IDLE, 1);
		out(&f, IDLE, 1);
		if (i % 100000 == 0) {
			calltree__stats(f.ct, &cs);
			trigger__stats(tr, &st);
			if (cs.nodes > 2 || st.nodes > 0)
				FT_FAIL("after %d requests: %llu builder nodes, %llu copies", i,
					(unsigned long long)cs.nodes, (unsigned long long)st.nodes);
		}
	}
	out(&f, MAIN, 1);
	trigger__stats(tr, &st);
	FT_EQ_U64(st.dropped, 1000000);
	FT_EQ_U64(st.kept, 0);
	FT_EQ_STR(e.order, "");
	calltree__free(f.ct);
	trigger__free(tr);
	names__free(names);
}

FT_TEST(trigger_kept_forest_holds_only_kept_calls)
{
	struct names *names = test_names();
	struct trigger_opts to = {
		.globs = globs, .nglobs = 1, .names = names, .keep = true, .min_dur_ns = 500};
	struct trigger *tr = trigger__new(&to);
	struct feed f = {.ct = builder_for(tr, names)};
	struct trigger_stats st;

	in(&f, MAIN, 1);
	for (int i = 0; i < 500000; i++) {
		in(&f, HANDLE, 1);
		in(&f, WORK, 1);
		out(&f, WORK, i % 100000 == 7 ? 1000 : 1); /* five slow ones */
		out(&f, HANDLE, 1);
		in(&f, IDLE, 1);
		out(&f, IDLE, 1);
	}
	out(&f, MAIN, 1);
	trigger__stats(tr, &st);
	FT_EQ_U64(st.kept, 5);
	/* main's context copy and five requests of two calls */
	FT_EQ_U64(st.nodes, 11);
	calltree__free(f.ct);
	trigger__free(tr);
	names__free(names);
}

FT_TEST(capture_dump_names_say_when)
{
	struct timespec when = {.tv_sec = 1796645594, .tv_nsec = 123456789};
	char buf[256];

	/* 1796645594 = 2026-12-07T12:13:14Z */
	FT_EQ_INT(capture_dump_name(buf, sizeof(buf), "out/trace.json", "json", &when), 0);
	FT_EQ_STR(buf, "out/trace.20261207T121314.123Z.json");
	FT_EQ_INT(capture_dump_name(buf, sizeof(buf), NULL, "tree", &when), 0);
	FT_EQ_STR(buf, "flowtrace.20261207T121314.123Z.txt");
	FT_EQ_INT(capture_dump_name(buf, sizeof(buf), "trace", "tree", &when), 0);
	FT_EQ_STR(buf, "trace.20261207T121314.123Z");
	FT_EQ_INT(capture_dump_name(buf, sizeof(buf), "a.d/.trace", "jsonl", &when), 0);
	FT_EQ_STR(buf, "a.d/.trace.20261207T121314.123Z");
	FT_EQ_INT(capture_dump_name(buf, 20, "trace.json", "json", &when), -ENAMETOOLONG);
}

FT_TEST(trigger_frame_entered_before_the_trace_becomes_context)
{
	struct names *names = test_names();
	struct trigger_opts to = {.globs = globs, .nglobs = 1, .names = names, .keep = true};
	struct trigger *tr = trigger__new(&to);
	/* the trace starts inside main: its return, below the first level,
	 * wraps what ran, the kept request included */
	struct feed f = {.ct = builder_for(tr, names), .depth = 1};

	in(&f, HANDLE, 1);
	in(&f, WORK, 1);
	out(&f, WORK, 1);
	out(&f, HANDLE, 1);
	in(&f, IDLE, 1);
	out(&f, IDLE, 1);
	out(&f, MAIN, 1);
	calltree__finish(f.ct, f.ts);
	FT_EQ_STR(dump(trigger__forest(tr)), "1C{2{3}}");
	const struct ft_node *m = calltree__thread_at(trigger__forest(tr), 0)->first_root;
	FT_TRUE(m->flags & FT_NODE_BEFORE_ATTACH);
	FT_EQ_INT(m->level, 1);
	calltree__free(f.ct);
	trigger__free(tr);
	names__free(names);
}

FT_TEST(trigger_streams_a_wrapping_frame_after_what_it_wraps)
{
	struct names *names = test_names();
	struct emitted e = {0};
	struct trigger_opts to = {
		.globs = globs, .nglobs = 1, .names = names, .emit = collect, .ctx = &e};
	struct trigger *tr = trigger__new(&to);
	struct feed f = {.ct = builder_for(tr, names), .depth = 1};

	in(&f, HANDLE, 1);
	out(&f, HANDLE, 1);
	out(&f, MAIN, 1);
	calltree__finish(f.ct, f.ts);
	FT_EQ_STR(e.order, "2 1C ");
	calltree__free(f.ct);
	trigger__free(tr);
	names__free(names);
}
