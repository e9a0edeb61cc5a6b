// SPDX-License-Identifier: GPL-2.0
/* BPF side of flowtrace-bpf: turns CPython's python:function__entry and
 * python:function__return markers into compact ring-buffer records.
 *
 * Kept thin on purpose: per-thread depth and sequence numbers, a name id per
 * (function, file, line) so strings cross the ring once (forgotten when a
 * code object dies, see common.bpf.h), and nothing else. All
 * reconstruction happens in user space, where it is tested. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "flowtrace/event.h"
#include "common.bpf.h"
/* the NAME records built here, for emit.bpf.h's buffer */
#define NAME_REC_MAX (sizeof(struct ft_rec_name) + FT_FUNC_MAX + FT_FILE_MAX)
#include "emit.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space between open and load, for ft_code_dealloc, from the
 * version's layout (pylayout.c): where a code object holds its file and
 * function names (co_filename, co_name: what the markers pass), and where
 * a str object keeps its UTF-8: inline after the header (u_ascii_size)
 * for a compact ASCII one, else behind the utf8 pointer. The state word
 * (u_state) says which, through its compact and ascii bits. */
const volatile __s32 co_filename = -1;
const volatile __s32 co_name = -1;
const volatile __s32 u_state = -1;
const volatile __u32 u_compact_bit = 0;
const volatile __u32 u_ascii_bit = 0;
const volatile __s32 u_ascii_size = -1;
const volatile __s32 u_utf8 = -1;

/* A name the thread used lately: the key of the shared cache, and its id. */
struct recent_name {
	__u64 func;
	__u64 file;
	__u32 line;
	__u32 id; /* 0: a free slot */
};

/* Slots of a thread's recent names: a loop's callees' entries and returns,
 * its callers'. A power of two (the slot is picked by a mask); 32 rather
 * than 8 took a realistic mix (re, json, classes) from ~167 to ~148 ns an
 * event, ~800 bytes a thread. */
#define RECENT_NAMES 32

/* A thread's place in its calls, as the markers report them, and the names
 * it used lately: an id found here needs no look-up in the shared name
 * cache (hashing a 24-byte key, the LRU's bookkeeping), which was the
 * largest part of an event's time after the ring. Valid under the same rule
 * as the shared cache (common.bpf.h): the slots are emptied once any code
 * object dies (code_deaths moved), and the thread's state is deleted when
 * its process execs. */
struct usdt_thread {
	__s32 depth;
	__u32 seq;
	__u32 started; /* its THREAD record is sent */
	__u32 pad;
	__u64 deaths; /* code_deaths when the slots were last emptied */
	struct recent_name recent[RECENT_NAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct usdt_thread);
} threads SEC(".maps");

/* A string that filled the whole buffer was cut unless its own NUL sits
 * exactly at the buffer's last byte (the helper writes a NUL there either
 * way): one more byte read, only for names that long. */
static __always_inline bool is_cut(const char *last)
{
	char c = 1;

	bpf_probe_read_user(&c, 1, last);
	return c != 0;
}

/* The slot (func, file, line) takes in a thread's recent names. */
static __always_inline struct recent_name *recent_slot(struct usdt_thread *st, const char *func,
						       __s32 line)
{
	return &st->recent[((__u64)func >> 4 ^ (__u32)line) & (RECENT_NAMES - 1)];
}

/* Returns the id of (func, file, line), sending a NAME record first when the
 * key is new. The map is updated only after the NAME record is in the ring,
 * so no other thread can emit the id ahead of its name. An id is kept in
 * the thread's recent names only once it is in the shared cache too. */
