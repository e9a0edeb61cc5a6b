// SPDX-License-Identifier: MIT
/* The html format: the page's shape (self-contained, one data element, the
 * script last), the embedded data exactly for a small forest (calls, shown
 * depths, flags, lost markers, names), display filters, and names that try
 * to close the script element or inject markup. tests/browser/run.sh opens
 * such pages in a real browser. */
#include <errno.h>
#include <stdlib.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "json_check.h"
#include "core/names.h"
#include "output/render.h"
#include "test.h"

#define DATA_OPEN "<script type=\"application/json\" id=\"ft-data\">"

static char *render_page(const struct calltree *ct, const struct names *names, struct filter *f,
			 const struct render_meta *meta)
{
	struct render_ctx rc = {.names = names, .filter = f, .meta = meta};
	char *buf = NULL;
	size_t len = 0;

	rc.out = open_memstream(&buf, &len);
	FT_TRUE(rc.out);
	FT_EQ_INT(render_html.end(&rc, ct), 0);
	fclose(rc.out);
	return buf;
}

/* The text of the data element (a copy). */
static char *page_data(const char *page)
{
	const char *start = strstr(page, DATA_OPEN), *end;

	FT_TRUE(start);
	start += strlen(DATA_OPEN);
	end = strstr(start, "</script>");
	FT_TRUE(end);
	/* exactly one data element */
	FT_TRUE(!strstr(end, DATA_OPEN));
	return strndup(start, end - start);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

enum { N_MAIN = 1, N_A, N_B, N_C, N_D };

/* thread 10 "python3": main [0, 900) unfinished > a [100, 400) > b
 * [150, 250), four records lost, c [600, 900) unfinished; thread 11: an
 * unbound name id, then d. */
static struct calltree *built_forest(struct names **names)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	uint32_t s1 = 0, s2 = 0;

	*names = names__new();
	FT_TRUE(ct && *names);
	FT_EQ_INT(names__bind(*names, N_MAIN, "main", 4, "/app.py", 7, 10, 0), 0);
	FT_EQ_INT(names__bind(*names, N_A, "a", 1, "/app.py", 7, 20, 0), 0);
	FT_EQ_INT(names__bind(*names, N_B, "b", 1, "/lib.py", 7, 3, FT_NAME_FUNC_CUT), 0);
	FT_EQ_INT(names__bind(*names, N_C, "c", 1, "/app.py", 7, 30, 0), 0);
	FT_EQ_INT(names__bind(*names, N_D, "d", 1, "/w.py", 5, 1, 0), 0);
	FT_EQ_INT(calltree__thread(ct, 10, "python3"), 0);
	FT_EQ_INT(calltree__push(ct, 10, 0, s1++, 1, N_MAIN), 0);
	FT_EQ_INT(calltree__push(ct, 10, 100, s1++, 2, N_A), 0);
	FT_EQ_INT(calltree__push(ct, 10, 150, s1++, 3, N_B), 0);
	FT_EQ_INT(calltree__pop(ct, 10, 250, s1++, 3, 0), 0);
	FT_EQ_INT(calltree__pop(ct, 10, 400, s1++, 2, 0), 0);
	s1 += 4; /* four records lost */
	FT_EQ_INT(calltree__push(ct, 10, 600, s1++, 2, N_C), 0);
	FT_EQ_INT(calltree__push(ct, 11, 50, s2++, 1, 77), 0);
	FT_EQ_INT(calltree__pop(ct, 11, 70, s2++, 1, 0), 0);
	FT_EQ_INT(calltree__push(ct, 11, 100, s2++, 1, N_D), 0);
	FT_EQ_INT(calltree__pop(ct, 11, 120, s2++, 1, 0), 0);
	calltree__finish(ct, 900);
	return ct;
}

FT_TEST(render_html_registered)
{
	FT_TRUE(renderer_find("html") == &render_html);
	FT_TRUE(!render_html.streaming && render_html.end && !render_html.call);
	FT_TRUE(strstr(renderer_names(), "html"));
}

FT_TEST(render_html_page_shape)
{
	struct names *names;
	struct calltree *ct = built_forest(&names);
	char *page = render_page(ct, names, NULL, NULL);

	FT_TRUE(!strncmp(
		page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">",
		strlen("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")));
	FT_TRUE(strstr(page, "<title>flowtrace</title>"));
	/* self-contained: nothing fetched from anywhere */
	FT_EQ_U64(count(page, "http://"), 0);
	FT_EQ_U64(count(page, "https://"), 0);
	FT_EQ_U64(count(page, "src="), 0);
	FT_EQ_U64(count(page, "@import"), 0);
	FT_EQ_U64(count(page, "url("), 0);
	/* one style, the data, then the one script; the status elements */
	FT_EQ_U64(count(page, "<style>"), 1);
	FT_EQ_U64(count(page, "<script"), 2);
	FT_EQ_U64(count(page, "</script>"), 2);
	FT_TRUE(strstr(page, "id=\"status\""));
	FT_TRUE(strstr(page, "<div id=\"error\" hidden>"));
	FT_TRUE(strstr(page, "<canvas id=\"cv\""));
	FT_TRUE(strstr(page, DATA_OPEN) < strstr(page, "<script>\n"));
	{
		const char *tail = "</script>\n</body>\n</html>\n";

		FT_EQ_STR(page + strlen(page) - strlen(tail), tail);
	}
	free(page);
	calltree__free(ct);
	names__free(names);
}

