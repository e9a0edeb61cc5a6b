// SPDX-License-Identifier: MIT
/* The "html" format: one self-contained page (no network, no external
 * fonts) with an interactive flame chart of the trace: per thread, each
 * call a box at [start, start + duration] on the row of its depth, drawn
 * on a <canvas>; an aggregated flame graph and a per-function table as
 * other views. The trace goes in as compact JSON inside a
 * <script type="application/json"> element; the page's style, markup and
 * script are the files in src/output/html/, embedded at build time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/grow.h"
#include "core/hashmap.h"
#include "output/jsonw.h"
#include "core/names.h"
#include "output/render.h"
#include "output/render_priv.h"
#include "sys/utf8.h"
/* generated from src/output/html/ by scripts/embed-html.sh, which also
 * checks that the flag bits page.js reads are the FT_NODE_* and FT_NAME_*
 * values this file writes */
#include "output/html_page.h"

/* Names on the page: every distinct resolved name once, indexed in order
 * of first use. Keyed by the struct ft_name pointer names__get() returns,
 * which is stable while nothing is bound (rendering binds nothing). */
struct html {
	struct jsonw *w;
	const struct names *names;
	struct hashmap index;	      /* struct ft_name * -> index */
	const struct ft_name **order; /* index -> name */
	size_t nnames, cap;
	int err;
};

/* The page's index of a name; 0 (a valid index, shown as the first name)
 * with h->err set when out of memory. */
static uint32_t name_index(struct html *h, const struct ft_name *nm)
{
	uint64_t i;

	if (hashmap__find(&h->index, (uintptr_t)nm, &i))
		return (uint32_t)i;
	if (h->nnames >= UINT32_MAX ||
	    grow_array((void **)&h->order, &h->cap, h->nnames + 1, sizeof(*h->order)) ||
	    hashmap__add(&h->index, (uintptr_t)nm, h->nnames, NULL)) {
		h->err = -ENOMEM;
		return 0;
	}
	h->order[h->nnames] = nm;
	return (uint32_t)h->nnames++;
}

/* Shown calls in call order, five numbers each: name index, start, duration,
 * shown depth, FT_NODE_* flags. Lost-record markers go to their own array
 * in a second walk. */
static void calls_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
			bool has_children)
{
	struct html *h = ctx;

	if (n->flags & FT_NODE_LOST)
		return;
	jsonw__uint(h->w, name_index(h, names__get(h->names, n->name)));
	jsonw__uint(h->w, n->start_ns);
	jsonw__uint(h->w, n->dur_ns);
	jsonw__int(h->w, depth);
	jsonw__uint(h->w, n->flags);
}

/* start, records lost, shown depth */
static void lost_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		       bool has_children)
{
	struct html *h = ctx;

	if (!(n->flags & FT_NODE_LOST))
		return;
	jsonw__uint(h->w, n->start_ns);
	jsonw__uint(h->w, n->lost);
	jsonw__int(h->w, depth);
}

static void write_data(struct html *h, struct render_ctx *rc, const struct calltree *ct)
{
	static const struct filter_visit calls = {.enter = calls_enter};
	static const struct filter_visit lost = {.enter = lost_enter};
	size_t nthreads = ct ? calltree__nthreads(ct) : 0;
	struct jsonw *w = h->w;

	jsonw__begin_object(w);
	jsonw__key(w, "meta");
	if (rc->meta) {
		jsonw__begin_object(w);
		render_meta_members(w, rc->meta);
		jsonw__end_object(w);
	} else {
		jsonw__null(w);
	}
	jsonw__key_bool(w, "filtered", filter__active(rc->filter));
	jsonw__key(w, "threads");
	jsonw__begin_array(w);
	for (size_t i = 0; i < nthreads; i++) {
		const struct ft_thread *t = calltree__thread_at(ct, i);

		if (!t->first_root)
			continue;
		jsonw__begin_object(w);
		jsonw__key_uint(w, "tid", t->tid);
		jsonw__key(w, "name");
		jsonw__string_len(w, t->comm, strnlen(t->comm, sizeof(t->comm)));
		jsonw__key(w, "calls");
		jsonw__begin_array(w);
		filter__walk(rc->filter, rc->names, t, &calls, h);
		jsonw__end_array(w);
		jsonw__key(w, "lost");
		jsonw__begin_array(w);
		filter__walk(rc->filter, rc->names, t, &lost, h);
		jsonw__end_array(w);
		jsonw__end_object(w);
	}
	jsonw__end_array(w);
	/* after the threads: only now is every name used known */
	jsonw__key(w, "names");
	jsonw__begin_array(w);
	for (size_t i = 0; i < h->nnames; i++) {
		const struct ft_name *nm = h->order[i];

		jsonw__begin_array(w);
		jsonw__string(w, nm->func);
		jsonw__string(w, nm->file);
		jsonw__uint(w, nm->line);
		jsonw__uint(w, nm->flags);
		jsonw__end_array(w);
	}
	jsonw__end_array(w);
	jsonw__end_object(w);
}

