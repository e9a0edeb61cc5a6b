/* SPDX-License-Identifier: MIT */
/* Where CPython 3.8-3.13's asyncio Task keeps its name and coroutine, and
 * where the coroutine keeps its frame: those versions publish no debug
 * offsets (3.14's .AsyncioDebug, asyncio_debug.h), so the offsets come from
 * a table counted per version from Modules/_asynciomodule.c's struct
 * TaskObj (FutureObj_HEAD(task), then task_fut_waiter, task_coro,
 * task_name, task_context, ...) and the coroutine object, checked against
 * the Task type's tp_basicsize the module file states. Pure. */
#ifndef FT_ASYNCIO_TASK_H
#define FT_ASYNCIO_TASK_H

#include <stdbool.h>
#include <stdint.h>

/* _asyncio's function every task step runs through (task_step and the
 * 3.12+ eager start call it; task_step itself is inlined in places) */
#define ASYNCIO_TASK_STEP_SYMBOL "task_step_impl"

struct asyncio_task_layout {
	int32_t task_size;  /* sizeof(TaskObj): the Task type's tp_basicsize */
	int32_t task_coro;  /* offsetof(TaskObj, task_coro) */
	int32_t task_name;  /* offsetof(TaskObj, task_name) */
	int32_t coro_frame; /* the coroutine's frame: offset of cr_frame or gi_iframe */
	bool frame_inline;  /* 3.11+: the frame lies in the coroutine (gi_iframe) */
	int32_t task_arg;   /* task_step_impl's Task argument (3.12+ pass the state first) */
	/* where the module states tp_basicsize: a symbol and an offset in it
	 * (the static TaskType before 3.12, the PyType_Spec Task_spec after) */
	const char *size_symbol;
	int32_t size_at;
};

/* The layout of CPython 3.minor's Task (x86-64, default build): 0, or
 * -ENOTSUP for a version outside 3.8-3.13. */
int asyncio_task_layout(int minor, struct asyncio_task_layout *out);

/* Whether the layout fits the tp_basicsize read from the module: 0, or
 * -EINVAL (another build of the struct: a debug build, a patched one). */
int asyncio_task_check(const struct asyncio_task_layout *l, uint64_t basicsize);

#endif /* FT_ASYNCIO_TASK_H */
