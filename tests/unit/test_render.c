// SPDX-License-Identifier: MIT
/* Renderers: the tree, json and jsonl formats on a small forest with
 * threads, nesting, unfinished, before-attach and lost frames, hostile
 * names; renderer lookup; duration formatting. */
#include <stdlib.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "forest.h"
#include "json_check.h"
#include "core/names.h"
#include "output/render.h"
#include "test.h"

/* ---- duration formatting ---- */

#define DUR(ns, expected)                                    \
	do {                                                 \
		char dbuf[16];                               \
		FT_EQ_STR(fmt_duration(dbuf, ns), expected); \
		FT_EQ_INT(strlen(dbuf), 10);                 \
	} while (0)

FT_TEST(render_fmt_duration_boundaries)
{
	char b[16];

	DUR(0, "  0.000 us");
	DUR(753, "  0.753 us");
	DUR(999, "  0.999 us");
	DUR(1000, "  1.000 us");
	DUR(1612, "  1.612 us");
	DUR(999999, "999.999 us");
	DUR(1000000, "  1.000 ms");
	DUR(12000000, " 12.000 ms");
	DUR(999999999, "999.999 ms");
	DUR(1000000000, "  1.000  s");
	DUR(1500000000, "  1.500  s");
	DUR(999999000000ULL, "999.999  s");
	DUR(999999999999ULL, "999.999  s");
	DUR(1000000000000ULL, " 16.666  m");
	DUR(60000000000ULL, " 60.000  s");
	DUR(90 * 60000000000ULL, " 90.000  m");
	DUR(1000 * 60000000000ULL - 1, "999.999  m");
	DUR(1000 * 60000000000ULL, " 16.666  h");
	DUR(25 * 3600000000000ULL, " 25.000  h");
	DUR(999 * 3600000000000ULL + 3599999999999ULL, "999.999  h");
	/* past 1000 hours the field widens rather than lie */
	FT_EQ_STR(fmt_duration(b, UINT64_MAX), "5124095.576  h");
}

/* In running text (fold lines, task headers) a duration has no padding. */
FT_TEST(render_fmt_duration_text)
{
	char b[16];

	FT_EQ_STR(fmt_duration_text(b, 117), "0.117 us");
	FT_EQ_STR(fmt_duration_text(b, 3100000), "3.100 ms");
	FT_EQ_STR(fmt_duration_text(b, 11600000000ULL), "11.600 s");
	FT_EQ_STR(fmt_duration_text(b, 25 * 3600000000000ULL), "25.000 h");
	FT_EQ_STR(fmt_duration_text(b, UINT64_MAX), "5124095.576 h");
}

/* A duration within the correction's error shows as its bound after '<',
 * in the same column; an exact one as fmt_duration() has it. */
FT_TEST(render_fmt_node_duration_uncertain)
{
	struct ft_node n = {.dur_ns = 250, .err_ns = 1000};
	char b[16];

	FT_EQ_STR(fmt_node_duration(b, &n), "  0.250 us");
	n.flags = FT_NODE_DUR_UNCERTAIN;
	FT_EQ_STR(fmt_node_duration(b, &n), " <1.250 us");
	n.dur_ns = 0, n.err_ns = 12345;
	FT_EQ_STR(fmt_node_duration(b, &n), "<12.345 us");
	n.err_ns = 123456;
	FT_EQ_STR(fmt_node_duration(b, &n), "<123.456 us");
	/* no padding left: one wider rather than cut */
	n.dur_ns = 999 * 3600000000000ULL, n.err_ns = 0;
	FT_EQ_STR(fmt_node_duration(b, &n), "<999.000  h");
}

FT_TEST(render_find_by_name)
{
	FT_TRUE(renderer_find("tree") == &render_tree);
	FT_TRUE(renderer_find("json") == &render_json);
	FT_TRUE(renderer_find("jsonl") == &render_jsonl);
	FT_TRUE(!renderer_find("xml"));
	FT_TRUE(!renderer_find("JSON"));
	FT_TRUE(!renderer_find(""));
	FT_TRUE(!renderer_find(NULL));
	FT_EQ_STR(renderer_names(), "tree, json, jsonl, chrome, folded, plantuml, dot, html");
	FT_TRUE(!render_tree.streaming && !render_json.streaming && render_jsonl.streaming);
	FT_TRUE(render_jsonl.call && render_jsonl.begin && render_jsonl.end);
	FT_TRUE(render_tree.end && render_json.end);
}

/* ---- a forest built through the real builder ---- */

enum { N_MODULE = 1, N_MAIN, N_FIB, N_NAIVE, N_HELPER, N_HANZI, N_WEIRD, N_LONG, N_CUT };
#define N_UNBOUND 99

