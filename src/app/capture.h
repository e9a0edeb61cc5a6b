/* SPDX-License-Identifier: MIT */
/* Capture windows on the record pipeline: --trigger (only the calls inside
 * a matching call, core/trigger.c) and --flight (the last SECONDS of
 * records in a bounded ring, core/flight.c, rendered on SIGUSR1 into a
 * file of its own and at the end into the output). */
#ifndef FT_CAPTURE_H
#define FT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/calltree.h"

struct pipeline;
struct tracefile_end;

/* A trigger for the pipeline's options; NULL (errno set) on failure. */
struct trigger *capture_trigger(struct pipeline *p, bool keep, calltree_complete_fn emit,
				void *ctx);
/* Opens --flight's ring and says on stderr what it keeps. 0 or -errno. */
int capture_flight_open(struct pipeline *p);
/* One ring-buffer record into the ring (the trace applied it already). */
void capture_flight_add(struct pipeline *p, const void *data, uint32_t size);
/* Renders the window ending at end_ts (BPF clock) into out with the
 * pipeline's renderer; e: the trace's end (its drops), or NULL for a
 * window taken while tracing goes on. 0 or -errno. */
int capture_flight_render(struct pipeline *p, FILE *out, uint64_t end_ts,
			  const struct tracefile_end *e);
/* SIGUSR1: writes the window ending at now_ts to a new file named after
 * -o with the time, through the sink (0600, temporary name, renamed into
 * place), and says so on stderr; a child process does it, so tracing goes
 * on meanwhile (and whatever happens). */
void capture_flight_dump(struct pipeline *p, uint64_t now_ts);
/* Collects the process writing a window, if it is done (wait: waits for
 * it). Called at every turn of the event loop and before the end. */
void capture_flight_reap(struct pipeline *p, bool wait);
/* The name a dump at wall time `when` gets: "DIR/NAME.STAMP.EXT" after
 * -o DIR/NAME.EXT, or "flowtrace.STAMP.EXT" (EXT from the format) without
 * a file to name it after; STAMP is UTC, "20261207T121314.123Z". Pure.
 * Returns 0, or -ENAMETOOLONG. */
int capture_dump_name(char *buf, size_t len, const char *output, const char *format,
		      const struct timespec *when);

#endif /* FT_CAPTURE_H */
