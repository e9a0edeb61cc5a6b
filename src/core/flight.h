/* SPDX-License-Identifier: MIT */
/* --flight: the most recent records of a trace in bounded memory. Only
 * what the call-tree builder needs is kept: the 32-byte header of every
 * ENTRY, RETURN and EXEC record, in ring order (names and comms stay in
 * the trace's own tables). Records older than the window go; when the
 * window holds more records than the bound, the oldest go first and the
 * window is said to be shortened, never silently. Pure. */
#ifndef FT_FLIGHT_H
#define FT_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtrace/event.h"

struct flight_opts {
	uint64_t window_ns; /* how far back to keep */
	uint64_t max_bytes; /* the memory the ring may take, at most */
};

/* The window ending at end_ts, as flight__window() finds it. */
struct flight_window {
	uint64_t start_ts; /* its first instant (BPF clock) */
	uint64_t end_ts;
	bool shortened;	  /* the bound pushed out records of the window:
			    * start_ts is later than end_ts - window_ns */
	uint64_t records; /* records in it */
};

struct flight;

/* NULL with errno set. Memory grows with use, up to opts.max_bytes. */
struct flight *flight__new(const struct flight_opts *opts);
void flight__free(struct flight *f);
/* The records the bound holds: max_bytes / 32. */
uint64_t flight__capacity(const struct flight *f);
/* Keeps one record (others than ENTRY, RETURN, EXEC are ignored). h->arg
 * is kept as given: the caller stores the name id it resolved. Returns 0
 * or -ENOMEM (the record is not kept; the window is shortened). */
int flight__add(struct flight *f, const struct ft_rec_hdr *h);
/* The window ending at end_ts (0: the newest record). */
void flight__window(const struct flight *f, uint64_t end_ts, struct flight_window *w);
/* Calls fn for each record of w, oldest first; stops at fn's first non-zero
 * return, which it returns. */
int flight__each(const struct flight *f, const struct flight_window *w,
		 int (*fn)(void *ctx, const struct ft_rec_hdr *h), void *ctx);
/* Bytes held now (the ring's array). */
uint64_t flight__bytes(const struct flight *f);

#endif /* FT_FLIGHT_H */
