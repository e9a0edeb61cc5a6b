// SPDX-License-Identifier: MIT
/* Command line: checked number parsers and target rules. */
#include <errno.h>

#include "app/cli.h"
#include "test.h"

FT_TEST(cli_parse_int)
{
	long v;

	FT_EQ_INT(parse_int("42", 1, 100, &v), 0);
	FT_EQ_INT(v, 42);
	FT_EQ_INT(parse_int("0", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("101", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("12abc", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("abc", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("99999999999999999999", 1, 0x7fffffff, &v), -EINVAL);
	FT_EQ_INT(parse_int("-3", 1, 100, &v), -EINVAL);
}

FT_TEST(cli_parse_duration)
{
	uint64_t ns;

	FT_EQ_INT(parse_duration_ns("250", &ns), 0);
	FT_EQ_U64(ns, 250000); /* bare numbers are microseconds, as in uftrace */
	FT_EQ_INT(parse_duration_ns("10us", &ns), 0);
	FT_EQ_U64(ns, 10000);
	FT_EQ_INT(parse_duration_ns("1.5ms", &ns), 0);
	FT_EQ_U64(ns, 1500000);
	FT_EQ_INT(parse_duration_ns("2s", &ns), 0);
	FT_EQ_U64(ns, 2000000000ULL);
	FT_EQ_INT(parse_duration_ns("100ns", &ns), 0);
	FT_EQ_U64(ns, 100);
	FT_EQ_INT(parse_duration_ns("1m", &ns), 0);
	FT_EQ_U64(ns, 60000000000ULL);
	FT_EQ_INT(parse_duration_ns("5 ms", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("-5ms", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("5parsecs", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("0x10", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("1e3", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("nan", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("", &ns), -EINVAL);
}

FT_TEST(cli_parse_seconds_and_size)
{
	double s;
	uint64_t b;

	FT_EQ_INT(parse_seconds("10", &s), 0);
	FT_TRUE(s == 10);
	FT_EQ_INT(parse_seconds("0.5", &s), 0);
	FT_TRUE(s == 0.5);
	FT_EQ_INT(parse_seconds("2m", &s), 0);
	FT_TRUE(s == 120);
	FT_EQ_INT(parse_seconds("0", &s), -EINVAL);
	FT_EQ_INT(parse_seconds("ten", &s), -EINVAL);
	FT_EQ_INT(parse_size("4096", &b), 0);
	FT_EQ_U64(b, 4096);
	FT_EQ_INT(parse_size("64K", &b), 0);
	FT_EQ_U64(b, 65536);
	FT_EQ_INT(parse_size("8M", &b), 0);
	FT_EQ_U64(b, 8 << 20);
	FT_EQ_INT(parse_size("1G", &b), 0);
	FT_EQ_U64(b, 1ULL << 30);
	FT_EQ_INT(parse_size("1.5K", &b), 0);
	FT_EQ_U64(b, 1536);
	FT_EQ_INT(parse_size("1.3", &b), -EINVAL);
	FT_EQ_INT(parse_size("8Q", &b), -EINVAL);
}

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
	FT_EQ_STR(cfg.format, "json");
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

	const char *bad[][6] = {
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
		FT_EQ_INT(parse(&cfg, argc, bad[i]), FT_EXIT_USAGE);
		config_free(&cfg);
	}
}
