// SPDX-License-Identifier: MIT
/* Per-function report and diff: the aggregation (core/report.c: self and
 * total time, recursion counted once, generator resumes folded into one
 * function, threads, filters, losses, sort orders), the diff's pairing
 * (core/report_diff.c) and the printing (output/report.c, report_diff.c:
 * limits, text and JSON layouts). */
#include <errno.h>
#include <stdlib.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "json_check.h"
#include "core/names.h"
#include "core/report.h"
#include "core/report_diff.h"
#include "output/report.h"
#include "test.h"

/* ---- forests through the real builder ---- */

struct drive {
	struct calltree *ct;
	struct names *names;
	struct {
		uint32_t tid, seq;
		int32_t depth;
	} th[4];
	size_t nth;
};

static size_t thread_slot(struct drive *d, uint32_t tid)
{
	for (size_t i = 0; i < d->nth; i++)
		if (d->th[i].tid == tid)
			return i;
	FT_TRUE(d->nth < 4);
	d->th[d->nth].tid = tid;
	d->th[d->nth].seq = 0;
	d->th[d->nth].depth = 0;
	return d->nth++;
}

static void enter(struct drive *d, uint32_t tid, uint64_t ts, uint32_t name)
{
	size_t i = thread_slot(d, tid);

	d->th[i].depth++;
	FT_EQ_INT(calltree__push(d->ct, tid, ts, d->th[i].seq++, d->th[i].depth, name), 0);
}

static void leave(struct drive *d, uint32_t tid, uint64_t ts)
{
	size_t i = thread_slot(d, tid);

	FT_EQ_INT(calltree__pop(d->ct, tid, ts, d->th[i].seq++, d->th[i].depth, 0), 0);
	d->th[i].depth--;
}

static void bind(struct drive *d, uint32_t id, const char *func, const char *file, uint32_t line)
{
	FT_EQ_INT(names__bind(d->names, id, func, strlen(func), file, strlen(file), line, 0), 0);
}

static void drive_init(struct drive *d)
{
	struct calltree_opts o = {.keep = true};

	memset(d, 0, sizeof(*d));
	d->ct = calltree__new(&o);
	d->names = names__new();
	FT_TRUE(d->ct && d->names);
}

static void drive_free(struct drive *d)
{
	calltree__free(d->ct);
	names__free(d->names);
}

enum { F_MAIN = 1, F_A, F_B, F_C, F_FIB, F_GEN, F_GEN_RESUME, F_WORK };

static void bind_all(struct drive *d)
{
	bind(d, F_MAIN, "main", "/app.py", 10);
	bind(d, F_A, "a", "/app.py", 20);
	bind(d, F_B, "b", "/app.py", 30);
	bind(d, F_C, "c", "/lib.py", 5);
	bind(d, F_FIB, "fib", "/app.py", 40);
	bind(d, F_GEN, "gen", "/app.py", 50);
	/* a generator resumed: the marker gives the line it resumes at */
	bind(d, F_GEN_RESUME, "gen", "/app.py", 53);
	bind(d, F_WORK, "work", "/w.py", 1);
}

/* main 1000 ns: a 300 ns (c 100 ns inside), b 200 ns */
static void simple(struct drive *d)
{
	drive_init(d);
	bind_all(d);
	enter(d, 1, 0, F_MAIN);
	enter(d, 1, 100, F_A);
	enter(d, 1, 150, F_C);
	leave(d, 1, 250);
	leave(d, 1, 400);
	enter(d, 1, 500, F_B);
	leave(d, 1, 700);
	leave(d, 1, 1000);
	calltree__finish(d->ct, 2000);
}

static struct report *build(struct drive *d, struct filter *f)
{
	struct report *r = report__build(d->ct, d->names, f);

	FT_TRUE(r);
	return r;
}

static const struct report_entry *find(const struct report_table *t, const char *func,
				       const char *file)
{
	const struct report_entry *e = report_table_find(t, func, file);

	if (!e)
		FT_FAIL("%s (%s) not in the table", func, file);
	return e;
}

#define ENTRY(e, calls_, total_, self_, max_)     \
	do {                                      \
		FT_EQ_U64((e)->calls, calls_);    \
		FT_EQ_U64((e)->total_ns, total_); \
		FT_EQ_U64((e)->self_ns, self_);   \
		FT_EQ_U64((e)->max_ns, max_);     \
	} while (0)

static char *print(const struct report *r, const struct report_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	FT_TRUE(out);
	FT_EQ_INT(report__print(r, o, out), 0);
	fclose(out);
	return buf;
}

