// SPDX-License-Identifier: MIT
/* The first view (core/firstview.c): where a launched program starts among
 * its main thread's roots, start-up phases and shutdown counted; and the
 * tree's folded lines (render_tree.c) against --startup. */
#include <stdlib.h>

#include "core/filter.h"
#include "core/firstview.h"
#include "forest.h"
#include "render_run.h"

enum {
	N_BOOT = 1, /* <module> of <frozen importlib._bootstrap> */
	N_INSTALL,
	N_FAL, /* _find_and_load */
	N_ENC_MOD,
	N_SEARCH,
	N_SITE_MOD,
	N_PTH, /* <module> of a .pth line's import */
	N_APP,
	N_F,
	N_SHUTDOWN, /* threading._shutdown */
	N_RUNPY_MOD,
	N_RUN_AS_MAIN,
	N_DETAILS,
	N_RUN_CODE,
	N_MAIN_MOD,
	N_STRING,
	N_GETPATH,
};

static void names_python(struct forest *fo)
{
	forest_name(fo, N_BOOT, "<module>", "<frozen importlib._bootstrap>", 1, 0);
	forest_name(fo, N_INSTALL, "_install", "<frozen importlib._bootstrap>", 1538, 0);
	forest_name(fo, N_FAL, "_find_and_load", "<frozen importlib._bootstrap>", 1349, 0);
	forest_name(fo, N_ENC_MOD, "<module>", "/usr/lib/python3.12/encodings/__init__.py", 1, 0);
	forest_name(fo, N_SEARCH, "search_function", "/usr/lib/python3.12/encodings/__init__.py",
		    71, 0);
	forest_name(fo, N_SITE_MOD, "<module>", "/usr/lib/python3.12/site.py", 1, 0);
	forest_name(fo, N_PTH, "<module>", "/venv/lib/site-packages/_virtualenv.py", 1, 0);
	forest_name(fo, N_APP, "<module>", "/tmp/app.py", 1, 0);
	forest_name(fo, N_F, "f", "/tmp/app.py", 1, 0);
	forest_name(fo, N_SHUTDOWN, "_shutdown", "/usr/lib/python3.12/threading.py", 1560, 0);
	forest_name(fo, N_RUNPY_MOD, "<module>", "<frozen runpy>", 1, 0);
	forest_name(fo, N_RUN_AS_MAIN, "_run_module_as_main", "<frozen runpy>", 173, 0);
	forest_name(fo, N_DETAILS, "_get_module_details", "<frozen runpy>", 103, 0);
	forest_name(fo, N_RUN_CODE, "_run_code", "<frozen runpy>", 65, 0);
	forest_name(fo, N_MAIN_MOD, "<module>", "/srv/pkg/__main__.py", 1, 0);
	forest_name(fo, N_STRING, "<module>", "<string>", 1, 0);
	forest_name(fo, N_GETPATH, "<module>", "<frozen getpath>", 1, 0);
}

/* A script's start-up as 3.12 runs it: importlib's bootstrap, getpath,
 * the encodings import and a codec lookup, site (with a .pth import under
 * it), then the program, then threading's shutdown and a lost record. */
static struct ft_node *script_thread(struct forest *fo, struct ft_thread *t)
{
	struct ft_node *n, *app;

