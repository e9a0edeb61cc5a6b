// SPDX-License-Identifier: MIT
/* The "folded" format: collapsed stacks, the input of flamegraph.pl,
 * inferno and speedscope. One line per distinct stack,
 *
 *   thread 4242 (python3);main (/app.py:10);fib (/app.py:3) 1612
 *
 * frames separated by ';', the weight after the last space. The first
 * frame names the thread, so each thread is its own tower (drop it with
 * sed 's/^[^;]*;//' to merge threads). Frames are "func (file:line)"; ';'
 * in a name becomes ':' and control characters or ill-formed UTF-8 become
 * \xNN, since neither may appear inside a frame.
 *
 * The weight is the stack's exact self time in nanoseconds, summed over
 * every call with that stack: the weights of a thread add up to the
 * durations of its outermost shown calls. Self time is a call's duration
 * minus its shown children's: time in a frame hidden by --include or
 * --exclude goes to its nearest shown caller, and subtrees cut off by
 * --max-depth or --min-duration stay in their caller's self time, so no
 * time is lost. Stacks with no self time are left out, unless a call there
 * had no shown callee: a call whose corrected duration is 0 (the tracer's
 * own cost taken out) still shows, with weight 0, as the function ran.
 * Lost-record markers are left out (they have no duration). Lines are sorted by stack, frame by frame,
 * so the output is deterministic. */
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

#define NO_PARENT UINT32_MAX

/* One distinct stack: a frame below its parent stack. */
struct stack {
	uint32_t parent; /* index of the parent stack, NO_PARENT for a thread */
	uint32_t line;
	const char *func; /* interned: with file, line and flags, the frame's key */
	const char *file; /* NULL for a thread's frame */
	uint32_t flags;
	size_t text; /* offset of the frame's text in folded.texts */
	uint64_t self_ns;
	bool leaf; /* a call here had no shown callee: shown even at weight 0 */
};

/* The call being walked at one shown depth. */
struct open_call {
	uint32_t stack;
	uint64_t self_ns; /* its duration less its shown children's so far */
};

struct folded {
	const struct names *names;
	struct stack *stacks;
	size_t nstacks, cap;
	struct hashmap index; /* stacks by key: an index in stacks, to itself */
	FILE *texts;	      /* every frame's text, NUL-terminated, back to back */
	char *texts_buf;
	size_t texts_len;
	struct open_call *open;
	size_t capopen;
	uint32_t thread; /* the current thread's stack */
	int err;
};

/* A stack's key: its parent and its frame's name contents (strings are
 * interned: compared by address). The keys are indexes in stacks. */
static uint64_t stack_hash(uint64_t key, void *ctx)
{
	const struct stack *s = &((const struct folded *)ctx)->stacks[key];
	uint64_t h = hashmap_mix(0, s->parent);

	h = hashmap_mix(h, (uintptr_t)s->func);
	h = hashmap_mix(h, (uintptr_t)s->file);
	return hashmap_mix(h, (uint64_t)s->line << 32 | s->flags);
}

static bool same_stack(uint64_t a, uint64_t b, void *ctx)
{
	const struct stack *x = &((const struct folded *)ctx)->stacks[a];
	const struct stack *y = &((const struct folded *)ctx)->stacks[b];

	return x->parent == y->parent && x->func == y->func && x->file == y->file &&
	       x->line == y->line && x->flags == y->flags;
}

/* ';' separates frames */
static const char *frame_esc(char c)
{
	return c == ';' ? ":" : NULL;
}

/* The frame's text: "func (file:line)" or, for a thread, "thread TID
 * (comm)". */
