/* SPDX-License-Identifier: MIT */
/* Per-function summary of a call forest, for `flowtrace-bpf report` and
 * `flowtrace-bpf diff`. Pure: the caller loads the forest and names; this
 * module aggregates (output/report.h prints).
 *
 * A function is keyed on (function name, file): the line the marker gives
 * is the line being entered, which for a generator resume is not the def
 * line, so the key leaves it out and the smallest line seen is shown.
 *
 * total: the time of the calls that have no call of the same function
 * above them on the stack, so recursion is not counted twice. self: a
 * call's duration less the durations of its shown children, summed over
 * all calls. Display filters apply as everywhere else: only shown calls
 * are counted, and the time of hidden or pruned calls is self time of the
 * nearest shown caller (the tree a renderer would show, aggregated). */
#ifndef FT_CORE_REPORT_H
#define FT_CORE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct calltree;
struct names;
struct filter;

enum report_sort {
	REPORT_SORT_TOTAL, /* default */
	REPORT_SORT_SELF,
	REPORT_SORT_CALLS,
	REPORT_SORT_AVG,
	REPORT_SORT_MAX,
	REPORT_SORT_NAME,
};

/* Parses a --sort key ("total", "self", "calls", "avg", "max", "name").
 * Returns 0 or -EINVAL. */
int report_sort_parse(const char *s, enum report_sort *sort);
/* "total, self, calls, avg, max, name": for help and error messages */
const char *report_sort_names(void);

/* One function's numbers. func and file point into the names table the
 * report was built from, which must outlive the report. */
struct report_entry {
	const char *func;
	const char *file;
	uint32_t line;	     /* smallest entry line seen */
	uint32_t name_flags; /* FT_NAME_* of the name (cut, unknown) */
	uint64_t calls;	     /* calls seen, unfinished ones included */
	uint64_t total_ns;
	uint64_t self_ns;
	uint64_t max_ns; /* longest single call */
};

/* The functions of one thread, or of all threads merged. Entries are in
 * order of first call; report_table_sorted() gives a sorted view. */
struct report_table {
	uint32_t tid; /* 0 for the merged table */
	uint32_t pid; /* the thread's process; 0: not known, or the merged table */
	char comm[16];
	struct report_entry *entries;
	size_t nentries;
	uint64_t lost; /* lost-record markers' counts, summed */
};

struct report;

/* Aggregates the forest through the filter (NULL: everything). Returns
 * NULL with errno set on allocation failure. */
struct report *report__build(const struct calltree *ct, const struct names *names,
			     struct filter *filter);
void report__free(struct report *r);

const struct report_table *report__merged(const struct report *r);
size_t report__nthreads(const struct report *r);
const struct report_table *report__thread_at(const struct report *r, size_t i);
/* Whether the forest had any call, shown by the filter or not. */
bool report__any_calls(const struct report *r);

/* Finds a function in a table; NULL if it was not called. */
const struct report_entry *report_table_find(const struct report_table *t, const char *func,
					     const char *file);

/* total / calls; 0 without calls */
uint64_t report_entry_avg_ns(const struct report_entry *e);
/* by function name, then file */
int report_entry_cmp_name(const struct report_entry *a, const struct report_entry *b);

/* The table's entries as pointers, sorted by the key (largest first; equal
 * keys by name, so the order never depends on walk order); the caller
 * frees the array. NULL without memory (or when empty: check nentries). */
const struct report_entry **report_table_sorted(const struct report_table *t,
						enum report_sort sort);

#endif /* FT_CORE_REPORT_H */
