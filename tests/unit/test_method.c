// SPDX-License-Identifier: MIT
/* Probe method selection per interpreter, mode and options. */
#include <string.h>

#include "cli.h"
#include "elfinfo.h"
#include "method.h"
#include "test.h"

static struct elf_info py(int minor, bool markers, bool return_only)
{
	struct elf_info e = {.major = 3, .minor = minor, .is_cpython = true};

	snprintf(e.version, sizeof(e.version), "3.%d.1", minor);
	e.has_entry = markers && !return_only;
	e.has_return = markers;
	return e;
}

static const char *pick(struct elf_info e, const char *m, const char *hook, bool launch, int *rc)
{
	static char buf[64];
	struct method_request req = {.method = m, .eval_hook = hook, .launch = launch};
	struct method_choice c;

	*rc = method_choose(&e, "/lib/libpython.so", &req, &c);
	if (*rc)
		return "refused";
	snprintf(buf, sizeof(buf), "%s%s%s", method_name(&c), c.hook ? "+hook" : "",
		 c.method == FT_METHOD_FRAME && c.eval_entries ? "+evalstarts" : "");
	return buf;
}

FT_TEST(method_auto_per_version_and_mode)
{
	int rc;

	FT_EQ_STR(pick(py(9, true, false), "auto", "auto", false, &rc), "usdt");
	FT_EQ_STR(pick(py(10, false, false), "auto", "auto", true, &rc), "eval");
	FT_EQ_STR(pick(py(10, false, false), "auto", "auto", false, &rc), "frame+evalstarts");
	FT_EQ_STR(pick(py(12, false, false), "auto", "auto", true, &rc), "frame");
	FT_EQ_STR(pick(py(12, false, false), "auto", "on", true, &rc), "eval+hook");
	FT_EQ_STR(pick(py(12, false, false), "auto", "auto", false, &rc), "frame");
	FT_EQ_STR(pick(py(12, false, false), "auto", "on", false, &rc), "frame+hook+evalstarts");
	FT_EQ_STR(pick(py(13, false, false), "auto", "off", true, &rc), "frame");
	/* Debian's 3.11: markers, but function__entry incomplete */
	FT_EQ_STR(pick(py(11, true, false), "auto", "auto", false, &rc), "frame+usdt");
	FT_EQ_STR(pick(py(11, true, false), "auto", "auto", true, &rc), "frame+usdt");
	FT_EQ_INT(rc, 0);
}

FT_TEST(method_explicit_and_refusals)
{
	int rc;

	FT_EQ_STR(pick(py(12, false, false), "eval", "on", false, &rc), "eval+hook");
	FT_EQ_STR(pick(py(12, false, false), "eval", "auto", false, &rc), "refused");
	FT_EQ_INT(rc, FT_EXIT_NO_PROBES);
	FT_EQ_STR(pick(py(12, false, false), "eval", "off", true, &rc), "refused");
	FT_EQ_STR(pick(py(13, false, false), "eval", "auto", true, &rc), "refused");
	FT_EQ_STR(pick(py(13, false, false), "auto", "on", true, &rc), "refused");
	FT_EQ_INT(rc, FT_EXIT_NO_PROBES);
	FT_EQ_STR(pick(py(11, true, false), "usdt", "auto", true, &rc), "refused");
	FT_EQ_INT(rc, FT_EXIT_NO_PROBES);
	FT_EQ_STR(pick(py(12, false, false), "usdt", "auto", true, &rc), "refused");
	FT_EQ_STR(pick(py(7, false, false), "auto", "auto", true, &rc), "refused");
	FT_EQ_STR(pick(py(14, false, false), "auto", "auto", true, &rc), "refused");
	/* 3.15 built --with-dtrace has complete markers again */
	FT_EQ_STR(pick(py(15, true, false), "auto", "auto", true, &rc), "usdt");
	FT_EQ_STR(pick(py(9, true, false), "frame", "auto", false, &rc), "frame+evalstarts");
}

FT_TEST(method_refusal_is_one_line)
{
	struct elf_info e = py(7, false, false);
	struct method_request req = {.method = "auto", .eval_hook = "auto"};
	struct method_choice c;

	FT_EQ_INT(method_choose(&e, "/tmp/a\nb", &req, &c), FT_EXIT_NO_PROBES);
	FT_TRUE(strstr(c.why, "/tmp/a?b") != NULL);
	FT_TRUE(!strchr(c.why, '\n') && !strchr(c.hint, '\n'));
	/* --method usdt gives the markers' own diagnosis */
	e = py(11, true, false);
	req.method = "usdt";
	FT_EQ_INT(method_choose(&e, "/usr/bin/python3.11", &req, &c), FT_EXIT_NO_PROBES);
	FT_TRUE(strstr(c.why, "only some calls") && strstr(c.hint, "--method auto"));
}
