// SPDX-License-Identifier: MIT
/* pyruntime: maps lines, path matching, the load bias from mappings and
 * PT_LOAD headers (real layouts of a pyenv libpython and Debian's non-PIE
 * python3.11, RELRO splits, reservation holes, refusals), pointer sanity,
 * and that unhook is a no-op on a runtime that was never hooked. */
#include <errno.h>

#include "cpython/pyruntime.h"
#include "test.h"

#define PAGE 4096

/* --- maps lines ------------------------------------------------------------- */

FT_TEST(pyruntime_parse_maps_lines)
{
	struct pyruntime_map m;
	char *path;
	char l1[] = "7f6c1c944000-7f6c1cab4000 rw-p 00543000 fe:00 73606                      "
		    "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0\n";
	char l2[] = "7f1c2a000000-7f1c2a021000 ---p 0001c000 fe:00 42 /opt/my app/libpython3.11.so "
		    "(deleted)";
	char l3[] = "7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 \n";
	char l4[] = "7ffd7b1c4000-7ffd7b1e5000 rw-p 00000000 00:00 0                          "
		    "[stack]\n";

	FT_EQ_INT(pyruntime_parse_maps_line(l1, &m, &path), 0);
	FT_EQ_U64(m.start, 0x7f6c1c944000);
	FT_EQ_U64(m.end, 0x7f6c1cab4000);
	FT_EQ_U64(m.offset, 0x543000);
	FT_TRUE(!m.reserved);
	FT_EQ_STR(path, "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0");

	FT_EQ_INT(pyruntime_parse_maps_line(l2, &m, &path), 0);
	FT_TRUE(m.reserved);
	FT_EQ_U64(m.offset, 0x1c000);
	FT_EQ_STR(path, "/opt/my app/libpython3.11.so (deleted)");

	FT_EQ_INT(pyruntime_parse_maps_line(l3, &m, &path), 0);
	FT_TRUE(path == NULL);
	FT_EQ_INT(pyruntime_parse_maps_line(l4, &m, &path), 0);
	FT_TRUE(path == NULL); /* not a file */

	static const char *bad[] = {
		"",
		"\n",
		"garbage\n",
		"00400000-00452000 r-xp\n",
		"00400000-00452000 r-xp 00000000 08:02\n",
		"00452000-00400000 r-xp 00000000 08:02 1 /x\n", /* end before start */
		"00400000-00452000 r-xpq 00000000 08:02 1 /x\n",
		"00400000-00452000 r-xp 00000000 08:02 1x /x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "%s", bad[i]);
		if (pyruntime_parse_maps_line(buf, &m, &path) != -EINVAL)
			FT_FAIL("accepted: '%s'", bad[i]);
	}
}

FT_TEST(pyruntime_path_matching)
{
	const char *lib = "/usr/lib/libpython3.12.so.1.0";

	FT_TRUE(pyruntime_path_matches("/usr/lib/libpython3.12.so.1.0", lib));
	FT_TRUE(pyruntime_path_matches("/usr/lib/libpython3.12.so.1.0 (deleted)", lib));
	FT_TRUE(!pyruntime_path_matches("/usr/lib/libpython3.12.so.1.0.bak", lib));
	FT_TRUE(!pyruntime_path_matches("/usr/lib/libpython3.12.so.1", lib));
	FT_TRUE(!pyruntime_path_matches("/usr/lib/libpython3.12.so.1.0 (deleted) x", lib));
	FT_TRUE(!pyruntime_path_matches(NULL, lib));
}

/* --- the load bias ---------------------------------------------------------- */

/* pyenv 3.12.1's libpython: four PT_LOADs, the RW one with vaddr - offset =
 * 0x1000, split in two mappings by RELRO (readelf -l, /proc/PID/maps). */
static const struct pyruntime_load lib312[] = {
	{0x000000, 0x000000, 0x105130, 0x105130},
	{0x106000, 0x106000, 0x272ec9, 0x272ec9},
	{0x379000, 0x379000, 0x1530c8, 0x1530c8},
	{0x4cd6d0, 0x4cc6d0, 0x1e6118, 0x1e7598},
};

