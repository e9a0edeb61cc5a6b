// SPDX-License-Identifier: MIT
/* --trigger.
 *
 * Design note. The builder reports each call as it completes, children
 * before parents, with its open ancestors reachable through ->parent. For
 * each completion the outermost matching call among the node and its
 * ancestors is the trigger it belongs to (none: the call is forgotten).
 * Inside a trigger, a copy of the call is made and the copies of its
 * children, completed just before it, are adopted: the copies waiting for
 * their parent are a per-thread list in completion order whose tail, the
 * entries deeper than the completing call, are exactly its children. When
 * the trigger call itself completes, its copy is the root of the whole
 * subtree: kept (min_dur_ns) or released. A kept one gets its ancestors as
 * context: copies flagged FT_NODE_CONTEXT on a per-thread stack, outermost
 * first, reused by later triggers under the same ancestors and finished
 * when the ancestor completes (it is then on top of that stack: its
 * descendants completed first). Copies come from a calltree used as a
 * forest (calltree__node_alloc()), which end-of-trace formats render. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/filter.h"
#include "core/hashmap.h"
#include "core/trigger.h"

struct ctx_entry {
	const struct ft_node *live; /* the open ancestor */
	struct ft_node *copy;
};

struct tstate {
	struct ft_thread *out; /* its thread in the forest */
	struct ft_node **done; /* copies waiting for their parent */
	size_t ndone, capdone;
	struct ctx_entry *ctx; /* context stack, outermost first */
	size_t nctx, capctx;
	bool has_top; /* something was kept: its outermost copies are at top_level */
	int32_t top_level;
};

struct trigger {
	struct trigger_opts opts;
	struct filter match; /* the globs, as --include's, with its decision cache */
	struct calltree *forest;
	struct hashmap threads; /* live ft_thread address -> tstate index + 1 */
	struct tstate **ts;
	size_t nts, capts;
	const struct ft_node **anc; /* scratch: a trigger's ancestors */
	size_t capanc;
	struct trigger_stats st;
	int err;
};

struct trigger *trigger__new(const struct trigger_opts *opts)
{
	struct trigger *tr = calloc(1, sizeof(*tr));
	struct calltree_opts co = {.keep = true};

	if (!tr)
		return NULL;
	tr->opts = *opts;
	tr->match = (struct filter){.include = opts->globs, .ninclude = opts->nglobs};
	hashmap__init(&tr->threads, NULL, NULL, NULL);
	tr->forest = calltree__new(&co);
	if (!tr->forest) {
		free(tr);
		errno = ENOMEM;
		return NULL;
	}
	return tr;
}

void trigger__free(struct trigger *tr)
{
	if (!tr)
		return;
	for (size_t i = 0; i < tr->nts; i++) {
		free(tr->ts[i]->done);
		free(tr->ts[i]->ctx);
		free(tr->ts[i]);
	}
	free(tr->ts);
	free(tr->anc);
	hashmap__fini(&tr->threads);
	filter__free(&tr->match);
	calltree__free(tr->forest);
	free(tr);
}

const struct calltree *trigger__forest(const struct trigger *tr)
{
	return tr->forest;
}

void trigger__stats(const struct trigger *tr, struct trigger_stats *st)
{
	struct calltree_stats cs;

	*st = tr->st;
	calltree__stats(tr->forest, &cs);
	st->nodes = cs.nodes;
}

