// SPDX-License-Identifier: MIT
/* The "dot" format: the Graphviz call graph of the shown calls, aggregated
 * over every thread. A node per function, labelled with its total time,
 * self time and number of calls, and filled redder the more self time it
 * has; an edge per caller -> callee pair, labelled with its calls and
 * their total time, drawn wider the more time it carries.
 *
 * Recursion must not count time twice: a call adds its duration to its
 * function's total only when no caller on its stack is the same function,
 * and to an edge's total only when no caller on its stack made a call
 * along the same edge (f -> f -> f puts the inner f's time on the f -> f
 * edge once). Self time is the duration less the shown children's, as in
 * the folded format. Nodes and edges come in order of first appearance. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/grow.h"
#include "core/hashmap.h"
#include "core/names.h"
#include "output/render.h"
#include "output/render_priv.h"

#define NO_EDGE UINT32_MAX

struct func {
	const struct ft_name *nm;
	uint64_t calls, total_ns, self_ns;
	uint32_t active; /* its calls open on the current stack */
};

struct edge {
	uint32_t from, to;
	uint64_t calls, total_ns;
	uint32_t active;
};

struct open_call {
	uint32_t func, edge;
	uint64_t self_ns;
};

struct dot {
	const struct names *names;
	struct func *funcs;
	size_t nfuncs, fcap;
	struct hashmap fidx; /* struct ft_name * (by contents) -> index in funcs */
	struct edge *edges;
	size_t nedges, ecap;
	struct hashmap eidx; /* from << 32 | to -> index in edges */
	struct open_call *open;
	size_t ocap;
	int err;
};

/* A function is its name's contents: ids bound to equal names are one
 * function. Equal strings are interned once: compare them by address. */
static uint64_t func_hash(uint64_t key, void *ctx)
{
	const struct ft_name *nm = (const struct ft_name *)(uintptr_t)key;
	uint64_t h = hashmap_mix(0, (uintptr_t)nm->func);

	h = hashmap_mix(h, (uintptr_t)nm->file);
	return hashmap_mix(h, (uint64_t)nm->line << 32 | nm->flags);
}

static bool same_function(uint64_t a, uint64_t b, void *ctx)
{
	const struct ft_name *x = (const struct ft_name *)(uintptr_t)a;
	const struct ft_name *y = (const struct ft_name *)(uintptr_t)b;

	return x == y || (x->func == y->func && x->file == y->file && x->line == y->line &&
			  x->flags == y->flags);
}

static uint32_t func_get(struct dot *d, const struct ft_name *nm)
{
	uint64_t i;

	if (hashmap__find(&d->fidx, (uintptr_t)nm, &i))
		return (uint32_t)i;
	/* indexes are 32 bits, UINT32_MAX says "none" */
	if (d->nfuncs >= UINT32_MAX - 1 ||
	    grow_array((void **)&d->funcs, &d->fcap, d->nfuncs + 1, sizeof(*d->funcs)) ||
	    hashmap__add(&d->fidx, (uintptr_t)nm, d->nfuncs, NULL))
		goto nomem;
	d->funcs[d->nfuncs] = (struct func){.nm = nm};
	return (uint32_t)d->nfuncs++;
nomem:
	d->err = -ENOMEM;
	return UINT32_MAX;
}

static uint32_t edge_get(struct dot *d, uint32_t from, uint32_t to)
{
	uint64_t key = (uint64_t)from << 32 | to, i;

	if (hashmap__find(&d->eidx, key, &i))
		return (uint32_t)i;
	if (d->nedges >= UINT32_MAX - 1 ||
	    grow_array((void **)&d->edges, &d->ecap, d->nedges + 1, sizeof(*d->edges)) ||
	    hashmap__add(&d->eidx, key, d->nedges, NULL))
		goto nomem;
	d->edges[d->nedges] = (struct edge){.from = from, .to = to};
	return (uint32_t)d->nedges++;
nomem:
	d->err = -ENOMEM;
	return UINT32_MAX;
}

static void dot_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		      bool has_children)
{
	struct dot *d = ctx;
	struct open_call *up;
	uint32_t f, e = NO_EDGE;

	if ((n->flags & FT_NODE_LOST) || d->err)
		return;
	if ((size_t)depth >= d->ocap &&
	    grow_array((void **)&d->open, &d->ocap, (size_t)depth + 1, sizeof(*d->open))) {
		d->err = -ENOMEM;
		return;
	}
	up = depth ? &d->open[depth - 1] : NULL;
	f = func_get(d, names__get(d->names, n->name));
	if (f == UINT32_MAX)
		return;
	if (up) {
		e = edge_get(d, up->func, f);
		if (e == UINT32_MAX)
			return;
		/* children lie within their caller; a clock oddity must not wrap */
		up->self_ns -= n->dur_ns < up->self_ns ? n->dur_ns : up->self_ns;
	}
	d->funcs[f].calls++;
	if (!d->funcs[f].active++)
		d->funcs[f].total_ns += n->dur_ns;
	if (e != NO_EDGE) {
		d->edges[e].calls++;
		if (!d->edges[e].active++)
			d->edges[e].total_ns += n->dur_ns;
	}
	d->open[depth] = (struct open_call){.func = f, .edge = e, .self_ns = n->dur_ns};
}

