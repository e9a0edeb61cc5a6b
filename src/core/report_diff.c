// SPDX-License-Identifier: MIT
/* The before/after comparison of two reports: their merged tables paired
 * by (function, file), with deltas, sorted by the largest increase. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "core/report_diff.h"

static const struct report_entry empty_entry;

static int64_t delta(uint64_t a, uint64_t b)
{
	return (int64_t)(b - a);
}

static int cmp_i64_desc(int64_t a, int64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct report_diff_row *a = pa, *b = pb;
	enum report_sort sort = *(const enum report_sort *)arg;
	int c = 0;

	switch (sort) {
	case REPORT_SORT_TOTAL:
		c = cmp_i64_desc(a->total, b->total);
		if (!c)
			c = cmp_i64_desc(a->self, b->self);
		break;
	case REPORT_SORT_SELF:
		c = cmp_i64_desc(a->self, b->self);
		if (!c)
			c = cmp_i64_desc(a->total, b->total);
		break;
	case REPORT_SORT_CALLS:
		c = cmp_i64_desc(a->calls, b->calls);
		break;
	case REPORT_SORT_AVG:
		c = cmp_i64_desc(a->avg, b->avg);
		break;
	case REPORT_SORT_MAX:
		c = cmp_i64_desc(a->max, b->max);
		break;
	case REPORT_SORT_NAME:
		break;
	}
	return c ? c : report_entry_cmp_name(report_diff_row_any(a), report_diff_row_any(b));
}

static int cmp_name_ptrs(const void *pa, const void *pb, void *arg)
{
	return report_entry_cmp_name(*(const struct report_entry *const *)pa,
				     *(const struct report_entry *const *)pb);
}

/* Pairs the functions of two tables by (function, file): the tables come
 * from different name tables, so by string, through two name-sorted
 * lists. Returns the rows (count in *n), or NULL without memory. */
static struct report_diff_row *pair_rows(const struct report_table *ta,
					 const struct report_table *tb, size_t *n)
{
	const struct report_entry **va = report_table_sorted(ta, REPORT_SORT_NAME);
	const struct report_entry **vb = report_table_sorted(tb, REPORT_SORT_NAME);
	struct report_diff_row *rows = calloc(ta->nentries + tb->nentries + 1, sizeof(*rows));
	size_t i = 0, j = 0, k = 0;

	if (!va || !vb || !rows) {
		free(va);
		free(vb);
		free(rows);
		return NULL;
	}
	/* report_table_sorted() breaks ties by name only after the key: with the name key
	 * the order is exactly by (func, file) */
	while (i < ta->nentries || j < tb->nentries) {
		int c = i == ta->nentries   ? 1
			: j == tb->nentries ? -1
					    : cmp_name_ptrs(&va[i], &vb[j], NULL);
		struct report_diff_row *r = &rows[k++];
		const struct report_entry *a, *b;

		r->a = c <= 0 ? va[i++] : NULL;
		r->b = c >= 0 ? vb[j++] : NULL;
		a = r->a ? r->a : &empty_entry;
		b = r->b ? r->b : &empty_entry;
		r->calls = delta(a->calls, b->calls);
		r->total = delta(a->total_ns, b->total_ns);
		r->self = delta(a->self_ns, b->self_ns);
		r->avg = delta(report_entry_avg_ns(a), report_entry_avg_ns(b));
		r->max = delta(a->max_ns, b->max_ns);
	}
	free(va);
	free(vb);
	*n = k;
	return rows;
}

const char *report_diff_row_status(const struct report_diff_row *r)
{
	if (!r->a)
		return "new";
	if (!r->b)
		return "gone";
	return r->calls || r->total || r->self ? "changed" : "same";
}

struct report_diff_row *report_diff_rows(const struct report *a, const struct report *b,
					 enum report_sort sort, size_t *n)
{
	struct report_diff_row *rows = pair_rows(report__merged(a), report__merged(b), n);

	if (!rows) {
		errno = ENOMEM;
		return NULL;
	}
	qsort_r(rows, *n, sizeof(*rows), cmp_rows, &sort);
	return rows;
}
