// SPDX-License-Identifier: MIT
/* Separate debug files (elfdebug.h): the candidate paths gdb and perf try,
 * the .gnu_debuglink parse, a target's root, and the lookup on real files
 * made here from a pyenv build's _asyncio with objcopy and strip: found by
 * build ID and by debuglink name, refused when the build ID or the CRC
 * differs. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/elfdebug.h"
#include "sys/elfimage.h"
#include "test.h"

FT_TEST(elfdebug_split_root)
{
	char root[64];
	const char *rest;

	elfdebug_split_root("/proc/123/root/usr/lib/x.so", root, sizeof(root), &rest);
	FT_EQ_STR(root, "/proc/123/root");
	FT_EQ_STR(rest, "/usr/lib/x.so");
	elfdebug_split_root("/usr/lib/x.so", root, sizeof(root), &rest);
	FT_EQ_STR(root, "");
	FT_EQ_STR(rest, "/usr/lib/x.so");
	/* not a PID's root */
	elfdebug_split_root("/proc/self/root/x", root, sizeof(root), &rest);
	FT_EQ_STR(root, "");
	elfdebug_split_root("/proc/12/rootx/y", root, sizeof(root), &rest);
	FT_EQ_STR(root, "");
	FT_EQ_STR(rest, "/proc/12/rootx/y");
}

FT_TEST(elfdebug_parse_link)
{
	/* "ab.debug" is 8 bytes, its NUL the 9th: the CRC at 12 */
	static const uint8_t ok[16] = {'a', 'b', '.', 'd', 'e',	 'b',  'u',  'g',
				       0,   0,	 0,   0,   0x78, 0x56, 0x34, 0x12};
	static const uint8_t nul_first[8] = {0};
	const char *name;
	uint32_t crc;

	FT_EQ_INT(elfdebug_parse_link(ok, sizeof(ok), &name, &crc), 0);
	FT_EQ_STR(name, "ab.debug");
	FT_EQ_U64(crc, 0x12345678u);
	FT_EQ_INT(elfdebug_parse_link(ok, 15, &name, &crc), -EINVAL);
	FT_EQ_INT(elfdebug_parse_link(ok, 8, &name, &crc), -EINVAL);
	FT_EQ_INT(elfdebug_parse_link(nul_first, sizeof(nul_first), &name, &crc), -EINVAL);
	FT_EQ_INT(elfdebug_parse_link(NULL, 0, &name, &crc), -EINVAL);
}

FT_TEST(elfdebug_candidates_in_order)
{
	static const uint8_t id[] = {0xb7, 0x1a, 0xa5};
	char out[ELFDEBUG_MAX_CANDIDATES][PATH_MAX];

	FT_EQ_INT(elfdebug_candidates(id, sizeof(id), "m.debug", "/usr/lib/m.so", out,
				      ELFDEBUG_MAX_CANDIDATES),
		  4);
	FT_EQ_STR(out[0], "/usr/lib/debug/.build-id/b7/1aa5.debug");
	FT_EQ_STR(out[1], "/usr/lib/m.debug");
	FT_EQ_STR(out[2], "/usr/lib/.debug/m.debug");
	FT_EQ_STR(out[3], "/usr/lib/debug/usr/lib/m.debug");
	/* no build ID: the names only; a name with a folder is not followed */
	FT_EQ_INT(elfdebug_candidates(id, 0, "m.debug", "/usr/lib/m.so", out, 4), 3);
	FT_EQ_STR(out[0], "/usr/lib/m.debug");
	FT_EQ_INT(elfdebug_candidates(id, sizeof(id), "../m.debug", "/usr/lib/m.so", out, 4), 1);
	FT_EQ_INT(elfdebug_candidates(id, 0, NULL, "/usr/lib/m.so", out, 4), 0);
	FT_EQ_INT(elfdebug_candidates(id, sizeof(id), "m.debug", "/usr/lib/m.so", out, 2), 2);
}

#define SRC                                                        \
	"/root/.pyenv/versions/3.12.1/lib/python3.12/lib-dynload/" \
	"_asyncio.cpython-312-x86_64-linux-gnu.so"
#define OTHER                                                      \
	"/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/" \
	"_asyncio.cpython-311-x86_64-linux-gnu.so"

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void run(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		FT_FAIL("command failed: %s", cmd);
}

