/* SPDX-License-Identifier: MIT */
/* Probe sources: what puts ENTRY/RETURN records into the ring buffer. Each
 * source (USDT markers, interpreter uprobes) sits behind this interface,
 * so the event loop and the call-tree builder never know which one
 * produced a record. */
#ifndef FT_PROBE_H
#define FT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtrace/event.h"

/* Called for every record, in ring order; return 0 (a non-zero return
 * stops the whole poll, so skipped records must still return 0). */
typedef int (*probe_record_fn)(void *ctx, void *data, size_t size);

struct pylayout_code_death;

struct probe_opts {
	int pid;
	const char *binary; /* ELF carrying the probes, openable from here */
	uint64_t ring_size;
	bool calibrate; /* programs that return at once */
	/* where code objects die in binary, so BPF may cache names (the
	 * interpreter source reads only dealloc_offset); NULL or an offset of
	 * 0: names are not cached, every event sends its name */
	const struct pylayout_code_death *code_death;
	probe_record_fn on_record;
	void *ctx;
};

/* What differs between probe sources; struct probe is the first member of
 * each source's own state and holds what they share. */
struct probe;
struct probe_ops {
	const char *(*name)(const struct probe *p);
	/* frees the source's own state; links and ring are already gone */
	void (*destroy)(struct probe *p);
	/* optional: adds the counters the source keeps in user space */
	void (*add_drops)(const struct probe *p, uint64_t drops[FT_DROP_MAX]);
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
	struct ring_buffer *rb;
	const __u64 *drops;    /* BPF's loss counters (FT_DROP_*) in its .bss */
	volatile __u32 *armed; /* BPF's "emit records" flag in its .bss */
	struct bpf_link *links[PROBE_MAX_LINKS];
	size_t nlinks;
	int mlinks[PROBE_MAX_LINKS]; /* uprobe_multi link fds (libbpf 1.1 has no object for them) */
	size_t nmlinks;
	struct bpf_link *exec_link;	     /* probe__attach_exec's; not a probe */
	uint64_t uprobes[PROBE_MAX_UPROBES]; /* file offsets probe__attach_uprobes attached */
	size_t nuprobes;
	int error; /* the first failure handling a record (-ENOMEM), for the end */
};

/* Opens, configures, loads and attaches, disarmed (probe__arm starts the
 * trace). Returns NULL with errno set; err then holds one line saying what
 * failed. */
struct probe *probe_usdt__open(const struct probe_opts *opts, char *err, size_t errlen);

struct pylayout;
struct opcodes_table;

/* How the interpreter probe source sees calls (probe_interp.c). */
enum probe_interp_method {
	PROBE_INTERP_EVAL,  /* _PyEval_EvalFrameDefault entry and return */
	PROBE_INTERP_FRAME, /* bytecode handlers (or markers) for exits; see method.h */
};

struct probe_interp_opts {
	struct probe_opts base; /* binary: the ELF defining _PyEval_EvalFrameDefault */
	enum probe_interp_method method;
	bool eval_entries; /* frame: starts from the eval loop (<= 3.10, or hooked) */
	const struct pylayout *lay;
	const struct opcodes_table *ops;
	uint64_t runtime_addr;	    /* &_PyRuntime in the target */
	uint64_t code_type_addr;    /* &PyCode_Type in the target */
	uint64_t init_cleanup_addr; /* 3.13: the __init__ shim's code object, else 0 */
};

struct probe *probe_interp__open(const struct probe_interp_opts *opts, char *err, size_t errlen);

/* The fd to wait on for records (epoll); records may also be pending without
 * a wake-up, so call probe__consume() on a timer too. */
int probe__fd(const struct probe *p);
/* Hands every pending record to on_record. Returns the count or -errno. */
int probe__consume(struct probe *p);
/* Once every probe is in (the open functions attach them all, disarmed):
 * from now on the programs emit records. The trace starts here, with
 * every probe in at once; frames running now are "entered before attach". */
void probe__arm(struct probe *p);
/* From now on the programs emit nothing: the trace ends here, whole, while
 * the probes are still being removed. */
void probe__stop(struct probe *p);
/* Removes the probes from the target (stopping first); the ring can still
 * be drained. */
void probe__detach(struct probe *p);
/* The loss counters (FT_DROP_*). */
void probe__drops(const struct probe *p, uint64_t drops[FT_DROP_MAX]);
/* Marker events whose file or function name was NULL: the sign that
 * CPython could not encode a name for its markers, and raised in the
 * target. 0 for sources without markers. */
uint64_t probe__null_names(const struct probe *p);
/* 0, or the first error that made the source drop records (-ENOMEM). */
int probe__error(const struct probe *p);
/* How many links hold the probes: perf-event ones (a USDT link counts once
 * however many sites it covers) and uprobe_multi ones. */
void probe__links(const struct probe *p, size_t *perf, size_t *multi);
/* The file offsets of the uprobes placed by offset (not the markers'). */
const uint64_t *probe__uprobes(const struct probe *p, size_t *n);
/* "usdt", "eval", "frame", ...: the method, as shown to the user */
const char *probe__name(const struct probe *p);
void probe__free(struct probe *p);

/* --- for the probe sources ------------------------------------------- */

/* Sizes the ring map before load; fails with err set. */
int probe__size_ring(struct bpf_map *events, uint64_t ring_size, char *err, size_t errlen);
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
/* Attaches prog to the code objects' tp_dealloc (one perf-event link), the
 * first probe in: a name cached after it is forgotten when its code object
 * dies. Returns 0 (true in *on), 0 with *on false when there is nothing to
 * attach (calibrating, or no offset), or -errno with err set. */
int probe__attach_code_death(struct probe *p, struct bpf_program *prog, const struct probe_opts *o,
			     bool *on, char *err, size_t errlen);
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

#endif /* FT_PROBE_H */
