// SPDX-License-Identifier: MIT
/* The per-version table of CPython 3.8-3.13's asyncio Task layout: the
 * offsets measured on live Tasks of each pyenv build (task_coro, task_name
 * after it, the coroutine's frame), which task_step_impl argument is the
 * Task, and where the module states the size the table is checked by. */
#include <errno.h>
#include <string.h>

#include "cpython/asyncio_task.h"
#include "test.h"

FT_TEST(asyncio_task_layout_per_version)
{
	static const struct {
		int minor;
		int32_t size, coro, name, frame;
		bool inline_frame;
		int32_t arg;
	} want[] = {
		{8, 144, 112, 120, 16, false, 0},  {9, 184, 152, 160, 16, false, 0},
		{10, 192, 160, 168, 16, false, 0}, {11, 176, 136, 144, 80, true, 0},
		{12, 176, 136, 144, 72, true, 1},  {13, 144, 120, 128, 72, true, 1},
	};
	struct asyncio_task_layout l;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		FT_EQ_INT(asyncio_task_layout(want[i].minor, &l), 0);
		FT_EQ_INT(l.task_size, want[i].size);
		FT_EQ_INT(l.task_coro, want[i].coro);
		FT_EQ_INT(l.task_name, want[i].name);
		FT_EQ_INT(l.coro_frame, want[i].frame);
		FT_EQ_INT(l.frame_inline, want[i].inline_frame);
		FT_EQ_INT(l.task_arg, want[i].arg);
		FT_EQ_INT(asyncio_task_check(&l, (uint64_t)want[i].size), 0);
		/* the static type before 3.12, the heap type's spec after */
		FT_EQ_INT(strcmp(l.size_symbol, want[i].minor >= 12 ? "Task_spec" : "TaskType"), 0);
		FT_EQ_INT(l.size_at, want[i].minor >= 12 ? 8 : 32);
	}
	/* 3.14 publishes its own offsets; 3.7 has no task names */
	FT_EQ_INT(asyncio_task_layout(14, &l), -ENOTSUP);
	FT_EQ_INT(asyncio_task_layout(7, &l), -ENOTSUP);
}

FT_TEST(asyncio_task_layout_refuses_another_size)
{
	struct asyncio_task_layout l;

	FT_EQ_INT(asyncio_task_layout(11, &l), 0);
	/* a debug build's Task is larger: its offsets are not these */
	FT_EQ_INT(asyncio_task_check(&l, 192), -EINVAL);
	FT_EQ_INT(asyncio_task_check(&l, 0), -EINVAL);
	FT_EQ_INT(asyncio_task_check(NULL, 176), -EINVAL);
}
