// SPDX-License-Identifier: MIT
/* Per-function report and before/after diff. The forest is walked once per
 * thread through the display filter; functions get one global index (a
 * hash on the interned name and file pointers), each thread a table of its
 * own, and the merged table is the sum of the threads' tables: stacks are
 * per thread, so recursion never spans two threads. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "output/jsonw.h"
#include "core/names.h"
#include "output/render.h"
#include "output/render_priv.h"
#include "output/report.h"

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
	/* global functions: (func, file) -> index, open addressing on g + 1 */
	size_t *slots;
	size_t nslots;
	struct report_entry *funcs; /* merged numbers, by global index */
	size_t nfuncs, cap_funcs;
	/* per global index: the thread's local index + 1, and how many of its
	 * calls are on the current stack */
	size_t *local;
	uint32_t *active;
	size_t cap_side;
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

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int rehash(struct builder *b)
{
	size_t n = b->nslots ? b->nslots * 2 : 256;
	size_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t g = 0; g < b->nfuncs; g++) {
		size_t i = hash_pair(b->funcs[g].func, b->funcs[g].file) & (n - 1);

		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = g + 1;
	}
	free(b->slots);
	b->slots = slots;
	b->nslots = n;
	return 0;
}

/* The global index of nm's function, added on first sight; (size_t)-1
 * without memory. */
static size_t global_index(struct builder *b, const struct ft_name *nm)
{
	size_t i, old;

	if ((b->nfuncs + 1) * 2 > b->nslots && rehash(b))
		return (size_t)-1;
	for (i = hash_pair(nm->func, nm->file) & (b->nslots - 1); b->slots[i];
	     i = (i + 1) & (b->nslots - 1)) {
		struct report_entry *e = &b->funcs[b->slots[i] - 1];

		if (e->func == nm->func && e->file == nm->file)
			return b->slots[i] - 1;
	}
	if (grow((void **)&b->funcs, &b->cap_funcs, b->nfuncs + 1, sizeof(*b->funcs)))
		return (size_t)-1;
	old = b->cap_side;
	if (grow((void **)&b->local, &b->cap_side, b->nfuncs + 1, sizeof(*b->local)))
		return (size_t)-1;
	if (b->cap_side != old) {
		uint32_t *active = realloc(b->active, b->cap_side * sizeof(*active));

		if (!active) {
			/* keep both side arrays the same size */
			b->cap_side = old;
			return (size_t)-1;
		}
		b->active = active;
		memset(b->local + old, 0, (b->cap_side - old) * sizeof(*b->local));
		memset(b->active + old, 0, (b->cap_side - old) * sizeof(*b->active));
	}
	b->funcs[b->nfuncs] = (struct report_entry){
		.func = nm->func,
		.file = nm->file,
		.line = nm->line,
		.name_flags = nm->flags,
	};
	b->slots[i] = b->nfuncs + 1;
	return b->nfuncs++;
}

static size_t local_index(struct builder *b, size_t g)
{
	struct report_table *t = b->table;

	if (b->local[g])
		return b->local[g] - 1;
	if (grow((void **)&t->entries, &b->cap_entries, t->nentries + 1, sizeof(*t->entries)) ||
	    grow((void **)&b->global, &b->cap_global, t->nentries + 1, sizeof(*b->global)))
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
	if (b->err || grow((void **)&b->stack, &b->cap_stack, b->nstack + 1, sizeof(*b->stack)))
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
	free(b.slots);
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

const struct report_entry *report_table_find(const struct report_table *t, const char *func,
					     const char *file)
{
	for (size_t i = 0; i < t->nentries; i++)
		if (!strcmp(t->entries[i].func, func) && !strcmp(t->entries[i].file, file))
			return &t->entries[i];
	return NULL;
}

/* ---- sorting ---- */

static uint64_t avg_ns(const struct report_entry *e)
{
	return e->calls ? e->total_ns / e->calls : 0;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_name(const struct report_entry *a, const struct report_entry *b)
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
		c = cmp_u64_desc(avg_ns(a), avg_ns(b));
		break;
	case REPORT_SORT_MAX:
		c = cmp_u64_desc(a->max_ns, b->max_ns);
		break;
	case REPORT_SORT_NAME:
		break;
	}
	/* equal keys: by name, so the output never depends on walk order */
	return c ? c : cmp_name(a, b);
}