static char *print_diff(const struct report *a, const struct report *b, const struct report_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	FT_TRUE(out);
	FT_EQ_INT(report_diff_print(a, b, o, out), 0);
	fclose(out);
	return buf;
}

/* ---- aggregation ---- */

FT_TEST(report_self_and_total)
{
	struct drive d;
	struct report *r;
	const struct report_table *t;

	simple(&d);
	r = build(&d, NULL);
	t = report__merged(r);
	FT_EQ_U64(t->nentries, 4);
	ENTRY(find(t, "main", "/app.py"), 1, 1000, 500, 1000);
	ENTRY(find(t, "a", "/app.py"), 1, 300, 200, 300);
	ENTRY(find(t, "b", "/app.py"), 1, 200, 200, 200);
	ENTRY(find(t, "c", "/lib.py"), 1, 100, 100, 100);
	FT_EQ_U64(find(t, "main", "/app.py")->line, 10);
	FT_TRUE(!report_table_find(t, "main", "/other.py"));
	/* first call first */
	FT_EQ_STR(t->entries[0].func, "main");
	FT_EQ_STR(t->entries[3].func, "b");
	FT_EQ_U64(report__nthreads(r), 1);
	FT_EQ_U64(report__thread_at(r, 0)->tid, 1);
	FT_TRUE(!report__thread_at(r, 1));
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_recursion_counted_once)
{
	struct drive d;
	struct report *r;
	const struct report_table *t;

	drive_init(&d);
	bind_all(&d);
	/* fib 1000 > fib 600 > fib 200, then a > b > a: mutual recursion */
	enter(&d, 1, 0, F_FIB);
	enter(&d, 1, 100, F_FIB);
	enter(&d, 1, 300, F_FIB);
	leave(&d, 1, 500);
	leave(&d, 1, 700);
	leave(&d, 1, 1000);
	enter(&d, 1, 2000, F_A);
	enter(&d, 1, 2100, F_B);
	enter(&d, 1, 2200, F_A);
	leave(&d, 1, 2300);
	leave(&d, 1, 2400);
	leave(&d, 1, 2500);
	/* a second, separate fib: counts again */
	enter(&d, 1, 3000, F_FIB);
	leave(&d, 1, 3050);
	calltree__finish(d.ct, 4000);
	r = build(&d, NULL);
	t = report__merged(r);
	ENTRY(find(t, "fib", "/app.py"), 4, 1050, 1050, 1000);
	ENTRY(find(t, "a", "/app.py"), 2, 500, 300, 500);
	ENTRY(find(t, "b", "/app.py"), 1, 300, 200, 300);
	report__free(r);
	drive_free(&d);
}

/* Thousands of functions, keyed on (function, file): the index grows many
 * times over and still finds each one, the same name in another file is
 * another function, and the table keeps the order of first call. */
