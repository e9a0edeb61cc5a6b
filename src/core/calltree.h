/* SPDX-License-Identifier: MIT */
/* Call-tree builder: turns per-thread ENTRY/RETURN records (depth and
 * sequence stamped by BPF) into call trees, placing losses visibly and
 * resynchronising from depth. Pure: it never touches BPF, /proc or globals,
 * so the tests feed it tables of records. */
#ifndef FT_CALLTREE_H
#define FT_CALLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct names;

/* ft_node.flags */
#define FT_NODE_UNFINISHED    0x01 /* still running when tracing stopped */
#define FT_NODE_BEFORE_ATTACH 0x02 /* entered before tracing started: start is a lower bound */
#define FT_NODE_LOST	      0x04 /* not a call: a marker for lost records (see .lost) */
#define FT_NODE_START_LOST    0x08 /* its entry record was lost: start is a lower bound */
#define FT_NODE_END_LOST      0x10 /* its return record was lost: end is an upper bound */
#define FT_NODE_EXEC	      0x40 /* ended by the process's exec(): end is the exec */
/* not captured itself: an ancestor shown as context of a --trigger call */
#define FT_NODE_CONTEXT 0x80
/* dur_ns is smaller than the correction's error (see calltree_cal): the
 * call is shorter than dur_ns + err_ns, and no more can be said */
#define FT_NODE_DUR_UNCERTAIN 0x100
#define FT_NODE_SPANS_LOSS \
	0x20 /* records were lost while it ran: its subtree holds a LOST
				    * marker or a call whose entry or return was lost */

/* Depths a record may carry: far beyond any real stack, far from int32
 * overflow. Records beyond are refused (see calltree__push()). */
#define CALLTREE_DEPTH_MAX (1 << 24)
/* Frames the builder may open without a record of their own (placeholders
 * for lost entries, frames whose returns were lost below the roots) beyond
 * one per record consumed: what a burst of losses in a recursion 65536 deep
 * needs before the returns that justify them arrive. Larger bursts are
 * refused until records back them. (The fuzz target builds with less, so
 * an input stays cheap to run.) */
#ifndef CALLTREE_UNSEEN_SLACK
#define CALLTREE_UNSEEN_SLACK (1 << 16)
#endif

/* One call. Times are nanoseconds from the start of the trace, on the
 * thread's tracer-free clock (see calltree_cal; the raw clock when no
 * correction is made). Children are in call order. */
struct ft_node {
	struct ft_node *parent;
	struct ft_node *first_child;
	struct ft_node *last_child;
	struct ft_node *next;
	uint64_t start_ns;
	uint64_t dur_ns;     /* raw_dur_ns less the tracer's cost inside it (calltree_cal) */
	uint64_t raw_dur_ns; /* the measured interval, return minus entry timestamp */
	uint64_t lag_ns;     /* its thread's clock lag at its start (calltree_cal) */
	uint32_t err_ns;     /* error bound of the correction (saturating) */
	uint32_t name;	     /* name id, resolved with names__get() */
	uint32_t flags;	     /* FT_NODE_* */
	uint32_t lost;	     /* FT_NODE_LOST: how many records went missing here */
	int32_t level;	     /* call depth as BPF counted it: 1 = first level after attach */
};

struct ft_thread {
	uint32_t tid;
	uint32_t pid;	/* its process (tgid); 0 while no THREAD record said it */
	uint32_t image; /* the program it ran: 0 traced first, N after the Nth exec */
	/* its ids in its own PID namespace (a container's view; equal to tid
	 * and pid outside one); 0: not said (an older trace) */
	uint32_t ns_tid, ns_pid;
	char comm[16];
	uint64_t first_ns; /* first record of the thread, from trace start */
	struct ft_node *first_root;
	struct ft_node *last_root;
	uint64_t calls; /* completed calls */
	uint64_t lost;	/* records lost on this thread (sequence gaps) */
	/* builder state */
	struct ft_node **stack;
	size_t nstack, cap;
	int32_t base; /* level of the roots */
	uint32_t next_seq;
	bool seen;
	bool retired;	  /* its process exec'd: a later record of the tid is a new thread */
	bool root_loss;	  /* a root holds a loss: a frame wrapped around the roots spans it */
	int32_t skew;	  /* BPF's depth minus the level: frames left with no return record */
	uint64_t lag2_ps; /* twice the cost of its probe hits so far, in ps: its clock's lag */
	uint64_t lag;	  /* the lag applied at its last record */
	uint64_t last_ns;
};

