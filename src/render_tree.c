// SPDX-License-Identifier: MIT
/* The "tree" format: uftrace replay's layout, one block per thread. Names
 * come from the target's memory, so anything that could drive a terminal
 * (control characters, C1 controls, ill-formed UTF-8) is shown as \xNN. */
#include <errno.h>
#include <string.h>

#include "calltree.h"
#include "filter.h"
#include "names.h"
#include "render.h"
#include "utf8.h"

struct tree {
	FILE *out;
	const struct names *names;
	bool thread_header; /* this thread's header is out */
	bool shown;	    /* any node was printed */
};

static void put_hex(FILE *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char buf[4] = {'\\', 'x', hex[s[i] >> 4], hex[s[i] & 0xf]};

		fwrite(buf, 1, 4, out);
	}
}

static void put_text(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, bad;

		if (c >= 0x20 && c < 0x7f) {
			i++;
			continue;
		}
		fwrite(s + start, 1, i - start, out);
		if (c < 0x80) {
			put_hex(out, s + i, 1);
			i++;
		} else if ((n = utf8_seq(s + i, len - i, &bad))) {
			/* U+0080..U+009F are C1 controls: some terminals obey them */
			if (c == 0xc2 && s[i + 1] < 0xa0)
				put_hex(out, s + i, n);
			else
				fwrite(s + i, 1, n, out);
			i += n;
		} else {
			put_hex(out, s + i, bad);
			i += bad;
		}
		start = i;
	}
	fwrite(s + start, 1, i - start, out);
}

/* FT_NAME_CUT does not say which string was cut: BPF cuts at its buffer
 * sizes, so a string that long was cut; when neither is, the function. */
static void cut_marks(const struct ft_name *nm, bool *func_cut, bool *file_cut)
{
	*func_cut = *file_cut = false;
	if (!(nm->flags & FT_NAME_CUT))
		return;
	*file_cut = strlen(nm->file) >= FT_FILE_MAX - 1;
	*func_cut = strlen(nm->func) >= FT_FUNC_MAX - 1 || !*file_cut;
}

static void put_func(struct tree *tr, const struct ft_name *nm)
{
	bool func_cut, file_cut;

	if (nm->flags & FT_NAME_UNKNOWN) {
		fputs("<unknown>", tr->out);
		return;
	}
	cut_marks(nm, &func_cut, &file_cut);
	put_text(tr->out, nm->func, strlen(nm->func));
	if (func_cut)
		fputs("...", tr->out);
}

static void put_location(struct tree *tr, const struct ft_name *nm)
{
	bool func_cut, file_cut;

	if ((nm->flags & FT_NAME_UNKNOWN) || !*nm->file)
		return;
	cut_marks(nm, &func_cut, &file_cut);
	fputs("  # ", tr->out);
	put_text(tr->out, nm->file, strlen(nm->file));
	if (file_cut)
		fputs("...", tr->out);
	fprintf(tr->out, ":%u", nm->line);
}

static void put_flags(struct tree *tr, uint32_t flags)
{
	if (flags & FT_NODE_UNFINISHED)
		fputs(" [unfinished]", tr->out);
	if (flags & FT_NODE_BEFORE_ATTACH)
		fputs(" [entered before attach]", tr->out);
	if (flags & FT_NODE_START_LOST)
		fputs(" [entry lost]", tr->out);
	if (flags & FT_NODE_END_LOST)
		fputs(" [return lost]", tr->out);
}

/* " DURATION [    TID] | " and the indent; dur NULL leaves it blank */
static void line_start(struct tree *tr, const struct ft_thread *t, const struct ft_node *dur,
		       int depth)
{
	static const char spaces[] =
		"                                                                ";
	char buf[16];
	size_t indent = depth > 0 ? 2 * (size_t)depth : 0;

	if (!tr->thread_header) {
		fputs("#\n# thread ", tr->out);
		fprintf(tr->out, "%u", t->tid);
		if (*t->comm) {
			fputs(" (", tr->out);
			put_text(tr->out, t->comm, strnlen(t->comm, sizeof(t->comm)));
			fputc(')', tr->out);
		}
		fputc('\n', tr->out);
		tr->thread_header = true;
		tr->shown = true;
	}
	fprintf(tr->out, " %10s [%7u] | ", dur ? fmt_duration(buf, dur->dur_ns) : "", t->tid);
	while (indent) {
		size_t n = indent < sizeof(spaces) - 1 ? indent : sizeof(spaces) - 1;

		fwrite(spaces, 1, n, tr->out);
		indent -= n;
	}
}

static void tree_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	struct tree *tr = ctx;
	const struct ft_name *nm;

	if (n->flags & FT_NODE_LOST) {
		line_start(tr, t, NULL, depth);
		fprintf(tr->out, "/* LOST %u records!! */\n", n->lost);
		return;
	}
	nm = names__get(tr->names, n->name);
	line_start(tr, t, has_children ? NULL : n, depth);
	put_func(tr, nm);
	fputs(has_children ? "() {" : "();", tr->out);
	put_location(tr, nm);
	put_flags(tr, has_children ? n->flags & (FT_NODE_BEFORE_ATTACH | FT_NODE_START_LOST)
				   : n->flags);
	fputc('\n', tr->out);
}

static void tree_leave(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	struct tree *tr = ctx;

	if (!has_children)
		return;
	line_start(tr, t, n, depth);
	fputs("} /* ", tr->out);
	put_func(tr, names__get(tr->names, n->name));
	fputs(" */", tr->out);
	put_flags(tr, n->flags & (FT_NODE_UNFINISHED | FT_NODE_END_LOST));
	fputc('\n', tr->out);
}

static int tree_end(struct render_ctx *rc, const struct calltree *ct)
{
	static const struct filter_visit visit = {.enter = tree_enter, .leave = tree_leave};
	struct tree tr = {.out = rc->out, .names = rc->names};
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;
	bool any_calls = false;

	fputs("# DURATION     TID      FUNCTION\n", rc->out);
	for (size_t i = 0; i < nthreads; i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);

		if (!t->first_root)
			continue;
		any_calls = true;
		/* the thread header comes with its first line: a thread whose
		 * calls are all filtered out takes no room */
		tr.thread_header = false;
		filter__walk(rc->filter, rc->names, t, &visit, &tr);
	}
	if (!any_calls)
		fputs("# no calls traced\n", rc->out);
	else if (!tr.shown)
		fputs("# no calls match the filters\n", rc->out);
	return ferror(rc->out) ? -EIO : 0;
}

const struct renderer render_tree = {
	.name = "tree",
	.help = "indented call tree per thread, with durations (uftrace style)",
	.streaming = false,
	.end = tree_end,
};
