// SPDX-License-Identifier: GPL-2.0
/* BPF side of the interpreter probe source: uprobes inside CPython's eval
 * loop, the default for every CPython 3.8-3.13.
 *
 * Each program reads the few words that identify a frame (its address, its
 * caller's, its code object) and emits one raw record (interp.h). Names are
 * read from the code object once per (name, file, line) and cached while
 * the code object lives (common.bpf.h, ft_code_dealloc). Which
 * programs are attached where, and the struct offsets they use, are set by
 * probe_interp.c per interpreter; turning raw records into calls (frames an
 * exception unwound, calls past the uretprobe nesting limit) is done in user
 * space, where it is tested. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "flowtrace/event.h"
#include "flowtrace/interp.h"
#include "common.bpf.h"
/* the NAME records built here, for emit.bpf.h's buffer */
#define NAME_REC_MAX	 (sizeof(struct ft_raw_name) + FT_RAW_FUNC_MAX + FT_RAW_FILE_MAX)
#define NAME_REC_BUF_OWN /* name_rec_buf() below: per thread */
#include "emit.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space between open and load (-1: the version lacks it).
 * The addresses are the target's; under --follow a process that exec'd
 * the same interpreter file loads it elsewhere, and each hit adds its
 * process's image delta (image_delta() below) to them. */
const volatile __u64 runtime_addr = 0;	 /* &_PyRuntime */
const volatile __u64 code_type_addr = 0; /* &PyCode_Type */
/* 3.13: &_Py_InitCleanup, the code of the frame CPython runs below the
 * __init__ of a class call it specialised: not a call of the program's */
const volatile __u64 init_cleanup_addr = 0;
/* Where the target maps file offset 0 of the interpreter's text segment,
 * and the file offsets of the single-place probes: a hit at a different
 * address is a process that loaded the file elsewhere (image_delta()) */
const volatile __u64 text_addr = 0;
/* --follow: this object is a probe set joined to the first one for another
 * interpreter file a followed process exec'd (probe__join()): it shares
 * the first's ring and set of followed processes, and leaves the EXEC
 * records, forks and exits to the first's tracepoint programs */
const volatile __u32 joined = 0;
const volatile __u64 eval_off = 0;
const volatile __u64 pop_off = 0;
const volatile __u32 pop_frame_arg = 1; /* 3.11 _PyFrame_Clear: 0 (its first argument) */
const volatile __u64 dealloc_off = 0;
const volatile __s32 rt_tstate_current = -1;
const volatile __s32 rt_interp_head = -1;
const volatile __s32 is_threads_head = -1;
const volatile __s32 ts_next = -1;
const volatile __s32 ts_native_tid = -1;
const volatile __s32 ts_interp = -1; /* the thread state's interpreter */
/* The target's PID namespace (/proc/PID/ns/pid; 0: not known): the ids
 * native_thread_id holds are the ones the target sees there */
const volatile __u64 pidns_dev = 0;
const volatile __u64 pidns_ino = 0;
const volatile __s32 ts_frame = -1;  /* the current frame, when the thread state holds it */
const volatile __s32 ts_cframe = -1; /* 3.11/3.12: through the _PyCFrame */
const volatile __s32 cf_frame = -1;
const volatile __s32 f_code = -1;
const volatile __s32 f_back = -1;
const volatile __s32 f_ip = -1;
const volatile __s32 f_owner = -1; /* 3.12+: owner byte; shim frames are skipped */
/* owners from this value up are no calls: 3.12/3.13's C-stack shim (3);
 * 3.14's interpreter entry frame (3) and C-stack shim (4) */
const volatile __u32 owner_cstack = 3;
/* 3.14: f_executable is a _PyStackRef whose low bits are tags */
const volatile __u64 code_mask = ~0ULL;
/* 3.14: frames end at _PyEval_FrameClearAndPop (ft_pop), so the eval
 * loop's entry only matters for throw(), which starts a frame without a
 * RESUME */
const volatile __u32 eval_throw_only = 0;
/* 3.14+ asyncio (the _asyncio module's AsyncioDebug section): the thread
 * state's running task and the Task's name; -1: not read */
const volatile __s32 ts_asyncio_task = -1;
const volatile __s32 task_name_off = -1;
const volatile __s32 tp_flags_off = -1; /* PyTypeObject.tp_flags */
/* 3.8-3.13 asyncio (asyncio_task.c's table): task_step_impl's Task
 * argument, the Task's task_coro, and the coroutine's frame: a pointer
 * at coro_frame_off (3.8-3.10) or the coroutine plus it (3.11+) */
const volatile __s32 task_step_arg = -1;
const volatile __s32 task_coro_off = -1;
const volatile __s32 coro_frame_off = -1;
const volatile __u32 coro_frame_inline = 0;
const volatile __s32 co_flags = -1;
const volatile __s32 co_firstlineno = -1;
const volatile __s32 co_filename = -1;
const volatile __s32 co_name = -1; /* co_qualname where the version has it */
const volatile __s32 co_adaptive = -1;
/* A str object (PyASCIIObject), set as a whole (from the layout, so the
 * -1s are never read): its length in characters, its state word with the
 * kind (3 bits: bytes per character) and the compact and ascii bits, and
 * where the data of a compact one starts: after the PyASCIIObject when it
 * is ASCII, else after the PyCompactUnicodeObject */
const volatile __s32 u_length = -1;
const volatile __s32 u_state = -1;
const volatile __u32 u_kind_shift = 0;
const volatile __u32 u_compact_bit = 0;
const volatile __u32 u_ascii_bit = 0;
const volatile __s32 u_ascii_size = -1;
const volatile __s32 u_compact_size = -1;
/* _PyEval_EvalFrameDefault's arguments: register index, -1 for none */
const volatile __s32 eval_tstate_arg = -1;
const volatile __s32 eval_frame_arg = 0;
const volatile __s32 eval_throw_arg = 1;
const volatile __u32 eval_entries = 1; /* 1: every eval call is a frame entry (eval method) */
const volatile __u32 gen_check = 0;    /* 3.11+: flag the generator-creation pseudo-call */
const volatile __u32 ip_is_next = 0;   /* 3.13: ip points at the next instruction */
/* PyObject.ob_type: after the 8-byte refcount, or (free-threaded 3.14t)
 * at 24 in a 32-byte header */
