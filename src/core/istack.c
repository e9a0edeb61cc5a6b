// SPDX-License-Identifier: MIT
/* Shadow stacks for the interpreter probe source; see istack.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/hashmap.h"
#include "core/istack.h"

struct iframe {
	uint64_t frame;
	int32_t depth;
	uint32_t name;
	bool started; /* its ENTRY was emitted; if not, it is known only as a caller */
};

struct ieval {
	uint64_t sp;
	uint64_t frame; /* the frame the loop was entered with */
};

struct ithread {
	uint32_t tid, tgid;
	uint32_t out_seq;     /* seq of the next emitted record */
	uint32_t next_raw;    /* raw seq expected next */
	bool lossy;	      /* raw records went missing on this thread: an unknown caller
		     * may be a lost start */
	bool exact;	      /* the stack snapshot holds every frame that ran before it */
	int32_t floor;	      /* depth of the frame below the bottom of the stack */
	uint64_t last_popped; /* the frame that left last */
	struct iframe *f;
	size_t nf, capf;
	struct ieval *e;
	size_t ne, cape;
	struct ft_raw_stack_frame *snap; /* snapshot chunks so far, innermost first */
	size_t nsnap, capsnap;
	int32_t snap_chunks; /* chunks received; -1 once one was missing */
};

struct istack {
	struct istack_opts o;
	struct hashmap threads; /* tid -> struct ithread * */
	struct ithread *last;	/* the thread of the last record: records come in runs */
	struct istack_stats st;
};

struct istack *istack__new(const struct istack_opts *o)
{
	struct istack *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->o = *o;
	if (o->nattached) {
		int *a = calloc(o->nattached, sizeof(*a));

		if (!a) {
			free(s);
			return NULL;
		}
		memcpy(a, o->attached, o->nattached * sizeof(*a));
		s->o.attached = a;
	}
	hashmap__init(&s->threads, NULL, NULL, NULL);
	return s;
}

void istack__free(struct istack *s)
{
	size_t pos = 0;
	uint64_t v;

	if (!s)
		return;
	while (hashmap__next(&s->threads, &pos, NULL, &v)) {
		struct ithread *t = (struct ithread *)(uintptr_t)v;

		free(t->f);
		free(t->e);
		free(t->snap);
		free(t);
	}
	hashmap__fini(&s->threads);
	free((void *)s->o.attached);
	free(s);
}

void istack__stats(const struct istack *s, struct istack_stats *st)
{
	*st = s->st;
}

