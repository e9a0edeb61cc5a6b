/* SPDX-License-Identifier: MIT */
/* The asyncio task view (--by-task): which steps of the per-thread call
 * trees belong to which asyncio Task.
 *
 * A task runs as a sequence of steps, each a resume of its one coroutine
 * by the event loop (each suspension ends one). The probe source marks
 * each such resume with an FT_REC_TASK record right before its ENTRY; this
 * module takes the record stream after the call-tree builder has applied
 * each record, and keeps, per task, the tree nodes of its steps in order.
 * A task is known by its coroutine's frame address (constant while the
 * coroutine lives) and its coroutine's function; a first-step mark or a
 * different function at the same address starts a new task. A step that
 * starts inside another task's step (an eager task's first step, run by
 * its creation) is that new task's step, and is cut out of the enclosing
 * step in the view (tasks__cut); a resume inside the step of its own Task
 * is no new step. The trees are
 * not changed: the view only points into them, so it needs a calltree that
 * keeps its forest (tree, json, chrome). Pure: no BPF, no /proc. */
#ifndef FT_TASKS_H
#define FT_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtrace/event.h"

struct calltree;
struct ft_node;
struct ft_thread;

struct ft_task_step {
	const struct ft_node *node; /* the resumed coroutine's call */
	uint32_t tid;		    /* the thread it ran on */
	uint32_t thread;	    /* its index in the calltree (calltree__thread_at) */
	uint64_t gap_ns;	    /* suspended before this step: 0 for the first */
	/* an eager start (3.12+): the step ran synchronously inside the step
	 * of task id inside (its creator), nested in that step's subtree,
	 * which the view shows without it (tasks__cut); 0: a step of its own */
	uint32_t inside;
};

struct ft_task {
	uint32_t id;		     /* 1, 2, ... in the order of first steps */
	uint32_t pid;		     /* process (tgid) */
	uint32_t coro_name;	     /* name id of its coroutine's function */
	uint64_t coro;		     /* its coroutine's frame address in the target */
	uint64_t addr;		     /* the Task object's address; 0: not known */
	char name[FT_TASK_NAME_MAX]; /* the Task's name; "": not known */
	struct ft_task_step *steps;
	size_t nsteps, cap;
	uint64_t run_ns;       /* steps' durations added up */
	uint64_t suspended_ns; /* gaps between steps added up (tasks__finish) */
};

struct tasks;

struct tasks *tasks__new(void);
void tasks__free(struct tasks *tk);
/* One record, after the call-tree builder applied it to ct. Returns 0 or
 * -ENOMEM; records of other types, and a TASK record whose ENTRY the tree
 * did not take, are passed over. */
int tasks__record(struct tasks *tk, const struct calltree *ct, const void *data, size_t size);
/* Whether the task view leaves node n out of the step it lies in: n is
 * the eager first step of another task, shown under that task. */
bool tasks__cut(const void *tk, const struct ft_node *n);
/* The task whose eager first step node n is; NULL: none (tasks__cut). */
const struct ft_task *tasks__eager_of(const struct tasks *tk, const struct ft_node *n);
/* Whether an eager start may have gone unseen: the interpreter (python,
 * "3.12.1"; "" unknown) has eager tasks (3.12+, or not known) and a task of
 * the trace was not read (no Task address: no task_step_impl probe, no
 * 3.14 debug section, or a pure-Python Task). The eager start of a Task
 * created right in a coroutine (its coroutine's caller is one) is only
 * told from an awaited coroutine by the Task read for its frame: unread,
 * it stays in its creator's step, and one that never suspends is missing. */
bool tasks__eager_blind(const struct tasks *tk, const char *python);
/* Works out the gaps and totals once the trees are finished. */
void tasks__finish(struct tasks *tk);
size_t tasks__count(const struct tasks *tk);
const struct ft_task *tasks__at(const struct tasks *tk, size_t i);
/* The task's shown name: its name, or "Task-?" when the interpreter does
 * not publish it. */
const char *tasks__name(const struct ft_task *t);

#endif /* FT_TASKS_H */