/* Called for every call the moment it completes (returns, or at
 * calltree__finish() for unfinished ones), children before parents. depth
 * is node->level - 1: 0 for top-level calls of a launched program, below 0
 * for frames entered before attach. */
typedef void (*calltree_complete_fn)(void *ctx, const struct ft_thread *t,
				     const struct ft_node *node, int depth);

/* The tracer's own cost, as the calibration measured it (docs/design.md,
 * "Durations corrected for the tracer's cost"). A probe hit costs hit_ps
 * picoseconds of the traced thread's time, half of it before the record's
 * timestamp and half after (on average over an entry and a return). Each
 * thread keeps a clock that lags the raw one by the cost of the hits it
 * took so far: every time the builder gives (start_ns, dur_ns) is on that
 * clock, so a call's duration loses its descendants' hits and its own
 * hits' inner halves, nesting stays intact and nothing goes negative.
 * err_ps bounds hit_ps's error. All zero: the raw times (--raw-times). */
struct calltree_cal {
	uint64_t hit_ps;
	uint64_t err_ps;
};

/* The error bound of a correction of cost_ns, in ns (rounded up): err_ps
 * per hit_ps taken out. Pure, for the tests. */
uint64_t calltree_cal_err_ns(const struct calltree_cal *cal, uint64_t cost_ns);

struct calltree_opts {
	uint64_t t0;		 /* BPF timestamp of the trace start */
	struct calltree_cal cal; /* zero: raw durations (--raw-times) */
	/* optional: after a loss, a return is matched to the open frame by its
	 * function too, not by depth alone */
	const struct names *names;
	bool keep; /* keep the whole forest (tree, json); false: recycle nodes (jsonl) */
	calltree_complete_fn on_complete;
	void *ctx;
};

struct calltree;

struct calltree *calltree__new(const struct calltree_opts *opts);

/* From the next record on, a probe hit costs cal->hit_ps (+-err_ps): the
 * calibration refined while the trace runs (the BPF programs' own run time
 * per hit, docs/design.md). Hits already taken keep the cost they were
 * taken out with. Nothing changes for a builder that corrects nothing
 * (--raw-times, no calibration) or for a zero cost. */
void calltree__set_cal(struct calltree *ct, const struct calltree_cal *cal);
void calltree__free(struct calltree *ct);
/* Sets the clock origin when it is known only after the builder exists. */
void calltree__set_t0(struct calltree *ct, uint64_t t0);

/* Records, in ring order. ts is the raw BPF timestamp; seq and depth as BPF
 * stamped them. Return 0, -ENOMEM, or -ERANGE for a record whose depth the
 * thread's history cannot justify: BPF moves a thread's depth by one per
 * record, so a depth more than (records lost just before it) away from
 * where the thread stands, beyond +-CALLTREE_DEPTH_MAX, or one that would
 * open more unseen frames than CALLTREE_UNSEEN_SLACK plus one per record
 * consumed, is damage, not data. Such a record changes nothing (its seq is
 * not consumed, so the next record shows it as lost) and is counted in
 * calltree_stats.rejected; calltree__rejected() describes the first one. */
int calltree__thread(struct calltree *ct, uint32_t tid, const char *comm);
int calltree__push(struct calltree *ct, uint32_t tid, uint64_t ts, uint32_t seq, int32_t depth,
		   uint32_t name);
int calltree__pop(struct calltree *ct, uint32_t tid, uint64_t ts, uint32_t seq, int32_t depth,
		  uint32_t name);
/* An ENTRY flagged FT_ENTRY_F_RUNNING: a frame already running when
 * tracing started (a stack snapshot), opened as an ancestor of what
 * follows, flagged FT_NODE_BEFORE_ATTACH and starting at 0. It ends like
 * any frame: at its return, or unfinished at the end. */
