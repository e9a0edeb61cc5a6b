// SPDX-License-Identifier: MIT
/* The asyncio task view: steps of the call trees grouped per task (see
 * tasks.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/grow.h"
#include "core/hashmap.h"
#include "core/tasks.h"

struct tasks {
	struct ft_task **v; /* in the order of first steps; each task apart, as
			     * the renderers keep pointers */
	size_t n, cap;
	struct hashmap live; /* key of (pid, coroutine) -> index in v + 1 */
	/* each step's node -> index in v + 1 (its task's id), for the step a
	 * new one starts inside of; and the eager steps' nodes -> the same
	 * (tasks__cut) */
	struct hashmap steps, cut;
	/* the TASK record waiting for its ENTRY, the thread's next record */
	struct ft_rec_task pending;
	bool has_pending;
};

struct tasks *tasks__new(void)
{
	return calloc(1, sizeof(struct tasks));
}

void tasks__free(struct tasks *tk)
{
	if (!tk)
		return;
	for (size_t i = 0; i < tk->n; i++) {
		free(tk->v[i]->steps);
		free(tk->v[i]);
	}
	free(tk->v);
	hashmap__fini(&tk->live);
	hashmap__fini(&tk->steps);
	hashmap__fini(&tk->cut);
	free(tk);
}

/* One key for a coroutine of a process; a collision is caught on use. */
static uint64_t coro_key(uint32_t pid, uint64_t coro)
{
	return coro ^ ((uint64_t)pid * 0x9E3779B97F4A7C15ULL);
}

/* The thread the builder keeps for tid now: the latest one of that id. */
static const struct ft_thread *thread_of(const struct calltree *ct, uint32_t tid, uint32_t *index)
{
	for (size_t i = calltree__nthreads(ct); i-- > 0;) {
		const struct ft_thread *t = calltree__thread_at(ct, i);

		if (t->tid == tid && !t->retired) {
			*index = (uint32_t)i;
			return t;
		}
	}
	return NULL;
}

static struct ft_task *task_new(struct tasks *tk, const struct ft_rec_task *r, uint32_t name)
{
	struct ft_task *t;

	if (tk->n == tk->cap && grow_array((void **)&tk->v, &tk->cap, tk->n + 1, sizeof(*tk->v)))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->id = (uint32_t)tk->n + 1;
	t->pid = r->hdr.tgid;
	t->coro = r->coro;
	t->coro_name = name;
	tk->v[tk->n++] = t;
	if (hashmap__set(&tk->live, coro_key(t->pid, t->coro), tk->n)) {
		tk->n--;
		free(t);
		return NULL;
	}
	return t;
}

static uint64_t node_key(const struct ft_node *n)
{
	return (uint64_t)(uintptr_t)n;
}

/* The task whose step the thread th runs below its top node (the step
 * about to be added), the innermost one; NULL: none. */
static struct ft_task *enclosing(const struct tasks *tk, const struct ft_thread *th)
{
	uint64_t at;

	for (size_t i = th->nstack - 1; i-- > 0;)
		if (hashmap__find(&tk->steps, node_key(th->stack[i]), &at))
			return tk->v[at - 1];
	return NULL;
}

/* The step that just opened n, the top of thread th (index ti). */
static int add_step(struct tasks *tk, const struct ft_rec_task *r, const struct ft_thread *th,
		    uint32_t ti)
{
	const struct ft_node *n = th->stack[th->nstack - 1];
	struct ft_task *t = NULL, *outer = enclosing(tk, th);
	uint64_t at;

	/* a coroutine resumed inside its own Task's step is part of that
	 * step; one whose caller is a coroutine is a step only as the eager
	 * start of another Task, read for that frame */
	if (outer && ((r->task && outer->addr == r->task) ||
		      (outer->pid == r->hdr.tgid && outer->coro == r->coro)))
		return 0;
	if ((r->hdr.flags & FT_TASK_F_NESTED) && !r->task)
		return 0;

	/* a step inside another task's step is an eager start, which is a
	 * task's first step: a new task even where the coroutine and the Task
	 * take the addresses of a finished task's (the memory was reused) */
	if (!outer && !(r->hdr.flags & FT_TASK_F_FIRST) &&
	    hashmap__find(&tk->live, coro_key(r->hdr.tgid, r->coro), &at)) {
		t = tk->v[at - 1];
		/* the address now holds another coroutine: the old one is gone */
		if (t->pid != r->hdr.tgid || t->coro != r->coro || t->coro_name != n->name ||
		    (r->task && t->addr && r->task != t->addr))
			t = NULL;
	}
	if (!t)
		t = task_new(tk, r, n->name);
	if (!t)
		return -ENOMEM;
	if (r->task)
		t->addr = r->task;
	if (r->name[0]) {
		memcpy(t->name, r->name, sizeof(t->name));
		t->name[sizeof(t->name) - 1] = 0;
	}
	if (t->nsteps == t->cap &&
	    grow_array((void **)&t->steps, &t->cap, t->nsteps + 1, sizeof(*t->steps)))
		return -ENOMEM;
	if (hashmap__set(&tk->steps, node_key(n), (uint64_t)(t->id)))
		return -ENOMEM;
	if (outer && hashmap__set(&tk->cut, node_key(n), t->id))
		return -ENOMEM;
	t->steps[t->nsteps++] = (struct ft_task_step){
		.node = n, .tid = r->hdr.tid, .thread = ti, .inside = outer ? outer->id : 0};
	return 0;
}

