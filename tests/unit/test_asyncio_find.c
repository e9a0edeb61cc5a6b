// SPDX-License-Identifier: MIT
/* The structural search for _asyncio's task_step_impl and the Task's size
 * (asyncio_find.h) on every installed build 3.8-3.13 (pyenv, the dtrace
 * 3.9): it must give exactly the address .symtab names, and the size the
 * Task type's symbol states, without using either. Debian's stripped 3.11
 * has no .symtab: the search must find one function there (which one was
 * checked against Debian's own debug file by hand, docs/design.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpython/asyncio_find.h"
#include "cpython/asyncio_task.h"
#include "sys/elfimage.h"
#include "test.h"

static const struct {
	const char *path;
	int minor;
} builds[] = {
	{"/root/.pyenv/versions/3.8.18/lib/python3.8/lib-dynload/"
	 "_asyncio.cpython-38-x86_64-linux-gnu.so",
	 8},
	{"/root/.pyenv/versions/3.9.18/lib/python3.9/lib-dynload/"
	 "_asyncio.cpython-39-x86_64-linux-gnu.so",
	 9},
	{"/var/cache/flowtrace-bpf/python3.9-dtrace/lib/python3.9/lib-dynload/"
	 "_asyncio.cpython-39-x86_64-linux-gnu.so",
	 9},
	{"/root/.pyenv/versions/3.10.13/lib/python3.10/lib-dynload/"
	 "_asyncio.cpython-310-x86_64-linux-gnu.so",
	 10},
	{"/root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/"
	 "_asyncio.cpython-311-x86_64-linux-gnu.so",
	 11},
	{"/root/.pyenv/versions/3.12.1/lib/python3.12/lib-dynload/"
	 "_asyncio.cpython-312-x86_64-linux-gnu.so",
	 12},
	{"/root/.pyenv/versions/3.13.0/lib/python3.13/lib-dynload/"
	 "_asyncio.cpython-313-x86_64-linux-gnu.so",
	 13},
};

FT_TEST(asyncio_find_step_equals_symtab)
{
	int tested = 0;

	for (size_t i = 0; i < sizeof(builds) / sizeof(builds[0]); i++) {
		struct elfimage *img;
		struct elfimage_sym sym, tsym;
		struct asyncio_task_layout l;
		uint64_t found, size;
		const uint8_t *b;
		char why[256] = "";
		int e;

		if (access(builds[i].path, R_OK)) {
			printf("  note: %s not installed, skipped\n", builds[i].path);
			continue;
		}
		img = elfimage__open(builds[i].path);
		FT_TRUE(img);
		FT_EQ_INT(elfimage__symbol_any(img, ASYNCIO_TASK_STEP_SYMBOL, &sym), 0);
		e = asyncio_find_step(img, builds[i].minor, &found, why, sizeof(why));
		if (e)
			FT_FAIL("%s: %d %s", builds[i].path, e, why);
		FT_EQ_U64(found, sym.value);
		FT_EQ_INT(asyncio_task_layout(builds[i].minor, &l), 0);
		FT_EQ_INT(elfimage__symbol_any(img, l.size_symbol, &tsym), 0);
		b = elfimage__symbol_bytes(img, &tsym, l.size_at + 4);
		FT_TRUE(b);
		FT_EQ_INT(asyncio_find_task_size(img, builds[i].minor, &size), 0);
		FT_EQ_U64(size, (uint64_t)(b[l.size_at] | b[l.size_at + 1] << 8));
		FT_EQ_INT(asyncio_task_check(&l, size), 0);
		/* another version's search names no function here */
		FT_TRUE(asyncio_find_step(img, builds[i].minor >= 12 ? 11 : 12, &found, why,
					  sizeof(why)) != 0);
		elfimage__free(img);
		tested++;
	}
	printf("  %d builds checked\n", tested);
}

/* Debian's stripped modules: the installed python3.11 and the trixie root's
 * python3.13 (scripts/build-trixie-root.sh) when it is built. */
static const struct {
	const char *path;
	int minor;
} stripped[] = {
	{"/usr/lib/python3.11/lib-dynload/_asyncio.cpython-311-x86_64-linux-gnu.so", 11},
	{"/var/cache/flowtrace-bpf/trixie-root/usr/lib/python3.13/lib-dynload/"
	 "_asyncio.cpython-313-x86_64-linux-gnu.so",
	 13},
};

FT_TEST(asyncio_find_step_debian_stripped)
{
	for (size_t i = 0; i < sizeof(stripped) / sizeof(stripped[0]); i++) {
		const char *path = stripped[i].path;
		struct elfimage *img;
		struct elfimage_sym sym;
		struct asyncio_task_layout l;
		uint64_t found, size;
		char why[256] = "";

		if (access(path, R_OK)) {
			printf("  note: %s not installed, skipped\n", path);
			continue;
		}
		img = elfimage__open(path);
		FT_TRUE(img);
		if (!elfimage__symbol_any(img, ASYNCIO_TASK_STEP_SYMBOL, &sym)) {
			printf("  note: %s is not stripped, skipped\n", path);
			elfimage__free(img);
			continue;
		}
		if (asyncio_find_step(img, stripped[i].minor, &found, why, sizeof(why)))
			FT_FAIL("%s: %s", path, why);
		printf("  %s: task_step_impl at %#" PRIx64 "\n", path, found);
		FT_TRUE(elfimage__is_code(img, found));
		FT_EQ_INT(asyncio_find_task_size(img, stripped[i].minor, &size), 0);
		FT_EQ_INT(asyncio_task_layout(stripped[i].minor, &l), 0);
		FT_EQ_INT(asyncio_task_check(&l, size), 0);
		elfimage__free(img);
	}
}

