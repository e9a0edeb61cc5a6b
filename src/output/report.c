// SPDX-License-Identifier: MIT
/* The report's text table and JSON array (output/report.h); the numbers
 * come from core/report.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/report.h"
#include "output/jsonw.h"
#include "output/render.h"
#include "output/render_priv.h"
#include "output/report.h"
#include "output/report_priv.h"

size_t report_shown_rows(size_t n, const struct report_opts *opts)
{
	return opts->limit > 0 && (size_t)opts->limit < n ? (size_t)opts->limit : n;
}

/* ---- text output ---- */

/* Names come from the traced program's memory: render_put_text() shows
 * anything that could drive a terminal as \xNN, as the tree format does. */
static void put_text(FILE *out, const char *str)
{
	render_put_text(out, str, strlen(str), NULL, NULL);
}

void report_put_function(FILE *out, const struct report_entry *e)
{
	/* only the placeholder of unbound ids carries the flag */
	if (e->name_flags & FT_NAME_UNKNOWN) {
		fputs("<unknown>", out);
		return;
	}
	put_text(out, e->func);
	if (e->name_flags & FT_NAME_FUNC_CUT)
		fputs("...", out);
	if (!*e->file)
		return;
	fputs(" (", out);
	put_text(out, e->file);
	if (e->name_flags & FT_NAME_FILE_CUT)
		fputs("...", out);
	fprintf(out, ":%" PRIu32 ")", e->line);
}

static int print_table_text(const struct report_table *t, const struct report_opts *opts, FILE *out)
{
	const struct report_entry **v = report_table_sorted(t, opts->sort);
	size_t n = report_shown_rows(t->nentries, opts);
	char b1[16], b2[16], b3[16], b4[16];

	if (!v)
		return -ENOMEM;
	fprintf(out, "  %10s  %10s  %10s  %10s  %10s  %s\n", "Total time", "Self time", "Calls",
		"Avg time", "Max time", "Function");
	fputs("  ==========  ==========  ==========  ==========  ==========  "
	      "====================\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct report_entry *e = v[i];

		fprintf(out, "  %10s  %10s  %10" PRIu64 "  %10s  %10s  ",
			fmt_duration(b1, e->total_ns), fmt_duration(b2, e->self_ns), e->calls,
			fmt_duration(b3, report_entry_avg_ns(e)), fmt_duration(b4, e->max_ns));
		report_put_function(out, e);
		fputc('\n', out);
	}
	if (n < t->nentries)
		fprintf(out, "  ... %zu more functions\n", t->nentries - n);
	if (t->lost)
		fprintf(out, "# %" PRIu64 " records were lost: some calls are missing here\n",
			t->lost);
	free(v);
	return 0;
}

static void put_thread_header(FILE *out, const struct report_table *t, bool processes)
{
	fprintf(out, "#\n# thread %" PRIu32, t->tid);
	if (*t->comm) {
		char comm[sizeof(t->comm) + 1] = {0};

		memcpy(comm, t->comm, sizeof(t->comm));
		fputs(" (", out);
		put_text(out, comm);
		fputc(')', out);
	}
	if (processes && t->pid)
		fprintf(out, " in PID %" PRIu32, t->pid);
	fputc('\n', out);
}

static int print_text(const struct report *r, const struct report_opts *opts, FILE *out)
{
	bool shown = false;
	int err;

	if (!report__any_calls(r)) {
		fputs("# no calls traced\n", out);
		return 0;
	}
	if (!opts->per_thread) {
		if (!report__merged(r)->nentries) {
			fputs("# no calls match the filters\n", out);
			return 0;
		}
		return print_table_text(report__merged(r), opts, out);
	}
	for (size_t i = 0; i < report__nthreads(r); i++) {
		const struct report_table *t = report__thread_at(r, i);

		/* like the tree: a thread with nothing shown takes no room */
		if (!t->nentries)
			continue;
		put_thread_header(out, t, opts->processes);
		err = print_table_text(t, opts, out);
		if (err)
			return err;
		shown = true;
	}
	if (!shown)
		fputs("# no calls match the filters\n", out);
	return 0;
}

/* ---- JSON output ---- */

void report_json_name(struct jsonw *w, const struct report_entry *e)
{
	jsonw__key_string(w, "func", e->func);
	jsonw__key_string(w, "file", e->file);
	jsonw__key_uint(w, "line", e->line);
}

void report_json_name_flags(struct jsonw *w, const struct report_entry *e)
{
	if (e->name_flags & FT_NAME_CUT)
		jsonw__key_bool(w, "name_truncated", true);
	if (e->name_flags & FT_NAME_UNKNOWN)
		jsonw__key_bool(w, "name_unknown", true);
}

static int print_table_json(struct jsonw *w, const struct report_table *t,
			    const struct report_opts *opts, bool thread)
{
	const struct report_entry **v = report_table_sorted(t, opts->sort);
	size_t n = report_shown_rows(t->nentries, opts);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct report_entry *e = v[i];

		jsonw__begin_object(w);
		if (thread) {
			jsonw__key_uint(w, "tid", t->tid);
			if (opts->processes && t->pid)
				jsonw__key_uint(w, "pid", t->pid);
			jsonw__key(w, "thread");
			jsonw__string_len(w, t->comm, strnlen(t->comm, sizeof(t->comm)));
		}
		report_json_name(w, e);
		jsonw__key_uint(w, "calls", e->calls);
		jsonw__key_uint(w, "total_ns", e->total_ns);
		jsonw__key_uint(w, "self_ns", e->self_ns);
		jsonw__key_uint(w, "avg_ns", report_entry_avg_ns(e));
		jsonw__key_uint(w, "max_ns", e->max_ns);
		report_json_name_flags(w, e);
		jsonw__end_object(w);
	}
	free(v);
	return 0;
}

static int print_json(const struct report *r, const struct report_opts *opts, FILE *out)
{
	struct jsonw *w = jsonw__new(out);
	int err = 0;

	if (!w)
		return -ENOMEM;
	jsonw__begin_array(w);
	if (!opts->per_thread)
		err = print_table_json(w, report__merged(r), opts, false);
	for (size_t i = 0; opts->per_thread && i < report__nthreads(r) && !err; i++)
		err = print_table_json(w, report__thread_at(r, i), opts, true);
	jsonw__end_array(w);
	jsonw__newline(w);
	if (!err)
		err = jsonw__error(w);
	jsonw__free(w);
	return err;
}

int report__print(const struct report *r, const struct report_opts *opts, FILE *out)
{
	int err = opts->json ? print_json(r, opts, out) : print_text(r, opts, out);

	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}
