// SPDX-License-Identifier: MIT
/* The "html" format: one self-contained page (no network, no external
 * fonts) with an interactive flame chart of the trace: per thread, each
 * call a box at [start, start + duration] on the row of its depth, drawn
 * on a <canvas>; an aggregated flame graph and a per-function table as
 * other views. The trace goes in as compact JSON inside a
 * <script type="application/json"> element; the page's script and style
 * are the string constants at the end of this file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "filter.h"
#include "jsonw.h"
#include "names.h"
#include "render.h"
#include "render_priv.h"

/* Names on the page: every distinct resolved name once, indexed in order
 * of first use. Keyed by the struct ft_name pointer names__get() returns,
 * which is stable while nothing is bound (rendering binds nothing). */
struct html {
	struct jsonw *w;
	const struct names *names;
	const struct ft_name **slots; /* open addressing */
	uint32_t *slot_idx;
	size_t nslots;
	const struct ft_name **order; /* index -> name */
	size_t nnames, cap;
	int err;
};

static size_t hash_ptr(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 29));
}

static int rehash(struct html *h)
{
	size_t n = h->nslots ? h->nslots * 2 : 1024;
	const struct ft_name **slots = calloc(n, sizeof(*slots));
	uint32_t *idx = calloc(n, sizeof(*idx));

	if (!slots || !idx) {
		free(slots);
		free(idx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < h->nslots; i++) {
		size_t j;

		if (!h->slots[i])
			continue;
		for (j = hash_ptr(h->slots[i]) & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = h->slots[i];
		idx[j] = h->slot_idx[i];
	}
	free(h->slots);
	free(h->slot_idx);
	h->slots = slots;
	h->slot_idx = idx;
	h->nslots = n;
	return 0;
}

/* The page's index of a name; 0 (a valid index, shown as the first name)
 * with h->err set when out of memory. */
static uint32_t name_index(struct html *h, const struct ft_name *nm)
{
	size_t i;

	if ((h->nnames + 1) * 2 > h->nslots && rehash(h))
		goto nomem;
	for (i = hash_ptr(nm) & (h->nslots - 1); h->slots[i]; i = (i + 1) & (h->nslots - 1))
		if (h->slots[i] == nm)
			return h->slot_idx[i];
	if (h->nnames == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		const struct ft_name **order = realloc(h->order, cap * sizeof(*order));

		if (!order)
			goto nomem;
		h->order = order;
		h->cap = cap;
	}
	h->order[h->nnames] = nm;
	h->slots[i] = nm;
	h->slot_idx[i] = (uint32_t)h->nnames;
	return (uint32_t)h->nnames++;
nomem:
	h->err = -ENOMEM;
	return 0;
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

/* ---- the page: style, markup and script, all inline ---- */

static const char page_head[] =
	"<style>\n"
	":root {\n"
	"  --bg: #f6f6f8; --panel: #fff; --ink: #1d1d22; --muted: #6b6b78; --line: #e3e3e8;\n"
	"  --accent: #3b5bdb; --accent-soft: #edf2ff; --red: #e03131;\n"
	"  --mono: ui-monospace, 'SF Mono', SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace;\n"
	"}\n"
	"* { box-sizing: border-box; }\n"
	"html, body { height: 100%; margin: 0; }\n"
	"body {\n"
	"  display: flex; flex-direction: column; background: var(--bg); color: var(--ink);\n"
	"  font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;\n"
	"}\n"
	"button { font: inherit; color: inherit; }\n"
	"header.top { display: flex; align-items: baseline; gap: 14px; padding: 10px 16px 8px; flex-wrap: wrap; }\n"
	".logo { font-weight: 700; color: var(--accent); letter-spacing: .01em; }\n"
	".logo::before { content: ''; display: inline-block; width: 9px; height: 9px; margin-right: 6px;\n"
	"  border-radius: 2px; background: linear-gradient(135deg, #ff8787, #ffd43b); }\n"
	"h1 { font: 600 14px var(--mono); margin: 0; max-width: 55vw; white-space: nowrap; overflow: hidden;\n"
	"  text-overflow: ellipsis; }\n"
	".meta { color: var(--muted); font-size: 12px; }\n"
	".meta b { color: var(--ink); font-weight: 600; }\n"
	".meta .bad { color: var(--red); font-weight: 600; }\n"
	".meta .chip { border: 1px solid var(--line); border-radius: 9px; padding: 0 7px; }\n"
	"nav.bar { display: flex; align-items: center; gap: 12px; padding: 7px 16px; background: var(--panel);\n"
	"  border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }\n"
	".tabs { display: inline-flex; border: 1px solid var(--line); border-radius: 7px; overflow: hidden; flex: none; }\n"
	".tabs button { border: 0; border-right: 1px solid var(--line); background: transparent; padding: 5px 13px;\n"
	"  cursor: pointer; color: var(--muted); }\n"
	".tabs button:last-child { border-right: 0; }\n"
	".tabs button:hover { background: var(--accent-soft); color: var(--ink); }\n"
	".tabs button.on { background: var(--accent); color: #fff; }\n"
	".search { flex: 1; display: flex; align-items: center; gap: 10px; min-width: 200px; max-width: 640px; }\n"
	".search input { flex: 1; min-width: 0; padding: 5px 10px; border: 1px solid var(--line); border-radius: 7px;\n"
	"  font: 12.5px var(--mono); background: var(--bg); color: var(--ink); }\n"
	".search input:focus { outline: 2px solid #bac8ff; outline-offset: 0; border-color: var(--accent); background: #fff; }\n"
	"#matches { color: var(--muted); font-size: 12px; white-space: nowrap; }\n"
	"#matches.none { color: var(--red); }\n"
	".zoom { display: inline-flex; gap: 4px; margin-left: auto; flex: none; }\n"
	".zoom button { border: 1px solid var(--line); background: #fff; border-radius: 7px; padding: 4px 10px;\n"
	"  cursor: pointer; min-width: 30px; }\n"
	".zoom button:hover { background: var(--accent-soft); border-color: #bac8ff; }\n"
	".crumbs { padding: 4px 12px; font-size: 12px; color: var(--muted); min-height: 28px; white-space: nowrap;\n"
	"  overflow: hidden; text-overflow: ellipsis; background: var(--panel); border-bottom: 1px solid var(--line); }\n"
	".crumbs button { border: 0; background: none; padding: 2px 5px; border-radius: 5px; font: 12px var(--mono);\n"
	"  cursor: pointer; }\n"
	".crumbs button:hover { background: var(--accent-soft); color: var(--accent); }\n"
	".crumbs button.cur { font-weight: 700; }\n"
	".crumbs .sep { color: #b4b4bd; margin: 0 1px; }\n"
	".crumbs .hint { padding-left: 5px; }\n"
	"main#stage { flex: 1; position: relative; min-height: 240px; background: #fff; overflow: hidden; }\n"
	"canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%; display: block; outline: none; }\n"
	"canvas.grab { cursor: grabbing; }\n"
	"canvas.point { cursor: pointer; }\n"
	".tip { position: absolute; pointer-events: none; background: rgba(26, 26, 31, .96); color: #f4f4f5;\n"
	"  padding: 9px 11px; border-radius: 8px; font-size: 12px; max-width: 460px; z-index: 5;\n"
	"  box-shadow: 0 8px 28px rgba(0, 0, 0, .2); }\n"
	".tip .fn { font: 600 12.5px var(--mono); word-break: break-all; }\n"
	".tip .loc { color: #a1a1aa; font: 11.5px var(--mono); word-break: break-all; margin: 1px 0 6px; }\n"
	".tip table { border-collapse: collapse; }\n"
	".tip td { padding: 1px 12px 1px 0; font-variant-numeric: tabular-nums; vertical-align: top; }\n"
	".tip td:first-child { color: #a1a1aa; }\n"
	".tip .chip { display: inline-block; margin: 6px 4px 0 0; padding: 1px 7px; border-radius: 9px; font-size: 11px;\n"
	"  background: #52525b; }\n"
	".tip .chip.warn { background: #b45309; }\n"
	".tip .chip.bad { background: #c92a2a; }\n"
	".tip .lost { color: #ff8787; font-weight: 600; }\n"
	"#table { position: absolute; inset: 0; overflow: auto; background: #fff; }\n"
	"#table table { border-collapse: collapse; width: 100%; font-size: 12px; }\n"
	"#table th { position: sticky; top: 0; background: #f3f3f6; text-align: right; padding: 7px 10px; cursor: pointer;\n"
	"  border-bottom: 1px solid var(--line); user-select: none; white-space: nowrap; font-weight: 600; z-index: 1; }\n"
	"#table th:hover { color: var(--accent); }\n"
	"#table th.sorted { color: var(--accent); }\n"
	"#table th.sorted::after { content: ' \\25BE'; }\n"
	"#table .l { text-align: left; }\n"
	"#table td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #f0f0f3;\n"
	"  font-variant-numeric: tabular-nums; white-space: nowrap; }\n"
	"#table td.fn { font-family: var(--mono); max-width: 420px; overflow: hidden; text-overflow: ellipsis; }\n"
	"#table td.file { font-family: var(--mono); color: var(--muted); max-width: 380px; overflow: hidden;\n"
	"  text-overflow: ellipsis; direction: rtl; text-align: left; }\n"
	"#table td .swatch { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-right: 7px;\n"
	"  vertical-align: -1px; }\n"
	"#table td .barc { display: inline-block; height: 6px; border-radius: 3px; background: #bac8ff;\n"
	"  vertical-align: middle; margin-right: 8px; }\n"
	"#table tr:hover td { background: #f5f7ff; cursor: pointer; }\n"
	"#table .more { padding: 10px; color: var(--muted); }\n"
	"footer { display: flex; gap: 18px; align-items: center; padding: 5px 16px; font-size: 11.5px; color: var(--muted);\n"
	"  border-top: 1px solid var(--line); background: var(--panel); white-space: nowrap; overflow: hidden; }\n"
	".legend i { display: inline-block; width: 4px; height: 11px; vertical-align: -2px; margin: 0 5px 0 10px; }\n"
	".legend i:first-child { margin-left: 0; }\n"
	"kbd { font: 11px var(--mono); border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 4px;\n"
	"  padding: 0 4px; background: #fafafa; }\n"
	"#status { margin-left: auto; color: #a1a1aa; }\n"
	"#error { position: fixed; left: 16px; right: 16px; bottom: 40px; background: #fff0f0; color: #b91c1c;\n"
	"  border: 1px solid #ffc9c9; padding: 10px 14px; border-radius: 8px; font: 12px var(--mono);\n"
	"  white-space: pre-wrap; z-index: 10; }\n"
	"#selftest { position: fixed; right: 16px; top: 10px; font: 11px var(--mono); color: var(--muted); }\n"
	"[hidden] { display: none !important; }\n"
	"</style>\n"
	"</head>\n"
	"<body>\n";

static const char page_body[] =
	"<header class=\"top\">\n"
	"<span class=\"logo\">flowtrace</span>\n"
	"<h1 id=\"title\"></h1>\n"
	"<span class=\"meta\" id=\"meta\"></span>\n"
	"</header>\n"
	"<nav class=\"bar\">\n"
	"<div class=\"tabs\" role=\"tablist\">\n"
	"<button data-view=\"time\" class=\"on\" title=\"Every call in time order, per thread (1)\">Timeline</button>\n"
	"<button data-view=\"flame\" title=\"Calls merged by call path: width is total time (2)\">Flame graph</button>\n"
	"<button data-view=\"table\" title=\"Calls, total and self time per function (3)\">Functions</button>\n"
	"</div>\n"
	"<div class=\"search\">\n"
	"<input id=\"q\" type=\"search\" placeholder=\"Search functions and files (regex)\" autocomplete=\"off\" spellcheck=\"false\" title=\"Press / to search\">\n"
	"<span id=\"matches\"></span>\n"
	"</div>\n"
	"<div class=\"zoom\">\n"
	"<button id=\"zout\" title=\"Zoom out (-)\">&minus;</button>\n"
	"<button id=\"zin\" title=\"Zoom in (+)\">+</button>\n"
	"<button id=\"reset\" title=\"Show everything (Esc)\">Reset</button>\n"
	"</div>\n"
	"</nav>\n"
	"<div class=\"crumbs\" id=\"crumbs\"></div>\n"
	"<main id=\"stage\">\n"
	"<canvas id=\"cv\" tabindex=\"0\"></canvas>\n"
	"<div id=\"tip\" class=\"tip\" hidden></div>\n"
	"<div id=\"table\" hidden></div>\n"
	"</main>\n"
	"<footer>\n"
	"<span class=\"legend\"><i style=\"background:#e8590c\"></i>still running at the end<i style=\"background:#7048e8\"></i>entered before tracing began<i style=\"background:#e03131\"></i>records lost</span>\n"
	"<span class=\"help\"><b>click</b> zoom to a call &middot; <kbd>Ctrl</kbd>+wheel zoom &middot; drag or <kbd>&larr;</kbd><kbd>&rarr;</kbd> pan &middot; <kbd>Esc</kbd> reset &middot; <kbd>/</kbd> search</span>\n"
	"<span id=\"status\">loading&hellip;</span>\n"
	"</footer>\n"
	"<div id=\"error\" hidden></div>\n";

/* The script reads the data element, draws, and writes "ok: N boxes
 * drawn" into #status (or the error into #error): the browser test reads
 * both. "#selftest" in the URL makes it also drive itself through hover,
 * click-zoom, reset, search, the flame graph and the table, and report in
 * #selftest. */
static const char page_script[] =
	"(function () {\n"
	"'use strict';\n"
	"var $ = function (id) { return document.getElementById(id); };\n"
	"var statusEl = $('status'), errorEl = $('error');\n"
	"function fail(msg) {\n"
	"  errorEl.hidden = false;\n"
	"  errorEl.textContent = 'This page failed: ' + msg;\n"
	"  statusEl.textContent = 'error: ' + msg;\n"
	"}\n"
	"window.addEventListener('error', function (e) { fail(e.message || String(e.error)); });\n"
	"try { main(); } catch (e) { fail(e && e.stack ? e.stack : String(e)); }\n"
	"\n"
	"function main() {\n"
	"var D = JSON.parse($('ft-data').textContent);\n"
	"var NAME_CUT = 1, NAME_UNKNOWN = 2, NAME_THREAD = 256;\n"
	"var F_UNFINISHED = 1, F_BEFORE = 2, F_START_LOST = 8, F_END_LOST = 16;\n"
	"var ROW = 18, HEAD = 26, GAP = 12, AXIS = 24, MIN_SPAN = 20;\n"
	"var FONT = '11px ui-monospace, \"SF Mono\", SFMono-Regular, Menlo, Consolas, \"DejaVu Sans Mono\", monospace';\n"
	"var HEAD_FONT = '600 12px system-ui, -apple-system, \"Segoe UI\", Roboto, Arial, sans-serif';\n"
	"var SUB_FONT = '12px system-ui, -apple-system, \"Segoe UI\", Roboto, Arial, sans-serif';\n"
	"var DIM = '#ececf0', DIM_INK = '#a8a8b3', INK = '#1b1b20';\n"
	"var EDGE = { unfinished: '#e8590c', before: '#7048e8', lost: '#e03131' };\n"
	"var names = D.names, meta = D.meta;\n"
	"var hashArgs = parseHash();\n"
	"var noAnim = 'selftest' in hashArgs ||\n"
	"  (window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);\n"
	"\n"
	"/* ---- formatting ---- */\n"
	"function fmtDur(ns) {\n"
	"  if (ns < 1000) return Math.round(ns) + ' ns';\n"
	"  var units = [[1e3, '\\u00b5s'], [1e6, 'ms'], [1e9, 's']], u = units[0];\n"
	"  for (var i = 0; i < units.length; i++) if (ns >= units[i][0]) u = units[i];\n"
	"  if (ns >= 60e9) return (ns / 60e9).toFixed(2) + ' min';\n"
	"  var v = ns / u[0];\n"
	"  return v.toFixed(v >= 100 ? 1 : v >= 10 ? 2 : 3) + ' ' + u[1];\n"
	"}\n"
	"function fmtTick(t, step) {\n"
	"  var units = [[1, 'ns'], [1e3, '\\u00b5s'], [1e6, 'ms'], [1e9, 's']], u = units[0];\n"
	"  for (var i = 0; i < units.length; i++) if (step >= units[i][0] / 10 && t !== 0) u = units[i];\n"
	"  if (t === 0) return '0';\n"
	"  var dec = Math.max(0, Math.ceil(-Math.log10(step / u[0]) - 1e-9));\n"
	"  return (t / u[0]).toFixed(Math.min(dec, 6)) + ' ' + u[1];\n"
	"}\n"
	"function fmtInt(n) { return String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ','); }\n"
	"function pct(a, b) {\n"
	"  if (!b) return '';\n"
	"  var p = 100 * a / b;\n"
	"  return (p >= 10 ? p.toFixed(1) : p.toFixed(2)) + '%';\n"
	"}\n"
	"function parseHash() {\n"
	"  var out = {}, h = (location.hash || '').replace(/^#/, '');\n"
	"  h.split('&').forEach(function (kv) {\n"
	"    if (!kv) return;\n"
	"    var i = kv.indexOf('='), k = i < 0 ? kv : kv.slice(0, i);\n"
	"    try { out[decodeURIComponent(k)] = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* ignore */ }\n"
	"  });\n"
	"  return out;\n"
	"}\n"
	"\n"
	"/* ---- names ---- */\n"
	"function fnLabel(ni) {\n"
	"  var n = names[ni];\n"
	"  if (n[3] & NAME_UNKNOWN) return '<unknown>';\n"
	"  return n[0] + (n[3] & NAME_CUT ? '\\u2026' : '');\n"
	"}\n"
	"function fnWhere(ni) {\n"
	"  var n = names[ni];\n"
	"  if (n[3] & (NAME_THREAD | NAME_UNKNOWN) || !n[1]) return '';\n"
	"  return n[1] + ':' + n[2];\n"
	"}\n"
	"function hash(s) {\n"
	"  var h = 2166136261;\n"
	"  for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }\n"
	"  return h >>> 0;\n"
	"}\n"
	"var colors = [];\n"
	"/* one hue family per file, so a module's calls read as one colour; the\n"
	" * function picks the shade */\n"
	"function color(ni) {\n"
	"  var c = colors[ni];\n"
	"  if (c) return c;\n"
	"  var n = names[ni];\n"
	"  if (n[3] & NAME_THREAD) c = '#d3d9e6';\n"
	"  else if (n[3] & NAME_UNKNOWN) c = '#d4d4d8';\n"
	"  else {\n"
	"    var hf = hash(n[1]), hn = hash(n[0]);\n"
	"    var hue = ((hf % 360) + (hn % 56) - 28 + 360) % 360;\n"
	"    c = 'hsl(' + hue + ',' + (55 + (hn >>> 8) % 20) + '%,' + (69 + (hn >>> 16) % 11) + '%)';\n"
	"  }\n"
	"  colors[ni] = c;\n"
	"  return c;\n"
	"}\n"
	"\n"
	"/* ---- the timeline: one section per thread ---- */\n"
	"var traceEnd = meta && meta.duration_ns ? meta.duration_ns : 0;\n"
	"function threadTitle(t) { return 'thread ' + t.tid + (t.name ? ' (' + t.name + ')' : ''); }\n"
	"function makeRows(s) {\n"
	"  var counts = new Int32Array(s.maxDepth + 1), i;\n"
	"  for (i = 0; i < s.n; i++) counts[s.depth[i]]++;\n"
	"  s.rows = [];\n"
	"  for (i = 0; i <= s.maxDepth; i++) s.rows.push(new Int32Array(counts[i]));\n"
	"  counts.fill(0);\n"
	"  for (i = 0; i < s.n; i++) { var d = s.depth[i]; s.rows[d][counts[d]++] = i; }\n"
	"}\n"
	"function buildTimeline() {\n"
	"  var secs = [];\n"
	"  D.threads.forEach(function (t) {\n"
	"    var c = t.calls, n = c.length / 5;\n"
	"    var s = {\n"
	"      title: threadTitle(t), tid: t.tid, n: n, maxDepth: -1, busy: 0,\n"
	"      start: new Float64Array(n), dur: new Float64Array(n), self: new Float64Array(n),\n"
	"      name: new Int32Array(n), depth: new Int32Array(n), flags: new Int32Array(n), parent: new Int32Array(n),\n"
	"      lost: [], lostTotal: 0\n"
	"    };\n"
	"    var stack = [];\n"
	"    for (var i = 0; i < n; i++) {\n"
	"      var j = 5 * i, d = c[j + 3];\n"
	"      s.name[i] = c[j]; s.start[i] = c[j + 1]; s.dur[i] = c[j + 2]; s.depth[i] = d; s.flags[i] = c[j + 4];\n"
	"      stack.length = Math.min(stack.length, d);\n"
	"      var p = stack.length ? stack[stack.length - 1] : -1;\n"
	"      s.parent[i] = p;\n"
	"      s.self[i] += s.dur[i];\n"
	"      if (p >= 0) s.self[p] -= s.dur[i]; else s.busy += s.dur[i];\n"
	"      stack.push(i);\n"
	"      if (d > s.maxDepth) s.maxDepth = d;\n"
	"      if (s.start[i] + s.dur[i] > traceEnd) traceEnd = s.start[i] + s.dur[i];\n"
	"    }\n"
	"    for (var k = 0; k + 2 < t.lost.length; k += 3) {\n"
	"      s.lost.push({ t: t.lost[k], count: t.lost[k + 1], depth: t.lost[k + 2] });\n"
	"      s.lostTotal += t.lost[k + 1];\n"
	"      if (t.lost[k] > traceEnd) traceEnd = t.lost[k];\n"
	"    }\n"
	"    s.sub = fmtInt(n) + (n === 1 ? ' call' : ' calls') + ' \\u00b7 ' + fmtDur(s.busy) + ' in calls' +\n"
	"      (s.lostTotal ? ' \\u00b7 ' + fmtInt(s.lostTotal) + ' records lost' : '');\n"
	"    if (!n && !s.lost.length) return;\n"
	"    if (s.maxDepth < 0 && s.lost.length) s.maxDepth = 0;\n"
	"    makeRows(s);\n"
	"    secs.push(s);\n"
	"  });\n"
	"  if (!traceEnd) traceEnd = 1;\n"
	"  return { kind: 'time', secs: secs, end: traceEnd, x0: 0, x1: traceEnd, scrollY: 0, sel: null };\n"
	"}\n"
	"\n"
	"/* ---- the flame graph: calls merged by call path, threads at the top ---- */\n"
	"function buildFlame(tl) {\n"
	"  var A = { name: [], total: [], self: [], calls: [], parent: [], kids: [] };\n"
	"  function node(ni, p) {\n"
	"    var id = A.name.length;\n"
	"    A.name.push(ni); A.total.push(0); A.self.push(0); A.calls.push(0); A.parent.push(p); A.kids.push(null);\n"
	"    return id;\n"
	"  }\n"
	"  function child(p, ni) {\n"
	"    var m = A.kids[p];\n"
	"    if (!m) { m = new Map(); A.kids[p] = m; }\n"
	"    var id = m.get(ni);\n"
	"    if (id === undefined) { id = node(ni, p); m.set(ni, id); }\n"
	"    return id;\n"
	"  }\n"
	"  var roots = [], all = 0;\n"
	"  tl.secs.forEach(function (s) {\n"
	"    var ni = names.length;\n"
	"    names.push([s.title, '', 0, NAME_THREAD]);\n"
	"    var T = node(ni, -1), agg = new Int32Array(s.n);\n"
	"    roots.push(T);\n"
	"    for (var i = 0; i < s.n; i++) {\n"
	"      var a = child(s.parent[i] < 0 ? T : agg[s.parent[i]], s.name[i]);\n"
	"      agg[i] = a;\n"
	"      A.total[a] += s.dur[i]; A.self[a] += Math.max(0, s.self[i]); A.calls[a]++;\n"
	"      if (s.parent[i] < 0) A.total[T] += s.dur[i];\n"
	"    }\n"
	"    all += A.total[T];\n"
	"  });\n"
	"  /* lay out: heaviest child first, preorder so each row is in x order */\n"
	"  var N = A.name.length;\n"
	"  var s = {\n"
	"    title: 'All threads, merged by call path', n: N, maxDepth: -1, lost: [],\n"
	"    sub: 'box width is total time; boxes are not in time order',\n"
	"    start: new Float64Array(N), dur: new Float64Array(N), self: new Float64Array(N),\n"
	"    name: new Int32Array(N), depth: new Int32Array(N), flags: new Int32Array(N), parent: new Int32Array(N),\n"
	"    calls: new Float64Array(N)\n"
	"  };\n"
	"  var k = 0, stack = [];\n"
	"  for (var r = roots.length - 1; r >= 0; r--) stack.push([roots[r], -1, 0]);\n"
	"  var x = 0;\n"
	"  /* x of each node: parent x plus the widths of the siblings before it */\n"
	"  var xOf = new Float64Array(N);\n"
	"  roots.forEach(function (T) { xOf[T] = x; x += A.total[T]; });\n"
	"  while (stack.length) {\n"
	"    var top = stack.pop(), id = top[0], b = k++;\n"
	"    s.name[b] = A.name[id]; s.start[b] = xOf[id]; s.dur[b] = A.total[id]; s.self[b] = A.self[id];\n"
	"    s.calls[b] = A.calls[id]; s.parent[b] = top[1]; s.depth[b] = top[2];\n"
	"    if (top[2] > s.maxDepth) s.maxDepth = top[2];\n"
	"    var m = A.kids[id];\n"
	"    if (!m) continue;\n"
	"    var kids = Array.from(m.values()).sort(function (p, q) { return A.total[q] - A.total[p]; });\n"
	"    var cx = xOf[id];\n"
	"    kids.forEach(function (c) { xOf[c] = cx; cx += A.total[c]; });\n"
	"    for (var j = kids.length - 1; j >= 0; j--) stack.push([kids[j], b, top[2] + 1]);\n"
	"  }\n"
	"  var secs = [];\n"
	"  if (N) { makeRows(s); secs.push(s); }\n"
	"  var end = all || 1;\n"
	"  return { kind: 'flame', secs: secs, end: end, x0: 0, x1: end, scrollY: 0, sel: null, all: all };\n"
	"}\n"
	"\n"
	"/* ---- functions: the report, computed here ---- */\n"
	"function buildFunctions(tl) {\n"
	"  var keyOf = new Int32Array(names.length).fill(-1), keys = new Map(), F = [];\n"
	"  tl.secs.forEach(function (s) {\n"
	"    var active = new Map(), stack = [];\n"
	"    for (var i = 0; i < s.n; i++) {\n"
	"      var ni = s.name[i], f = keyOf[ni];\n"
	"      if (f < 0) {\n"
	"        var key = names[ni][0] + '\\u0000' + names[ni][1] + '\\u0000' + (names[ni][3] & NAME_UNKNOWN);\n"
	"        f = keys.get(key);\n"
	"        if (f === undefined) {\n"
	"          f = F.length; keys.set(key, f);\n"
	"          F.push({ ni: ni, line: names[ni][2], calls: 0, total: 0, self: 0, max: 0 });\n"
	"        }\n"
	"        keyOf[ni] = f;\n"
	"      }\n"
	"      while (stack.length > s.depth[i]) { var g = stack.pop(); active.set(g, active.get(g) - 1); }\n"
	"      var e = F[f];\n"
	"      if (names[ni][2] < e.line) e.line = names[ni][2];\n"
	"      e.calls++; e.self += Math.max(0, s.self[i]);\n"
	"      if (s.dur[i] > e.max) e.max = s.dur[i];\n"
	"      /* recursion: an outer call of the same function already counts */\n"
	"      if (!active.get(f)) e.total += s.dur[i];\n"
	"      active.set(f, (active.get(f) || 0) + 1);\n"
	"      stack.push(f);\n"
	"    }\n"
	"  });\n"
	"  return F;\n"
	"}\n"
	"\n"
	"var timeline = buildTimeline();\n"
	"var flame = buildFlame(timeline);\n"
	"var funcs = null;\n"
	"var cur = timeline;\n"
	"\n"
	"/* ---- canvas ---- */\n"
	"var cv = $('cv'), ctx = cv.getContext('2d'), stage = $('stage'), tip = $('tip');\n"
	"var W = 0, H = 0, CW = 6.6, drawn = 0, pending = false, hover = null, matcher = null, matchName = null;\n"
	"\n"
	"function layout(v) {\n"
	"  var y = AXIS + 8;\n"
	"  v.secs.forEach(function (s) { s.y = y; s.h = HEAD + (s.maxDepth + 1) * ROW + GAP; y += s.h; });\n"
	"  v.height = y;\n"
	"}\n"
	"layout(timeline);\n"
	"layout(flame);\n"
	"\n"
	"function clampView(v) {\n"
	"  var span = v.x1 - v.x0, full = v.end;\n"
	"  if (!(span > 0)) span = full;\n"
	"  if (span < MIN_SPAN) { var mid = (v.x0 + v.x1) / 2; v.x0 = mid - MIN_SPAN / 2; v.x1 = mid + MIN_SPAN / 2; span = MIN_SPAN; }\n"
	"  if (span >= full) { v.x0 = 0; v.x1 = full; }\n"
	"  else if (v.x0 < 0) { v.x0 = 0; v.x1 = span; }\n"
	"  else if (v.x1 > full) { v.x1 = full; v.x0 = full - span; }\n"
	"  var maxY = Math.max(0, v.height - H + 24);\n"
	"  v.scrollY = Math.min(Math.max(0, v.scrollY), maxY);\n"
	"}\n"
	"\n"
	"function resize() {\n"
	"  var dpr = window.devicePixelRatio || 1;\n"
	"  W = stage.clientWidth; H = stage.clientHeight;\n"
	"  var w = Math.max(1, Math.round(W * dpr)), h = Math.max(1, Math.round(H * dpr));\n"
	"  if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; }\n"
	"  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);\n"
	"}\n"
	"\n"
	"/* first box in row whose end is past t, from lo: rows are in time order\n"
	" * and boxes in a row never overlap, so ends are in order too */\n"
	"function firstEnd(s, row, t, lo) {\n"
	"  var hi = row.length;\n"
	"  while (lo < hi) {\n"
	"    var mid = (lo + hi) >> 1, b = row[mid];\n"
	"    if (s.start[b] + s.dur[b] > t) hi = mid; else lo = mid + 1;\n"
	"  }\n"
	"  return lo;\n"
	"}\n"
	"\n"
	"function niceStep(raw) {\n"
	"  var p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;\n"
	"  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;\n"
	"}\n"
	"\n"
	"function draw() {\n"
	"  pending = false;\n"
	"  resize();\n"
	"  var v = cur;\n"
	"  ctx.fillStyle = '#fff';\n"
	"  ctx.fillRect(0, 0, W, H);\n"
	"  if (v.kind === 'table') return;\n"
	"  clampView(v);\n"
	"  var k = W / (v.x1 - v.x0);\n"
	"  drawn = 0;\n"
	"  var step = niceStep((v.x1 - v.x0) * 110 / Math.max(W, 1));\n"
	"  /* grid under everything */\n"
	"  ctx.fillStyle = '#f1f1f4';\n"
	"  for (var t = Math.ceil(v.x0 / step) * step; t <= v.x1; t += step)\n"
	"    ctx.fillRect(Math.round((t - v.x0) * k), AXIS, 1, H - AXIS);\n"
	"  if (!v.secs.length) {\n"
	"    ctx.fillStyle = '#8a8a96';\n"
	"    ctx.font = '15px system-ui, sans-serif';\n"
	"    ctx.textAlign = 'center';\n"
	"    ctx.fillText(D.filtered ? 'No calls match the filters' : 'No calls traced', W / 2, H / 2);\n"
	"    ctx.textAlign = 'left';\n"
	"  }\n"
	"  ctx.textBaseline = 'middle';\n"
	"  v.secs.forEach(function (s) {\n"
	"    var top = s.y - v.scrollY;\n"
	"    if (top > H || top + s.h < AXIS) return;\n"
	"    drawHeader(v, s, top, k);\n"
	"    ctx.font = FONT;\n"
	"    var d0 = Math.max(0, Math.floor((AXIS - top - HEAD) / ROW));\n"
	"    var d1 = Math.min(s.maxDepth, Math.floor((H - top - HEAD) / ROW));\n"
	"    for (var d = d0; d <= d1; d++) if (s.rows[d]) drawRow(v, s, d, top + HEAD + d * ROW, k);\n"
	"    s.lost.forEach(function (m) {\n"
	"      var x = Math.round((m.t - v.x0) * k);\n"
	"      if (x < -2 || x > W + 2) return;\n"
	"      ctx.fillStyle = EDGE.lost;\n"
	"      ctx.fillRect(x - 0.75, top + HEAD - 4, 1.5, (s.maxDepth + 1) * ROW + 4);\n"
	"      ctx.beginPath();\n"
	"      ctx.moveTo(x - 5, top + HEAD - 10); ctx.lineTo(x + 5, top + HEAD - 10); ctx.lineTo(x, top + HEAD - 3);\n"
	"      ctx.fill();\n"
	"    });\n"
	"  });\n"
	"  outline(v, hover, 1, '#1b1b20');\n"
	"  outline(v, v.sel, 2, '#1b1b20');\n"
	"  drawAxis(v, k, step);\n"
	"  /* scroll bar */\n"
	"  if (v.height > H) {\n"
	"    var track = H - AXIS - 8, th = Math.max(24, track * H / v.height);\n"
	"    var ty = AXIS + 4 + (track - th) * v.scrollY / Math.max(1, v.height - H + 24);\n"
	"    ctx.fillStyle = 'rgba(0,0,0,.22)';\n"
	"    roundRect(W - 8, ty, 5, th, 2.5);\n"
	"  }\n"
	"}\n"
	"\n"
	"function roundRect(x, y, w, h, r) {\n"
	"  ctx.beginPath();\n"
	"  ctx.moveTo(x + r, y); ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);\n"
	"  ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath(); ctx.fill();\n"
	"}\n"
	"\n"
	"function drawHeader(v, s, top, k) {\n"
	"  ctx.fillStyle = '#f4f5f8';\n"
	"  ctx.fillRect(0, top + 2, W, HEAD - 6);\n"
	"  ctx.fillStyle = '#dfe1e8';\n"
	"  ctx.fillRect(0, top + HEAD - 4, W, 1);\n"
	"  ctx.font = HEAD_FONT;\n"
	"  ctx.fillStyle = INK;\n"
	"  ctx.fillText(s.title, 10, top + HEAD / 2 - 1);\n"
	"  var tw = ctx.measureText(s.title).width;\n"
	"  ctx.font = SUB_FONT;\n"
	"  ctx.fillStyle = '#70707c';\n"
	"  ctx.fillText(s.sub, 22 + tw, top + HEAD / 2 - 1);\n"
	"}\n"
	"\n"
	"function drawRow(v, s, d, y, k) {\n"
	"  var row = s.rows[d], n = row.length, last = -Infinity;\n"
	"  var i = firstEnd(s, row, v.x0, 0);\n"
	"  while (i < n) {\n"
	"    var b = row[i], st = s.start[b];\n"
	"    if (st > v.x1) break;\n"
	"    var x = (st - v.x0) * k, w = s.dur[b] * k;\n"
	"    if (x + w <= last) {\n"
	"      /* under a pixel already drawn: jump past it instead of walking\n"
	"       * every tiny call, so a frame costs pixels, not calls */\n"
	"      i = firstEnd(s, row, v.x0 + last / k, i + 1);\n"
	"      continue;\n"
	"    }\n"
	"    drawBox(s, b, x, y, w);\n"
	"    last = Math.max(last, x + Math.max(w, 1));\n"
	"    i++;\n"
	"  }\n"
	"}\n"
	"\n"
	"function drawBox(s, b, x, y, w) {\n"
	"  var ni = s.name[b], on = !matchName || matchName[ni];\n"
	"  var xl = Math.max(x, -2), xr = Math.min(x + Math.max(w, 1), W + 2), bw = xr - xl;\n"
	"  if (bw >= 4) bw -= 1;\n"
	"  ctx.fillStyle = on ? color(ni) : DIM;\n"
	"  ctx.fillRect(xl, y, bw, ROW - 1);\n"
	"  drawn++;\n"
	"  var f = s.flags[b];\n"
	"  if (f && bw >= 3) {\n"
	"    if (f & (F_BEFORE | F_START_LOST)) {\n"
	"      ctx.fillStyle = f & F_START_LOST ? EDGE.lost : EDGE.before;\n"
	"      if (x >= -2) ctx.fillRect(xl, y, 3, ROW - 1);\n"
	"    }\n"
	"    if (f & (F_UNFINISHED | F_END_LOST)) {\n"
	"      ctx.fillStyle = f & F_END_LOST ? EDGE.lost : EDGE.unfinished;\n"
	"      if (x + w <= W + 2) ctx.fillRect(xl + bw - 3, y, 3, ROW - 1);\n"
	"    }\n"
	"  }\n"
	"  if (bw < 26) return;\n"
	"  var room = Math.floor((bw - 8) / CW);\n"
	"  if (room < 2) return;\n"
	"  var label = fnLabel(ni);\n"
	"  if (label.length > room) label = label.slice(0, room - 1) + '\\u2026';\n"
	"  ctx.fillStyle = on ? INK : DIM_INK;\n"
	"  ctx.fillText(label, xl + 4, y + ROW / 2);\n"
	"}\n"
	"\n"
	"function outline(v, h, lw, c) {\n"
	"  if (!h || h.view !== v || h.lost) return;\n"
	"  var s = h.sec, b = h.box, k = W / (v.x1 - v.x0);\n"
	"  var x = (s.start[b] - v.x0) * k, w = Math.max(s.dur[b] * k, 1), y = s.y - v.scrollY + HEAD + s.depth[b] * ROW;\n"
	"  ctx.strokeStyle = c;\n"
	"  ctx.lineWidth = lw;\n"
	"  var xl = Math.max(x, -4), xr = Math.min(x + w, W + 4);\n"
	"  ctx.strokeRect(xl + lw / 2, y + lw / 2, Math.max(1, xr - xl - lw - (w >= 4 ? 1 : 0)), ROW - 1 - lw);\n"
	"}\n"
	"\n"
	"function drawAxis(v, k, step) {\n"
	"  ctx.fillStyle = '#fff';\n"
	"  ctx.fillRect(0, 0, W, AXIS);\n"
	"  ctx.fillStyle = '#dfe1e8';\n"
	"  ctx.fillRect(0, AXIS - 1, W, 1);\n"
	"  ctx.font = SUB_FONT;\n"
	"  ctx.fillStyle = '#70707c';\n"
	"  ctx.textBaseline = 'middle';\n"
	"  for (var t = Math.ceil(v.x0 / step) * step; t <= v.x1; t += step) {\n"
	"    var x = Math.round((t - v.x0) * k);\n"
	"    ctx.fillRect(x, AXIS - 6, 1, 5);\n"
	"    var label = v.kind === 'flame' ? pct(t, v.end) || '0%' : fmtTick(t, step);\n"
	"    if (x + 4 + ctx.measureText(label).width < W) ctx.fillText(label, x + 4, AXIS / 2 - 1);\n"
	"  }\n"
	"}\n"
	"\n"
	"function schedule() {\n"
	"  if (pending) return;\n"
	"  pending = true;\n"
	"  requestAnimationFrame(draw);\n"
	"}\n"
	"\n"
	"/* ---- hit testing ---- */\n"
	"function hitAt(v, mx, my) {\n"
	"  if (v.kind === 'table' || my < AXIS) return null;\n"
	"  var y = my + v.scrollY, k = W / (v.x1 - v.x0);\n"
	"  for (var si = 0; si < v.secs.length; si++) {\n"
	"    var s = v.secs[si];\n"
	"    if (y < s.y || y >= s.y + s.h) continue;\n"
	"    var t = v.x0 + mx / k, tol = 3 / k;\n"
	"    for (var li = 0; li < s.lost.length; li++)\n"
	"      if (Math.abs(s.lost[li].t - t) <= tol && y < s.y + HEAD) return { view: v, sec: s, lost: s.lost[li] };\n"
	"    var d = Math.floor((y - s.y - HEAD) / ROW);\n"
	"    if (d < 0 || d > s.maxDepth || !s.rows[d]) return null;\n"
	"    var row = s.rows[d], i = firstEnd(s, row, t - tol, 0), best = null, bestDist = Infinity;\n"
	"    for (; i < row.length; i++) {\n"
	"      var b = row[i], st = s.start[b], en = st + s.dur[b];\n"
	"      if (st > t + tol) break;\n"
	"      var dist = t < st ? st - t : t > en ? t - en : 0;\n"
	"      if (dist < bestDist) { best = b; bestDist = dist; }\n"
	"      if (!dist) break;\n"
	"    }\n"
	"    for (li = 0; li < s.lost.length; li++)\n"
	"      if (Math.abs(s.lost[li].t - t) <= tol && (best === null || bestDist > 0)) return { view: v, sec: s, lost: s.lost[li] };\n"
	"    return best === null ? null : { view: v, sec: s, box: best };\n"
	"  }\n"
	"  return null;\n"
	"}\n"
	"\n"
	"/* ---- tooltip ---- */\n"
	"function el(tag, cls, text) {\n"
	"  var e = document.createElement(tag);\n"
	"  if (cls) e.className = cls;\n"
	"  if (text !== undefined) e.textContent = text;\n"
	"  return e;\n"
	"}\n"
	"function showTip(h, mx, my) {\n"
	"  tip.textContent = '';\n"
	"  var s = h.sec, rows = [];\n"
	"  if (h.lost) {\n"
	"    tip.appendChild(el('div', 'lost', fmtInt(h.lost.count) + (h.lost.count === 1 ? ' record' : ' records') + ' lost here'));\n"
	"    tip.appendChild(el('div', 'loc', s.title));\n"
	"    rows.push(['At', '+' + fmtDur(h.lost.t)]);\n"
	"    rows.push(['Means', 'calls near here may be missing or cut short']);\n"
	"  } else {\n"
	"    var b = h.box, ni = s.name[b], thread = names[ni][3] & NAME_THREAD;\n"
	"    tip.appendChild(el('div', 'fn', fnLabel(ni)));\n"
	"    var where = fnWhere(ni);\n"
	"    if (where) tip.appendChild(el('div', 'loc', where));\n"
	"    else tip.appendChild(el('div', 'loc', thread ? 'all calls of the thread' : ''));\n"
	"    if (h.view.kind === 'flame') {\n"
	"      rows.push(['Total', fmtDur(s.dur[b]) + '  \\u00b7  ' + pct(s.dur[b], h.view.all) + ' of all']);\n"
	"      if (!thread) {\n"
	"        rows.push(['Self', fmtDur(s.self[b])]);\n"
	"        rows.push(['Calls', fmtInt(s.calls[b]) + '  \\u00b7  avg ' + fmtDur(s.dur[b] / s.calls[b])]);\n"
	"      }\n"
	"    } else {\n"
	"      var p = s.parent[b];\n"
	"      rows.push(['Duration', fmtDur(s.dur[b]) + (p >= 0 ? '  \\u00b7  ' + pct(s.dur[b], s.dur[p]) + ' of caller' : '')]);\n"
	"      rows.push(['Self', fmtDur(Math.max(0, s.self[b]))]);\n"
	"      rows.push(['Started', '+' + fmtDur(s.start[b]) + ' into the trace']);\n"
	"      rows.push(['Thread', s.title.replace(/^thread /, '')]);\n"
	"      rows.push(['Depth', String(s.depth[b] + 1)]);\n"
	"    }\n"
	"  }\n"
	"  var tb = el('table');\n"
	"  rows.forEach(function (r) {\n"
	"    var tr = el('tr');\n"
	"    tr.appendChild(el('td', '', r[0]));\n"
	"    tr.appendChild(el('td', '', r[1]));\n"
	"    tb.appendChild(tr);\n"
	"  });\n"
	"  tip.appendChild(tb);\n"
	"  if (!h.lost) {\n"
	"    var f = s.flags[h.box], nf = names[s.name[h.box]][3];\n"
	"    if (f & F_UNFINISHED) tip.appendChild(el('span', 'chip warn', 'still running when tracing stopped'));\n"
	"    if (f & F_BEFORE) tip.appendChild(el('span', 'chip', 'entered before tracing began'));\n"
	"    if (f & F_START_LOST) tip.appendChild(el('span', 'chip bad', 'entry record lost: started earlier'));\n"
	"    if (f & F_END_LOST) tip.appendChild(el('span', 'chip bad', 'return record lost: ended earlier'));\n"
	"    if (nf & NAME_CUT) tip.appendChild(el('span', 'chip', 'name truncated'));\n"
	"    if (nf & NAME_UNKNOWN) tip.appendChild(el('span', 'chip bad', 'name record lost'));\n"
	"  }\n"
	"  tip.hidden = false;\n"
	"  var tw = tip.offsetWidth, th = tip.offsetHeight;\n"
	"  var x = mx + 14, y = my + 16;\n"
	"  if (x + tw > W - 4) x = Math.max(4, mx - tw - 14);\n"
	"  if (y + th > H - 4) y = Math.max(4, my - th - 12);\n"
	"  tip.style.left = x + 'px';\n"
	"  tip.style.top = y + 'px';\n"
	"}\n"
	"function hideTip() { tip.hidden = true; }\n"
	"\n"
	"/* ---- breadcrumbs: the path to the selected call ---- */\n"
	"function crumbs() {\n"
	"  var c = $('crumbs'), v = cur;\n"
	"  c.textContent = '';\n"
	"  if (v.kind === 'table') {\n"
	"    c.appendChild(el('span', 'hint', 'Click a function to find its calls in the timeline. Click a column to sort.'));\n"
	"    return;\n"
	"  }\n"
	"  if (!v.sel) {\n"
	"    c.appendChild(el('span', 'hint', v.kind === 'flame'\n"
	"      ? 'Calls with the same path are merged. Click a box to zoom into it.'\n"
	"      : 'Each box is one call, placed at the time it ran. Click one to zoom into it; its callers show up here.'));\n"
	"    return;\n"
	"  }\n"
	"  var s = v.sel.sec, path = [];\n"
	"  for (var b = v.sel.box; b >= 0; b = s.parent[b]) path.unshift(b);\n"
	"  if (v.kind === 'time') {\n"
	"    var top = el('button', '', s.title);\n"
	"    top.onclick = function () { select(v, null); zoomTo(v, 0, v.end); };\n"
	"    c.appendChild(top);\n"
	"  }\n"
	"  path.forEach(function (b, i) {\n"
	"    if (i || v.kind === 'time') c.appendChild(el('span', 'sep', '\\u203a'));\n"
	"    var btn = el('button', b === v.sel.box ? 'cur' : '', fnLabel(s.name[b]));\n"
	"    btn.title = fnWhere(s.name[b]);\n"
	"    btn.onclick = function () { select(v, { view: v, sec: s, box: b }); zoomBox(v, s, b); };\n"
	"    c.appendChild(btn);\n"
	"  });\n"
	"}\n"
	"\n"
	"/* ---- zoom and pan ---- */\n"
	"var anim = null;\n"
	"function zoomTo(v, x0, x1, scrollY) {\n"
	"  var from = { x0: v.x0, x1: v.x1, y: v.scrollY };\n"
	"  var to = { x0: x0, x1: x1, y: scrollY === undefined ? v.scrollY : scrollY };\n"
	"  if (anim) cancelAnimationFrame(anim.id);\n"
	"  anim = null;\n"
	"  if (noAnim) { v.x0 = to.x0; v.x1 = to.x1; v.scrollY = to.y; clampView(v); draw(); return; }\n"
	"  var t0 = performance.now();\n"
	"  function stepFn(now) {\n"
	"    var p = Math.min(1, (now - t0) / 220), e = 1 - Math.pow(1 - p, 3);\n"
	"    /* interpolate in log space of the span so zooms feel even */\n"
	"    var s0 = from.x1 - from.x0, s1 = to.x1 - to.x0, span = s0 * Math.pow(s1 / s0, e);\n"
	"    var c0 = (from.x0 + from.x1) / 2, c1 = (to.x0 + to.x1) / 2;\n"
	"    var cc = s1 === s0 ? c0 + (c1 - c0) * e : c0 + (c1 - c0) * (span - s0) / (s1 - s0);\n"
	"    v.x0 = cc - span / 2; v.x1 = cc + span / 2;\n"
	"    v.scrollY = from.y + (to.y - from.y) * e;\n"
	"    draw();\n"
	"    if (p < 1) anim = { id: requestAnimationFrame(stepFn) };\n"
	"    else { anim = null; v.x0 = to.x0; v.x1 = to.x1; v.scrollY = to.y; clampView(v); draw(); }\n"
	"  }\n"
	"  anim = { id: requestAnimationFrame(stepFn) };\n"
	"}\n"
	"function zoomBox(v, s, b) {\n"
	"  var span = Math.max(s.dur[b], MIN_SPAN), pad = span * 0.01;\n"
	"  var y = s.y + HEAD + s.depth[b] * ROW, sy = v.scrollY;\n"
	"  if (y - sy < AXIS + HEAD || y - sy > H - 2 * ROW) sy = y - AXIS - HEAD - 2 * ROW;\n"
	"  zoomTo(v, s.start[b] - pad, s.start[b] + span + pad, sy);\n"
	"}\n"
	"function zoomBy(v, factor, atX) {\n"
	"  var t = v.x0 + (v.x1 - v.x0) * (atX === undefined ? 0.5 : atX / W);\n"
	"  v.x0 = t - (t - v.x0) * factor;\n"
	"  v.x1 = t + (v.x1 - t) * factor;\n"
	"  clampView(v);\n"
	"  schedule();\n"
	"}\n"
	"function panBy(v, px) {\n"
	"  var d = px * (v.x1 - v.x0) / W;\n"
	"  v.x0 += d; v.x1 += d;\n"
	"  clampView(v);\n"
	"  schedule();\n"
	"}\n"
	"function reset() {\n"
	"  var v = cur;\n"
	"  if (v.kind === 'table') return;\n"
	"  select(v, null);\n"
	"  zoomTo(v, 0, v.end, 0);\n"
	"}\n"
	"function select(v, h) {\n"
	"  v.sel = h && !h.lost ? h : null;\n"
	"  crumbs();\n"
	"}\n"
	"\n"
	"/* ---- search ---- */\n"
	"function escapeRe(s) { return s.replace(/[.*+?^${}()|[\\]\\\\]/g, '\\\\$&'); }\n"
	"function search(q) {\n"
	"  q = q.trim();\n"
	"  matcher = null; matchName = null;\n"
	"  var m = $('matches');\n"
	"  m.className = '';\n"
	"  if (!q) { m.textContent = ''; schedule(); if (cur.kind === 'table') showTable(); return; }\n"
	"  try { matcher = new RegExp(q, 'i'); } catch (e) { matcher = new RegExp(escapeRe(q), 'i'); }\n"
	"  matchName = new Uint8Array(names.length);\n"
	"  for (var i = 0; i < names.length; i++) {\n"
	"    var n = names[i];\n"
	"    matchName[i] = !(n[3] & NAME_THREAD) && (matcher.test(fnLabel(i)) || (!!n[1] && matcher.test(n[1] + ':' + n[2]))) ? 1 : 0;\n"
	"  }\n"
	"  /* calls that match, and the time they cover: a match inside a match\n"
	"   * adds no time */\n"
	"  var calls = 0, time = 0, busy = 0;\n"
	"  timeline.secs.forEach(function (s) {\n"
	"    var under = -1;\n"
	"    for (var b = 0; b < s.n; b++) {\n"
	"      if (under >= 0 && s.depth[b] <= under) under = -1;\n"
	"      if (s.parent[b] < 0) busy += s.dur[b];\n"
	"      if (!matchName[s.name[b]]) continue;\n"
	"      calls++;\n"
	"      if (under < 0) { time += s.dur[b]; under = s.depth[b]; }\n"
	"    }\n"
	"  });\n"
	"  m.textContent = calls ? fmtInt(calls) + (calls === 1 ? ' call' : ' calls') + ' \\u00b7 ' + fmtDur(time) +\n"
	"    (busy ? ' (' + pct(time, busy) + ')' : '') : 'no match';\n"
	"  if (!calls) m.className = 'none';\n"
	"  if (cur.kind === 'table') showTable();\n"
	"  schedule();\n"
	"}\n"
	"\n"
	"/* ---- the functions table ---- */\n"
	"var sortKey = 'total', sortDesc = true;\n"
	"function showTable() {\n"
	"  if (!funcs) funcs = buildFunctions(timeline);\n"
	"  var box = $('table');\n"
	"  box.textContent = '';\n"
	"  var cols = [['fn', 'Function', 'l'], ['file', 'File', 'l'], ['calls', 'Calls'], ['total', 'Total'],\n"
	"    ['self', 'Self'], ['avg', 'Avg'], ['max', 'Max']];\n"
	"  var rows = funcs.filter(function (f) { return !matchName || matchName[f.ni]; });\n"
	"  var val = function (f, k) {\n"
	"    return k === 'fn' ? fnLabel(f.ni) : k === 'file' ? names[f.ni][1] : k === 'avg' ? f.total / f.calls : f[k];\n"
	"  };\n"
	"  rows.sort(function (a, b) {\n"
	"    var x = val(a, sortKey), y = val(b, sortKey);\n"
	"    var c = typeof x === 'string' ? x.localeCompare(y) : x - y;\n"
	"    if (sortDesc) c = -c;\n"
	"    return c || fnLabel(a.ni).localeCompare(fnLabel(b.ni));\n"
	"  });\n"
	"  var maxTotal = 0;\n"
	"  funcs.forEach(function (f) { if (f.total > maxTotal) maxTotal = f.total; });\n"
	"  var t = el('table'), hr = el('tr');\n"
	"  cols.forEach(function (c) {\n"
	"    var th = el('th', (c[2] || '') + (c[0] === sortKey ? ' sorted' : ''), c[1]);\n"
	"    th.onclick = function () {\n"
	"      if (sortKey === c[0]) sortDesc = !sortDesc;\n"
	"      else { sortKey = c[0]; sortDesc = c[2] !== 'l'; }\n"
	"      showTable();\n"
	"    };\n"
	"    hr.appendChild(th);\n"
	"  });\n"
	"  var thead = el('thead');\n"
	"  thead.appendChild(hr);\n"
	"  t.appendChild(thead);\n"
	"  var tbody = el('tbody'), LIMIT = 2000;\n"
	"  rows.slice(0, LIMIT).forEach(function (f) {\n"
	"    var tr = el('tr'), fn = el('td', 'fn l'), sw = el('span', 'swatch');\n"
	"    sw.style.background = color(f.ni);\n"
	"    fn.appendChild(sw);\n"
	"    fn.appendChild(document.createTextNode(fnLabel(f.ni)));\n"
	"    fn.title = fnLabel(f.ni);\n"
	"    tr.appendChild(fn);\n"
	"    var file = el('td', 'file', names[f.ni][1] ? names[f.ni][1] + ':' + f.line : '');\n"
	"    file.title = file.textContent;\n"
	"    tr.appendChild(file);\n"
	"    tr.appendChild(el('td', '', fmtInt(f.calls)));\n"
	"    var tot = el('td'), bar = el('span', 'barc');\n"
	"    bar.style.width = Math.max(1, Math.round(60 * f.total / (maxTotal || 1))) + 'px';\n"
	"    tot.appendChild(bar);\n"
	"    tot.appendChild(document.createTextNode(fmtDur(f.total)));\n"
	"    tr.appendChild(tot);\n"
	"    tr.appendChild(el('td', '', fmtDur(f.self)));\n"
	"    tr.appendChild(el('td', '', fmtDur(f.total / f.calls)));\n"
	"    tr.appendChild(el('td', '', fmtDur(f.max)));\n"
	"    tr.onclick = function () {\n"
	"      var q = $('q');\n"
	"      q.value = '^' + escapeRe(fnLabel(f.ni)) + '$';\n"
	"      search(q.value);\n"
	"      setView('time');\n"
	"    };\n"
	"    tbody.appendChild(tr);\n"
	"  });\n"
	"  t.appendChild(tbody);\n"
	"  box.appendChild(t);\n"
	"  if (rows.length > LIMIT) box.appendChild(el('div', 'more', fmtInt(rows.length - LIMIT) + ' more functions: search to narrow the list'));\n"
	"  if (!rows.length) box.appendChild(el('div', 'more', funcs.length ? 'No function matches the search.' : 'No calls traced.'));\n"
	"  box.dataset.rows = String(rows.length);\n"
	"}\n"
	"\n"
	"/* ---- views ---- */\n"
	"var views = { time: timeline, flame: flame, table: { kind: 'table', secs: [] } };\n"
	"function setView(name) {\n"
	"  if (!views[name]) return;\n"
	"  cur = views[name];\n"
	"  hover = null;\n"
	"  hideTip();\n"
	"  Array.prototype.forEach.call(document.querySelectorAll('.tabs button'), function (b) {\n"
	"    b.className = b.dataset.view === name ? 'on' : '';\n"
	"  });\n"
	"  var table = name === 'table';\n"
	"  $('table').hidden = !table;\n"
	"  cv.hidden = table;\n"
	"  if (table) showTable();\n"
	"  crumbs();\n"
	"  draw();\n"
	"}\n"
	"\n"
	"/* ---- events ---- */\n"
	"var drag = null;\n"
	"function pos(e) {\n"
	"  var r = cv.getBoundingClientRect();\n"
	"  return { x: e.clientX - r.left, y: e.clientY - r.top };\n"
	"}\n"
	"cv.addEventListener('mousedown', function (e) {\n"
	"  if (e.button !== 0) return;\n"
	"  var p = pos(e);\n"
	"  drag = { x: p.x, y: p.y, x0: cur.x0, x1: cur.x1, sy: cur.scrollY, moved: false };\n"
	"  cv.focus();\n"
	"  e.preventDefault();\n"
	"});\n"
	"window.addEventListener('mousemove', function (e) {\n"
	"  var p = pos(e), v = cur;\n"
	"  if (drag) {\n"
	"    var dx = p.x - drag.x, dy = p.y - drag.y;\n"
	"    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;\n"
	"    if (!drag.moved) { drag.moved = true; cv.className = 'grab'; hideTip(); }\n"
	"    var span = drag.x1 - drag.x0;\n"
	"    v.x0 = drag.x0 - dx * span / W; v.x1 = v.x0 + span;\n"
	"    v.scrollY = drag.sy - dy;\n"
	"    clampView(v);\n"
	"    schedule();\n"
	"    return;\n"
	"  }\n"
	"  if (e.target !== cv) return;\n"
	"  var h = hitAt(v, p.x, p.y);\n"
	"  var same = h && hover && h.sec === hover.sec && h.box === hover.box && h.lost === hover.lost;\n"
	"  if (!same) { hover = h; schedule(); }\n"
	"  cv.className = h && !h.lost ? 'point' : '';\n"
	"  if (h) showTip(h, p.x, p.y); else hideTip();\n"
	"});\n"
	"window.addEventListener('mouseup', function (e) {\n"
	"  var d = drag;\n"
	"  drag = null;\n"
	"  cv.className = '';\n"
	"  if (!d || d.moved || e.target !== cv) return;\n"
	"  var p = pos(e), h = hitAt(cur, p.x, p.y);\n"
	"  if (!h || h.lost) return;\n"
	"  select(cur, h);\n"
	"  zoomBox(cur, h.sec, h.box);\n"
	"});\n"
	"cv.addEventListener('mouseleave', function () { if (hover) { hover = null; schedule(); } hideTip(); });\n"
	"cv.addEventListener('dblclick', function (e) {\n"
	"  var p = pos(e);\n"
	"  if (!hitAt(cur, p.x, p.y)) reset();\n"
	"});\n"
	"cv.addEventListener('wheel', function (e) {\n"
	"  var v = cur, p = pos(e);\n"
	"  e.preventDefault();\n"
	"  hideTip();\n"
	"  var dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY, dx = e.deltaMode === 1 ? e.deltaX * 16 : e.deltaX;\n"
	"  if (e.ctrlKey || e.metaKey || e.altKey) { zoomBy(v, Math.exp(dy * 0.002), p.x); return; }\n"
	"  if (e.shiftKey) { panBy(v, dy || dx); return; }\n"
	"  if (dx) panBy(v, dx);\n"
	"  if (dy) { v.scrollY += dy; clampView(v); schedule(); }\n"
	"}, { passive: false });\n"
	"window.addEventListener('keydown', function (e) {\n"
	"  var q = $('q');\n"
	"  if (document.activeElement === q) {\n"
	"    if (e.key === 'Escape') { q.value = ''; search(''); q.blur(); }\n"
	"    if (e.key === 'Enter') q.blur();\n"
	"    return;\n"
	"  }\n"
	"  if (e.ctrlKey || e.metaKey || e.altKey) return;\n"
	"  var v = cur, used = true;\n"
	"  switch (e.key) {\n"
	"  case '/': q.focus(); q.select(); break;\n"
	"  case 'Escape': reset(); break;\n"
	"  case '+': case '=': case 'w': zoomBy(v, 0.6); break;\n"
	"  case '-': case '_': case 's': zoomBy(v, 1 / 0.6); break;\n"
	"  case 'ArrowLeft': case 'a': panBy(v, -W / 6); break;\n"
	"  case 'ArrowRight': case 'd': panBy(v, W / 6); break;\n"
	"  case 'ArrowUp': v.scrollY -= 3 * ROW; clampView(v); schedule(); break;\n"
	"  case 'ArrowDown': v.scrollY += 3 * ROW; clampView(v); schedule(); break;\n"
	"  case '1': setView('time'); break;\n"
	"  case '2': setView('flame'); break;\n"
	"  case '3': setView('table'); break;\n"
	"  default: used = false;\n"
	"  }\n"
	"  if (used) e.preventDefault();\n"
	"});\n"
	"window.addEventListener('resize', schedule);\n"
	"$('q').addEventListener('input', function () { search(this.value); });\n"
	"$('reset').onclick = reset;\n"
	"$('zin').onclick = function () { zoomBy(cur, 0.6); };\n"
	"$('zout').onclick = function () { zoomBy(cur, 1 / 0.6); };\n"
	"Array.prototype.forEach.call(document.querySelectorAll('.tabs button'), function (b) {\n"
	"  b.onclick = function () { setView(b.dataset.view); };\n"
	"});\n"
	"\n"
	"/* ---- header ---- */\n"
	"(function header() {\n"
	"  var title = meta ? (meta.command || 'PID ' + meta.pid) : 'trace';\n"
	"  $('title').textContent = title;\n"
	"  $('title').title = title;\n"
	"  if (meta) document.title = 'flowtrace: ' + title;\n"
	"  var m = $('meta'), calls = 0, lost = 0;\n"
	"  timeline.secs.forEach(function (s) { calls += s.n; lost += s.lostTotal; });\n"
	"  function add(text, cls) {\n"
	"    if (m.childNodes.length) m.appendChild(document.createTextNode(' \\u00b7 '));\n"
	"    m.appendChild(el('span', cls, text));\n"
	"  }\n"
	"  if (meta) {\n"
	"    add('PID ' + meta.pid);\n"
	"    if (meta.python) add('CPython ' + meta.python + (meta.probe ? ' (' + meta.probe + ')' : ''));\n"
	"    add(fmtDur(meta.duration_ns) + ' traced');\n"
	"    if (meta.start_wall) add('started ' + meta.start_wall.replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC'));\n"
	"    if (meta.lost) lost = meta.lost;\n"
	"  }\n"
	"  add(fmtInt(timeline.secs.length) + (timeline.secs.length === 1 ? ' thread' : ' threads'));\n"
	"  add(fmtInt(calls) + (calls === 1 ? ' call shown' : ' calls shown'));\n"
	"  if (lost) add(fmtInt(lost) + ' records lost', 'bad');\n"
	"  if (D.filtered) add('filtered', 'chip');\n"
	"})();\n"
	"\n"
	"/* ---- go ---- */\n"
	"ctx.font = FONT;\n"
	"resize();\n"
	"ctx.font = FONT;\n"
	"CW = ctx.measureText('MMMMMMMMMM').width / 10 || CW;\n"
	"var t0 = performance.now();\n"
	"if (hashArgs.q) { $('q').value = hashArgs.q; search(hashArgs.q); }\n"
	"setView(views[hashArgs.view] ? hashArgs.view : 'time');\n"
	"statusEl.textContent = 'ok: ' + drawn + ' boxes drawn in ' + (performance.now() - t0).toFixed(1) + ' ms';\n"
	"statusEl.dataset.boxes = String(drawn);\n"
	"if ('selftest' in hashArgs) selftest();\n"
	"\n"
	"/* ---- self-test: #selftest drives the page as a user would, for the\n"
	" * headless browser check ---- */\n"
	"function selftest() {\n"
	"  var res = [], fails = [];\n"
	"  function check(name, ok) { res.push(ok); if (!ok) fails.push(name); }\n"
	"  function near(a, b) { return Math.abs(a - b) <= Math.max(1e-6, Math.abs(b) * 1e-6); }\n"
	"  function fire(type, x, y, opts) {\n"
	"    var r = cv.getBoundingClientRect(), o = { bubbles: true, cancelable: true, clientX: r.left + x, clientY: r.top + y, button: 0 };\n"
	"    for (var k in opts) o[k] = opts[k];\n"
	"    cv.dispatchEvent(new MouseEvent(type, o));\n"
	"  }\n"
	"  function centre(v, s, b) {\n"
	"    var k = W / (v.x1 - v.x0), x0 = Math.max(0, (s.start[b] - v.x0) * k), x1 = Math.min(W, (s.start[b] + s.dur[b] - v.x0) * k);\n"
	"    return { x: (x0 + x1) / 2, y: s.y - v.scrollY + HEAD + s.depth[b] * ROW + ROW / 2 };\n"
	"  }\n"
	"  function key(k) { window.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true })); }\n"
	"  var s = timeline.secs[0];\n"
	"  check('drew boxes', !s || drawn > 0);\n"
	"  if (s) {\n"
	"    /* the widest root: hover shows its name */\n"
	"    var row = s.rows[0], b = row[0];\n"
	"    for (var i = 1; i < row.length; i++) if (s.dur[row[i]] > s.dur[b]) b = row[i];\n"
	"    var p = centre(timeline, s, b);\n"
	"    fire('mousemove', p.x, p.y);\n"
	"    check('hover shows tooltip', !tip.hidden && tip.textContent.indexOf(fnLabel(s.name[b])) >= 0);\n"
	"    /* a click on a child zooms to it */\n"
	"    var c = s.rows[1] && s.rows[1].length ? s.rows[1][0] : b;\n"
	"    p = centre(timeline, s, c);\n"
	"    fire('mousedown', p.x, p.y, { buttons: 1 });\n"
	"    fire('mouseup', p.x, p.y);\n"
	"    var span = Math.max(s.dur[c], MIN_SPAN);\n"
	"    check('click zooms to the call', near(timeline.x0, s.start[c] - span * 0.01) || (timeline.x0 === 0 && timeline.x1 === timeline.end));\n"
	"    check('crumbs show the path', $('crumbs').textContent.indexOf(fnLabel(s.name[c])) >= 0 &&\n"
	"      (s.parent[c] < 0 || $('crumbs').textContent.indexOf(fnLabel(s.name[s.parent[c]])) >= 0));\n"
	"    $('reset').click();\n"
	"    check('reset shows everything', timeline.x0 === 0 && timeline.x1 === timeline.end && !timeline.sel);\n"
	"    /* wheel with ctrl zooms in */\n"
	"    fire('wheel', W / 2, p.y, { deltaY: -300, ctrlKey: true });\n"
	"    check('ctrl+wheel zooms', timeline.x1 - timeline.x0 < timeline.end);\n"
	"    key('Escape');\n"
	"    check('Escape resets', timeline.x0 === 0 && timeline.x1 === timeline.end);\n"
	"    /* search: the count matches the data */\n"
	"    var target = fnLabel(s.name[c]), want = 0;\n"
	"    timeline.secs.forEach(function (t) { for (var j = 0; j < t.n; j++) if (fnLabel(t.name[j]) === target) want++; });\n"
	"    var q = $('q');\n"
	"    q.value = '^' + escapeRe(target) + '$';\n"
	"    q.dispatchEvent(new Event('input'));\n"
	"    check('search counts matches', $('matches').textContent.indexOf(fmtInt(want) + (want === 1 ? ' call' : ' calls')) === 0);\n"
	"    draw();\n"
	"    check('search dims the rest', drawn > 0);\n"
	"    q.value = '';\n"
	"    q.dispatchEvent(new Event('input'));\n"
	"    check('search clears', $('matches').textContent === '' && !matchName);\n"
	"    /* flame graph: one box per thread on top, click zooms */\n"
	"    document.querySelector('.tabs button[data-view=flame]').click();\n"
	"    check('flame view draws', cur === flame && drawn >= timeline.secs.length);\n"
	"    var fs = flame.secs[0], fb = fs.rows[0][0];\n"
	"    p = centre(flame, fs, fb);\n"
	"    fire('mousemove', p.x, p.y);\n"
	"    check('flame hover', !tip.hidden && tip.textContent.indexOf('of all') >= 0);\n"
	"    if (fs.rows[1]) {\n"
	"      var fc = fs.rows[1][0];\n"
	"      p = centre(flame, fs, fc);\n"
	"      fire('mousedown', p.x, p.y, { buttons: 1 });\n"
	"      fire('mouseup', p.x, p.y);\n"
	"      check('flame click zooms', flame.x1 - flame.x0 <= fs.dur[fc] * 1.03 + MIN_SPAN);\n"
	"      key('Escape');\n"
	"    }\n"
	"    /* functions table */\n"
	"    document.querySelector('.tabs button[data-view=table]').click();\n"
	"    check('table lists functions', Number($('table').dataset.rows) === funcs.length && funcs.length > 0);\n"
	"    var firstRow = document.querySelector('#table tbody tr');\n"
	"    firstRow.click();\n"
	"    check('table row searches', cur === timeline && $('q').value.length > 0 && !!matchName);\n"
	"    q.value = '';\n"
	"    q.dispatchEvent(new Event('input'));\n"
	"    fire('mouseleave', 0, 0);\n"
	"    setView('time');\n"
	"  }\n"
	"  var out = el('div', '', 'selftest: ' + res.filter(Boolean).length + ' passed, ' + fails.length + ' failed' +\n"
	"    (fails.length ? ': ' + fails.join('; ') : ''));\n"
	"  out.id = 'selftest';\n"
	"  document.body.appendChild(out);\n"
	"}\n"
	"}\n"
	"})();\n";

static int html_end(struct render_ctx *rc, const struct calltree *ct)
{
	static const cookie_io_functions_t io = {.write = script_safe_write};
	struct html h = {.names = rc->names};
	FILE *data;
	int err;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>",
	      rc->out);
	put_title(rc->out, rc->meta);
	fputs("</title>\n", rc->out);
	fputs(page_head, rc->out);
	fputs(page_body, rc->out);
	fputs("<script type=\"application/json\" id=\"ft-data\">", rc->out);
	fflush(rc->out);

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
	free(h.slots);
	free(h.slot_idx);
	free(h.order);

	fputs("</script>\n<script>\n", rc->out);
	fputs(page_script, rc->out);
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
