// SPDX-License-Identifier: MIT
/* The "tree" format: uftrace replay's layout, one block per thread. Names
 * come from the target's memory, so anything that could drive a terminal
 * (control characters, C1 controls, ill-formed UTF-8) is shown as \xNN.
 * With rc->fold, a run of consecutive sibling calls of one function that
 * are all leaves of the shown tree and carry no flag prints as one line,
 * "f(); ×N, total", its duration the sum of the run: a loop calling a
 * helper takes one line instead of thousands. Calls with children never
 * fold, so nothing below the fold is hidden.
 *
 * Deep trees: indentation stops at tr->limit levels (--indent-max, 64 by
 * default), so a line costs the same at depth 3000 as at depth 3. Where
 * the indentation no longer tells a line's depth, the line says it,
 * "[d=1234] ". And a run of at least that many nested calls of one
 * function, each the only shown call of the one before and all with the
 * same flags (plain recursion), prints as one line, "f() { ×K recursion,
 * d=A..B", closed by a line "} ... f ×K ..."; the innermost call of the run
 * and everything below it are shown in full, one level below that line.
 * Nothing prints while the walk goes down a run: it is held as its first
 * call, the last one entered and a count (O(1) memory however long), and
 * printed when a call or a return does not continue it, folded if long
 * enough, else call by call exactly as it would have been. Only folded
 * runs take a stack entry, and each spans at least tr->limit levels. A
 * tree shallower than the limit cannot fold anything, so it prints as it
 * always did. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/firstview.h"
#include "core/names.h"
#include "core/procns.h"
#include "core/tasks.h"
#include "output/render.h"
#include "output/render_priv.h"

/* A folded recursion run being shown: its calls' own lines are skipped */
struct chain {
	int depth;  /* the first call's shown depth */
	uint64_t k; /* calls folded: depth .. depth + k - 1 */
};

struct tree {
	FILE *out;
	const struct names *names;
	bool thread_header; /* this thread's header is out */
	bool shown;	    /* any node was printed */
	bool fold;
	bool window;	      /* --flight: "before attach" is before the window */
	bool follow;	      /* --follow: headers say each thread's process */
	const char *base_dir; /* shown relative to it; NULL: as reported */
	size_t base_len;
	/* fold: the run of identical leaf calls not printed yet */
	const struct ft_node *run; /* its first call; NULL: no run */
	const struct ft_thread *run_thread;
	int run_depth;
	uint64_t run_count, run_total_ns;
	int limit; /* levels of indentation at most; 0: no limit, no recursion folding */
	/* the recursion run being entered, not printed yet: its first call,
	 * the last one entered (whose children decide whether it goes on),
	 * how many were entered, and whether the last has shown children */
	struct {
		const struct ft_node *first, *last;
		const struct ft_thread *t;
		int depth;
		uint64_t count;
		bool last_has_children;
	} pend;
	/* folded runs enclosing the current line, innermost last */
	struct chain *chains;
	size_t nchains, chains_cap;
	int64_t hidden; /* levels the enclosing folded runs took away */
	/* " [    TID] | " of the thread being printed, formatted once */
	const struct ft_thread *tid_of;
	char tid_col[32];
	size_t tid_len;
	const struct tasks *tasks; /* --by-task: the task view; NULL: none */
};

/* "[d=" 20 digits "] " */
#define DEPTH_ROOM 32

/* v in decimal at dst (20 bytes at most, no NUL); returns the length.
 * Without printf: lines are printed by the hundred thousand. */
static size_t fmt_u64(char *dst, uint64_t v)
{
	char buf[20];
	size_t i = sizeof(buf);

	do
		buf[--i] = (char)('0' + v % 10);
	while (v /= 10);
	memcpy(dst, buf + i, sizeof(buf) - i);
	return sizeof(buf) - i;
}

static void put_u64(FILE *out, uint64_t v)
{
	char buf[20];

	fwrite(buf, 1, fmt_u64(buf, v), out);
}

