// SPDX-License-Identifier: MIT
/* Writes html pages of known forests for the browser check: the forests go
 * through the real call-tree builder and the real html renderer, so what
 * the browser opens is what a user gets, only deterministic.
 *
 *   gen-page sample FILE     two threads: nesting, recursion, a generator,
 *                            lost records, unfinished and before-attach calls
 *   gen-page hostile FILE    names that try to break out of the page
 *   gen-page big FILE N      about N calls in many small requests
 *   gen-page empty FILE      no calls at all
 *
 * Prints the number of calls written, unfinished ones included. Exit 0, or
 * 1 with a message. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/names.h"
#include "output/render.h"

struct gen {
	struct calltree *ct;
	struct names *names;
	struct {
		uint32_t tid, seq;
		int32_t depth;
	} th[8];
	size_t nth;
	uint64_t calls;
	uint64_t end; /* where tracing stopped */
	int err;
};

static size_t slot(struct gen *g, uint32_t tid)
{
	for (size_t i = 0; i < g->nth; i++)
		if (g->th[i].tid == tid)
			return i;
	g->th[g->nth].tid = tid;
	return g->nth++;
}

static void enter(struct gen *g, uint32_t tid, uint64_t ts, uint32_t name)
{
	size_t i = slot(g, tid);

	g->th[i].depth++;
	if (calltree__push(g->ct, tid, ts, g->th[i].seq++, g->th[i].depth, name))
		g->err = -ENOMEM;
}

static void leave(struct gen *g, uint32_t tid, uint64_t ts)
{
	size_t i = slot(g, tid);

	if (calltree__pop(g->ct, tid, ts, g->th[i].seq++, g->th[i].depth, 0))
		g->err = -ENOMEM;
	g->th[i].depth--;
	g->calls++;
}

/* records that never arrive: the builder shows a lost marker */
static void lose(struct gen *g, uint32_t tid, uint32_t n)
{
	g->th[slot(g, tid)].seq += n;
}

static void bind(struct gen *g, uint32_t id, const char *func, const char *file, uint32_t line)
{
	if (names__bind(g->names, id, func, strlen(func), file, strlen(file), line, 0))
		g->err = -ENOMEM;
}

#define US 1000ULL
#define MS 1000000ULL

enum {
	N_MODULE = 1,
	N_MAIN,
	N_PARSE,
	N_LOADS,
	N_DECODE,
	N_RAW_DECODE,
	N_FULFIL,
	N_ITEMS_OF,
	N_ITEMS_OF_RESUME,
	N_RESERVE,
	N_PRICE,
	N_AUDIT,
	N_GENEXPR,
	N_REPORT,
	N_FORMAT,
	N_RUN,
	N_WORK,
	N_FIB,
	N_WAIT,
};

static void sample_names(struct gen *g)
{
	bind(g, N_MODULE, "<module>", "/srv/shop/app.py", 1);
	bind(g, N_MAIN, "main", "/srv/shop/app.py", 60);
	bind(g, N_PARSE, "parse", "/srv/shop/app.py", 22);
	bind(g, N_LOADS, "loads", "/usr/lib/python3.11/json/__init__.py", 299);
	bind(g, N_DECODE, "decode", "/usr/lib/python3.11/json/decoder.py", 332);
	bind(g, N_RAW_DECODE, "raw_decode", "/usr/lib/python3.11/json/decoder.py", 343);
	bind(g, N_FULFIL, "fulfil", "/srv/shop/app.py", 36);
	bind(g, N_ITEMS_OF, "items_of", "/srv/shop/app.py", 26);
	bind(g, N_ITEMS_OF_RESUME, "items_of", "/srv/shop/app.py", 29);
	bind(g, N_RESERVE, "reserve", "/srv/shop/inventory.py", 16);
	bind(g, N_PRICE, "price", "/srv/shop/pricing.py", 31);
	bind(g, N_AUDIT, "audit", "/srv/shop/app.py", 47);
	bind(g, N_GENEXPR, "<genexpr>", "/srv/shop/app.py", 48);
	bind(g, N_REPORT, "report", "/srv/shop/app.py", 55);
	bind(g, N_FORMAT, "format_total", "/srv/shop/report.py", 8);
	bind(g, N_RUN, "run", "/usr/lib/python3.11/threading.py", 975);
	bind(g, N_WORK, "restock", "/srv/shop/inventory.py", 40);
	bind(g, N_FIB, "backoff", "/srv/shop/inventory.py", 52);
	bind(g, N_WAIT, "wait", "/usr/lib/python3.11/threading.py", 288);
}

