/* SPDX-License-Identifier: MIT */
/* What the probe sources share and consumers never see: the state every
 * source starts with, the operations that differ between sources, and the
 * helpers for rings, links and uprobes (probe.c). */
#ifndef FT_PROBE_PRIV_H
#define FT_PROBE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"

/* What differs between probe sources; struct probe is the first member of
 * each source's own state and holds what they share. */
struct probe_ops {
	const char *(*name)(const struct probe *p);
	/* optional: the live check (probe__check) */
	int (*check)(struct probe *p, struct probe_error *e);
	/* loads and attaches every probe, disarmed (probe__attach) */
	int (*attach)(struct probe *p, struct probe_error *e);
	/* optional: probe__first_call_offset */
	uint64_t (*first_call_offset)(const struct probe *p);
	/* frees the source's own state; links and ring are already gone */
	void (*destroy)(struct probe *p);
	/* optional: adds the counters the source keeps in user space */
	void (*add_drops)(const struct probe *p, uint64_t drops[FT_DROP_MAX]);
	/* optional: probe__adopt */
	int (*adopt)(struct probe *p, int pid);
	/* optional: marker events that came with a NULL file or function name */
	uint64_t (*null_names)(const struct probe *p);
};

#define PROBE_MAX_LINKS	  16
#define PROBE_MAX_UPROBES 32

struct ring_buffer;
struct bpf_link;
struct bpf_map;
struct bpf_program;

struct probe {
	const struct probe_ops *ops;
	const struct target *target; /* the process and the file the probes go into */
	struct probe_opts opts;
	struct ring_buffer *rb;
	const __u64 *drops;    /* BPF's loss counters (FT_DROP_*) in its .bss */
	volatile __u32 *armed; /* BPF's "emit records" flag in its .bss */
	struct bpf_link *links[PROBE_MAX_LINKS];
	size_t nlinks;
	int mlinks[PROBE_MAX_LINKS]; /* uprobe_multi link fds (libbpf 1.1 has no object for them) */
	size_t nmlinks;
	/* which links hold uretprobes: probe__detach closes those first */
	bool link_ret[PROBE_MAX_LINKS], mlink_ret[PROBE_MAX_LINKS];
	struct bpf_link *exec_link; /* probe__attach_exec's; not a probe */
	/* probe__attach_follow's; followed_fd (BPF's map of traced processes)
	 * is valid once exit_link is set */
	struct bpf_link *fork_link, *exit_link;
	int followed_fd;
	uint64_t uprobes[PROBE_MAX_UPROBES]; /* file offsets probe__attach_uprobes attached */
	bool uprobe_ret[PROBE_MAX_UPROBES];  /* ... as uretprobes */
	size_t death_uprobe; /* 1 + the index of probe__attach_code_death's; 0: none */
	size_t nuprobes;
	/* --follow: the probe sets joined for other interpreters followed
	 * processes exec'd (probe__join), newest last; each shares this
	 * one's ring and set of followed processes */
	struct probe *joined[PROBE_MAX_JOINED];
	size_t njoined;
	int error;	   /* the first failure handling a record (-ENOMEM), for the end */
	char warning[512]; /* probe__warning */
};

/* The sources' open functions (probe__open picks one by method): they
 * allocate, fill p->ops, p->target and p->opts, and read what they need
 * from the target's files; -errno with e filled. */
int probe_usdt__open(const struct target *t, const struct probe_opts *o, struct probe **out,
		     struct probe_error *e);
int probe_interp__open(const struct method_choice *m, const struct target *t,
		       const struct probe_opts *o, struct probe **out, struct probe_error *e);
/* probe__join for the interpreter source (p is one): the new set in *out. */
int probe_interp__join(struct probe *p, const struct method_choice *m, struct target *t,
		       struct probe **out, struct probe_error *e);

/* Fills e (message formatted like log_line: one line) and returns -err
 * (err > 0). */