static __always_inline __u32 name_id(__u64 pid_tgid, struct usdt_thread *st, const char *file,
				     const char *func, __s32 line)
{
	struct name_key key = {.func = (__u64)func, .file = (__u64)file, .gen = image_gen};
	struct recent_name *rn = recent_slot(st, func, line);
	/* read before the shared cache: a death after this empties the slots */
	__u64 deaths = code_deaths;
	struct ft_rec_name *r;
	__u32 id;
	long fl, nl;
	__u16 flags = 0;

	if (st->deaths != deaths) {
		/* a code object died: any address may now hold other strings */
		for (int i = 0; i < RECENT_NAMES; i++)
			st->recent[i].id = 0;
		st->deaths = deaths;
	} else if (rn->id && rn->func == (__u64)func && rn->file == (__u64)file &&
		   rn->line == (__u32)line) {
		return rn->id;
	}

	id = name_cached(&key, line);
	if (id)
		goto recent;

	id = name_new_id();
	r = name_rec_buf();
	if (!r)
		return id;
	fl = bpf_probe_read_user_str(r->data, FT_FUNC_MAX, func);
	if (fl <= 0) {
		r->data[0] = 0;
		fl = 1;
		flags |= FT_NAME_F_READ_ERR;
	} else if (fl == FT_FUNC_MAX && is_cut(func + FT_FUNC_MAX - 1)) {
		flags |= FT_NAME_F_FUNC_CUT;
	}
	/* bound the offset for the verifier; fl is already <= FT_FUNC_MAX */
	fl &= (FT_FUNC_MAX * 2 - 1);
	if (fl > FT_FUNC_MAX)
		return id;
	nl = bpf_probe_read_user_str(r->data + fl, FT_FILE_MAX, file);
	if (nl <= 0) {
		r->data[fl] = 0;
		nl = 1;
		flags |= FT_NAME_F_READ_ERR;
	} else if (nl == FT_FILE_MAX && is_cut(file + FT_FILE_MAX - 1)) {
		flags |= FT_NAME_F_FILE_CUT;
	}
	if (flags & FT_NAME_F_READ_ERR)
		count_drop(FT_DROP_READ);

	fill_hdr(&r->hdr, pid_tgid, FT_REC_NAME, st->seq, st->depth, id);
	r->hdr.flags = flags;
	r->line = line;
	r->func_len = fl;
	r->file_len = nl;
	if (!name_send(r, sizeof(*r) + fl + nl, &key, line, id, flags & FT_NAME_F_READ_ERR) ||
	    !names_cached)
		return id;
recent:
	rn->func = (__u64)func;
	rn->file = (__u64)file;
	rn->line = line;
	rn->id = id;
	return id;
}

/* Marker events whose file or function name is NULL: CPython's marker
 * helper passes NULL when it cannot encode a name as UTF-8, and has then
 * left an exception set in the target (user space warns about it). */
__u64 null_names = 0;

static __always_inline int emit_call(__u16 type, const char *file, const char *func, __s32 line)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = pid_tgid_of(task);
	struct ft_rec_hdr *h;
	struct usdt_thread *st;
	__u32 id, seq;
	__s32 depth;

	st = thread_get_of(&threads, task);
	if (!st)
		return 0;
	if (!st->started) {
		st->started = 1;
		emit_thread(pid_tgid, st->seq, st->depth);
	}
	if (!file || !func)
		__sync_fetch_and_add(&null_names, 1);
	id = name_id(pid_tgid, st, file, func, line);

	/* depth and seq advance even when the ring is full: that is what lets
	 * user space see exactly where records went missing */
	seq = st->seq++;
	if (type == FT_REC_ENTRY) {
		depth = ++st->depth;
	} else {
		depth = st->depth--;
	}

	h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		count_drop(FT_DROP_RINGBUF);
		return 0;
	}
	fill_hdr(h, pid_tgid, type, seq, depth, id);
	bpf_ringbuf_submit(h, wakeup_flag(sizeof(*h)));
	return 0;
}

/* The value of the register at offset off of struct pt_regs, which is
 * how libbpf's USDT spec names a register. Read from the context at a
 * constant offset per case: the verifier allows no variable one there, and
 * a helper call per argument (what bpf_usdt_arg does) costs more than the
 * whole switch. */
static __always_inline int usdt_reg(struct pt_regs *ctx, short off, __u64 *v)
{
#if defined(__TARGET_ARCH_x86)
#define REG(r)                            \
	case offsetof(struct pt_regs, r): \
		*v = ctx->r;              \
		return 0;
	switch (off) {
		REG(r15)
		REG(r14)
		REG(r13)
		REG(r12)
		REG(bp)
		REG(bx)
		REG(r11)
		REG(r10)
		REG(r9)
		REG(r8)
		REG(ax)
		REG(cx)
		REG(dx)
		REG(si)
		REG(di)
		REG(ip)
		REG(sp)
	}
#undef REG
#endif
	return bpf_probe_read_kernel(v, sizeof(*v), (void *)ctx + off);
}