FT_TEST(report_many_functions)
{
	enum { NFUNC = 3000, ID0 = 100 };
	struct drive d;
	struct report *r;
	const struct report_table *t;
	char func[16], file[16];
	uint64_t ts = 0;

	drive_init(&d);
	for (int i = 0; i < NFUNC; i++) {
		/* f0..f1499 twice each, in /m0.py and /m1.py */
		snprintf(func, sizeof(func), "f%d", i % (NFUNC / 2));
		snprintf(file, sizeof(file), "/m%d.py", i / (NFUNC / 2));
		bind(&d, ID0 + i, func, file, 1);
	}
	/* thread 1 calls each function twice, thread 2 once, backwards */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < NFUNC; i++) {
			enter(&d, 1, ts, ID0 + i);
			leave(&d, 1, ts + 10);
			ts += 20;
		}
	}
	for (int i = NFUNC - 1; i >= 0; i--) {
		enter(&d, 2, ts, ID0 + i);
		leave(&d, 2, ts + 5);
		ts += 20;
	}
	calltree__finish(d.ct, ts);
	r = build(&d, NULL);
	t = report__merged(r);
	FT_EQ_U64(t->nentries, NFUNC);
	for (int i = 0; i < NFUNC; i++) {
		snprintf(func, sizeof(func), "f%d", i % (NFUNC / 2));
		snprintf(file, sizeof(file), "/m%d.py", i / (NFUNC / 2));
		FT_EQ_STR(t->entries[i].func, func);
		FT_EQ_STR(t->entries[i].file, file);
		ENTRY(&t->entries[i], 3, 25, 25, 10);
	}
	FT_EQ_U64(report__thread_at(r, 0)->nentries, NFUNC);
	FT_EQ_U64(report__thread_at(r, 1)->nentries, NFUNC);
	/* thread 2's table is in its own order of first call */
	FT_EQ_STR(report__thread_at(r, 1)->entries[0].func, "f1499");
	FT_EQ_STR(report__thread_at(r, 1)->entries[0].file, "/m1.py");
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_deep_recursion)
{
	enum { DEEP = 100000 };
	struct drive d;
	struct report *r;

	drive_init(&d);
	bind_all(&d);
	for (int i = 0; i < DEEP; i++)
		enter(&d, 7, i, F_FIB);
	for (int i = DEEP - 1; i >= 0; i--)
		leave(&d, 7, 2 * DEEP - i);
	calltree__finish(d.ct, 3 * DEEP);
	r = build(&d, NULL);
	/* outermost 0..2*DEEP; every level has 1 ns self on each side but the
	 * innermost, which is all self */
	ENTRY(find(report__merged(r), "fib", "/app.py"), DEEP, 2 * DEEP, 2 * DEEP, 2 * DEEP);
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_generator_resumes_fold)
{
	struct drive d;
	struct report *r;
	const struct report_entry *e;

	drive_init(&d);
	bind_all(&d);
	enter(&d, 1, 0, F_GEN_RESUME);
	leave(&d, 1, 10);
	enter(&d, 1, 20, F_GEN);
	leave(&d, 1, 50);
	enter(&d, 1, 60, F_GEN_RESUME);
	leave(&d, 1, 65);
	calltree__finish(d.ct, 100);
	r = build(&d, NULL);
	FT_EQ_U64(report__merged(r)->nentries, 1);
	e = find(report__merged(r), "gen", "/app.py");
	ENTRY(e, 3, 45, 45, 30);
	FT_EQ_U64(e->line, 50);
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_threads_merge)
{
	struct drive d;
	struct report *r;
	const struct report_table *t;

	drive_init(&d);
	bind_all(&d);
	FT_EQ_INT(calltree__thread(d.ct, 100, "python3"), 0);
	FT_EQ_INT(calltree__thread(d.ct, 200, "worker"), 0);
	enter(&d, 100, 0, F_MAIN);
	enter(&d, 200, 10, F_WORK);
	enter(&d, 200, 20, F_FIB);
	enter(&d, 100, 30, F_FIB);
	leave(&d, 100, 60);
	leave(&d, 200, 120);
	leave(&d, 200, 150);
	/* the same recursion spread over two threads is two calls' worth */
	enter(&d, 200, 200, F_MAIN);
	leave(&d, 200, 210);
	leave(&d, 100, 1000);
	calltree__finish(d.ct, 2000);
	r = build(&d, NULL);
	FT_EQ_U64(report__nthreads(r), 2);
	t = report__thread_at(r, 0);
	FT_EQ_U64(t->tid, 100);
	FT_EQ_STR(t->comm, "python3");
	FT_EQ_U64(t->nentries, 2);
	ENTRY(find(t, "main", "/app.py"), 1, 1000, 970, 1000);
	ENTRY(find(t, "fib", "/app.py"), 1, 30, 30, 30);
	t = report__thread_at(r, 1);
	FT_EQ_U64(t->tid, 200);
	FT_EQ_U64(t->nentries, 3);
	ENTRY(find(t, "work", "/w.py"), 1, 140, 40, 140);
	ENTRY(find(t, "fib", "/app.py"), 1, 100, 100, 100);
	ENTRY(find(t, "main", "/app.py"), 1, 10, 10, 10);
	t = report__merged(r);
	FT_EQ_U64(t->tid, 0);
	FT_EQ_U64(t->nentries, 3);
	ENTRY(find(t, "main", "/app.py"), 2, 1010, 980, 1000);
	ENTRY(find(t, "fib", "/app.py"), 2, 130, 130, 100);
	ENTRY(find(t, "work", "/w.py"), 1, 140, 40, 140);
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_unfinished_and_lost)
{
	struct drive d;
	struct report *r;
	const struct report_table *t;
	size_t i;

	drive_init(&d);
	bind_all(&d);
	enter(&d, 1, 0, F_MAIN);
	enter(&d, 1, 100, F_A);
	leave(&d, 1, 200);
	/* five records never arrived */
	i = thread_slot(&d, 1);
	d.th[i].seq += 5;
	enter(&d, 1, 300, F_B);
	leave(&d, 1, 400);
	enter(&d, 1, 500, F_C);
	calltree__finish(d.ct, 1000);
	r = build(&d, NULL);
	t = report__merged(r);
	FT_EQ_U64(t->lost, 5);
	FT_EQ_U64(report__thread_at(r, 0)->lost, 5);
	/* unfinished calls count with the time seen so far */
	ENTRY(find(t, "main", "/app.py"), 1, 1000, 300, 1000);
	ENTRY(find(t, "c", "/lib.py"), 1, 500, 500, 500);
	FT_TRUE(strstr(print(r, &(struct report_opts){0}),
		       "# 5 records were lost: some calls are missing here\n"));
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_filters)
{
	struct drive d;
	struct report *r;
	const struct report_table *t;
	const char *exclude[] = {"a"};
	struct filter f = {.exclude = exclude, .nexclude = 1};

	simple(&d);
	/* a hidden: its time but c's is main's own; c shows under main */
	r = build(&d, &f);
	t = report__merged(r);
	FT_EQ_U64(t->nentries, 3);
	FT_TRUE(!report_table_find(t, "a", "/app.py"));
	ENTRY(find(t, "main", "/app.py"), 1, 1000, 700, 1000);
	ENTRY(find(t, "c", "/lib.py"), 1, 100, 100, 100);
	report__free(r);
	filter__free(&f);

	/* pruned by duration: the subtree's time is the caller's */
	f = (struct filter){.min_dur_ns = 250};
	r = build(&d, &f);
	t = report__merged(r);
	FT_EQ_U64(t->nentries, 2);
	ENTRY(find(t, "main", "/app.py"), 1, 1000, 700, 1000);
	ENTRY(find(t, "a", "/app.py"), 1, 300, 300, 300);
	report__free(r);

	/* depth: only main */
	f = (struct filter){.max_depth = 1};
	r = build(&d, &f);
	t = report__merged(r);
	FT_EQ_U64(t->nentries, 1);
	ENTRY(find(t, "main", "/app.py"), 1, 1000, 1000, 1000);
	report__free(r);

	f = (struct filter){.min_dur_ns = 5000};
	r = build(&d, &f);
	FT_EQ_U64(report__merged(r)->nentries, 0);
	FT_EQ_STR(print(r, &(struct report_opts){0}), "# no calls match the filters\n");
	FT_EQ_STR(print(r, &(struct report_opts){.per_thread = true}),
		  "# no calls match the filters\n");
	FT_EQ_STR(print(r, &(struct report_opts){.json = true}), "[]\n");
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_empty)
{
	struct drive d;
	struct report *r;

	drive_init(&d);
	r = build(&d, NULL);
	FT_EQ_U64(report__merged(r)->nentries, 0);
	FT_EQ_STR(print(r, &(struct report_opts){0}), "# no calls traced\n");
	FT_EQ_STR(print(r, &(struct report_opts){.json = true}), "[]\n");
	report__free(r);
	/* a NULL forest is an empty one */
	r = report__build(NULL, d.names, NULL);
	FT_TRUE(r);
	FT_EQ_U64(report__nthreads(r), 0);
	report__free(r);
	report__free(NULL);
	drive_free(&d);
}