struct drive {
	struct calltree *ct;
	struct names *names;
	struct {
		uint32_t tid, seq;
		int32_t depth;
	} th[4];
	size_t nth;
};

static void *drive_th(struct drive *d, uint32_t tid, size_t *i)
{
	for (*i = 0; *i < d->nth; (*i)++)
		if (d->th[*i].tid == tid)
			return d;
	FT_TRUE(d->nth < 4);
	d->th[d->nth].tid = tid;
	d->th[d->nth].seq = 0;
	d->th[d->nth].depth = 0;
	*i = d->nth++;
	return d;
}

static void enter(struct drive *d, uint32_t tid, uint64_t ts, uint32_t name)
{
	size_t i;

	drive_th(d, tid, &i);
	d->th[i].depth++;
	FT_EQ_INT(calltree__push(d->ct, tid, ts, d->th[i].seq++, d->th[i].depth, name), 0);
}

static void leave(struct drive *d, uint32_t tid, uint64_t ts)
{
	size_t i;

	drive_th(d, tid, &i);
	FT_EQ_INT(calltree__pop(d->ct, tid, ts, d->th[i].seq++, d->th[i].depth, 0), 0);
	d->th[i].depth--;
}

static void gap(struct drive *d, uint32_t tid, uint32_t n)
{
	size_t i;

	drive_th(d, tid, &i);
	d->th[i].seq += n;
}

static void bind(struct names *names, uint32_t id, const char *func, const char *file,
		 uint32_t line, uint32_t flags)
{
	FT_EQ_INT(names__bind(names, id, func, strlen(func), file, strlen(file), line, flags), 0);
}

static char long_name[1501];

static void bind_sample_names(struct names *names)
{
	memset(long_name, 'x', 1500);
	long_name[1500] = 0;
	bind(names, N_MODULE, "<module>", "/tmp/app.py", 1, 0);
	bind(names, N_MAIN, "main", "/tmp/app.py", 10, 0);
	bind(names, N_FIB, "fib", "/tmp/app.py", 3, 0);
	bind(names, N_NAIVE, "naïve_ünïcode", "/tmp/ü.py", 7, 0);
	bind(names, N_HELPER, "helper", "/tmp/app.py", 20, 0);
	bind(names, N_HANZI, "函数", "/tmp/中.py", 5, 0);
	bind(names, N_WEIRD, "a\"b\\c\n\x01\xff\xc3(\x1b[2J\xc2\x9b", "/tmp/x\ty.py", 2, 0);
	bind(names, N_LONG, long_name, "/tmp/l.py", 1, 0);
	bind(names, N_CUT, "cut_name", "/tmp/c.py", 4, FT_NAME_FUNC_CUT);
}

static void sample_records(struct drive *d)
{
	FT_EQ_INT(calltree__thread(d->ct, 4242, "python3"), 0);
	FT_EQ_INT(calltree__thread(d->ct, 77, ""), 0);
	enter(d, 4242, 0, N_MODULE);
	enter(d, 4242, 1000, N_MAIN);
	enter(d, 4242, 1200, N_FIB);
	leave(d, 4242, 2812);
	leave(d, 4242, 3124);
	enter(d, 77, 100, N_HANZI);
	enter(d, 77, 200, N_WEIRD);
	leave(d, 77, 300);
	enter(d, 77, 400, N_LONG);
	leave(d, 77, 1400);
	gap(d, 4242, 5);
	enter(d, 4242, 4000, N_NAIVE);
	leave(d, 4242, 4753);
	enter(d, 77, 1500, N_CUT);
	leave(d, 77, 1600);
	enter(d, 77, 1700, N_UNBOUND);
	leave(d, 77, 1800);
	leave(d, 77, 2000);
	enter(d, 4242, 5000, N_HELPER);
	enter(d, 4242, 5100, N_FIB);
	leave(d, 4242, 5200);
	calltree__finish(d->ct, 9000000);
}

static struct ft_node *mut(const struct ft_node *n)
{
	FT_TRUE(n);
	return (struct ft_node *)n;
}

/* The sample forest, with flags the builder would set only after losses
 * set by hand on chosen nodes. */
static void sample(struct drive *d)
{
	struct calltree_opts o = {.keep = true};
	const struct ft_thread *t;

	memset(d, 0, sizeof(*d));
	d->ct = calltree__new(&o);
	d->names = names__new();
	FT_TRUE(d->ct && d->names);
	bind_sample_names(d->names);
	sample_records(d);
	FT_EQ_U64(calltree__nthreads(d->ct), 2);
	t = calltree__thread_at(d->ct, 0);
	FT_EQ_INT(t->tid, 4242);
	mut(t->first_root)->flags |= FT_NODE_BEFORE_ATTACH;
	t = calltree__thread_at(d->ct, 1);
	FT_EQ_INT(t->tid, 77);
	mut(t->first_root->first_child)->flags |= FT_NODE_START_LOST;
	mut(t->first_root->first_child->next->next)->flags |= FT_NODE_END_LOST;
}

