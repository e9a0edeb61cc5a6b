// SPDX-License-Identifier: MIT
/* Launch mode's user: which one --user and SUDO_UID choose, and the
 * --user option's place among the target rules. */
#include <errno.h>
#include <stdio.h>

#include "app/cli.h"
#include "app/runas.h"
#include "test.h"

FT_TEST(runas_pick_sources)
{
	const char *name;
	uid_t uid = 12345;

	/* no --user, no sudo: nobody to switch to */
	FT_EQ_INT(runas_pick(NULL, NULL, &uid, &name), 0);
	FT_EQ_INT(runas_pick(NULL, "", &uid, &name), 0);
	/* sudo by root: root stays */
	FT_EQ_INT(runas_pick(NULL, "0", &uid, &name), 0);
	/* sudo by a user: that uid */
	FT_EQ_INT(runas_pick(NULL, "1000", &uid, &name), 1);
	FT_EQ_INT(uid, 1000);
	FT_TRUE(name == NULL);
	FT_EQ_INT(runas_pick(NULL, "10x", &uid, &name), -EINVAL);
	FT_EQ_INT(runas_pick(NULL, "-1", &uid, &name), -EINVAL);
	/* --user wins over sudo, by name or by uid; root only when asked */
	FT_EQ_INT(runas_pick("www", "1000", &uid, &name), 1);
	FT_EQ_STR(name, "www");
	FT_EQ_INT(runas_pick("33", "1000", &uid, &name), 1);
	FT_EQ_INT(uid, 33);
	FT_TRUE(name == NULL);
	FT_EQ_INT(runas_pick("root", "1000", &uid, &name), 1);
	FT_EQ_STR(name, "root");
	FT_EQ_INT(runas_pick("0", "1000", &uid, &name), 1);
	FT_EQ_INT(uid, 0);
	FT_EQ_INT(runas_pick("", NULL, &uid, &name), -EINVAL);
	/* (uid_t)-1 is "unchanged" to setresuid, never a user */
	FT_EQ_INT(runas_pick("4294967295", NULL, &uid, &name), -EINVAL);
	/* a name may start with a digit */
	FT_EQ_INT(runas_pick("12ab", NULL, &uid, &name), 1);
	FT_EQ_STR(name, "12ab");
}

static int parse(struct config *cfg, int argc, const char **argv)
{
	FILE *saved = stderr;
	stderr = fopen("/dev/null", "w");
	int rc = cli_parse(argc, (char **)argv, cfg);
	fclose(stderr);
	stderr = saved;
	return rc;
}

FT_TEST(runas_cli_rules)
{
	struct config cfg;

	const char *a1[] = {"ft", "--user", "www", "-c", "python3 app.py", NULL};
	FT_EQ_INT(parse(&cfg, 5, a1), 0);
	FT_EQ_STR(cfg.user, "www");
	config_free(&cfg);

	const char *a2[] = {"ft", "--user", "www", "--", "python3", "app.py", NULL};
	FT_EQ_INT(parse(&cfg, 6, a2), 0);
	FT_EQ_STR(cfg.user, "www");
	config_free(&cfg);

	/* -p attaches to a process as it is */
	const char *a3[] = {"ft", "--user", "www", "-p", "1", NULL};
	FT_EQ_INT(parse(&cfg, 5, a3), -EINVAL);
	config_free(&cfg);

	const char *a4[] = {"ft", "--user", "", "-c", "true", NULL};
	FT_EQ_INT(parse(&cfg, 5, a4), -EINVAL);
	config_free(&cfg);

	const char *a5[] = {"ft", "replay", "--user", "www", "t.ftrace", NULL};
	FT_EQ_INT(parse(&cfg, 5, a5), -EINVAL);
	config_free(&cfg);
}