	t->tid = t->pid = 100;
	n = forest_add(fo, t, NULL, N_BOOT, 0, 10, 0);
	forest_add(fo, t, n, N_FAL, 1, 2, 0);
	forest_add(fo, t, NULL, N_INSTALL, 20, 5, 0);
	forest_add(fo, t, NULL, N_GETPATH, 30, 3, 0);
	n = forest_add(fo, t, NULL, N_FAL, 40, 100, 0);
	n = forest_add(fo, t, n, N_ENC_MOD, 41, 50, 0);
	forest_add(fo, t, n, N_FAL, 42, 10, 0);
	forest_add(fo, t, NULL, N_SEARCH, 150, 7, 0);
	n = forest_add(fo, t, NULL, N_FAL, 200, 300, 0);
	n = forest_add(fo, t, n, N_SITE_MOD, 201, 290, 0);
	forest_lost(fo, t, n, 4, 250);
	n = forest_add(fo, t, n, N_FAL, 260, 20, 0);
	forest_add(fo, t, n, N_PTH, 261, 10, 0);
	app = forest_add(fo, t, NULL, N_APP, 600, 80, 0);
	forest_add(fo, t, app, N_F, 610, 2, 0);
	n = forest_add(fo, t, NULL, N_SHUTDOWN, 700, 9, 0);
	forest_add(fo, t, n, N_F, 701, 1, 0);
	forest_lost(fo, t, NULL, 2, 720);
	return app;
}

FT_TEST(firstview_script_phases)
{
	struct forest fo;
	struct ft_thread t = {0};
	struct firstview fv;
	struct ft_node *app;

	forest_init(&fo, 64);
	names_python(&fo);
	app = script_thread(&fo, &t);
	FT_TRUE(firstview_find(fo.names, &t, &fv));
	FT_TRUE(fv.entry == app);
	FT_TRUE(fv.top == app);
	FT_EQ_INT(fv.norder, 3);
	FT_EQ_INT(fv.order[0], FIRSTVIEW_IMPORTLIB);
	FT_EQ_INT(fv.order[1], FIRSTVIEW_ENCODINGS);
	FT_EQ_INT(fv.order[2], FIRSTVIEW_SITE);
	/* bootstrap (2 calls), _install, getpath */
	FT_EQ_U64(fv.sum[FIRSTVIEW_IMPORTLIB].calls, 4);
	FT_EQ_U64(fv.sum[FIRSTVIEW_IMPORTLIB].ns, 10 + 5 + 3);
	/* the import of encodings (3 calls) and search_function */
	FT_EQ_U64(fv.sum[FIRSTVIEW_ENCODINGS].calls, 4);
	FT_EQ_U64(fv.sum[FIRSTVIEW_ENCODINGS].ns, 107);
	/* the site import with the .pth's: a lost marker is no call */
	FT_EQ_U64(fv.sum[FIRSTVIEW_SITE].calls, 4);
	FT_EQ_U64(fv.sum[FIRSTVIEW_SITE].lost, 4);
	FT_EQ_U64(fv.sum[FIRSTVIEW_SITE].ns, 300);
	FT_EQ_U64(fv.sum[FIRSTVIEW_RUNPY].calls, 0);
	FT_EQ_U64(fv.sum[FIRSTVIEW_SHUTDOWN].calls, 2);
	FT_EQ_U64(fv.sum[FIRSTVIEW_SHUTDOWN].lost, 2);
	FT_EQ_U64(fv.sum[FIRSTVIEW_SHUTDOWN].ns, 9);
	forest_free(&fo);
}

FT_TEST(firstview_dash_m_under_runpy)
{
	struct forest fo;
	struct ft_thread t = {.tid = 7, .pid = 7};
	struct firstview fv;
	struct ft_node *n, *top, *mod;

	forest_init(&fo, 64);
	names_python(&fo);
	n = forest_add(&fo, &t, NULL, N_FAL, 0, 30, 0);
	forest_add(&fo, &t, n, N_RUNPY_MOD, 1, 20, 0);
	top = forest_add(&fo, &t, NULL, N_RUN_AS_MAIN, 100, 1000, 0);
	n = forest_add(&fo, &t, top, N_DETAILS, 101, 100, 0);
	forest_add(&fo, &t, n, N_FAL, 102, 50, 0);
	n = forest_add(&fo, &t, top, N_RUN_CODE, 300, 700, 0);
	mod = forest_add(&fo, &t, n, N_MAIN_MOD, 301, 600, 0);
	forest_add(&fo, &t, mod, N_F, 302, 1, 0);
	FT_TRUE(firstview_find(fo.names, &t, &fv));
	FT_TRUE(fv.entry == mod);
	FT_TRUE(fv.top == top);
	FT_EQ_INT(fv.norder, 1);
	FT_EQ_INT(fv.order[0], FIRSTVIEW_RUNPY);
	/* runpy's import (2), _run_module_as_main, _get_module_details and
	 * its import, _run_code: not the module's 2 */
	FT_EQ_U64(fv.sum[FIRSTVIEW_RUNPY].calls, 6);
	FT_EQ_U64(fv.sum[FIRSTVIEW_RUNPY].ns, 30 + 1000 - 600);
	FT_EQ_U64(fv.sum[FIRSTVIEW_SHUTDOWN].calls, 0);
	forest_free(&fo);
}

