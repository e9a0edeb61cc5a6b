/* SPDX-License-Identifier: MIT */
/* The record pipeline shared by live tracing, recording and replay:
 * records -> decoder -> call-tree builder -> renderer -> sink, plus the
 * trace's metadata and the summary line. Replaying a recording runs exactly
 * this code, so it prints what the live trace printed. */
#ifndef FT_PIPELINE_H
#define FT_PIPELINE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/filter.h"
#include "core/record.h"
#include "output/render.h"
#include "output/sink.h"
#include "core/tracefile.h"

struct config;
struct calltree;
struct names;
struct trigger;
struct flight;

enum pipe_mode {
	PIPE_RENDER, /* render to the sink (live trace, replay) */
	PIPE_RECORD, /* write a trace file (record) */
	PIPE_BUILD,  /* keep the whole forest for the caller (report, diff) */
};

/* How a pipeline step failed, once it has said why on stderr. The
 * application maps it to its exit status (exit.h). */
enum pipe_err {
	PIPE_OK = 0,
	PIPE_ERR_OUTPUT,  /* the output or the trace file cannot be written */
	PIPE_ERR_RUNTIME, /* anything else: out of memory, a renderer that cannot start */
};

struct tasks;

struct pipeline {
	const struct config *cfg;
	enum pipe_mode mode;
	const struct renderer *renderer; /* PIPE_RENDER only */
	struct names *names;
	struct calltree *ct;
	struct filter filter;
	struct render_ctx rc;
	struct render_meta meta;
	struct tracefile_meta tmeta;
	struct sink sink;
	struct tracefile_writer *rec; /* record mode */
	struct record_stats rs;
	int record_err;
	int out_err;	       /* the first error writing a streaming output (-EPIPE...) */
	uint64_t unapplied;    /* records that memory ran out for */
	bool warned_big;       /* the "held in memory" warning was given */
	struct trigger *trig;  /* --trigger on the live trace (not with --flight) */
	struct flight *flight; /* --flight: the recent records */
	struct tasks *tasks;   /* --by-task: the asyncio task view */
	struct render_trigger trig_meta; /* --trigger: what meta says */
	uint64_t dumps;			 /* --flight: windows written on SIGUSR1 */
	int dump_pid;			 /* --flight: the child writing one, or 0 */
	char cwd[PATH_MAX];		 /* the tree shows files under it relative to it */
};

/* Opens the output (a sink for a renderer, a trace file when recording,
 * nothing when building) and the name table. Returns PIPE_OK or the
 * failure, after reporting it. */
enum pipe_err pipeline__open(struct pipeline *p, const struct config *cfg, enum pipe_mode mode);
/* The trace begins: pid, clock origin and what is known about the target.
 * Returns PIPE_OK or the failure, after reporting it. */
enum pipe_err pipeline__start(struct pipeline *p, const struct tracefile_meta *m);
/* One ring-buffer record. Errors are kept for the end; returns -ERANGE
 * (and keeps nothing) for a record whose depth the builder refused, which
 * a replay takes for damage, else 0. */
int pipeline__add(struct pipeline *p, const void *data, uint32_t size);
/* A failure before the pipeline (a probe source out of memory): the trace
 * is incomplete, which pipeline__finish reports. */
void pipeline__fail(struct pipeline *p, int err);
/* Pushes buffered output out (streaming formats, trace file blocks). */
void pipeline__flush(struct pipeline *p);
/* Non-zero (-errno) once tracing on is pointless: the output cannot be
 * written (its reader went away: -EPIPE; the disk is full) or memory ran
 * out. The session then stops tracing; pipeline__finish reports it. */
int pipeline__error(const struct pipeline *p);
/* The output's file descriptor when it is a pipe, FIFO or socket, whose
 * reader can go away (EPOLLERR on it), else -1. */
int pipeline__poll_fd(const struct pipeline *p);
/* The output's reader went away (EPOLLERR on pipeline__poll_fd()). */
void pipeline__output_gone(struct pipeline *p);
/* Ends the trace: closes open frames at end->t_end, renders, commits the
 * output, prints the summary. Returns PIPE_OK or the first failure, after
 * reporting it (an incomplete trace is PIPE_ERR_RUNTIME, unless only the
 * trace file could not be written). */
enum pipe_err pipeline__finish(struct pipeline *p, const struct tracefile_end *end);
/* Drops the output of a trace that never started. */
void pipeline__abort(struct pipeline *p);
void pipeline__free(struct pipeline *p);

#endif /* FT_PIPELINE_H */
