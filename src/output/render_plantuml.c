// SPDX-License-Identifier: MIT
/* The "plantuml" format: a PlantUML sequence diagram of the shown calls.
 * One participant per function ("func\n(file:line)", the file's base
 * name), declared in order of first appearance; a call is an arrow from
 * the caller, with an activation bar, and a dashed return arrow labelled
 * with the duration; outermost calls come in from the left edge ("[->").
 * Each thread starts with a "== thread TID (comm) ==" divider, lost
 * records show as a "...LOST N records..." gap.
 *
 * A sequence diagram of a whole trace is unreadable and too large to
 * render, so at most PUML_MAX_CALLS calls and PUML_MAX_DEPTH levels are
 * drawn (fewer levels under a smaller --max-depth); a gap per thread says
 * how many calls were left out. Use --include, --exclude and --max-depth to
 * choose which ones.
 *
 * Names reach PlantUML's preprocessor, where "%date()" is a call, and its
 * creole markup, where "__init__" would be underlined and "<img:...>" fetch
 * a file, so every punctuation character that means something there is
 * written as an HTML entity (&#95;), which PlantUML shows as the character.
 * Two cannot be: PlantUML 1.2020 crashes on &#92; and &#36;, so a backslash
 * is doubled and '$' stays as it is (it means something only once a
 * variable is defined, and this diagram defines none). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/names.h"
#include "output/render.h"
#include "output/render_priv.h"

#define PUML_MAX_DEPTH 8
#define PUML_MAX_CALLS 500

struct puml {
	FILE *out; /* NULL in the first pass, which only finds the participants */
	const struct names *names;
	int max_depth;
	/* participants in order of first appearance */
	const struct ft_name **parts;
	size_t nparts, cap;
	uint64_t drawn;	  /* calls drawn, all threads */
	uint64_t skipped; /* calls of this thread left out */
	bool divider;	  /* this thread's divider is out */
	/* per depth: whether the call open there was drawn, as which participant */
	bool drawn_at[PUML_MAX_DEPTH];
	size_t part_at[PUML_MAX_DEPTH];
	int err;
};

/* Characters creole or the sequence-diagram syntax gives a meaning. */
static const char *puml_esc(char c)
{
	static const char *const ent[128] = {
		['"'] = "&#34;",  ['#'] = "&#35;",  ['%'] = "&#37;",  ['&'] = "&#38;",
		['\''] = "&#39;", ['*'] = "&#42;",  ['-'] = "&#45;",  ['/'] = "&#47;",
		['<'] = "&#60;",  ['='] = "&#61;",  ['>'] = "&#62;",  ['['] = "&#91;",
		['\\'] = "\\\\",  [']'] = "&#93;",  ['^'] = "&#94;",  ['_'] = "&#95;",
		['`'] = "&#96;",  ['{'] = "&#123;", ['|'] = "&#124;", ['}'] = "&#125;",
		['~'] = "&#126;",
	};

	return (unsigned char)c < 128 ? ent[(unsigned char)c] : NULL;
}

static void put(struct puml *pu, const char *s)
{
	render_put_text(pu->out, s, strlen(s), puml_esc, "\\\\x");
}

static void put_func(struct puml *pu, const struct ft_name *nm)
{
	bool func_cut, file_cut;

	if (nm->flags & FT_NAME_UNKNOWN) {
		put(pu, "<unknown>");
		return;
	}
	render_cut_marks(nm, &func_cut, &file_cut);
	put(pu, nm->func);
	if (func_cut)
		fputs("...", pu->out);
}

static bool same_function(const struct ft_name *x, const struct ft_name *y)
{
	return x == y || (x->func == y->func && x->file == y->file && x->line == y->line &&
			  x->flags == y->flags);
}

/* The participant's index; the first pass adds it. At most PUML_MAX_CALLS
 * participants: a linear search is enough. */
static size_t participant(struct puml *pu, const struct ft_name *nm)
{
	for (size_t i = 0; i < pu->nparts; i++)
		if (same_function(pu->parts[i], nm))
			return i;
	if (pu->nparts == pu->cap) {
		size_t cap = pu->cap ? pu->cap * 2 : 32;
		const struct ft_name **p = realloc(pu->parts, cap * sizeof(*p));

		if (!p) {
			pu->err = -ENOMEM;
			return 0;
		}
		pu->parts = p;
		pu->cap = cap;
	}
	pu->parts[pu->nparts] = nm;
	return pu->nparts++;
}

static void put_participant(struct puml *pu, size_t i)
{
	const struct ft_name *nm = pu->parts[i];
	bool func_cut, file_cut;

	fputs("participant \"", pu->out);
	put_func(pu, nm);
	if (!(nm->flags & FT_NAME_UNKNOWN) && *nm->file) {
		render_cut_marks(nm, &func_cut, &file_cut);
		fputs("\\n(", pu->out);
		put(pu, render_basename(nm->file));
		fprintf(pu->out, "%s:%u)", file_cut ? "..." : "", nm->line);
	}
	fprintf(pu->out, "\" as p%zu\n", i + 1);
}

