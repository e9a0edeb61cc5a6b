/* SPDX-License-Identifier: MIT */
/* CPython 3.14's asyncio debug offsets: the _asyncio module publishes,
 * in an ELF section of its own (".AsyncioDebug", in the module's shared
 * object or wherever _asyncio is built in), the offsets a debugger reads
 * tasks at (struct _Py_AsyncioModuleDebugOffsets, Modules/_asynciomodule.c):
 * the Task object's name and coroutine, and the thread state's running
 * loop and task. Every group starts with its struct's size, which bounds
 * the offsets. Pure: parses the section's bytes. */
#ifndef FT_ASYNCIO_DEBUG_H
#define FT_ASYNCIO_DEBUG_H

#include <stddef.h>
#include <stdint.h>

#define ASYNCIO_DEBUG_SECTION ".AsyncioDebug"

struct asyncio_debug {
	uint64_t task_size, task_name, task_coro;	  /* TaskObj */
	uint64_t tstate_size, running_loop, running_task; /* _PyThreadStateImpl */
};

/* Parses the section's len bytes (little-endian). Returns 0, or -EINVAL
 * when it is too short for CPython 3.14's layout (13 fields) or an offset
 * lies outside its struct's size. */
int asyncio_debug_parse(const void *buf, size_t len, struct asyncio_debug *out);

#endif /* FT_ASYNCIO_DEBUG_H */