/* The table's entries, sorted, as pointers; NULL without memory (or when
 * empty: check nentries). */
static const struct report_entry **sorted(const struct report_table *t, enum report_sort sort)
{
	const struct report_entry **v = calloc(t->nentries ? t->nentries : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < t->nentries; i++)
		v[i] = &t->entries[i];
	qsort_r(v, t->nentries, sizeof(*v), cmp_entries, &sort);
	return v;
}

static size_t shown_rows(size_t n, const struct report_opts *opts)
{
	return opts->limit > 0 && (size_t)opts->limit < n ? (size_t)opts->limit : n;
}

/* ---- text output ---- */

/* Names come from the traced program's memory: render_put_text() shows
 * anything that could drive a terminal as \xNN, as the tree format does. */
static void put_text(FILE *out, const char *str)
{
	render_put_text(out, str, strlen(str), NULL, NULL);
}

/* "func (file:line)", with "..." after a string BPF cut */
static void put_function(FILE *out, const struct report_entry *e)
{
	/* only the placeholder of unbound ids carries the flag */
	if (e->name_flags & FT_NAME_UNKNOWN) {
		fputs("<unknown>", out);
		return;
	}
	put_text(out, e->func);
	if (e->name_flags & FT_NAME_FUNC_CUT)
		fputs("...", out);
	if (!*e->file)
		return;
	fputs(" (", out);
	put_text(out, e->file);
	if (e->name_flags & FT_NAME_FILE_CUT)
		fputs("...", out);
	fprintf(out, ":%" PRIu32 ")", e->line);
}

static int print_table_text(const struct report_table *t, const struct report_opts *opts, FILE *out)
{
	const struct report_entry **v = sorted(t, opts->sort);
	size_t n = shown_rows(t->nentries, opts);
	char b1[16], b2[16], b3[16], b4[16];

	if (!v)
		return -ENOMEM;
	fprintf(out, "  %10s  %10s  %10s  %10s  %10s  %s\n", "Total time", "Self time", "Calls",
		"Avg time", "Max time", "Function");
	fputs("  ==========  ==========  ==========  ==========  ==========  "
	      "====================\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct report_entry *e = v[i];

		fprintf(out, "  %10s  %10s  %10" PRIu64 "  %10s  %10s  ",
			fmt_duration(b1, e->total_ns), fmt_duration(b2, e->self_ns), e->calls,
			fmt_duration(b3, avg_ns(e)), fmt_duration(b4, e->max_ns));
		put_function(out, e);
		fputc('\n', out);
	}
	if (n < t->nentries)
		fprintf(out, "  ... %zu more functions\n", t->nentries - n);
	if (t->lost)
		fprintf(out, "# %" PRIu64 " records were lost: some calls are missing here\n",
			t->lost);
	free(v);
	return 0;
}

static void put_thread_header(FILE *out, const struct report_table *t)
{
	fprintf(out, "#\n# thread %" PRIu32, t->tid);
	if (*t->comm) {
		char comm[sizeof(t->comm) + 1] = {0};

		memcpy(comm, t->comm, sizeof(t->comm));
		fputs(" (", out);
		put_text(out, comm);
		fputc(')', out);
	}
	fputc('\n', out);
}

static int print_text(const struct report *r, const struct report_opts *opts, FILE *out)
{
	bool shown = false;
	int err;

	if (!r->any_calls) {
		fputs("# no calls traced\n", out);
		return 0;
	}
	if (!opts->per_thread) {
		if (!r->merged.nentries) {
			fputs("# no calls match the filters\n", out);
			return 0;
		}
		return print_table_text(&r->merged, opts, out);
	}
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct report_table *t = &r->threads[i];

		/* like the tree: a thread with nothing shown takes no room */
		if (!t->nentries)
			continue;
		put_thread_header(out, t);
		err = print_table_text(t, opts, out);
		if (err)
			return err;
		shown = true;
	}
	if (!shown)
		fputs("# no calls match the filters\n", out);
	return 0;
}

/* ---- JSON output ---- */