FT_TEST(pyruntime_bias_shared_library)
{
	const struct pyruntime_map maps[] = {
		{0x7f6c1c400000, 0x7f6c1c506000, 0x000000, false},
		{0x7f6c1c506000, 0x7f6c1c779000, 0x106000, false},
		{0x7f6c1c779000, 0x7f6c1c8cd000, 0x379000, false},
		{0x7f6c1c8cd000, 0x7f6c1c944000, 0x4cc000, false},
		{0x7f6c1c944000, 0x7f6c1cab4000, 0x543000, false},
	};
	uint64_t bias = 0;

	FT_EQ_INT(pyruntime_bias(maps, 5, lib312, 4, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f6c1c400000);
	/* any order, and any subset that still has one fitting mapping */
	const struct pyruntime_map rev[] = {maps[4], maps[2], maps[0]};
	bias = 0;
	FT_EQ_INT(pyruntime_bias(rev, 3, lib312, 4, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f6c1c400000);
	/* the RW part alone gives it too (vaddr - offset = 0x1000 applied) */
	bias = 0;
	FT_EQ_INT(pyruntime_bias(&maps[4], 1, lib312, 4, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f6c1c400000);
	/* the RELRO part alone is ambiguous: its file page 0x4cc000 is also
	 * the last one of the read-only segment before it */
	FT_EQ_INT(pyruntime_bias(&maps[3], 1, lib312, 4, PAGE, &bias), -ENOTSUP);
}

FT_TEST(pyruntime_bias_non_pie)
{
	/* Debian's /usr/bin/python3.11 (ET_EXEC): bias 0 */
	const struct pyruntime_load loads[] = {
		{0x400000, 0x000000, 0x01e3e8, 0x01e3e8},
		{0x41f000, 0x01f000, 0x2b2289, 0x2b2289},
		{0x6d2000, 0x2d2000, 0x272968, 0x272968},
		{0x945dc8, 0x544dc8, 0x13e4b0, 0x1832f0},
	};
	const struct pyruntime_map maps[] = {
		{0x400000, 0x41f000, 0x000000, false}, {0x41f000, 0x6d2000, 0x01f000, false},
		{0x6d2000, 0x945000, 0x2d2000, false}, {0x945000, 0x946000, 0x544000, false},
		{0x946000, 0xa85000, 0x545000, false},
	};
	uint64_t bias = 1;

	FT_EQ_INT(pyruntime_bias(maps, 5, loads, 4, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0);
}

FT_TEST(pyruntime_bias_holes_and_refusals)
{
	const struct pyruntime_load loads[] = {
		{0x0000, 0x0000, 0x1500, 0x1500},
		{0x4000, 0x2000, 0x1000, 0x3000}, /* vaddr - offset = 0x2000: a hole between */
	};
	const struct pyruntime_map with_hole[] = {
		{0x7f0000000000, 0x7f0000002000, 0x0000, false},
		/* the loader's reservation left as PROT_NONE: offsets run on from 0 */
		{0x7f0000002000, 0x7f0000004000, 0x2000, true},
		{0x7f0000004000, 0x7f0000005000, 0x2000, false},
	};
	uint64_t bias = 0;

	FT_EQ_INT(pyruntime_bias(with_hole, 3, loads, 2, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f0000000000);

	/* a mapping no segment explains under the bias of the others */
	const struct pyruntime_map moved[] = {
		{0x7f0000000000, 0x7f0000002000, 0x0000, false},
		{0x7f0000104000, 0x7f0000105000, 0x2000, false},
	};
	FT_EQ_INT(pyruntime_bias(moved, 2, loads, 2, PAGE, &bias), -ENOTSUP);

	/* offsets beyond every segment's file range */
	const struct pyruntime_map foreign[] = {{0x7f0000000000, 0x7f0000001000, 0x9000, false}};
	FT_EQ_INT(pyruntime_bias(foreign, 1, loads, 2, PAGE, &bias), -ENOENT);
	FT_EQ_INT(pyruntime_bias(NULL, 0, loads, 2, PAGE, &bias), -ENOENT);
	/* only holes */
	FT_EQ_INT(pyruntime_bias(&with_hole[1], 1, loads, 2, PAGE, &bias), -ENOENT);

	/* two segments sharing a file page (a tightly packed file): one
	 * mapping of that page fits both, so two biases explain it (refused);
	 * a second mapping tells them apart */
	const struct pyruntime_load packed[] = {
		{0x0000, 0x0000, 0x0800, 0x0800},
		{0x10800, 0x0800, 0x0800, 0x0800},
	};
	const struct pyruntime_map one[] = {{0x7f0000000000, 0x7f0000001000, 0x0000, false}};
	FT_EQ_INT(pyruntime_bias(one, 1, packed, 2, PAGE, &bias), -ENOTSUP);
	const struct pyruntime_map both[] = {
		{0x7f0000000000, 0x7f0000001000, 0x0000, false},
		{0x7f0000010000, 0x7f0000011000, 0x0000, false},
	};
	bias = 0;
	FT_EQ_INT(pyruntime_bias(both, 2, packed, 2, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f0000000000);

	FT_EQ_INT(pyruntime_bias(one, 1, packed, 2, 3000, &bias), -EINVAL);
}

/* --- the rest --------------------------------------------------------------- */

FT_TEST(pyruntime_pointer_sanity)
{
	FT_TRUE(pyruntime_pointer_ok(0x7f6c1c944000));
	FT_TRUE(pyruntime_pointer_ok(0x55d0c0a01010));
	FT_TRUE(!pyruntime_pointer_ok(0));
	FT_TRUE(!pyruntime_pointer_ok(0x7f6c1c944004));
	FT_TRUE(!pyruntime_pointer_ok(0xffff888000000000ULL));
	FT_TRUE(!pyruntime_pointer_ok(0x0100000000000000ULL));
}

FT_TEST(pyruntime_unhook_without_hook)
{
	struct pyruntime rt = {0};

	/* the session unhooks on every path, also when nothing was opened */
	FT_EQ_INT(pyruntime_unhook(&rt), 0);
	FT_EQ_INT(pyruntime_unhook(NULL), 0);
	FT_EQ_INT(pyruntime_validate(&rt, NULL, 0), -EINVAL);
	char why[128] = "";
	FT_EQ_INT(pyruntime_hook(&rt, why, sizeof(why)), -EINVAL);
	FT_TRUE(why[0] != 0);
}

/* --- the perf trampoline asked for at start-up ------------------------------ */

FT_TEST(pyruntime_perf_request)
{
	static const struct {
		const char *argv[6];
		const char *envp[3];
		int minor;
		bool on;
	} cases[] = {
		{{"python3.12", "-X", "perf", "x.py"}, {NULL}, 12, true},
		{{"python3.12", "-Xperf", "x.py"}, {NULL}, 12, true},
		{{"python3.12", "-X", "perf=0", "x.py"}, {NULL}, 12, true}, /* the name counts */
		{{"python3.12", "-EX", "perf", "x.py"}, {NULL}, 12, true},
		{{"python3.12", "-W", "ignore", "-X", "perf"}, {NULL}, 12, true},
		{{"python3.11", "-X", "perf", "x.py"}, {NULL}, 11, false}, /* no trampoline */
		{{"python3.12", "-X", "perf_jit", "x.py"}, {NULL}, 12, false},
		{{"python3.13", "-X", "perf_jit", "x.py"}, {NULL}, 13, true},
		{{"python3.12", "-X", "perfx", "x.py"}, {NULL}, 12, false},
		{{"python3.12", "-X", "dev", "x.py"}, {NULL}, 12, false},
		/* after the options: the program's arguments */
		{{"python3.12", "x.py", "-X", "perf"}, {NULL}, 12, false},
		{{"python3.12", "-c", "pass", "-X", "perf"}, {NULL}, 12, false},
		{{"python3.12", "-Ic", "-X", "perf"}, {NULL}, 12, false},
		{{"python3.12", "-m", "-X", "perf"}, {NULL}, 12, false},
		{{"python3.12", "--", "-X", "perf"}, {NULL}, 12, false},
		{{"python3.12", "-", "-X", "perf"}, {NULL}, 12, false},
		{{"python3.12", "-W", "-X", "perf"}, {NULL}, 12, false}, /* -X is -W's argument */
		{{"python3.12", "--check-hash-based-pycs", "-X", "perf"}, {NULL}, 12, false},
		/* the environment */
		{{"python3.12", "x.py"}, {"PYTHONPERFSUPPORT=1"}, 12, true},
		{{"python3.12", "x.py"}, {"A=b", "PYTHONPERFSUPPORT= 1"}, 12, true},
		{{"python3.12", "x.py"}, {"PYTHONPERFSUPPORT=0"}, 12, false},
		{{"python3.12", "x.py"}, {"PYTHONPERFSUPPORT="}, 12, false},
		{{"python3.12", "x.py"}, {"PYTHONPERFSUPPORT=yes"}, 12, false},
		{{"python3.12", "x.py"}, {"PYTHONPERFSUPPORTX=1"}, 12, false},
		{{"python3.12", "-E", "x.py"}, {"PYTHONPERFSUPPORT=1"}, 12, false},
		{{"python3.12", "-sI", "x.py"}, {"PYTHONPERFSUPPORT=1"}, 12, false},
		{{"python3.12", "x.py", "-E"}, {"PYTHONPERFSUPPORT=1"}, 12, true},
		{{"python3.11", "x.py"}, {"PYTHONPERFSUPPORT=1"}, 11, false},
		{{"python3.12", "x.py"}, {"PYTHON_PERF_JIT_SUPPORT=1"}, 12, false},
		{{"python3.13", "x.py"}, {"PYTHON_PERF_JIT_SUPPORT=1"}, 13, true},
		{{NULL}, {"PYTHONPERFSUPPORT=1"}, 12, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool on = pyruntime_perf_requested((char *const *)cases[i].argv,
						   (char *const *)cases[i].envp, cases[i].minor);
		if (on != cases[i].on)
			FT_FAIL("case %zu (%s %s ...): %d, expected %d", i,
				cases[i].argv[1] ? cases[i].argv[1] : "",
				cases[i].envp[0] ? cases[i].envp[0] : "", on, cases[i].on);
	}
}