/* ---- text layout ---- */

#define HEAD                                                                       \
	"  Total time   Self time       Calls    Avg time    Max time  Function\n" \
	"  ==========  ==========  ==========  ==========  ==========  "           \
	"====================\n"
#define ROW_MAIN "    1.000 us    0.500 us           1    1.000 us    1.000 us  main (/app.py:10)\n"
#define ROW_A	 "    0.300 us    0.200 us           1    0.300 us    0.300 us  a (/app.py:20)\n"
#define ROW_B	 "    0.200 us    0.200 us           1    0.200 us    0.200 us  b (/app.py:30)\n"
#define ROW_C	 "    0.100 us    0.100 us           1    0.100 us    0.100 us  c (/lib.py:5)\n"

FT_TEST(report_text_layout_and_sorts)
{
	struct drive d;
	struct report *r;
	struct report_opts o = {0};

	simple(&d);
	r = build(&d, NULL);
	FT_EQ_STR(print(r, &o), HEAD ROW_MAIN ROW_A ROW_B ROW_C);
	o.sort = REPORT_SORT_SELF;
	/* a and b tie on self: by name */
	FT_EQ_STR(print(r, &o), HEAD ROW_MAIN ROW_A ROW_B ROW_C);
	o.sort = REPORT_SORT_NAME;
	FT_EQ_STR(print(r, &o), HEAD ROW_A ROW_B ROW_C ROW_MAIN);
	o.sort = REPORT_SORT_CALLS;
	FT_EQ_STR(print(r, &o), HEAD ROW_A ROW_B ROW_C ROW_MAIN);
	o.sort = REPORT_SORT_MAX;
	FT_EQ_STR(print(r, &o), HEAD ROW_MAIN ROW_A ROW_B ROW_C);
	o.sort = REPORT_SORT_TOTAL;
	o.limit = 2;
	FT_EQ_STR(print(r, &o), HEAD ROW_MAIN ROW_A "  ... 2 more functions\n");
	o.limit = 4;
	FT_EQ_STR(print(r, &o), HEAD ROW_MAIN ROW_A ROW_B ROW_C);
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_sort_by_calls_and_avg)
{
	struct drive d;
	struct report *r;
	struct report_opts o = {.sort = REPORT_SORT_CALLS};
	char *out;

	drive_init(&d);
	bind_all(&d);
	/* c: 3 calls of 10; b: 2 calls of 100; a: 1 call of 50 */
	for (int i = 0; i < 3; i++) {
		enter(&d, 1, 10 * i * 10, F_C);
		leave(&d, 1, 10 * i * 10 + 10);
	}
	enter(&d, 1, 1000, F_B);
	leave(&d, 1, 1100);
	enter(&d, 1, 2000, F_B);
	leave(&d, 1, 2100);
	enter(&d, 1, 3000, F_A);
	leave(&d, 1, 3050);
	calltree__finish(d.ct, 4000);
	r = build(&d, NULL);
	out = print(r, &o);
	FT_TRUE(strstr(out, "  c (") < strstr(out, "  b (") &&
		strstr(out, "  b (") < strstr(out, "  a ("));
	FT_TRUE(strstr(out, "    0.030 us    0.030 us           3    0.010 us    0.010 us  c "));
	o.sort = REPORT_SORT_AVG;
	out = print(r, &o);
	FT_TRUE(strstr(out, "  b (") < strstr(out, "  a (") &&
		strstr(out, "  a (") < strstr(out, "  c ("));
	o.sort = REPORT_SORT_TOTAL;
	out = print(r, &o);
	FT_TRUE(strstr(out, "  b (") < strstr(out, "  a (") &&
		strstr(out, "  a (") < strstr(out, "  c ("));
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_text_per_thread)
{
	struct drive d;
	struct report *r;

	drive_init(&d);
	bind_all(&d);
	FT_EQ_INT(calltree__thread(d.ct, 100, "python3"), 0);
	FT_EQ_INT(calltree__thread(d.ct, 200, "work\x1b[1m"), 0);
	FT_EQ_INT(calltree__thread(d.ct, 300, "idle"), 0);
	enter(&d, 100, 0, F_MAIN);
	leave(&d, 100, 1000);
	enter(&d, 200, 0, F_B);
	leave(&d, 200, 200);
	calltree__finish(d.ct, 2000);
	r = build(&d, NULL);
	FT_EQ_STR(print(r, &(struct report_opts){.per_thread = true}),
		  "#\n# thread 100 (python3)\n" HEAD "    1.000 us    1.000 us           1    "
		  "1.000 us    1.000 us  main (/app.py:10)\n"
		  "#\n# thread 200 (work\\x1b[1m)\n" HEAD ROW_B);
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_hostile_names)
{
	struct drive d;
	struct report *r;
	char func[300];
	char *out;

	drive_init(&d);
	memset(func, 'f', sizeof(func) - 1);
	func[sizeof(func) - 1] = 0;
	FT_EQ_INT(names__bind(d.names, 1, "a\"b\n\x01\xff\xc2\x9b", 8, "/t\tx.py", 7, 2, 0), 0);
	FT_EQ_INT(names__bind(d.names, 2, func, strlen(func), "c.py", 4, 3, FT_NAME_FUNC_CUT), 0);
	FT_EQ_INT(names__bind(d.names, 3, "函数", strlen("函数"), "", 0, 4, 0), 0);
	enter(&d, 1, 0, 1);
	leave(&d, 1, 30);
	enter(&d, 1, 100, 2);
	leave(&d, 1, 120);
	enter(&d, 1, 200, 3);
	leave(&d, 1, 210);
	enter(&d, 1, 300, 99);
	leave(&d, 1, 305);
	calltree__finish(d.ct, 1000);
	r = build(&d, NULL);
	out = print(r, &(struct report_opts){0});
	FT_TRUE(strstr(out, "  a\"b\\x0a\\x01\\xff\\xc2\\x9b (/t\\x09x.py:2)\n"));
	FT_TRUE(strstr(out, "fff... (c.py:3)\n"));
	FT_TRUE(strstr(out, "  函数\n"));
	FT_TRUE(strstr(out, "  <unknown>\n"));
	out = print(r, &(struct report_opts){.json = true});
	FT_TRUE(json_check(out, false));
	FT_TRUE(strstr(out, "\"name_truncated\":true"));
	FT_TRUE(strstr(out, "{\"func\":\"<unknown>\",\"file\":\"\",\"line\":0,\"calls\":1,"
			    "\"total_ns\":5,\"self_ns\":5,\"avg_ns\":5,\"max_ns\":5,"
			    "\"name_unknown\":true}"));
	report__free(r);
	drive_free(&d);
}

