// SPDX-License-Identifier: MIT
/* Call-tree builder.
 *
 * Design note. Each thread has a stack of open nodes; every node records the
 * level (call depth) BPF stamped on it. Roots are the nodes at level
 * t->base. Invariants, checked by the unit tests:
 *  - the levels on the stack are consecutive, ending at base - 1 + nstack;
 *  - every completed node has been reported once through on_complete,
 *    children before parents;
 *  - no record is dropped silently: a sequence gap becomes a LOST marker at
 *    the place it was seen, and the stack is repaired from the next record's
 *    depth (frames whose return was lost close as END_LOST at the last time
 *    seen; frames whose entry was lost open as START_LOST placeholders).
 * A node spans a loss (FT_NODE_SPANS_LOSS) when a LOST marker or a call
 * whose entry or return was lost lies below it: every completion passes
 * the mark to the parent, which completes later, so it reaches the root.
 * Depth is data, not an instruction: a record may move the thread's depth
 * by at most the records lost just before it (BPF moves it by one per
 * record), and frames opened without a record of their own are bounded
 * by the records consumed plus a slack; other records are refused
 * (-ERANGE) before they change anything, so memory follows what the
 * records justify, whatever a damaged file or a buggy source claims.
 * Frames that were running when tracing started have no ENTRY: their RETURN
 * arrives with a level below base. The builder then wraps everything at the
 * root level into a new node for that frame (BEFORE_ATTACH, starting at 0)
 * and lowers base, so the tree nests as the program really ran.
 * Frames left with no return record (CPython 3.15 fires no return marker
 * for a frame an exception unwinds): BPF's depth then stays too deep, and
 * a call made meanwhile cannot be told from one the left frame made. A
 * return that names, by function, not the frame on top but one below it,
 * with no record lost just before, proves the frames above that one gone:
 * they close as END_LOST at the last time seen (counted in .unwound), it
 * closes, and the thread's skew keeps later levels where they ran.
 * An exec ends the program: every open frame closes at the exec
 * (FT_NODE_EXEC) and each tid seen so far is retired, so the new program's
 * records start new threads (ft_thread.image) instead of nesting under the
 * old program's frames.
 * Ownership: the builder owns every node. With opts.keep false a node is
 * recycled right after on_complete, so memory follows threads x depth, not
 * the number of calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/grow.h"
#include "core/hashmap.h"
#include "core/names.h"

#define NODE_CHUNK 4096

struct node_chunk {
	struct node_chunk *next;
	struct ft_node nodes[NODE_CHUNK];
};

struct calltree {
	struct calltree_opts opts;
	struct ft_thread **threads; /* in order of first record */
	size_t nthreads, cap;
	struct hashmap by_tid;	/* tid -> struct ft_thread *, of the current image */
	struct ft_thread *last; /* the thread of the last record: records come in runs */
	struct node_chunk *chunks;
	size_t chunk_used;
	struct ft_node *free_nodes;
	uint32_t image;	      /* exec()s seen so far */
	struct hashmap execs; /* pid -> exec()s of that process (--follow: per process) */
	struct calltree_stats st;
	uint64_t offered; /* ENTRY/RETURN records offered, refused ones included */
	struct calltree_reject reject;
};

#define LOSS_FLAGS (FT_NODE_LOST | FT_NODE_START_LOST | FT_NODE_END_LOST | FT_NODE_SPANS_LOSS)

struct calltree *calltree__new(const struct calltree_opts *opts)
{
	struct calltree *ct = calloc(1, sizeof(*ct));

	if (!ct)
		return NULL;
	ct->opts = *opts;
	ct->chunk_used = NODE_CHUNK;
	hashmap__init(&ct->by_tid, NULL, NULL, NULL);
	hashmap__init(&ct->execs, NULL, NULL, NULL);
	return ct;
}

