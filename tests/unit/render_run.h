/* SPDX-License-Identifier: MIT */
/* Test helper for the renderer tests (test_render_*.c): builds forests
 * through the real call-tree builder from ENTER/LEAVE steps with exact
 * times, and runs a non-streaming renderer into a string. */
#ifndef FT_TEST_RENDER_RUN_H
#define FT_TEST_RENDER_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/names.h"
#include "output/render.h"
#include "test.h"

struct rdrive {
	struct calltree *ct;
	struct names *names;
	struct {
		uint32_t tid, seq;
		int32_t depth;
	} th[8];
	size_t nth;
};

static inline void rdrive_init(struct rdrive *d)
{
	struct calltree_opts o = {.keep = true};

	memset(d, 0, sizeof(*d));
	d->ct = calltree__new(&o);
	d->names = names__new();
	FT_TRUE(d->ct && d->names);
}

static inline void rdrive_free(struct rdrive *d)
{
	calltree__free(d->ct);
	names__free(d->names);
}

static inline size_t rdrive_th(struct rdrive *d, uint32_t tid)
{
	for (size_t i = 0; i < d->nth; i++)
		if (d->th[i].tid == tid)
			return i;
	FT_TRUE(d->nth < 8);
	d->th[d->nth].tid = tid;
	d->th[d->nth].seq = 0;
	d->th[d->nth].depth = 0;
	return d->nth++;
}

static inline void rd_name(struct rdrive *d, uint32_t id, const char *func, const char *file,
			   uint32_t line, uint32_t flags)
{
	FT_EQ_INT(names__bind(d->names, id, func, strlen(func), file, strlen(file), line, flags),
		  0);
}

static inline void rd_thread(struct rdrive *d, uint32_t tid, const char *comm)
{
	FT_EQ_INT(calltree__thread(d->ct, tid, comm), 0);
}

static inline void rd_enter(struct rdrive *d, uint32_t tid, uint64_t ts, uint32_t name)
{
	size_t i = rdrive_th(d, tid);

	d->th[i].depth++;
	FT_EQ_INT(calltree__push(d->ct, tid, ts, d->th[i].seq++, d->th[i].depth, name), 0);
}

static inline void rd_leave(struct rdrive *d, uint32_t tid, uint64_t ts)
{
	size_t i = rdrive_th(d, tid);

	FT_EQ_INT(calltree__pop(d->ct, tid, ts, d->th[i].seq++, d->th[i].depth, 0), 0);
	d->th[i].depth--;
}

/* A call without children. */
static inline void rd_leaf(struct rdrive *d, uint32_t tid, uint64_t ts, uint64_t dur, uint32_t name)
{
	rd_enter(d, tid, ts, name);
	rd_leave(d, tid, ts + dur);
}

/* n records of tid go missing: the builder places a lost marker. */
static inline void rd_gap(struct rdrive *d, uint32_t tid, uint32_t n)
{
	d->th[rdrive_th(d, tid)].seq += n;
}

/* Runs a whole non-streaming renderer; returns what it wrote (free it). */
static inline char *rd_render_ex(const struct renderer *r, struct rdrive *d, struct filter *f,
				 const struct render_meta *meta, bool fold)
{
	struct render_ctx rc = {.names = d->names, .filter = f, .meta = meta, .fold = fold};
	char *buf = NULL;
	size_t len = 0;

	FT_TRUE(!r->streaming);
	rc.out = open_memstream(&buf, &len);
	FT_TRUE(rc.out);
	if (r->begin)
		FT_EQ_INT(r->begin(&rc), 0);
	FT_EQ_INT(r->end(&rc, d->ct), 0);
	fclose(rc.out);
	return buf;
}

static inline char *rd_render(const struct renderer *r, struct rdrive *d, struct filter *f,
			      const struct render_meta *meta)
{
	return rd_render_ex(r, d, f, meta, false);
}

/* The node a test wants to set flags on, found by path of child indexes
 * from the thread's roots: rd_node(d, 0, (int[]){0, 1, -1}) is the second
 * child of the first root of the first thread. */
static inline struct ft_node *rd_node(struct rdrive *d, size_t thread, const int *path)
{
	const struct ft_thread *t = calltree__thread_at(d->ct, thread);
	const struct ft_node *n = t->first_root;

	for (int k = 0; path[k] >= 0; k++) {
		if (k)
			n = n->first_child;
		for (int j = 0; j < path[k] && n; j++)
			n = n->next;
		FT_TRUE(n);
	}
	return (struct ft_node *)n;
}

/* The sample the new formats share. Thread 4242 (python3):
 *
 *   <module>            0 .. 10000 unfinished (finish), entered before attach
 *     main            100 .. 2000
 *       fib           200 .. 700
 *         fib         300 .. 600
 *           fib       400 .. 500
 *       helper        800 .. 900
 *       helper       1000 .. 1150
 *       helper       1200 .. 1400
 *     LOST 5 records
 *     WEIRD          3000 .. 3500   a name with ';', '"', '\', '\n', "__"
 *
 * Thread 77 (worker): helper 50 .. 150, fib 200 .. 260. */
enum { RD_MODULE = 1, RD_MAIN, RD_FIB, RD_HELPER, RD_WEIRD };
#define RD_WEIRD_FUNC "a;b\"c\\d\n__x__<b>"

static inline void rd_sample(struct rdrive *d)
{
	rdrive_init(d);
	rd_name(d, RD_MODULE, "<module>", "/tmp/app.py", 1, 0);
	rd_name(d, RD_MAIN, "main", "/tmp/app.py", 10, 0);
	rd_name(d, RD_FIB, "fib", "/tmp/app.py", 3, 0);
	rd_name(d, RD_HELPER, "helper", "/tmp/app.py", 20, 0);
	rd_name(d, RD_WEIRD, RD_WEIRD_FUNC, "/tmp/w;x.py", 2, 0);
	rd_thread(d, 4242, "python3");
	rd_thread(d, 77, "worker");
	rd_enter(d, 4242, 0, RD_MODULE);
	rd_enter(d, 4242, 100, RD_MAIN);
	rd_enter(d, 4242, 200, RD_FIB);
	rd_enter(d, 4242, 300, RD_FIB);
	rd_leaf(d, 4242, 400, 100, RD_FIB);
	rd_leave(d, 4242, 600);
	rd_leave(d, 4242, 700);
	rd_leaf(d, 77, 50, 100, RD_HELPER);
	rd_leaf(d, 4242, 800, 100, RD_HELPER);
	rd_leaf(d, 4242, 1000, 150, RD_HELPER);
	rd_leaf(d, 4242, 1200, 200, RD_HELPER);
	rd_leaf(d, 77, 200, 60, RD_FIB);
	rd_leave(d, 4242, 2000);
	rd_gap(d, 4242, 5);
	rd_leaf(d, 4242, 3000, 500, RD_WEIRD);
	calltree__finish(d->ct, 10000);
	rd_node(d, 0, (int[]){0, -1})->flags |= FT_NODE_BEFORE_ATTACH;
}

#endif /* FT_TEST_RENDER_RUN_H */
