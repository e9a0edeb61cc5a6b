// SPDX-License-Identifier: MIT
/* The chrome format: exact events for the sample forest, fixed-point
 * microseconds, metadata, filters, and a check by Python that the output
 * parses and that every complete event lies within its caller. */
#include <sys/wait.h>
#include <unistd.h>

#include "core/filter.h"
#include "json_check.h"
#include "output/jsonw.h"
#include "render_run.h"

/* jsonw__fixed is the chrome format's reason to exist: test it here */
static char *fixed(uint64_t v, unsigned int places)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jsonw *w;

	FT_TRUE(f);
	w = jsonw__new(f);
	FT_TRUE(w);
	jsonw__begin_array(w);
	jsonw__fixed(w, v, places);
	jsonw__fixed(w, v, places);
	jsonw__end_array(w);
	FT_EQ_INT(jsonw__error(w), 0);
	jsonw__free(w);
	fclose(f);
	return buf;
}

FT_TEST(jsonw_fixed_point)
{
	FT_EQ_STR(fixed(0, 3), "[0.000,0.000]");
	FT_EQ_STR(fixed(1, 3), "[0.001,0.001]");
	FT_EQ_STR(fixed(999, 3), "[0.999,0.999]");
	FT_EQ_STR(fixed(1200, 3), "[1.200,1.200]");
	FT_EQ_STR(fixed(51578926, 3), "[51578.926,51578.926]");
	FT_EQ_STR(fixed(UINT64_MAX, 3), "[18446744073709551.615,18446744073709551.615]");
	FT_EQ_STR(fixed(42, 0), "[42,42]");
	FT_EQ_STR(fixed(5, 1), "[0.5,0.5]");
	FT_EQ_STR(fixed(UINT64_MAX, 19), "[1.8446744073709551615,1.8446744073709551615]");
	FT_EQ_STR(fixed(7, 25), "[0.0000000000000000007,0.0000000000000000007]");
}

#define M_EVENT(what, tid, args) \
	"{\"name\":\"" what "\",\"ph\":\"M\",\"pid\":0,\"tid\":" #tid ",\"args\":{" args "}}"
#define X_EVENT(name, ts, dur, tid, func, file, line, flags)                                \
	"{\"name\":\"" name "\",\"cat\":\"python\",\"ph\":\"X\",\"ts\":" ts ",\"dur\":" dur \
	",\"pid\":0,\"tid\":" #tid ",\"args\":{\"func\":\"" func "\",\"file\":\"" file      \
	"\",\"line\":" #line flags "}}"
#define APP	      "/tmp/app.py"
#define FIB(ts, dur)  X_EVENT("fib (" APP ":3)", ts, dur, 4242, "fib", APP, 3, "")
#define HELP(ts, dur) X_EVENT("helper (" APP ":20)", ts, dur, 4242, "helper", APP, 20, "")

#define CHROME_HEAD                                                                                                               \
	"{\"traceEvents\":[" M_EVENT("process_name", 0, "\"name\":\"python PID 0\"") "," M_EVENT(                                 \
		"thread_name", 4242,                                                                                              \
		"\"name\":\"python3 (4242)\"") "," M_EVENT("thread_sort_index", 4242,                                             \
							   "\"sort_index\":0") "," M_EVENT("threa"                                \
											   "d_"                                   \
											   "name",                                \
											   77,                                    \
											   "\"nam"                                \
											   "e\":"                                 \
											   "\"wor"                                \
											   "ker "                                 \
											   "(77)"                                 \
											   "\"") "," M_EVENT("thread_sort_index", \
													     77,                  \
													     "\"sort_index\":1")

#define X_MODULE                                                                     \
	X_EVENT("<module> (" APP ":1)", "0.000", "10.000", 4242, "<module>", APP, 1, \
		",\"unfinished\":true,\"entered_before_attach\":true,\"spans_loss\":true")
#define X_MAIN X_EVENT("main (" APP ":10)", "0.100", "1.900", 4242, "main", APP, 10, "")
#define I_LOST                                                                         \
	"{\"name\":\"LOST 5 records\",\"cat\":\"flowtrace\",\"ph\":\"i\",\"s\":\"t\"," \
	"\"ts\":2.000,\"pid\":0,\"tid\":4242,\"args\":{\"count\":5}}"
#define X_WEIRD                                                                     \
	X_EVENT("a;b\\\"c\\\\d\\n__x__<b> (/tmp/w;x.py:2)", "3.000", "0.500", 4242, \
		"a;b\\\"c\\\\d\\n__x__<b>", "/tmp/w;x.py", 2, "")
#define X_77                                                                        \
	X_EVENT("helper (" APP ":20)", "0.050", "0.100", 77, "helper", APP, 20, "") \
	"," X_EVENT("fib (" APP ":3)", "0.200", "0.060", 77, "fib", APP, 3, "")