/* src/output/html/ explains itself in whole-line comments, which the build
 * leaves out of the page (scripts/embed-html.sh) */
FT_TEST(render_html_page_has_no_source_comments)
{
	struct names *names;
	struct calltree *ct = built_forest(&names);
	char *page = render_page(ct, names, NULL, NULL);

	FT_EQ_U64(count(page, "\n//"), 0);
	FT_EQ_U64(count(page, "\n<!--"), 0);
	FT_EQ_U64(count(page, "embeds it at"), 0); /* each file's opening comment */
	FT_EQ_U64(count(page, "flag F_END_LOST"), 0);
	/* what the comments sit between is there, in order */
	FT_TRUE(strstr(page, "<style>\n:root {"));
	FT_TRUE(strstr(page, "<body>\n<header class=\"top\">"));
	FT_TRUE(strstr(page, "<script>\n(function () {\n"));
	FT_TRUE(strstr(page,
		       "var D = JSON.parse($('ft-data').textContent);\nvar NAME_FUNC_CUT = 1,"));
	free(page);
	calltree__free(ct);
	names__free(names);
}

FT_TEST(render_html_data_exact)
{
	struct names *names;
	struct calltree *ct = built_forest(&names);
	char *page = render_page(ct, names, NULL, NULL);
	char *data = page_data(page);

	FT_TRUE(json_check(data, false));
	/* per call: name index, start, duration, depth, flags; per lost
	 * marker: start, records, depth; names in order of first use */
	FT_EQ_STR(data, "{\"meta\":null,\"filtered\":false,\"threads\":["
			"{\"tid\":10,\"name\":\"python3\",\"calls\":[0,0,900,0,33,1,100,300,1,0,"
			"2,150,100,2,0,3,600,300,1,1],\"lost\":[400,4,1]},"
			"{\"tid\":11,\"name\":\"\",\"calls\":[4,50,20,0,0,5,100,20,0,0],"
			"\"lost\":[]}],"
			"\"names\":[[\"main\",\"/app.py\",10,0],[\"a\",\"/app.py\",20,0],"
			"[\"b\",\"/lib.py\",3,1],[\"c\",\"/app.py\",30,0],"
			"[\"\\u003cunknown>\",\"\",0,2],[\"d\",\"/w.py\",1,0]]}");
	free(data);
	free(page);
	calltree__free(ct);
	names__free(names);
}

static const struct render_meta meta = {
	.pid = 4242,
	.python = "3.11.2",
	.probe = "usdt",
	.binary = "/usr/bin/python3.11",
	.command = "python3 app.py </script><b>x</b> & \"y\"\n",
	.wall_start = {1795320770, 123456789},
	.duration_ns = 9000,
	.threads = 2,
	.calls = 5,
	.lost = 4,
};

FT_TEST(render_html_meta_and_title)
{
	struct names *names;
	struct calltree *ct = built_forest(&names);
	char *page = render_page(ct, names, NULL, &meta);
	char *data = page_data(page);

	FT_TRUE(strstr(page, "<title>flowtrace: python3 app.py &lt;/script&gt;&lt;b&gt;x&lt;/b&gt; "
			     "&amp; \"y\" </title>"));
	FT_TRUE(json_check(data, false));
	FT_TRUE(strstr(data, "{\"meta\":{\"pid\":4242,\"python\":\"3.11.2\",\"probe\":\"usdt\","));
	FT_TRUE(strstr(data, "\"command\":\"python3 app.py \\u003c/script>\\u003cb>x\\u003c/b> & "
			     "\\\"y\\\"\\n\""));
	free(data);
	free(page);

	/* without a command, the PID */
	struct render_meta m = meta;
	m.command = NULL;
	page = render_page(ct, names, NULL, &m);
	FT_TRUE(strstr(page, "<title>flowtrace: PID 4242</title>"));
	free(page);
	calltree__free(ct);
	names__free(names);
}

