// SPDX-License-Identifier: MIT
/* Probe method selection per interpreter, mode and options. */
#include <string.h>

#include "app/cli.h"
#include "sys/elfinfo.h"
#include "probe/method.h"
#include "test.h"

static struct elf_info py(int minor, bool markers, bool return_only)
{
	struct elf_info e = {.major = 3, .minor = minor, .is_cpython = true, .has_eval_loop = true};

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
	snprintf(buf, sizeof(buf), "%s%s%s", method_name(&c),
		 c.method == FT_METHOD_FRAME && c.eval_entries ? "+evalstarts" : "",
		 *c.warning ? "+warning" : "");
	return buf;
}

static struct elf_info py_at(const char *version, bool markers)
{
	struct elf_info e = py(11, markers, false);

	snprintf(e.version, sizeof(e.version), "%s", version);
	return e;
}

FT_TEST(method_auto_per_version_and_mode)
{
	int rc;

	/* a CPython's markers stay off: auto takes the read-only uprobes of
	 * the same version without markers */
	FT_EQ_STR(pick(py(9, true, false), "auto", "auto", true, &rc), "eval");
	FT_EQ_STR(pick(py(9, true, false), "auto", "auto", false, &rc), "frame+evalstarts");
	FT_EQ_STR(pick(py(10, false, false), "auto", "auto", true, &rc), "eval");
	FT_EQ_STR(pick(py(10, false, false), "auto", "auto", false, &rc), "frame+evalstarts");
	FT_EQ_STR(pick(py(12, false, false), "auto", "auto", true, &rc), "frame");
	FT_EQ_STR(pick(py(12, false, false), "auto", "auto", false, &rc), "frame");
	FT_EQ_STR(pick(py(13, false, false), "auto", "off", true, &rc), "frame");
	/* Debian's 3.11: markers (entry incomplete), RESUME and return handlers */
	FT_EQ_STR(pick(py(11, true, false), "auto", "auto", false, &rc), "frame");
	FT_EQ_STR(pick(py(11, true, false), "auto", "auto", true, &rc), "frame");
	FT_EQ_INT(rc, 0);
}

FT_TEST(method_markers_only_when_asked_in_a_cpython)
{
	/* like the sdt fixture: markers, Py_Initialize and Py_Version, no eval loop */
	struct elf_info fixture = {.has_entry = true,
				   .has_return = true,
				   .is_cpython = true,
				   .major = 3,
				   .minor = 10,
				   .version = "3.10.0"};
	int rc;

	FT_EQ_STR(pick(py(9, true, false), "usdt", "auto", true, &rc), "usdt+warning");
	FT_EQ_STR(pick(py(9, true, false), "usdt", "auto", false, &rc), "usdt+warning");
	/* not a CPython: its markers are all there is, and no CPython marker
	 * helper runs behind them */
	FT_EQ_STR(pick(fixture, "auto", "auto", true, &rc), "usdt");
	FT_EQ_STR(pick(fixture, "usdt", "auto", false, &rc), "usdt");
	/* CPythons with markers but no known layout: refused, pointing to usdt */
	FT_EQ_STR(pick(py(7, true, false), "auto", "auto", true, &rc), "refused");
	FT_EQ_INT(rc, FT_EXIT_NO_PROBES);
	FT_EQ_STR(pick(py(7, true, false), "usdt", "auto", true, &rc), "usdt+warning");
	FT_EQ_STR(pick(py(15, true, false), "auto", "auto", true, &rc), "refused");
	FT_EQ_STR(pick(py(15, true, false), "usdt", "auto", true, &rc), "usdt+warning");
}

FT_TEST(method_eval_hook_refused_from_3_11)
{
	int rc;

	FT_EQ_STR(pick(py_at("3.11.2", true), "auto", "on", true, &rc), "refused");
	FT_EQ_INT(rc, FT_EXIT_NO_PROBES);
	FT_EQ_STR(pick(py_at("3.11.7", false), "auto", "on", false, &rc), "refused");
	FT_EQ_STR(pick(py(12, false, false), "auto", "on", true, &rc), "refused");
	FT_EQ_STR(pick(py(12, false, false), "auto", "on", false, &rc), "refused");
	FT_EQ_STR(pick(py(13, false, false), "auto", "on", true, &rc), "refused");
	FT_EQ_INT(rc, FT_EXIT_NO_PROBES);
	/* 3.8-3.10 route every call already: nothing to write */
	FT_EQ_STR(pick(py(10, false, false), "auto", "on", true, &rc), "eval");

	struct method_request req = {.method = "auto", .eval_hook = "on", .launch = true};
	struct method_choice c;
	struct elf_info e = py_at("3.11.2", true);

	FT_EQ_INT(method_choose(&e, "/usr/bin/python3.11", &req, &c), FT_EXIT_NO_PROBES);
	FT_TRUE(strstr(c.why, "__getitem__") && strstr(c.hint, "drop --eval-hook=on"));
	e = py_at("3.11.7", false);
	FT_EQ_INT(method_choose(&e, "/lib/libpython3.11.so", &req, &c), FT_EXIT_NO_PROBES);
	FT_TRUE(strstr(c.why, "C stack") != NULL);
	e = py(12, false, false);
	FT_EQ_INT(method_choose(&e, "/lib/libpython3.12.so", &req, &c), FT_EXIT_NO_PROBES);
	FT_TRUE(strstr(c.why, "RecursionError") != NULL);
}

FT_TEST(method_explicit_and_refusals)
{
	int rc;

	FT_EQ_STR(pick(py(12, false, false), "eval", "on", false, &rc), "refused");
	FT_EQ_STR(pick(py(12, false, false), "eval", "auto", false, &rc), "refused");
	FT_EQ_INT(rc, FT_EXIT_NO_PROBES);
	FT_EQ_STR(pick(py(12, false, false), "eval", "off", true, &rc), "refused");
	FT_EQ_STR(pick(py(13, false, false), "eval", "auto", true, &rc), "refused");
	FT_EQ_STR(pick(py(11, true, false), "usdt", "auto", true, &rc), "refused");
	FT_EQ_INT(rc, FT_EXIT_NO_PROBES);
	FT_EQ_STR(pick(py(12, false, false), "usdt", "auto", true, &rc), "refused");
	FT_EQ_STR(pick(py(7, false, false), "auto", "auto", true, &rc), "refused");
	FT_EQ_STR(pick(py(14, false, false), "auto", "auto", true, &rc), "refused");
	FT_EQ_STR(pick(py(9, true, false), "frame", "auto", false, &rc), "frame+evalstarts");
	FT_EQ_STR(pick(py(9, true, false), "eval", "auto", false, &rc), "eval");
	FT_EQ_STR(pick(py(11, true, false), "frame", "auto", false, &rc), "frame");
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
	/* the hazard of the markers is one line too */
	e = py(9, true, false);
	FT_EQ_INT(method_choose(&e, "/lib/libpython3.9.so", &req, &c), 0);
	FT_TRUE(strstr(c.warning, "SystemError") && !strchr(c.warning, '\n'));
}
