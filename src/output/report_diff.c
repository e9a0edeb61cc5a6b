// SPDX-License-Identifier: MIT
/* The diff's text table and JSON array (output/report.h); the rows come
 * from core/report_diff.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "core/report_diff.h"
#include "output/jsonw.h"
#include "output/render.h"
#include "output/report.h"
#include "output/report_priv.h"

static const struct report_entry empty_entry;

/* A signed duration in fmt_duration's units: "+1.500 ms", "-3.000 us",
 * "0.000 us". buf must hold 20 bytes. */
static char *fmt_delta(char *buf, int64_t d)
{
	char tmp[16];
	const char *p = fmt_duration(tmp, d < 0 ? -(uint64_t)d : (uint64_t)d);

	while (*p == ' ')
		p++;
	snprintf(buf, 20, "%s%s", d > 0 ? "+" : d < 0 ? "-" : "", p);
	return buf;
}

/* change relative to before: "+12.5%"; "-" when there was nothing before */
static char *fmt_pct(char *buf, size_t size, uint64_t before, int64_t d)
{
	double pct;

	if (!before) {
		snprintf(buf, size, "-");
		return buf;
	}
	pct = 100.0 * (double)d / (double)before;
	if (!d)
		snprintf(buf, size, "0.0%%");
	else if (pct >= 1000.0 || pct <= -1000.0)
		snprintf(buf, size, "%+.0f%%", pct);
	else
		snprintf(buf, size, "%+.1f%%", pct);
	return buf;
}

/* a group title over width columns: "----- Total time -----" */
static void put_group_title(FILE *out, const char *s, int width)
{
	int len = (int)strlen(s) + 2, left = (width - len) / 2;

	fputs("  ", out);
	for (int i = 0; i < left; i++)
		fputc('-', out);
	fprintf(out, " %s ", s);
	for (int i = left + len; i < width; i++)
		fputc('-', out);
}

/* before, after, delta and percentage of one duration column group */
static void put_dur_group(FILE *out, const struct report_diff_row *r, uint64_t a, uint64_t b,
			  int64_t d)
{
	char sa[16], sb[16], sd[20], sp[24];

	fprintf(out, "  %10s  %10s  %11s  %7s", r->a ? fmt_duration(sa, a) : "-",
		r->b ? fmt_duration(sb, b) : "-", fmt_delta(sd, d),
		fmt_pct(sp, sizeof(sp), r->a ? a : 0, d));
}

static void put_count(FILE *out, bool present, uint64_t v)
{
	if (present)
		fprintf(out, "  %10" PRIu64, v);
	else
		fprintf(out, "  %10s", "-");
}

static void print_diff_text(const struct report_diff_row *rows, size_t n, size_t total,
			    const struct report_opts *opts, FILE *out)
{
	static const char rule[] = "  ==========  ==========  ===========  =======";

	fprintf(out, "# before: %s\n# after:  %s\n#\n",
		opts->before_label ? opts->before_label : "A",
		opts->after_label ? opts->after_label : "B");
	if (!total) {
		fputs("# no calls in either trace\n", out);
		return;
	}
	put_group_title(out, "Total time", 44);
	put_group_title(out, "Self time", 44);
	put_group_title(out, "Calls", 35);
	fputc('\n', out);
	for (int g = 0; g < 2; g++)
		fprintf(out, "  %10s  %10s  %11s  %7s", "Before", "After", "Delta", "%");
	fprintf(out, "  %10s  %10s  %11s  %s\n", "Before", "After", "Delta", "Function");
	fprintf(out, "%s%s  ==========  ==========  ===========  ====================\n", rule,
		rule);
	for (size_t i = 0; i < n; i++) {
		const struct report_diff_row *r = &rows[i];
		const struct report_entry *a = r->a ? r->a : &empty_entry;
		const struct report_entry *b = r->b ? r->b : &empty_entry;
		struct report_entry name = *report_diff_row_any(r);

		put_dur_group(out, r, a->total_ns, b->total_ns, r->total);
		put_dur_group(out, r, a->self_ns, b->self_ns, r->self);
		put_count(out, r->a, a->calls);
		put_count(out, r->b, b->calls);
		if (r->calls)
			fprintf(out, "  %+11" PRId64 "  ", r->calls);
		else
			fprintf(out, "  %11s  ", "0");
		if (r->a && r->b && b->line < name.line)
			name.line = b->line;
		report_put_function(out, &name);
		if (!r->a)
			fputs("  (new)", out);
		else if (!r->b)
			fputs("  (gone)", out);
		fputc('\n', out);
	}
	if (n < total)
		fprintf(out, "  ... %zu more functions\n", total - n);
}

static void json_side(struct jsonw *w, const char *key, const struct report_entry *e)
{
	jsonw__key(w, key);
	if (!e) {
		jsonw__null(w);
		return;
	}
	jsonw__begin_object(w);
	jsonw__key_uint(w, "calls", e->calls);
	jsonw__key_uint(w, "total_ns", e->total_ns);
	jsonw__key_uint(w, "self_ns", e->self_ns);
	jsonw__key_uint(w, "avg_ns", report_entry_avg_ns(e));
	jsonw__key_uint(w, "max_ns", e->max_ns);
	jsonw__end_object(w);
}

static int print_diff_json(const struct report_diff_row *rows, size_t n, FILE *out)
{
	struct jsonw *w = jsonw__new(out);
	int err;

	if (!w)
		return -ENOMEM;
	jsonw__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		const struct report_diff_row *r = &rows[i];
		struct report_entry name = *report_diff_row_any(r);

		if (r->a && r->b && r->b->line < name.line)
			name.line = r->b->line;
		if (r->a && r->b)
			name.name_flags |= r->b->name_flags;
		jsonw__begin_object(w);
		report_json_name(w, &name);
		jsonw__key_string(w, "status", report_diff_row_status(r));
		json_side(w, "before", r->a);
		json_side(w, "after", r->b);
		jsonw__key(w, "delta");
		jsonw__begin_object(w);
		jsonw__key_int(w, "calls", r->calls);
		jsonw__key_int(w, "total_ns", r->total);
		jsonw__key_int(w, "self_ns", r->self);
		jsonw__end_object(w);
		report_json_name_flags(w, &name);
		jsonw__end_object(w);
	}
	jsonw__end_array(w);
	jsonw__newline(w);
	err = jsonw__error(w);
	jsonw__free(w);
	return err;
}

int report_diff_print(const struct report *a, const struct report *b,
		      const struct report_opts *opts, FILE *out)
{
	size_t n = 0;
	struct report_diff_row *rows = report_diff_rows(a, b, opts->sort, &n);
	int err = 0;

	if (!rows)
		return -ENOMEM;
	if (opts->json)
		err = print_diff_json(rows, report_shown_rows(n, opts), out);
	else
		print_diff_text(rows, report_shown_rows(n, opts), n, opts, out);
	free(rows);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}