static void drive_free(struct drive *d)
{
	calltree__free(d->ct);
	names__free(d->names);
}

static const struct render_meta sample_meta = {
	.pid = 4242,
	.python = "3.11.2",
	.probe = "usdt",
	.binary = "/usr/bin/python3.11",
	.command = "python3 \"app.py\"",
	.wall_start = {1795320770, 123456789},
	.duration_ns = 9000000,
	.events = 22,
	.lost = 5,
	.drops = {5, 1, 0, 2},
	.threads = 2,
	.calls = 11,
	.unfinished = 3,
	.tool = "flowtrace-bpf 0.1.0",
};

/* Runs a whole non-streaming renderer; returns what it wrote. */
static char *render(const struct renderer *r, struct drive *d, struct filter *f,
		    const struct render_meta *meta)
{
	struct render_ctx rc = {.names = d->names, .filter = f, .meta = meta};
	char *buf = NULL;
	size_t len = 0;

	rc.out = open_memstream(&buf, &len);
	FT_TRUE(rc.out);
	if (r->begin)
		FT_EQ_INT(r->begin(&rc), 0);
	FT_EQ_INT(r->end(&rc, d->ct), 0);
	fclose(rc.out);
	return buf;
}

/* ---- tree ---- */

static const char tree_4242[] =
	"#\n"
	"# thread 4242 (python3)\n"
	"            [   4242] | <module>() {  # /tmp/app.py:1 [entered before attach]\n"
	"            [   4242] |   main() {  # /tmp/app.py:10\n"
	"   1.612 us [   4242] |     fib();  # /tmp/app.py:3\n"
	"   2.124 us [   4242] |   } /* main */\n"
	"            [   4242] |   /* LOST 5 records!! */\n"
	"   0.753 us [   4242] |   naïve_ünïcode();  # /tmp/ü.py:7\n"
	"            [   4242] |   helper() {  # /tmp/app.py:20\n"
	"   0.100 us [   4242] |     fib();  # /tmp/app.py:3\n"
	"   8.995 ms [   4242] |   } /* helper */ [unfinished]\n"
	"   9.000 ms [   4242] | } /* <module> */ [unfinished] [spans loss]\n";

FT_TEST(render_tree_sample)
{
	struct drive d;
	char expected[8192];

	sample(&d);
	snprintf(expected, sizeof(expected),
		 "# DURATION     TID      FUNCTION\n"
		 "%s"
		 "#\n"
		 "# thread 77\n"
		 "            [     77] | 函数() {  # /tmp/中.py:5\n"
		 "   0.100 us [     77] |   a\"b\\c\\x0a\\x01\\xff\\xc3(\\x1b[2J\\xc2\\x9b();"
		 "  # /tmp/x\\x09y.py:2 [entry lost]\n"
		 "   1.000 us [     77] |   %s();  # /tmp/l.py:1\n"
		 "   0.100 us [     77] |   cut_name...();  # /tmp/c.py:4 [return lost]\n"
		 "   0.100 us [     77] |   <unknown>();\n"
		 "   1.900 us [     77] | } /* 函数 */\n",
		 tree_4242, long_name);
	FT_EQ_STR(render(&render_tree, &d, NULL, &sample_meta), expected);
	drive_free(&d);
}

FT_TEST(render_tree_filtered)
{
	struct drive d;
	const char *inc[] = {"fib", "<module>", "/tmp/中.py"};
	struct filter f = {.include = inc, .ninclude = 3};

	sample(&d);
	FT_EQ_STR(render(&render_tree, &d, &f, NULL),
		  "# DURATION     TID      FUNCTION\n"
		  "#\n"
		  "# thread 4242 (python3)\n"
		  "            [   4242] | <module>() {  # /tmp/app.py:1 [entered before attach]\n"
		  "   1.612 us [   4242] |   fib();  # /tmp/app.py:3\n"
		  "            [   4242] |   /* LOST 5 records!! */\n"
		  "   0.100 us [   4242] |   fib();  # /tmp/app.py:3\n"
		  "   9.000 ms [   4242] | } /* <module> */ [unfinished] [spans loss]\n"
		  "#\n"
		  "# thread 77\n"
		  "   1.900 us [     77] | 函数();  # /tmp/中.py:5\n");
	filter__free(&f);

	/* a thread with nothing shown takes no room */
	f = (struct filter){.max_depth = 1, .min_dur_ns = 5000};
	FT_EQ_STR(render(&render_tree, &d, &f, NULL),
		  "# DURATION     TID      FUNCTION\n"
		  "#\n"
		  "# thread 4242 (python3)\n"
		  "   9.000 ms [   4242] | <module>();  # /tmp/app.py:1 [unfinished] "
		  "[entered before attach] [spans loss]\n");
	f = (struct filter){.min_dur_ns = 10000000};
	FT_EQ_STR(render(&render_tree, &d, &f, NULL), "# DURATION     TID      FUNCTION\n"
						      "# no calls match the filters\n");
	drive_free(&d);
}

