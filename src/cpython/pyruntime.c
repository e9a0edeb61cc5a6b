// SPDX-License-Identifier: MIT
/* Where a running CPython keeps its runtime: the load bias of its
 * interpreter ELF from /proc/PID/maps (procfs.c) and the file's PT_LOAD
 * headers, then the addresses of what the probes read. See pyruntime.h
 * and the research note §3.3. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/elfimage.h"
#include "cpython/opcodes.h"
#include "cpython/pylayout.h"
#include "cpython/pyruntime.h"
#include "sys/log.h"
#include "sys/procfs.h"
#include "sys/tfile.h"

#define MAX_MAPS  64 /* mappings of one file; a loaded DSO has a handful */
#define MAX_LOADS 32

/* --- the file and its mappings ---------------------------------------- */

static int read_loads(const struct elfimage *img, struct procfs_load *loads, size_t max, size_t *n)
{
	const struct elfimage_load *l;
	size_t nl;

	*n = 0;
	l = elfimage__loads(img, &nl);
	if (elfimage__addr_size(img) != 8 || !nl)
		return -ENOEXEC;
	if (nl > max)
		return -ENOTSUP;
	for (size_t i = 0; i < nl; i++)
		loads[(*n)++] =
			(struct procfs_load){l[i].vaddr, l[i].offset, l[i].filesz, l[i].memsz};
	return 0;
}

struct file_maps {
	const char *path;
	struct procfs_map *maps;
	size_t max, n;
};

static int add_map(void *ctx, struct procfs_map *m)
{
	struct file_maps *fm = ctx;

	if (!procfs_path_matches(m->path, fm->path))
		return 0;
	if (fm->n == fm->max)
		return 1; /* a loaded DSO has a handful: the rest are not needed */
	fm->maps[fm->n] = *m;
	fm->maps[fm->n++].path = NULL; /* the line it points into is gone after this */
	return 0;
}

/* The mappings of mapped_path in pid (its path pointers are not kept). */
static int read_maps(int pid, const char *mapped_path, struct procfs_map *maps, size_t max,
		     size_t *n)
{
	struct file_maps fm = {mapped_path, maps, max, 0};
	int err = procfs_maps(pid, add_map, &fm);

	*n = fm.n;
	return err < 0 ? err : 0;
}

int pyruntime_open(struct pyruntime *rt, int pid, const char *mapped_path,
		   const struct elfimage *img, const struct pylayout *lay,
		   const struct opcodes_table *ops, char *why, size_t len)
{
	struct procfs_map maps[MAX_MAPS];
	struct procfs_load loads[MAX_LOADS];
	size_t nmaps, nloads;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	memset(rt, 0, sizeof(*rt));
	rt->pid = pid;
	rt->lay = lay;
	if (!lay->runtime_vaddr || !lay->code_type_vaddr) {
		log_line(why, len, "the layout has no _PyRuntime or PyCode_Type address");
		return -EINVAL;
	}
	if (ops && (ops->major != lay->major || ops->minor != lay->minor)) {
		log_line(why, len, "the opcode table is for %d.%d, the layout for %d.%d",
			 ops->major, ops->minor, lay->major, lay->minor);
		return -ENOTSUP;
	}
	err = read_loads(img, loads, MAX_LOADS, &nloads);
	if (err) {
		log_line(why, len, "cannot read the program headers of %s: %s", mapped_path,
			 err == -ENOEXEC ? "not a 64-bit ELF file with PT_LOAD segments"
					 : tfile_strerror(err));
		return err;
	}
	err = read_maps(pid, mapped_path, maps, MAX_MAPS, &nmaps);
	if (err) {
		log_line(why, len, "cannot read /proc/%d/maps: %s", pid, strerror(-err));
		return err;
	}
	if (!nmaps) {
		log_line(why, len, "%s is not mapped in PID %d", mapped_path, pid);
		return -ENOENT;
	}
	err = procfs_load_bias(maps, nmaps, loads, nloads, page > 0 ? (uint64_t)page : 4096,
			       &rt->bias);
	if (err) {
		log_line(why, len,
			 err == -ENOENT
				 ? "no mapping of %s in PID %d matches a PT_LOAD segment"
				 : "the mappings of %s in PID %d do not fit its PT_LOAD segments",
			 mapped_path, pid);
		return err == -ENOENT ? -ENOENT : -ENOTSUP;
	}
	rt->runtime_addr = rt->bias + lay->runtime_vaddr;
	rt->code_type_addr = rt->bias + lay->code_type_vaddr;
	rt->init_cleanup_addr = lay->init_cleanup_vaddr ? rt->bias + lay->init_cleanup_vaddr : 0;
	return 0;
}