/* Argument n of the marker that fired, as libbpf's bpf_usdt_arg() gives
 * it (same spec, same casts; 0 when it cannot be read), from a spec looked
 * up once per event rather than once per argument. */
static __always_inline long usdt_arg(struct pt_regs *ctx, const struct __bpf_usdt_spec *spec, int n)
{
	const struct __bpf_usdt_arg_spec *a;
	__u64 val;

	if (n >= spec->arg_cnt)
		return 0;
	a = &spec->args[n];
	switch (a->arg_type) {
	case BPF_USDT_ARG_CONST:
		val = a->val_off;
		break;
	case BPF_USDT_ARG_REG:
		if (usdt_reg(ctx, a->reg_off, &val))
			return 0;
		break;
	case BPF_USDT_ARG_REG_DEREF:
		if (usdt_reg(ctx, a->reg_off, &val) ||
		    bpf_probe_read_user(&val, sizeof(val), (void *)val + a->val_off))
			return 0;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		val >>= a->arg_bitshift;
#endif
		break;
	default:
		return 0;
	}
	val <<= a->arg_bitshift;
	if (a->arg_signed)
		return ((long)val) >> a->arg_bitshift;
	return val >> a->arg_bitshift;
}

/* Both markers: (const char *filename, const char *funcname, int lineno). */
static __always_inline int marker(struct pt_regs *ctx, __u16 type)
{
	const struct __bpf_usdt_spec *spec = NULL;
	int spec_id = __bpf_usdt_spec_id(ctx);
	const char *file = NULL, *func = NULL;
	__s32 line = 0;

	if (spec_id >= 0)
		spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &spec_id);
	if (spec) {
		file = (const char *)usdt_arg(ctx, spec, 0);
		func = (const char *)usdt_arg(ctx, spec, 1);
		line = usdt_arg(ctx, spec, 2);
	}
	return emit_call(type, file, func, line);
}

SEC("usdt")
int ft_usdt_entry(struct pt_regs *ctx)
{
	return marker(ctx, FT_REC_ENTRY);
}

SEC("usdt")
int ft_usdt_return(struct pt_regs *ctx)
{
	return marker(ctx, FT_REC_RETURN);
}

/* The target exec'd: its threads' depth and seq belong to the old program
 * (the only thread left starts afresh, with a THREAD record), and the name
 * keys (string addresses) change generation. The markers keep firing where
 * the new program maps the same file: uprobes are bound to the file. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(ft_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (emit_exec(p, old_pid, bprm))
		bpf_task_storage_delete(&threads, p);
	return 0;
}

/* The UTF-8 buffer PyUnicode_AsUTF8 gives for a str object (0 when it has
 * none yet: then no marker passed it). */
static __always_inline __u64 utf8_of(__u64 str)
{
	__u32 state = 0;

	if (!str || bpf_probe_read_user(&state, sizeof(state), (void *)(str + u_state)))
		return 0;
	if (((state >> u_compact_bit) & 1) && ((state >> u_ascii_bit) & 1))
		return str + u_ascii_size;
	return read_ptr(str + u_utf8);
}

/* PyCode_Type's tp_dealloc, at its entry: the code object still holds its
 * names. Its (function, file) entry goes, with every line cached in it. */
SEC("uprobe")
int ft_code_dealloc(struct pt_regs *ctx)
{
	__u64 code = PT_REGS_PARM1(ctx);
	struct name_key key;

	/* set together with the str layout, or not at all */
	if (co_filename < 0 || co_name < 0)
		return 0;
	key.func = utf8_of(read_ptr(code + co_name));
	key.file = utf8_of(read_ptr(code + co_filename));
	key.gen = image_gen;
	name_forget(&key);
	return 0;
}

/* --calibrate: attached to the same markers instead of the two above, to
 * measure the probe floor; it reads nothing, not even the arguments */
SEC("usdt")
int ft_usdt_nop(struct pt_regs *ctx)
{
	return 0;
}