static void put_func(struct tree *tr, const struct ft_name *nm)
{
	bool func_cut, file_cut;

	if (nm->flags & FT_NAME_UNKNOWN) {
		fputs("<unknown>", tr->out);
		return;
	}
	render_cut_marks(nm, &func_cut, &file_cut);
	render_put_text(tr->out, nm->func, strlen(nm->func), NULL, NULL);
	if (func_cut)
		fputs("...", tr->out);
}

static void put_location(struct tree *tr, const struct ft_name *nm)
{
	bool func_cut, file_cut;

	if ((nm->flags & FT_NAME_UNKNOWN) || !*nm->file)
		return;
	render_cut_marks(nm, &func_cut, &file_cut);
	fputs("  # ", tr->out);
	const char *file = nm->file;
	/* the working directory's files read better without it */
	if (tr->base_len && !strncmp(file, tr->base_dir, tr->base_len) &&
	    file[tr->base_len] == '/' && file[tr->base_len + 1])
		file += tr->base_len + 1;
	render_put_text(tr->out, file, strlen(file), NULL, NULL);
	if (file_cut)
		fputs("...", tr->out);
	fputc(':', tr->out);
	put_u64(tr->out, nm->line);
}

static void put_flags(struct tree *tr, uint32_t flags)
{
	if (flags & FT_NODE_UNFINISHED)
		fputs(" [unfinished]", tr->out);
	if (flags & FT_NODE_BEFORE_ATTACH)
		fputs(tr->window ? " [entered before the window]" : " [entered before attach]",
		      tr->out);
	if (flags & FT_NODE_START_LOST)
		fputs(" [entry lost]", tr->out);
	if (flags & FT_NODE_END_LOST)
		fputs(" [return lost]", tr->out);
	if (flags & FT_NODE_EXEC)
		fputs(" [ended by exec]", tr->out);
	if (flags & FT_NODE_SPANS_LOSS)
		fputs(" [spans loss]", tr->out);
	if (flags & FT_NODE_CONTEXT)
		fputs(" [context]", tr->out);
}

/* "# thread TID (comm)" before the thread's first line */
static void put_thread_header(struct tree *tr, const struct ft_thread *t)
{
	/* in a container, the ids its own logs show: "(python3, ns 7)" */
	bool ns_tid = t->ns_tid && t->ns_tid != t->tid;
	bool ns_pid = t->ns_pid && t->pid && t->ns_pid != t->pid;

	if (tr->thread_header)
		return;
	fputs("#\n# thread ", tr->out);
	fprintf(tr->out, "%u", t->tid);
	if (*t->comm || ns_tid) {
		fputs(" (", tr->out);
		render_put_text(tr->out, t->comm, strnlen(t->comm, sizeof(t->comm)), NULL, NULL);
		if (ns_tid)
			fprintf(tr->out, "%sns %u", *t->comm ? ", " : "", t->ns_tid);
		fputc(')', tr->out);
	}
	if (t->image)
		fprintf(tr->out, " after exec %u", t->image);
	/* --follow: which process, the target or a descendant; in a
	 * container, with its id there */
	if ((tr->follow || ns_pid) && t->pid) {
		fprintf(tr->out, " in PID %u", t->pid);
		if (ns_pid)
			fprintf(tr->out, " (ns %u)", t->ns_pid);
	}
	fputc('\n', tr->out);
	tr->thread_header = true;
	tr->shown = true;
}

/* " DURATION [    TID] | " and the indent; dur (fmt_duration() or
 * fmt_node_duration()) NULL leaves it blank */
