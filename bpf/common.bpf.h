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
	__u32 pad;
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

static __always_inline void count_drop(int why)
{
	__sync_fetch_and_add(&drops[why], 1);
}

static __always_inline __u64 wakeup_flag(void)
{
	if (!wakeup_bytes)
		return 0;
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									     : BPF_RB_NO_WAKEUP;
}

#endif /* FT_COMMON_BPF_H */
