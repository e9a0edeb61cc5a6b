/* SPDX-License-Identifier: MIT */
/* Record decoding: validates one ring-buffer record and applies it to the
 * name table and the call-tree builder. Pure. */
#ifndef FT_RECORD_H
#define FT_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct calltree;
struct names;

struct record_stats {
	uint64_t events;    /* ENTRY + RETURN applied */
	uint64_t names;	    /* NAME records */
	uint64_t threads;   /* THREAD records */
	uint64_t execs;	    /* EXEC records */
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
