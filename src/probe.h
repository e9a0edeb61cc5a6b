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

struct probe_opts {
	int pid;
	const char *binary; /* ELF carrying the probes, openable from here */
	uint64_t ring_size;
	bool calibrate; /* programs that return at once */
	probe_record_fn on_record;
	void *ctx;
};

/* What every probe source implements; struct probe is the first member of
 * each source's own state. */
struct probe;
struct probe_ops {
	int (*fd)(const struct probe *p);
	int (*consume)(struct probe *p);
	void (*detach)(struct probe *p);
	void (*drops)(const struct probe *p, uint64_t drops[FT_DROP_MAX]);
	const char *(*name)(const struct probe *p);
	void (*free)(struct probe *p);
};
struct probe {
	const struct probe_ops *ops;
};

/* Opens, configures, loads and attaches. Returns NULL with errno set; err
 * then holds one line saying what failed. */
struct probe *probe_usdt__open(const struct probe_opts *opts, char *err, size_t errlen);

struct pylayout;
struct opcodes_table;

/* How the interpreter probe source sees calls (probe_interp.c). */
enum probe_interp_method {
	PROBE_INTERP_EVAL,  /* _PyEval_EvalFrameDefault entry and return */
	PROBE_INTERP_FRAME, /* bytecode handlers, read-only (3.11+) */
};

struct probe_interp_opts {
	struct probe_opts base; /* binary: the ELF defining _PyEval_EvalFrameDefault */
	enum probe_interp_method method;
	bool eval_entries; /* frame: starts from the eval loop (<= 3.10, or hooked) */
	bool usdt_exits;   /* frame: exits from python:function__return (complete there) */
	const struct pylayout *lay;
	const struct opcodes_table *ops;
	uint64_t runtime_addr;	 /* &_PyRuntime in the target */
	uint64_t code_type_addr; /* &PyCode_Type in the target */
};

struct probe *probe_interp__open(const struct probe_interp_opts *opts, char *err, size_t errlen);

/* The fd to wait on for records (epoll); records may also be pending without
 * a wake-up, so call probe__consume() on a timer too. */
int probe__fd(const struct probe *p);
/* Hands every pending record to on_record. Returns the count or -errno. */
int probe__consume(struct probe *p);
/* Removes the probes from the target; the ring can still be drained. */
void probe__detach(struct probe *p);
/* BPF's loss counters (FT_DROP_*). */
void probe__drops(const struct probe *p, uint64_t drops[FT_DROP_MAX]);
/* "usdt", "eval", "frame", ...: the method, as shown to the user */
const char *probe__name(const struct probe *p);
void probe__free(struct probe *p);

#endif /* FT_PROBE_H */
