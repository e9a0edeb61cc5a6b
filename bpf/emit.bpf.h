/* SPDX-License-Identifier: GPL-2.0 */
/* How both BPF objects put records into the ring: the record header, a
 * thread's state and its THREAD record, the NAME record's buffer and its
 * sending, and the EXEC record. The objects differ only in what they read
 * of the target (C strings at the markers, str objects and frames in the
 * interpreter) and in their call records. The includer defines
 * NAME_REC_MAX, the size of the largest NAME record it builds. */
#ifndef FT_EMIT_BPF_H
#define FT_EMIT_BPF_H

#include <bpf/bpf_core_read.h>
#include "common.bpf.h"

#ifndef NAME_REC_MAX
#error "define NAME_REC_MAX (the largest NAME record) before including emit.bpf.h"
#endif

/* Bytes this CPU submitted since it last woke the reader: a per-CPU slot,
 * so the count that every record updates is a plain add on a line no other
 * CPU writes. A single shared counter (an atomic add on every record) had
 * each CPU tracing at once take the line from the others. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} unwoken SEC(".maps");

/* The submit flag for a record of len bytes: wake the reader once this CPU
 * submitted wakeup_bytes since its last wake-up (user space sets it to its
 * share of the ring: an eighth over the CPUs, so all CPUs together still
 * wake the reader by an eighth of the ring queued). The reader also drains
 * on a timer (DRAIN_MS in session.c), so a record never waits for a
 * wake-up longer than that: one submitted by a CPU that then goes quiet is
 * read at the next drain. Counted here rather than asked of the ring
 * (bpf_ringbuf_query of the queued bytes), which reads the consumer's
 * position, a line the reader writes on another CPU. The add is not
 * atomic: two programs interleaved on one CPU (a uprobe program can be
 * preempted) may lose an add, which only moves a wake-up by a record; the
 * drain timer bounds it all the same. */
static __always_inline __u64 wakeup_flag(__u64 len)
{
	__u32 zero = 0;
	__u64 *n;

	if (!wakeup_bytes)
		return 0;
	n = bpf_map_lookup_elem(&unwoken, &zero);
	if (!n)
		return 0; /* cannot happen; 0: the ring's own rule */
	if (*n + len < wakeup_bytes) {
		*n += len;
		return BPF_RB_NO_WAKEUP;
	}
	*n = 0;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void fill_hdr(struct ft_rec_hdr *h, __u64 pid_tgid, __u16 type, __u32 seq,
				     __s32 depth, __u32 arg)
{
	h->ts = bpf_ktime_get_ns();
	h->tgid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->seq = seq;
	h->depth = depth;
	h->type = type;
	h->flags = 0;
	h->arg = arg;
}

/* The running thread's state in map (a task storage map, zeroed when
 * made), made at the thread's first armed event; NULL while disarmed, or
 * when none can be made (counted). Nothing is kept for a thread before
 * arming, so its state starts at the instant every probe is in. */
static __always_inline void *thread_get_of(void *map, struct task_struct *task)
{
	void *st;

	if (!armed || !tgid_traced())
		return NULL;
	st = bpf_task_storage_get(map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!st)
		count_drop(FT_DROP_NO_STORAGE);
	return st;
}

static __always_inline void *thread_get(void *map)
{
	return thread_get_of(map, bpf_get_current_task_btf());
}

/* The pid_tgid word of bpf_get_current_pid_tgid() for task, the running
 * one, read from the task itself: the hot path has the task at hand
 * already (its storage), and two loads cost less than the helper call. */
static __always_inline __u64 pid_tgid_of(struct task_struct *task)
{
	return ((__u64)task->tgid << 32) | (__u32)task->pid;
}

/* The id of the task in its own PID namespace: the innermost of the ids
 * struct pid holds (numbers[level]), what getpid()/gettid() return inside
 * a container; 0 when it cannot be read. Probe reads, so the program also
 * loads where thread_pid is not a trusted pointer. */
static __always_inline __u32 ns_id_of(struct task_struct *task)
{
	struct pid *p = BPF_CORE_READ(task, thread_pid);
	unsigned int level;
	int nr = 0;

	if (!p)
		return 0;
	level = BPF_CORE_READ(p, level);
	/* MAX_PID_NS_LEVEL is 32: a bound the verifier can see too */
	if (level >= 32)
		return 0;
	if (bpf_core_read(&nr, sizeof(nr), &p->numbers[level].nr))
		return 0;
	return nr > 0 ? (__u32)nr : 0;
}

/* A thread's first record: its comm, and its ids in its own PID namespace
 * (threads born after attach are known to /proc only briefly, so BPF says
 * them). seq and depth are the thread's (the record takes no sequence
 * number of its own). */
static __always_inline void emit_thread(__u64 pid_tgid, __u32 seq, __s32 depth)
{
	struct ft_rec_thread *r;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(FT_DROP_RINGBUF);
		return;
	}
	fill_hdr(&r->hdr, pid_tgid, FT_REC_THREAD, seq, depth, 0);
	/* every byte is written: the comm is NUL padded by the helper */
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	{
		struct task_struct *task = bpf_get_current_task_btf();

		r->ns_tid = ns_id_of(task);
		r->ns_pid = ns_id_of(BPF_CORE_READ(task, group_leader));
	}
	bpf_ringbuf_submit(r, wakeup_flag(sizeof(*r)));
}

