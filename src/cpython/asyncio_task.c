// SPDX-License-Identifier: MIT
/* CPython 3.8-3.13's asyncio Task layout (asyncio_task.h). */
#include <errno.h>

#include "cpython/asyncio_task.h"

/* Counted from struct TaskObj per version (pointers and Py_ssize_t 8
 * bytes, x86-64) and checked on the pyenv builds against live Tasks (the
 * words holding id(task.get_name()) and id(coro), type(task).__basicsize__):
 *   3.8:  PyObject_HEAD (16), 7 pointers (loop .. source_tb), state,
 *         log_tb, blocking, dict, weakreflist: task_fut_waiter at 104
 *   3.9:  + cancel_msg and a _PyErr_StackItem cancelled_exc_state (32)
 *   3.10: + one more pointer in the head
 *   3.11, 3.12: the stack item becomes one pointer (cancelled_exc), and
 *         Task adds task_num_cancels_requested after its pointers
 *   3.13: log_tb and blocking become bitfields, dict and weakreflist
 *         leave the struct, Task's flags and count precede its pointers
 * task_name follows task_coro in all. The coroutine's frame: the frame
 * object cr_frame right after PyObject_HEAD before 3.11, the
 * _PyInterpreterFrame gi_iframe inside the coroutine since. */
static const struct {
	int minor;
	int32_t size, coro, iframe;
} layouts[] = {
	{8, 144, 112, -1},  {9, 184, 152, -1},	{10, 192, 160, -1},
	{11, 176, 136, 80}, {12, 176, 136, 72}, {13, 144, 120, 72},
};

int asyncio_task_layout(int minor, struct asyncio_task_layout *out)
{
	for (unsigned i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		if (layouts[i].minor != minor)
			continue;
		*out = (struct asyncio_task_layout){
			.task_size = layouts[i].size,
			.task_coro = layouts[i].coro,
			/* task_name follows task_coro in every version */
			.task_name = layouts[i].coro + 8,
			.coro_frame = layouts[i].iframe >= 0 ? layouts[i].iframe : 16,
			.frame_inline = layouts[i].iframe >= 0,
			.task_arg = minor >= 12 ? 1 : 0,
			/* PyTypeObject: ob_refcnt, ob_type, ob_size, tp_name,
			 * tp_basicsize; PyType_Spec: name, basicsize */
			.size_symbol = minor >= 12 ? "Task_spec" : "TaskType",
			.size_at = minor >= 12 ? 8 : 32,
		};
		return 0;
	}
	return -ENOTSUP;
}

int asyncio_task_check(const struct asyncio_task_layout *l, uint64_t basicsize)
{
	if (!l || basicsize != (uint64_t)l->task_size || l->task_name + 8 > l->task_size ||
	    l->task_coro + 8 > l->task_size)
		return -EINVAL;
	return 0;
}