static void line_start(struct tree *tr, const struct ft_thread *t, const char *dur, int depth)
{
	/* the start of the line goes out in one write, the default deepest
	 * indent (2 * RENDER_INDENT_MAX_DEFAULT) included: lines come by the
	 * hundred thousand, and each stdio call takes the stream's lock */
	char head[1 + 16 + sizeof(tr->tid_col) + 2 * RENDER_INDENT_MAX_DEFAULT + DEPTH_ROOM];
	size_t len = 0;
	int64_t level = depth - tr->hidden;
	/* the depth is said where the indentation does not tell it */
	bool say_depth = level != depth || (tr->limit && level >= tr->limit);
	size_t indent;

	if (tr->limit && level > tr->limit)
		level = tr->limit;
	indent = level > 0 ? 2 * (size_t)level : 0;

	put_thread_header(tr, t);
	if (tr->tid_of != t) {
		int n = snprintf(tr->tid_col, sizeof(tr->tid_col), " [%7u] | ", t->tid);

		tr->tid_len = n > 0 ? (size_t)n : 0;
		tr->tid_of = t;
	}
	/* fmt_duration() is at least 10 wide: the column " %10s" */
	if (!dur)
		dur = "          ";
	head[len++] = ' ';
	len += strlen(strcpy(head + len, dur));
	memcpy(head + len, tr->tid_col, tr->tid_len);
	len += tr->tid_len;
	/* room is left for the depth; a deeper indent than the buffer holds
	 * (a large --indent-max, or none) goes out in parts */
	while (indent) {
		size_t room = sizeof(head) - DEPTH_ROOM - len;
		size_t n = indent < room ? indent : room;

		memset(head + len, ' ', n);
		len += n;
		indent -= n;
		if (indent) {
			fwrite(head, 1, len, tr->out);
			len = 0;
		}
	}
	if (say_depth) {
		/* shown depths are never negative: the walk counts from 0 */
		memcpy(head + len, "[d=", 3);
		len += 3;
		len += fmt_u64(head + len, depth > 0 ? (uint64_t)depth : 0);
		memcpy(head + len, "] ", 2);
		len += 2;
	}
	fwrite(head, 1, len, tr->out);
}

/* Same function: the same id, or ids bound to the same (func, file, line),
 * which are interned and so compare by address. */
static bool same_function(const struct names *names, uint32_t a, uint32_t b)
{
	const struct ft_name *x, *y;

	if (a == b)
		return true;
	x = names__get(names, a);
	y = names__get(names, b);
	return !(x->flags & FT_NAME_UNKNOWN) && !(y->flags & FT_NAME_UNKNOWN) &&
	       x->func == y->func && x->file == y->file && x->line == y->line &&
	       x->flags == y->flags;
}

/* Prints the pending run, if any. Nothing else is printed while a run is
 * pending, so every enter or leave that does not extend it flushes it. */
static void flush_run(struct tree *tr)
{
	const struct ft_name *nm;
	char buf[16];

	if (!tr->run)
		return;
	nm = names__get(tr->names, tr->run->name);
	line_start(tr, tr->run_thread, fmt_duration(buf, tr->run_total_ns), tr->run_depth);
	put_func(tr, nm);
	fputs("();", tr->out);
	if (tr->run_count > 1)
		fprintf(tr->out, " ×%" PRIu64 ", total", tr->run_count);
	put_location(tr, nm);
	fputc('\n', tr->out);
	tr->run = NULL;
}

/* A call as the tree shows it: a line of its own, or the start or the
 * continuation of a --fold run. */
static void show_enter(struct tree *tr, const struct ft_thread *t, const struct ft_node *n,
		       int depth, bool has_children)
{
	char buf[16];
	const struct ft_name *nm;
	/* flags mark a call as unlike its siblings: it stays on its own line */
	bool foldable = tr->fold && !has_children && !n->flags;

	if (tr->run) {
		if (foldable && depth == tr->run_depth &&
		    same_function(tr->names, tr->run->name, n->name)) {
			tr->run_count++;
			tr->run_total_ns += n->dur_ns;
			return;
		}
		flush_run(tr);
	}
	if (foldable) {
		tr->run = n;
		tr->run_thread = t;
		tr->run_depth = depth;
		tr->run_count = 1;
		tr->run_total_ns = n->dur_ns;
		return;
	}
	if (n->flags & FT_NODE_LOST) {
		line_start(tr, t, NULL, depth);
		fprintf(tr->out, "/* LOST %u records!! */\n", n->lost);
		return;
	}
	nm = names__get(tr->names, n->name);
	line_start(tr, t, has_children ? NULL : fmt_node_duration(buf, n), depth);
	put_func(tr, nm);
	fputs(has_children ? "() {" : "();", tr->out);
	put_location(tr, nm);
	put_flags(tr, has_children ? n->flags & (FT_NODE_BEFORE_ATTACH | FT_NODE_START_LOST |
						 FT_NODE_CONTEXT)
				   : n->flags);
	fputc('\n', tr->out);
}

