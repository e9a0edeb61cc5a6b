// SPDX-License-Identifier: MIT
/* CPython 3.14's asyncio debug offsets (asyncio_debug.h). */
#include <errno.h>
#include <string.h>

#include "cpython/asyncio_debug.h"

/* 3.14's struct, in u64 fields: asyncio_task_object {size, task_name,
 * task_awaited_by, task_is_task, task_awaited_by_is_set, task_coro,
 * task_node}, asyncio_interpreter_state {size, asyncio_tasks_head},
 * asyncio_thread_state {size, asyncio_running_loop, asyncio_running_task,
 * asyncio_tasks_head} */
enum {
	F_TASK_SIZE = 0,
	F_TASK_NAME = 1,
	F_TASK_CORO = 5,
	F_TSTATE_SIZE = 9,
	F_RUNNING_LOOP = 10,
	F_RUNNING_TASK = 11,
	F_COUNT = 13,
};

static uint64_t field(const unsigned char *b, int i)
{
	uint64_t v = 0;

	for (int k = 7; k >= 0; k--)
		v = v << 8 | b[8 * i + k];
	return v;
}

/* a pointer-sized field at off inside a struct of size bytes */
static int inside(uint64_t off, uint64_t size)
{
	return size >= 8 && off <= size - 8 && off % 8 == 0;
}

int asyncio_debug_parse(const void *buf, size_t len, struct asyncio_debug *out)
{
	const unsigned char *b = buf;
	struct asyncio_debug d;

	if (!buf || len < 8 * F_COUNT)
		return -EINVAL;
	d.task_size = field(b, F_TASK_SIZE);
	d.task_name = field(b, F_TASK_NAME);
	d.task_coro = field(b, F_TASK_CORO);
	d.tstate_size = field(b, F_TSTATE_SIZE);
	d.running_loop = field(b, F_RUNNING_LOOP);
	d.running_task = field(b, F_RUNNING_TASK);
	/* the offsets must lie in their structs, and the running task
	 * follow the running loop as 3.14 declares them */
	if (!inside(d.task_name, d.task_size) || !inside(d.task_coro, d.task_size) ||
	    !inside(d.running_task, d.tstate_size) || d.running_task != d.running_loop + 8 ||
	    d.tstate_size > (1u << 20) || d.task_size > 4096)
		return -EINVAL;
	*out = d;
	return 0;
}