bool tasks__cut(const void *tk, const struct ft_node *n)
{
	const struct tasks *k = tk;
	uint64_t v;

	return k && hashmap__find(&k->cut, node_key(n), &v);
}

const struct ft_task *tasks__eager_of(const struct tasks *tk, const struct ft_node *n)
{
	uint64_t id;

	if (!tk || !hashmap__find(&tk->cut, node_key(n), &id) || !id || id > tk->n)
		return NULL;
	return tk->v[id - 1];
}

int tasks__record(struct tasks *tk, const struct calltree *ct, const void *data, size_t size)
{
	const struct ft_rec_hdr *h = data;
	const struct ft_thread *t;
	bool matches;
	uint32_t ti;

	if (size < sizeof(*h))
		return 0;
	if (h->type == FT_REC_TASK) {
		if (size < sizeof(struct ft_rec_task))
			return 0;
		memcpy(&tk->pending, data, sizeof(tk->pending));
		tk->has_pending = true;
		return 0;
	}
	if (!tk->has_pending || (h->type != FT_REC_ENTRY && h->type != FT_REC_RETURN))
		return 0;
	/* the ENTRY the TASK record announced, or none: it was refused */
	matches = h->type == FT_REC_ENTRY && h->tid == tk->pending.hdr.tid &&
		  h->tgid == tk->pending.hdr.tgid && h->seq == tk->pending.hdr.seq;
	tk->has_pending = false;
	if (!matches)
		return 0;
	t = thread_of(ct, h->tid, &ti);
	if (!t || !t->nstack)
		return 0;
	return add_step(tk, &tk->pending, t, ti);
}

/* A coroutine resumed from C is a Task's step only when a Task runs it.
 * Where the probes read the running Task in a process (a step of it came
 * with the Task's address), a "task" none of whose steps did is another
 * coroutine resumed from C: the ones _collections_abc and types create and
 * close unstarted at import (3.8-3.12 run their frames to close them), a
 * coroutine a program or another framework drives by hand. They leave the
 * view, which is renumbered; a process with no Task read keeps them all,
 * as it cannot tell. Without the memory to do it the view stays as it is. */
static void drop_unread(struct tasks *tk)
{
	struct hashmap read = {0};
	uint32_t *id = NULL;
	size_t m = 0;
	uint64_t v;

	for (size_t i = 0; i < tk->n; i++)
		if (tk->v[i]->addr && hashmap__set(&read, tk->v[i]->pid, 1))
			goto out;
	if (!read.count || !(id = calloc(tk->n + 1, sizeof(*id))))
		goto out; /* nothing to drop, or the view as it is */
	for (size_t i = 0; i < tk->n; i++) {
		struct ft_task *t = tk->v[i];

		if (!t->addr && hashmap__find(&read, t->pid, &v)) {
			free(t->steps);
			free(t);
			continue;
		}
		id[t->id] = (uint32_t)m + 1;
		t->id = (uint32_t)++m;
		tk->v[m - 1] = t;
	}
	/* the maps name tasks by id: made again of the tasks kept, in the
	 * slots they have (no more keys than before: no allocation) */
	hashmap__clear(&tk->steps);
	hashmap__clear(&tk->cut);
	for (size_t i = 0; i < m; i++)
		for (size_t s = 0; s < tk->v[i]->nsteps; s++) {
			struct ft_task_step *st = &tk->v[i]->steps[s];

			st->inside = id[st->inside];
			hashmap__set(&tk->steps, node_key(st->node), i + 1);
			if (st->inside)
				hashmap__set(&tk->cut, node_key(st->node), i + 1);
		}
	tk->n = m;
	/* no record comes after the end: the live tasks' indices are stale */
	hashmap__clear(&tk->live);
out:
	free(id);
	hashmap__fini(&read);
}

void tasks__finish(struct tasks *tk)
{
	drop_unread(tk);
	for (size_t i = 0; i < tk->n; i++) {
		struct ft_task *t = tk->v[i];

		t->run_ns = t->suspended_ns = 0;
		for (size_t s = 0; s < t->nsteps; s++) {
			struct ft_task_step *st = &t->steps[s];
			const struct ft_node *prev = s ? t->steps[s - 1].node : NULL;
			/* start_ns runs on the thread's clock with the tracer's
			 * cost taken out, as dur_ns does: the gap is on it too */
			uint64_t end = prev ? prev->start_ns + prev->dur_ns : 0;

			st->gap_ns =
				prev && st->node->start_ns > end ? st->node->start_ns - end : 0;
			t->run_ns += st->node->dur_ns;
			t->suspended_ns += st->gap_ns;
		}
	}
}

bool tasks__eager_blind(const struct tasks *tk, const char *python)
{
	unsigned major = 0, minor = 0;
	bool unread = false;

	for (size_t i = 0; tk && i < tk->n; i++)
		unread |= !tk->v[i]->addr;
	if (!unread)
		return false;
	/* 3.11 and older have no eager tasks; an unknown version might */
	if (python && sscanf(python, "%u.%u", &major, &minor) == 2)
		return major > 3 || (major == 3 && minor >= 12);
	return true;
}

size_t tasks__count(const struct tasks *tk)
{
	return tk ? tk->n : 0;
}

const struct ft_task *tasks__at(const struct tasks *tk, size_t i)
{
	return tk->v[i];
}

const char *tasks__name(const struct ft_task *t)
{
	return t->name[0] ? t->name : "Task-?";
}