const volatile __s32 ob_type_off = 8;
/* The bytes of a frame (from frame_span_off) and of a code object (from
 * its ob_type) that hold every field read here: each is read with
 * one bpf_probe_read_user, not one per field (each read costs about as
 * much as the next on this path). Both spans lie inside the object. */
const volatile __s32 frame_span_off = 0;
const volatile __u32 frame_span_len = 8;
const volatile __u32 code_span_len = 8;

#define CO_GENERATOR	   0x0020
#define CO_COROUTINE	   0x0080
#define CO_ASYNC_GENERATOR 0x0200
#define MAX_THREADS_WALK   64

/* A frame seen starting, with what a start from it needs to know. */
struct known_frame {
	__u64 frame;
	__u64 code;   /* its code object and */
	__u64 back;   /* f_back, as read: a frame here with other ones is another */
	__u64 parent; /* its caller (shims skipped) */
	__u32 name;
	__u32 gen; /* a generator or coroutine */
};

/* What the programs keep per thread of the target. */
struct interp_thread {
	__u64 tstate;
	__u64 delta;  /* the process's image delta (image_delta()), set at each hit */
	__u64 deaths; /* code_deaths when known[] was last checked */
	__u32 seq;
	__u16 started; /* its THREAD record is sent */
	__u16 snapped; /* its STACK records are sent */
	/* [0]: the frame that started last; [1]: its caller */
	struct known_frame known[2];
	/* seq right after known[0]'s ENTER record: when it is still the
	 * thread's next, that ENTER was its last record */
	__u32 enter_seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct interp_thread);
} threads SEC(".maps");

#define FRAME_SPAN_MAX 128
#define CODE_SPAN_MAX  256

struct spans {
	__u8 frame[FRAME_SPAN_MAX];
	__u8 code[CODE_SPAN_MAX];
};

/* Scratch space, per thread rather than per CPU: on the free-threaded
 * 3.14t the target's threads run these programs at once, and a kernel that
 * preempts kernel code (preempt=full or lazy, RT) can switch from one
 * halfway through to another thread's on the same CPU (uprobe programs run
 * with migration disabled, not preemption), which would overwrite a
 * per-CPU buffer under the first. With a GIL no two of a target's programs
 * run at once. */
