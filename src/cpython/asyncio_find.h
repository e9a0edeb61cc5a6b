/* SPDX-License-Identifier: MIT */
/* Finds _asyncio's task_step_impl and the Task's size in a module file
 * without symbols (CPython 3.8-3.13, x86-64): from the objects the module
 * must keep to work (the TaskStepMethWrapper type's call slot, task_wakeup's
 * method, the Task type), the one function both reach through direct calls
 * that names the string only task_step_impl uses. Reads the file through an
 * elfimage; touches no process. */
#ifndef FT_ASYNCIO_FIND_H
#define FT_ASYNCIO_FIND_H

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

#endif /* FT_ASYNCIO_FIND_H */
