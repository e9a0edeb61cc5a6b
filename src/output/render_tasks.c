// SPDX-License-Identifier: MIT
/* --by-task: the asyncio task view of the tree, json and chrome formats.
 * Each task's steps are subtrees of the per-thread forest (core/tasks.h);
 * each format shows them with its own per-call writers, walked step by
 * step, so a call reads the same in a task as in its thread. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/names.h"
#include "core/tasks.h"
#include "output/jsonw.h"
#include "output/render.h"
#include "output/render_priv.h"

/* Chrome: task tracks take thread ids above any the kernel gives (its
 * limit is 2^22), so they never share a track with a thread. */
#define TASK_TRACK_BASE 1000000000u

/* Each step without the eager first steps of other tasks that ran inside
 * it: those show under their own task (core/tasks.h). */
static void walk_step(struct render_ctx *rc, const struct ft_thread *th, const struct ft_node *n,
		      const struct filter_visit *v, void *ctx)
{
	const struct filter_cut cut = {.cut = tasks__cut, .cut_ctx = rc->tasks};

	filter__walk_node_cut(rc->filter, rc->names, th, n, &cut, v, ctx);
}

static const struct ft_thread *step_thread(const struct calltree *ct, const struct ft_task_step *s)
{
	return s->thread < calltree__nthreads(ct) ? calltree__thread_at(ct, s->thread) : NULL;
}

/* "coro main() at 0x7f..": the coroutine the task wraps */
static void coro_text(char *buf, size_t len, const struct names *names, const struct ft_task *t)
{
	const struct ft_name *nm = names__get(names, t->coro_name);

	snprintf(buf, len, "coroutine %s() at 0x%" PRIx64, nm->func, t->coro);
}

void render_tasks_tree(struct render_ctx *rc, const struct calltree *ct,
		       const struct filter_visit *v, void *tree,
		       void (*header)(void *tree, const char *text))
{
	size_t n = tasks__count(rc->tasks);
	char line[512 + FT_TASK_NAME_MAX], coro[300], run[16], gap[16];

	if (!n) {
		header(tree, "#\n# asyncio tasks: none seen\n");
		return;
	}
	snprintf(line, sizeof(line), "#\n# asyncio tasks: %zu\n", n);
	header(tree, line);
	if (tasks__eager_blind(rc->tasks, rc->meta ? rc->meta->python : NULL))
		header(tree,
		       "# eager starts of Tasks created right in a coroutine are not seen (no "
		       "Task read): they stay in the creator's step\n");
	for (size_t i = 0; i < n; i++) {
		const struct ft_task *t = tasks__at(rc->tasks, i);

		coro_text(coro, sizeof(coro), rc->names, t);
		/* the name as the target has it, shown like a comm: escaped */
		snprintf(line, sizeof(line), "#\n# task %u ", t->id);
		header(tree, line);
		fputc('"', rc->out);
		render_put_text(rc->out, tasks__name(t), strlen(tasks__name(t)), NULL, NULL);
		snprintf(line, sizeof(line), "\" (%s): %zu step%s, ran %s, suspended %s\n", coro,
			 t->nsteps, t->nsteps == 1 ? "" : "s", fmt_duration_text(run, t->run_ns),
			 fmt_duration_text(gap, t->suspended_ns));
		fputs(line, rc->out);
		for (size_t s = 0; s < t->nsteps; s++) {
			const struct ft_task_step *st = &t->steps[s];
			const struct ft_thread *th = step_thread(ct, st);

			if (!th)
				continue;
			if (s) {
				snprintf(line, sizeof(line), "# %s suspended\n",
					 fmt_duration(gap, st->gap_ns));
				header(tree, line);
			}
			if (st->inside) {
				snprintf(line, sizeof(line),
					 "# eager start: ran inside task %u's step\n", st->inside);
				header(tree, line);
			}
			walk_step(rc, th, st->node, v, tree);
		}
	}
}