static void dot_leave(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		      bool has_children)
{
	struct dot *d = ctx;
	const struct open_call *oc = &d->open[depth];

	if ((n->flags & FT_NODE_LOST) || d->err)
		return;
	d->funcs[oc->func].active--;
	d->funcs[oc->func].self_ns += oc->self_ns;
	if (oc->edge != NO_EDGE)
		d->edges[oc->edge].active--;
}

/* Inside a DOT string: '"' ends it, '\' starts an escape. */
static const char *dot_esc(char c)
{
	if (c == '"')
		return "\\\"";
	if (c == '\\')
		return "\\\\";
	return NULL;
}

static void put(FILE *out, const char *s)
{
	render_put_text(out, s, strlen(s), dot_esc, "\\\\x");
}

/* fmt_duration without its padding */
static const char *duration(char *buf, uint64_t ns)
{
	const char *s = fmt_duration(buf, ns);

	while (*s == ' ')
		s++;
	return s;
}

/* lo + (hi - lo) * v / max, rounded; 0 <= v <= max */
static unsigned int scale(uint64_t v, uint64_t max, unsigned int lo, unsigned int hi)
{
	if (!max)
		return lo;
	return lo + (unsigned int)(((unsigned __int128)v * (hi - lo) + max / 2) / max);
}

static void put_node(FILE *out, const struct func *f, size_t i, uint64_t max_self)
{
	const struct ft_name *nm = f->nm;
	bool func_cut, file_cut;
	char b1[16], b2[16];
	/* white for no self time, salmon for the most */
	unsigned int gb = 255 - scale(f->self_ns, max_self, 0, 160);

	fprintf(out, "\tn%zu [label=\"", i + 1);
	if (nm->flags & FT_NAME_UNKNOWN) {
		fputs("<unknown>", out);
	} else {
		render_cut_marks(nm, &func_cut, &file_cut);
		put(out, nm->func);
		if (func_cut)
			fputs("...", out);
		if (*nm->file) {
			fputs("\\n", out);
			put(out, nm->file);
			fprintf(out, "%s:%u", file_cut ? "..." : "", nm->line);
		}
	}
	fprintf(out, "\\ntotal %s / self %s / %" PRIu64 " call%s\", fillcolor=\"#ff%02x%02x\"];\n",
		duration(b1, f->total_ns), duration(b2, f->self_ns), f->calls,
		f->calls == 1 ? "" : "s", gb, gb);
}

static void put_edge(FILE *out, const struct edge *e, uint64_t max_total)
{
	char b[16];
	unsigned int w = scale(e->total_ns, max_total, 100, 500); /* hundredths */

	fprintf(out, "\tn%u -> n%u [label=\"%" PRIu64 " call%s\\n%s\", penwidth=%u.%02u];\n",
		e->from + 1, e->to + 1, e->calls, e->calls == 1 ? "" : "s",
		duration(b, e->total_ns), w / 100, w % 100);
}

static void put_graph_label(FILE *out, const struct render_meta *m)
{
	char b[16];

	fprintf(out, "\tlabel=\"PID %d", m->pid);
	if (m->python && *m->python) {
		fputs(", CPython ", out);
		put(out, m->python);
	}
	fprintf(out, ", traced %s", duration(b, m->duration_ns));
	if (m->lost)
		fprintf(out, ", %" PRIu64 " records lost", m->lost);
	if (m->incomplete) {
		fputs(", INCOMPLETE: ", out);
		put(out, m->incomplete);
	}
	fputs("\";\n", out);
}

static int dot_end(struct render_ctx *rc, const struct calltree *ct)
{
	static const struct filter_visit visit = {.enter = dot_enter, .leave = dot_leave};
	struct dot d = {.names = rc->names};
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;
	uint64_t max_self = 0, max_total = 0;
	FILE *out = rc->out;
	int err;

	hashmap__init(&d.fidx, func_hash, same_function, NULL);
	hashmap__init(&d.eidx, NULL, NULL, NULL);
	for (size_t i = 0; i < nthreads && !d.err; i++)
		filter__walk(rc->filter, rc->names, calltree__thread_at(ct, i), &visit, &d);
	err = d.err;
	if (err)
		goto out;
	for (size_t i = 0; i < d.nfuncs; i++)
		if (d.funcs[i].self_ns > max_self)
			max_self = d.funcs[i].self_ns;
	for (size_t i = 0; i < d.nedges; i++)
		if (d.edges[i].total_ns > max_total)
			max_total = d.edges[i].total_ns;
	fputs("digraph flowtrace {\n"
	      "\tgraph [fontname=\"Helvetica\", labelloc=t];\n",
	      out);
	if (rc->meta)
		put_graph_label(out, rc->meta);
	fputs("\tnode [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", "
	      "fontsize=10];\n"
	      "\tedge [fontname=\"Helvetica\", fontsize=9];\n",
	      out);
	for (size_t i = 0; i < d.nfuncs; i++)
		put_node(out, &d.funcs[i], i, max_self);
	for (size_t i = 0; i < d.nedges; i++)
		put_edge(out, &d.edges[i], max_total);
	fputs("}\n", out);
	if (ferror(out))
		err = -EIO;
out:
	free(d.funcs);
	hashmap__fini(&d.fidx);
	free(d.edges);
	hashmap__fini(&d.eidx);
	free(d.open);
	return err;
}

const struct renderer render_dot = {
	.name = "dot",
	.help = "Graphviz call graph: calls and times per function and caller -> callee edge",
	.streaming = false,
	.end = dot_end,
};
