/* SPDX-License-Identifier: MIT */
/* Where the interpreter source's handler probes go (cpython/placement.h
 * does the walk): what interp.bpf.c's ft_op reads, described for the
 * walk, and each handler's chosen file offset. */
#ifndef FT_PROBE_PLACE_H
#define FT_PROBE_PLACE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpython/opcodes.h"

struct elfimage;
struct pylayout;
struct placement_reads;
struct probe_place;

/* What ft_op reads, per layout: the current frame (tstate->current_frame
 * in 3.13+, else cframe->current_frame with the cframe a local of the eval
 * function at cframe_local from %rsp, or -1 when unknown) and the frame's
 * code, back and owner fields. No register. */
void probe_place_frame_reads(const struct pylayout *l, int64_t cframe_local,
			     struct placement_reads *r);

/* Prepares placement for img's handlers. Never fails: on any problem the
 * probes stay on the labels (and verbose says why). */
struct probe_place *probe_place_open(const struct elfimage *img, const struct opcodes_table *t,
				     const struct pylayout *l, bool verbose);
void probe_place_close(struct probe_place *pp);

/* The file offset to attach op's handler probe to; *cookie_reg gets the
 * attach cookie's register part (FT_OP_COOKIE_REG_SHIFT, flowtrace/interp.h):
 * 0, or 1 + the register that holds the frame there when the probe only
 * moves past the frame's unlinking by reading it from a register. */
uint64_t probe_place_offset(struct probe_place *pp, enum opcodes_op op,
			    const struct opcodes_handler *h, uint64_t *cookie_reg);

/* What ft_op reads when it takes the frame from a register: the frame's
 * fields only (the register is tracked from the handler's store at
 * frame->ip). */
void probe_place_reg_reads(const struct pylayout *l, struct placement_reads *r);
/* The same at a yield handler, which unlinks the frame it suspends before
 * any emulated instruction: an exit reads no caller, so the frame's
 * previous may change (placement.h, unlinks). */
void probe_place_yield_reads(const struct pylayout *l, struct placement_reads *r);

#endif /* FT_PROBE_PLACE_H */