/* ---- JSON ---- */

FT_TEST(report_json)
{
	struct drive d;
	struct report *r;
	char *out;

	simple(&d);
	r = build(&d, NULL);
	out = print(r, &(struct report_opts){.json = true, .limit = 2});
	FT_TRUE(json_check(out, false));
	FT_EQ_STR(out, "[{\"func\":\"main\",\"file\":\"/app.py\",\"line\":10,\"calls\":1,"
		       "\"total_ns\":1000,\"self_ns\":500,\"avg_ns\":1000,\"max_ns\":1000},"
		       "{\"func\":\"a\",\"file\":\"/app.py\",\"line\":20,\"calls\":1,"
		       "\"total_ns\":300,\"self_ns\":200,\"avg_ns\":300,\"max_ns\":300}]\n");
	out = print(
		r, &(struct report_opts){
			   .json = true, .per_thread = true, .sort = REPORT_SORT_NAME, .limit = 1});
	FT_TRUE(json_check(out, false));
	FT_EQ_STR(out, "[{\"tid\":1,\"thread\":\"\",\"func\":\"a\",\"file\":\"/app.py\","
		       "\"line\":20,\"calls\":1,\"total_ns\":300,\"self_ns\":200,"
		       "\"avg_ns\":300,\"max_ns\":300}]\n");
	report__free(r);
	drive_free(&d);
}

