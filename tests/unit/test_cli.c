// SPDX-License-Identifier: MIT
/* Command line: target rules, and names parsed once into enums. */
#include <errno.h>

#include "app/cli.h"
#include "output/render.h"
#include "test.h"

static int parse(struct config *cfg, int argc, const char **argv)
{
	/* argp prints to stderr: keep the test output readable */
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");
	int rc = cli_parse(argc, (char **)argv, cfg);
	fclose(stderr);
	stderr = saved;
	return rc;
}

FT_TEST(cli_targets_and_options)
{
	struct config cfg;

	const char *a1[] = {"ft",      "-p",	    "123",  "-f",	   "json", "--include",
			    "*/app/*", "--include", "main", "--max-depth", "3",	   NULL};
	FT_EQ_INT(parse(&cfg, 11, a1), 0);
	FT_EQ_INT(cfg.pid, 123);
	FT_TRUE(cfg.renderer == &render_json);
	FT_EQ_INT(cfg.ninclude, 2);
	FT_EQ_STR(cfg.include[1], "main");
	FT_EQ_INT(cfg.max_depth, 3);
	config_free(&cfg);

	const char *a2[] = {"ft", "--", "python3", "-v", "app.py", NULL};
	FT_EQ_INT(parse(&cfg, 5, a2), 0);
	FT_EQ_INT(cfg.argc, 3);
	FT_EQ_STR(cfg.argv[0], "python3");
	FT_EQ_STR(cfg.argv[1], "-v");
	config_free(&cfg);

	/* the command's own options are not ours, even without -- */
	const char *a3[] = {"ft", "-f", "jsonl", "python3", "-p", "x", NULL};
	FT_EQ_INT(parse(&cfg, 6, a3), 0);
	FT_EQ_INT(cfg.pid, 0);
	FT_EQ_STR(cfg.argv[1], "-p");
	config_free(&cfg);

	/* -p PID,PID and --follow */
	const char *a4[] = {"ft", "-F", "-p", "12,34,56", NULL};
	FT_EQ_INT(parse(&cfg, 4, a4), 0);
	FT_EQ_INT(cfg.pid, 12);
	FT_TRUE(cfg.follow);
	FT_EQ_INT(cfg.npids_more, 2);
	FT_EQ_INT(cfg.pids_more[0], 34);
	FT_EQ_INT(cfg.pids_more[1], 56);
	config_free(&cfg);

	const char *bad[][6] = {
		{"ft", "-p", "12,", NULL},			 /* an empty PID */
		{"ft", "-p", "12,x", NULL},			 /* a bad PID in a list */
		{"ft", "-F", "--method", "usdt", "-p1", NULL},	 /* --follow with the markers */
		{"ft", NULL},					 /* no target */
		{"ft", "-p", "1", "-c", "x", NULL},		 /* two targets */
		{"ft", "-p", "abc", NULL},			 /* bad pid */
		{"ft", "-p", "1", "-f", "nope", NULL},		 /* bad format */
		{"ft", "-p", "1", "--max-depth", "-3", NULL},	 /* bad depth */
		{"ft", "-p", "1", "--ring-size", "12345", NULL}, /* not a power of two */
		{"ft", "-p", "1", "--ring-size", "4K", NULL},	 /* too small */
		{"ft", "-p", "1", "--bogus", NULL},		 /* unknown option */
		{"ft", "-p", "1", "-d", "0", NULL},		 /* zero duration */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int argc = 0;
		while (bad[i][argc])
			argc++;
		FT_EQ_INT(parse(&cfg, argc, bad[i]), -EINVAL);
		config_free(&cfg);
	}
}

/* Names are parsed once, here, into the enums of the layers that own them:
 * nothing downstream compares option strings. */
