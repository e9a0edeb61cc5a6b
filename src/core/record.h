/* SPDX-License-Identifier: MIT */
/* Record decoding: validates one ring-buffer record and applies it to the
 * name table and the call-tree builder. Pure. */
#ifndef FT_RECORD_H
#define FT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "flowtrace/event.h"

struct calltree;
struct names;

/* A record user space puts into the stream, never BPF: the tracer's cost
 * per probe hit from here on (calltree__set_cal), refined while the trace
 * runs (docs/design.md, "Durations corrected for the tracer's cost"). It
 * goes wherever the ring's records go (the builder, a recording), so a
 * replay corrects with the same costs at the same places as the live
 * trace. Its type lies outside BPF's FT_REC_* numbers; a reader that
 * predates it counts it as malformed and skips it. */
#define RECORD_COST 0x8001
struct record_cost {
	struct ft_rec_hdr hdr; /* type RECORD_COST, ts of the update; the rest 0 */
	__u64 hit_ps;
	__u64 err_ps;
};
_Static_assert(sizeof(struct record_cost) % 8 == 0, "records stay 8-byte aligned");

struct record_stats {
	uint64_t events;    /* ENTRY + RETURN applied */
	uint64_t names;	    /* NAME records */
	uint64_t threads;   /* THREAD records */
	uint64_t execs;	    /* EXEC records */
	uint64_t costs;	    /* RECORD_COST records */
	uint64_t tasks;	    /* TASK records (asyncio task steps) */
	uint64_t foreign;   /* records of another process: ignored */
	uint64_t malformed; /* records that failed validation: ignored */
};

/* Applies one record of process tgid (0: of any process, --follow). Returns 0 (also for records it
 * ignores, which it counts), -ENOMEM, or -ERANGE when the builder refused
 * the record's depth (see calltree__push()). */
int record_apply(struct calltree *ct, struct names *names, uint32_t tgid, const void *data,
		 size_t size, struct record_stats *st);

#endif /* FT_RECORD_H */
