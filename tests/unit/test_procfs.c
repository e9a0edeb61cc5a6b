// SPDX-License-Identifier: MIT
/* procfs: maps lines (every field, paths with spaces, deleted files,
 * pseudo mappings, malformed lines), path matching, the load bias from
 * mappings and PT_LOAD headers (real layouts of a pyenv libpython and
 * Debian's non-PIE python3.11, RELRO splits, reservation holes, refusals),
 * status fields, the stat state and this process's own tasks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/procfs.h"
#include "test.h"

#define PAGE 4096
/* a mapping of a file: where, at which file offset, a reservation hole or not */
#define MAP(s, e, o, r)                                                  \
	{                                                                \
		.start = (s), .end = (e), .offset = (o), .reserved = (r) \
	}

FT_TEST(procfs_maps_line_table)
{
	static const struct {
		const char *line;
		int ret;
		const char *path; /* NULL: anonymous */
		bool exec;
	} cases[] = {
		{"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n", 0,
		 "/usr/bin/dbus-daemon", true},
		{"7f3c1a000000-7f3c1a200000 r--p 00000000 fd:01 1048602                    "
		 "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0\n",
		 0, "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", false},
		/* spaces inside the path are kept, padding before it is not */
		{"7f3c1a000000-7f3c1a200000 r-xp 00001000 fd:01 42   /opt/my app/lib py/x.so\n", 0,
		 "/opt/my app/lib py/x.so", true},
		{"7f3c1a000000-7f3c1a200000 r-xp 00001000 fd:01 42 /usr/lib/libpython3.9.so.1.0 "
		 "(deleted)\n",
		 0, "/usr/lib/libpython3.9.so.1.0 (deleted)", true},
		{"7f3c1a000000-7f3c1a200000 rw-s 00000000 00:01 7 /memfd:buf (deleted)\n", 0,
		 "/memfd:buf (deleted)", false},
		/* no newline at the end */
		{"00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/python3.11", 0,
		 "/usr/bin/python3.11", true},
		/* anonymous and pseudo mappings */
		{"7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 \n", 0, NULL, false},
		{"7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0\n", 0, NULL, false},
		{"7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0", 0, NULL, false},
		{"7ffd7b1c4000-7ffd7b1e5000 rw-p 00000000 00:00 0                          "
		 "[stack]\n",
		 0, NULL, false},
		{"7ffd7b1f8000-7ffd7b1fa000 r-xp 00000000 00:00 0                          "
		 "[vdso]\n",
		 0, NULL, true},
		{"7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 [anon:glibc malloc]\n", 0, NULL,
		 false},
		/* malformed */
		{"", -EINVAL, NULL, false},
		{"\n", -EINVAL, NULL, false},
		{"garbage\n", -EINVAL, NULL, false},
		{"00400000-00452000 r-xp\n", -EINVAL, NULL, false},
		{"00400000-00452000 r-xp 00000000 08:02\n", -EINVAL, NULL, false},
		{"00400000-00452000 r-xpq 00000000 08:02 1 /x\n", -EINVAL, NULL, false},
		{"00400000-00452000 r-x 00000000 08:02 1 /x\n", -EINVAL, NULL, false},
		{"00400000-00452000 r-zp 00000000 08:02 1 /x\n", -EINVAL, NULL, false},
		{"00400000-00452000 r-xp 0000zz00 08:02 1 /x\n", -EINVAL, NULL, false},
		{"00400000-00452000 r-xp 00000000 08:02 abc /x\n", -EINVAL, NULL, false},
		{"00400000-00452000 r-xp 00000000 08:02 12x /x\n", -EINVAL, NULL, false},
		{"0040000000452000 r-xp 00000000 08:02 1 /x\n", -EINVAL, NULL, false},
		{"00400000-00452000  r-xp 00000000 08:02 1 /x\n", -EINVAL, NULL, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[512];
		struct procfs_map m = {.path = (char *)"unset", .exec = !cases[i].exec};
		int ret;

		snprintf(line, sizeof(line), "%s", cases[i].line);
		ret = procfs_parse_maps_line(line, &m);
		if (ret != cases[i].ret)
			FT_FAIL("case %zu (%s): %d != %d", i, cases[i].line, ret, cases[i].ret);
		if (ret)
			continue;
		if (!cases[i].path && m.path)
			FT_FAIL("case %zu: path %s, expected none", i, m.path);
		if (cases[i].path)
			FT_EQ_STR(m.path, cases[i].path);
		FT_EQ_INT(m.exec, cases[i].exec);
	}
	FT_EQ_INT(procfs_parse_maps_line(NULL, NULL), -EINVAL);
}

/* --- maps lines ------------------------------------------------------------- */

FT_TEST(procfs_maps_line_numbers)
{
	struct procfs_map m;
	char l1[] = "7f6c1c944000-7f6c1cab4000 rw-p 00543000 fe:00 73606                      "
		    "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0\n";
	char l2[] = "7f1c2a000000-7f1c2a021000 ---p 0001c000 fe:00 42 /opt/my app/libpython3.11.so "
		    "(deleted)";
	char l3[] = "7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 \n";
	char l4[] = "7ffd7b1c4000-7ffd7b1e5000 rw-p 00000000 00:00 0                          "
		    "[stack]\n";

	FT_EQ_INT(procfs_parse_maps_line(l1, &m), 0);
	FT_EQ_U64(m.start, 0x7f6c1c944000);
	FT_EQ_U64(m.end, 0x7f6c1cab4000);
	FT_EQ_U64(m.offset, 0x543000);
	FT_TRUE(!m.reserved);
	FT_EQ_STR(m.path, "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0");

	FT_EQ_INT(procfs_parse_maps_line(l2, &m), 0);
	FT_TRUE(m.reserved);
	FT_EQ_U64(m.offset, 0x1c000);
	FT_EQ_STR(m.path, "/opt/my app/libpython3.11.so (deleted)");

	FT_EQ_INT(procfs_parse_maps_line(l3, &m), 0);
	FT_TRUE(m.path == NULL);
	FT_EQ_INT(procfs_parse_maps_line(l4, &m), 0);
	FT_TRUE(m.path == NULL); /* not a file */

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
		if (procfs_parse_maps_line(buf, &m) != -EINVAL)
			FT_FAIL("accepted: '%s'", bad[i]);
	}
}

