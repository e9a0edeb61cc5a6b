/* SPDX-License-Identifier: MIT */
/* Finds _asyncio's task_step_impl and the Task's size (CPython 3.8-3.13,
 * x86-64): by the file's symbols, else by those of its separate debug file
 * (sys/elfdebug.h), else by structure: from the objects the module must
 * keep to work (the TaskStepMethWrapper type's call slot, task_wakeup's
 * method, the Task type), the one function both reach through direct calls
 * that names the string only task_step_impl uses. Reads files (a target's
 * through /proc/PID/root); touches no process. */
#ifndef FT_ASYNCIO_FIND_H
#define FT_ASYNCIO_FIND_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct elfimage;

/* task_step_impl's vaddr in img (_asyncio of CPython 3.minor, 8-13):
 * 0, or -ENOENT / -ENOTSUP / -ENOMEM with why said (what was missing or
 * ambiguous). Any doubt refuses: exactly one function must be reached from
 * both the step wrapper's tp_call and task_wakeup, and it must not be
 * inlined into either. */
int asyncio_find_step(const struct elfimage *img, int minor, uint64_t *vaddr, char *why,
		      size_t len);

/* The Task's size as the module file states it, found by the type's name
 * ("_asyncio.Task": tp_basicsize of the static type before 3.12, basicsize
 * of its PyType_Spec after): 0, or -ENOENT when no single object says it. */
int asyncio_find_task_size(const struct elfimage *img, int minor, uint64_t *size);

/* Where task_step_impl lies in one file and how it was found. */
struct asyncio_step_site {
	uint64_t step;		 /* its vaddr in the file */
	uint64_t task_size;	 /* the Task's size the file states; 0: not found */
	char how[PATH_MAX + 64]; /* "its symbols", "the debug file PATH", "its code" */
};

/* task_step_impl in img (which lives at path, a target's file under
 * /proc/PID/root), tried in this order: the file's own symbols, its
 * separate debug file's, its code (asyncio_find_step). Returns 0, or
 * -ENOENT with why said and, when the user can help, a hint (else ""). */
int asyncio_step_site(const struct elfimage *img, const char *path, int minor,
		      struct asyncio_step_site *out, char *why, size_t len, char *hint,
		      size_t hlen);

#endif /* FT_ASYNCIO_FIND_H */
