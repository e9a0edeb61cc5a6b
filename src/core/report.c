// SPDX-License-Identifier: MIT
/* Per-function aggregation of a call forest, for the report and diff
 * subcommands. The forest is walked once per thread through the display
 * filter; functions get one global index (a hash on the interned name and
 * file pointers), each thread a table of its own, and the merged table is
 * the sum of the threads' tables: stacks are per thread, so recursion never
 * spans two threads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/grow.h"
#include "core/hashmap.h"
#include "core/names.h"
#include "core/report.h"

struct report {
	struct report_table merged;
	struct report_table *threads;
	size_t nthreads;
	bool any_calls; /* the forest had calls, shown or not */
};

static const char *const sort_names[] = {
	[REPORT_SORT_TOTAL] = "total", [REPORT_SORT_SELF] = "self", [REPORT_SORT_CALLS] = "calls",
	[REPORT_SORT_AVG] = "avg",     [REPORT_SORT_MAX] = "max",   [REPORT_SORT_NAME] = "name",
};

int report_sort_parse(const char *s, enum report_sort *sort)
{
	for (size_t i = 0; s && i < sizeof(sort_names) / sizeof(sort_names[0]); i++) {
		if (!strcmp(s, sort_names[i])) {
			*sort = (enum report_sort)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *report_sort_names(void)
{
	return "total, self, calls, avg, max, name";
}

/* ---- building ---- */

struct frame {
	size_t g;     /* global function index */
	size_t local; /* index in the thread's table */
	uint64_t dur;
	uint64_t children; /* durations of the shown children so far */
};

struct builder {
	const struct names *names;
	int err;
	struct hashmap index;	    /* global functions: (func, file) -> index */
	struct report_entry *funcs; /* merged numbers, by global index */
	size_t nfuncs, cap_funcs;
	/* per global index: the thread's local index + 1, and how many of its
	 * calls are on the current stack */
	size_t *local;
	uint32_t *active;
	size_t cap_local, cap_active;
	/* the thread being walked */
	struct report_table *table;
	size_t cap_entries;
	size_t *global; /* the thread's local index -> global index */
	size_t cap_global;
	struct frame *stack;
	size_t nstack, cap_stack;
	size_t overflow; /* frames entered while out of memory, to ignore on leave */
};

static size_t hash_pair(const void *a, const void *b)
{
	uint64_t h = (uint64_t)(uintptr_t)a * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)(uintptr_t)b + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return (size_t)(h ^ (h >> 31));
}

/* the index's keys are global indexes; a function is its (func, file)
 * pair of interned pointers */
static uint64_t func_hash(uint64_t g, void *ctx)
{
	const struct builder *b = ctx;

	return hash_pair(b->funcs[g].func, b->funcs[g].file);
}

static bool func_equal(uint64_t g1, uint64_t g2, void *ctx)
{
	const struct builder *b = ctx;

	return b->funcs[g1].func == b->funcs[g2].func && b->funcs[g1].file == b->funcs[g2].file;
}

/* grow_array() with the new elements zeroed */
static int grow_zeroed(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t old = *cap;
	int err = grow_array(p, cap, need, elem);

	if (!err && *cap > old)
		memset((char *)*p + old * elem, 0, (*cap - old) * elem);
	return err;
}

/* The global index of nm's function, added on first sight; (size_t)-1
 * without memory. */
static size_t global_index(struct builder *b, const struct ft_name *nm)
{
	uint64_t old;
	int err;

	/* room for a new function first, so the index never holds one
	 * without its side entries */
	if (grow_array((void **)&b->funcs, &b->cap_funcs, b->nfuncs + 1, sizeof(*b->funcs)) ||
	    grow_zeroed((void **)&b->local, &b->cap_local, b->nfuncs + 1, sizeof(*b->local)) ||
	    grow_zeroed((void **)&b->active, &b->cap_active, b->nfuncs + 1, sizeof(*b->active)))
		return (size_t)-1;
	/* the candidate, where func_hash() and func_equal() see it */
	b->funcs[b->nfuncs] = (struct report_entry){
		.func = nm->func,
		.file = nm->file,
		.line = nm->line,
		.name_flags = nm->flags,
	};
	err = hashmap__add(&b->index, b->nfuncs, b->nfuncs, &old);
	if (err == -EEXIST)
		return (size_t)old;
	if (err)
		return (size_t)-1;
	return b->nfuncs++;
}

static size_t local_index(struct builder *b, size_t g)
{
	struct report_table *t = b->table;

	if (b->local[g])
		return b->local[g] - 1;
	if (grow_array((void **)&t->entries, &b->cap_entries, t->nentries + 1,
		       sizeof(*t->entries)) ||
	    grow_array((void **)&b->global, &b->cap_global, t->nentries + 1, sizeof(*b->global)))
		return (size_t)-1;
	t->entries[t->nentries] = (struct report_entry){
		.func = b->funcs[g].func,
		.file = b->funcs[g].file,
		.line = b->funcs[g].line,
		.name_flags = b->funcs[g].name_flags,
	};
	b->global[t->nentries] = g;
	b->local[g] = t->nentries + 1;
	return t->nentries++;
}

static void build_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
			bool has_children)
{
	struct builder *b = ctx;
	const struct ft_name *nm;
	struct report_entry *e;
	struct frame fr;

	if (n->flags & FT_NODE_LOST) {
		b->table->lost += n->lost;
		return;
	}
	if (b->err ||
	    grow_array((void **)&b->stack, &b->cap_stack, b->nstack + 1, sizeof(*b->stack)))
		goto nomem;
	nm = names__get(b->names, n->name);
	fr = (struct frame){.dur = n->dur_ns};
	fr.g = global_index(b, nm);
	if (fr.g == (size_t)-1)
		goto nomem;
	fr.local = local_index(b, fr.g);
	if (fr.local == (size_t)-1)
		goto nomem;

	e = &b->table->entries[fr.local];
	if (nm->line < e->line)
		e->line = nm->line;
	e->name_flags |= nm->flags;
	e->calls++;
	if (n->dur_ns > e->max_ns)
		e->max_ns = n->dur_ns;
	/* an outer call of the same function already counts this time */
	if (!b->active[fr.g]++)
		e->total_ns += n->dur_ns;
	if (b->nstack)
		b->stack[b->nstack - 1].children += n->dur_ns;
	b->stack[b->nstack++] = fr;
	return;
nomem:
	b->err = -ENOMEM;
	b->overflow++;
}

static void build_leave(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
			bool has_children)
{
	struct builder *b = ctx;
	struct frame fr;

	if (n->flags & FT_NODE_LOST)
		return;
	if (b->overflow) {
		b->overflow--;
		return;
	}
	fr = b->stack[--b->nstack];
	/* children can outlast a parent whose return was lost or that was
	 * closed at a resync: never wrap */
	b->table->entries[fr.local].self_ns += fr.dur > fr.children ? fr.dur - fr.children : 0;
	b->active[fr.g]--;
}

static void merge_entry(struct report_entry *into, const struct report_entry *e)
{
	if (e->line < into->line)
		into->line = e->line;
	into->name_flags |= e->name_flags;
	into->calls += e->calls;
	into->total_ns += e->total_ns;
	into->self_ns += e->self_ns;
	if (e->max_ns > into->max_ns)
		into->max_ns = e->max_ns;
}

static int build_thread(struct builder *b, struct filter *filter, const struct ft_thread *t,
			struct report_table *table)
{
	static const struct filter_visit visit = {.enter = build_enter, .leave = build_leave};

	table->tid = t->tid;
	table->pid = t->pid;
	memcpy(table->comm, t->comm, sizeof(table->comm));
	b->table = table;
	b->cap_entries = 0;
	b->nstack = 0;
	filter__walk(filter, b->names, t, &visit, b);
	if (b->err)
		return b->err;
	/* the next thread starts from an empty index; the merged numbers
	 * take this thread's */
	for (size_t i = 0; i < table->nentries; i++) {
		size_t g = b->global[i];

		b->local[g] = 0;
		merge_entry(&b->funcs[g], &table->entries[i]);
	}
	return 0;
}

static void table_free(struct report_table *t)
{
	free(t->entries);
}

void report__free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nthreads; i++)
		table_free(&r->threads[i]);
	free(r->threads);
	table_free(&r->merged);
	free(r);
}