/* Whether c goes on the recursion run whose last entered call is p: c is
 * p's only call (then, as c is shown, p's only shown child) and a call of
 * the run's function with the run's flags. The walk only visits shown
 * calls, so a call the filters hide ends the run where it is. */
static bool run_goes_on(const struct tree *tr, const struct ft_node *first, const struct ft_node *p,
			const struct ft_node *c)
{
	return c && p->first_child == c && p->last_child == c && !(c->flags & FT_NODE_LOST) &&
	       c->flags == first->flags && same_function(tr->names, first->name, c->name);
}

/* The pending run has ended: prints it folded when it is long enough, else
 * call by call as if it had never been held back. Its last call is the
 * innermost one, shown in full either way. */
static void end_pending(struct tree *tr)
{
	const struct ft_node *first = tr->pend.first, *n;
	const struct ft_thread *t = tr->pend.t;
	int depth = tr->pend.depth;
	uint64_t k = tr->pend.count - 1; /* the calls above the innermost */
	uint64_t min_run = tr->limit > 2 ? (uint64_t)tr->limit : 2;

	tr->pend.first = NULL;
	if (k >= min_run && tr->nchains == tr->chains_cap) {
		size_t cap = tr->chains_cap ? 2 * tr->chains_cap : 8;
		struct chain *c = realloc(tr->chains, cap * sizeof(*c));

		/* without memory the run is shown in full: longer, still true */
		if (c) {
			tr->chains = c;
			tr->chains_cap = cap;
		}
	}
	if (k < min_run || tr->nchains == tr->chains_cap) {
		n = first;
		for (uint64_t i = 0; i < k; i++, n = n->first_child)
			show_enter(tr, t, n, depth + (int)i, true);
		show_enter(tr, t, n, depth + (int)k, tr->pend.last_has_children);
		return;
	}

	const struct ft_name *nm = names__get(tr->names, first->name);

	line_start(tr, t, NULL, depth);
	put_func(tr, nm);
	fprintf(tr->out, "() { ×%" PRIu64 " recursion, d=%d..%" PRId64, k, depth,
		(int64_t)depth + (int64_t)k - 1);
	put_location(tr, nm);
	put_flags(tr, first->flags & (FT_NODE_BEFORE_ATTACH | FT_NODE_START_LOST));
	fputc('\n', tr->out);
	tr->chains[tr->nchains++] = (struct chain){.depth = depth, .k = k};
	/* the innermost call goes one level below the run's line */
	tr->hidden += (int64_t)k - 1;
	show_enter(tr, t, tr->pend.last, depth + (int)k, tr->pend.last_has_children);
}

static void tree_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	struct tree *tr = ctx;

	if (tr->pend.first) {
		if (run_goes_on(tr, tr->pend.first, tr->pend.last, n)) {
			tr->pend.last = n;
			tr->pend.count++;
			tr->pend.last_has_children = has_children;
			return;
		}
		end_pending(tr);
	}
	if (tr->limit && has_children && run_goes_on(tr, n, n, n->first_child)) {
		/* nothing else is printed while a run is pending */
		flush_run(tr);
		tr->pend.first = tr->pend.last = n;
		tr->pend.t = t;
		tr->pend.depth = depth;
		tr->pend.count = 1;
		tr->pend.last_has_children = true;
		return;
	}
	show_enter(tr, t, n, depth, has_children);
}