static void put_divider(struct puml *pu, const struct ft_thread *t)
{
	char comm[sizeof(t->comm) + 1];

	if (pu->divider || !pu->out)
		return;
	pu->divider = true;
	fprintf(pu->out, "== thread %u", t->tid);
	memcpy(comm, t->comm, sizeof(t->comm));
	comm[sizeof(t->comm)] = 0;
	if (*comm) {
		fputs(" (", pu->out);
		put(pu, comm);
		fputc(')', pu->out);
	}
	if (t->image)
		fprintf(pu->out, " after exec %u", t->image);
	fputs(" ==\n", pu->out);
}

static void puml_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	struct puml *pu = ctx;
	const struct ft_name *nm;
	size_t p;

	/* a call whose caller was not drawn, or past a limit, is left out */
	bool room = depth < pu->max_depth && (!depth || pu->drawn_at[depth - 1]) &&
		    pu->drawn < PUML_MAX_CALLS;

	if (n->flags & FT_NODE_LOST) {
		if (room && pu->out) {
			put_divider(pu, t);
			fprintf(pu->out, "...LOST %u records...\n", n->lost);
		}
		return;
	}
	if (!room) {
		pu->skipped++;
		return;
	}
	nm = names__get(pu->names, n->name);
	p = participant(pu, nm);
	pu->drawn++;
	pu->drawn_at[depth] = true;
	pu->part_at[depth] = p;
	if (!pu->out)
		return;
	put_divider(pu, t);
	/* from the caller, or from the left edge; "++" activates the callee */
	if (depth)
		fprintf(pu->out, "p%zu -> p%zu ++ : ", pu->part_at[depth - 1] + 1, p + 1);
	else
		fprintf(pu->out, "[-> p%zu ++ : ", p + 1);
	put_func(pu, nm);
	fputs("()", pu->out);
	if (n->flags & FT_NODE_BEFORE_ATTACH)
		fputs(" [entered before attach]", pu->out);
	if (n->flags & FT_NODE_START_LOST)
		fputs(" [entry lost]", pu->out);
	fputc('\n', pu->out);
}

static void puml_leave(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	struct puml *pu = ctx;
	const char *dur;
	char buf[16];

	if ((n->flags & FT_NODE_LOST) || depth >= pu->max_depth || !pu->drawn_at[depth])
		return;
	pu->drawn_at[depth] = false;
	if (!pu->out)
		return;
	for (dur = fmt_node_duration(buf, n); *dur == ' '; dur++)
		;
	/* "--" ends the activation of the arrow's source: the callee */
	if (depth)
		fprintf(pu->out, "p%zu --> p%zu -- : %s", pu->part_at[depth] + 1,
			pu->part_at[depth - 1] + 1, dur);
	else
		fprintf(pu->out, "[<-- p%zu -- : %s", pu->part_at[depth] + 1, dur);
	if (n->flags & FT_NODE_UNFINISHED)
		fputs(" [unfinished]", pu->out);
	if (n->flags & FT_NODE_EXEC)
		fputs(" [ended by exec]", pu->out);
	if (n->flags & FT_NODE_END_LOST)
		fputs(" [return lost]", pu->out);
	if (n->flags & FT_NODE_SPANS_LOSS)
		fputs(" [spans loss]", pu->out);
	fputc('\n', pu->out);
}

/* One pass over every thread: the first (out NULL) collects participants,
 * the second draws with the same decisions. */
static void puml_pass(struct puml *pu, struct render_ctx *rc, const struct calltree *ct)
{
	static const struct filter_visit visit = {.enter = puml_enter, .leave = puml_leave};
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;

	pu->drawn = 0;
	for (size_t i = 0; i < nthreads && !pu->err; i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);

		pu->skipped = 0;
		pu->divider = false;
		filter__walk(rc->filter, rc->names, t, &visit, pu);
		if (pu->skipped && pu->out) {
			put_divider(pu, t);
			fprintf(pu->out,
				"...%" PRIu64
				" more calls not shown (at most %d calls, %d levels)...\n",
				pu->skipped, PUML_MAX_CALLS, pu->max_depth);
		}
	}
}

static int plantuml_end(struct render_ctx *rc, const struct calltree *ct)
{
	struct puml pu = {.names = rc->names, .max_depth = PUML_MAX_DEPTH};
	int err;

	if (rc->filter && rc->filter->max_depth > 0 && rc->filter->max_depth < pu.max_depth)
		pu.max_depth = rc->filter->max_depth;
	puml_pass(&pu, rc, ct);
	if (pu.err) {
		free(pu.parts);
		return pu.err;
	}
	pu.out = rc->out;
	fputs("@startuml\n", pu.out);
	if (rc->meta && rc->meta->incomplete)
		fprintf(pu.out, "title INCOMPLETE trace: %s, %" PRIu64 " records not applied\n",
			rc->meta->incomplete, rc->meta->unapplied);
	/* a diagram needs one participant to be a sequence diagram at all */
	if (!pu.nparts)
		fputs("participant \"no calls traced or shown\" as p0\n", pu.out);
	for (size_t i = 0; i < pu.nparts; i++)
		put_participant(&pu, i);
	puml_pass(&pu, rc, ct);
	fputs("@enduml\n", pu.out);
	err = pu.err;
	free(pu.parts);
	if (!err && ferror(rc->out))
		err = -EIO;
	return err;
}

const struct renderer render_plantuml = {
	.name = "plantuml",
	.help = "PlantUML sequence diagram of the first 500 calls, 8 levels deep",
	.streaming = false,
	.end = plantuml_end,
};