FT_TEST(firstview_runpy_failed_shows_it_whole)
{
	struct forest fo;
	struct ft_thread t = {.tid = 7};
	struct firstview fv;
	struct ft_node *top;

	forest_init(&fo, 16);
	names_python(&fo);
	forest_add(&fo, &t, NULL, N_INSTALL, 0, 5, 0);
	top = forest_add(&fo, &t, NULL, N_RUN_AS_MAIN, 10, 100, 0);
	forest_add(&fo, &t, top, N_DETAILS, 11, 50, 0);
	FT_TRUE(firstview_find(fo.names, &t, &fv));
	FT_TRUE(fv.entry == top && fv.top == top);
	FT_EQ_U64(fv.sum[FIRSTVIEW_IMPORTLIB].calls, 1);
	FT_EQ_U64(fv.sum[FIRSTVIEW_RUNPY].calls, 0);
	forest_free(&fo);
}

FT_TEST(firstview_dash_c_string)
{
	struct forest fo;
	struct ft_thread t = {.tid = 7};
	struct firstview fv;
	struct ft_node *m;

	forest_init(&fo, 16);
	names_python(&fo);
	forest_add(&fo, &t, NULL, N_GETPATH, 0, 5, 0);
	m = forest_add(&fo, &t, NULL, N_STRING, 10, 100, 0);
	FT_TRUE(firstview_find(fo.names, &t, &fv));
	FT_TRUE(fv.entry == m);
	FT_EQ_U64(fv.sum[FIRSTVIEW_IMPORTLIB].calls, 1);
	forest_free(&fo);
}

FT_TEST(firstview_no_program_folds_nothing)
{
	struct forest fo;
	struct ft_thread t = {.tid = 7};
	struct firstview fv;

	forest_init(&fo, 16);
	names_python(&fo);
	/* start-up only (the trace stopped before the program), a thread
	 * with no roots, and calls with unknown names */
	forest_add(&fo, &t, NULL, N_BOOT, 0, 5, 0);
	forest_add(&fo, &t, NULL, N_FAL, 10, 5, 0);
	forest_add(&fo, &t, NULL, 999, 20, 5, 0);
	FT_TRUE(!firstview_find(fo.names, &t, &fv));
	FT_TRUE(!fv.entry);
	t.first_root = t.last_root = NULL;
	FT_TRUE(!firstview_find(fo.names, &t, &fv));
	forest_free(&fo);
}

FT_TEST(firstview_applies_to_launched_main_threads)
{
	struct ft_thread main = {.tid = 10, .pid = 10}, worker = {.tid = 11, .pid = 10},
			 unknown = {.tid = 10}, child = {.tid = 20, .pid = 20};

	FT_TRUE(firstview_applies(&main, 10, true));
	FT_TRUE(!firstview_applies(&main, 10, false)); /* attached: nothing is start-up */
	FT_TRUE(!firstview_applies(&worker, 10, true));
	FT_TRUE(firstview_applies(&unknown, 10, true));
	FT_TRUE(!firstview_applies(&unknown, 11, true));
	/* a process the target forked (--follow) has a main thread too */
	FT_TRUE(firstview_applies(&child, 10, true));
	FT_EQ_STR(firstview_phase_name(FIRSTVIEW_SITE), "site");
	FT_EQ_STR(firstview_phase_name(FIRSTVIEW_NPHASES), "?");
}