struct scratch {
	struct spans spans;
	struct ft_raw_stack chunk; /* a STACK chunk being filled */
	char name[NAME_REC_MAX];   /* a NAME record being built */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* The running thread's scratch space; NULL when none can be made. */
static __always_inline struct scratch *scratch_get(void)
{
	return bpf_task_storage_get(&scratch, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/* The buffer to build a NAME record in (emit.bpf.h) */
static __always_inline void *name_rec_buf(void)
{
	struct scratch *sc = scratch_get();

	return sc ? sc->name : NULL;
}

/* a STACK chunk being filled (names use the name buffer meanwhile) */
static __always_inline struct ft_raw_stack *stack_chunk_buf(void)
{
	struct scratch *sc = scratch_get();

	return sc ? &sc->chunk : NULL;
}

static __always_inline __u64 field_ptr(__u64 base, __s32 off)
{
	if (!base || off < 0)
		return 0;
	return read_ptr(base + off);
}

/* How far the running process loaded the interpreter file from where the
 * target did: the uprobe's address (a uprobe program runs with the IP set
 * back to the probed instruction) minus where the target has the probed
 * file offset. 0 in the target and in every process forked from it; under
 * --follow, a process that exec'd the same interpreter (multiprocessing's
 * spawn and forkserver, subprocess) has its own load bias, and the probes,
 * attached by file, fire there too. Every address BPF holds of the
 * target's image (rodata) is read with it added, so the probes hold for
 * any process mapping the file. A load bias is page aligned: a delta that
 * is not would be an IP that is not the probe's, and 0 is used. */
static __always_inline __u64 image_delta(struct pt_regs *ctx, __u64 off)
{
	__u64 d = PT_REGS_IP(ctx) - text_addr - off;

	return (d & 0xfff) ? 0 : d;
}

/* The header of a raw record (interp.h); flags 0. */
static __always_inline void fill_raw_hdr(struct ft_raw_hdr *h, __u64 pid_tgid, __u16 type,
					 __u32 seq, __u32 name, __u32 parent_name)
{
	h->ts = bpf_ktime_get_ns();
	h->tgid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->seq = seq;
	h->parent_name = parent_name;
	h->type = type;
	h->flags = 0;
	h->name = name;
}

/* The running thread's state (NULL: none, nothing to emit), its THREAD
 * record sent at its first event, once its scratch space exists too (made
 * here, it is found by every later look-up: a thread's storage lives as
 * long as the thread; none made is counted as for the state). */
static __always_inline struct interp_thread *thread_state(__u64 pid_tgid)
{
	struct interp_thread *st = thread_get(&threads);

	if (st && !st->started) {
		if (!scratch_get()) {
			count_drop(FT_DROP_NO_STORAGE);
			return NULL;
		}
		st->started = 1;
		emit_thread(pid_tgid, st->seq, 0);
	}
	return st;
}

/* The running thread's id as the target sees it: in a container, its id
 * in the target's PID namespace, not the host's one records carry. */
static __always_inline __u32 own_tid(__u32 tid)
{
	struct bpf_pidns_info ns = {};

	if (!pidns_ino || bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
		return tid;
	return ns.pid;
}

/* The running thread's PyThreadState. Up to 3.11 the GIL holder is in
 * _PyRuntime; 3.12+ keep it thread-local, so it is remembered from the eval
 * loop's argument, or found once in the interpreter's thread list by
 * native_thread_id (the id in the target's own PID namespace). The list
 * changes under its lock, which a reader outside cannot take, and without
 * a GIL (3.14t) other threads join and leave it while this walks: a node
 * unlinked and freed under the walk can end it early (its next pointer
 * then reads as anything), so a walk that ends without this thread starts
 * once more from the head, and a node counts only when it names this
 * thread and this interpreter. This thread's own state stays linked while
 * it runs Python. 0: not found. */
struct tstate_walk {
	__u64 interp;
	__u64 ts;    /* the node to look at next */
	__u64 found; /* the thread's state, once found */
	__u32 tid;
	__u32 again; /* the walk started once more from the head */
};

/* One node of the walk: a bpf_loop step, so the verifier checks one node,
 * not each of the 2 * MAX_THREADS_WALK it once unrolled (time to ready,
 * docs/design.md). */
static long tstate_step(__u32 i, void *ctx)
{
	struct tstate_walk *w = ctx;
	__u64 ntid = 0;

	if (!w->ts) {
		if (w->again)
			return 1;
		w->again = 1;
		w->ts = field_ptr(w->interp, is_threads_head);
		return 0;
	}
	bpf_probe_read_user(&ntid, sizeof(ntid), (void *)(w->ts + ts_native_tid));
	if (ntid == w->tid && (ts_interp < 0 || field_ptr(w->ts, ts_interp) == w->interp)) {
		w->found = w->ts;
		return 1;
	}
	w->ts = field_ptr(w->ts, ts_next);
	return 0;
}

/* The walk, as a global function: checked once, not at each call site. */
__noinline __u64 tstate_walk(__u32 tid, __u64 delta)
{
	struct tstate_walk w = {};

	if (rt_interp_head < 0 || is_threads_head < 0 || ts_next < 0 || ts_native_tid < 0)
		return 0;
	w.tid = own_tid(tid);
	w.interp = read_ptr(runtime_addr + delta + rt_interp_head);
	w.ts = field_ptr(w.interp, is_threads_head);
	bpf_loop(2 * MAX_THREADS_WALK, tstate_step, &w, 0);
	return w.found;
}

static __always_inline __u64 current_tstate(struct interp_thread *st, __u32 tid)
{
	if (rt_tstate_current >= 0)
		return read_ptr(runtime_addr + st->delta + rt_tstate_current);
	if (!st->tstate)
		st->tstate = tstate_walk(tid, st->delta);
	return st->tstate;
}

static __always_inline __u64 current_frame(__u64 tstate)
{
	if (ts_frame >= 0)
		return field_ptr(tstate, ts_frame);
	return field_ptr(field_ptr(tstate, ts_cframe), cf_frame);
}

/* What is read of a frame and of a code object, each in one read. */
struct frame_info {
	__u64 code;
	__u64 back;
	__u8 owner;
};

struct code_info {
	__u64 type;
	__u64 name; /* co_qualname where the version has it */
	__u64 file;
	__u32 flags;
	__s32 line;
};

static __always_inline __u64 span_u64(const __u8 *buf, __s32 off, __u32 max)
{
	if (off < 0 || off > (__s32)max - 8)
		return 0;
	return *(const __u64 *)(buf + off);
}

static __always_inline __u32 span_u32(const __u8 *buf, __s32 off, __u32 max)
{
	if (off < 0 || off > (__s32)max - 4)
		return 0;
	return *(const __u32 *)(buf + off);
}

/* The per-CPU buffer after one read of len bytes at addr into its frame
 * or code part; NULL when that cannot be read. */
static __always_inline struct spans *read_span(bool code, __u64 addr, __u32 len)
{
	struct scratch *sc = scratch_get();
	struct spans *b = sc ? &sc->spans : NULL;

	if (!b || !addr || !len || len > (code ? CODE_SPAN_MAX : FRAME_SPAN_MAX) ||
	    bpf_probe_read_user(code ? b->code : b->frame, len, (void *)addr))
		return NULL;
	return b;
}

static __always_inline bool read_frame(__u64 frame, struct frame_info *fi)
{
	struct spans *b = frame ? read_span(false, frame + frame_span_off, frame_span_len) : NULL;

	if (!b)
		return false;
	fi->code = span_u64(b->frame, f_code - frame_span_off, FRAME_SPAN_MAX) & code_mask;
	fi->back = span_u64(b->frame, f_back - frame_span_off, FRAME_SPAN_MAX);
	fi->owner = 0;
	if (f_owner >= frame_span_off && f_owner - frame_span_off < FRAME_SPAN_MAX)
		fi->owner = b->frame[(f_owner - frame_span_off) & (FRAME_SPAN_MAX - 1)];
	return true;
}

/* Fills ci; false when code is not a code object (or cannot be read). */
static __always_inline bool read_code(__u64 code, struct code_info *ci, __u64 delta)
{
	struct spans *b = code ? read_span(true, code + ob_type_off, code_span_len) : NULL;

	if (!b)
		return false;
	ci->type = span_u64(b->code, 0, CODE_SPAN_MAX);
	ci->name = span_u64(b->code, co_name - ob_type_off, CODE_SPAN_MAX);
	ci->file = span_u64(b->code, co_filename - ob_type_off, CODE_SPAN_MAX);
	ci->flags = span_u32(b->code, co_flags - ob_type_off, CODE_SPAN_MAX);
	ci->line = (__s32)span_u32(b->code, co_firstlineno - ob_type_off, CODE_SPAN_MAX);
	return ci->type == code_type_addr + delta;
}

/* Frames that are no Python call: 3.12+'s C-stack shim below an entry
 * frame, and 3.13's __init__ shim (init_cleanup_addr) below an __init__.
 * Shims can sit right below each other: Python code run while a frame is
 * being cleared after it returned (a __del__ or a weakref callback of one
 * of its locals; a generator resumed from C that returned) is entered
 * with the current frame still the returning eval call's entry shim (or,
 * below an __init__, the __init__ shim), so its own entry shim's previous
 * is another shim (CPython 3.12 RETURN_VALUE: frame = dying->previous
 * before _PyEvalFrameClearAndPop(dying)). Finalisers nested that way make
 * longer runs; up to MAX_SHIMS are skipped. Returns the frame (0: none)
 * with fi read for it. Before 3.12 there are none, and nothing is read. */
#define MAX_SHIMS 16

static __always_inline bool is_shim(const struct frame_info *fi, __u64 delta)
{
	return fi->owner >= owner_cstack ||
	       (init_cleanup_addr && fi->code == init_cleanup_addr + delta);
}

__noinline __u64 real_frame(__u64 frame, struct frame_info *fi, __u32 need_fi, __u64 delta)
{
	if (!fi)
		return 0;
	if (!frame || (f_owner < 0 && !need_fi))
		return frame;
	for (int i = 0; i < MAX_SHIMS; i++) {
		if (!read_frame(frame, fi)) {
			fi->code = fi->back = 0;
			return frame; /* an unreadable frame is kept, known by its address */
		}
		if (f_owner < 0 || !is_shim(fi, delta))
			return frame;
		frame = fi->back;
		if (!frame)
			return 0;
	}
	/* deeper than MAX_SHIMS: the caller is not known */
	fi->code = fi->back = 0;
	return 0;
}

/* Copies one str object (at most max bytes of its data) to dst; returns
 * the byte count, sets *kind, and reports a cut or unreadable string. */
static __always_inline long read_str(char *dst, __u32 max, __u64 obj, __u8 *kind, bool *cut)
{
	__u32 state = 0;
	__s64 len = 0;
	__u64 data, n;

	*cut = false;
	*kind = 1;
	/* the str layout is set as a whole: u_state < 0 is none */
	if (!obj || u_state < 0 ||
	    bpf_probe_read_user(&state, sizeof(state), (void *)(obj + u_state)) ||
	    bpf_probe_read_user(&len, sizeof(len), (void *)(obj + u_length)))
		return -1;
	*kind = (state >> u_kind_shift) & 7;
	if (!((state >> u_compact_bit) & 1) || len < 0) /* not compact: names never are */
		return -1;
	if (*kind != 1 && *kind != 2 && *kind != 4)
		return -1;
	data = obj + (((state >> u_ascii_bit) & 1) ? u_ascii_size : u_compact_size);
	n = (__u64)len * *kind;
	if (n > max) {
		n = max - max % 4; /* whole characters of any kind */
		*cut = true;
	}
	n &= (2 * FT_RAW_FILE_MAX - 1);
	if (n > max)
		return -1;
	if (n && bpf_probe_read_user(dst, n, (void *)data))
		return -1;
	return n;
}

/* The id of a code object's name (its co_name or co_qualname, its
 * co_filename and first line), sending a NAME record when it is new. seq:
 * the thread's next. A global function (time to ready, docs/design.md):
 * the verifier checks it once, not again at each of its call sites in
 * every program (inlined, it made ft_op's verification take seconds). */
__noinline __u32 name_id_of(__u64 pid_tgid, __u32 seq, __u64 func, __u64 file, __s32 line)
{
	struct name_key key = {.func = func, .file = file, .gen = name_gen()};
	struct ft_raw_name *r;
	__u32 id;
	long fl, nl;
	bool cut;
	__u16 flags = 0;

	id = name_cached(&key, line);
	if (id)
		return id;

	id = name_new_id();
	r = name_rec_buf();
	if (!r)
		return id;
	fl = read_str(r->data, FT_RAW_FUNC_MAX, key.func, &r->func_kind, &cut);
	if (fl < 0) {
		fl = 0;
		flags |= FT_RAW_NAME_F_READ_ERR;
	} else if (cut) {
		flags |= FT_RAW_NAME_F_FUNC_CUT;
	}
	fl &= (FT_RAW_FUNC_MAX * 2 - 1);
	if (fl > FT_RAW_FUNC_MAX)
		return id;
	nl = read_str(r->data + fl, FT_RAW_FILE_MAX, key.file, &r->file_kind, &cut);
	if (nl < 0) {
		nl = 0;
		flags |= FT_RAW_NAME_F_READ_ERR;
	} else if (cut) {
		flags |= FT_RAW_NAME_F_FILE_CUT;
	}
	if (flags & FT_RAW_NAME_F_READ_ERR)
		count_drop(FT_DROP_READ);
	fill_raw_hdr(&r->hdr, pid_tgid, FT_RAW_NAME, seq, id, 0);
	r->hdr.flags = flags;
	r->line = line;
	r->func_len = fl;
	r->file_len = nl;
	name_send(r, sizeof(*r) + fl + nl, &key, line, id, flags & FT_RAW_NAME_F_READ_ERR);
	return id;
}

/* The id of a code object's name (read_code said ok) */
static __always_inline __u32 name_id(__u64 pid_tgid, __u32 seq, const struct code_info *ci)
{
	return name_id_of(pid_tgid, seq, ci->name, ci->file, ci->line);
}

/* The id of the name of a frame's code; 0 when it is not a code object. */
static __always_inline __u32 code_name_id(__u64 pid_tgid, __u32 seq, __u64 code,
					  struct code_info *ci, __u64 delta)
{
	if (!read_code(code, ci, delta)) {
		count_drop(FT_DROP_READ);
		return 0;
	}
	return name_id(pid_tgid, seq, ci);
}

static __always_inline void emit3(__u64 pid_tgid, struct interp_thread *st, __u16 type, __u16 flags,
				  __u32 name, __u64 frame, __u64 parent, __u64 grand, __u64 sp,
				  __u32 pname)
{
	struct ft_raw_call *r;
	__u32 seq = st->seq++; /* advances even when the ring is full */

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(FT_DROP_RINGBUF);
		return;
	}
	fill_raw_hdr(&r->hdr, pid_tgid, type, seq, name, pname);
	r->hdr.flags = flags;
	r->frame = frame;
	r->parent = parent;
	r->grand = grand;
	r->sp = sp;
	bpf_ringbuf_submit(r, wakeup_flag(sizeof(*r)));
}

static __always_inline void emit(__u64 pid_tgid, struct interp_thread *st, __u16 type, __u16 flags,
				 __u32 name, __u64 frame, __u64 parent, __u64 sp)
{
	emit3(pid_tgid, st, type, flags, name, frame, parent, 0, sp, 0);
}

/* The stack snapshot (interp.h): a walk of the frames already running on
 * a thread, through bpf_loop so the verifier checks one step, not 8192. */
struct walk {
	__u64 pid_tgid;
	__u64 frame; /* the next frame to record */
	__u64 delta; /* the process's image delta */
	/* where to go on once a frame has no previous: the current frame,
	 * when the innermost is a yielding one already unlinked from it */
	__u64 then;
	__u32 seq;   /* the thread's next seq */
	__u32 n;     /* entries in the chunk being filled */
	__u32 chunk; /* its index */
};

static __always_inline void send_chunk(struct walk *w, struct ft_raw_stack *c, __u16 flags)
{
	fill_raw_hdr(&c->hdr, w->pid_tgid, FT_RAW_STACK, w->seq++, 0, 0);
	c->hdr.flags = flags;
	c->chunk = w->chunk++;
	c->count = w->n;
	if (bpf_ringbuf_output(&events, c, sizeof(*c), wakeup_flag(sizeof(*c))))
		count_drop(FT_DROP_RINGBUF);
	w->n = 0;
}

static long walk_frame(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct ft_raw_stack_frame *e;
	struct ft_raw_stack *c = stack_chunk_buf();
	struct frame_info fi = {};
	struct code_info ci = {};
	__u64 frame;

	if (!c)
		return 1;
	frame = real_frame(w->frame, &fi, true, w->delta);
	if (!frame)
		return 1;
	e = &c->f[w->n & (FT_RAW_STACK_CHUNK - 1)];
	e->frame = frame;
	e->name = code_name_id(w->pid_tgid, w->seq, fi.code, &ci, w->delta);
	e->pad = 0;
	w->frame = fi.back ? fi.back : w->then;
	w->then = 0;
	if (++w->n == FT_RAW_STACK_CHUNK)
		send_chunk(w, c, 0);
	return 0;
}

/* The frames already running, from frame (the innermost) out, sent from
 * seq (the thread's next) on; returns the thread's next seq after them. A
 * global function, checked once (time to ready, docs/design.md). */
__noinline __u32 snapshot_send(__u64 pid_tgid, __u32 seq, __u64 delta, __u64 frame, __u64 then)
{
	struct walk w = {
		.pid_tgid = pid_tgid, .frame = frame, .delta = delta, .then = then, .seq = seq};
	struct ft_raw_stack *c;
	struct frame_info fi = {};
	__u16 flags = FT_RAW_F_STACK_LAST;

	bpf_loop(FT_RAW_STACK_MAX, walk_frame, &w, 0);
	c = stack_chunk_buf();
	if (!c)
		return seq;
	/* stopped early (deeper than FT_RAW_STACK_MAX): the rest is unknown */
	if (real_frame(w.frame, &fi, false, w.delta))
		flags |= FT_RAW_F_STACK_CUT;
	/* every byte of a record is written */
	for (__u32 k = 0; k < FT_RAW_STACK_CHUNK; k++) {
		if (k >= w.n) {
			c->f[k].frame = 0;
			c->f[k].name = 0;
			c->f[k].pad = 0;
		}
	}
	send_chunk(&w, c, flags);
	return w.seq;
}

/* Once per thread, before its first record of a frame */
static __always_inline void snapshot(__u64 pid_tgid, struct interp_thread *st, __u64 frame,
				     __u64 then)
{
	st->snapped = 1;
	st->seq = snapshot_send(pid_tgid, st->seq, st->delta, frame, then);
}

/* The first three arguments, read before choosing: the verifier allows
 * only fixed offsets into the context. */
struct args {
	__u64 a[3];
};

static __always_inline void read_args(struct pt_regs *ctx, struct args *a)
{
	a->a[0] = PT_REGS_PARM1(ctx);
	a->a[1] = PT_REGS_PARM2(ctx);
	a->a[2] = PT_REGS_PARM3(ctx);
}

static __always_inline __u64 arg_n(const struct args *a, __s32 n)
{
	return n >= 0 && n < 3 ? a->a[n & 3] : 0;
}

#define CO_GENERATOR_ANY (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)

/* The caller's name id (from its code), and whether it is a generator or
 * coroutine. */
static __always_inline __u32 parent_info(__u64 pid_tgid, __u32 seq, __u64 code, __u16 *flags,
					 __u64 delta)
{
	struct code_info ci;
	__u32 id = code_name_id(pid_tgid, seq, code, &ci, delta);

	if (id && (ci.flags & CO_GENERATOR_ANY))
		*flags |= FT_RAW_F_PARENT_GEN;
	return id;
}

/* The caller of a frame starting, from back (its f_back, or the thread's
 * current frame at an eval-loop entry): its address with shims skipped,
 * its name id, whether it is a generator, and its own caller. The frame
 * that started last and its caller are remembered per thread: a caller
 * found there (same address, code object and f_back) needs no read of its
 * code object, nor of its caller. Frames reuse addresses, so a match on
 * the address alone would name a frame that started unseen after its
 * return (a trace function runs before the start it traces) by the frame
 * that was there before. A code object's address is only its own while it
 * lives: once any code object has died, the remembered ones are read
 * again. */
static __always_inline __u64 caller_of(__u64 pid_tgid, struct interp_thread *st, __u64 back,
				       __u32 *pname, __u16 *flags, __u64 *grand)
{
	struct frame_info pfi, gfi;
	struct known_frame *k = &st->known[1];
	__u64 parent = real_frame(back, &pfi, true, st->delta);
	__u64 deaths = code_deaths;

	*pname = 0;
	*grand = 0;
	if (!parent)
		return 0;
	if (st->deaths != deaths) {
		st->deaths = deaths;
		st->known[0].frame = 0;
		st->known[1].frame = 0;
	}
	if (st->known[0].frame == parent && st->known[0].code == pfi.code &&
	    st->known[0].back == pfi.back) {
		*k = st->known[0];
	} else if (k->frame != parent || k->code != pfi.code || k->back != pfi.back) {
		__u16 f = 0;

		*k = (struct known_frame){
			.frame = parent,
			.code = pfi.code,
			.back = pfi.back,
			.parent = real_frame(pfi.back, &gfi, false, st->delta),
			.name = parent_info(pid_tgid, st->seq, pfi.code, &f, st->delta),
			.gen = !!(f & FT_RAW_F_PARENT_GEN),
		};
	}
	*pname = k->name;
	*grand = k->parent;
	if (k->gen)
		*flags |= FT_RAW_F_PARENT_GEN;
	return parent;
}

/* Remembers a frame that started, after caller_of for its caller. */
static __always_inline void started(struct interp_thread *st, __u64 frame,
				    const struct frame_info *fi, __u64 parent, __u32 name,
				    __u32 code_flags)
{
	st->known[0] = (struct known_frame){
		.frame = frame,
		.code = fi->code,
		.back = fi->back,
		.parent = parent,
		.name = name,
		.gen = !!(code_flags & CO_GENERATOR_ANY),
	};
}

/* Whether a frame starting is the one whose ENTER was the thread's last
 * record, running the same code: one start seen twice. The free-threaded
 * 3.14t runs RESUME twice when a thread first runs a code object (RESUME
 * switches the frame to the thread's own copy of the bytecode and
 * dispatches to the same RESUME there), and the eval loop and the RESUME
 * handler both see a throw(). User space drops the second ENTER as one
 * start when it names the frame on top with the same name id; but with
 * threads naming the same code at once, two NAME records (two ids) can
 * exist for one name, and a second lookup could give the other id (the
 * second ENTER would then read as a new call at that frame). So it takes
 * the first one's id: the code object is the same live one (its frame ran
 * on with no record between), so the id still names it. */
static __always_inline bool again(const struct interp_thread *st, __u64 frame,
				  const struct frame_info *fi)
{
	return st->enter_seq == st->seq && st->known[0].frame == frame &&
	       st->known[0].code == fi->code && st->known[0].back == fi->back && st->known[0].name;
}

/* 3.11+: creating a generator runs RETURN_GENERATOR in an eval call of its
 * own, before the first instruction that counts; that is not a call. */
static __always_inline bool creates_generator(__u64 frame, __u64 code, const struct code_info *ci)
{
	__u64 ip, start;

	if (!gen_check || !(ci->flags & CO_GENERATOR_ANY))
		return false;
	ip = field_ptr(frame, f_ip);
	start = code + co_adaptive;
	/* not started: prev_instr is one unit before the code (3.11, 3.12),
	 * instr_ptr at its start (3.13) */
	return ip_is_next ? ip == start : (__s64)(ip - start) < 0;
}

#define TPFLAGS_LONG_SUBCLASS	 (1ULL << 24)
#define TPFLAGS_UNICODE_SUBCLASS (1ULL << 28)

/* Before the ENTER (seq: its) of a coroutine step, the asyncio Task the
 * thread runs and its name (FT_RAW_TASK). A global function: the
 * verifier checks it once, apart from the handler programs it is called
 * from, which sit near its limit of one million instructions. A name is a str, or the
 * int of a default name not formatted yet (3.12+ make "Task-N" only when
 * asked); an int's value is its first two 30-bit digits, after lv_tag. */
__noinline int send_task(__u64 pid_tgid, __u32 seq, __u64 task, __u64 frame)
{
	struct ft_raw_task *r;
	__u64 name, type, tpf = 0, tag = 0;
	__u32 digits[2] = {};
	long n;
	bool cut;

	if (task_name_off < 0 || tp_flags_off < 0 || !task)
		return 0;
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(FT_DROP_RINGBUF);
		return 0;
	}
	fill_raw_hdr(&r->hdr, pid_tgid, FT_RAW_TASK, seq, 0, 0);
	r->task = task;
	r->frame = frame;
	r->number = 0;
	r->len = 0;
	r->kind = 0;
	__builtin_memset(r->pad, 0, sizeof(r->pad));
	name = read_ptr(task + task_name_off);
	type = name ? read_ptr(name + ob_type_off) : 0;
	if (type)
		bpf_probe_read_user(&tpf, sizeof(tpf), (void *)(type + tp_flags_off));
	if (tpf & TPFLAGS_UNICODE_SUBCLASS) {
		n = read_str(r->data, FT_RAW_TASK_NAME_MAX, name, &r->kind, &cut);
		if (n >= 0) {
			r->len = n;
			r->hdr.flags = FT_RAW_TASK_F_STR | (cut ? FT_RAW_TASK_F_CUT : 0);
		}
	} else if ((tpf & TPFLAGS_LONG_SUBCLASS) &&
		   !bpf_probe_read_user(&tag, sizeof(tag), (void *)(name + ob_type_off + 8)) &&
		   !bpf_probe_read_user(digits, sizeof(digits),
					(void *)(name + ob_type_off + 16))) {
		/* lv_tag: digit count above bit 3, sign in its low bits (0: > 0) */
		__u64 nd = tag >> 3;

		if ((tag & 3) == 0 && nd >= 1 && nd <= 2) {
			r->number = digits[0] + (nd == 2 ? (__u64)digits[1] << 30 : 0);
			r->hdr.flags = FT_RAW_TASK_F_INT;
		}
	}
	bpf_ringbuf_submit(r, wakeup_flag(sizeof(*r)));
	return 0;
}

/* 3.14+: at the eval loop's entry, the thread state's running task, if the
 * frame entered is a coroutine's (C calls back into Python inside a step
 * too). */
__noinline int emit_task(__u64 pid_tgid, __u32 seq, __u64 tstate, __u64 frame)
{
	__u64 task, code;
	__u32 cf = 0;

	if (ts_asyncio_task < 0 || !tstate || !frame)
		return 0;
	task = read_ptr(tstate + ts_asyncio_task);
	if (!task)
		return 0;
	code = read_ptr(frame + f_code) & code_mask;
	if (!code || bpf_probe_read_user(&cf, sizeof(cf), (void *)(code + co_flags)) ||
	    !(cf & CO_COROUTINE))
		return 0;
	return send_task(pid_tgid, seq, task, frame);
}

/* 3.8-3.13: _asyncio's task_step_impl(task, exc), 3.12+ (state, task,
 * exc): once per task step, before it resumes the Task's coroutine. The
 * frame that coroutine's ENTER will name ties the two together. */
SEC("uprobe")
int ft_task_step(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct interp_thread *st = thread_state(pid_tgid);
	__u64 task, coro, frame = 0;
	struct args a;

	if (!st || task_step_arg < 0 || task_coro_off < 0 || coro_frame_off < 0)
		return 0;
	read_args(ctx, &a);
	task = arg_n(&a, task_step_arg);
	coro = task ? read_ptr(task + task_coro_off) : 0;
	if (coro)
		frame = coro_frame_inline ? coro + coro_frame_off : read_ptr(coro + coro_frame_off);
	return send_task(pid_tgid, st->seq, task, frame);
}

/* _PyEval_EvalFrameDefault(tstate, frame, throwflag); 3.8 has no tstate */
SEC("uprobe")
int ft_eval_entry(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct interp_thread *st = thread_state(pid_tgid);
	__u64 tstate, frame, parent, grand, sp = PT_REGS_SP(ctx);
	struct frame_info fi = {};
	struct code_info ci = {};
	struct args a;
	__u16 flags;
	__u32 name, pname;

	if (!st)
		return 0;
	st->delta = image_delta(ctx, eval_off);
	read_args(ctx, &a);
	if (eval_tstate_arg >= 0) {
		tstate = arg_n(&a, eval_tstate_arg);
		st->tstate = tstate;
	} else {
		tstate = current_tstate(st, (__u32)pid_tgid);
	}
	/* the frame is not linked yet: the thread's current one is its caller */
	if (!st->snapped)
		snapshot(pid_tgid, st, current_frame(tstate), 0);
	frame = arg_n(&a, eval_frame_arg);
	/* 3.14+: a coroutine resumed from C (an asyncio task's step) enters
	 * the eval loop; its start (here on a throw, else at its RESUME
	 * handler) is the thread's next record */
	if (ts_asyncio_task >= 0)
		emit_task(pid_tgid, st->seq, tstate, frame);
	flags = arg_n(&a, eval_throw_arg) ? FT_RAW_F_THROW : 0;
	if (eval_throw_only && !flags)
		return 0;
	if (!eval_entries && !eval_throw_only) {
		emit(pid_tgid, st, FT_RAW_EVAL, 0, 0, frame, 0, sp);
		if (!flags)
			return 0;
	}
	parent = current_frame(tstate);
	if (eval_entries)
		flags |= FT_RAW_F_HAS_SP;
	if (!read_frame(frame, &fi))
		fi.code = 0;
	name = 0;
	if (read_code(fi.code, &ci, st->delta)) {
		if (creates_generator(frame, fi.code, &ci)) {
			flags |= FT_RAW_F_GEN_CREATE;
			emit(pid_tgid, st, FT_RAW_ENTER, flags, 0, frame, parent, sp);
			return 0;
		}
		name = name_id(pid_tgid, st->seq, &ci);
	} else {
		count_drop(FT_DROP_READ);
	}
	if (name && (ci.flags & CO_COROUTINE))
		flags |= FT_RAW_F_CORO;
	parent = caller_of(pid_tgid, st, parent, &pname, &flags, &grand);
	started(st, frame, &fi, parent, name, name ? ci.flags : 0);
	emit3(pid_tgid, st, FT_RAW_ENTER, flags, name, frame, parent, grand, sp, pname);
	st->enter_seq = st->seq;
	return 0;
}

/* its return: sp is one word above the entry's (the return address popped) */
SEC("uretprobe")
int ft_eval_return(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct interp_thread *st = thread_state(pid_tgid);

	if (!st)
		return 0;
	emit(pid_tgid, st, FT_RAW_EVAL_RET, PT_REGS_RC(ctx) ? 0 : FT_RAW_F_NULL, 0, 0, 0,
	     PT_REGS_SP(ctx) - 8);
	return 0;
}

/* General-purpose register n (x86 numbering: 0 rax .. 7 rdi, 8-15 r8-r15).
 * Each case keeps its own load (barrier_var): merged into one load at a
 * computed offset, the verifier refuses the access to the context. A
 * global function: inlined, the sixteen cases each left n known exactly
 * to the rest of ft_op, which the verifier then checked sixteen times
 * (time to ready, docs/design.md). */
__noinline __u64 reg_n(struct pt_regs *ctx, __u32 n)
{
	__u64 v = 0;

	switch (n) {
	case 0:
		v = ctx->ax;
		barrier_var(v);
		break;
	case 1:
		v = ctx->cx;
		barrier_var(v);
		break;
	case 2:
		v = ctx->dx;
		barrier_var(v);
		break;
	case 3:
		v = ctx->bx;
		barrier_var(v);
		break;
	case 4:
		v = ctx->sp;
		barrier_var(v);
		break;
	case 5:
		v = ctx->bp;
		barrier_var(v);
		break;
	case 6:
		v = ctx->si;
		barrier_var(v);
		break;
	case 7:
		v = ctx->di;
		barrier_var(v);
		break;
	case 8:
		v = ctx->r8;
		barrier_var(v);
		break;
	case 9:
		v = ctx->r9;
		barrier_var(v);
		break;
	case 10:
		v = ctx->r10;
		barrier_var(v);
		break;
	case 11:
		v = ctx->r11;
		barrier_var(v);
		break;
	case 12:
		v = ctx->r12;
		barrier_var(v);
		break;
	case 13:
		v = ctx->r13;
		barrier_var(v);
		break;
	case 14:
		v = ctx->r14;
		barrier_var(v);
		break;
	case 15:
		v = ctx->r15;
		barrier_var(v);
		break;
	}
	barrier_var(v);
	return v;
}

/* The running thread's current frame, for a snapshot taken where the
 * program read its frame from a register. A global function: the verifier
 * checks it once, on its own, rather than the thread-list walk again on
 * every path of ft_op that reaches it (inlined, ft_op passes the
 * verifier's limit of a million instructions). */
__noinline __u64 current_frame_once(__u32 tid)
{
	struct interp_thread *st = thread_get(&threads);

	if (!st)
		return 0;
	return current_frame(current_tstate(st, tid));
}

/* freg: 0, or 1 + the register holding the frame (the cookie's upper part) */
static __always_inline int frame_event(struct pt_regs *ctx, __u16 type, __u32 freg, __u64 off)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct interp_thread *st = thread_state(pid_tgid);
	__u64 tstate = 0, frame, parent = 0, grand = 0;
	struct frame_info fi = {};
	struct code_info ci = {};
	__u32 name = 0, pname = 0;
	__u16 flags = 0;

	if (!st)
		return 0;
	st->delta = image_delta(ctx, off);
	if (freg) {
		frame = reg_n(ctx, freg - 1);
	} else {
		tstate = current_tstate(st, (__u32)pid_tgid);
		if (!tstate) {
			/* this thread's state was not found: its frame is not
			 * known. The record's seq goes unused, so the tree shows
			 * a loss here rather than a call of no frame. */
			st->seq++;
			return 0;
		}
		frame = current_frame(tstate);
	}
	if (type != FT_RAW_CATCH) {
		if (!read_frame(frame, &fi))
			fi.code = fi.back = 0;
		/* the __init__ shim's own RETURN_VALUE */
		if (init_cleanup_addr && fi.code == init_cleanup_addr + st->delta)
			return 0;
		if (type == FT_RAW_ENTER && again(st, frame, &fi)) {
			name = st->known[0].name;
			ci.flags = st->known[0].gen ? CO_GENERATOR : 0;
		} else
			name = code_name_id(pid_tgid, st->seq, fi.code, &ci, st->delta);
	}
	if (type == FT_RAW_ENTER) {
		if (name && (ci.flags & CO_COROUTINE))
			flags |= FT_RAW_F_CORO;
		parent = caller_of(pid_tgid, st, fi.back, &pname, &flags, &grand);
		started(st, frame, &fi, parent, name, name ? ci.flags : 0);
	}
	/* a frame starting is not running yet; one leaving still is */
	/* a yield probed past the unlink (frame from a register) has no
	 * previous any more: the walk goes on at the current frame, its
	 * caller */
	if (!st->snapped) {
		__u64 then = 0;

		if (freg && type == FT_RAW_EXIT && !fi.back) {
			then = current_frame_once((__u32)pid_tgid);
			if (then == frame)
				then = 0;
		}
		snapshot(pid_tgid, st, type == FT_RAW_ENTER ? parent : frame, then);
	}
	emit3(pid_tgid, st, type, flags, name, frame, parent, grand, 0, pname);
	if (type == FT_RAW_ENTER)
		st->enter_seq = st->seq;
	return 0;
}

/* 3.13/3.14: _PyEval_FrameClearAndPop(tstate, frame), 3.12:
 * _PyEvalFrameClearAndPop(tstate, frame), where every frame that ends is
 * popped: RETURN_VALUE calls it after making the caller current, the
 * unwinding path after an exception left the frame; either way the dying
 * frame is the second argument, no longer the current one. 3.11:
 * _PyFrame_Clear(frame), the same for frames the eval loop called, and
 * called by the C caller (_PyEval_Vector, a generator's send) for a frame
 * it entered once the eval loop returned. Also called for frames that
 * never ran (a recursion check failed at the eval loop's entry; 3.11: a
 * generator dying suspended); user space ignores the exit of a frame it
 * never saw start. The interpreter's own frames (entry frames, the
 * __init__ shim) are no calls. */
SEC("uprobe")
int ft_pop(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct interp_thread *st = thread_state(pid_tgid);
	/* %rsi or %rdi, each a load of its own (reg_n) */
	__u64 frame = reg_n(ctx, pop_frame_arg ? 6 : 7);
	struct frame_info fi = {};
	struct code_info ci = {};
	__u32 name;

	if (!st)
		return 0;
	st->delta = image_delta(ctx, pop_off);
	if (!read_frame(frame, &fi)) {
		count_drop(FT_DROP_READ);
		return 0;
	}
	if (f_owner >= 0 && is_shim(&fi, st->delta))
		return 0;
	name = code_name_id(pid_tgid, st->seq, fi.code, &ci, st->delta);
	/* the dying frame still counts as running: its caller is current.
	 * 3.11's generator send clears previous before the frame: the walk
	 * goes on at the current frame, its caller */
	if (!st->snapped) {
		__u64 then = 0;

		if (!fi.back && !pop_frame_arg) {
			then = current_frame_once((__u32)pid_tgid);
			if (then == frame)
				then = 0;
		}
		snapshot(pid_tgid, st, frame, then);
	}
	emit3(pid_tgid, st, FT_RAW_EXIT, FT_RAW_F_POP, name, frame, 0, 0, 0, 0);
	return 0;
}

/* Bytecode handlers; the attach cookie says which event the handler is:
 * FT_RAW_ENTER at the RESUME family (the current frame starts or resumes),
 * FT_RAW_EXIT at RETURN_* and YIELD_VALUE (it leaves), FT_RAW_CATCH at
 * PUSH_EXC_INFO (it handles an exception), and, where the probe was moved
 * past the store that unlinks the frame, the register holding it. One
 * program for all of them: one load, one link. */
SEC("uprobe")
int ft_op(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 type = cookie & FT_OP_COOKIE_TYPE;

	if (type != FT_RAW_ENTER && type != FT_RAW_EXIT && type != FT_RAW_CATCH)
		return 0;
	return frame_event(ctx, type, (cookie >> FT_OP_COOKIE_REG_SHIFT) & 0x1f,
			   cookie >> FT_OP_COOKIE_OFF_SHIFT);
}

/* PyCode_Type's tp_dealloc, at its entry: the code object still holds its
 * names. Its (name, file) entry goes from the name cache. The three words
 * are read onto the stack, not through the thread's scratch space: a death
 * must not go unseen because the dying thread (3.14t: any thread, the
 * collector's included) has none and none can be made. */
SEC("uprobe")
int ft_code_dealloc(struct pt_regs *ctx)
{
	__u64 code = PT_REGS_PARM1(ctx), type = 0;
	struct name_key key = {};

	if (!tgid_traced())
		return 0;
	if (!code || bpf_probe_read_user(&type, sizeof(type), (void *)(code + ob_type_off)) ||
	    type != code_type_addr + image_delta(ctx, dealloc_off))
		return 0;
	if (bpf_probe_read_user(&key.func, sizeof(key.func), (void *)(code + co_name)) ||
	    bpf_probe_read_user(&key.file, sizeof(key.file), (void *)(code + co_filename)))
		return 0;
	key.gen = name_gen();
	name_forget(&key);
	return 0;
}

/* --calibrate: the same attach points, reading nothing */
SEC("uprobe")
int ft_nop(struct pt_regs *ctx)
{
	return 0;
}

/* A traced process exec'd. Without --follow the probes were attached for
 * the target's old program: nothing more is read, and user space ends the
 * trace there. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(ft_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (joined) {
		__u32 tgid = p->tgid;

		/* the first set's ft_exec sends the EXEC record; this set only
		 * forgets what it kept of the old program, which may have been
		 * its interpreter (and the new one may be it again) */
		if (!armed || !bpf_map_lookup_elem(&followed, &tgid))
			return 0;
		__sync_fetch_and_add(&image_gen, 1);
		bpf_task_storage_delete(&threads, p);
		bpf_task_storage_delete(&scratch, p);
		return 0;
	}
	if (!emit_exec(p, old_pid, bprm))
		return 0;
	if (!follow) {
		armed = 0;
		return 0;
	}
	/* --follow: the process stays in the set, and starts afresh when
	 * (if) the new program runs the interpreter file, which the probes
	 * are attached to; image_delta() places its addresses. The exec'ing
	 * thread keeps its task, so the old program's state goes: its first
	 * event sends a THREAD record and a snapshot again. */
	bpf_task_storage_delete(&threads, p);
	bpf_task_storage_delete(&scratch, p);
	return 0;
}

/* --follow: a traced process forks (emit.bpf.h) */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ft_fork, struct task_struct *parent, struct task_struct *child)
{
	follow_fork(parent, child);
	return 0;
}

/* --follow: a process ends (emit.bpf.h) */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(ft_proc_exit, struct task_struct *p)
{
	follow_exit(p);
	return 0;
}
