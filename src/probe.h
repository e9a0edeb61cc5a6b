/* SPDX-License-Identifier: MIT */
/* Probe sources: what puts ENTRY/RETURN records into the ring buffer. Each
 * source (USDT markers today) sits behind this interface, so the event loop
 * and the call-tree builder never know which one produced a record. */
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

struct probe;

/* Opens, configures, loads and attaches. Returns NULL with errno set; err
 * then holds one line saying what failed. */
struct probe *probe_usdt__open(const struct probe_opts *opts, char *err, size_t errlen);

/* The fd to wait on for records (epoll); records may also be pending without
 * a wake-up, so call probe__consume() on a timer too. */
int probe__fd(const struct probe *p);
/* Hands every pending record to on_record. Returns the count or -errno. */
int probe__consume(struct probe *p);
/* Removes the probes from the target; the ring can still be drained. */
void probe__detach(struct probe *p);
/* BPF's loss counters (FT_DROP_*). */
void probe__drops(const struct probe *p, uint64_t drops[FT_DROP_MAX]);
const char *probe__name(const struct probe *p);
void probe__free(struct probe *p);

#endif /* FT_PROBE_H */