static void tree_leave(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	char buf[16];
	struct tree *tr = ctx;
	const struct chain *c;
	bool folded = false;

	/* a leave ends a pending run: this is its innermost call leaving */
	if (tr->pend.first)
		end_pending(tr);
	if (!has_children)
		return;
	c = tr->nchains ? &tr->chains[tr->nchains - 1] : NULL;
	flush_run(tr);
	if (c && depth > c->depth && (uint64_t)(depth - c->depth) < c->k)
		return; /* a call folded into the run's line */
	if (c && depth == c->depth) {
		tr->nchains--;
		tr->hidden -= (int64_t)c->k - 1;
		folded = true;
	}
	line_start(tr, t, fmt_node_duration(buf, n), depth);
	fputs("} /* ", tr->out);
	put_func(tr, names__get(tr->names, n->name));
	if (folded)
		fprintf(tr->out, " ×%" PRIu64, c->k);
	fputs(" */", tr->out);
	put_flags(tr, n->flags & (FT_NODE_UNFINISHED | FT_NODE_END_LOST | FT_NODE_EXEC |
				  FT_NODE_SPANS_LOSS));
	fputc('\n', tr->out);
}

/* A target in a container: one line says which, in the ids and names its
 * own tools show: "# PID 5678 (ns 1) in its own pid, mnt namespaces [cgroup
 * /system.slice/x.service]". */
static void put_container(FILE *out, const struct render_meta *m)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} kinds[] = {{PROCNS_PID, "pid"}, {PROCNS_MNT, "mnt"}, {PROCNS_USER, "user"}};
	const struct procns *ns = m->ns;
	const char *sep = "";

	fprintf(out, "# PID %d", m->pid);
	if (ns->ns_pid && (int)ns->ns_pid != m->pid)
		fprintf(out, " (ns %u)", ns->ns_pid);
	fputs(" in its own ", out);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (ns->foreign & kinds[i].bit) {
			fprintf(out, "%s%s", sep, kinds[i].name);
			sep = ", ";
		}
	fputs(" namespace", out);
	if (ns->foreign & (ns->foreign - 1))
		fputc('s', out);
	if (*ns->cgroup) {
		fputs(" [cgroup ", out);
		render_put_text(out, ns->cgroup, strlen(ns->cgroup), NULL, NULL);
		fputc(']', out);
	}
	fputc('\n', out);
}

/* One folded phase of the first view: "# start-up site: 412 calls, 3.100
 * ms", comment lines, so what reads the tree's calls reads them as before */
static void put_phase(struct tree *tr, enum firstview_phase p, const struct firstview_sum *s)
{
	char buf[16];
	const char *d = fmt_duration_text(buf, s->ns);

	fprintf(tr->out, "# %s%s: %" PRIu64 " call%s, %s",
		p == FIRSTVIEW_SHUTDOWN ? "" : "start-up ", firstview_phase_name(p), s->calls,
		s->calls == 1 ? "" : "s", d);
	if (s->lost)
		fprintf(tr->out, ", %" PRIu64 " records lost", s->lost);
	fputs(" (folded: --startup shows them)\n", tr->out);
}

/* A launched program's main thread: its start-up phases folded, its
 * program's <module> as the one root, its shutdown folded */
static void walk_first_view(struct tree *tr, struct render_ctx *rc, const struct ft_thread *t,
			    const struct firstview *fv, const struct filter_visit *visit)
{
	put_thread_header(tr, t);
	for (int i = 0; i < fv->norder; i++)
		put_phase(tr, fv->order[i], &fv->sum[fv->order[i]]);
	filter__walk_node(rc->filter, rc->names, t, fv->entry, visit, tr);
	if (tr->pend.first)
		end_pending(tr);
	flush_run(tr);
	if (fv->sum[FIRSTVIEW_SHUTDOWN].calls || fv->sum[FIRSTVIEW_SHUTDOWN].lost)
		put_phase(tr, FIRSTVIEW_SHUTDOWN, &fv->sum[FIRSTVIEW_SHUTDOWN]);
}

/* A tree that is not whole says so where a reader looks: its first and
 * last lines. */
static void put_incomplete(struct render_ctx *rc)
{
	const struct render_meta *m = rc->meta;

	if (m && m->incomplete)
		fprintf(rc->out, "# INCOMPLETE: %s, %" PRIu64 " records not applied\n",
			m->incomplete, m->unapplied);
}

