// SPDX-License-Identifier: MIT
/* The "chrome" format: Chrome's Trace Event JSON, which Perfetto UI
 * (ui.perfetto.dev) and chrome://tracing open. One complete ("X") event per
 * shown call, an instant ("i") event per lost-record marker, metadata ("M")
 * events naming the process and threads, and the trace's metadata under
 * "otherData", which chrome://tracing shows in its metadata dialog.
 *
 * Trace Event timestamps are microseconds; ours are nanoseconds from the
 * start of the trace. They are written as fixed-point numbers with three
 * decimals (1200 ns is 1.200), never through a double, so every nanosecond
 * survives and a child never pokes out of its parent by a rounding error.
 * Both viewers read 1.200 back as 1200 ns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "output/jsonw.h"
#include "core/names.h"
#include "core/tasks.h"
#include "core/procns.h"
#include "output/render.h"
#include "output/render_priv.h"

struct chrome {
	struct jsonw *w;
	const struct names *names;
	int pid;
	/* scratch for event names: "func (file:line)" */
	char *name;
	size_t name_cap;
	bool nomem; /* a name fell back to the bare function */
};

/* "func (file:line)", with "..." where BPF cut a string, as the tree
 * shows it; the JSON writer escapes whatever bytes it holds. NULL when no
 * memory is left. */
static const char *event_name(struct chrome *ch, const struct ft_name *nm)
{
	bool func_cut, file_cut;
	size_t need;

	if (nm->flags & FT_NAME_UNKNOWN)
		return "<unknown>";
	render_cut_marks(nm, &func_cut, &file_cut);
	/* func, "...", " (", file, "...", ":", 10 digits, ")", NUL */
	need = strlen(nm->func) + strlen(nm->file) + 32;
	if (need > ch->name_cap) {
		char *p = realloc(ch->name, need);

		if (!p) {
			ch->nomem = true;
			return NULL;
		}
		ch->name = p;
		ch->name_cap = need;
	}
	if (*nm->file)
		snprintf(ch->name, ch->name_cap, "%s%s (%s%s:%u)", nm->func, func_cut ? "..." : "",
			 nm->file, file_cut ? "..." : "", nm->line);
	else
		snprintf(ch->name, ch->name_cap, "%s%s", nm->func, func_cut ? "..." : "");
	return ch->name;
}

/* The members every event carries, after its name and phase; dur_ns NULL
 * for an instant event. */
static void event_where(struct chrome *ch, const struct ft_thread *t, uint64_t ts_ns,
			const uint64_t *dur_ns)
{
	jsonw__key_fixed(ch->w, "ts", ts_ns, 3);
	if (dur_ns)
		jsonw__key_fixed(ch->w, "dur", *dur_ns, 3);
	jsonw__key_int(ch->w, "pid", t->pid ? (int)t->pid : ch->pid);
	jsonw__key_uint(ch->w, "tid", t->tid);
}

static void chrome_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
			 bool has_children)
{
	struct chrome *ch = ctx;
	struct jsonw *w = ch->w;
	const struct ft_name *nm;
	const char *name;
	char lost[48];

	jsonw__begin_object(w);
	if (n->flags & FT_NODE_LOST) {
		snprintf(lost, sizeof(lost), "LOST %u records", n->lost);
		jsonw__key_string(w, "name", lost);
		jsonw__key_string(w, "cat", "flowtrace");
		jsonw__key_string(w, "ph", "i");
		jsonw__key_string(w, "s", "t"); /* scope: the thread's track */
		event_where(ch, t, n->start_ns, NULL);
		jsonw__key(w, "args");
		jsonw__begin_object(w);
		jsonw__key_uint(w, "count", n->lost);
		jsonw__end_object(w);
		jsonw__end_object(w);
		return;
	}
	nm = names__get(ch->names, n->name);
	name = event_name(ch, nm);
	jsonw__key_string(w, "name", name ? name : nm->func);
	jsonw__key_string(w, "cat", "python");
	jsonw__key_string(w, "ph", "X");
	event_where(ch, t, n->start_ns, &n->dur_ns);
	jsonw__key(w, "args");
	jsonw__begin_object(w);
	jsonw__key_string(w, "func", nm->func);
	jsonw__key_string(w, "file", nm->file);
	jsonw__key_uint(w, "line", nm->line);
	render_json_flags(w, n, nm);
	jsonw__end_object(w);
	jsonw__end_object(w);
}