struct report *report__build(const struct calltree *ct, const struct names *names,
			     struct filter *filter)
{
	struct builder b = {.names = names};
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;
	struct report *r = calloc(1, sizeof(*r));
	int err = 0;

	if (!r)
		return NULL;
	hashmap__init(&b.index, func_hash, func_equal, &b);
	r->threads = calloc(nthreads ? nthreads : 1, sizeof(*r->threads));
	if (!r->threads) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nthreads; i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);

		r->any_calls |= t->first_root != NULL;
		r->nthreads++;
		err = build_thread(&b, filter, t, &r->threads[i]);
		if (err)
			goto out;
		r->merged.lost += r->threads[i].lost;
	}
	/* the merged numbers were summed into the global table */
	r->merged.entries = b.funcs;
	r->merged.nentries = b.nfuncs;
	b.funcs = NULL;
out:
	hashmap__fini(&b.index);
	free(b.funcs);
	free(b.local);
	free(b.global);
	free(b.active);
	free(b.stack);
	if (err) {
		report__free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

const struct report_table *report__merged(const struct report *r)
{
	return &r->merged;
}

size_t report__nthreads(const struct report *r)
{
	return r->nthreads;
}

const struct report_table *report__thread_at(const struct report *r, size_t i)
{
	return i < r->nthreads ? &r->threads[i] : NULL;
}

bool report__any_calls(const struct report *r)
{
	return r->any_calls;
}

const struct report_entry *report_table_find(const struct report_table *t, const char *func,
					     const char *file)
{
	for (size_t i = 0; i < t->nentries; i++)
		if (!strcmp(t->entries[i].func, func) && !strcmp(t->entries[i].file, file))
			return &t->entries[i];
	return NULL;
}

/* ---- sorting ---- */

uint64_t report_entry_avg_ns(const struct report_entry *e)
{
	return e->calls ? e->total_ns / e->calls : 0;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

int report_entry_cmp_name(const struct report_entry *a, const struct report_entry *b)
{
	int c = strcmp(a->func, b->func);

	return c ? c : strcmp(a->file, b->file);
}

static int cmp_entries(const void *pa, const void *pb, void *arg)
{
	const struct report_entry *a = *(const struct report_entry *const *)pa;
	const struct report_entry *b = *(const struct report_entry *const *)pb;
	enum report_sort sort = *(const enum report_sort *)arg;
	int c = 0;

	switch (sort) {
	case REPORT_SORT_TOTAL:
		c = cmp_u64_desc(a->total_ns, b->total_ns);
		break;
	case REPORT_SORT_SELF:
		c = cmp_u64_desc(a->self_ns, b->self_ns);
		break;
	case REPORT_SORT_CALLS:
		c = cmp_u64_desc(a->calls, b->calls);
		break;
	case REPORT_SORT_AVG:
		c = cmp_u64_desc(report_entry_avg_ns(a), report_entry_avg_ns(b));
		break;
	case REPORT_SORT_MAX:
		c = cmp_u64_desc(a->max_ns, b->max_ns);
		break;
	case REPORT_SORT_NAME:
		break;
	}
	/* equal keys: by name, so the output never depends on walk order */
	return c ? c : report_entry_cmp_name(a, b);
}

const struct report_entry **report_table_sorted(const struct report_table *t, enum report_sort sort)
{
	const struct report_entry **v = calloc(t->nentries ? t->nentries : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < t->nentries; i++)
		v[i] = &t->entries[i];
	qsort_r(v, t->nentries, sizeof(*v), cmp_entries, &sort);
	return v;
}