FT_TEST(render_tree_empty)
{
	struct calltree_opts o = {.keep = true};
	struct drive d = {.ct = calltree__new(&o), .names = names__new()};

	FT_EQ_STR(render(&render_tree, &d, NULL, NULL),
		  "# DURATION     TID      FUNCTION\n# no calls traced\n");
	/* a thread seen without any call is still an empty trace */
	FT_EQ_INT(calltree__thread(d.ct, 5, "idle"), 0);
	FT_EQ_STR(render(&render_tree, &d, NULL, NULL),
		  "# DURATION     TID      FUNCTION\n# no calls traced\n");
	drive_free(&d);
}

FT_TEST(render_tree_cut_file_and_func)
{
	struct calltree_opts o = {.keep = true};
	struct drive d = {.ct = calltree__new(&o), .names = names__new()};
	char func[FT_FUNC_MAX], file[FT_FILE_MAX], expected[8192];

	/* BPF cuts at its buffer sizes: a string that long is the cut one */
	memset(func, 'f', sizeof(func) - 1);
	func[sizeof(func) - 1] = 0;
	memset(file, 'p', sizeof(file) - 1);
	file[sizeof(file) - 1] = 0;
	bind(d.names, 1, "short", file, 9, FT_NAME_FILE_CUT);
	bind(d.names, 2, func, "f.py", 8, FT_NAME_FUNC_CUT);
	bind(d.names, 3, "\xe5\x87", "", 0, 0);
	enter(&d, 1, 10, 1);
	leave(&d, 1, 20);
	enter(&d, 1, 30, 2);
	leave(&d, 1, 40);
	enter(&d, 1, 50, 3);
	leave(&d, 1, 60);
	snprintf(expected, sizeof(expected),
		 "# DURATION     TID      FUNCTION\n"
		 "#\n"
		 "# thread 1\n"
		 "   0.010 us [      1] | short();  # %s...:9\n"
		 "   0.010 us [      1] | %s...();  # f.py:8\n"
		 "   0.010 us [      1] | \\xe5\\x87();\n",
		 file, func);
	FT_EQ_STR(render(&render_tree, &d, NULL, NULL), expected);
	drive_free(&d);
}

FT_TEST(render_tree_deep_chain)
{
	enum { DEEP = 5000 };
	struct calltree_opts o = {.keep = true};
	struct drive d = {.ct = calltree__new(&o), .names = names__new()};
	char *out, *last;
	size_t lines = 0;

	bind(d.names, 1, "r", "r.py", 1, 0);
	for (int i = 0; i < DEEP; i++)
		enter(&d, 9, i, 1);
	calltree__finish(d.ct, 2 * DEEP);
	out = render(&render_tree, &d, NULL, NULL);
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	/* header, two thread lines, the recursion folded into one line (the
	 * layout of deep trees is tested in test_render_tree_deep.c), the
	 * innermost call, the closing line */
	FT_EQ_U64(lines, 6);
	out[strlen(out) - 1] = 0;
	last = strrchr(out, '\n') + 1;
	FT_EQ_STR(last, "  10.000 us [      9] | } /* r ×4999 */ [unfinished]");
	FT_TRUE(strstr(out,
		       "\n            [      9] | r() { ×4999 recursion, d=0..4998  # r.py:1\n"));
	free(out);
	drive_free(&d);
}

/* ---- json ---- */

#define META_JSON                                                                             \
	"\"pid\":4242,\"python\":\"3.11.2\",\"probe\":\"usdt\","                              \
	"\"binary\":\"/usr/bin/python3.11\",\"command\":\"python3 \\\"app.py\\\"\","          \
	"\"start_wall\":\"2026-11-22T04:12:50.123456789Z\",\"duration_ns\":9000000,"          \
	"\"events\":22,\"lost\":5,\"drops\":{\"ringbuf\":5,\"name\":1,\"no_storage\":0,"      \
	"\"read\":2,\"unplaced\":0},\"threads\":2,\"calls\":11,\"unfinished\":3,\"timing\":{" \
	"\"corrected\":false},\"abi\":3,"                                                     \
	"\"tool\":\"flowtrace-bpf 0.1.0\""

#define J_FIB1                                                                     \
	"{\"func\":\"fib\",\"file\":\"/tmp/app.py\",\"line\":3,\"start_ns\":1200," \
	"\"dur_ns\":1612,\"raw_dur_ns\":1612,\"children\":[]}"
