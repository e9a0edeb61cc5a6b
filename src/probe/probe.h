/* SPDX-License-Identifier: MIT */
/* Probe sources: what puts ENTRY/RETURN records into the ring buffer. Each
 * source (USDT markers, interpreter uprobes) sits behind this interface,
 * so the event loop and the call-tree builder never know which one
 * produced a record. This is the consumers' header; what only the sources
 * share is in probe_priv.h. */
#ifndef FT_PROBE_H
#define FT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtrace/event.h"

/* Called for every record, in ring order; return 0 (a non-zero return
 * stops the whole poll, so skipped records must still return 0). */
typedef int (*probe_record_fn)(void *ctx, void *data, size_t size);

struct method_choice;
struct target;

/* What the application knows about the trace it wants; what the target
 * is (its files, its interpreter's layout) is the source's to find out. */
struct probe_opts {
	bool launch;	    /* a command started here that has run no Python yet (-c) */
	uint64_t ring_size; /* the ring buffer's size in bytes */
	bool calibrate;	    /* programs that return at once */
	bool verbose;	    /* say on stderr where probes go (-v) */
	bool follow;	    /* --follow: the target's descendants too (interpreter methods) */
	/* traced beside the target: processes with its very layout (forked
	 * from one process, no exec since): session.c checks */
	const int *more_pids;
	size_t nmore_pids;
	probe_record_fn on_record;
	void *ctx;
};

/* What kind of failure stopped a source, for the application to turn into
 * an exit status. */
enum probe_fault {
	PROBE_FAULT_FAILED = 1,	 /* the system refused a step */
	PROBE_FAULT_GONE,	 /* the process exited meanwhile */
	PROBE_FAULT_PRIVILEGE,	 /* not allowed: BPF, or reading the target's memory */
	PROBE_FAULT_UNSUPPORTED, /* this interpreter cannot be traced by the method */
};

struct probe_error {
	enum probe_fault fault;
	int err;	/* the -errno behind it */
	char msg[512];	/* one line: what failed */
	char hint[256]; /* what the user can do, or "" */
};

struct probe;

/* The life of a source, the lifecycle of a libbpf skeleton (open,
 * configure, load, attach) around the target's:
 * - probe__open() reads what the method needs from the target's files and
 *   /proc (the interpreter source: the interpreter's layout, its bytecode
 *   handlers, where its runtime is mapped). No probe goes in, no memory of
 *   the target is read.
 * - probe__check() checks the running interpreter against that layout (the
 *   interpreter source; a no-op for the markers). The interpreter must
 *   exist: -EAGAIN (PROBE_FAULT_UNSUPPORTED) while it does not yet.
 * - probe__attach() loads the BPF programs and attaches every probe,
 *   disarmed; probe__arm() starts the trace.
 * Attached to a running process: open, check, attach, arm. A command
 * launched here, with the interpreter methods, is held before its
 * interpreter exists: open, attach, arm, run it to its first eval-loop call
 * (probe__first_call_offset()), then check, before any Python code ran.
 * t must outlive the probe. Each step returns 0 or -errno with e filled;
 * probe__open returns NULL then. p is freed with probe__free() at any step. */
struct probe *probe__open(const struct method_choice *m, const struct target *t,
			  const struct probe_opts *o, struct probe_error *e);
int probe__check(struct probe *p, struct probe_error *e);
int probe__attach(struct probe *p, struct probe_error *e);
/* The file offset (in the probed file) of the eval loop's entry, where a
 * launched command's first Python call can be caught; 0 for sources that
 * have none (the markers). */
uint64_t probe__first_call_offset(const struct probe *p);
/* After probe__attach(), whether it worked or not: a hazard to say on
 * stderr (one line, escaped, "warning: ..."), or "". */
const char *probe__warning(const struct probe *p);

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
/* Whether a uretprobe is among them (the eval loop's return, with the
 * eval method and with frame before 3.13): while it stays, closing any
 * other uprobe link of the machine can wait for the whole trace (see
 * probe__detach), so a link that must go before the trace ends cannot. */
bool probe__holds_uretprobe(const struct probe *p);
/* Whether BPF keeps the set of traced processes (--follow, or several
 * PIDs): the probes are then attached for every process. */
bool probe__multi_process(const struct probe *p);
/* --follow or several PIDs: whether a traced process is still alive (the target or a
 * descendant it forked). Entries of processes gone are dropped on the way.
 * False without --follow. */
bool probe__follows_any(const struct probe *p);
/* --follow: how many probe sets may join the first (probe__join) */
#define PROBE_MAX_JOINED 8
/* --follow: a followed process (t->pid) exec'd a CPython other than p's,
 * which p's probes (bound to p's interpreter file) cannot see. A second
 * probe set for t's interpreter file joins p, chosen by m as for -p: its
 * own BPF object with t's layout and runtime addresses, sharing p's ring
 * (its records reach p's on_record like p's own) and p's set of followed
 * processes; attached for every process mapping that file, and armed at
 * once. Nothing stops the process: frames it runs when its first probe
 * fires show as entered before attach (probe__adopt). Takes t over (the
 * caller never closes it). Returns 0 or -errno with e filled: -EAGAIN
 * (PROBE_FAULT_UNSUPPORTED) while its interpreter does not exist yet,
 * -E2BIG when PROBE_MAX_JOINED sets have joined. */
int probe__join(struct probe *p, const struct method_choice *m, struct target *t,
		struct probe_error *e);
/* pid's frames running at its first traced event show as entered before
 * attach (FT_ENTRY_F_RUNNING), as a process attached to: a process that
 * exec'd a joined set's interpreter before the set was in. 0 or -ENOMEM. */
int probe__adopt(struct probe *p, int pid);
/* "usdt", "eval", "frame", ...: the method, as shown to the user */
const char *probe__name(const struct probe *p);
void probe__free(struct probe *p);

#endif /* FT_PROBE_H */