/* price(n) = price(n - 1) + n: recursion to depth n, 40 us a level */
static uint64_t price(struct gen *g, uint32_t tid, uint64_t t, int n)
{
	enter(g, tid, t, N_PRICE);
	t += 15 * US;
	if (n > 1)
		t = price(g, tid, t, n - 1);
	t += 25 * US;
	leave(g, tid, t);
	return t;
}

/* backoff(n): a binary recursion, like fib */
static uint64_t backoff(struct gen *g, uint32_t tid, uint64_t t, int n)
{
	enter(g, tid, t, N_FIB);
	t += 6 * US;
	if (n > 1) {
		t = backoff(g, tid, t, n - 1);
		t = backoff(g, tid, t + 2 * US, n - 2);
	}
	t += 4 * US;
	leave(g, tid, t);
	return t;
}

static void sample(struct gen *g)
{
	const uint32_t T1 = 4242, T2 = 4250;
	uint64_t t;

	sample_names(g);
	calltree__thread(g->ct, T1, "python3");
	calltree__thread(g->ct, T2, "restocker");
	/* <module> was running when tracing began */
	enter(g, T1, 0, N_MODULE);
	enter(g, T1, 40 * US, N_MAIN);

	enter(g, T1, 90 * US, N_PARSE);
	enter(g, T1, 130 * US, N_LOADS);
	enter(g, T1, 170 * US, N_DECODE);
	enter(g, T1, 220 * US, N_RAW_DECODE);
	leave(g, T1, 760 * US);
	leave(g, T1, 800 * US);
	leave(g, T1, 850 * US);
	leave(g, T1, 900 * US);

	enter(g, T1, 1000 * US, N_FULFIL);
	t = 1050 * US;
	for (int order = 0; order < 3; order++) {
		enter(g, T1, t, order ? N_ITEMS_OF_RESUME : N_ITEMS_OF);
		t += 30 * US;
		leave(g, T1, t);
		enter(g, T1, t + 20 * US, N_RESERVE);
		t += 180 * US;
		leave(g, T1, t);
		t = price(g, T1, t + 30 * US, 3 + 2 * order);
		t += 60 * US;
	}
	enter(g, T1, t, N_ITEMS_OF_RESUME);
	t += 25 * US;
	leave(g, T1, t);
	leave(g, T1, t + 40 * US);

	/* the worker starts while main is busy */
	enter(g, T2, 1500 * US, N_RUN);
	enter(g, T2, 1600 * US, N_WORK);
	t = backoff(g, T2, 1700 * US, 7);
	leave(g, T2, t + 50 * US);
	enter(g, T2, t + 120 * US, N_WAIT);

	enter(g, T1, 3600 * US, N_AUDIT);
	for (int i = 0; i < 4; i++) {
		enter(g, T1, 3650 * US + i * 150 * US, N_GENEXPR);
		leave(g, T1, 3700 * US + i * 150 * US);
	}
	leave(g, T1, 4400 * US);
	/* three records went missing here */
	lose(g, T1, 3);
	enter(g, T1, 4700 * US, N_REPORT);
	enter(g, T1, 4800 * US, N_FORMAT);
	leave(g, T1, 6200 * US);
	leave(g, T1, 6900 * US);
	leave(g, T1, 7400 * US);
	g->end = 8 * MS;
	calltree__finish(g->ct, g->end);
	/* as a real trace attached to a running program shows it */
	((struct ft_node *)calltree__thread_at(g->ct, 0)->first_root)->flags |=
		FT_NODE_BEFORE_ATTACH;
}

static void hostile(struct gen *g)
{
	static const char *const evil[] = {
		"</script><script>document.title='PWNED'</script>",
		"<!--<script>",
		"<img src=x onerror=\"document.title='PWNED'\">",
		"\"quotes' & ampersands\u2028line\u2029sep",
		"</SCRIPT >",
		"\xff\xfe bad utf-8 \xc3(",
		"\\u003c/script\\u003e",
	};
	uint64_t t = 0;

	for (uint32_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++)
		bind(g, i + 1, evil[i], "</script><b>file.py", i + 1);
	calltree__thread(g->ct, 7, "</script>");
	enter(g, 7, t, 1);
	for (uint32_t i = 1; i < sizeof(evil) / sizeof(evil[0]); i++) {
		enter(g, 7, t += 100 * US, i + 1);
		leave(g, 7, t += 300 * US);
	}
	leave(g, 7, t += 100 * US);
	g->end = t + 100 * US;
	calltree__finish(g->ct, g->end);
}

/* a small linear congruential generator: the same "random" trace always */
static uint32_t rnd(uint64_t *s, uint32_t n)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33) % n;
}

enum { B_HANDLE = 1, B_PARSE, B_TOKEN, B_VALIDATE, B_QUERY, B_FETCH, B_RENDER, B_ESCAPE, B_LOG };

