/* SPDX-License-Identifier: MIT */
/* Printing of the per-function report (`flowtrace-bpf report`) and of the
 * before/after comparison of two (`flowtrace-bpf diff`), as text or JSON.
 * The numbers come from core/report.h and core/report_diff.h. */
#ifndef FT_REPORT_H
#define FT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "core/report.h"

/* What the report and diff subcommands print. */
struct report_opts {
	enum report_sort sort;
	bool per_thread; /* report: one table per thread; diff ignores it */
	bool processes;	 /* the trace holds several processes: say each thread's */
	bool json;	 /* JSON instead of the text table */
	int limit;	 /* rows per table; 0 = all */
	/* diff: what A and B were (file names), shown in the text header */
	const char *before_label;
	const char *after_label;
};

/* Writes the report: the text table (uftrace report's layout), or a JSON
 * array of {func, file, line, calls, total_ns, self_ns, avg_ns, max_ns}
 * with "tid" and "thread" on each object when per thread. Returns 0 or
 * -errno (-EIO when the stream failed). */
int report__print(const struct report *r, const struct report_opts *opts, FILE *out);

/* Writes the comparison of the merged tables of a (before) and b (after):
 * calls, total and self time of each function with deltas, largest
 * increase first (by the sort key: total, then self, by default).
 * Functions called in only one of them are marked (gone) or (new). JSON:
 * an array of {func, file, line, status, before, after, delta} where
 * status is "changed", "same", "new" or "gone" and before/after are null
 * when absent. Returns 0 or -errno. */
int report_diff_print(const struct report *a, const struct report *b,
		      const struct report_opts *opts, FILE *out);

#endif /* FT_REPORT_H */