/* --by-task: where an eager task's first step ran inside this step (cut
 * out: it is shown under its own task), one line with its duration, so
 * that the step's time reads whole */
static void tree_cut(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	char buf[16];
	struct tree *tr = ctx;
	const struct ft_task *k = tasks__eager_of(tr->tasks, n);

	if (tr->pend.first)
		end_pending(tr);
	flush_run(tr);
	line_start(tr, t, fmt_node_duration(buf, n), depth);
	if (k) {
		fprintf(tr->out, "[eager start of task %u \"", k->id);
		render_put_text(tr->out, tasks__name(k), strlen(tasks__name(k)), NULL, NULL);
		fputs("\": shown under that task]\n", tr->out);
	} else {
		fputs("[eager start of another task: shown under that task]\n", tr->out);
	}
}

/* --by-task: a line of the task view between steps; the lines after it
 * carry no thread header (the task's says where they ran) */
static void task_header(void *ctx, const char *text)
{
	struct tree *tr = ctx;

	if (tr->pend.first)
		end_pending(tr);
	flush_run(tr);
	tr->nchains = 0;
	tr->hidden = 0;
	tr->thread_header = true;
	fputs(text, tr->out);
}

static int tree_end(struct render_ctx *rc, const struct calltree *ct)
{
	static const struct filter_visit visit = {
		.enter = tree_enter, .leave = tree_leave, .cut = tree_cut};
	struct tree tr = {.out = rc->out,
			  .names = rc->names,
			  .fold = rc->fold,
			  .follow = rc->meta && rc->meta->follow,
			  .tasks = rc->tasks};

	if (rc->indent_max >= 0)
		tr.limit = rc->indent_max ? rc->indent_max : RENDER_INDENT_MAX_DEFAULT;

	if (rc->base_dir && strcmp(rc->base_dir, "/")) {
		tr.base_dir = rc->base_dir;
		tr.base_len = strlen(rc->base_dir);
	}
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;
	bool any_calls = false;
	struct firstview fv;

	put_incomplete(rc);
	if (rc->meta && rc->meta->window) {
		const struct render_window *w = rc->meta->window;

		tr.window = true;
		fprintf(rc->out, "# flight window: %.3f s to %.3f s of the trace%s\n",
			w->start_ns / 1e9, w->end_ns / 1e9,
			w->shortened ? " (shortened: --flight-size was full)" : "");
	}
	if (rc->meta && rc->meta->ns && rc->meta->ns->foreign)
		put_container(rc->out, rc->meta);
	fputs("# DURATION     TID      FUNCTION\n", rc->out);
	for (size_t i = 0; i < nthreads; i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);

		if (!t->first_root)
			continue;
		any_calls = true;
		/* the thread header comes with its first line: a thread whose
		 * calls are all filtered out takes no room */
		tr.thread_header = false;
		if (!rc->startup && rc->meta &&
		    firstview_applies(t, (uint32_t)rc->meta->pid, rc->meta->command != NULL) &&
		    firstview_find(rc->names, t, &fv))
			walk_first_view(&tr, rc, t, &fv, &visit);
		else
			filter__walk(rc->filter, rc->names, t, &visit, &tr);
		/* the walk closes every call it opens, so a run never outlives
		 * its thread; start the next one clean all the same */
		if (tr.pend.first)
			end_pending(&tr);
		flush_run(&tr);
		tr.nchains = 0;
		tr.hidden = 0;
	}
	if (rc->tasks)
		render_tasks_tree(rc, ct, &visit, &tr, task_header);
	free(tr.chains);
	if (!any_calls)
		fputs("# no calls traced\n", rc->out);
	else if (!tr.shown)
		fputs("# no calls match the filters\n", rc->out);
	put_incomplete(rc);
	return ferror(rc->out) ? -EIO : 0;
}

const struct renderer render_tree = {
	.name = "tree",
	.help = "indented call tree per thread, with durations (uftrace style)",
	.streaming = false,
	.end = tree_end,
};