int calltree__push_running(struct calltree *ct, uint32_t tid, uint64_t ts, uint32_t seq,
			   int32_t depth, uint32_t name);

/* The process exec'd at ts: every open frame of every thread ends there
 * (FT_NODE_EXEC), and records after it start new threads (image + 1),
 * also when they reuse a tid. tid is the thread that called exec. */
int calltree__exec(struct calltree *ct, uint32_t tid, uint64_t ts);
/* The same for process pid alone (--follow traces several): only its
 * threads, and those whose process is not known, end and are retired. pid
 * 0: every thread, as calltree__exec. */
int calltree__exec_pid(struct calltree *ct, uint32_t pid, uint32_t tid, uint64_t ts);
/* Thread tid belongs to process pid (from its THREAD record). */
int calltree__thread_pid(struct calltree *ct, uint32_t tid, uint32_t pid);
/* Thread tid is ns_tid of process ns_pid in its own PID namespace (from its
 * THREAD record). */
int calltree__thread_ns(struct calltree *ct, uint32_t tid, uint32_t ns_tid, uint32_t ns_pid);

/* Closes every open frame as unfinished at end_ts (raw BPF time). */
void calltree__finish(struct calltree *ct, uint64_t end_ts);
/* The same, when unseen_lost records were lost that no later record
 * revealed (the ring filled up to the end): each thread with open frames
 * gets a LOST marker for them, and if the target has exited its open frames
 * close as return lost rather than unfinished. */
void calltree__finish_lost(struct calltree *ct, uint64_t end_ts, uint64_t unseen_lost,
			   bool target_exited);

/* A forest assembled by its caller rather than from records (trigger.c
 * keeps the captured subtrees in one): a thread appended after the others,
 * copying like's identity (tid, pid, image, comm, first_ns), and nodes owned by
 * ct, which the caller links itself. */
struct ft_thread *calltree__add_thread(struct calltree *ct, const struct ft_thread *like);
struct ft_node *calltree__node_alloc(struct calltree *ct);
void calltree__node_release(struct calltree *ct, struct ft_node *n);

/* Threads in order of their first record. */
size_t calltree__nthreads(const struct calltree *ct);
const struct ft_thread *calltree__thread_at(const struct calltree *ct, size_t i);

struct calltree_stats {
	uint64_t records;  /* ENTRY + RETURN records consumed */
	uint64_t calls;	   /* completed calls */
	uint64_t lost;	   /* records lost, from sequence gaps */
	uint64_t open;	   /* frames still running at finish */
	uint64_t resyncs;  /* times the stack had to be repaired from depth */
	uint64_t nodes;	   /* nodes alive now */
	uint64_t unseen;   /* frames opened without a record of their own */
	uint64_t rejected; /* records refused with -ERANGE */
	uint64_t execs;	   /* exec()s of the process */
	uint64_t unwound;  /* frames closed because a return named a frame below them */
};
void calltree__stats(const struct calltree *ct, struct calltree_stats *st);

/* The first record refused with -ERANGE, and why. */
enum calltree_reject_why {
	CALLTREE_REJECT_RANGE,	/* |depth| > CALLTREE_DEPTH_MAX */
	CALLTREE_REJECT_GAP,	/* the depth moved more than the records lost allow */
	CALLTREE_REJECT_BUDGET, /* more unseen frames than the records consumed back */
};
struct calltree_reject {
	enum calltree_reject_why why;
	uint64_t record; /* its index among the ENTRY/RETURN records offered, from 1 */
	uint32_t tid;
	uint32_t gap;	  /* records lost just before it */
	int32_t depth;	  /* the depth it claims */
	int64_t expected; /* the depth the thread's history gives */
	bool first;	  /* the thread's first record: no history to compare with */
	bool entry;	  /* ENTRY (else RETURN) */
};
/* NULL when no record was refused. */
const struct calltree_reject *calltree__rejected(const struct calltree *ct);

#endif /* FT_CALLTREE_H */
