/* SPDX-License-Identifier: GPL-2.0 */
/* What both BPF objects share: the ring buffer, the name-id cache, the
 * arming flag and the loss counters user space reads through the skeleton
 * (emit.bpf.h: how records are made). Each object has its own copy (one
 * BPF object per probe source). */
#ifndef FT_COMMON_BPF_H
#define FT_COMMON_BPF_H

/* Set by user space between open and load: a CPU wakes the reader once it
 * submitted this much since its last wake-up (emit.bpf.h); 0: the ring's
 * own rule (wake when the reader has caught up). */
const volatile __u32 wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by user space (--ring-size) */
} events SEC(".maps");

/* Name ids: a name crosses the ring once per (function, file, line) while
 * its code object lives. The key is the address of the two strings (the
 * str objects, or the UTF-8 buffers the markers pass, which live as long
 * as their str), so it is only valid while a code object holding them
 * lives: the interpreter reuses the memory of a freed code object and its
 * strings for new ones (exec, compile, generated classes, notebook cells).
 * Every code object's death is therefore watched (ft_code_dealloc, a
 * uprobe on PyCode_Type's tp_dealloc, attached before anything that names)
 * and drops the entry of its (function, file). An entry then only exists
 * while some code object holding both strings lives, so the addresses
 * still hold the same strings. Up to NAME_LINES lines share one entry (a
 * marker's line is the line of the return or the resume, not only the
 * first line); LRU eviction, a line pushed out or a dropped entry only
 * mean that a name is sent again, under a new id. Without the death
 * watch (names_cached == 0) nothing is cached: every event sends its
 * name. */
struct name_key {
	__u64 func; /* the function name's address */
	__u64 file; /* the file name's address */
	__u64 gen;  /* image_gen: addresses of one program say nothing in the next */
};

#define NAME_LINES 16

/* (id << 32) | line per slot, 0 for a free one: a slot is read and written
 * as one 8-byte word, so a reader never pairs a line with another's id.
 * Slots fill from the front. */
struct name_lines {
	__u64 slot[NAME_LINES];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct name_key);
	__type(value, struct name_lines);
} names SEC(".maps");

/* Set by user space once ft_code_dealloc is attached, before any program
 * that names is. */
volatile __u32 names_cached = 0;
/* Code objects seen dying: a per-thread remembered frame (interp.bpf.c)
 * holds a code object's name only while this has not moved. */
__u64 code_deaths = 0;

/* All slots free: what a new entry starts from (a global, not a stack
 * copy: the snapshot walk inlines this under a deep stack already). */
__u64 no_lines[NAME_LINES] = {};

/* The id cached for key and line, or 0. */
static __always_inline __u32 name_cached(const struct name_key *key, __u32 line)
{
	struct name_lines *v;

	if (!names_cached)
		return 0;
	v = bpf_map_lookup_elem(&names, key);
	if (!v)
		return 0;
	for (int i = 0; i < NAME_LINES; i++) {
		__u64 s = *(volatile __u64 *)&v->slot[i];

		if (!s)
			return 0;
		if ((__u32)s == line)
			return s >> 32;
	}
	return 0;
}

/* Caches id for key and line, once its NAME record is in the ring (so no
 * other thread can emit the id ahead of its name). */
static __always_inline void name_remember(const struct name_key *key, __u32 line, __u32 id)
{
	struct name_lines *v;
	__u64 s = ((__u64)id << 32) | line;

	if (!names_cached || !id)
		return;
	v = bpf_map_lookup_elem(&names, key);
	if (!v) {
		bpf_map_update_elem(&names, key, &no_lines, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&names, key);
		if (!v)
			return;
	}
	for (int i = 0; i < NAME_LINES; i++) {
		if (!*(volatile __u64 *)&v->slot[i]) {
			*(volatile __u64 *)&v->slot[i] = s;
			return;
		}
	}
	/* full: this line takes the place of one, which is sent again when used */
	*(volatile __u64 *)&v->slot[line & (NAME_LINES - 1)] = s;
}

/* A code object holding both strings of key dies. */
static __always_inline void name_forget(const struct name_key *key)
{
	bpf_map_delete_elem(&names, key);
	__sync_fetch_and_add(&code_deaths, 1);
}

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

/* --follow, or several PIDs: the uprobes are attached for every process
 * mapping the file (a pid filter in the kernel would not cover a child,
 * which the kernel gives no uprobe of its parent's), and this map says
 * which processes are traced: the targets, set by user space before
 * arming, and under --follow (follow_forks) every child a traced process
 * forks (ft_fork, before the child runs an instruction). A process leaves
 * it when it exits or execs a new program. */
const volatile __u32 follow = 0;
const volatile __u32 follow_forks = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u32);
} followed SEC(".maps");

/* Whether the running process's records are for the trace. Without
 * --follow the probes were attached for the target alone: nothing to check
 * (the load sees follow as 0 and drops the rest). */
static __always_inline bool tgid_traced(void)
{
	__u32 tgid;

	if (!follow)
		return true;
	tgid = bpf_get_current_pid_tgid() >> 32;
	return bpf_map_lookup_elem(&followed, &tgid);
}

/* The generation part of a name key: the program (image_gen) and, under
 * --follow, the process. A forked child shares its parent's addresses but
 * not its later allocations: a code object freed and made anew at the
 * same address in one process must not rename the other's. */
static __always_inline __u64 name_gen(void)
{
	if (!follow)
		return image_gen;
	return (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | image_gen;
}

static __always_inline void count_drop(int why)
{
	__sync_fetch_and_add(&drops[why], 1);
}

/* The 8-byte word at addr in the target; 0 when it cannot be read. */
static __always_inline __u64 read_ptr(__u64 addr)
{
	__u64 v = 0;

	if (!addr || bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

#endif /* FT_COMMON_BPF_H */