/* clang-format off */
static const char sample_trace[] =
	CHROME_HEAD ","
	X_MODULE ","
	X_MAIN ","
	FIB("0.200", "0.500") ","
	FIB("0.300", "0.300") ","
	FIB("0.400", "0.100") ","
	HELP("0.800", "0.100") ","
	HELP("1.000", "0.150") ","
	HELP("1.200", "0.200") ","
	I_LOST ","
	X_WEIRD ","
	X_77
	"],\"displayTimeUnit\":\"ns\"}\n";

/* main hidden, --min-duration 150ns */
static const char filtered_trace[] =
	CHROME_HEAD ","
	X_MODULE ","
	FIB("0.200", "0.500") ","
	FIB("0.300", "0.300") ","
	HELP("1.000", "0.150") ","
	HELP("1.200", "0.200") ","
	I_LOST ","
	X_WEIRD
	"],\"displayTimeUnit\":\"ns\"}\n";
/* clang-format on */

/* Parses the trace like a viewer would (ts and dur as exact decimals) and
 * checks, per thread, that events come sorted by ts and that every complete
 * event lies within the one still open around it. */
static bool chrome_nests(const char *text)
{
	static const char script[] = FT_TEST_PYTHON
		" -c '\n"
		"import json, sys\n"
		"from decimal import Decimal\n"
		"doc = json.loads(sys.stdin.buffer.read().decode(\"utf-8\", \"strict\"),\n"
		"                 parse_float=Decimal)\n"
		"assert doc[\"displayTimeUnit\"] == \"ns\"\n"
		"open_, last, n = {}, {}, 0\n"
		"for e in doc[\"traceEvents\"]:\n"
		"    if e[\"ph\"] == \"M\":\n"
		"        continue\n"
		"    tid = e[\"tid\"]\n"
		"    assert e[\"ts\"] >= last.get(tid, 0), e\n"
		"    last[tid] = e[\"ts\"]\n"
		"    if e[\"ph\"] != \"X\":\n"
		"        continue\n"
		"    n += 1\n"
		"    st = open_.setdefault(tid, [])\n"
		"    while st and st[-1] <= e[\"ts\"] and e[\"dur\"] > 0:\n"
		"        st.pop()\n"
		"    end = e[\"ts\"] + e[\"dur\"]\n"
		"    assert not st or end <= st[-1], (e, st)\n"
		"    st.append(end)\n"
		"assert n > 0\n"
		"'";
	FILE *p;
	int st;

	if (access(FT_TEST_PYTHON, X_OK)) {
		fprintf(stderr, "  note: no %s, nesting not checked\n", FT_TEST_PYTHON);
		return true;
	}
	fflush(NULL);
	p = popen(script, "w");
	if (!p)
		return false;
	fwrite(text, 1, strlen(text), p);
	st = pclose(p);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

FT_TEST(render_chrome_sample)
{
	struct rdrive d;
	char *out;

	rd_sample(&d);
	out = rd_render(&render_chrome, &d, NULL, NULL);
	FT_EQ_STR(out, sample_trace);
	FT_TRUE(json_check(out, false));
	FT_TRUE(chrome_nests(out));
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_chrome_meta_and_flags)
{
	static const struct render_meta meta = {
		.pid = 4242,
		.python = "3.11.2",
		.probe = "usdt",
		.binary = "/usr/bin/python3.11",
		.command = "python3 \"app.py\"",
		.wall_start = {1795320770, 123456789},
		.duration_ns = 9000000,
		.threads = 2,
		.calls = 9,
		.tool = "flowtrace-bpf 9.8.7",
	};
	struct rdrive d;
	char *out;

	rd_sample(&d);
	rd_node(&d, 0, (int[]){0, 0, 0, -1})->flags |= FT_NODE_START_LOST;
	rd_node(&d, 0, (int[]){0, 0, 1, -1})->flags |= FT_NODE_END_LOST;
	out = rd_render(&render_chrome, &d, NULL, &meta);
	/* launched: the process is named by its command */
	FT_TRUE(strstr(out, "{\"traceEvents\":[{\"name\":\"process_name\",\"ph\":\"M\","
			    "\"pid\":4242,\"tid\":4242,\"args\":{\"name\":\"python3 "
			    "\\\"app.py\\\"\"}},"));
	FT_TRUE(strstr(out, "\"pid\":4242,\"tid\":4242,\"args\":{\"func\":\"fib\","
			    "\"file\":\"/tmp/app.py\",\"line\":3,\"entry_lost\":true}}"));
	FT_TRUE(strstr(out, "\"pid\":4242,\"tid\":4242,\"args\":{\"func\":\"helper\","
			    "\"file\":\"/tmp/app.py\",\"line\":20,\"return_lost\":true}}"));
	FT_TRUE(strstr(out, "],\"displayTimeUnit\":\"ns\",\"otherData\":{\"pid\":4242,"
			    "\"python\":\"3.11.2\",\"probe\":\"usdt\","));
	/* the tool's name and version, as the application passed them */
	FT_TRUE(strstr(out, "\"tool\":\"flowtrace-bpf 9.8.7\"}}\n"));
	FT_TRUE(json_check(out, false));
	FT_TRUE(chrome_nests(out));
	free(out);

	/* attached: named by PID */
	struct render_meta m = meta;
	m.command = NULL;
	out = rd_render(&render_chrome, &d, NULL, &m);
	FT_TRUE(strstr(out, "\"args\":{\"name\":\"python PID 4242\"}}"));
	free(out);
	/* no tool given: no "tool" key, rather than a made-up one */
	m.tool = NULL;
	out = rd_render(&render_chrome, &d, NULL, &m);
	FT_TRUE(!strstr(out, "\"tool\"") && json_check(out, false));
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_chrome_filtered)
{
	const char *exc[] = {"main"};
	struct filter f = {.exclude = exc, .nexclude = 1, .min_dur_ns = 150};
	struct rdrive d;
	char *out;

	rd_sample(&d);
	out = rd_render(&render_chrome, &d, &f, NULL);
	/* main's calls move up; short calls go, with their subtrees; the lost
	 * marker stays where its place is */
	FT_EQ_STR(out, filtered_trace);
	FT_TRUE(chrome_nests(out));
	free(out);
	filter__free(&f);
	rdrive_free(&d);
}

FT_TEST(render_chrome_names_and_empty)
{
	struct rdrive d;
	char func[FT_FUNC_MAX];
	char *out;

	rdrive_init(&d);
	out = rd_render(&render_chrome, &d, NULL, NULL);
	FT_EQ_STR(out, "{\"traceEvents\":[" M_EVENT(
			       "process_name", 0,
			       "\"name\":\"python PID 0\"") "],"
							    "\"displayTimeUnit\":\"ns\"}\n");
	FT_TRUE(json_check(out, false));
	free(out);

	memset(func, 'f', sizeof(func) - 1);
	func[sizeof(func) - 1] = 0;
	rd_name(&d, 1, "cut", "/c.py", 4, FT_NAME_FUNC_CUT);
	rd_name(&d, 2, "nofile", "", 0, 0);
	rd_thread(&d, 5, "");
	rd_leaf(&d, 5, 1000, 1, 1);
	rd_leaf(&d, 5, 2000, 1, 2);
	rd_leaf(&d, 5, 3000, 1, 99); /* never bound */
	out = rd_render(&render_chrome, &d, NULL, NULL);
	FT_TRUE(strstr(out, "\"tid\":5,\"args\":{\"name\":\"thread 5\"}}"));
	FT_TRUE(strstr(out, "{\"name\":\"cut... (/c.py:4)\",\"cat\":\"python\",\"ph\":\"X\","
			    "\"ts\":1.000,\"dur\":0.001,\"pid\":0,\"tid\":5,\"args\":{\"func\":"
			    "\"cut\",\"file\":\"/c.py\",\"line\":4,\"name_truncated\":true}}"));
	FT_TRUE(strstr(out, "{\"name\":\"nofile\",\"cat\":\"python\""));
	FT_TRUE(strstr(out, "{\"name\":\"<unknown>\",\"cat\":\"python\",\"ph\":\"X\","
			    "\"ts\":3.000,\"dur\":0.001,\"pid\":0,\"tid\":5,\"args\":{\"func\":"
			    "\"<unknown>\",\"file\":\"\",\"line\":0,\"name_unknown\":true}}"));
	FT_TRUE(json_check(out, false));
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_chrome_deep_chain)
{
	enum { DEEP = 5000 };
	struct rdrive d;
	char *out;
	size_t events = 0;

	rdrive_init(&d);
	rd_name(&d, 1, "r", "r.py", 1, 0);
	for (int i = 0; i < DEEP; i++)
		rd_enter(&d, 9, 1000 * (uint64_t)i, 1);
	for (int i = 0; i < DEEP; i++)
		rd_leave(&d, 9, 1000 * (uint64_t)(DEEP + i) + 1);
	out = rd_render(&render_chrome, &d, NULL, NULL);
	for (const char *p = out; (p = strstr(p, "\"ph\":\"X\"")); p++)
		events++;
	FT_EQ_U64(events, DEEP);
	/* the innermost call: 4999 us in, 1.001 us long */
	FT_TRUE(strstr(out, "\"ts\":4999.000,\"dur\":1.001,"));
	FT_TRUE(chrome_nests(out));
	free(out);
	rdrive_free(&d);
}