FT_TEST(report_sort_parse)
{
	enum report_sort s = REPORT_SORT_TOTAL;

	FT_EQ_INT(report_sort_parse("self", &s), 0);
	FT_EQ_INT(s, REPORT_SORT_SELF);
	FT_EQ_INT(report_sort_parse("name", &s), 0);
	FT_EQ_INT(s, REPORT_SORT_NAME);
	FT_EQ_INT(report_sort_parse("avg", &s), 0);
	FT_EQ_INT(s, REPORT_SORT_AVG);
	FT_EQ_INT(report_sort_parse("Total", &s), -EINVAL);
	FT_EQ_INT(report_sort_parse("", &s), -EINVAL);
	FT_EQ_INT(report_sort_parse(NULL, &s), -EINVAL);
	FT_EQ_INT(s, REPORT_SORT_AVG);
	FT_EQ_STR(report_sort_names(), "total, self, calls, avg, max, name");
}

FT_TEST(report_print_stream_error)
{
	struct drive d;
	struct report *r;
	FILE *out = fopen("/dev/full", "w");

	if (!out)
		return;
	simple(&d);
	r = build(&d, NULL);
	FT_EQ_INT(report__print(r, &(struct report_opts){0}, out), -EIO);
	fclose(out);
	report__free(r);
	drive_free(&d);
}

/* ---- diff ---- */

/* before: main 1000 (a 300 with c 100 inside, b 200); after: main 1500
 * (a twice, 150 each, and d 400, new); b and c gone */
static void after(struct drive *d)
{
	drive_init(d);
	/* another run: ids and order differ */
	bind(d, 7, "d", "/lib.py", 7);
	bind(d, 8, "main", "/app.py", 10);
	bind(d, 9, "a", "/app.py", 20);
	enter(d, 1, 0, 8);
	enter(d, 1, 100, 9);
	leave(d, 1, 250);
	enter(d, 1, 300, 9);
	leave(d, 1, 450);
	enter(d, 1, 500, 7);
	leave(d, 1, 900);
	leave(d, 1, 1500);
	calltree__finish(d->ct, 2000);
}