FT_TEST(procfs_path_matching)
{
	const char *lib = "/usr/lib/libpython3.12.so.1.0";

	FT_TRUE(procfs_path_matches("/usr/lib/libpython3.12.so.1.0", lib));
	FT_TRUE(procfs_path_matches("/usr/lib/libpython3.12.so.1.0 (deleted)", lib));
	FT_TRUE(!procfs_path_matches("/usr/lib/libpython3.12.so.1.0.bak", lib));
	FT_TRUE(!procfs_path_matches("/usr/lib/libpython3.12.so.1", lib));
	FT_TRUE(!procfs_path_matches("/usr/lib/libpython3.12.so.1.0 (deleted) x", lib));
	FT_TRUE(!procfs_path_matches(NULL, lib));
}

/* --- the load bias ---------------------------------------------------------- */

/* pyenv 3.12.1's libpython: four PT_LOADs, the RW one with vaddr - offset =
 * 0x1000, split in two mappings by RELRO (readelf -l, /proc/PID/maps). */
static const struct procfs_load lib312[] = {
	{0x000000, 0x000000, 0x105130, 0x105130},
	{0x106000, 0x106000, 0x272ec9, 0x272ec9},
	{0x379000, 0x379000, 0x1530c8, 0x1530c8},
	{0x4cd6d0, 0x4cc6d0, 0x1e6118, 0x1e7598},
};