void calltree__free(struct calltree *ct)
{
	if (!ct)
		return;
	for (size_t i = 0; i < ct->nthreads; i++) {
		free(ct->threads[i]->stack);
		free(ct->threads[i]);
	}
	for (struct node_chunk *c = ct->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(ct->threads);
	hashmap__fini(&ct->by_tid);
	hashmap__fini(&ct->execs);
	free(ct);
}

void calltree__set_t0(struct calltree *ct, uint64_t t0)
{
	ct->opts.t0 = t0;
}

static struct ft_node *node_new(struct calltree *ct)
{
	struct ft_node *n = ct->free_nodes;

	if (n) {
		ct->free_nodes = n->next;
	} else {
		if (ct->chunk_used == NODE_CHUNK) {
			struct node_chunk *c = malloc(sizeof(*c));

			if (!c)
				return NULL;
			c->next = ct->chunks;
			ct->chunks = c;
			ct->chunk_used = 0;
		}
		n = &ct->chunks->nodes[ct->chunk_used++];
	}
	memset(n, 0, sizeof(*n));
	ct->st.nodes++;
	return n;
}

static void node_recycle(struct calltree *ct, struct ft_node *n)
{
	n->next = ct->free_nodes;
	ct->free_nodes = n;
	ct->st.nodes--;
}

static struct ft_thread *thread_get(struct calltree *ct, uint32_t tid)
{
	struct ft_thread *t = ct->last;
	uint64_t found;

	/* a retired thread (its process exec'd) is not the tid's any more */
	if (t && t->tid == tid && !t->retired)
		return t;
	if (hashmap__find(&ct->by_tid, tid, &found) &&
	    !((struct ft_thread *)(uintptr_t)found)->retired)
		return ct->last = (struct ft_thread *)(uintptr_t)found;
	if (grow_array((void **)&ct->threads, &ct->cap, ct->nthreads + 1, sizeof(*ct->threads)))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	/* replaces a retired thread's entry */
	if (hashmap__set(&ct->by_tid, tid, (uintptr_t)t)) {
		free(t);
		return NULL;
	}
	t->tid = tid;
	t->image = ct->image;
	ct->threads[ct->nthreads++] = t;
	return ct->last = t;
}

static uint64_t rel(const struct calltree *ct, uint64_t ts)
{
	return ts > ct->opts.t0 ? ts - ct->opts.t0 : 0;
}

static struct ft_node *top(const struct ft_thread *t)
{
	return t->nstack ? t->stack[t->nstack - 1] : NULL;
}

/* level a new child of the current position would get */
static int32_t cur_level(const struct ft_thread *t)
{
	return t->nstack ? top(t)->level : t->base - 1;
}

static void link_under(struct calltree *ct, struct ft_thread *t, struct ft_node *parent,
		       struct ft_node *n)
{
	n->parent = parent;
	if (!ct->opts.keep)
		return;
	if (parent) {
		if (parent->last_child)
			parent->last_child->next = n;
		else
			parent->first_child = n;
		parent->last_child = n;
	} else {
		if (t->last_root)
			t->last_root->next = n;
		else
			t->first_root = n;
		t->last_root = n;
	}
}

static int stack_push(struct ft_thread *t, struct ft_node *n)
{
	if (t->nstack == t->cap &&
	    grow_array((void **)&t->stack, &t->cap, t->nstack + 1, sizeof(*t->stack)))
		return -ENOMEM;
	t->stack[t->nstack++] = n;
	return 0;
}

/* Opens a node one level below the current position. */
static struct ft_node *open_node(struct calltree *ct, struct ft_thread *t, uint64_t start,
				 uint32_t name, uint32_t flags)
{
	struct ft_node *n = node_new(ct);

	if (!n)
		return NULL;
	n->start_ns = start;
	n->lag_ns = t->lag;
	n->name = name;
	n->flags = flags;
	n->level = cur_level(t) + 1;
	link_under(ct, t, top(t), n);
	if (stack_push(t, n) < 0) {
		/* unlinking is not worth it: keep the node as a completed leaf */
		n->flags |= FT_NODE_END_LOST;
		return NULL;
	}
	return n;
}

uint64_t calltree_cal_err_ns(const struct calltree_cal *cal, uint64_t cost_ns)
{
	/* the error grows with the hits taken out: cost / hit of them */
	return cal->hit_ps ? (cost_ns * cal->err_ps + cal->hit_ps - 1) / cal->hit_ps : 0;
}

/* The clock's lag behind the raw one, from twice the cost in ps. */
static uint64_t lag_ns(uint64_t lag2_ps)
{
	return (lag2_ps + 1000) / 2000;
}

void calltree__set_cal(struct calltree *ct, const struct calltree_cal *cal)
{
	if (!ct->opts.cal.hit_ps || !cal->hit_ps)
		return;
	ct->opts.cal = *cal;
}

/* A record's time on the thread's tracer-free clock: its raw time less the
 * cost of every probe hit the thread took before it, the half of its own
 * hit before the timestamp included (records lost since the last one were
 * hits too). The clock never runs backwards, so no interval is negative;
 * t->lag keeps the lag actually applied, so raw intervals come back exact. */
static uint64_t tick(struct calltree *ct, struct ft_thread *t, uint64_t now, uint32_t seq)
{
	uint64_t lost = 0, lag, at;

	if (!ct->opts.cal.hit_ps)
		return now;
	if (t->seen && (int32_t)(seq - t->next_seq) > 0)
		lost = seq - t->next_seq;
	/* each thread's lag adds up the cost of its hits at the time of each:
	 * a cost refined later (calltree__set_cal) counts from then on */
	t->lag2_ps += (1 + 2 * lost) * ct->opts.cal.hit_ps;
	lag = lag_ns(t->lag2_ps);
	at = now > lag ? now - lag : 0;
	if (t->seen && at < t->last_ns)
		at = t->last_ns;
	t->lag = now - at;
	t->lag2_ps += ct->opts.cal.hit_ps; /* the rest of this record's hit */
	return at;
}

/* The same for an end with no record of its own (exec, end of trace). */
static uint64_t tock(const struct calltree *ct, struct ft_thread *t, uint64_t now)
{
	uint64_t lag = lag_ns(t->lag2_ps), at;

	if (!ct->opts.cal.hit_ps)
		return now;
	at = now > lag ? now - lag : 0;
	if (t->seen && at < t->last_ns)
		at = t->last_ns;
	t->lag = now > at ? now - at : 0;
	return at;
}

/* n's duration on the tracer-free clock, and the raw one: the lag gained
 * between its ends put back. One within the correction's error is
 * flagged uncertain. */
static void set_durations(struct calltree *ct, struct ft_thread *t, struct ft_node *n, uint64_t end)
{
	const struct calltree_cal *cal = &ct->opts.cal;
	uint64_t cost, err;

	n->dur_ns = end > n->start_ns ? end - n->start_ns : 0;
	n->raw_dur_ns = n->dur_ns;
	if (!cal->hit_ps || (n->flags & FT_NODE_LOST))
		return;
	cost = t->lag > n->lag_ns ? t->lag - n->lag_ns : 0;
	n->raw_dur_ns += cost;
	err = calltree_cal_err_ns(cal, cost);
	n->err_ns = err > UINT32_MAX ? UINT32_MAX : (uint32_t)err;
	if (n->dur_ns <= err)
		n->flags |= FT_NODE_DUR_UNCERTAIN;
}

static void complete(struct calltree *ct, struct ft_thread *t, struct ft_node *n, uint64_t end,
		     uint32_t flags)
{
	n->flags |= flags;
	set_durations(ct, t, n, end);
	/* the parent is still open (children complete first): it ran across
	 * whatever loss lies below n */
	if (n->flags & LOSS_FLAGS) {
		if (n->parent)
			n->parent->flags |= FT_NODE_SPANS_LOSS;
		else
			t->root_loss = true;
	}
	if (!(n->flags & FT_NODE_LOST)) {
		t->calls++;
		ct->st.calls++;
	}
	if (ct->opts.on_complete)
		ct->opts.on_complete(ct->opts.ctx, t, n, n->level - 1);
	if (!ct->opts.keep)
		node_recycle(ct, n);
}

static void close_top(struct calltree *ct, struct ft_thread *t, uint64_t end, uint32_t flags)
{
	struct ft_node *n = t->stack[--t->nstack];

	complete(ct, t, n, end, flags);
}

/* A placeholder opened for a lost entry learns its name from its return. */
static void close_top_named(struct calltree *ct, struct ft_thread *t, uint64_t end, uint32_t name)
{
	struct ft_node *n = top(t);

	if (!n->name)
		n->name = name;
	close_top(ct, t, end, 0);
}

/* Whether a return (by its name id) is of the open frame n's function.
 * Entry and return ids differ for one frame (the line is part of the
 * key), so the function and file are compared: 1 the same, 0 not, -1
 * cannot tell (no names, or one unknown). */
static int name_match(const struct calltree *ct, const struct ft_node *n, uint32_t name)
{
	if (!ct->opts.names || !n->name)
		return -1;
	if (n->name == name)
		return 1;
	const struct ft_name *a = names__get(ct->opts.names, n->name);
	const struct ft_name *b = names__get(ct->opts.names, name);
	if ((a->flags | b->flags) & FT_NAME_UNKNOWN)
		return -1;
	return a->func == b->func && a->file == b->file;
}

/* Whether a return can belong to the open frame n (unknown names match
 * anything). */
static bool same_function(const struct calltree *ct, const struct ft_node *n, uint32_t name)
{
	return name_match(ct, n, name) != 0;
}

/* Whether a return certainly belongs to the open frame n. */
static bool surely_same_function(const struct calltree *ct, const struct ft_node *n, uint32_t name)
{
	return name_match(ct, n, name) == 1;
}

/* Whether a return naming another function than the frame on top belongs
 * to an open frame below it, and which (*at: its stack index). See the
 * design note: frames left with no return record. The innermost match
 * closes the fewest frames. */
static bool unwound_to(const struct calltree *ct, const struct ft_thread *t, uint32_t name,
		       size_t *at)
{
	if (t->nstack < 2 || same_function(ct, top(t), name))
		return false;
	for (size_t i = t->nstack - 1; i-- > 0;)
		if (surely_same_function(ct, t->stack[i], name)) {
			*at = i;
			return true;
		}
	return false;
}

/* BPF's depth as a level of the thread's stack (see skew). */
static int32_t level_of(struct ft_thread *t, uint32_t seq, int32_t depth)
{
	/* a new thread under a reused tid: BPF counts from 0 again */
	if (t->seen && (int32_t)(seq - t->next_seq) < 0)
		t->skew = 0;
	if (depth < -CALLTREE_DEPTH_MAX || depth > CALLTREE_DEPTH_MAX)
		return depth; /* refused as it is */
	return depth - t->skew;
}

static int add_lost(struct calltree *ct, struct ft_thread *t, uint32_t count)
{
	struct ft_node *n = node_new(ct);

	if (!n)
		return -ENOMEM;
	n->flags = FT_NODE_LOST;
	n->lost = count;
	n->start_ns = t->last_ns;
	n->level = cur_level(t) + 1;
	link_under(ct, t, top(t), n);
	complete(ct, t, n, t->last_ns, 0);
	return 0;
}

/* Wraps everything at the root level into a node for a frame one level
 * up, which was running before its first record was seen. With end_lost
 * its return was lost too; otherwise the caller completes it. */
static struct ft_node *wrap_roots(struct calltree *ct, struct ft_thread *t, uint32_t name,
				  bool end_lost)
{
	struct ft_node *p = node_new(ct);

	if (!p)
		return NULL;
	p->name = name;
	p->level = t->base - 1;
	/* without any loss on the thread the frame can only predate the trace */
	if (t->lost) {
		p->flags = FT_NODE_START_LOST;
		p->start_ns = t->first_root ? t->first_root->start_ns : t->last_ns;
		p->lag_ns = t->first_root ? t->first_root->lag_ns : t->lag;
	} else {
		p->flags = FT_NODE_BEFORE_ATTACH;
		p->start_ns = 0;
	}
	if (t->root_loss)
		p->flags |= FT_NODE_SPANS_LOSS;
	if (ct->opts.keep) {
		p->first_child = t->first_root;
		p->last_child = t->last_root;
		for (struct ft_node *c = p->first_child; c; c = c->next)
			c->parent = p;
	}
	t->first_root = t->last_root = NULL;
	t->base--;
	link_under(ct, t, NULL, p);
	if (end_lost)
		complete(ct, t, p, t->last_ns, FT_NODE_END_LOST);
	return p;
}

static bool check_seq(struct calltree *ct, struct ft_thread *t, uint32_t seq, uint64_t now,
		      int32_t level)
{
	uint32_t gap = 0;

	if (!t->seen) {
		t->seen = true;
		t->first_ns = now;
		t->last_ns = now;
		t->base = level;
		gap = seq; /* a thread's first record has seq 0 */
	} else if (seq != t->next_seq) {
		gap = seq - t->next_seq;
		if ((int32_t)gap < 0) /* out of order: cannot happen within a thread */
			gap = 0;
	}
	t->next_seq = seq + 1;
	if (gap) {
		t->lost += gap;
		ct->st.lost += gap;
		add_lost(ct, t, gap);
	}
	return gap != 0;
}

/* Makes the current position level - 1, so a node at `level` fits. */
static int repair(struct calltree *ct, struct ft_thread *t, int32_t level)
{
	bool repaired = false;

	while (t->nstack && top(t)->level >= level) {
		close_top(ct, t, t->last_ns, FT_NODE_END_LOST);
		repaired = true;
	}
	if (!t->nstack && level < t->base) {
		if (!t->first_root) {
			t->base = level;
		} else {
			while (t->base > level) {
				if (!wrap_roots(ct, t, 0, true))
					return -ENOMEM;
				ct->st.unseen++;
			}
			repaired = true;
		}
	}
	while (cur_level(t) < level - 1) {
		if (!open_node(ct, t, t->last_ns, 0, FT_NODE_START_LOST))
			return -ENOMEM;
		ct->st.unseen++;
		repaired = true;
	}
	if (repaired)
		ct->st.resyncs++;
	return 0;
}

/* Whether a record at depth may follow what the thread has seen (see
 * calltree__push() in calltree.h). Checked before anything changes, so a
 * refused record leaves no trace but its missing seq. Returns 0 or -ERANGE. */
static int admit(struct calltree *ct, struct ft_thread *t, uint32_t seq, int32_t depth, bool entry)
{
	struct calltree_reject r = {
		.record = ++ct->offered, .tid = t->tid, .depth = depth, .entry = entry};
	int64_t need;

	if (depth < -CALLTREE_DEPTH_MAX || depth > CALLTREE_DEPTH_MAX) {
		r.why = CALLTREE_REJECT_RANGE;
		r.first = !t->seen;
		goto refuse;
	}
	if (!t->seen) /* a thread's first record sets its levels: it opens nothing */
		return 0;
	r.gap = seq - t->next_seq;
	r.expected = (int64_t)cur_level(t) + entry;
	need = depth > r.expected ? depth - r.expected : r.expected - depth;
	/* a seq below the next one is a new thread under a reused tid, whose
	 * depth starts afresh: only the budget bounds it */
	if ((int32_t)r.gap < 0) {
		r.gap = 0;
	} else if (need > r.gap) {
		r.why = CALLTREE_REJECT_GAP;
		goto refuse;
	}
	if (ct->st.unseen + (uint64_t)need <= ct->st.records + CALLTREE_UNSEEN_SLACK)
		return 0;
	r.why = CALLTREE_REJECT_BUDGET;
refuse:
	if (!ct->st.rejected++)
		ct->reject = r;
	return -ERANGE;
}

const struct calltree_reject *calltree__rejected(const struct calltree *ct)
{
	return ct->st.rejected ? &ct->reject : NULL;
}

int calltree__thread(struct calltree *ct, uint32_t tid, const char *comm)
{
	struct ft_thread *t = thread_get(ct, tid);

	if (!t)
		return -ENOMEM;
	strncpy(t->comm, comm, sizeof(t->comm) - 1);
	t->comm[sizeof(t->comm) - 1] = 0;
	return 0;
}

/* An ENTRY; running: a frame read from the stack snapshot, which no probe
 * hit cost the thread anything (no tick()) and whose start is unknown:
 * like a frame wrapped around the roots, it starts with the trace, flagged */
static int push(struct calltree *ct, uint32_t tid, uint64_t ts, uint32_t seq, int32_t depth,
		uint32_t name, bool running)
{
	struct ft_thread *t = thread_get(ct, tid);
	uint64_t now = rel(ct, ts);

	if (!t)
		return -ENOMEM;
	depth = level_of(t, seq, depth);
	if (admit(ct, t, seq, depth, true))
		return -ERANGE;
	ct->st.records++;
	if (!running)
		now = tick(ct, t, now, seq);
	check_seq(ct, t, seq, now, depth);
	if (cur_level(t) != depth - 1 && repair(ct, t, depth) < 0)
		return -ENOMEM;
	if (running)
		return open_node(ct, t, 0, name, FT_NODE_BEFORE_ATTACH) ? 0 : -ENOMEM;
	t->last_ns = now;
	return open_node(ct, t, now, name, 0) ? 0 : -ENOMEM;
}

int calltree__push(struct calltree *ct, uint32_t tid, uint64_t ts, uint32_t seq, int32_t depth,
		   uint32_t name)
{
	return push(ct, tid, ts, seq, depth, name, false);
}

int calltree__push_running(struct calltree *ct, uint32_t tid, uint64_t ts, uint32_t seq,
			   int32_t depth, uint32_t name)
{
	return push(ct, tid, ts, seq, depth, name, true);
}

int calltree__pop(struct calltree *ct, uint32_t tid, uint64_t ts, uint32_t seq, int32_t depth,
		  uint32_t name)
{
	struct ft_thread *t = thread_get(ct, tid);
	uint64_t now = rel(ct, ts);

	if (!t)
		return -ENOMEM;
	depth = level_of(t, seq, depth);
	if (admit(ct, t, seq, depth, false))
		return -ERANGE;
	ct->st.records++;
	now = tick(ct, t, now, seq);
	/* a thread whose first record is a return starts with roots just
	 * above it, so the frame is wrapped like any frame from before attach */
	bool gap = check_seq(ct, t, seq, now, depth + 1);

	/* frames left with no return record: see the design note */
	size_t at;
	if (!gap && t->nstack && top(t)->level == depth && unwound_to(ct, t, name, &at)) {
		while (t->nstack > at + 1) {
			close_top(ct, t, t->last_ns, FT_NODE_END_LOST);
			ct->st.unwound++;
		}
		t->skew += depth - top(t)->level;
		t->last_ns = now;
		close_top_named(ct, t, now, name);
		return 0;
	}

	/* fast path: the frame on top returns; once records were lost on the
	 * thread, depth alone could pair the return with the wrong frame */
	if (t->nstack && top(t)->level == depth && (!t->lost || same_function(ct, top(t), name))) {
		t->last_ns = now;
		close_top_named(ct, t, now, name);
		return 0;
	}
	bool repaired = false;
	/* frames above the returning one lost their returns */
	while (t->nstack && top(t)->level > depth) {
		close_top(ct, t, t->last_ns, FT_NODE_END_LOST);
		repaired = true;
	}
	if (t->nstack && top(t)->level == depth) {
		if (same_function(ct, top(t), name)) {
			t->last_ns = now;
			close_top_named(ct, t, now, name);
			ct->st.resyncs++;
			return 0;
		}
		/* another function at this level: the open frame's return and the
		 * returning frame's entry were both lost */
		close_top(ct, t, t->last_ns, FT_NODE_END_LOST);
		repaired = true;
	}
	if (!t->nstack && depth < t->base) {
		/* a frame from before attach returns: what ran at the root level
		 * since attach ran inside it; frames between it and the roots
		 * returned unseen */
		if (!t->first_root)
			t->base = depth + 1;
		while (t->base - 1 > depth) {
			if (!wrap_roots(ct, t, 0, true))
				return -ENOMEM;
			ct->st.unseen++;
			repaired = true;
		}
		t->last_ns = now;
		struct ft_node *p = wrap_roots(ct, t, name, false);
		if (!p)
			return -ENOMEM;
		complete(ct, t, p, now, 0);
		if (repaired)
			ct->st.resyncs++;
		return 0;
	}
	/* its entry was lost (and maybe its callers'): it started at some
	 * unknown time after the last record seen */
	if (repair(ct, t, depth) < 0)
		return -ENOMEM;
	if (!open_node(ct, t, t->last_ns, name, FT_NODE_START_LOST))
		return -ENOMEM;
	t->last_ns = now;
	close_top(ct, t, now, 0);
	if (!repaired)
		ct->st.resyncs++;
	return 0;
}

int calltree__thread_pid(struct calltree *ct, uint32_t tid, uint32_t pid)
{
	struct ft_thread *t = thread_get(ct, tid);
	uint64_t n = 0;

	if (!t)
		return -ENOMEM;
	t->pid = pid;
	/* a program's number counts its own process's execs (--follow: the
	 * others' are not this process's programs) */
	if (pid) {
		hashmap__find(&ct->execs, pid, &n);
		t->image = n;
	}
	return 0;
}

int calltree__thread_ns(struct calltree *ct, uint32_t tid, uint32_t ns_tid, uint32_t ns_pid)
{
	struct ft_thread *t = thread_get(ct, tid);

	if (!t)
		return -ENOMEM;
	t->ns_tid = ns_tid;
	t->ns_pid = ns_pid;
	return 0;
}

int calltree__exec(struct calltree *ct, uint32_t tid, uint64_t ts)
{
	return calltree__exec_pid(ct, 0, tid, ts);
}

int calltree__exec_pid(struct calltree *ct, uint32_t pid, uint32_t tid, uint64_t ts)
{
	uint64_t now = rel(ct, ts);

	(void)tid; /* every thread of the old program is gone, not only the exec'ing one */
	for (size_t i = 0; i < ct->nthreads; i++) {
		struct ft_thread *t = ct->threads[i];

		if (t->retired || (pid && t->pid && t->pid != pid))
			continue;
		/* retired: the next record of its tid opens a new thread */
		t->retired = true;
		/* the exec'ing thread's frames end at the exec; the other threads
		 * were killed on the way there, so the exec bounds their end */
		uint64_t at = tock(ct, t, now);

		if (t->nstack && at > t->last_ns)
			t->last_ns = at;
		while (t->nstack)
			close_top(ct, t, at, FT_NODE_EXEC);
	}
	if (pid) {
		uint64_t n = 0;

		hashmap__find(&ct->execs, pid, &n);
		if (hashmap__set(&ct->execs, pid, n + 1))
			return -ENOMEM;
	}
	ct->image++;
	ct->st.execs++;
	ct->last = NULL;
	return 0;
}

void calltree__finish(struct calltree *ct, uint64_t end_ts)
{
	calltree__finish_lost(ct, end_ts, 0, false);
}

/* a marker's count is 32 bits; the totals in the stats keep the rest */
static uint32_t lost_count(uint64_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

void calltree__finish_lost(struct calltree *ct, uint64_t end_ts, uint64_t unseen_lost,
			   bool target_exited)
{
	uint64_t end = rel(ct, end_ts);
	struct ft_thread *latest = NULL;
	bool marked = false;

	for (size_t i = 0; i < ct->nthreads; i++) {
		struct ft_thread *t = ct->threads[i];
		uint32_t how = FT_NODE_UNFINISHED;

		if (!latest || t->last_ns > latest->last_ns)
			latest = t;
		if (unseen_lost && t->nstack) {
			add_lost(ct, t, lost_count(unseen_lost));
			marked = true;
			/* a process that exited returned from its frames: the
			 * returns are among the lost records */
			if (target_exited)
				how = FT_NODE_END_LOST;
		}
		while (t->nstack) {
			if (how == FT_NODE_UNFINISHED)
				ct->st.open++;
			close_top(ct, t, how == FT_NODE_END_LOST ? t->last_ns : tock(ct, t, end),
				  how);
		}
	}
	/* no thread was left inside a call: the loss still gets a place */
	if (unseen_lost && !marked && latest)
		add_lost(ct, latest, lost_count(unseen_lost));
}

struct ft_thread *calltree__add_thread(struct calltree *ct, const struct ft_thread *like)
{
	if (ct->nthreads == ct->cap) {
		size_t cap = ct->cap ? ct->cap * 2 : 16;
		struct ft_thread **threads = realloc(ct->threads, cap * sizeof(*threads));

		if (!threads)
			return NULL;
		ct->threads = threads;
		ct->cap = cap;
	}
	struct ft_thread *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = like->tid;
	t->pid = like->pid;
	t->image = like->image;
	t->ns_tid = like->ns_tid;
	t->ns_pid = like->ns_pid;
	memcpy(t->comm, like->comm, sizeof(t->comm));
	t->first_ns = like->first_ns;
	ct->threads[ct->nthreads++] = t;
	return t;
}

struct ft_node *calltree__node_alloc(struct calltree *ct)
{
	return node_new(ct);
}

void calltree__node_release(struct calltree *ct, struct ft_node *n)
{
	node_recycle(ct, n);
}

size_t calltree__nthreads(const struct calltree *ct)
{
	return ct->nthreads;
}

const struct ft_thread *calltree__thread_at(const struct calltree *ct, size_t i)
{
	return i < ct->nthreads ? ct->threads[i] : NULL;
}

void calltree__stats(const struct calltree *ct, struct calltree_stats *st)
{
	*st = ct->st;
}