static void json_name(struct jsonw *w, const struct report_entry *e)
{
	jsonw__key_string(w, "func", e->func);
	jsonw__key_string(w, "file", e->file);
	jsonw__key_uint(w, "line", e->line);
}

static void json_name_flags(struct jsonw *w, const struct report_entry *e)
{
	if (e->name_flags & FT_NAME_CUT)
		jsonw__key_bool(w, "name_truncated", true);
	if (e->name_flags & FT_NAME_UNKNOWN)
		jsonw__key_bool(w, "name_unknown", true);
}

static int print_table_json(struct jsonw *w, const struct report_table *t,
			    const struct report_opts *opts, bool thread)
{
	const struct report_entry **v = sorted(t, opts->sort);
	size_t n = shown_rows(t->nentries, opts);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct report_entry *e = v[i];

		jsonw__begin_object(w);
		if (thread) {
			jsonw__key_uint(w, "tid", t->tid);
			jsonw__key(w, "thread");
			jsonw__string_len(w, t->comm, strnlen(t->comm, sizeof(t->comm)));
		}
		json_name(w, e);
		jsonw__key_uint(w, "calls", e->calls);
		jsonw__key_uint(w, "total_ns", e->total_ns);
		jsonw__key_uint(w, "self_ns", e->self_ns);
		jsonw__key_uint(w, "avg_ns", avg_ns(e));
		jsonw__key_uint(w, "max_ns", e->max_ns);
		json_name_flags(w, e);
		jsonw__end_object(w);
	}
	free(v);
	return 0;
}

static int print_json(const struct report *r, const struct report_opts *opts, FILE *out)
{
	struct jsonw *w = jsonw__new(out);
	int err = 0;

	if (!w)
		return -ENOMEM;
	jsonw__begin_array(w);
	if (!opts->per_thread)
		err = print_table_json(w, &r->merged, opts, false);
	for (size_t i = 0; opts->per_thread && i < r->nthreads && !err; i++)
		err = print_table_json(w, &r->threads[i], opts, true);
	jsonw__end_array(w);
	jsonw__newline(w);
	if (!err)
		err = jsonw__error(w);
	jsonw__free(w);
	return err;
}

int report__print(const struct report *r, const struct report_opts *opts, FILE *out)
{
	int err = opts->json ? print_json(r, opts, out) : print_text(r, opts, out);

	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}

/* ---- diff ---- */

struct diff_row {
	const struct report_entry *a, *b;     /* NULL: not called there */
	int64_t calls, total, self, avg, max; /* b - a */
};

static const struct report_entry empty_entry;

static int64_t delta(uint64_t a, uint64_t b)
{
	return (int64_t)(b - a);
}

static const struct report_entry *row_any(const struct diff_row *r)
{
	return r->a ? r->a : r->b;
}

static int cmp_i64_desc(int64_t a, int64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct diff_row *a = pa, *b = pb;
	enum report_sort sort = *(const enum report_sort *)arg;
	int c = 0;

	switch (sort) {
	case REPORT_SORT_TOTAL:
		c = cmp_i64_desc(a->total, b->total);
		if (!c)
			c = cmp_i64_desc(a->self, b->self);
		break;
	case REPORT_SORT_SELF:
		c = cmp_i64_desc(a->self, b->self);
		if (!c)
			c = cmp_i64_desc(a->total, b->total);
		break;
	case REPORT_SORT_CALLS:
		c = cmp_i64_desc(a->calls, b->calls);
		break;
	case REPORT_SORT_AVG:
		c = cmp_i64_desc(a->avg, b->avg);
		break;
	case REPORT_SORT_MAX:
		c = cmp_i64_desc(a->max, b->max);
		break;
	case REPORT_SORT_NAME:
		break;
	}
	return c ? c : cmp_name(row_any(a), row_any(b));
}

static int cmp_name_ptrs(const void *pa, const void *pb, void *arg)
{
	return cmp_name(*(const struct report_entry *const *)pa,
			*(const struct report_entry *const *)pb);
}

/* Pairs the functions of two tables by (function, file): the tables come
 * from different name tables, so by string, through two name-sorted
 * lists. Returns the rows (count in *n), or NULL without memory. */
