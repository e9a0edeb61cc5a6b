/* SPDX-License-Identifier: MIT */
/* The record ABI between the BPF programs and user space: every record that
 * crosses the ring buffer, and the counters BPF keeps for user space. */
#ifndef FLOWTRACE_EVENT_H
#define FLOWTRACE_EVENT_H

#ifdef __BPF__
/* vmlinux.h provides __u64 and friends */
#else
#include <linux/types.h>
#endif

/* 2: adds FT_REC_EXEC. 3: adds FT_REC_TASK. A build reads every version from FT_ABI_OLDEST on,
 * since a later version only adds record types. */
#define FT_ABI_VERSION 3
#define FT_ABI_OLDEST  1

/* Longest string BPF copies for one name or path, NUL included. Longer
 * strings arrive cut, with FT_NAME_F_*_CUT set, and are shown cut with a
 * visible "..." marker: never silently. */
#define FT_FUNC_MAX 1024
#define FT_FILE_MAX 2048

/* Record types (ft_rec_hdr.type). */
#define FT_REC_ENTRY  1 /* a frame starts or resumes */
#define FT_REC_RETURN 2 /* a frame returns, yields or unwinds */
#define FT_REC_NAME   3 /* binds a name id to (function, file, line) */
#define FT_REC_THREAD 4 /* first record of a thread: its comm */
#define FT_REC_EXEC   5 /* the process exec'd a new program (ABI 2) */
#define FT_REC_TASK   6 /* the next ENTRY of the thread is an asyncio task's step (ABI 3) */

/* Header of every record. seq counts every record BPF tried to emit for the
 * thread, whether or not the ring had room, so a gap in seq is a loss that
 * user space can place exactly. depth is the thread's call depth counted
 * from the moment tracing started: an ENTRY carries the depth of the new
 * frame (1 for a frame whose caller was running before attach), a RETURN
 * the depth of the frame leaving (0 or less for frames that were already
 * running at attach). */
struct ft_rec_hdr {
	__u64 ts; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 tgid;
	__u32 tid;
	__u32 seq;
	__s32 depth;
	__u16 type;  /* FT_REC_* */
	__u16 flags; /* per type */
	__u32 arg;   /* per type: name id for ENTRY/RETURN */
};

/* FT_REC_ENTRY and FT_REC_RETURN are a bare header; arg is the name id. */
/* ENTRY: not a start but a frame already running when tracing started, as
 * the interpreter methods' stack snapshot found it (outermost first, depth
 * 0 and below); ts is when it was seen, its start is unknown. A reader
 * that ignores the flag sees a call starting then. */
#define FT_ENTRY_F_RUNNING 0x1

/* FT_REC_NAME: header, then the two strings back to back, each with its
 * NUL; hdr.arg is the id, the record is sizeof(struct ft_rec_name) +
 * func_len + file_len bytes long. */
#define FT_NAME_F_FUNC_CUT 0x1
#define FT_NAME_F_FILE_CUT 0x2
#define FT_NAME_F_READ_ERR 0x4 /* a string could not be read: it is empty */
struct ft_rec_name {
	struct ft_rec_hdr hdr;
	__u32 line;
	__u16 func_len; /* bytes, NUL included */
	__u16 file_len;
	char data[];
};

/* FT_REC_THREAD: the comm of the thread at its first record, and its
 * thread and process ids in its own PID namespace (a container's view of
 * them; equal to hdr.tid and hdr.tgid outside one). The ids were appended
 * within ABI 2: a record of FT_REC_THREAD_MIN bytes (an older build's)
 * has none, and readers take them only when the size holds them. */
struct ft_rec_thread {
	struct ft_rec_hdr hdr;
	char comm[16];
	__u32 ns_tid;
	__u32 ns_pid;
};
#define FT_REC_THREAD_MIN 48

/* FT_REC_EXEC: the traced process called execve() and the kernel has
 * replaced its program (the sched_process_exec tracepoint). Every thread of
 * the old program is gone by then, so each of their records precedes this
 * one in the ring, and every record after it comes from the new program,
 * whose threads start afresh (seq 0, depth 0, a THREAD record). hdr.tid is
 * the thread that called execve() as it was numbered before (the new
 * program's first thread has tid == tgid); seq, depth and arg are 0.
 * file is the path given to execve(), NUL-terminated and NUL-padded. */
#define FT_EXEC_FILE_MAX   256
#define FT_EXEC_F_FILE_CUT 0x1 /* file was longer than FT_EXEC_FILE_MAX - 1 bytes */
struct ft_rec_exec {
	struct ft_rec_hdr hdr;
	char file[FT_EXEC_FILE_MAX];
};

/* FT_REC_TASK: the thread's next ENTRY record resumes a coroutine from
 * outside any generator or coroutine, which is how asyncio runs a task's
 * step (its task_step resumes the task's one coroutine from C). coro is the
 * coroutine's frame address, which stays the same for the coroutine's
 * whole life (3.8-3.10: its frame object; 3.11+: the frame inside the
 * coroutine object), so it names the task. task is the Task object's
 * address where it is read (3.14; 3.8-3.13 at _asyncio's task_step_impl;
 * 0: unknown), name its name as
 * UTF-8, NUL-padded ("": unknown). hdr.seq is the ENTRY's (the record takes
 * no sequence number of its own), hdr.arg the coroutine's name id. */
#define FT_TASK_NAME_MAX   48
#define FT_TASK_F_NAME_CUT 0x1 /* name was longer than FT_TASK_NAME_MAX - 1 bytes */
#define FT_TASK_F_FIRST	   0x2 /* the coroutine's first step: a new task */
/* the coroutine started with a coroutine as its caller: an eager start of a
 * Task created right in a coroutine (Task(coro, eager_start=True)), sent
 * only with the Task read (task != 0) for that very frame; a step only if
 * that Task is not the one whose step runs (3.14 reads the running Task at
 * every coroutine that enters the eval loop, a throw() passed on included) */
#define FT_TASK_F_NESTED 0x4
struct ft_rec_task {
	struct ft_rec_hdr hdr;
	__u64 coro;
	__u64 task;
	char name[FT_TASK_NAME_MAX];
};

/* Loss counters, one slot per reason, shown in every output format. BPF
 * keeps them in .bss (user space reads them through the skeleton at exit),
 * except FT_DROP_UNPLACED, which the interpreter probe source counts in
 * user space and BPF leaves at 0. */
#define FT_DROP_RINGBUF	   0 /* a record found the ring full */
#define FT_DROP_NAME	   1 /* a NAME record found the ring full */
#define FT_DROP_NO_STORAGE 2 /* no per-thread state could be created */
#define FT_DROP_READ	   3 /* a string could not be read from the target */
#define FT_DROP_UNPLACED   4 /* an exit of a frame never seen starting, not in the tree */
#define FT_DROP_MAX	   5

_Static_assert(sizeof(struct ft_rec_hdr) == 32, "ft_rec_hdr ABI");
_Static_assert(sizeof(struct ft_rec_name) == 40, "ft_rec_name ABI");
_Static_assert(sizeof(struct ft_rec_thread) == 56, "ft_rec_thread ABI");
_Static_assert(sizeof(struct ft_rec_task) == 48 + FT_TASK_NAME_MAX, "ft_rec_task ABI");
_Static_assert(sizeof(struct ft_rec_exec) == 32 + FT_EXEC_FILE_MAX, "ft_rec_exec ABI");

#endif /* FLOWTRACE_EVENT_H */