#define J_FIB2                                                                     \
	"{\"func\":\"fib\",\"file\":\"/tmp/app.py\",\"line\":3,\"start_ns\":5100," \
	"\"dur_ns\":100,\"raw_dur_ns\":100,\"children\":[]}"
#define J_LOST "{\"lost\":5,\"start_ns\":3124}"
#define J_MODULE_HEAD                                                                              \
	"{\"func\":\"<module>\",\"file\":\"/tmp/app.py\",\"line\":1,\"start_ns\":0,"               \
	"\"dur_ns\":9000000,\"raw_dur_ns\":9000000,\"unfinished\":true,\"entered_before_attach\":" \
	"true,\"spans_loss\":"                                                                     \
	"true,"                                                                                    \
	"\"children\":["
#define J_T4242_HEAD "{\"tid\":4242,\"name\":\"python3\",\"calls\":["
#define J_T77_HEAD   "{\"tid\":77,\"name\":\"\",\"calls\":["

FT_TEST(render_json_sample)
{
	struct drive d;
	char expected[8192];
	char *out;

	sample(&d);
	snprintf(expected, sizeof(expected),
		 "{\"meta\":{" META_JSON "},\"threads\":[" J_T4242_HEAD J_MODULE_HEAD
		 "{\"func\":\"main\",\"file\":\"/tmp/app.py\",\"line\":10,\"start_ns\":1000,"
		 "\"dur_ns\":2124,\"raw_dur_ns\":2124,\"children\":[" J_FIB1 "]}," J_LOST ","
		 "{\"func\":\"naïve_ünïcode\",\"file\":\"/tmp/ü.py\",\"line\":7,\"start_ns\":4000,"
		 "\"dur_ns\":753,\"raw_dur_ns\":753,\"children\":[]},"
		 "{\"func\":\"helper\",\"file\":\"/tmp/app.py\",\"line\":20,\"start_ns\":5000,"
		 "\"dur_ns\":8995000,\"raw_dur_ns\":8995000,\"unfinished\":true,\"children\":"
		 "[" J_FIB2 "]}"
		 "]}]}," J_T77_HEAD
		 "{\"func\":\"函数\",\"file\":\"/tmp/中.py\",\"line\":5,\"start_ns\":100,"
		 "\"dur_ns\":1900,\"raw_dur_ns\":1900,\"children\":["
		 "{\"func\":\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\xef\xbf\xbd(\\u001b[2J\\u009b\","
		 "\"file\":\"/tmp/"
		 "x\\ty.py\",\"line\":2,\"start_ns\":200,\"dur_ns\":100,\"raw_dur_ns\":100,"
		 "\"entry_lost\":true,\"children\":[]},"
		 "{\"func\":\"%s\",\"file\":\"/tmp/l.py\",\"line\":1,\"start_ns\":400,"
		 "\"dur_ns\":1000,\"raw_dur_ns\":1000,\"children\":[]},"
		 "{\"func\":\"cut_name\",\"file\":\"/tmp/c.py\",\"line\":4,\"start_ns\":1500,"
		 "\"dur_ns\":100,\"raw_dur_ns\":100,\"return_lost\":true,\"name_truncated\":true,"
		 "\"children\":[]},"
		 "{\"func\":\"<unknown>\",\"file\":\"\",\"line\":0,\"start_ns\":1700,"
		 "\"dur_ns\":100,\"raw_dur_ns\":100,\"name_unknown\":true,\"children\":[]}"
		 "]}]}]}\n",
		 long_name);
	out = render(&render_json, &d, NULL, &sample_meta);
	FT_EQ_STR(out, expected);
	FT_TRUE(json_check(out, false));
	free(out);
	drive_free(&d);
}