/* The debug file's path the build ID names, under root. */
static void id_path(const struct elfimage *img, const char *root, char *buf, size_t len)
{
	uint8_t id[64];
	char out[1][PATH_MAX];
	int n = elfimage__build_id(img, id, sizeof(id));

	FT_TRUE(n > 1);
	FT_EQ_INT(elfdebug_candidates(id, (size_t)n, NULL, "/x", out, 1), 1);
	snprintf(buf, len, "%s%s", root, out[0]);
}

FT_TEST(elfdebug_open_finds_and_checks)
{
	char root[] = "/tmp/ft-elfdebug-XXXXXX", mod[PATH_MAX], dbg[PATH_MAX], at[2 * PATH_MAX],
	     found[2 * PATH_MAX], proc[2 * PATH_MAX];
	struct elfimage *img, *orig, *d;
	struct elfimage_sym want, got;

	if (access(SRC, R_OK) || access(OTHER, R_OK) || system("command -v objcopy >/dev/null")) {
		printf("  note: no pyenv 3.11/3.12 or no objcopy, skipped\n");
		return;
	}
	FT_TRUE(mkdtemp(root));
	snprintf(mod, sizeof(mod), "%s/lib/m.so", root);
	snprintf(dbg, sizeof(dbg), "%s/m.so.debug", root);
	run("mkdir -p %s/lib && objcopy --only-keep-debug " SRC " %s", root, dbg);
	/* the stripped file's link names m.so.debug with that file's CRC */
	run("objcopy --strip-all --add-gnu-debuglink=%s " SRC " %s", dbg, mod);
	orig = elfimage__open(SRC);
	img = elfimage__open(mod);
	FT_TRUE(orig && img);
	FT_EQ_INT(elfimage__symbol_any(orig, "task_step_impl", &want), 0);
	FT_EQ_INT(elfimage__symbol_any(img, "task_step_impl", &got), -ENOENT);

	/* nothing there yet */
	errno = 0;
	FT_TRUE(!elfdebug_open_in(img, root, "/lib/m.so", found, sizeof(found)));
	FT_EQ_INT(errno, ENOENT);

	/* by build ID */
	id_path(img, root, at, sizeof(at));
	run("mkdir -p $(dirname %s) && cp %s %s", at, dbg, at);
	d = elfdebug_open_in(img, root, "/lib/m.so", found, sizeof(found));
	FT_TRUE(d);
	FT_EQ_STR(found, at);
	FT_EQ_INT(elfimage__symbol_any(d, "task_step_impl", &got), 0);
	FT_EQ_U64(got.value, want.value);
	elfimage__free(d);

	/* another file at the build ID's path: refused (its ID differs) */
	run("objcopy --only-keep-debug " OTHER " %s", at);
	FT_TRUE(!elfdebug_open_in(img, root, "/lib/m.so", found, sizeof(found)));

	/* by debuglink name in the file's .debug folder */
	run("mkdir -p %s/lib/.debug && cp %s %s/lib/.debug/m.so.debug", root, dbg, root);
	d = elfdebug_open_in(img, root, "/lib/m.so", found, sizeof(found));
	FT_TRUE(d);
	FT_TRUE(strstr(found, "/lib/.debug/m.so.debug"));
	FT_EQ_INT(elfimage__symbol_any(d, "task_step_impl", &got), 0);
	FT_EQ_U64(got.value, want.value);
	elfimage__free(d);

	/* a path under /proc/PID/root is looked up in that root (ours here) */
	snprintf(proc, sizeof(proc), "/proc/%d/root%s", (int)getpid(), mod);
	d = elfdebug_open(img, proc, found, sizeof(found));
	FT_TRUE(d);
	snprintf(at, sizeof(at), "/proc/%d/root%s/lib/.debug/m.so.debug", (int)getpid(), root);
	FT_EQ_STR(found, at);
	elfimage__free(d);

	/* one byte more: the same build ID but another CRC: refused */
	run("echo >> %s/lib/.debug/m.so.debug", root);
	FT_TRUE(!elfdebug_open_in(img, root, "/lib/m.so", found, sizeof(found)));

	/* under /usr/lib/debug/<the file's folder>/ */
	run("mkdir -p %s/usr/lib/debug/lib && cp %s %s/usr/lib/debug/lib/m.so.debug", root, dbg,
	    root);
	d = elfdebug_open_in(img, root, "/lib/m.so", found, sizeof(found));
	FT_TRUE(d);
	FT_TRUE(strstr(found, "/usr/lib/debug/lib/m.so.debug"));
	elfimage__free(d);

	elfimage__free(img);
	elfimage__free(orig);
	run("rm -rf %s", root);
}
