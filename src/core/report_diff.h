/* SPDX-License-Identifier: MIT */
/* The before/after comparison of two reports (`flowtrace-bpf diff`): the
 * functions of their merged tables paired by (function, file), since the
 * two come from different name tables, with the deltas of their numbers.
 * Pure; output/report.h prints it. */
#ifndef FT_CORE_REPORT_DIFF_H
#define FT_CORE_REPORT_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "core/report.h"

/* One function of either report. */
struct report_diff_row {
	const struct report_entry *a, *b;     /* NULL: not called there */
	int64_t calls, total, self, avg, max; /* b - a */
};

/* The rows of a (before) against b (after), largest increase first by the
 * sort key (total: then self; self: then total), equal ones by name; the
 * count in *n. The caller frees the rows; the reports must outlive them.
 * Returns NULL with errno set without memory. */
struct report_diff_row *report_diff_rows(const struct report *a, const struct report *b,
					 enum report_sort sort, size_t *n);

/* "changed", "same", "new" (only in b) or "gone" (only in a) */
const char *report_diff_row_status(const struct report_diff_row *r);

/* The entry that names the row: a's, or b's for a new function. */
static inline const struct report_entry *report_diff_row_any(const struct report_diff_row *r)
{
	return r->a ? r->a : r->b;
}

#endif /* FT_CORE_REPORT_DIFF_H */