/* The tree: the program from its <module>, one line per phase, filters
 * applying to the program only; --startup: everything, as before. */
FT_TEST(firstview_tree_folds_and_startup_shows)
{
	struct rdrive d;
	struct render_meta meta = {.pid = 100, .command = "python3 app.py"};
	struct render_ctx rc;
	char *out;

	rdrive_init(&d);
	rd_name(&d, N_INSTALL, "_install", "<frozen importlib._bootstrap>", 1538, 0);
	rd_name(&d, N_FAL, "_find_and_load", "<frozen importlib._bootstrap>", 1349, 0);
	rd_name(&d, N_SITE_MOD, "<module>", "/usr/lib/python3.12/site.py", 1, 0);
	rd_name(&d, N_APP, "<module>", "/tmp/app.py", 1, 0);
	rd_name(&d, N_F, "f", "/tmp/app.py", 1, 0);
	rd_name(&d, N_SHUTDOWN, "_shutdown", "/usr/lib/python3.12/threading.py", 1560, 0);
	rd_thread(&d, 100, "python3");
	rd_thread(&d, 101, "worker");
	rd_leaf(&d, 100, 0, 1000, N_INSTALL);
	rd_enter(&d, 100, 2000, N_FAL);
	rd_leaf(&d, 100, 2100, 1500, N_SITE_MOD);
	rd_leave(&d, 100, 5000);
	rd_enter(&d, 100, 6000, N_APP);
	rd_leaf(&d, 100, 6100, 100, N_F);
	rd_leaf(&d, 101, 6200, 100, N_F);
	rd_leave(&d, 100, 7000);
	rd_leaf(&d, 100, 8000, 500, N_SHUTDOWN);
	calltree__finish(d.ct, 9000);

	out = rd_render(&render_tree, &d, NULL, &meta);
	FT_EQ_STR(out, "# DURATION     TID      FUNCTION\n"
		       "#\n"
		       "# thread 100 (python3)\n"
		       "# start-up importlib: 1 call, 1.000 us (folded: --startup shows them)\n"
		       "# start-up site: 2 calls, 3.000 us (folded: --startup shows them)\n"
		       "            [    100] | <module>() {  # /tmp/app.py:1\n"
		       "   0.100 us [    100] |   f();  # /tmp/app.py:1\n"
		       "   1.000 us [    100] | } /* <module> */\n"
		       "# shutdown: 1 call, 0.500 us (folded: --startup shows them)\n"
		       "#\n"
		       "# thread 101 (worker)\n"
		       "   0.100 us [    101] | f();  # /tmp/app.py:1\n");
	free(out);

	/* a filter applies to the program; the phases stay counted whole */
	{
		const char *inc[] = {"f"};
		struct filter f = {.include = inc, .ninclude = 1};

		out = rd_render(&render_tree, &d, &f, &meta);
		FT_EQ_STR(out,
			  "# DURATION     TID      FUNCTION\n"
			  "#\n"
			  "# thread 100 (python3)\n"
			  "# start-up importlib: 1 call, 1.000 us (folded: --startup shows them)\n"
			  "# start-up site: 2 calls, 3.000 us (folded: --startup shows them)\n"
			  "   0.100 us [    100] | f();  # /tmp/app.py:1\n"
			  "# shutdown: 1 call, 0.500 us (folded: --startup shows them)\n"
			  "#\n"
			  "# thread 101 (worker)\n"
			  "   0.100 us [    101] | f();  # /tmp/app.py:1\n");
		free(out);
		filter__free(&f);
	}

	/* --startup, and an attached trace: every root as it came */
	rc = (struct render_ctx){.names = d.names, .meta = &meta, .startup = true};
	for (int k = 0; k < 2; k++) {
		char *buf = NULL;
		size_t len = 0;

		if (k) {
			rc.startup = false;
			meta.command = NULL;
		}
		rc.out = open_memstream(&buf, &len);
		FT_EQ_INT(render_tree.end(&rc, d.ct), 0);
		fclose(rc.out);
		FT_EQ_STR(buf,
			  "# DURATION     TID      FUNCTION\n"
			  "#\n"
			  "# thread 100 (python3)\n"
			  "   1.000 us [    100] | _install();  # <frozen "
			  "importlib._bootstrap>:1538\n"
			  "            [    100] | _find_and_load() {  # <frozen "
			  "importlib._bootstrap>:1349\n"
			  "   1.500 us [    100] |   <module>();  # /usr/lib/python3.12/site.py:1\n"
			  "   3.000 us [    100] | } /* _find_and_load */\n"
			  "            [    100] | <module>() {  # /tmp/app.py:1\n"
			  "   0.100 us [    100] |   f();  # /tmp/app.py:1\n"
			  "   1.000 us [    100] | } /* <module> */\n"
			  "   0.500 us [    100] | _shutdown();  # "
			  "/usr/lib/python3.12/threading.py:1560\n"
			  "#\n"
			  "# thread 101 (worker)\n"
			  "   0.100 us [    101] | f();  # /tmp/app.py:1\n");
		free(buf);
	}
	rdrive_free(&d);
}

