// SPDX-License-Identifier: MIT
/* The "jsonl" format: one line per call as it completes (children before
 * parents), the metadata as the last line. No tree is kept, so display
 * filters judge each call alone: by its own name, duration and depth. */
#include <errno.h>
#include <stdlib.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "output/jsonw.h"
#include "core/names.h"
#include "output/render.h"
#include "output/render_priv.h"

struct jsonl {
	struct jsonw *w;
	bool globs; /* include/exclude set: depth counts shown ancestors */
};

static int jsonl_begin(struct render_ctx *rc)
{
	struct jsonl *jl = calloc(1, sizeof(*jl));

	if (!jl)
		return -ENOMEM;
	jl->w = jsonw__new(rc->out);
	if (!jl->w) {
		free(jl);
		return -ENOMEM;
	}
	jl->globs = rc->filter && (rc->filter->ninclude || rc->filter->nexclude);
	rc->priv = jl;
	return 0;
}

/* False when the filters hide n; else *depth becomes its shown depth. The
 * ancestors of a completing call are still open, so they are alive to be
 * judged. */
static bool jsonl_shows(struct render_ctx *rc, const struct jsonl *jl, const struct ft_node *n,
			int *depth)
{
	struct filter *f = rc->filter;
	bool lost = n->flags & FT_NODE_LOST;

	if (!f)
		return true;
	/* a lost marker's place is judged, never its own (empty) duration;
	 * its ancestors' durations are not known yet, but a call that passes
	 * --min-duration has ancestors that pass it too */
	if (!lost && n->dur_ns < f->min_dur_ns)
		return false;
	if (jl->globs) {
		if (!lost && !filter__shows_name(f, rc->names, n->name))
			return false;
		/* the depth BPF counted, less the ancestors the globs hide: frames
		 * entered before attach keep their place below 0, consistently with
		 * the calls made inside them */
		for (const struct ft_node *p = n->parent; p; p = p->parent)
			if (!filter__shows_name(f, rc->names, p->name))
				(*depth)--;
	}
	return !(f->max_depth > 0 && *depth >= f->max_depth);
}

static void jsonl_call(struct render_ctx *rc, const struct ft_thread *t, const struct ft_node *n,
		       int depth)
{
	struct jsonl *jl = rc->priv;
	struct jsonw *w;
	const struct ft_name *nm;

	if (!jl || !jsonl_shows(rc, jl, n, &depth))
		return;
	w = jl->w;
	jsonw__begin_object(w);
	if (n->flags & FT_NODE_LOST) {
		jsonw__key_string(w, "type", "lost");
		jsonw__key_uint(w, "tid", t->tid);
		if (t->pid)
			jsonw__key_uint(w, "pid", t->pid);
		render_thread_ns(w, t);
		jsonw__key_int(w, "depth", depth);
		jsonw__key_uint(w, "start_ns", n->start_ns);
		jsonw__key_uint(w, "count", n->lost);
	} else {
		nm = names__get(rc->names, n->name);
		jsonw__key_string(w, "type", "call");
		jsonw__key_uint(w, "tid", t->tid);
		if (t->pid)
			jsonw__key_uint(w, "pid", t->pid);
		render_thread_ns(w, t);
		if (t->image)
			jsonw__key_uint(w, "image", t->image);
		jsonw__key_int(w, "depth", depth);
		jsonw__key_string(w, "func", nm->func);
		jsonw__key_string(w, "file", nm->file);
		jsonw__key_uint(w, "line", nm->line);
		jsonw__key_uint(w, "start_ns", n->start_ns);
		jsonw__key_uint(w, "dur_ns", n->dur_ns);
		jsonw__key_uint(w, "raw_dur_ns", n->raw_dur_ns);
		render_json_flags(w, n, nm);
	}
	jsonw__end_object(w);
	/* no flush: the event loop flushes once per batch of records */
	jsonw__newline(w);
}

static int jsonl_end(struct render_ctx *rc, const struct calltree *ct)
{
	struct jsonl *jl = rc->priv;
	int err;

	if (!jl)
		return -EINVAL; /* begin() failed and said so */
	jsonw__begin_object(jl->w);
	jsonw__key_string(jl->w, "type", "meta");
	if (rc->meta)
		render_meta_members(jl->w, rc->meta);
	jsonw__end_object(jl->w);
	jsonw__newline(jl->w);
	err = jsonw__error(jl->w);
	jsonw__free(jl->w);
	free(jl);
	rc->priv = NULL;
	return err;
}

const struct renderer render_jsonl = {
	.name = "jsonl",
	.help = "JSON Lines: one line per call as it completes, metadata last",
	.streaming = true,
	.begin = jsonl_begin,
	.call = jsonl_call,
	.end = jsonl_end,
};