FT_TEST(render_json_filtered_and_meta_variants)
{
	struct drive d;
	const char *exc[] = {"main", "helper", "*/l.py", "<unknown>"};
	struct filter f = {.exclude = exc, .nexclude = 4, .min_dur_ns = 200};
	struct render_meta m = sample_meta;
	char *out;

	sample(&d);
	m.command = NULL;
	m.python = "";
	m.binary = NULL;
	m.wall_start = (struct timespec){0, 5};
	out = render(&render_json, &d, &f, &m);
	/* main is hidden: its fib (1612 ns) moves up; helper's fib is too
	 * short; the lost marker stays where its place is */
	FT_EQ_STR(
		out,
		"{\"meta\":{\"pid\":4242,\"python\":\"\",\"probe\":\"usdt\",\"binary\":null,"
		"\"start_wall\":\"1970-01-01T00:00:00.000000005Z\",\"duration_ns\":9000000,"
		"\"events\":22,\"lost\":5,\"drops\":{\"ringbuf\":5,\"name\":1,\"no_storage\":0,"
		"\"read\":2,\"unplaced\":0},\"threads\":2,\"calls\":11,\"unfinished\":3,\"timing\":"
		"{\"corrected\":false},\"abi\":3,"
		"\"tool\":\"flowtrace-bpf 0.1.0\"},\"threads\":[" J_T4242_HEAD J_MODULE_HEAD J_FIB1
		"," J_LOST ","
		"{\"func\":\"naïve_ünïcode\",\"file\":\"/tmp/ü.py\",\"line\":7,\"start_ns\":4000,"
		"\"dur_ns\":753,\"raw_dur_ns\":753,\"children\":[]}]}]}," J_T77_HEAD
		"{\"func\":\"函数\",\"file\":\"/tmp/中.py\",\"line\":5,\"start_ns\":100,"
		"\"dur_ns\":1900,\"raw_dur_ns\":1900,\"children\":[]}]}]}\n");
	FT_TRUE(json_check(out, false));
	free(out);
	filter__free(&f);

	/* no meta at all, an empty forest */
	struct calltree_opts o = {.keep = true};
	struct drive e = {.ct = calltree__new(&o), .names = names__new()};
	FT_EQ_STR(render(&render_json, &e, NULL, NULL), "{\"meta\":null,\"threads\":[]}\n");
	FT_EQ_INT(calltree__thread(e.ct, 3, "a\"b"), 0);
	FT_EQ_STR(render(&render_json, &e, NULL, NULL),
		  "{\"meta\":null,\"threads\":[{\"tid\":3,\"name\":\"a\\\"b\",\"calls\":[]}]}\n");
	drive_free(&e);
	drive_free(&d);
}

FT_TEST(render_json_deep_chain)
{
	enum { DEEP = 5000 };
	struct calltree_opts o = {.keep = true};
	struct drive d = {.ct = calltree__new(&o), .names = names__new()};
	char *out;
	size_t open = 0, close = 0;

	bind(d.names, 1, "r", "r.py", 1, 0);
	for (int i = 0; i < DEEP; i++)
		enter(&d, 9, i, 1);
	for (int i = 0; i < DEEP; i++)
		leave(&d, 9, DEEP + i);
	out = render(&render_json, &d, NULL, NULL);
	for (char *p = out; *p; p++) {
		open += *p == '[' || *p == '{';
		close += *p == ']' || *p == '}';
	}
	FT_EQ_U64(open, close);
	FT_EQ_U64(open, 2 * DEEP + 4);
	FT_TRUE(strstr(out, "\"start_ns\":4999,\"dur_ns\":1,\"raw_dur_ns\":1,\"children\":[]}]}"));
	free(out);
	drive_free(&d);
}

/* ---- jsonl ---- */

struct jl {
	struct render_ctx rc;
	char *buf;
	size_t len;
};

static void jl_begin(struct jl *j, const struct names *names, struct filter *f)
{
	memset(j, 0, sizeof(*j));
	j->rc.names = names;
	j->rc.filter = f;
	j->rc.out = open_memstream(&j->buf, &j->len);
	FT_TRUE(j->rc.out);
	FT_EQ_INT(render_jsonl.begin(&j->rc), 0);
}

static char *jl_end(struct jl *j, const struct render_meta *meta)
{
	j->rc.meta = meta;
	FT_EQ_INT(render_jsonl.end(&j->rc, NULL), 0);
	FT_TRUE(!j->rc.priv);
	fclose(j->rc.out);
	return j->buf;
}