/* Attached: the frames a stack snapshot found running (ENTRY flagged
 * FT_ENTRY_F_RUNNING) are the thread's ancestors from its first record,
 * flagged entered before attach, starting at 0: unfinished if they never
 * return, ended at their return if they do, and what follows nests under
 * them as it ran. */
FT_TEST(firstview_running_ancestors)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	const struct ft_thread *t;
	const struct ft_node *loop, *serve, *h1, *h2;

	FT_TRUE(ct);
	FT_EQ_INT(calltree__push_running(ct, 9, 500, 0, -1, 1), 0); /* main */
	FT_EQ_INT(calltree__push_running(ct, 9, 500, 1, 0, 2), 0);  /* serve */
	FT_EQ_INT(calltree__push(ct, 9, 600, 2, 1, 3), 0);	    /* handle */
	FT_EQ_INT(calltree__pop(ct, 9, 700, 3, 1, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 9, 800, 4, 0, 2), 0);  /* serve returns */
	FT_EQ_INT(calltree__push(ct, 9, 900, 5, 0, 3), 0); /* main calls handle */
	FT_EQ_INT(calltree__pop(ct, 9, 950, 6, 0, 3), 0);
	calltree__finish(ct, 1000);

	t = calltree__thread_at(ct, 0);
	loop = t->first_root;
	FT_TRUE(loop && !loop->next);
	FT_EQ_INT(loop->name, 1);
	FT_EQ_INT(loop->flags, FT_NODE_BEFORE_ATTACH | FT_NODE_UNFINISHED);
	FT_EQ_U64(loop->start_ns, 0);
	FT_EQ_U64(loop->dur_ns, 1000);
	serve = loop->first_child;
	FT_EQ_INT(serve->name, 2);
	FT_EQ_INT(serve->flags, FT_NODE_BEFORE_ATTACH);
	FT_EQ_U64(serve->start_ns, 0);
	FT_EQ_U64(serve->dur_ns, 800);
	h1 = serve->first_child;
	FT_TRUE(h1 && !h1->next && !h1->flags && h1->start_ns == 600 && h1->dur_ns == 100);
	h2 = serve->next;
	FT_TRUE(h2 && !h2->next && !h2->flags && h2->name == 3 && h2->start_ns == 900);
	calltree__free(ct);
}