static struct diff_row *pair_rows(const struct report_table *ta, const struct report_table *tb,
				  size_t *n)
{
	const struct report_entry **va = sorted(ta, REPORT_SORT_NAME);
	const struct report_entry **vb = sorted(tb, REPORT_SORT_NAME);
	struct diff_row *rows = calloc(ta->nentries + tb->nentries + 1, sizeof(*rows));
	size_t i = 0, j = 0, k = 0;

	if (!va || !vb || !rows) {
		free(va);
		free(vb);
		free(rows);
		return NULL;
	}
	/* sorted() breaks ties by name only after the key: with the name key
	 * the order is exactly by (func, file) */
	while (i < ta->nentries || j < tb->nentries) {
		int c = i == ta->nentries   ? 1
			: j == tb->nentries ? -1
					    : cmp_name_ptrs(&va[i], &vb[j], NULL);
		struct diff_row *r = &rows[k++];
		const struct report_entry *a, *b;

		r->a = c <= 0 ? va[i++] : NULL;
		r->b = c >= 0 ? vb[j++] : NULL;
		a = r->a ? r->a : &empty_entry;
		b = r->b ? r->b : &empty_entry;
		r->calls = delta(a->calls, b->calls);
		r->total = delta(a->total_ns, b->total_ns);
		r->self = delta(a->self_ns, b->self_ns);
		r->avg = delta(avg_ns(a), avg_ns(b));
		r->max = delta(a->max_ns, b->max_ns);
	}
	free(va);
	free(vb);
	*n = k;
	return rows;
}

static const char *row_status(const struct diff_row *r)
{
	if (!r->a)
		return "new";
	if (!r->b)
		return "gone";
	return r->calls || r->total || r->self ? "changed" : "same";
}

/* A signed duration in fmt_duration's units: "+1.500 ms", "-3.000 us",
 * "0.000 us". buf must hold 20 bytes. */
static char *fmt_delta(char *buf, int64_t d)
{
	char tmp[16];
	const char *p = fmt_duration(tmp, d < 0 ? -(uint64_t)d : (uint64_t)d);

	while (*p == ' ')
		p++;
	snprintf(buf, 20, "%s%s", d > 0 ? "+" : d < 0 ? "-" : "", p);
	return buf;
}

/* change relative to before: "+12.5%"; "-" when there was nothing before */
static char *fmt_pct(char *buf, size_t size, uint64_t before, int64_t d)
{
	double pct;

	if (!before) {
		snprintf(buf, size, "-");
		return buf;
	}
	pct = 100.0 * (double)d / (double)before;
	if (!d)
		snprintf(buf, size, "0.0%%");
	else if (pct >= 1000.0 || pct <= -1000.0)
		snprintf(buf, size, "%+.0f%%", pct);
	else
		snprintf(buf, size, "%+.1f%%", pct);
	return buf;
}

/* a group title over width columns: "----- Total time -----" */
static void put_group_title(FILE *out, const char *s, int width)
{
	int len = (int)strlen(s) + 2, left = (width - len) / 2;

	fputs("  ", out);
	for (int i = 0; i < left; i++)
		fputc('-', out);
	fprintf(out, " %s ", s);
	for (int i = left + len; i < width; i++)
		fputc('-', out);
}

/* before, after, delta and percentage of one duration column group */
static void put_dur_group(FILE *out, const struct diff_row *r, uint64_t a, uint64_t b, int64_t d)
{
	char sa[16], sb[16], sd[20], sp[24];

	fprintf(out, "  %10s  %10s  %11s  %7s", r->a ? fmt_duration(sa, a) : "-",
		r->b ? fmt_duration(sb, b) : "-", fmt_delta(sd, d),
		fmt_pct(sp, sizeof(sp), r->a ? a : 0, d));
}

static void put_count(FILE *out, bool present, uint64_t v)
{
	if (present)
		fprintf(out, "  %10" PRIu64, v);
	else
		fprintf(out, "  %10s", "-");
}