FT_TEST(render_jsonl_lines)
{
	struct forest fo;
	struct ft_thread t = {.tid = 4242};
	struct ft_node *m, *c, *w, *l, *u;
	struct jl j;
	char *out;

	forest_init(&fo, 8);
	bind_sample_names(fo.names);
	m = forest_add(&fo, &t, NULL, N_MODULE, 0, 9000000,
		       FT_NODE_BEFORE_ATTACH | FT_NODE_UNFINISHED);
	c = forest_add(&fo, &t, m, N_CUT, 10, 20, FT_NODE_START_LOST | FT_NODE_END_LOST);
	w = forest_add(&fo, &t, m, N_WEIRD, 40, 1, 0);
	l = forest_lost(&fo, &t, m, 7, 50);
	u = forest_add(&fo, &t, m, N_UNBOUND, 60, 2, 0);
	jl_begin(&j, fo.names, NULL);
	render_jsonl.call(&j.rc, &t, c, 0);
	render_jsonl.call(&j.rc, &t, w, 0);
	render_jsonl.call(&j.rc, &t, l, 0);
	render_jsonl.call(&j.rc, &t, u, 0);
	render_jsonl.call(&j.rc, &t, m, -1);
	out = jl_end(&j, &sample_meta);
	FT_EQ_STR(
		out,
		"{\"type\":\"call\",\"tid\":4242,\"depth\":0,\"func\":\"cut_name\","
		"\"file\":\"/tmp/c.py\",\"line\":4,\"start_ns\":10,\"dur_ns\":20,\"raw_dur_ns\":20,"
		"\"entry_lost\":true,\"return_lost\":true,\"name_truncated\":true}\n"
		"{\"type\":\"call\",\"tid\":4242,\"depth\":0,"
		"\"func\":\"a\\\"b\\\\c\\n\\u0001\xef\xbf\xbd\xef\xbf\xbd(\\u001b[2J\\u009b\","
		"\"file\":\"/tmp/"
		"x\\ty.py\",\"line\":2,\"start_ns\":40,\"dur_ns\":1,\"raw_dur_ns\":1}\n"
		"{\"type\":\"lost\",\"tid\":4242,\"depth\":0,\"start_ns\":50,\"count\":7}\n"
		"{\"type\":\"call\",\"tid\":4242,\"depth\":0,\"func\":\"<unknown>\",\"file\":\"\","
		"\"line\":0,\"start_ns\":60,\"dur_ns\":2,\"raw_dur_ns\":2,\"name_unknown\":true}\n"
		"{\"type\":\"call\",\"tid\":4242,\"depth\":-1,\"func\":\"<module>\","
		"\"file\":\"/tmp/"
		"app.py\",\"line\":1,\"start_ns\":0,\"dur_ns\":9000000,\"raw_dur_ns\":9000000,"
		"\"unfinished\":true,\"entered_before_attach\":true}\n"
		"{\"type\":\"meta\"," META_JSON "}\n");
	FT_TRUE(json_check(out, true));
	free(out);

	/* without meta the last line still says what it is */
	jl_begin(&j, fo.names, NULL);
	out = jl_end(&j, NULL);
	FT_EQ_STR(out, "{\"type\":\"meta\"}\n");
	free(out);
	forest_free(&fo);
}