FT_TEST(cli_names_become_enums)
{
	struct config cfg;

	const char *a1[] = {"ft", "-p", "1", "--method", "eval", "--eval-hook", "on", NULL};
	FT_EQ_INT(parse(&cfg, 7, a1), 0);
	FT_EQ_INT(cfg.method, METHOD_ASK_EVAL);
	FT_EQ_INT(cfg.eval_hook, METHOD_HOOK_ON);
	FT_TRUE(cfg.renderer == &render_tree); /* the default format */
	config_free(&cfg);

	const char *a2[] = {"ft", "-p", "1", "--method", "frame", "--eval-hook", "off", NULL};
	FT_EQ_INT(parse(&cfg, 7, a2), 0);
	FT_EQ_INT(cfg.method, METHOD_ASK_FRAME);
	FT_EQ_INT(cfg.eval_hook, METHOD_HOOK_OFF);
	config_free(&cfg);

	const char *a3[] = {"ft", "-p", "1", NULL};
	FT_EQ_INT(parse(&cfg, 3, a3), 0);
	FT_EQ_INT(cfg.method, METHOD_ASK_AUTO);
	FT_EQ_INT(cfg.eval_hook, METHOD_HOOK_AUTO);
	config_free(&cfg);

	const char *a4[] = {"ft", "report", "--sort", "self", "-f", "json", "t.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 7, a4), 0);
	FT_EQ_INT(cfg.sort, REPORT_SORT_SELF);
	FT_TRUE(cfg.report_json);
	FT_TRUE(cfg.renderer == NULL);
	config_free(&cfg);

	const char *a5[] = {"ft", "diff", "a.ftrace", "b.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 4, a5), 0);
	FT_EQ_INT(cfg.sort, REPORT_SORT_TOTAL);
	FT_TRUE(!cfg.report_json);
	config_free(&cfg);

	const char *a6[] = {"ft", "replay", "-f", "chrome", "t.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 5, a6), 0);
	FT_TRUE(cfg.renderer == &render_chrome);
	config_free(&cfg);

	const char *a7[] = {"ft", "record", "-o", "t.ftrace", "-p", "1", NULL};
	FT_EQ_INT(parse(&cfg, 6, a7), 0);
	FT_TRUE(cfg.renderer == NULL);
	config_free(&cfg);

	const char *bad[][8] = {
		{"ft", "-p", "1", "--method", "Eval", NULL},	      /* names are exact */
		{"ft", "-p", "1", "--eval-hook", "yes", NULL},	      /* on or off */
		{"ft", "report", "--sort", "slow", "t", NULL},	      /* no such key */
		{"ft", "-p", "1", "--sort", "self", NULL},	      /* report and diff only */
		{"ft", "report", "-f", "tree", "t", NULL},	      /* text or json */
		{"ft", "record", "-o", "t", "-f", "json", "-p", "1"}, /* no format */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int argc = 0;
		while (argc < 8 && bad[i][argc])
			argc++;
		FT_EQ_INT(parse(&cfg, argc, bad[i]), -EINVAL);
		config_free(&cfg);
	}
}

FT_TEST(cli_help_and_version_run_nothing)
{
	struct config cfg;
	const char *a1[] = {"ft", "--version", NULL};
	const char *a2[] = {"ft", "report", "--help", NULL};
	/* argp prints them on stdout */
	FILE *saved = stdout;

	stdout = fopen("/dev/null", "w");
	int r1 = parse(&cfg, 2, a1);
	config_free(&cfg);
	int r2 = parse(&cfg, 3, a2);
	config_free(&cfg);
	fclose(stdout);
	stdout = saved;
	FT_EQ_INT(r1, 1);
	FT_EQ_INT(r2, 1);
}

/* --indent-max: the tree's limit; 0 asks for none, which the config keeps
 * apart from "not given" (the renderer's default) */
FT_TEST(cli_indent_max)
{
	struct config cfg;

	const char *a1[] = {"ft", "replay", "f.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 3, a1), 0);
	FT_EQ_INT(cfg.indent_max, 0);
	config_free(&cfg);

	const char *a2[] = {"ft", "replay", "--indent-max", "8", "f.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 5, a2), 0);
	FT_EQ_INT(cfg.indent_max, 8);
	config_free(&cfg);

	const char *a3[] = {"ft", "-p", "1", "--indent-max", "0", NULL};
	FT_EQ_INT(parse(&cfg, 5, a3), 0);
	FT_EQ_INT(cfg.indent_max, -1);
	config_free(&cfg);

	const char *bad[][6] = {
		{"ft", "-p", "1", "--indent-max", "-1", NULL},
		{"ft", "-p", "1", "--indent-max", "8x", NULL},
		{"ft", "-p", "1", "--indent-max", "", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FT_EQ_INT(parse(&cfg, 5, bad[i]), -EINVAL);
		config_free(&cfg);
	}
}

FT_TEST(cli_capture_windows)
{
	struct config cfg;

	const char *ok[] = {"ft",	"-p",	    "1",   "--trigger",
			    "handle_*", "--flight", "2.5", "--flight-size",
			    "16M",	NULL};
	FT_EQ_INT(parse(&cfg, 9, ok), 0);
	FT_EQ_INT(cfg.ntrigger, 1);
	FT_EQ_STR(cfg.trigger[0], "handle_*");
	FT_TRUE(cfg.flight_s == 2.5);
	FT_EQ_U64(cfg.flight_size, 16 << 20);
	config_free(&cfg);

	const char *dflt[] = {"ft", "-p", "1", "--flight", "30", NULL};
	FT_EQ_INT(parse(&cfg, 5, dflt), 0);
	FT_EQ_U64(cfg.flight_size, 64 << 20);
	config_free(&cfg);

	/* replay renders: both apply */
	const char *replay[] = {"ft",	    "replay", "--trigger", "x",
				"--flight", "5",      "t.ftrace",  NULL};
	FT_EQ_INT(parse(&cfg, 7, replay), 0);
	config_free(&cfg);

	/* record, report and diff render no calls: refused */
	const char *rec[] = {"ft", "record", "-o", "t", "--trigger", "x", "-p", "1", NULL};
	FT_EQ_INT(parse(&cfg, 8, rec), -EINVAL);
	config_free(&cfg);
	const char *rep[] = {"ft", "report", "--flight", "5", "t.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 5, rep), -EINVAL);
	config_free(&cfg);
	const char *size_alone[] = {"ft", "-p", "1", "--flight-size", "16M", NULL};
	FT_EQ_INT(parse(&cfg, 5, size_alone), -EINVAL);
	config_free(&cfg);
	const char *zero[] = {"ft", "-p", "1", "--flight", "0", NULL};
	FT_EQ_INT(parse(&cfg, 5, zero), -EINVAL);
	config_free(&cfg);
}

/* --startup shows a launched program's start-up and shutdown; folded by
 * default, and --no-startup (the last one given wins) folds again */
FT_TEST(cli_startup)
{
	struct config cfg;

	const char *a1[] = {"ft", "replay", "f.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 3, a1), 0);
	FT_TRUE(!cfg.startup);
	config_free(&cfg);

	const char *a2[] = {"ft", "--startup", "-c", "python3 app.py", NULL};
	FT_EQ_INT(parse(&cfg, 4, a2), 0);
	FT_TRUE(cfg.startup);
	config_free(&cfg);

	const char *a3[] = {"ft", "replay", "--startup", "--no-startup", "f.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 5, a3), 0);
	FT_TRUE(!cfg.startup);
	config_free(&cfg);
}