FT_TEST(report_diff_text)
{
	struct drive da, db;
	struct report *a, *b;
	struct report_opts o = {.before_label = "old.json", .after_label = "new.json"};
	char *out;

	simple(&da);
	after(&db);
	a = build(&da, NULL);
	b = build(&db, NULL);
	out = print_diff(a, b, &o);
	FT_EQ_STR(
		out,
		"# before: old.json\n"
		"# after:  new.json\n"
		"#\n"
		"  ---------------- Total time ----------------  ---------------- Self time "
		"-----------------  -------------- Calls --------------\n"
		"      Before       After        Delta        %      Before       After        "
		"Delta        %      Before       After        Delta  Function\n"
		"  ==========  ==========  ===========  =======  ==========  ==========  "
		"===========  =======  ==========  ==========  ===========  ====================\n"
		"    1.000 us    1.500 us    +0.500 us   +50.0%    0.500 us    0.800 us    "
		"+0.300 us   +60.0%           1           1            0  main (/app.py:10)\n"
		"           -    0.400 us    +0.400 us        -           -    0.400 us    "
		"+0.400 us        -           -           1           +1  d (/lib.py:7)  (new)\n"
		"    0.300 us    0.300 us     0.000 us     0.0%    0.200 us    0.300 us    "
		"+0.100 us   +50.0%           1           2           +1  a (/app.py:20)\n"
		"    0.100 us           -    -0.100 us  -100.0%    0.100 us           -    "
		"-0.100 us  -100.0%           1           -           -1  c (/lib.py:5)  (gone)\n"
		"    0.200 us           -    -0.200 us  -100.0%    0.200 us           -    "
		"-0.200 us  -100.0%           1           -           -1  b (/app.py:30)  "
		"(gone)\n");
	o.limit = 1;
	o.sort = REPORT_SORT_CALLS;
	out = print_diff(a, b, &o);
	FT_TRUE(strstr(out, "+1  a (/app.py:20)\n  ... 4 more functions\n"));
	report__free(a);
	report__free(b);
	drive_free(&da);
	drive_free(&db);
}

FT_TEST(report_diff_json)
{
	struct drive da, db;
	struct report *a, *b;
	char *out;

	simple(&da);
	after(&db);
	a = build(&da, NULL);
	b = build(&db, NULL);
	out = print_diff(a, b, &(struct report_opts){.json = true, .sort = REPORT_SORT_NAME});
	FT_TRUE(json_check(out, false));
	FT_EQ_STR(out, "[{\"func\":\"a\",\"file\":\"/app.py\",\"line\":20,\"status\":\"changed\","
		       "\"before\":{\"calls\":1,\"total_ns\":300,\"self_ns\":200,\"avg_ns\":300,"
		       "\"max_ns\":300},\"after\":{\"calls\":2,\"total_ns\":300,\"self_ns\":300,"
		       "\"avg_ns\":150,\"max_ns\":150},\"delta\":{\"calls\":1,\"total_ns\":0,"
		       "\"self_ns\":100}},"
		       "{\"func\":\"b\",\"file\":\"/app.py\",\"line\":30,\"status\":\"gone\","
		       "\"before\":{\"calls\":1,\"total_ns\":200,\"self_ns\":200,\"avg_ns\":200,"
		       "\"max_ns\":200},\"after\":null,\"delta\":{\"calls\":-1,\"total_ns\":-200,"
		       "\"self_ns\":-200}},"
		       "{\"func\":\"c\",\"file\":\"/lib.py\",\"line\":5,\"status\":\"gone\","
		       "\"before\":{\"calls\":1,\"total_ns\":100,\"self_ns\":100,\"avg_ns\":100,"
		       "\"max_ns\":100},\"after\":null,\"delta\":{\"calls\":-1,\"total_ns\":-100,"
		       "\"self_ns\":-100}},"
		       "{\"func\":\"d\",\"file\":\"/lib.py\",\"line\":7,\"status\":\"new\","
		       "\"before\":null,\"after\":{\"calls\":1,\"total_ns\":400,\"self_ns\":400,"
		       "\"avg_ns\":400,\"max_ns\":400},\"delta\":{\"calls\":1,\"total_ns\":400,"
		       "\"self_ns\":400}},"
		       "{\"func\":\"main\",\"file\":\"/app.py\",\"line\":10,\"status\":\"changed\","
		       "\"before\":{\"calls\":1,\"total_ns\":1000,\"self_ns\":500,\"avg_ns\":1000,"
		       "\"max_ns\":1000},\"after\":{\"calls\":1,\"total_ns\":1500,\"self_ns\":800,"
		       "\"avg_ns\":1500,\"max_ns\":1500},\"delta\":{\"calls\":0,\"total_ns\":500,"
		       "\"self_ns\":300}}]\n");
	/* a trace against itself: all the same */
	out = print_diff(a, a, &(struct report_opts){.json = true});
	FT_TRUE(json_check(out, false));
	FT_TRUE(!strstr(out, "\"changed\"") && strstr(out, "\"same\""));
	report__free(a);
	report__free(b);
	drive_free(&da);
	drive_free(&db);
}