FT_TEST(procfs_load_bias_shared_library)
{
	const struct procfs_map maps[] = {
		MAP(0x7f6c1c400000, 0x7f6c1c506000, 0x000000, false),
		MAP(0x7f6c1c506000, 0x7f6c1c779000, 0x106000, false),
		MAP(0x7f6c1c779000, 0x7f6c1c8cd000, 0x379000, false),
		MAP(0x7f6c1c8cd000, 0x7f6c1c944000, 0x4cc000, false),
		MAP(0x7f6c1c944000, 0x7f6c1cab4000, 0x543000, false),
	};
	uint64_t bias = 0;

	FT_EQ_INT(procfs_load_bias(maps, 5, lib312, 4, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f6c1c400000);
	/* any order, and any subset that still has one fitting mapping */
	const struct procfs_map rev[] = {maps[4], maps[2], maps[0]};
	bias = 0;
	FT_EQ_INT(procfs_load_bias(rev, 3, lib312, 4, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f6c1c400000);
	/* the RW part alone gives it too (vaddr - offset = 0x1000 applied) */
	bias = 0;
	FT_EQ_INT(procfs_load_bias(&maps[4], 1, lib312, 4, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f6c1c400000);
	/* the RELRO part alone is ambiguous: its file page 0x4cc000 is also
	 * the last one of the read-only segment before it */
	FT_EQ_INT(procfs_load_bias(&maps[3], 1, lib312, 4, PAGE, &bias), -ENOTSUP);
}

FT_TEST(procfs_load_bias_non_pie)
{
	/* Debian's /usr/bin/python3.11 (ET_EXEC): bias 0 */
	const struct procfs_load loads[] = {
		{0x400000, 0x000000, 0x01e3e8, 0x01e3e8},
		{0x41f000, 0x01f000, 0x2b2289, 0x2b2289},
		{0x6d2000, 0x2d2000, 0x272968, 0x272968},
		{0x945dc8, 0x544dc8, 0x13e4b0, 0x1832f0},
	};
	const struct procfs_map maps[] = {
		MAP(0x400000, 0x41f000, 0x000000, false), MAP(0x41f000, 0x6d2000, 0x01f000, false),
		MAP(0x6d2000, 0x945000, 0x2d2000, false), MAP(0x945000, 0x946000, 0x544000, false),
		MAP(0x946000, 0xa85000, 0x545000, false),
	};
	uint64_t bias = 1;

	FT_EQ_INT(procfs_load_bias(maps, 5, loads, 4, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0);
}

FT_TEST(procfs_load_bias_holes_and_refusals)
{
	const struct procfs_load loads[] = {
		{0x0000, 0x0000, 0x1500, 0x1500},
		{0x4000, 0x2000, 0x1000, 0x3000}, /* vaddr - offset = 0x2000: a hole between */
	};
	const struct procfs_map with_hole[] = {
		MAP(0x7f0000000000, 0x7f0000002000, 0x0000, false),
		/* the loader's reservation left as PROT_NONE: offsets run on from 0 */
		MAP(0x7f0000002000, 0x7f0000004000, 0x2000, true),
		MAP(0x7f0000004000, 0x7f0000005000, 0x2000, false),
	};
	uint64_t bias = 0;

	FT_EQ_INT(procfs_load_bias(with_hole, 3, loads, 2, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f0000000000);

	/* a mapping no segment explains under the bias of the others */
	const struct procfs_map moved[] = {
		MAP(0x7f0000000000, 0x7f0000002000, 0x0000, false),
		MAP(0x7f0000104000, 0x7f0000105000, 0x2000, false),
	};
	FT_EQ_INT(procfs_load_bias(moved, 2, loads, 2, PAGE, &bias), -ENOTSUP);

	/* offsets beyond every segment's file range */
	const struct procfs_map foreign[] = {MAP(0x7f0000000000, 0x7f0000001000, 0x9000, false)};
	FT_EQ_INT(procfs_load_bias(foreign, 1, loads, 2, PAGE, &bias), -ENOENT);
	FT_EQ_INT(procfs_load_bias(NULL, 0, loads, 2, PAGE, &bias), -ENOENT);
	/* only holes */
	FT_EQ_INT(procfs_load_bias(&with_hole[1], 1, loads, 2, PAGE, &bias), -ENOENT);

	/* two segments sharing a file page (a tightly packed file): one
	 * mapping of that page fits both, so two biases explain it (refused);
	 * a second mapping tells them apart */
	const struct procfs_load packed[] = {
		{0x0000, 0x0000, 0x0800, 0x0800},
		{0x10800, 0x0800, 0x0800, 0x0800},
	};
	const struct procfs_map one[] = {MAP(0x7f0000000000, 0x7f0000001000, 0x0000, false)};
	FT_EQ_INT(procfs_load_bias(one, 1, packed, 2, PAGE, &bias), -ENOTSUP);
	const struct procfs_map both[] = {
		MAP(0x7f0000000000, 0x7f0000001000, 0x0000, false),
		MAP(0x7f0000010000, 0x7f0000011000, 0x0000, false),
	};
	bias = 0;
	FT_EQ_INT(procfs_load_bias(both, 2, packed, 2, PAGE, &bias), 0);
	FT_EQ_U64(bias, 0x7f0000000000);

	FT_EQ_INT(procfs_load_bias(one, 1, packed, 2, 3000, &bias), -EINVAL);
}

/* --- status and stat files --------------------------------------------------- */

FT_TEST(procfs_status_fields)
{
	static const char text[] = "Name:\tpython3.12\nSigQ:\t0/63398\nSigPnd:\t0000000000000000\n"
				   "SigBlk:\t0000000000010000\nSigCgt:\t00000001800044ea\n"
				   "CapEff:\t000001ffffffffff\nNSpid:\t5926\t12\t1\n";
	const char *v;
	size_t n;
	uint64_t x;

	FT_EQ_INT(procfs_status_field(text, strlen(text), "Name", &v, &n), 0);
	FT_EQ_INT(n, 10);
	FT_TRUE(!strncmp(v, "python3.12", n));
	FT_EQ_INT(procfs_status_field(text, strlen(text), "NSpid", &v, &n), 0);
	FT_TRUE(n == 9 && !strncmp(v, "5926\t12\t1", n));
	FT_EQ_INT(procfs_status_hex(text, strlen(text), "SigBlk", &x), 0);
	FT_EQ_U64(x, 0x10000); /* SIGURG, 23: bit 22 */
	FT_EQ_INT(procfs_status_hex(text, strlen(text), "SigCgt", &x), 0);
	FT_EQ_U64(x, 0x1800044ea);
	FT_EQ_INT(procfs_status_hex(text, strlen(text), "CapEff", &x), 0);
	FT_TRUE(x >> 19 & 1);
	/* a key names a whole field at the start of a line */
	FT_EQ_INT(procfs_status_field(text, strlen(text), "Sig", &v, &n), -ENOENT);
	FT_EQ_INT(procfs_status_field(text, strlen(text), "Pnd", &v, &n), -ENOENT);
	FT_EQ_INT(procfs_status_field(text, strlen(text), "CapBnd", &v, &n), -ENOENT);
	/* the length given ends the text, NUL or not */
	FT_EQ_INT(procfs_status_field(text, 16, "SigQ", &v, &n), -ENOENT);
	/* not a hexadecimal mask */
	FT_EQ_INT(procfs_status_hex(text, strlen(text), "Name", &x), -EINVAL);
	FT_EQ_INT(procfs_status_hex(text, strlen(text), "SigQ", &x), -EINVAL);
	FT_EQ_INT(procfs_status_hex("SigBlk:\t\n", 9, "SigBlk", &x), -EINVAL);
	FT_EQ_INT(procfs_status_hex("SigBlk:\t00000000000000001\n", 26, "SigBlk", &x), -EINVAL);
}

FT_TEST(procfs_stat_states)
{
	FT_EQ_INT(procfs_stat_state("4242 (python3) S 1 4242"), 'S');
	FT_EQ_INT(procfs_stat_state("4242 (a) Z (b)) Z 1"), 'Z'); /* the last ')' */
	FT_EQ_INT(procfs_stat_state("4242 (x) X 1"), 'X');
	FT_EQ_INT(procfs_stat_state("4242 (x)"), 0);
	FT_EQ_INT(procfs_stat_state("garbage"), 0);
	FT_TRUE(!procfs_exited(getpid()));
}

/* An exiting process (PF_EXITING) counts as gone: its mappings can be
 * torn down before it is a zombie, and a target whose maps name no
 * CPython then is one that exited during attach, not "not a Python" */
FT_TEST(procfs_stat_flags_exiting)
{
	FT_EQ_INT(procfs_stat_flags("9 (py) R 1 9 9 0 -1 4194564 10 0"), 4194564);
	FT_TRUE(procfs_stat_flags("9 (py) R 1 9 9 0 -1 4194564 10 0") & PROCFS_PF_EXITING);
	FT_TRUE(!(procfs_stat_flags("9 (a b) c) S 1 9 9 0 -1 4194560 1") & PROCFS_PF_EXITING));
	FT_EQ_INT(procfs_stat_flags("9 (py) R 1"), 0);
	FT_EQ_INT(procfs_stat_flags("garbage"), 0);
}

FT_TEST(procfs_own_tasks_and_status)
{
	uint32_t *tids;
	size_t n;
	char buf[4096];
	uint64_t x;
	ssize_t len;

	FT_EQ_INT(procfs_tasks(getpid(), &tids, &n), 0);
	FT_EQ_INT(n, 1); /* each test runs forked, single-threaded */
	FT_EQ_INT(tids[0], getpid());
	free(tids);
	len = procfs_read_status(getpid(), 0, buf, sizeof(buf));
	FT_TRUE(len > 0 && !procfs_status_hex(buf, (size_t)len, "SigBlk", &x));
	len = procfs_read_status(0, 0, buf, sizeof(buf));
	FT_TRUE(len > 0 && !procfs_status_hex(buf, (size_t)len, "CapEff", &x));
	FT_EQ_INT(procfs_tasks(-1, &tids, &n), -ESRCH);
	/* any small proc file, read to its end or cut at len - 1 bytes */
	len = procfs_read(getpid(), 0, "cgroup", buf, sizeof(buf));
	FT_TRUE(len > 0 && buf[len] == 0 && strchr(buf, ':'));
	len = procfs_read(0, 0, "status", buf, 8);
	FT_EQ_INT(len, 7);
	FT_EQ_INT(strlen(buf), 7);
	FT_EQ_INT(procfs_read(getpid(), getpid(), "comm", buf, sizeof(buf)) > 0, 1);
	FT_EQ_INT(procfs_read(getpid(), 0, "no-such-file", buf, sizeof(buf)), -ENOENT);
	FT_EQ_INT(procfs_read(getpid(), 0, "status", buf, 0), -EINVAL);
}