static void put_frame_text(struct folded *fo, const struct ft_name *nm, const struct ft_thread *t)
{
	bool func_cut, file_cut;

	if (t) {
		fprintf(fo->texts, "thread %u", t->tid);
		if (*t->comm) {
			fputs(" (", fo->texts);
			render_put_text(fo->texts, t->comm, strnlen(t->comm, sizeof(t->comm)),
					frame_esc, NULL);
			fputc(')', fo->texts);
		}
		if (t->image)
			fprintf(fo->texts, " after exec %u", t->image);
	} else if (nm->flags & FT_NAME_UNKNOWN) {
		fputs("<unknown>", fo->texts);
	} else {
		render_cut_marks(nm, &func_cut, &file_cut);
		render_put_text(fo->texts, nm->func, strlen(nm->func), frame_esc, NULL);
		if (func_cut)
			fputs("...", fo->texts);
		if (*nm->file) {
			fputs(" (", fo->texts);
			render_put_text(fo->texts, nm->file, strlen(nm->file), frame_esc, NULL);
			fprintf(fo->texts, "%s:%u)", file_cut ? "..." : "", nm->line);
		}
	}
	fputc('\0', fo->texts);
}

/* Returns the index of the stack parent;frame, added if new, or
 * UINT32_MAX with fo->err set. nm NULL: t's thread frame. */
static uint32_t stack_get(struct folded *fo, uint32_t parent, const struct ft_name *nm,
			  const struct ft_thread *t)
{
	const char *func = nm ? nm->func : NULL;
	const char *file = nm ? nm->file : NULL;
	/* a thread's key is its tid; comm only names it */
	uint32_t line = nm ? nm->line : t->tid;
	uint32_t flags = nm ? nm->flags : 0;
	struct stack *s;
	uint64_t old;
	int err;

	/* indexes are 32 bits, UINT32_MAX says "none" */
	if (fo->nstacks >= UINT32_MAX - 1 ||
	    (fo->nstacks == fo->cap &&
	     grow_array((void **)&fo->stacks, &fo->cap, fo->nstacks + 1, sizeof(*fo->stacks))))
		goto nomem;
	/* the candidate, in the next free element: kept only if new */
	s = &fo->stacks[fo->nstacks];
	*s = (struct stack){
		.parent = parent, .func = func, .file = file, .line = line, .flags = flags};
	err = hashmap__add(&fo->index, fo->nstacks, fo->nstacks, &old);
	if (err == -EEXIST)
		return (uint32_t)old;
	if (err)
		goto nomem;
	s->text = (size_t)ftello(fo->texts);
	put_frame_text(fo, nm, nm ? NULL : t);
	return (uint32_t)fo->nstacks++;
nomem:
	fo->err = -ENOMEM;
	return UINT32_MAX;
}

static void folded_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
			 bool has_children)
{
	struct folded *fo = ctx;
	struct open_call *up = depth ? &fo->open[depth - 1] : NULL;
	uint32_t s;

	if ((n->flags & FT_NODE_LOST) || fo->err)
		return;
	if ((size_t)depth >= fo->capopen) {
		if (grow_array((void **)&fo->open, &fo->capopen, (size_t)depth + 1,
			       sizeof(*fo->open))) {
			fo->err = -ENOMEM;
			return;
		}
		up = depth ? &fo->open[depth - 1] : NULL;
	}
	s = stack_get(fo, up ? up->stack : fo->thread, names__get(fo->names, n->name), NULL);
	if (s == UINT32_MAX)
		return;
	fo->open[depth] = (struct open_call){.stack = s, .self_ns = n->dur_ns};
	/* children lie within their caller; a clock oddity must not wrap */
	if (up)
		up->self_ns -= n->dur_ns < up->self_ns ? n->dur_ns : up->self_ns;
}

static void folded_leave(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
			 bool has_children)
{
	struct folded *fo = ctx;
	const struct open_call *oc = &fo->open[depth];

	if ((n->flags & FT_NODE_LOST) || fo->err)
		return;
	fo->stacks[oc->stack].self_ns += oc->self_ns;
	if (!has_children)
		fo->stacks[oc->stack].leaf = true;
}