int istack__attach(struct istack *s, int tgid)
{
	int *a;

	for (size_t i = 0; i < s->o.nattached; i++)
		if (s->o.attached[i] == tgid)
			return 0;
	/* none means every process's: adding one would narrow that */
	if (!s->o.nattached)
		return 0;
	a = realloc((void *)s->o.attached, (s->o.nattached + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	a[s->o.nattached++] = tgid;
	s->o.attached = a;
	return 0;
}

void istack__exec(struct istack *s, uint32_t tgid)
{
	size_t pos = 0;
	uint64_t v;

	while (hashmap__next(&s->threads, &pos, NULL, &v)) {
		struct ithread *t = (struct ithread *)(uintptr_t)v;

		if (t->tgid != tgid)
			continue;
		/* as new, keeping the arrays: the next record is a new thread's */
		t->out_seq = t->next_raw = 0;
		t->lossy = t->exact = false;
		t->floor = 0;
		t->last_popped = 0;
		t->nf = t->ne = t->nsnap = 0;
		t->snap_chunks = 0;
	}
}

static struct ithread *thread_get(struct istack *s, uint32_t tid)
{
	struct ithread *t = s->last;
	uint64_t found;

	if (t && t->tid == tid)
		return t;
	if (hashmap__find(&s->threads, tid, &found))
		return s->last = (struct ithread *)(uintptr_t)found;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (hashmap__add(&s->threads, tid, (uintptr_t)t, NULL)) {
		free(t);
		return NULL;
	}
	t->tid = tid;
	return s->last = t;
}

static int emit_flags(struct istack *s, struct ithread *t, uint16_t type, uint64_t ts,
		      int32_t depth, uint32_t name, uint16_t flags)
{
	struct ft_rec_hdr h = {
		.ts = ts,
		.tgid = t->tgid,
		.tid = t->tid,
		.seq = t->out_seq++,
		.depth = depth,
		.type = type,
		.flags = flags,
		.arg = name,
	};

	if (type == FT_REC_ENTRY)
		s->st.entries++;
	else
		s->st.returns++;
	return s->o.emit(s->o.ctx, &h);
}

/* The step of an asyncio task: the ENTRY about to be emitted, shown to
 * the task callback with the coroutine's frame first. */
static int task_step(struct istack *s, const struct ithread *t, uint64_t ts, int32_t depth,
		     const struct ft_raw_call *r)
{
	struct ft_rec_hdr h = {
		.ts = ts,
		.tgid = t->tgid,
		.tid = t->tid,
		.seq = t->out_seq,
		.depth = depth,
		.type = FT_REC_ENTRY,
		.arg = r->hdr.name,
	};

	if (!(r->hdr.flags & FT_RAW_F_PARENT_GEN))
		s->st.task_steps++;
	return s->o.task(s->o.ctx, &h, r);
}

static int emit(struct istack *s, struct ithread *t, uint16_t type, uint64_t ts, int32_t depth,
		uint32_t name)
{
	return emit_flags(s, t, type, ts, depth, name, 0);
}

static int push_frame(struct ithread *t, uint64_t frame, int32_t depth, uint32_t name, bool started)
{
	if (t->nf == t->capf && grow_array((void **)&t->f, &t->capf, t->nf + 1, sizeof(*t->f)))
		return -ENOMEM;
	t->f[t->nf++] =
		(struct iframe){.frame = frame, .depth = depth, .name = name, .started = started};
	return 0;
}

static int32_t top_depth(const struct ithread *t)
{
	return t->nf ? t->f[t->nf - 1].depth : t->floor;
}

/* Pops the top frame, emitting its return. */
static int pop_frame(struct istack *s, struct ithread *t, uint64_t ts, uint32_t name, bool revealed)
{
	struct iframe *f = &t->f[--t->nf];

	t->last_popped = f->frame;
	/* an eval call entered with this frame must not end a later frame
	 * that reuses the address */
	for (size_t i = t->ne; i-- > 0;) {
		if (t->e[i].frame == f->frame) {
			t->e[i].frame = 0;
			break;
		}
	}
	if (!t->nf)
		t->floor = f->depth - 1;
	if (revealed)
		s->st.revealed++;
	return emit(s, t, FT_REC_RETURN, ts, f->depth, name ? name : f->name);
}

/* Every frame above index keep (exclusive) has left. */
static int unwind_to(struct istack *s, struct ithread *t, size_t keep, uint64_t ts)
{
	int err = 0;

	while (t->nf > keep && !err)
		err = pop_frame(s, t, ts, 0, true);
	return err;
}

/* An exit or catch of a frame never seen starting: it cannot be placed,
 * and is counted (the summary and meta.drops.unplaced show it). It is not
 * made a sequence gap: the builder would take the frames from before
 * attach that leave next for frames whose start was lost. */
static int unplaced(struct istack *s)
{
	s->st.unplaced++;
	return 0;
}

static long find_frame(const struct ithread *t, uint64_t frame)
{
	for (size_t i = t->nf; i-- > 0;)
		if (t->f[i].frame == frame)
			return (long)i;
	return -1;
}

/* A frame no record introduced, with every known frame above it: the known
 * frames have left, and it sits below where the stack started. Returns the
 * depth it gets. */
static int32_t below_everything(struct istack *s, struct ithread *t, uint64_t ts, int *err)
{
	int32_t d = t->nf ? t->f[0].depth - 1 : t->floor;

	*err = unwind_to(s, t, 0, ts);
	t->floor = d - 1;
	return d;
}

/* Eval-loop calls at stack pointer sp or below have returned (the stack
 * there is in use again, or is being left): their frames too. returning
 * is the call whose own return this is (0: none); the others ended
 * unseen. */
static int end_evals(struct istack *s, struct ithread *t, uint64_t sp, uint64_t returning,
		     uint64_t ts)
{
	while (t->ne && t->e[t->ne - 1].sp <= sp) {
		struct ieval *e = &t->e[--t->ne];
		long i = e->frame ? find_frame(t, e->frame) : -1;

		if (i >= 0) {
			int err = unwind_to(s, t, (size_t)i + 1, ts);

			if (!err)
				/* its exit: a return, a yield or an exception */
				err = pop_frame(s, t, ts, 0, e->sp != returning);
			if (err)
				return err;
		}
	}
	return 0;
}

static int push_eval(struct ithread *t, uint64_t sp, uint64_t frame)
{
	if (t->ne == t->cape && grow_array((void **)&t->e, &t->cape, t->ne + 1, sizeof(*t->e)))
		return -ENOMEM;
	t->e[t->ne++] = (struct ieval){.sp = sp, .frame = frame};
	return 0;
}

static int on_start(struct istack *s, struct ithread *t, const struct ft_raw_call *r)
{
	uint64_t ts = r->hdr.ts;
	int err = 0;
	int32_t depth;
	long i;

	if (r->hdr.flags & (FT_RAW_F_HAS_SP | FT_RAW_F_GEN_CREATE)) {
		err = end_evals(s, t, r->sp, 0, ts);
		if (err)
			return err;
	}
	if (r->hdr.flags & FT_RAW_F_GEN_CREATE) {
		s->st.hidden++;
		return push_eval(t, r->sp, 0);
	}
	if (t->nf && t->f[t->nf - 1].frame == r->frame && !(r->hdr.flags & FT_RAW_F_HAS_SP) &&
	    (t->f[t->nf - 1].name == r->hdr.name || !r->hdr.name)) {
		/* RESUME seen twice (re-instrumented code), or the eval loop and
		 * the RESUME handler both saw a throw(). Another function at the
		 * same address is a new frame: the one on top has left. */
		s->st.duplicates++;
		return 0;
	}
	/* a frame that is on the stack but not on top cannot start again:
	 * everything from it up has left (records were lost) */
	i = find_frame(t, r->frame);
	if (i >= 0) {
		err = unwind_to(s, t, (size_t)i, ts);
		if (err)
			return err;
	}
	/* only now: the unwinding above forgets eval calls of the old frame */
	if (r->hdr.flags & FT_RAW_F_HAS_SP) {
		err = push_eval(t, r->sp, r->frame);
		if (err)
			return err;
	}
	i = r->parent ? find_frame(t, r->parent) : -1;
	if (i >= 0) {
		err = unwind_to(s, t, (size_t)i + 1, ts);
		depth = t->f[i].depth + 1;
	} else if (!r->parent) {
		/* the thread's outermost frame: nothing known runs below it */
		depth = below_everything(s, t, ts, &err) + 1;
		t->floor = depth - 1;
	} else if (t->lossy && t->nf) {
		/* the caller's start was lost: a placeholder keeps the levels */
		depth = top_depth(t) + 2;
		err = push_frame(t, r->parent, depth - 1, 0, false);
	} else if (t->nf && (r->hdr.flags & FT_RAW_F_PARENT_GEN || r->parent == t->last_popped)) {
		/* a generator that throw() or close() passes through to the
		 * one it delegates to (yield from, await), without starting
		 * it: like the interpreter's own profiler, the new frame
		 * counts as a child of the frame running. The same for a call
		 * from a frame that has just returned: 3.12+ run the return
		 * event's trace function after the return handler. */
		depth = top_depth(t) + 1;
		s->st.passed++;
	} else if (r->grand && (i = find_frame(t, r->grand)) >= 0) {
		/* the caller became current without a start of its own: a
		 * call the trace function runs from inside the caller's
		 * start, before it. The caller starts now. */
		err = unwind_to(s, t, (size_t)i + 1, ts);
		depth = t->f[i].depth + 1;
		if (!err)
			err = push_frame(t, r->parent, depth, r->hdr.parent_name, true);
		if (!err)
			err = emit(s, t, FT_REC_ENTRY, ts, depth, r->hdr.parent_name);
		depth++;
	} else if (!t->nf && r->parent == t->last_popped) {
		/* the caller sits where a frame just left, so it started since,
		 * unseen so far (its trace function runs before its start) */
		depth = t->floor + 1;
		if (r->grand)
			err = push_frame(t, r->grand, depth - 1, 0, false);
		if (!err)
			err = push_frame(t, r->parent, depth, r->hdr.parent_name, true);
		if (!err)
			err = emit(s, t, FT_REC_ENTRY, ts, depth, r->hdr.parent_name);
		depth++;
	} else if (t->exact) {
		/* every frame that ran before tracing is known: the caller
		 * started since, unseen, while the frame on top ran */
		depth = top_depth(t) + 1;
		s->st.passed++;
	} else if (!t->nf) {
		/* the caller (and its caller) were running before tracing
		 * started */
		depth = t->floor + 1;
		if (r->grand)
			err = push_frame(t, r->grand, depth - 2, 0, false);
		if (!err)
			err = push_frame(t, r->parent, depth - 1, r->hdr.parent_name, false);
		t->floor = depth - (r->grand ? 3 : 2);
	} else {
		/* the caller was running before tracing started, and whatever
		 * is known has left since */
		depth = below_everything(s, t, ts, &err) + 1;
		if (!err)
			err = push_frame(t, r->parent, depth - 1, r->hdr.parent_name, false);
	}
	if (!err)
		err = push_frame(t, r->frame, depth, r->hdr.name, true);
	/* a coroutine whose caller is a coroutine is mostly one being awaited,
	 * but may be the eager start of a Task created right there (3.12+):
	 * the callback tells them apart by the Task read for that frame */
	if (!err && s->o.task && (r->hdr.flags & FT_RAW_F_CORO))
		err = task_step(s, t, ts, depth, r);
	if (!err)
		err = emit(s, t, FT_REC_ENTRY, ts, depth, r->hdr.name);
	return err;
}

static int on_leave(struct istack *s, struct ithread *t, const struct ft_raw_call *r)
{
	uint64_t ts = r->hdr.ts;
	long i = find_frame(t, r->frame);
	int err;

	if (i >= 0) {
		err = unwind_to(s, t, (size_t)i + 1, ts);
		if (!err)
			err = pop_frame(s, t, ts, r->hdr.name, false);
		return err;
	}
	if (t->lossy && t->nf) {
		/* its start was lost: a child of the frame on top */
		return emit(s, t, FT_REC_RETURN, ts, top_depth(t) + 1, r->hdr.name);
	}
	if ((r->hdr.flags & FT_RAW_F_POP) && (t->exact || (t->nf && t->f[t->nf - 1].started))) {
		/* 3.14 pops frames that never ran too (a recursion check that
		 * failed before the first instruction): no call */
		s->st.never_ran++;
		return 0;
	}
	if (t->exact || (t->nf && t->f[t->nf - 1].started)) {
		/* a frame from before attach cannot leave while one that started
		 * since is running, nor be missing from an exact snapshot: this
		 * one started unseen */
		return unplaced(s);
	}
	/* a frame from before attach, below everything known */
	int32_t d = below_everything(s, t, ts, &err);
	if (!err)
		err = emit(s, t, FT_REC_RETURN, ts, d, r->hdr.name);
	return err;
}

static int on_catch(struct istack *s, struct ithread *t, const struct ft_raw_call *r)
{
	long i = find_frame(t, r->frame);
	int err = 0;

	if (i >= 0)
		return unwind_to(s, t, (size_t)i + 1, r->hdr.ts);
	if (t->lossy || t->exact || (t->nf && t->f[t->nf - 1].started))
		return unplaced(s);
	int32_t d = below_everything(s, t, r->hdr.ts, &err);
	if (!err)
		err = push_frame(t, r->frame, d, 0, false);
	return err;
}

/* The thread of a raw record, with its sequence checked: BPF numbers a
 * thread's records from 0, so a first record above 0 follows a loss. */
static struct ithread *account(struct istack *s, const struct ft_raw_hdr *h)
{
	struct ithread *t = thread_get(s, h->tid);

	if (!t)
		return NULL;
	if (h->seq != t->next_raw) {
		uint32_t gap = h->seq - t->next_raw;

		/* the builder sees the same gap in the records it gets */
		t->out_seq += gap;
		s->st.lost += gap;
		t->lossy = true;
	}
	t->tgid = h->tgid;
	t->next_raw = h->seq + 1;
	return t;
}

/* The frames of a complete snapshot become the stack, outermost lowest:
 * frames known only as running, which leave like any other. */
/* Whether the thread's process was attached to (istack_opts.attached) */
static bool attached(const struct istack *s, const struct ithread *t)
{
	for (size_t i = 0; i < s->o.nattached; i++)
		if ((uint32_t)s->o.attached[i] == t->tgid)
			return true;
	return !s->o.nattached;
}

static int install_snapshot(struct istack *s, struct ithread *t, uint64_t ts, bool cut)
{
	size_t n = t->nsnap;
	bool show = attached(s, t);
	int err;

	/* a new thread under the tid of one that ended */
	err = unwind_to(s, t, 0, ts);
	t->floor -= (int32_t)n;
	/* each also goes out as an ENTRY flagged running, so the tree shows
	 * the frames a thread was in (a server's loop) above what it traces,
	 * also those that never return while traced; they stay "not started"
	 * here, which is what the placement rules ask of frames from before */
	for (size_t i = n; !err && i-- > 0;) {
		int32_t d = t->floor + (int32_t)(n - i);

		err = push_frame(t, t->snap[i].frame, d, t->snap[i].name, false);
		if (!err && show)
			err = emit_flags(s, t, FT_REC_ENTRY, ts, d, t->snap[i].name,
					 FT_ENTRY_F_RUNNING);
	}
	t->exact = !err && !cut;
	s->st.snapshots++;
	return err;
}

int istack__stack(struct istack *s, const struct ft_raw_stack *r)
{
	struct ithread *t = account(s, &r->hdr);
	uint32_t n = r->count < FT_RAW_STACK_CHUNK ? r->count : FT_RAW_STACK_CHUNK;
	int err = 0;

	if (!t)
		return -ENOMEM;
	if ((int32_t)r->chunk != t->snap_chunks)
		t->snap_chunks = -1; /* a chunk went missing: the snapshot is unusable */
	if (t->snap_chunks >= 0) {
		if (grow_array((void **)&t->snap, &t->capsnap, t->nsnap + n, sizeof(*t->snap)))
			return -ENOMEM;
		if (n) /* an empty chunk has no buffer to copy to yet (UBSan) */
			memcpy(t->snap + t->nsnap, r->f, n * sizeof(*r->f));
		t->nsnap += n;
		t->snap_chunks++;
	}
	if (r->hdr.flags & FT_RAW_F_STACK_LAST) {
		if (t->snap_chunks >= 0)
			err = install_snapshot(s, t, r->hdr.ts, r->hdr.flags & FT_RAW_F_STACK_CUT);
		else
			s->st.bad_snapshots++;
		t->nsnap = 0;
		t->snap_chunks = 0;
	}
	return err;
}

int istack__event(struct istack *s, const struct ft_raw_call *r)
{
	struct ithread *t = account(s, &r->hdr);

	if (!t)
		return -ENOMEM;
	if (t->nsnap || t->snap_chunks) {
		/* the snapshot's last chunk was lost */
		s->st.bad_snapshots++;
		t->nsnap = 0;
		t->snap_chunks = 0;
	}

	switch (r->hdr.type) {
	case FT_RAW_ENTER:
		return on_start(s, t, r);
	case FT_RAW_EXIT:
		return on_leave(s, t, r);
	case FT_RAW_CATCH:
		return on_catch(s, t, r);
	case FT_RAW_EVAL:
		return end_evals(s, t, r->sp, 0, r->hdr.ts) ?: push_eval(t, r->sp, r->frame);
	case FT_RAW_EVAL_RET:
		return end_evals(s, t, r->sp, r->sp, r->hdr.ts);
	default:
		return 0;
	}
}