FT_TEST(render_html_hostile_names)
{
	static const char *const evil[] = {
		"</script><script>alert(1)</script>",
		"<!--<script>",
		"</SCRIPT\t>",
		"<img src=x onerror=alert(1)>",
		"\xe2\x80\xa8\xe2\x80\xa9\xff\xc3(",
	};
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	struct names *names = names__new();
	char *page, *data;
	uint32_t seq = 0;

	FT_TRUE(ct && names);
	for (uint32_t i = 0; i < 5; i++) {
		FT_EQ_INT(names__bind(names, i + 1, evil[i], strlen(evil[i]), "</script>.py", 12, i,
				      0),
			  0);
		FT_EQ_INT(calltree__push(ct, 1, 10 * i, seq++, 1, i + 1), 0);
		FT_EQ_INT(calltree__pop(ct, 1, 10 * i + 5, seq++, 1, 0), 0);
	}
	FT_EQ_INT(calltree__thread(ct, 1, "</script>"), 0);
	calltree__finish(ct, 100);
	page = render_page(ct, names, NULL, NULL);
	data = page_data(page);
	/* the data element holds no '<' at all: nothing in it can end it, open
	 * a comment or start a tag */
	FT_TRUE(!strchr(data, '<'));
	FT_TRUE(json_check(data, false));
	FT_TRUE(strstr(data, "\"\\u003c/script>\\u003cscript>alert(1)\\u003c/script>\""));
	FT_TRUE(strstr(data, "\"\\u003c/SCRIPT\\t>\""));
	FT_TRUE(strstr(data, "\"name\":\"\\u003c/script>\""));
	/* ill-formed UTF-8 becomes U+FFFD, as everywhere */
	FT_TRUE(strstr(data, "\xe2\x80\xa8\xe2\x80\xa9\xef\xbf\xbd\xef\xbf\xbd("));
	/* the page still has exactly its two script elements */
	FT_EQ_U64(count(page, "</script>"), 2);
	free(data);
	free(page);
	calltree__free(ct);
	names__free(names);
}

FT_TEST(render_html_filtered)
{
	struct names *names;
	struct calltree *ct = built_forest(&names);
	const char *exclude[] = {"a"};
	struct filter f = {.exclude = exclude, .nexclude = 1};
	char *page = render_page(ct, names, &f, NULL);
	char *data = page_data(page);

	/* a hidden: b moves up a level; the name table has no a */
	FT_TRUE(json_check(data, false));
	FT_TRUE(strstr(data, "\"filtered\":true,"));
	FT_TRUE(strstr(data, "\"calls\":[0,0,900,0,33,1,150,100,1,0,2,600,300,1,1],"
			     "\"lost\":[400,4,1]}"));
	FT_TRUE(strstr(data, "\"names\":[[\"main\",\"/app.py\",10,0],[\"b\",\"/lib.py\",3,1],"
			     "[\"c\",\"/app.py\",30,0],"));
	free(data);
	free(page);
	filter__free(&f);

	/* nothing shown: the threads are there, empty */
	f = (struct filter){.min_dur_ns = 100000};
	page = render_page(ct, names, &f, NULL);
	data = page_data(page);
	FT_TRUE(json_check(data, false));
	FT_TRUE(strstr(data, "{\"tid\":10,\"name\":\"python3\",\"calls\":[],\"lost\":[]}"));
	FT_TRUE(strstr(data, "\"names\":[]}"));
	free(data);
	free(page);
	calltree__free(ct);
	names__free(names);
}

FT_TEST(render_html_empty)
{
	struct names *names = names__new();
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	char *page, *data;

	FT_TRUE(names && ct);
	/* a thread without calls is left out */
	FT_EQ_INT(calltree__thread(ct, 5, "idle"), 0);
	page = render_page(ct, names, NULL, NULL);
	data = page_data(page);
	FT_EQ_STR(data, "{\"meta\":null,\"filtered\":false,\"threads\":[],\"names\":[]}");
	free(data);
	free(page);
	page = render_page(NULL, names, NULL, NULL);
	data = page_data(page);
	FT_EQ_STR(data, "{\"meta\":null,\"filtered\":false,\"threads\":[],\"names\":[]}");
	free(data);
	free(page);
	calltree__free(ct);
	names__free(names);
}

FT_TEST(render_html_many_names)
{
	/* more names than the first hash table holds: indexes stay dense */
	enum { N = 3000 };
	struct names *names = names__new();
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	char *page, *data, func[32];
	uint32_t seq = 0;

	FT_TRUE(names && ct);
	for (uint32_t i = 1; i <= N; i++) {
		int len = snprintf(func, sizeof(func), "f%u", i);

		FT_EQ_INT(names__bind(names, i, func, len, "m.py", 4, i, 0), 0);
		FT_EQ_INT(calltree__push(ct, 1, 2 * i, seq++, 1, i), 0);
		FT_EQ_INT(calltree__pop(ct, 1, 2 * i + 1, seq++, 1, 0), 0);
	}
	/* the first name again: its index is reused */
	FT_EQ_INT(calltree__push(ct, 1, 3 * N, seq++, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 1, 3 * N + 1, seq++, 1, 0), 0);
	calltree__finish(ct, 4 * N);
	page = render_page(ct, names, NULL, NULL);
	data = page_data(page);
	FT_TRUE(json_check(data, false));
	FT_TRUE(strstr(data, ",2999,6000,1,0,0,0,9000,1,0,0],"));
	FT_TRUE(strstr(data, "[\"f3000\",\"m.py\",3000,0]]}"));
	free(data);
	free(page);
	calltree__free(ct);
	names__free(names);
}

FT_TEST(render_html_stream_error)
{
	struct names *names;
	struct calltree *ct = built_forest(&names);
	struct render_ctx rc = {.names = names};

	rc.out = fopen("/dev/full", "w");
	if (rc.out) {
		FT_EQ_INT(render_html.end(&rc, ct), -EIO);
		fclose(rc.out);
	}
	calltree__free(ct);
	names__free(names);
}
