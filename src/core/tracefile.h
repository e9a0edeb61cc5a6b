/* SPDX-License-Identifier: MIT */
/* Trace files (`flowtrace-bpf record`): the ring-buffer records exactly as
 * BPF produced them, in zlib-compressed, checksummed blocks, so replay runs
 * the same decoder, builder and renderers as a live trace. A file cut short
 * by a crash or a full disk replays up to its last whole block. The layout
 * is documented in docs/formats.md. */
#ifndef FT_TRACEFILE_H
#define FT_TRACEFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/procns.h"
#include "flowtrace/event.h"

#define TRACEFILE_VERSION 2 /* 2: records 8-byte aligned in their blocks */

/* What a replay needs to know about the trace, written first. */
struct tracefile_meta {
	uint32_t pid;
	uint32_t abi; /* FT_ABI_VERSION of the records */
	uint64_t t0;  /* CLOCK_MONOTONIC ns of the trace start */
	struct timespec wall_start;
	char python[32];
	char probe[16];
	char binary[PATH_MAX];
	char command[1024];
	bool follow; /* --follow: records of pid's descendants are the trace's too */
	/* the calibration of the tracer's cost (calltree_cal), so a replay
	 * corrects as the live trace did; cal_how empty: none was made */
	uint64_t cal_hit_ps;
	uint64_t cal_err_ps;
	char cal_how[160];
	/* the container the target was in; ns.pid_ns 0: not read (older files) */
	struct procns ns;
};

/* Written last; absent when the recording was cut short. */
struct tracefile_end {
	uint64_t t_end;
	uint64_t drops[FT_DROP_MAX];
	bool target_exited; /* the trace ended because the target exited */
};

struct tracefile_writer;

/* Writes the file header to fp, which stays the caller's (the tracer
 * passes a sink: a temporary file renamed when complete, see sink.h).
 * Returns NULL with errno set. */
struct tracefile_writer *tracefile_writer__new(FILE *fp);
/* For tests and tools: creates (truncates, through links) path and writes
 * the header; the writer closes the file. The tracer never uses it. */
struct tracefile_writer *tracefile_writer__create(const char *path);
/* Writes the meta block; once, before any record. Returns 0 or -errno. */
int tracefile_writer__begin(struct tracefile_writer *w, const struct tracefile_meta *meta);
/* Appends one record; a block is written when enough has collected. */
int tracefile_writer__add(struct tracefile_writer *w, const void *rec, uint32_t size);
/* Writes the pending records as a block, so a crash loses at most what
 * came after. Returns 0 or -errno. */
int tracefile_writer__flush(struct tracefile_writer *w);
/* Writes the end block (none when end is NULL: the file then reads as cut
 * short), closes a file the writer opened, frees w. Returns 0 or -errno. */
int tracefile_writer__close(struct tracefile_writer *w, const struct tracefile_end *end);
/* Total bytes written so far (for the summary). */
uint64_t tracefile_writer__bytes(const struct tracefile_writer *w);

struct tracefile_reader;

/* Reads the header and meta block from fp (which the reader does not
 * close). Returns NULL and fills err (one line) when fp holds no trace. */
struct tracefile_reader *tracefile_reader__new(FILE *fp, char *err, size_t errlen);
const struct tracefile_meta *tracefile_reader__meta(const struct tracefile_reader *r);
/* Next record: returns 1 with *rec and *size set (valid until the next call),
 * 0 at the end of the trace, or -EBADMSG when the rest of the file is
 * damaged or cut short (err says where; the records before it were good). */
int tracefile_reader__next(struct tracefile_reader *r, const void **rec, uint32_t *size, char *err,
			   size_t errlen);
/* The end block, or NULL when the file has none (cut short). */
const struct tracefile_end *tracefile_reader__end(const struct tracefile_reader *r);
void tracefile_reader__free(struct tracefile_reader *r);

#endif /* FT_TRACEFILE_H */