/* qsort_r: siblings together (by parent), each family by frame text */
static int by_parent_text(const void *a, const void *b, void *ctx)
{
	const struct folded *fo = ctx;
	const struct stack *x = &fo->stacks[*(const uint32_t *)a];
	const struct stack *y = &fo->stacks[*(const uint32_t *)b];

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return strcmp(fo->texts_buf + x->text, fo->texts_buf + y->text);
}

/* Writes the stacks depth first, siblings in text order, each line its
 * whole path. Iterative: Python recursion makes stacks thousands deep. */
static int write_lines(struct folded *fo, FILE *out)
{
	size_t n = fo->nstacks, sp = 0, len = 0, pcap = 256;
	uint32_t *order = malloc((n + 1) * sizeof(*order));
	size_t *first = calloc(n + 2, sizeof(*first)); /* children of i: first[i]..first[i+1] */
	struct {
		size_t next, end, len; /* child cursor; path length before this frame */
	} *st = malloc((n + 1) * sizeof(*st));
	char *path = malloc(pcap);
	int err = 0;

	if (!order || !first || !st || !path) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_parent_text, fo);
	/* a parent's index is below its children's, NO_PARENT above all:
	 * count per parent (threads in slot n), then prefix sums */
	for (size_t i = 0; i < n; i++) {
		uint32_t p = fo->stacks[i].parent;

		first[(p == NO_PARENT ? n : p) + 1]++;
	}
	/* families sorted by parent index: threads' family (slot n) last */
	for (size_t i = 0; i < n + 1; i++)
		first[i + 1] += first[i];

	st[sp].next = first[n];
	st[sp].end = first[n + 1];
	st[sp].len = 0;
	sp++;
	while (sp) {
		if (st[sp - 1].next == st[sp - 1].end) {
			sp--;
			len = st[sp].len;
			continue;
		}
		uint32_t i = order[st[sp - 1].next++];
		const struct stack *s = &fo->stacks[i];
		const char *text = fo->texts_buf + s->text;
		size_t tl = strlen(text), before = len;

		if (grow_array((void **)&path, &pcap, len + tl + 2, 1)) {
			err = -ENOMEM;
			goto out;
		}
		if (len)
			path[len++] = ';';
		memcpy(path + len, text, tl);
		len += tl;
		if (s->self_ns || s->leaf) {
			fwrite(path, 1, len, out);
			fprintf(out, " %" PRIu64 "\n", s->self_ns);
		}
		st[sp].next = first[i];
		st[sp].end = first[i + 1];
		st[sp].len = before;
		sp++;
	}
out:
	free(order);
	free(first);
	free(st);
	free(path);
	return err;
}

static int folded_end(struct render_ctx *rc, const struct calltree *ct)
{
	static const struct filter_visit visit = {.enter = folded_enter, .leave = folded_leave};
	struct folded fo = {.names = rc->names};
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;
	int err;

	fo.texts = open_memstream(&fo.texts_buf, &fo.texts_len);
	if (!fo.texts)
		return -ENOMEM;
	hashmap__init(&fo.index, stack_hash, same_stack, &fo);
	for (size_t i = 0; i < nthreads && !fo.err; i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);

		if (!t->first_root)
			continue;
		fo.thread = stack_get(&fo, NO_PARENT, NULL, t);
		if (fo.thread != UINT32_MAX)
			filter__walk(rc->filter, rc->names, t, &visit, &fo);
	}
	if (fclose(fo.texts))
		fo.err = -ENOMEM;
	err = fo.err;
	if (!err)
		err = write_lines(&fo, rc->out);
	free(fo.texts_buf);
	free(fo.stacks);
	hashmap__fini(&fo.index);
	free(fo.open);
	if (!err && ferror(rc->out))
		err = -EIO;
	return err;
}

const struct renderer render_folded = {
	.name = "folded",
	.help = "collapsed stacks weighted by self time in ns: flamegraph.pl, inferno, speedscope",
	.streaming = false,
	.end = folded_end,
};