int trigger__error(const struct trigger *tr)
{
	return tr->err;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t cap2 = *cap ? *cap : 16;
	while (cap2 < need)
		cap2 *= 2;
	void *p = realloc(*arr, cap2 * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = cap2;
	return 0;
}

static struct tstate *state_of(struct trigger *tr, const struct ft_thread *t)
{
	uint64_t idx;

	if (hashmap__find(&tr->threads, (uint64_t)(uintptr_t)t, &idx))
		return tr->ts[idx - 1];
	if (grow((void **)&tr->ts, &tr->capts, tr->nts + 1, sizeof(*tr->ts)))
		return NULL;
	struct tstate *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (hashmap__add(&tr->threads, (uint64_t)(uintptr_t)t, tr->nts + 1, NULL)) {
		free(s);
		return NULL;
	}
	tr->ts[tr->nts++] = s;
	return s;
}

static bool matches(struct trigger *tr, const struct ft_node *n)
{
	return !(n->flags & FT_NODE_LOST) && n->name &&
	       filter__shows_name(&tr->match, tr->opts.names, n->name);
}

static void link_child(struct ft_thread *out, struct ft_node *parent, struct ft_node *c)
{
	c->parent = parent;
	c->next = NULL;
	if (parent) {
		if (parent->last_child)
			parent->last_child->next = c;
		else
			parent->first_child = c;
		parent->last_child = c;
	} else {
		if (out->last_root)
			out->last_root->next = c;
		else
			out->first_root = c;
		out->last_root = c;
	}
}

static struct ft_node *copy_of(struct trigger *tr, const struct ft_node *n)
{
	struct ft_node *c = calltree__node_alloc(tr->forest);

	if (!c)
		return NULL;
	c->start_ns = n->start_ns;
	c->dur_ns = n->dur_ns;
	c->name = n->name;
	c->flags = n->flags;
	c->lost = n->lost;
	c->level = n->level;
	return c;
}

/* Releases a subtree (post-order, without recursion: stacks are deep). */
static void release(struct trigger *tr, struct ft_node *root)
{
	struct ft_node *n = root;

	while (n) {
		while (n->first_child)
			n = n->first_child;
		struct ft_node *up = n == root ? NULL : n->parent;
		if (up)
			up->first_child = n->next;
		calltree__node_release(tr->forest, n);
		n = up;
	}
}

/* Emits a subtree children before parents, in call order. */
static void emit_subtree(struct trigger *tr, const struct ft_thread *t, struct ft_node *root)
{
	struct ft_node *n = root;

	while (n->first_child)
		n = n->first_child;
	for (;;) {
		tr->opts.emit(tr->opts.ctx, t, n, n->level - 1);
		if (n == root)
			return;
		if (n->next) {
			n = n->next;
			while (n->first_child)
				n = n->first_child;
		} else {
			n = n->parent;
		}
	}
}

static void fail(struct trigger *tr)
{
	if (!tr->err)
		tr->err = -ENOMEM;
}

/* A context ancestor completed: its copy gets its duration and flags. */
static void finish_context(struct trigger *tr, const struct ft_thread *t, struct tstate *s,
			   const struct ft_node *n)
{
	struct ft_node *c = s->ctx[--s->nctx].copy;

	c->dur_ns = n->dur_ns;
	c->flags = n->flags | FT_NODE_CONTEXT;
	if (tr->opts.emit)
		tr->opts.emit(tr->opts.ctx, t, c, c->level - 1);
	if (!tr->opts.keep)
		calltree__node_release(tr->forest, c);
}

/* A trigger call completed and is kept: its ancestors become context. */
static int keep_subtree(struct trigger *tr, const struct ft_thread *t, struct tstate *s,
			const struct ft_node *n, struct ft_node *root)
{
	size_t nanc = 0;

	for (const struct ft_node *p = n->parent; p; p = p->parent) {
		if (grow((void **)&tr->anc, &tr->capanc, nanc + 1, sizeof(*tr->anc)))
			return -ENOMEM;
		tr->anc[nanc++] = p;
	}
	if (grow((void **)&s->ctx, &s->capctx, nanc, sizeof(*s->ctx)))
		return -ENOMEM;
	if (!s->out) {
		s->out = calltree__add_thread(tr->forest, t);
		if (!s->out)
			return -ENOMEM;
	}
	/* anc[] is innermost first; the context stack outermost first. Open
	 * ancestors already on the stack are its prefix (see the note). */
	size_t i = 0;
	while (i < s->nctx && i < nanc && s->ctx[i].live == tr->anc[nanc - 1 - i])
		i++;
	for (; i < nanc; i++) {
		const struct ft_node *a = tr->anc[nanc - 1 - i];
		struct ft_node *c = copy_of(tr, a);

		if (!c)
			return -ENOMEM;
		c->flags = (a->flags & ~FT_NODE_SPANS_LOSS) | FT_NODE_CONTEXT;
		c->dur_ns = 0;
		if (tr->opts.keep)
			link_child(s->out, i ? s->ctx[i - 1].copy : NULL, c);
		else
			c->parent = i ? s->ctx[i - 1].copy : NULL;
		s->ctx[i] = (struct ctx_entry){.live = a, .copy = c};
		s->nctx = i + 1;
	}
	struct ft_node *parent = nanc ? s->ctx[nanc - 1].copy : NULL;
	s->has_top = true;
	s->top_level = nanc ? s->ctx[0].copy->level : root->level;
	if (tr->opts.keep) {
		link_child(s->out, parent, root);
	} else {
		root->parent = parent;
	}
	if (tr->opts.emit)
		emit_subtree(tr, t, root);
	if (!tr->opts.keep)
		release(tr, root);
	return 0;
}

/* A frame entered before the trace (or the window) that the builder just
 * wrapped around everything at the root level: around kept calls, it is
 * their context too, though it was never open above them. The builder
 * wraps only with no frame open, so the context stack is empty. */
static int wrap_kept(struct trigger *tr, const struct ft_thread *t, struct tstate *s,
		     const struct ft_node *n)
{
	struct ft_node *c = copy_of(tr, n);

	if (!c)
		return -ENOMEM;
	c->flags |= FT_NODE_CONTEXT;
	if (tr->opts.keep) {
		struct ft_node **at = &s->out->first_root, *last = NULL;

		while (*at && (*at)->level != n->level + 1) {
			last = *at;
			at = &(*at)->next;
		}
		/* the roots from there on are the wrapped ones */
		c->first_child = *at;
		for (struct ft_node *k = *at; k; k = k->next) {
			k->parent = c;
			c->last_child = k;
		}
		*at = NULL;
		s->out->last_root = last;
		link_child(s->out, NULL, c);
	}
	s->top_level = n->level;
	if (tr->opts.emit)
		tr->opts.emit(tr->opts.ctx, t, c, c->level - 1);
	if (!tr->opts.keep)
		calltree__node_release(tr->forest, c);
	return 0;
}

void trigger__complete(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct trigger *tr = ctx;
	struct tstate *s = state_of(tr, t);
	const struct ft_node *trig = NULL;

	(void)depth;
	if (!s) {
		fail(tr);
		return;
	}
	if (s->nctx && s->ctx[s->nctx - 1].live == n) {
		finish_context(tr, t, s, n);
		return;
	}
	for (const struct ft_node *p = n; p; p = p->parent)
		if (matches(tr, p))
			trig = p;
	if (!trig) {
		if (!n->parent && (n->flags & FT_NODE_BEFORE_ATTACH) && s->has_top &&
		    s->top_level == n->level + 1 && s->out && wrap_kept(tr, t, s, n))
			fail(tr);
		return;
	}

	struct ft_node *c = copy_of(tr, n);
	if (!c || grow((void **)&s->done, &s->capdone, s->ndone + 1, sizeof(*s->done))) {
		if (c)
			release(tr, c);
		fail(tr);
		return;
	}
	/* its children are the waiting copies deeper than it, in call order */
	size_t k = s->ndone;
	while (k && s->done[k - 1]->level > n->level)
		k--;
	for (size_t i = k; i < s->ndone; i++)
		link_child(NULL, c, s->done[i]);
	s->ndone = k;
	if (trig != n) {
		s->done[s->ndone++] = c;
		return;
	}
	/* the trigger call: its subtree is whole */
	if (c->dur_ns < tr->opts.min_dur_ns) {
		tr->st.dropped++;
		release(tr, c);
		return;
	}
	tr->st.kept++;
	if (keep_subtree(tr, t, s, n, c) < 0)
		fail(tr);
}
