/* SPDX-License-Identifier: GPL-2.0 */
/* What both BPF objects share: the ring buffer, its wake-up policy, the
 * name-id cache and the loss counters user space reads through the skeleton. Each object has its
 * own copy (one BPF object per probe source). */
#ifndef FT_COMMON_BPF_H
#define FT_COMMON_BPF_H

/* Set by user space between open and load: wake the reader once this much
 * is queued; 0: every record. */
const volatile __u32 wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by user space (--ring-size) */
} events SEC(".maps");

/* Name ids: a name crosses the ring once per key. The strings live as long
 * as their code object; the first line tells a reused address apart, and
 * LRU eviction only means a name is sent again. */
struct name_key {
	__u64 func; /* the function name's address */
	__u64 file; /* the file name's address */
	__u32 line;
	__u32 gen; /* image_gen: addresses of one program say nothing in the next */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct name_key);
	__type(value, __u32);
} names SEC(".maps");

__u64 drops[FT_DROP_MAX] = {};
__u32 next_name_id = 0;
/* Emission is armed by user space once the last probe is in, and disarmed
 * before the first one goes. Probes go in (and out) one link after the
 * other, and a USDT link raises its marker's semaphore as it goes in:
 * without the flag a trace would start with the entries of one probe and
 * none of the returns of another (a flat loop then nests thousands deep),
 * and end the same way. Until a thread's first armed event BPF keeps no
 * state for it, so every per-thread record (depth, seq, the interpreter
 * source's stack snapshot) starts at one instant with every probe in. */
volatile __u32 armed = 0;

/* Set by user space between open and load: the traced process. */
const volatile __u32 target_tgid = 0;
/* How many times the target exec'd a new program while traced. */
__u32 image_gen = 0;

static __always_inline void count_drop(int why)
{
	__sync_fetch_and_add(&drops[why], 1);
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

	if (p->tgid != target_tgid || !armed)
		return false;
	__sync_fetch_and_add(&image_gen, 1);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(FT_DROP_RINGBUF);
		return true;
	}
	/* every byte is written: the helper stops at the NUL */
	__builtin_memset(r->file, 0, sizeof(r->file));
	r->hdr.ts = bpf_ktime_get_ns();
	r->hdr.tgid = p->tgid;
	r->hdr.tid = old_pid;
	r->hdr.seq = 0;
	r->hdr.depth = 0;
	r->hdr.type = FT_REC_EXEC;
	r->hdr.flags = 0;
	r->hdr.arg = 0;
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

static __always_inline __u64 wakeup_flag(void)
{
	if (!wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									     : BPF_RB_NO_WAKEUP;
}

#endif /* FT_COMMON_BPF_H */
