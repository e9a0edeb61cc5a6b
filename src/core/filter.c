// SPDX-License-Identifier: MIT
/* Display filters. Glob decisions are cached per name id, so a trace pays
 * fnmatch() once per distinct function, not once per call. The walk keeps
 * its own stack: Python recursion reaches thousands of levels, which C
 * recursion here would turn into a stack overflow. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/grow.h"
#include "core/names.h"

#define DECIDED_SHOWN  1
#define DECIDED_HIDDEN 2
/* The dense cache covers ids below 4 per id bound plus this (as names.c's
 * dense array does): memory follows the names, not the largest id. */
#define DENSE_SLACK (64 * 1024)

void filter__free(struct filter *f)
{
	if (!f)
		return;
	free(f->cache);
	f->cache = NULL;
	f->ncache = 0;
	hashmap__fini(&f->far);
}

bool filter__active(const struct filter *f)
{
	return f && (f->ninclude || f->nexclude || f->max_depth > 0 || f->min_dur_ns);
}

static bool glob_any(const char **globs, size_t n, const struct ft_name *nm)
{
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(globs[i], nm->func, 0) || !fnmatch(globs[i], nm->file, 0))
			return true;
	return false;
}

static bool decide(const struct filter *f, const struct ft_name *nm)
{
	if (f->ninclude && !glob_any(f->include, f->ninclude, nm))
		return false;
	return !glob_any(f->exclude, f->nexclude, nm);
}

/* Remembers a decision; without memory it is only not remembered. */
static void remember(struct filter *f, const struct names *names, uint32_t name_id, uint8_t how)
{
	size_t old = f->ncache;

	if (name_id >= f->ncache && name_id >= 4 * names__ids(names) + DENSE_SLACK) {
		hashmap__set(&f->far, name_id, how);
		return;
	}
	if (grow_array((void **)&f->cache, &f->ncache, (size_t)name_id + 1, 1))
		return;
	memset(f->cache + old, 0, f->ncache - old);
	f->cache[name_id] = how;
}

bool filter__shows_name(struct filter *f, const struct names *names, uint32_t name_id)
{
	uint64_t how;

	if (!f || (!f->ninclude && !f->nexclude))
		return true;
	if (name_id < f->ncache && f->cache[name_id])
		return f->cache[name_id] == DECIDED_SHOWN;
	if (hashmap__find(&f->far, name_id, &how))
		return how == DECIDED_SHOWN;

	bool shown = decide(f, names__get(names, name_id));

	remember(f, names, name_id, shown ? DECIDED_SHOWN : DECIDED_HIDDEN);
	return shown;
}

/* The walk. Every node is one of: a lost marker (always visited where its
 * place is), pruned (too short: it and its subtree vanish), shown by the
 * globs (visited), or hidden by the globs (skipped, its children promoted
 * to the nearest shown ancestor), or cut (filter__walk_node_cut: left out
 * with its subtree, a marker in its place where the visitor draws one). */
enum kind { K_SHOWN, K_HIDDEN, K_PRUNED, K_CUT };

struct walk {
	struct filter *f;
	const struct names *names;
	const struct filter_cut *cut; /* NULL: none */
	const struct ft_node *root;   /* never cut */
	bool marks;		      /* the visitor draws cut nodes */
	/* scratch stack of sibling cursors for has_children */
	const struct ft_node **scratch;
	size_t scap;
	bool nomem;
};

static enum kind classify(struct walk *wk, const struct ft_node *n)
{
	if (n->flags & FT_NODE_LOST)
		return K_SHOWN;
	if (wk->cut && n != wk->root && wk->cut->cut(wk->cut->cut_ctx, n))
		return K_CUT;
	if (wk->f && n->dur_ns < wk->f->min_dur_ns)
		return K_PRUNED;
	return filter__shows_name(wk->f, wk->names, n->name) ? K_SHOWN : K_HIDDEN;
}

/* Whether any node below n would be shown one shown level down: a
 * depth-first search through glob-hidden nodes only, stopping at the first
 * shown one. Each hidden node lies below exactly one nearest shown
 * ancestor, so all these searches together stay linear in the forest. */