/* {"name":what,"ph":"M","pid":P,"tid":T,"args":{key:value}} */
static void meta_event(struct jsonw *w, const char *what, int pid, uint32_t tid, const char *key,
		       const char *str, uint64_t num)
{
	jsonw__begin_object(w);
	jsonw__key_string(w, "name", what);
	jsonw__key_string(w, "ph", "M");
	jsonw__key_int(w, "pid", pid);
	jsonw__key_uint(w, "tid", tid);
	jsonw__key(w, "args");
	jsonw__begin_object(w);
	if (str)
		jsonw__key_string(w, key, str);
	else
		jsonw__key_uint(w, key, num);
	jsonw__end_object(w);
	jsonw__end_object(w);
}

static void thread_events(struct chrome *ch, const struct ft_thread *t, size_t index)
{
	char comm[sizeof(t->comm) + 1], name[64];

	memcpy(comm, t->comm, sizeof(t->comm));
	comm[sizeof(t->comm)] = 0;
	/* Perfetto shows the tid beside the name, chrome://tracing does not */
	int pid = t->pid ? (int)t->pid : ch->pid;

	/* --follow: a descendant's main thread names its process */
	if (pid != ch->pid && t->tid == t->pid) {
		if (t->ns_pid && t->ns_pid != t->pid)
			snprintf(name, sizeof(name), "python PID %d (ns %u)", pid, t->ns_pid);
		else
			snprintf(name, sizeof(name), "python PID %d", pid);
		meta_event(ch->w, "process_name", pid, (uint32_t)pid, "name", name, 0);
	}
	/* in a container, the id its own logs show beside the host's */
	if (t->ns_tid && t->ns_tid != t->tid)
		snprintf(name, sizeof(name), "%s (%u, ns %u)", *comm ? comm : "thread", t->tid,
			 t->ns_tid);
	else if (*comm)
		snprintf(name, sizeof(name), "%s (%u)", comm, t->tid);
	else
		snprintf(name, sizeof(name), "thread %u", t->tid);
	meta_event(ch->w, "thread_name", pid, t->tid, "name", name, 0);
	/* threads in order of their first record, the main thread first */
	meta_event(ch->w, "thread_sort_index", pid, t->tid, "sort_index", NULL, index);
}

static int chrome_end(struct render_ctx *rc, const struct calltree *ct)
{
	static const struct filter_visit visit = {.enter = chrome_enter};
	const struct render_meta *m = rc->meta;
	struct chrome ch = {.names = rc->names, .pid = m ? m->pid : 0};
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;
	char pname[64];
	int err;

	ch.w = jsonw__new(rc->out);
	if (!ch.w)
		return -ENOMEM;
	jsonw__begin_object(ch.w);
	jsonw__key(ch.w, "traceEvents");
	jsonw__begin_array(ch.w);
	if (m && m->command) {
		meta_event(ch.w, "process_name", ch.pid, (uint32_t)ch.pid, "name", m->command, 0);
	} else if (m && m->ns && m->ns->ns_pid && (int)m->ns->ns_pid != ch.pid) {
		snprintf(pname, sizeof(pname), "python PID %d (ns %u)", ch.pid, m->ns->ns_pid);
		meta_event(ch.w, "process_name", ch.pid, (uint32_t)ch.pid, "name", pname, 0);
	} else {
		snprintf(pname, sizeof(pname), "python PID %d", ch.pid);
		meta_event(ch.w, "process_name", ch.pid, (uint32_t)ch.pid, "name", pname, 0);
	}
	for (size_t i = 0; i < nthreads; i++)
		thread_events(&ch, calltree__thread_at(ct, i), i);
	/* the walk visits parents before children and siblings in call
	 * order: per thread, events come sorted by ts, callers first */
	for (size_t i = 0; i < nthreads; i++)
		filter__walk(rc->filter, rc->names, calltree__thread_at(ct, i), &visit, &ch);
	if (rc->tasks)
		render_tasks_chrome(rc, ct, ch.w, ch.pid, &visit, &ch);
	jsonw__end_array(ch.w);
	/* the unit the viewers display, not the unit of ts (always us) */
	jsonw__key_string(ch.w, "displayTimeUnit", "ns");
	if (m) {
		jsonw__key(ch.w, "otherData");
		jsonw__begin_object(ch.w);
		render_meta_members(ch.w, m);
		/* --by-task: as json's, false where an eager start may be unseen */
		if (rc->tasks)
			jsonw__key_bool(ch.w, "tasks_eager_seen",
					!tasks__eager_blind(rc->tasks, m->python));
		jsonw__end_object(ch.w);
	}
	jsonw__end_object(ch.w);
	jsonw__newline(ch.w);
	err = jsonw__error(ch.w);
	jsonw__free(ch.w);
	free(ch.name);
	if (!err && ch.nomem)
		err = -ENOMEM;
	return err;
}

const struct renderer render_chrome = {
	.name = "chrome",
	.help = "Chrome Trace Event JSON: open in ui.perfetto.dev or chrome://tracing",
	.streaming = false,
	.end = chrome_end,
};