FT_TEST(asyncio_find_refuses_non_asyncio)
{
	/* not our own binary: it holds the string searched for */
	struct elfimage *img = elfimage__open("/bin/true");
	uint64_t v;
	char why[256] = "";

	FT_TRUE(img);
	FT_EQ_INT(asyncio_find_step(img, 11, &v, why, sizeof(why)), -ENOENT);
	FT_TRUE(strstr(why, "no string"));
	FT_EQ_INT(asyncio_find_task_size(img, 11, &v), -ENOENT);
	FT_EQ_INT(asyncio_find_step(img, 7, &v, why, sizeof(why)), -ENOTSUP);
	elfimage__free(img);
}

#define SRC312                                                     \
	"/root/.pyenv/versions/3.12.1/lib/python3.12/lib-dynload/" \
	"_asyncio.cpython-312-x86_64-linux-gnu.so"

static void run(const char *cmd)
{
	if (system(cmd))
		FT_FAIL("command failed: %s", cmd);
}

/* The order: the file's symbols, its debug file's, its code; and when none
 * shows the function, why and what would help. */
FT_TEST(asyncio_step_site_order)
{
	char dir[] = "/tmp/ft-asyncio-site-XXXXXX", cmd[1024], mod[256], why[1024], hint[512];
	struct asyncio_step_site site;
	struct elfimage_sym sym;
	struct elfimage *img;
	uint64_t want;

	if (access(SRC312, R_OK) || system("command -v objcopy >/dev/null")) {
		printf("  note: no pyenv 3.12 or no objcopy, skipped\n");
		return;
	}
	img = elfimage__open(SRC312);
	FT_TRUE(img);
	FT_EQ_INT(elfimage__symbol_any(img, ASYNCIO_TASK_STEP_SYMBOL, &sym), 0);
	want = sym.value;
	FT_EQ_INT(asyncio_step_site(img, SRC312, 12, &site, why, sizeof(why), hint, sizeof(hint)),
		  0);
	FT_EQ_U64(site.step, want);
	FT_EQ_U64(site.task_size, 176);
	FT_EQ_STR(site.how, "its symbols");
	elfimage__free(img);

	/* stripped, its debug file beside it in .debug/ */
	FT_TRUE(mkdtemp(dir));
	snprintf(mod, sizeof(mod), "%s/m.so", dir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir %1$s/.debug && objcopy --only-keep-debug " SRC312 " %1$s/.debug/m.debug && "
		 "objcopy --strip-all --add-gnu-debuglink=%1$s/.debug/m.debug " SRC312 " %2$s",
		 dir, mod);
	run(cmd);
	img = elfimage__open(mod);
	FT_TRUE(img);
	FT_EQ_INT(asyncio_step_site(img, mod, 12, &site, why, sizeof(why), hint, sizeof(hint)), 0);
	FT_EQ_U64(site.step, want);
	FT_EQ_U64(site.task_size, 176);
	FT_TRUE(!strncmp(site.how, "the debug file ", 15) && strstr(site.how, "/.debug/m.debug"));
	elfimage__free(img);

	/* no debug file: its code */
	snprintf(cmd, sizeof(cmd), "rm -r %s/.debug", dir);
	run(cmd);
	img = elfimage__open(mod);
	FT_TRUE(img);
	FT_EQ_INT(asyncio_step_site(img, mod, 12, &site, why, sizeof(why), hint, sizeof(hint)), 0);
	FT_EQ_U64(site.step, want);
	FT_EQ_U64(site.task_size, 176);
	FT_EQ_STR(site.how, "its code");
	elfimage__free(img);

	/* nor its code (the string it looks for altered): why, and a hint
	 * naming the debug file's place, no distribution package (not a
	 * distribution's module) */
	snprintf(cmd, sizeof(cmd), "sed -i 's/_step(): already done/_step(): ALREADY DONE/' %s",
		 mod);
	run(cmd);
	img = elfimage__open(mod);
	FT_TRUE(img);
	FT_EQ_INT(asyncio_step_site(img, mod, 12, &site, why, sizeof(why), hint, sizeof(hint)),
		  -ENOENT);
	FT_TRUE(strstr(why, "no debug file for it"));
	FT_TRUE(strstr(why, "no string"));
	FT_TRUE(strstr(hint, "install the interpreter's debug symbols (/usr/lib/debug/.build-id/"));
	FT_TRUE(!strstr(hint, "Debian"));
	elfimage__free(img);
	snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
	run(cmd);
}
