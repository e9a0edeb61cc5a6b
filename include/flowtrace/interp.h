/* SPDX-License-Identifier: MIT */
/* Raw records of the interpreter probe source (bpf/interp.bpf.c), before
 * user space turns them into the ENTRY/RETURN/NAME records of event.h.
 *
 * These never reach a trace file: probe_interp.c reconciles them (frames
 * that an exception unwound, calls deeper than the kernel's uretprobe
 * limit) into ordinary records first, so the rest of the pipeline does not
 * know which probe source ran. */
#ifndef FLOWTRACE_INTERP_H
#define FLOWTRACE_INTERP_H

#include "flowtrace/event.h"

/* Raw record types (ft_rec_hdr.type); FT_REC_THREAD is shared. */
#define FT_RAW_ENTER	16 /* a frame starts or resumes: frame, parent */
#define FT_RAW_EXIT	17 /* a frame returns or yields: frame */
#define FT_RAW_CATCH	18 /* frame handles an exception: frames above it are gone */
#define FT_RAW_EVAL	19 /* the eval loop was entered for frame (frame mode): sp */
#define FT_RAW_EVAL_RET 20 /* the eval loop returned: sp; FT_RAW_F_NULL on an exception */
#define FT_RAW_NAME	21 /* struct ft_raw_name */
#define FT_RAW_STACK	22 /* struct ft_raw_stack: the frames running at a thread's first event */
#define FT_RAW_TASK	23 /* struct ft_raw_task: the asyncio task of the ENTER that follows */

/* The attach cookie of a bytecode-handler probe: the event type in its low
 * byte; above it, 0, or 1 + the x86 number of the register that holds the
 * handler's frame where the probe was moved past the store that unlinks it
 * (probe placement, docs/interpreter-layout.md); in the upper 32 bits the
 * probe's file offset (where the process runs it tells its load bias) */
#define FT_OP_COOKIE_TYPE      0xff
#define FT_OP_COOKIE_REG_SHIFT 8
#define FT_OP_COOKIE_OFF_SHIFT 32

/* ft_rec_hdr.flags of raw records */
#define FT_RAW_F_HAS_SP	    0x01 /* ENTER: also an eval-loop call; sp is valid */
#define FT_RAW_F_GEN_CREATE 0x02 /* ENTER: 3.11+ generator creation, not a call */
#define FT_RAW_F_THROW	    0x04 /* ENTER: resumed by gen.throw() */
#define FT_RAW_F_NULL	    0x08 /* EVAL_RET: returned NULL (exception) */
/* EXIT from 3.14's frame pop, which CPython also calls for frames that never
 * ran: a pop of a frame never seen starting is ignored, not unplaced */
#define FT_RAW_F_POP	    0x10
#define FT_RAW_F_PARENT_GEN 0x20 /* ENTER: the caller is a generator or coroutine */
/* ENTER: the frame starting runs a coroutine (CO_COROUTINE); without
 * PARENT_GEN it is resumed from C, which asyncio's task step does */
#define FT_RAW_F_CORO	    0x40
#define FT_RAW_F_STACK_LAST 0x01 /* STACK: the snapshot's last chunk */
#define FT_RAW_F_STACK_CUT  0x02 /* STACK: deeper than FT_RAW_STACK_MAX; the rest is unknown */

/* The head of every raw record. It has struct ft_rec_hdr's layout, so the
 * THREAD and EXEC records of event.h, which share the ring, are told apart
 * by type at the same place; the two words ft_rec_hdr gives to depth and
 * arg hold what raw records carry instead (a depth is what user space
 * works out). */
struct ft_raw_hdr {
	__u64 ts; /* bpf_ktime_get_ns() */
	__u32 tgid;
	__u32 tid;
	__u32 seq;	   /* counts every raw record BPF tried to emit for the thread */
	__u32 parent_name; /* ENTER: the caller's name id (0: unknown), for callers no
			    * record introduced; 0 in other records */
	__u16 type;	   /* FT_RAW_* */
	__u16 flags;	   /* FT_RAW_F_* (FT_RAW_NAME_F_* in a NAME) */
	__u32 name;	   /* ENTER, EXIT: the frame's name id (0: unknown); NAME: the
			    * id it binds; 0 in other records */
};

struct ft_raw_call {
	struct ft_raw_hdr hdr;
	__u64 frame;  /* the frame's address in the target */
	__u64 parent; /* ENTER: the caller's frame (0: none) */
	__u64 grand;  /* ENTER: the caller's caller (0: none) */
	__u64 sp;     /* HAS_SP/EVAL/EVAL_RET: the C stack pointer at the eval loop's entry;
		       * at its return, the value it had at entry */
};