static bool shows_below(struct walk *wk, const struct ft_node *n)
{
	size_t sp = 0;

	if (!n->first_child)
		return false;
	if (!wk->scap && grow_array((void **)&wk->scratch, &wk->scap, 1, sizeof(*wk->scratch)))
		goto nomem;
	wk->scratch[sp++] = n->first_child;
	while (sp) {
		const struct ft_node *c = wk->scratch[sp - 1];

		if (!c) {
			sp--;
			continue;
		}
		wk->scratch[sp - 1] = c->next;
		switch (classify(wk, c)) {
		case K_SHOWN:
			return true;
		case K_CUT:
			if (wk->marks)
				return true;
			break;
		case K_PRUNED:
			break;
		case K_HIDDEN:
			if (!c->first_child)
				break;
			if (sp == wk->scap && grow_array((void **)&wk->scratch, &wk->scap, sp + 1,
							 sizeof(*wk->scratch)))
				goto nomem;
			wk->scratch[sp++] = c->first_child;
			break;
		}
	}
	return false;
nomem:
	/* claiming children keeps the output well-formed: at worst an empty
	 * "{ }" pair instead of a leaf line */
	wk->nomem = true;
	return true;
}

struct frame {
	const struct ft_node *node; /* NULL: the thread's roots */
	const struct ft_node *cur;  /* next child to look at */
	bool shown;
	bool has_children;
};

static void walk_from(struct filter *f, const struct names *names, const struct ft_thread *t,
		      const struct ft_node *first, bool only, const struct filter_cut *cut,
		      const struct filter_visit *v, void *ctx);

void filter__walk(struct filter *f, const struct names *names, const struct ft_thread *t,
		  const struct filter_visit *v, void *ctx)
{
	walk_from(f, names, t, t->first_root, false, NULL, v, ctx);
}

void filter__walk_node(struct filter *f, const struct names *names, const struct ft_thread *t,
		       const struct ft_node *n, const struct filter_visit *v, void *ctx)
{
	walk_from(f, names, t, n, true, NULL, v, ctx);
}

void filter__walk_node_cut(struct filter *f, const struct names *names, const struct ft_thread *t,
			   const struct ft_node *n, const struct filter_cut *cut,
			   const struct filter_visit *v, void *ctx)
{
	walk_from(f, names, t, n, true, cut, v, ctx);
}

static void walk_from(struct filter *f, const struct names *names, const struct ft_thread *t,
		      const struct ft_node *first, bool only, const struct filter_cut *cut,
		      const struct filter_visit *v, void *ctx)
{
	struct walk wk = {
		.f = f, .names = names, .cut = cut, .root = first, .marks = v->cut != NULL};
	int max = f && f->max_depth > 0 ? f->max_depth : 0;
	struct frame *st = NULL;
	size_t sp = 0, cap = 0;
	int depth = 0;

	if (!first)
		return;
	if (grow_array((void **)&st, &cap, 1, sizeof(*st)))
		return;
	st[sp++] = (struct frame){.cur = first};
	while (sp) {
		struct frame *fr = &st[sp - 1];
		const struct ft_node *c = fr->cur;

		if (!c) {
			struct frame done = *fr;

			sp--;
			if (done.shown) {
				depth--;
				if (v->leave)
					v->leave(ctx, t, done.node, depth, done.has_children);
			}
			continue;
		}
		/* only: first's subtree, not its later siblings */
		fr->cur = only && sp == 1 ? NULL : c->next;
		/* nothing at or below max depth shows: hidden nodes' children
		 * would land at the same depth */
		if (max && depth >= max)
			continue;

		enum kind k = classify(&wk, c);
		bool hc;

		if (k == K_CUT && wk.marks)
			v->cut(ctx, t, c, depth);
		if (k == K_PRUNED || k == K_CUT)
			continue;
		if (k == K_HIDDEN && !c->first_child)
			continue;
		if (k == K_SHOWN) {
			hc = (!max || depth + 1 < max) && shows_below(&wk, c);
			if (v->enter)
				v->enter(ctx, t, c, depth, hc);
			if (!hc) {
				if (v->leave)
					v->leave(ctx, t, c, depth, false);
				continue;
			}
		}
		if (sp == cap && grow_array((void **)&st, &cap, sp + 1, sizeof(*st))) {
			/* cannot descend: close what was opened so the output
			 * stays balanced */
			if (k == K_SHOWN && v->leave)
				v->leave(ctx, t, c, depth, true);
			continue;
		}
		st[sp++] = (struct frame){
			.node = c,
			.cur = c->first_child,
			.shown = k == K_SHOWN,
			.has_children = k == K_SHOWN,
		};
		if (k == K_SHOWN)
			depth++;
	}
	free(st);
	free(wk.scratch);
}