/* The data sits inside a <script> element, which ends at the first "</"
 * followed by "script", and whose "<!--" changes how the rest is parsed.
 * JSON has '<' only inside strings, where \u003c means the same: every '<'
 * is written so, and the data cannot end or bend the element. */
static ssize_t script_safe_write(void *cookie, const char *buf, size_t size)
{
	FILE *out = cookie;
	size_t start = 0;

	for (size_t i = 0; i < size; i++) {
		if (buf[i] != '<')
			continue;
		fwrite(buf + start, 1, i - start, out);
		fputs("\\u003c", out);
		start = i + 1;
	}
	fwrite(buf + start, 1, size - start, out);
	return ferror(out) ? -1 : (ssize_t)size;
}

/* Text for an HTML element's content. */
static void put_html_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		size_t n, bad;

		/* bidirectional and C1 controls shown as the page shows them in names */
		if ((unsigned char)*s >= 0x80 &&
		    (n = utf8_seq((const unsigned char *)s, strlen(s), &bad)) &&
		    utf8_is_invisible_control((const unsigned char *)s, n)) {
			fprintf(out, "\\u%04x", utf8_code_point((const unsigned char *)s, n));
			s += n - 1;
			continue;
		}
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		default:
			/* controls have no business in a title */
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, out);
		}
	}
}

static void put_title(FILE *out, const struct render_meta *m)
{
	fputs("flowtrace", out);
	if (!m)
		return;
	fputs(": ", out);
	if (m->command && *m->command)
		put_html_text(out, m->command);
	else
		fprintf(out, "PID %d", m->pid);
}

static int html_end(struct render_ctx *rc, const struct calltree *ct)
{
	static const cookie_io_functions_t io = {.write = script_safe_write};
	struct html h = {.names = rc->names};
	FILE *data;
	int err;

	hashmap__init(&h.index, NULL, NULL, NULL);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>",
	      rc->out);
	put_title(rc->out, rc->meta);
	fputs("</title>\n", rc->out);
	fputs("<style>\n", rc->out);
	fwrite(html_page_css, 1, sizeof(html_page_css), rc->out);
	fputs("</style>\n</head>\n<body>\n", rc->out);
	fwrite(html_page_body, 1, sizeof(html_page_body), rc->out);
	fputs("<script type=\"application/json\" id=\"ft-data\">", rc->out);

	data = fopencookie(rc->out, "w", io);
	if (!data)
		return -errno;
	h.w = jsonw__new(data);
	if (!h.w) {
		fclose(data);
		return -ENOMEM;
	}
	write_data(&h, rc, ct);
	jsonw__flush(h.w);
	err = jsonw__error(h.w);
	jsonw__free(h.w);
	if (fclose(data) && !err)
		err = -EIO;
	if (h.err && !err)
		err = h.err;
	hashmap__fini(&h.index);
	free(h.order);

	fputs("</script>\n<script>\n", rc->out);
	fwrite(html_page_js, 1, sizeof(html_page_js), rc->out);
	fputs("</script>\n</body>\n</html>\n", rc->out);
	if (!err && (fflush(rc->out) || ferror(rc->out)))
		err = -EIO;
	return err;
}

const struct renderer render_html = {
	.name = "html",
	.help = "self-contained interactive web page: flame chart, flame graph, function table",
	.streaming = false,
	.end = html_end,
};
