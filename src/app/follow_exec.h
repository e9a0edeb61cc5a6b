/* SPDX-License-Identifier: MIT */
/* --follow: what becomes of a followed process that exec'd. The target's
 * interpreter again is traced afresh by the probes already in; another
 * CPython gets a probe set of its own (probe__join), attached while it
 * runs, never stopped; anything else is passed over. */
#ifndef FT_FOLLOW_EXEC_H
#define FT_FOLLOW_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "flowtrace/event.h"

struct config;
struct probe;
struct target;
struct follow_execs;

/* first: the target the probes were opened for (kept by the caller, as
 * probe); its executable and interpreter file are what an exec is
 * compared with. NULL with errno set. */
struct follow_execs *follow_execs__new(const struct config *cfg, struct probe *probe,
				       const struct target *first);
void follow_execs__free(struct follow_execs *f);
/* An FT_REC_EXEC record, in ring order: judged later (follow_execs__judge),
 * since the new program may not have mapped its interpreter yet. */
void follow_execs__add(struct follow_execs *f, const struct ft_rec_exec *x);
/* After each drain: judges the execs waiting, attaching probe sets for
 * other CPythons; now is CLOCK_MONOTONIC ns. final: the trace ends, no
 * probe goes in any more: what is left is said, not traced. */
void follow_execs__judge(struct follow_execs *f, uint64_t now, bool final);

#endif /* FT_FOLLOW_EXEC_H */