FT_TEST(report_diff_empty)
{
	struct drive d;
	struct report *r;

	drive_init(&d);
	r = build(&d, NULL);
	FT_EQ_STR(print_diff(r, r, &(struct report_opts){0}),
		  "# before: A\n# after:  B\n#\n# no calls in either trace\n");
	FT_EQ_STR(print_diff(r, r, &(struct report_opts){.json = true}), "[]\n");
	report__free(r);
	drive_free(&d);
}

/* the pairing alone: rows by (function, file) across two name tables,
 * deltas b - a, and the order by the sort key */
FT_TEST(report_diff_rows_pair_and_sort)
{
	struct drive da, db;
	struct report *a, *b;
	struct report_diff_row *rows;
	size_t n = 0;
	static const char *const by_total[] = {"main", "d", "a", "c", "b"};
	static const char *const by_name[] = {"a", "b", "c", "d", "main"};

	simple(&da);
	after(&db);
	a = build(&da, NULL);
	b = build(&db, NULL);
	rows = report_diff_rows(a, b, REPORT_SORT_TOTAL, &n);
	FT_TRUE(rows);
	FT_EQ_U64(n, 5);
	for (size_t i = 0; i < n; i++)
		FT_EQ_STR(report_diff_row_any(&rows[i])->func, by_total[i]);
	/* main: in both, from different name tables */
	FT_TRUE(rows[0].a && rows[0].b && rows[0].a != rows[0].b);
	FT_EQ_INT(rows[0].total, 500);
	FT_EQ_INT(rows[0].self, 300);
	FT_EQ_INT(rows[0].calls, 0);
	FT_EQ_INT(rows[0].avg, 500);
	FT_EQ_INT(rows[0].max, 500);
	FT_EQ_STR(report_diff_row_status(&rows[0]), "changed");
	/* d: new */
	FT_TRUE(!rows[1].a && rows[1].b);
	FT_EQ_INT(rows[1].total, 400);
	FT_EQ_STR(report_diff_row_status(&rows[1]), "new");
	/* a: same total, more self: the self tie-break puts it before c */
	FT_EQ_INT(rows[2].total, 0);
	FT_EQ_INT(rows[2].self, 100);
	FT_EQ_INT(rows[2].calls, 1);
	FT_EQ_INT(rows[2].avg, -150);
	/* b: gone */
	FT_TRUE(rows[4].a && !rows[4].b);
	FT_EQ_INT(rows[4].total, -200);
	FT_EQ_STR(report_diff_row_status(&rows[4]), "gone");
	free(rows);

	rows = report_diff_rows(a, b, REPORT_SORT_NAME, &n);
	FT_TRUE(rows);
	for (size_t i = 0; i < n; i++)
		FT_EQ_STR(report_diff_row_any(&rows[i])->func, by_name[i]);
	free(rows);

	/* against itself: every row the same */
	rows = report_diff_rows(a, a, REPORT_SORT_TOTAL, &n);
	FT_TRUE(rows);
	FT_EQ_U64(n, 4);
	for (size_t i = 0; i < n; i++)
		FT_EQ_STR(report_diff_row_status(&rows[i]), "same");
	free(rows);
	report__free(a);
	report__free(b);
	drive_free(&da);
	drive_free(&db);
}

/* the sorted view: largest first, equal keys by name, the table untouched */
FT_TEST(report_table_sorted_view)
{
	struct drive d;
	struct report *r;
	const struct report_table *t;
	const struct report_entry **v;

	simple(&d);
	r = build(&d, NULL);
	t = report__merged(r);
	FT_EQ_U64(t->nentries, 4);
	v = report_table_sorted(t, REPORT_SORT_SELF);
	FT_TRUE(v);
	/* self: main 500, a 200 and b 200 (a first by name), c 100 */
	FT_EQ_STR(v[0]->func, "main");
	FT_EQ_STR(v[1]->func, "a");
	FT_EQ_STR(v[2]->func, "b");
	FT_EQ_STR(v[3]->func, "c");
	free(v);
	/* entries stay in order of first call */
	FT_EQ_STR(t->entries[0].func, "main");
	FT_EQ_STR(t->entries[2].func, "c");
	FT_EQ_U64(report_entry_avg_ns(&t->entries[0]), 1000);
	FT_EQ_U64(report_entry_avg_ns(&(struct report_entry){0}), 0);
	FT_TRUE(report__any_calls(r));
	report__free(r);
	drive_free(&d);
}
