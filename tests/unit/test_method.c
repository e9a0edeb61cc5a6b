// SPDX-License-Identifier: MIT
/* Probe method selection per interpreter, mode and options. */
#include <errno.h>
#include <string.h>

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

static const char *pick(struct elf_info e, enum method_ask m, enum method_hook hook, bool launch,
			int *rc)
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
	FT_EQ_STR(pick(py(9, true, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc), "eval");
	FT_EQ_STR(pick(py(9, true, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, false, &rc),
		  "frame+evalstarts");
	FT_EQ_STR(pick(py(10, false, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc), "eval");
	FT_EQ_STR(pick(py(10, false, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, false, &rc),
		  "frame+evalstarts");
	FT_EQ_STR(pick(py(12, false, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc),
		  "frame");
	FT_EQ_STR(pick(py(12, false, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, false, &rc),
		  "frame");
	FT_EQ_STR(pick(py(13, false, false), METHOD_ASK_AUTO, METHOD_HOOK_OFF, true, &rc), "frame");
	/* Debian's 3.11: markers (entry incomplete), RESUME and return handlers */
	FT_EQ_STR(pick(py(11, true, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, false, &rc),
		  "frame");
	FT_EQ_STR(pick(py(11, true, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc), "frame");
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

	FT_EQ_STR(pick(py(9, true, false), METHOD_ASK_USDT, METHOD_HOOK_AUTO, true, &rc),
		  "usdt+warning");
	FT_EQ_STR(pick(py(9, true, false), METHOD_ASK_USDT, METHOD_HOOK_AUTO, false, &rc),
		  "usdt+warning");
	/* not a CPython: its markers are all there is, and no CPython marker
	 * helper runs behind them */
	FT_EQ_STR(pick(fixture, METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc), "usdt");
	FT_EQ_STR(pick(fixture, METHOD_ASK_USDT, METHOD_HOOK_AUTO, false, &rc), "usdt");
	/* CPythons with markers but no known layout: refused, pointing to usdt */
	FT_EQ_STR(pick(py(7, true, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc),
		  "refused");
	FT_EQ_INT(rc, -ENOTSUP);
	FT_EQ_STR(pick(py(7, true, false), METHOD_ASK_USDT, METHOD_HOOK_AUTO, true, &rc),
		  "usdt+warning");
}

/* 3.15 restored both markers, but its return marker does not fire for a
 * frame left by an exception: neither auto nor --method usdt may take
 * them, and the refusal says why in one line, pointing nowhere else */
FT_TEST(method_3_15_markers_refused)
{
	struct method_request req = {
		.method = METHOD_ASK_AUTO, .eval_hook = METHOD_HOOK_AUTO, .launch = true};
	struct method_choice c;
	struct elf_info e = py(15, true, false);
	int rc;

	FT_EQ_STR(pick(py(15, true, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc),
		  "refused");
	FT_EQ_INT(rc, -ENOTSUP);
	FT_EQ_STR(pick(py(15, true, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, false, &rc),
		  "refused");
	FT_EQ_STR(pick(py(15, true, false), METHOD_ASK_USDT, METHOD_HOOK_AUTO, true, &rc),
		  "refused");
	FT_EQ_INT(rc, -ENOTSUP);
	FT_EQ_STR(pick(py(16, true, false), METHOD_ASK_USDT, METHOD_HOOK_AUTO, false, &rc),
		  "refused");
	FT_EQ_INT(method_choose(&e, "/usr/lib/libpython3.15.so", &req, &c), -ENOTSUP);
	FT_TRUE(strstr(c.why, "3.15.1") && strstr(c.why, "exception"));
	FT_TRUE(!strstr(c.hint, "--method usdt") && !strchr(c.why, '\n'));
	req.method = METHOD_ASK_USDT;
	FT_EQ_INT(method_choose(&e, "/usr/lib/libpython3.15.so", &req, &c), -ENOTSUP);
	FT_TRUE(strstr(c.why, "function__return") && !*c.warning);
	/* a method of its own choosing is refused for the layout, pointing nowhere */
	req.method = METHOD_ASK_FRAME;
	FT_EQ_INT(method_choose(&e, "/usr/lib/libpython3.15.so", &req, &c), -ENOTSUP);
	FT_TRUE(strstr(c.why, "newer") && !strstr(c.hint, "usdt"));
	req.method = METHOD_ASK_USDT;
	/* 3.6-3.10 fire the return marker on every exit: --method usdt stays */
	FT_EQ_STR(pick(py(10, true, false), METHOD_ASK_USDT, METHOD_HOOK_AUTO, true, &rc),
		  "usdt+warning");
	/* a program that only fires the markers (the sdt fixture) is no CPython 3.15 */
	e = py(15, true, false);
	e.has_eval_loop = false;
	FT_EQ_INT(method_choose(&e, "/fixture", &req, &c), 0);
}

FT_TEST(method_eval_hook_refused_from_3_11)
{
	int rc;

	FT_EQ_STR(pick(py_at("3.11.2", true), METHOD_ASK_AUTO, METHOD_HOOK_ON, true, &rc),
		  "refused");
	FT_EQ_INT(rc, -ENOTSUP);
	FT_EQ_STR(pick(py_at("3.11.7", false), METHOD_ASK_AUTO, METHOD_HOOK_ON, false, &rc),
		  "refused");
	FT_EQ_STR(pick(py(12, false, false), METHOD_ASK_AUTO, METHOD_HOOK_ON, true, &rc),
		  "refused");
	FT_EQ_STR(pick(py(12, false, false), METHOD_ASK_AUTO, METHOD_HOOK_ON, false, &rc),
		  "refused");
	FT_EQ_STR(pick(py(13, false, false), METHOD_ASK_AUTO, METHOD_HOOK_ON, true, &rc),
		  "refused");
	FT_EQ_INT(rc, -ENOTSUP);
	/* 3.8-3.10 route every call already: nothing to write */
	FT_EQ_STR(pick(py(10, false, false), METHOD_ASK_AUTO, METHOD_HOOK_ON, true, &rc), "eval");

	struct method_request req = {
		.method = METHOD_ASK_AUTO, .eval_hook = METHOD_HOOK_ON, .launch = true};
	struct method_choice c;
	struct elf_info e = py_at("3.11.2", true);

	FT_EQ_INT(method_choose(&e, "/usr/bin/python3.11", &req, &c), -ENOTSUP);
	FT_TRUE(strstr(c.why, "__getitem__") && strstr(c.hint, "drop --eval-hook=on"));
	e = py_at("3.11.7", false);
	FT_EQ_INT(method_choose(&e, "/lib/libpython3.11.so", &req, &c), -ENOTSUP);
	FT_TRUE(strstr(c.why, "C stack") != NULL);
	e = py(12, false, false);
	FT_EQ_INT(method_choose(&e, "/lib/libpython3.12.so", &req, &c), -ENOTSUP);
	FT_TRUE(strstr(c.why, "RecursionError") != NULL);
}

FT_TEST(method_explicit_and_refusals)
{
	int rc;

	FT_EQ_STR(pick(py(12, false, false), METHOD_ASK_EVAL, METHOD_HOOK_ON, false, &rc),
		  "refused");
	FT_EQ_STR(pick(py(12, false, false), METHOD_ASK_EVAL, METHOD_HOOK_AUTO, false, &rc),
		  "refused");
	FT_EQ_INT(rc, -ENOTSUP);
	FT_EQ_STR(pick(py(12, false, false), METHOD_ASK_EVAL, METHOD_HOOK_OFF, true, &rc),
		  "refused");
	FT_EQ_STR(pick(py(13, false, false), METHOD_ASK_EVAL, METHOD_HOOK_AUTO, true, &rc),
		  "refused");
	FT_EQ_STR(pick(py(11, true, false), METHOD_ASK_USDT, METHOD_HOOK_AUTO, true, &rc),
		  "refused");
	FT_EQ_INT(rc, -ENOTSUP);
	FT_EQ_STR(pick(py(12, false, false), METHOD_ASK_USDT, METHOD_HOOK_AUTO, true, &rc),
		  "refused");
	FT_EQ_STR(pick(py(7, false, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc),
		  "refused");
	/* 3.14: the frame method, launched and attached; no eval hook */
	FT_EQ_STR(pick(py(14, false, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, true, &rc),
		  "frame");
	FT_EQ_STR(pick(py(14, false, false), METHOD_ASK_AUTO, METHOD_HOOK_AUTO, false, &rc),
		  "frame");
	FT_EQ_STR(pick(py(14, false, false), METHOD_ASK_EVAL, METHOD_HOOK_AUTO, true, &rc),
		  "refused");
	FT_EQ_STR(pick(py(9, true, false), METHOD_ASK_FRAME, METHOD_HOOK_AUTO, false, &rc),
		  "frame+evalstarts");
	FT_EQ_STR(pick(py(9, true, false), METHOD_ASK_EVAL, METHOD_HOOK_AUTO, false, &rc), "eval");
	FT_EQ_STR(pick(py(11, true, false), METHOD_ASK_FRAME, METHOD_HOOK_AUTO, false, &rc),
		  "frame");
}

FT_TEST(method_refusal_is_one_line)
{
	struct elf_info e = py(7, false, false);
	struct method_request req = {.method = METHOD_ASK_AUTO, .eval_hook = METHOD_HOOK_AUTO};
	struct method_choice c;

	FT_EQ_INT(method_choose(&e, "/tmp/a\nb", &req, &c), -ENOTSUP);
	FT_TRUE(strstr(c.why, "/tmp/a?b") != NULL);
	FT_TRUE(!strchr(c.why, '\n') && !strchr(c.hint, '\n'));
	/* --method usdt gives the markers' own diagnosis */
	e = py(11, true, false);
	req.method = METHOD_ASK_USDT;
	FT_EQ_INT(method_choose(&e, "/usr/bin/python3.11", &req, &c), -ENOTSUP);
	FT_TRUE(strstr(c.why, "only some calls") && strstr(c.hint, "--method auto"));
	/* the hazard of the markers is one line too */
	e = py(9, true, false);
	FT_EQ_INT(method_choose(&e, "/lib/libpython3.9.so", &req, &c), 0);
	FT_TRUE(strstr(c.warning, "SystemError") && !strchr(c.warning, '\n'));
}