int probe__fail(struct probe_error *e, enum probe_fault fault, int err, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A failure to load or attach (err > 0, msg what failed) as the
 * application reports it: the process gone, BPF not allowed, or else a
 * failure whose details libbpf's log has. Returns -err. */
int probe__attach_failed(const struct probe *p, struct probe_error *e, int err, const char *msg);

/* Sizes the ring map before load; fails with err set. */
int probe__size_ring(struct bpf_map *events, uint64_t ring_size, char *err, size_t errlen);
/* The BPF objects' wakeup_bytes for a ring of ring_size bytes: each CPU
 * wakes the reader once it submitted this much (emit.bpf.h), an eighth of
 * the ring shared out over the online CPUs, so all of them together wake
 * it by an eighth queued; the periodic drain reads the rest. */
uint32_t probe__wakeup_bytes(uint64_t ring_size);
/* After load: the ring reader that hands records to fn. */
int probe__open_ring(struct probe *p, struct bpf_map *events, probe_record_fn fn, void *ctx,
		     char *err, size_t errlen);
/* Keeps link (NULL: attaching failed, errno set), to be destroyed at
 * detach. Returns 0 or -errno. */
int probe__keep_link(struct probe *p, struct bpf_link *link);
/* Attaches prog, a tp_btf/sched_process_exec program, so an exec of the
 * target is seen in ring order (FT_REC_EXEC). Attached before the probes:
 * no exec can fall between them. */
int probe__attach_exec(struct probe *p, struct bpf_program *prog, char *err, size_t errlen);
/* --follow: puts the target into followed (BPF's map of traced
 * processes) and attaches the sched_process_fork and sched_process_exit
 * programs that keep it, before any probe: no fork can fall between. */
int probe__attach_follow(struct probe *p, struct bpf_map *followed, struct bpf_program *fork_prog,
			 struct bpf_program *exit_prog, char *err, size_t errlen);
/* The pid the uprobes are attached for: the target's, or under --follow
 * -1 (every process mapping the file; BPF keeps the traced ones). */
int probe__uprobe_pid(const struct probe *p);
/* Attaches prog to the code objects' tp_dealloc at file offset
 * dealloc_offset of the probed file (one perf-event link), the first probe
 * in: a name cached after it is forgotten when its code object dies.
 * Returns 0 (true in *on), 0 with *on false when there is nothing to
 * attach (calibrating, or an offset of 0), or -errno with err set. */
int probe__attach_code_death(struct probe *p, struct bpf_program *prog, uint64_t dealloc_offset,
			     bool *on, char *err, size_t errlen);
/* Warns (probe__warning) that names are not cached, and why. */
void probe__warn_uncached(struct probe *p, const char *why);
/* Attaches prog to the python:NAME marker of pid in binary. */
int probe__attach_marker(struct probe *p, struct bpf_program *prog, int pid, const char *binary,
			 const char *name, char *err, size_t errlen);

/* Whether the kernel has uprobe_multi links (Linux 6.6+); probed once. A
 * program must be loaded for them (probe__prepare_multi) and then attaches
 * no other way, so a source decides before load. */
bool probe__has_uprobe_multi(void);
/* Between open and load: prog will attach through probe__attach_uprobes
 * with multi set. */
void probe__prepare_multi(struct bpf_program *prog);
/* Attaches prog to the n file offsets of binary in pid, with cookies[i]
 * (bpf_get_attach_cookie) at offsets[i]: as one uprobe_multi link when
 * multi (one RCU wait to detach, not one per offset), else one perf-event
 * link per offset. Returns 0 or -errno. */
int probe__attach_uprobes(struct probe *p, struct bpf_program *prog, bool multi, int pid,
			  const char *binary, const uint64_t *offsets, const uint64_t *cookies,
			  size_t n, bool retprobe);

#endif /* FT_PROBE_PRIV_H */