void render_tasks_json(struct render_ctx *rc, const struct calltree *ct, struct jsonw *w,
		       const struct filter_visit *v, void *js)
{
	size_t n = tasks__count(rc->tasks);
	char addr[32];

	/* false: an eager start may sit unseen in its creator's step */
	jsonw__key_bool(w, "tasks_eager_seen",
			!tasks__eager_blind(rc->tasks, rc->meta ? rc->meta->python : NULL));
	jsonw__key(w, "tasks");
	jsonw__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		const struct ft_task *t = tasks__at(rc->tasks, i);
		const struct ft_name *nm = names__get(rc->names, t->coro_name);

		jsonw__begin_object(w);
		jsonw__key_uint(w, "id", t->id);
		jsonw__key_uint(w, "pid", t->pid);
		jsonw__key_string(w, "name", tasks__name(t));
		jsonw__key_bool(w, "name_known", t->name[0] != 0);
		snprintf(addr, sizeof(addr), "0x%" PRIx64, t->coro);
		jsonw__key_string(w, "coro_addr", addr);
		if (t->addr) {
			snprintf(addr, sizeof(addr), "0x%" PRIx64, t->addr);
			jsonw__key_string(w, "task_addr", addr);
		}
		jsonw__key_string(w, "coro", nm->func);
		jsonw__key_string(w, "coro_file", nm->file);
		jsonw__key_uint(w, "coro_line", nm->line);
		jsonw__key_uint(w, "run_ns", t->run_ns);
		jsonw__key_uint(w, "suspended_ns", t->suspended_ns);
		jsonw__key(w, "steps");
		jsonw__begin_array(w);
		for (size_t s = 0; s < t->nsteps; s++) {
			const struct ft_task_step *st = &t->steps[s];
			const struct ft_thread *th = step_thread(ct, st);

			if (!th)
				continue;
			jsonw__begin_object(w);
			jsonw__key_uint(w, "tid", st->tid);
			jsonw__key_uint(w, "start_ns", st->node->start_ns);
			jsonw__key_uint(w, "dur_ns", st->node->dur_ns);
			jsonw__key_uint(w, "suspended_before_ns", st->gap_ns);
			if (st->inside)
				jsonw__key_uint(w, "inside_task", st->inside);
			jsonw__key(w, "calls");
			jsonw__begin_array(w);
			walk_step(rc, th, st->node, v, js);
			jsonw__end_array(w);
			jsonw__end_object(w);
		}
		jsonw__end_array(w);
		jsonw__end_object(w);
	}
	jsonw__end_array(w);
}

void render_tasks_chrome(struct render_ctx *rc, const struct calltree *ct, struct jsonw *w, int pid,
			 const struct filter_visit *v, void *ch)
{
	size_t n = tasks__count(rc->tasks);
	char label[64 + FT_TASK_NAME_MAX];

	for (size_t i = 0; i < n; i++) {
		const struct ft_task *t = tasks__at(rc->tasks, i);
		const struct ft_name *nm = names__get(rc->names, t->coro_name);
		int tpid = t->pid ? (int)t->pid : pid;
		uint32_t track = TASK_TRACK_BASE + t->id;
		const char *what[] = {"thread_name", "thread_sort_index"};

		snprintf(label, sizeof(label), "task %u %s (%.40s)", t->id, tasks__name(t),
			 nm->func);
		for (int k = 0; k < 2; k++) {
			jsonw__begin_object(w);
			jsonw__key_string(w, "name", what[k]);
			jsonw__key_string(w, "ph", "M");
			jsonw__key_int(w, "pid", tpid);
			jsonw__key_uint(w, "tid", track);
			jsonw__key(w, "args");
			jsonw__begin_object(w);
			if (k)
				jsonw__key_uint(w, "sort_index", track);
			else
				jsonw__key_string(w, "name", label);
			jsonw__end_object(w);
			jsonw__end_object(w);
		}
		for (size_t s = 0; s < t->nsteps; s++) {
			const struct ft_thread *th = step_thread(ct, &t->steps[s]);
			struct ft_thread as_task;

			if (!th)
				continue;
			/* the step's calls on the task's track: chrome's writer
			 * takes the track from the thread it is given */
			memset(&as_task, 0, sizeof(as_task));
			as_task.tid = track;
			as_task.pid = (uint32_t)tpid;
			as_task.first_root = as_task.last_root = (struct ft_node *)t->steps[s].node;
			walk_step(rc, &as_task, t->steps[s].node, v, ch);
		}
	}
}