static void print_diff_text(const struct diff_row *rows, size_t n, size_t total,
			    const struct report_opts *opts, FILE *out)
{
	static const char rule[] = "  ==========  ==========  ===========  =======";

	fprintf(out, "# before: %s\n# after:  %s\n#\n",
		opts->before_label ? opts->before_label : "A",
		opts->after_label ? opts->after_label : "B");
	if (!total) {
		fputs("# no calls in either trace\n", out);
		return;
	}
	put_group_title(out, "Total time", 44);
	put_group_title(out, "Self time", 44);
	put_group_title(out, "Calls", 35);
	fputc('\n', out);
	for (int g = 0; g < 2; g++)
		fprintf(out, "  %10s  %10s  %11s  %7s", "Before", "After", "Delta", "%");
	fprintf(out, "  %10s  %10s  %11s  %s\n", "Before", "After", "Delta", "Function");
	fprintf(out, "%s%s  ==========  ==========  ===========  ====================\n", rule,
		rule);
	for (size_t i = 0; i < n; i++) {
		const struct diff_row *r = &rows[i];
		const struct report_entry *a = r->a ? r->a : &empty_entry;
		const struct report_entry *b = r->b ? r->b : &empty_entry;
		struct report_entry name = *row_any(r);

		put_dur_group(out, r, a->total_ns, b->total_ns, r->total);
		put_dur_group(out, r, a->self_ns, b->self_ns, r->self);
		put_count(out, r->a, a->calls);
		put_count(out, r->b, b->calls);
		if (r->calls)
			fprintf(out, "  %+11" PRId64 "  ", r->calls);
		else
			fprintf(out, "  %11s  ", "0");
		if (r->a && r->b && b->line < name.line)
			name.line = b->line;
		put_function(out, &name);
		if (!r->a)
			fputs("  (new)", out);
		else if (!r->b)
			fputs("  (gone)", out);
		fputc('\n', out);
	}
	if (n < total)
		fprintf(out, "  ... %zu more functions\n", total - n);
}

static void json_side(struct jsonw *w, const char *key, const struct report_entry *e)
{
	jsonw__key(w, key);
	if (!e) {
		jsonw__null(w);
		return;
	}
	jsonw__begin_object(w);
	jsonw__key_uint(w, "calls", e->calls);
	jsonw__key_uint(w, "total_ns", e->total_ns);
	jsonw__key_uint(w, "self_ns", e->self_ns);
	jsonw__key_uint(w, "avg_ns", avg_ns(e));
	jsonw__key_uint(w, "max_ns", e->max_ns);
	jsonw__end_object(w);
}

static int print_diff_json(const struct diff_row *rows, size_t n, FILE *out)
{
	struct jsonw *w = jsonw__new(out);
	int err;

	if (!w)
		return -ENOMEM;
	jsonw__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		const struct diff_row *r = &rows[i];
		struct report_entry name = *row_any(r);

		if (r->a && r->b && r->b->line < name.line)
			name.line = r->b->line;
		if (r->a && r->b)
			name.name_flags |= r->b->name_flags;
		jsonw__begin_object(w);
		json_name(w, &name);
		jsonw__key_string(w, "status", row_status(r));
		json_side(w, "before", r->a);
		json_side(w, "after", r->b);
		jsonw__key(w, "delta");
		jsonw__begin_object(w);
		jsonw__key_int(w, "calls", r->calls);
		jsonw__key_int(w, "total_ns", r->total);
		jsonw__key_int(w, "self_ns", r->self);
		jsonw__end_object(w);
		json_name_flags(w, &name);
		jsonw__end_object(w);
	}
	jsonw__end_array(w);
	jsonw__newline(w);
	err = jsonw__error(w);
	jsonw__free(w);
	return err;
}

int report_diff_print(const struct report *a, const struct report *b,
		      const struct report_opts *opts, FILE *out)
{
	size_t n = 0;
	struct diff_row *rows = pair_rows(&a->merged, &b->merged, &n);
	enum report_sort sort = opts->sort;
	int err = 0;

	if (!rows)
		return -ENOMEM;
	qsort_r(rows, n, sizeof(*rows), cmp_rows, &sort);
	if (opts->json)
		err = print_diff_json(rows, shown_rows(n, opts), out);
	else
		print_diff_text(rows, shown_rows(n, opts), n, opts, out);
	free(rows);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}