static uint64_t big_call(struct gen *g, uint64_t *rs, uint64_t t, uint32_t name, int depth)
{
	static const uint32_t kids[][3] = {
		[B_HANDLE] = {B_PARSE, B_QUERY, B_RENDER},
		[B_PARSE] = {B_TOKEN, B_VALIDATE, 0},
		[B_QUERY] = {B_FETCH, B_LOG, 0},
		[B_RENDER] = {B_ESCAPE, B_LOG, 0},
	};

	enter(g, 1, t, name);
	t += 200 + rnd(rs, 2000);
	if (name < sizeof(kids) / sizeof(kids[0]) && depth < 4) {
		for (int k = 0; k < 3; k++) {
			uint32_t c = kids[name][k];
			uint32_t reps = name == B_HANDLE ? 1 : 1 + rnd(rs, 6);

			for (uint32_t r = 0; c && r < reps; r++)
				t = big_call(g, rs, t + rnd(rs, 300), c, depth + 1) + rnd(rs, 200);
		}
	}
	t += 100 + rnd(rs, 500);
	leave(g, 1, t);
	return t;
}

static void big(struct gen *g, uint64_t n)
{
	uint64_t rs = 42, t = 1000;

	bind(g, B_HANDLE, "handle_request", "/srv/api/server.py", 120);
	bind(g, B_PARSE, "parse_body", "/srv/api/codec.py", 14);
	bind(g, B_TOKEN, "next_token", "/srv/api/codec.py", 60);
	bind(g, B_VALIDATE, "validate", "/srv/api/schema.py", 33);
	bind(g, B_QUERY, "query", "/srv/api/db.py", 201);
	bind(g, B_FETCH, "fetch_row", "/srv/api/db.py", 240);
	bind(g, B_RENDER, "render", "/srv/api/views.py", 12);
	bind(g, B_ESCAPE, "escape", "/usr/lib/python3.11/html/__init__.py", 12);
	bind(g, B_LOG, "debug", "/usr/lib/python3.11/logging/__init__.py", 1455);
	calltree__thread(g->ct, 1, "python3");
	while (g->calls < n && !g->err)
		t = big_call(g, &rs, t + 500 + rnd(&rs, 5000), B_HANDLE, 0);
	g->end = t + 1000;
	calltree__finish(g->ct, g->end);
}

int main(int argc, char **argv)
{
	struct calltree_opts o = {.keep = true};
	struct gen g = {0};
	struct render_meta meta = {
		.pid = 4242,
		.python = "3.11.2",
		.probe = "usdt",
		.binary = "/usr/bin/python3.11",
		.wall_start = {1795320770, 123456789},
	};
	struct render_ctx rc = {.meta = &meta};
	struct calltree_stats st;
	const char *mode = argc > 2 ? argv[1] : "";
	FILE *out;
	int err;

	if (argc < 3 || (strcmp(mode, "big") && argc != 3)) {
		fprintf(stderr,
			"usage: gen-page sample|hostile|empty FILE | gen-page big FILE N\n");
		return 1;
	}
	g.ct = calltree__new(&o);
	g.names = names__new();
	if (!g.ct || !g.names)
		return 1;
	if (!strcmp(mode, "sample")) {
		sample(&g);
		meta.command = "python3 /srv/shop/app.py --orders today.json";
	} else if (!strcmp(mode, "hostile")) {
		hostile(&g);
		meta.command = "python3 </script><script>document.title='PWNED'</script>";
	} else if (!strcmp(mode, "big") && argc == 4) {
		big(&g, strtoull(argv[3], NULL, 10));
		meta.command = "python3 -m api.bench";
	} else if (!strcmp(mode, "empty")) {
		meta.command = "python3 -c pass";
	} else {
		fprintf(stderr, "gen-page: unknown mode '%s'\n", mode);
		return 1;
	}
	if (g.err) {
		fprintf(stderr, "gen-page: building the forest failed\n");
		return 1;
	}
	calltree__stats(g.ct, &st);
	meta.calls = st.calls;
	meta.unfinished = st.open;
	meta.lost = st.lost;
	meta.threads = calltree__nthreads(g.ct);
	meta.events = st.records;
	meta.duration_ns = g.end;

	out = fopen(argv[2], "w");
	if (!out) {
		fprintf(stderr, "gen-page: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	rc.out = out;
	rc.names = g.names;
	err = render_html.end(&rc, g.ct);
	if (fclose(out) && !err)
		err = -EIO;
	if (err) {
		fprintf(stderr, "gen-page: rendering failed: %s\n", strerror(-err));
		return 1;
	}
	printf("%" PRIu64 "\n", st.calls);
	calltree__free(g.ct);
	names__free(g.names);
	return 0;
}
