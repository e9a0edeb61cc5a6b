/* SPDX-License-Identifier: MIT */
/* Where a running CPython keeps its runtime: the load bias of its
 * interpreter ELF (from /proc/PID/maps and the file's PT_LOAD headers),
 * and from it the addresses of _PyRuntime, PyCode_Type and, on 3.13, the
 * __init__ shim's code object in the target's memory. Reads no target
 * memory: pylive.h checks what lies at those addresses. */
#ifndef FT_PYRUNTIME_H
#define FT_PYRUNTIME_H

#include <stddef.h>
#include <stdint.h>

struct elfimage;
struct pylayout;
struct opcodes_table;

struct pyruntime {
	int pid;
	uint64_t bias;		    /* load bias of the interpreter ELF in the target */
	uint64_t runtime_addr;	    /* &_PyRuntime in the target (bias + layout runtime_vaddr) */
	uint64_t code_type_addr;    /* &PyCode_Type */
	uint64_t init_cleanup_addr; /* 3.13: &_Py_InitCleanup, the __init__ shim's code; else 0 */
	const struct pylayout *lay;
};

/* mapped_path: the interpreter ELF as the target sees it (as in
 * /proc/PID/maps, e.g. /root/.pyenv/.../libpython3.12.so.1.0 or
 * /usr/bin/python3.11); img: the same file as target discovery opened it.
 * Computes the load bias from the file's mappings and program headers and
 * the addresses above. ops may be NULL; given, it must be for lay's
 * version. Touches no target memory. Returns 0, or with a one-line reason:
 * -ESRCH (no such process), -ENOENT (the file is not mapped there),
 * -ENOTSUP (the mappings do not fit the file's PT_LOAD segments, or lay and
 * ops disagree), or -ENOEXEC (no 64-bit PT_LOAD headers in the file). */
int pyruntime_open(struct pyruntime *rt, int pid, const char *mapped_path,
		   const struct elfimage *img, const struct pylayout *lay,
		   const struct opcodes_table *ops, char *why, size_t len);

#endif /* FT_PYRUNTIME_H */