/* Python str objects are copied as stored: kind 1 (Latin-1, ASCII
 * included), 2 (UCS-2) or 4 (UCS-4); user space makes UTF-8 of them. */
#define FT_RAW_NAME_F_FUNC_CUT 0x1
#define FT_RAW_NAME_F_FILE_CUT 0x2
#define FT_RAW_NAME_F_READ_ERR 0x4

/* Bytes BPF copies per string (before UTF-8 conversion). */
#define FT_RAW_FUNC_MAX 1024
#define FT_RAW_FILE_MAX 2048

struct ft_raw_name {
	struct ft_raw_hdr hdr; /* name: the id */
	__u32 line;
	__u16 func_len; /* bytes of data, no NUL */
	__u16 file_len;
	__u8 func_kind;
	__u8 file_kind;
	__u8 pad[6];
	char data[]; /* func bytes, then file bytes */
};

/* Before a thread's first event, BPF walks the frames already running on it
 * once, innermost first, and sends them in numbered chunks. User space then
 * starts that thread's shadow stack from the real stack, so a frame that
 * was running at attach is placed exactly however it leaves. */
#define FT_RAW_STACK_CHUNK 32
#define FT_RAW_STACK_MAX   8192 /* frames walked at most */

struct ft_raw_stack_frame {
	__u64 frame;
	__u32 name; /* name id, 0: unknown */
	__u32 pad;
};

struct ft_raw_stack {
	struct ft_raw_hdr hdr;
	__u32 chunk; /* this chunk's index, 0 first */
	__u32 count; /* entries of f[] used (the rest is 0) */
	struct ft_raw_stack_frame f[FT_RAW_STACK_CHUNK];
};

/* The asyncio Task running on the thread, sent right before the ENTER of a
 * coroutine step it resumes: 3.14+ read it at the eval loop's entry (the
 * thread state's asyncio_running_task, at offsets of the _asyncio module's
 * AsyncioDebug section), 3.8-3.13 at _asyncio's task_step_impl (the Task
 * is its argument). Its hdr.seq is the next record's (it takes no number
 * of its own); frame is the address the step's ENTER names its coroutine
 * frame by (3.8-3.13: C may run Python code between the probe and the
 * ENTER, so the two are matched by frame, not only by seq). The
 * task's name is a str (copied as stored, like a NAME's strings) or, for a
 * default name not asked for yet, the int N of "Task-N". */
#define FT_RAW_TASK_NAME_MAX 64
#define FT_RAW_TASK_F_STR    0x1 /* data holds len bytes of kind */
#define FT_RAW_TASK_F_INT    0x2 /* number holds N */
#define FT_RAW_TASK_F_CUT    0x4 /* the str was longer than data */
struct ft_raw_task {
	struct ft_raw_hdr hdr; /* flags: FT_RAW_TASK_F_* */
	__u64 task;	       /* the Task object's address */
	__u64 frame;	       /* its coroutine's frame, 0: unknown */
	__u64 number;
	__u32 len;
	__u8 kind;
	__u8 pad[3];
	char data[FT_RAW_TASK_NAME_MAX];
};

_Static_assert(sizeof(struct ft_raw_hdr) == sizeof(struct ft_rec_hdr), "ft_raw_hdr ABI");
_Static_assert(__builtin_offsetof(struct ft_raw_hdr, seq) ==
		       __builtin_offsetof(struct ft_rec_hdr, seq),
	       "ft_raw_hdr: seq where ft_rec_hdr has it");
_Static_assert(__builtin_offsetof(struct ft_raw_hdr, type) ==
		       __builtin_offsetof(struct ft_rec_hdr, type),
	       "ft_raw_hdr: type where ft_rec_hdr has it");
_Static_assert(__builtin_offsetof(struct ft_raw_hdr, flags) ==
		       __builtin_offsetof(struct ft_rec_hdr, flags),
	       "ft_raw_hdr: flags where ft_rec_hdr has it");
_Static_assert(sizeof(struct ft_raw_call) == 64, "ft_raw_call ABI");
_Static_assert(sizeof(struct ft_raw_stack) == 40 + 16 * FT_RAW_STACK_CHUNK, "ft_raw_stack ABI");
_Static_assert(sizeof(struct ft_raw_name) == 48, "ft_raw_name ABI");
_Static_assert(sizeof(struct ft_raw_task) == 64 + FT_RAW_TASK_NAME_MAX, "ft_raw_task ABI");

#endif /* FLOWTRACE_INTERP_H */
