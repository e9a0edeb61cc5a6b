// SPDX-License-Identifier: MIT
/* The "json" format: one document holding the metadata and every thread's
 * call tree, as the display filters show it. */
#include <errno.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "output/jsonw.h"
#include "core/names.h"
#include "output/render.h"
#include "output/render_priv.h"

struct json {
	struct jsonw *w;
	const struct names *names;
};

static void json_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	struct json *js = ctx;
	struct jsonw *w = js->w;
	const struct ft_name *nm;

	jsonw__begin_object(w);
	if (n->flags & FT_NODE_LOST) {
		jsonw__key_uint(w, "lost", n->lost);
		jsonw__key_uint(w, "start_ns", n->start_ns);
		jsonw__end_object(w);
		return;
	}
	nm = names__get(js->names, n->name);
	jsonw__key_string(w, "func", nm->func);
	jsonw__key_string(w, "file", nm->file);
	jsonw__key_uint(w, "line", nm->line);
	jsonw__key_uint(w, "start_ns", n->start_ns);
	jsonw__key_uint(w, "dur_ns", n->dur_ns);
	jsonw__key_uint(w, "raw_dur_ns", n->raw_dur_ns);
	render_json_flags(w, n, nm);
	jsonw__key(w, "children");
	jsonw__begin_array(w);
}

static void json_leave(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	struct json *js = ctx;

	if (n->flags & FT_NODE_LOST)
		return;
	jsonw__end_array(js->w);
	jsonw__end_object(js->w);
}

static int json_end(struct render_ctx *rc, const struct calltree *ct)
{
	static const struct filter_visit visit = {.enter = json_enter, .leave = json_leave};
	struct json js = {.names = rc->names};
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;
	int err;

	js.w = jsonw__new(rc->out);
	if (!js.w)
		return -ENOMEM;
	jsonw__begin_object(js.w);
	jsonw__key(js.w, "meta");
	if (rc->meta) {
		jsonw__begin_object(js.w);
		render_meta_members(js.w, rc->meta);
		jsonw__end_object(js.w);
	} else {
		jsonw__null(js.w);
	}
	jsonw__key(js.w, "threads");
	jsonw__begin_array(js.w);
	for (size_t i = 0; i < nthreads; i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);

		jsonw__begin_object(js.w);
		jsonw__key_uint(js.w, "tid", t->tid);
		if (t->pid)
			jsonw__key_uint(js.w, "pid", t->pid);
		render_thread_ns(js.w, t);
		jsonw__key(js.w, "name");
		jsonw__string_len(js.w, t->comm, strnlen(t->comm, sizeof(t->comm)));
		if (t->image)
			jsonw__key_uint(js.w, "image", t->image);
		jsonw__key(js.w, "calls");
		jsonw__begin_array(js.w);
		filter__walk(rc->filter, rc->names, t, &visit, &js);
		jsonw__end_array(js.w);
		jsonw__end_object(js.w);
	}
	jsonw__end_array(js.w);
	if (rc->tasks)
		render_tasks_json(rc, ct, js.w, &visit, &js);
	jsonw__end_object(js.w);
	jsonw__newline(js.w);
	err = jsonw__error(js.w);
	jsonw__free(js.w);
	return err;
}

const struct renderer render_json = {
	.name = "json",
	.help = "one JSON document: metadata and nested calls per thread",
	.streaming = false,
	.end = json_end,
};