/* main > helper > fib > fib, with a lost marker under the inner fib */
FT_TEST(render_jsonl_filters)
{
	struct forest fo;
	struct ft_thread t = {.tid = 1};
	struct ft_node *m, *h, *f1, *f2, *l;
	const char *exc[] = {"helper"};
	struct filter f = {.exclude = exc, .nexclude = 1};
	struct jl j;
	char *out;

	forest_init(&fo, 8);
	bind_sample_names(fo.names);
	m = forest_add(&fo, &t, NULL, N_MAIN, 0, 1000, 0);
	h = forest_add(&fo, &t, m, N_HELPER, 10, 500, 0);
	f1 = forest_add(&fo, &t, h, N_FIB, 20, 300, 0);
	f2 = forest_add(&fo, &t, f1, N_FIB, 30, 100, 0);
	l = forest_lost(&fo, &t, f2, 2, 40);

#define ALL()                                        \
	do {                                         \
		render_jsonl.call(&j.rc, &t, l, 4);  \
		render_jsonl.call(&j.rc, &t, f2, 3); \
		render_jsonl.call(&j.rc, &t, f1, 2); \
		render_jsonl.call(&j.rc, &t, h, 1);  \
		render_jsonl.call(&j.rc, &t, m, 0);  \
	} while (0)
#define LINE(type, depth, rest) "{\"type\":\"" type "\",\"tid\":1,\"depth\":" #depth rest "}\n"
#define FIB(depth, start, dur)                                                            \
	LINE("call", depth,                                                               \
	     ",\"func\":\"fib\",\"file\":\"/tmp/app.py\",\"line\":3,\"start_ns\":" #start \
	     ",\"dur_ns\":" #dur ",\"raw_dur_ns\":" #dur)
#define MAIN                                                            \
	LINE("call", 0,                                                 \
	     ",\"func\":\"main\",\"file\":\"/tmp/app.py\",\"line\":10," \
	     "\"start_ns\":0,\"dur_ns\":1000,\"raw_dur_ns\":1000")
#define HELPER                                                                            \
	LINE("call", 1,                                                                   \
	     ",\"func\":\"helper\",\"file\":\"/tmp/app.py\",\"line\":20,\"start_ns\":10," \
	     "\"dur_ns\":500,\"raw_dur_ns\":500")
#define LOST(depth) LINE("lost", depth, ",\"start_ns\":40,\"count\":2")
#define META	    "{\"type\":\"meta\"}\n"

	/* globs: depth counts shown ancestors, the given depth is ignored */
	jl_begin(&j, fo.names, &f);
	ALL();
	FT_EQ_STR(jl_end(&j, NULL), LOST(3) FIB(2, 30, 100) FIB(1, 20, 300) MAIN META);
	jl_begin(&j, fo.names, &f);
	f.max_depth = 2;
	ALL();
	FT_EQ_STR(jl_end(&j, NULL), FIB(1, 20, 300) MAIN META);
	f.max_depth = 0;
	filter__free(&f);

	/* no globs: the depth as given, even below 0 */
	struct filter g = {.max_depth = 2};
	jl_begin(&j, fo.names, &g);
	ALL();
	render_jsonl.call(&j.rc, &t, m, -3);
	FT_EQ_STR(jl_end(&j, NULL),
		  HELPER MAIN LINE("call", -3,
				   ",\"func\":\"main\",\"file\":\"/tmp/app.py\",\"line\":10,"
				   "\"start_ns\":0,\"dur_ns\":1000,\"raw_dur_ns\":1000") META);

	/* min duration: the lost marker's own duration does not count */
	g = (struct filter){.min_dur_ns = 300};
	jl_begin(&j, fo.names, &g);
	ALL();
	out = jl_end(&j, NULL);
	FT_EQ_STR(out, LOST(4) FIB(2, 20, 300) HELPER MAIN META);
	FT_TRUE(json_check(out, true));
	free(out);

	/* everything excluded: lost markers still show, at depth 0 */
	const char *all[] = {"*"};
	g = (struct filter){.exclude = all, .nexclude = 1};
	jl_begin(&j, fo.names, &g);
	ALL();
	FT_EQ_STR(jl_end(&j, NULL), LOST(0) META);
	filter__free(&g);
	forest_free(&fo);
}

struct stream {
	struct render_ctx *rc;
};

static void on_complete(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct render_ctx *rc = ctx;

	render_jsonl.call(rc, t, n, depth);
}

/* the streaming path as the tool runs it: the builder calls jsonl as
 * calls complete, recycling nodes behind it */
FT_TEST(render_jsonl_through_builder)
{
	struct jl j;
	struct names *names = names__new();
	const char *inc[] = {"fib"};
	struct filter f = {.include = inc, .ninclude = 1};

	bind_sample_names(names);
	jl_begin(&j, names, &f);

	struct calltree_opts o = {.keep = false, .on_complete = on_complete, .ctx = &j.rc};
	struct drive d = {.ct = calltree__new(&o), .names = names};
	enter(&d, 5, 100, N_MAIN);
	enter(&d, 5, 200, N_FIB);
	enter(&d, 5, 300, N_HELPER);
	enter(&d, 5, 400, N_FIB);
	leave(&d, 5, 450);
	leave(&d, 5, 500);
	leave(&d, 5, 600);
	enter(&d, 5, 700, N_FIB);
	calltree__finish(d.ct, 1000);

	char *out = jl_end(&j, NULL);
	FT_EQ_STR(out, "{\"type\":\"call\",\"tid\":5,\"depth\":1,\"func\":\"fib\",\"file\":\"/tmp/"
		       "app.py\","
		       "\"line\":3,\"start_ns\":400,\"dur_ns\":50,\"raw_dur_ns\":50}\n"
		       "{\"type\":\"call\",\"tid\":5,\"depth\":0,\"func\":\"fib\",\"file\":\"/tmp/"
		       "app.py\","
		       "\"line\":3,\"start_ns\":200,\"dur_ns\":400,\"raw_dur_ns\":400}\n"
		       "{\"type\":\"call\",\"tid\":5,\"depth\":0,\"func\":\"fib\",\"file\":\"/tmp/"
		       "app.py\","
		       "\"line\":3,\"start_ns\":700,\"dur_ns\":300,\"raw_dur_ns\":300,"
		       "\"unfinished\":true}\n"
		       "{\"type\":\"meta\"}\n");
	FT_TRUE(json_check(out, true));
	free(out);
	filter__free(&f);
	calltree__free(d.ct);
	names__free(names);
}

FT_TEST(render_tree_paths_relative_to_base_dir)
{
	struct drive d;
	char *buf = NULL;
	size_t len = 0;

	sample(&d);
	struct render_ctx rc = {.names = d.names, .meta = &sample_meta, .base_dir = "/tmp"};
	rc.out = open_memstream(&buf, &len);
	FT_EQ_INT(render_tree.end(&rc, d.ct), 0);
	fclose(rc.out);
	FT_TRUE(strstr(buf, "main() {  # app.py:10\n"));
	FT_TRUE(strstr(buf, "naïve_ünïcode();  # ü.py:7\n"));
	FT_TRUE(!strstr(buf, "/tmp/"));
	free(buf);

	/* a directory that only shares a prefix with the path is not stripped */
	buf = NULL;
	rc.base_dir = "/tm";
	rc.out = open_memstream(&buf, &len);
	FT_EQ_INT(render_tree.end(&rc, d.ct), 0);
	fclose(rc.out);
	FT_TRUE(strstr(buf, "# /tmp/app.py:10\n"));
	free(buf);
	drive_free(&d);
}