/* A NAME record is built here, not on the stack: with both strings it is
 * several times the 512 bytes BPF's stack has. An includer whose programs
 * can run at once on one CPU defines NAME_REC_BUF_OWN and brings its own
 * name_rec_buf() (interp.bpf.c: per thread). */
#ifndef NAME_REC_BUF_OWN
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[NAME_REC_MAX]);
} name_buf SEC(".maps");

/* The buffer to build a NAME record in (NULL cannot happen for a per-CPU
 * array of one slot, but the verifier wants the check). */
static __always_inline void *name_rec_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&name_buf, &zero);
}
#endif

/* A fresh name id: each NAME record binds a new one (never 0). */
static __always_inline __u32 name_new_id(void)
{
	return __sync_fetch_and_add(&next_name_id, 1) + 1;
}

/* Sends the NAME record of len bytes built in rec, which binds id to key
 * and line, then caches the id: only once the record is in the ring, so no
 * other thread can emit the id ahead of its name. One the ring has no room
 * for, or one with a string that could not be read, is not cached: the
 * next event sends it again. Returns whether it was cached. */
static __always_inline bool name_send(void *rec, __u64 len, const struct name_key *key, __u32 line,
				      __u32 id, bool read_err)
{
	if (len > NAME_REC_MAX) /* a bound for the verifier; cannot happen */
		return false;
	if (bpf_ringbuf_output(&events, rec, len, wakeup_flag(len))) {
		count_drop(FT_DROP_NAME);
		return false;
	}
	if (read_err)
		return false;
	name_remember(key, line, id);
	return true;
}

/* For the sched_process_exec tracepoint (tp_btf: it runs in the exec'ing
 * task, after the kernel replaced the program and killed the other threads,
 * before the new program runs an instruction). Emits FT_REC_EXEC when p is
 * the target; returns whether it is. The ring orders records by
 * reservation, so every record of the old program precedes this one and
 * every record of the new one follows it: user space sees the exec exactly
 * where it happened, which a notification from outside BPF (ptrace, the
 * proc connector, a pidfd) could not promise. */
static __always_inline bool emit_exec(struct task_struct *p, pid_t old_pid,
				      struct linux_binprm *bprm)
{
	struct ft_rec_exec *r;
	char c = 0;
	long n;

	if (follow) {
		__u32 tgid = p->tgid;

		/* the process stays in the set: a shell or env exec'd on the way
		 * forks or execs the Python, which the probes then see (they are
		 * attached by file and place themselves: interp.bpf.c) */
		if (!armed || !bpf_map_lookup_elem(&followed, &tgid))
			return false;
	} else if (p->tgid != target_tgid || !armed) {
		return false;
	}
	__sync_fetch_and_add(&image_gen, 1);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(FT_DROP_RINGBUF);
		return true;
	}
	/* every byte is written: the helper stops at the NUL */
	__builtin_memset(r->file, 0, sizeof(r->file));
	fill_hdr(&r->hdr, ((__u64)p->tgid << 32) | (__u32)old_pid, FT_REC_EXEC, 0, 0, 0);
	n = bpf_probe_read_kernel_str(r->file, sizeof(r->file), bprm->filename);
	if (n == sizeof(r->file)) {
		/* full: cut unless the NUL sat exactly at the last byte */
		bpf_probe_read_kernel(&c, 1, bprm->filename + sizeof(r->file) - 1);
		if (c)
			r->hdr.flags = FT_EXEC_F_FILE_CUT;
	}
	/* user space acts on it (the new program may not be traceable): now */
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	return true;
}

/* For tp_btf/sched_process_fork under --follow: a new process (not a
 * thread) forked by a traced one is traced from its first instruction. The
 * tracepoint runs in the parent before the child is woken. A child made
 * before arming is followed too: arming only starts the records. */
static __always_inline void follow_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, one = 1;

	if (!follow_forks || ptgid == ctgid || !bpf_map_lookup_elem(&followed, &ptgid))
		return;
	if (bpf_map_update_elem(&followed, &ctgid, &one, BPF_ANY))
		count_drop(FT_DROP_NO_STORAGE);
}

/* For tp_btf/sched_process_exit under --follow: the last thread of a
 * process ends, so its tgid can be given to an unrelated process. The
 * tracepoint runs after the thread counted itself out of signal->live. */
static __always_inline void follow_exit(struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (follow && !p->signal->live.counter)
		bpf_map_delete_elem(&followed, &tgid);
}

#endif /* FT_EMIT_BPF_H */
