/* SPDX-License-Identifier: MIT */
/* Shadow stacks for the interpreter probe source: turns raw frame events
 * (interp.h) into the ENTRY/RETURN records the call-tree builder takes.
 *
 * Interpreter probes see frames start and resume, and see most of them
 * leave, but not all: a frame an exception unwinds fires no RETURN handler,
 * and the kernel gives no uretprobe to calls nested more than 64 deep. A
 * thread's stack starts from the snapshot BPF takes before its first event
 * (the frames already running), so frames from before attach are placed
 * like the others. What the probes see is enough to place every exit
 * exactly in the tree:
 *  - a frame starting names its caller, so any frame above the caller on
 *    the shadow stack has left;
 *  - a frame catching an exception has every frame above it gone;
 *  - C calls of the eval loop are ordered by stack pointer, so a call (or a
 *    return) at stack pointer S ends every call recorded below S.
 * Frames whose exit is only revealed this way get the time of the event
 * that revealed it. Pure: no BPF, no /proc. */
#ifndef FT_ISTACK_H
#define FT_ISTACK_H

#include <stdint.h>

#include "flowtrace/interp.h"

/* Receives each ENTRY/RETURN record (a bare ft_rec_hdr), in order. */
typedef int (*istack_emit_fn)(void *ctx, const struct ft_rec_hdr *rec);

/* Optional: called right before the ENTRY record of every coroutine start
 * (FT_RAW_F_CORO), with that record and the raw start it comes from (the
 * coroutine's frame address, the raw sequence number, its flags). One
 * resumed from outside any generator or coroutine is an asyncio task's
 * step (FT_REC_TASK); one with FT_RAW_F_PARENT_GEN is mostly awaited, and a
 * step only as the eager start of a Task created in a coroutine, which the
 * callback alone can tell (it sees the Task the probes read). */
typedef int (*istack_task_fn)(void *ctx, const struct ft_rec_hdr *entry,
			      const struct ft_raw_call *raw);

struct istack_opts {
	istack_emit_fn emit;
	void *ctx;
	istack_task_fn task; /* NULL: none */
	/* the processes attached to (-p): their threads' snapshots also go out
	 * as ENTRY records flagged FT_ENTRY_F_RUNNING, the frames they were
	 * running shown as ancestors. A process forked since (--follow) starts
	 * inside its parent's frames, which it never returns to: not shown.
	 * None given: every process's. istack__new() keeps a copy. */
	const int *attached;
	size_t nattached;
};

struct istack_stats {
	uint64_t entries, returns; /* records emitted */
	uint64_t revealed;	   /* returns placed from a later event (unwound, or deep) */
	uint64_t duplicates;	   /* a start of the frame already on top, dropped */
	uint64_t hidden;	   /* generator-creation pseudo-calls dropped */
	uint64_t passed;	   /* starts whose caller never started (delegating generators) */
	uint64_t lost;		   /* raw records missing (sequence gaps) */
	uint64_t unplaced;	   /* exits and catches of frames never seen starting, counted */
	uint64_t never_ran;	   /* 3.14 pops (FT_RAW_F_POP) of frames that never started */
	uint64_t snapshots;	   /* threads whose stack came from a snapshot */
	uint64_t bad_snapshots;	   /* snapshots with a chunk lost, not used */
	uint64_t task_steps;	   /* coroutine steps resumed from C (not PARENT_GEN ones) */
};

struct istack;

struct istack *istack__new(const struct istack_opts *o);
void istack__free(struct istack *s);
/* One raw call record (FT_RAW_ENTER, _EXIT, _CATCH, _EVAL, _EVAL_RET), in
 * ring order. Returns 0, -ENOMEM, or the emit callback's error. */
int istack__event(struct istack *s, const struct ft_raw_call *r);
/* One chunk of a thread's stack snapshot (FT_RAW_STACK), in ring order:
 * the last one makes it the thread's stack. Returns 0 or -ENOMEM. */
int istack__stack(struct istack *s, const struct ft_raw_stack *r);
void istack__stats(const struct istack *s, struct istack_stats *st);
/* Process tgid is attached to from now on (istack_opts.attached): a
 * process that exec'd an interpreter whose probes went in after it
 * started (--follow). Its threads' snapshots taken from now on show its
 * running frames. 0 or -ENOMEM. */
int istack__attach(struct istack *s, int tgid);
/* Process tgid exec'd (FT_REC_EXEC, in ring order): its threads' stacks
 * belong to the old program, and BPF numbers the new program's records
 * afresh from 0 (the exec'ing thread keeps a tid of the process). The
 * builder ends the old frames itself (calltree__exec_pid). */
void istack__exec(struct istack *s, uint32_t tgid);

#endif /* FT_ISTACK_H */
