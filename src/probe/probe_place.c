// SPDX-License-Identifier: MIT
/* Handler probes on emulated instructions (probe_place.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython/placement.h"
#include "cpython/pylayout.h"
#include "probe/probe_place.h"
#include "sys/elfimage.h"

struct probe_place {
	struct placement_image *pi; /* NULL: every probe stays on its label */
	struct placement_reads reads, reg_reads, yield_reads;
	bool verbose;
};

static void add_field(struct placement_reads *r, int64_t off, unsigned size)
{
	if (off < 0 || r->nfields >= PLACEMENT_MAX_FIELDS)
		return;
	r->fields[r->nfields].off = off;
	r->fields[r->nfields++].size = size;
}

void probe_place_frame_reads(const struct pylayout *l, int64_t cframe_local,
			     struct placement_reads *r)
{
	memset(r, 0, sizeof(*r));
	if (l->tstate.frame >= 0) {
		add_field(r, l->tstate.frame, 8);
	} else {
		/* tstate->cframe itself changes only on entry to and return
		 * from the eval function, never inside a handler; its
		 * current_frame is written through the local or a pointer */
		add_field(r, l->tstate.cframe_frame, 8);
		r->stack_state = true;
		if (cframe_local >= 0) {
			r->stack_off = cframe_local + l->tstate.cframe_frame;
			r->stack_size = 8;
		}
	}
	add_field(r, l->frame.code, 8);
	add_field(r, l->frame.back, 8);
	if (l->frame.entry_kind == PYLAYOUT_ENTRY_OWNER)
		add_field(r, l->frame.entry, 1);
	/* 3.11's thread state is read from _PyRuntime: the walk treats every
	 * store to a global as a conflict, so nothing to add for it */
}

void probe_place_reg_reads(const struct pylayout *l, struct placement_reads *r)
{
	memset(r, 0, sizeof(*r));
	add_field(r, l->frame.code, 8);
	add_field(r, l->frame.back, 8);
	if (l->frame.entry_kind == PYLAYOUT_ENTRY_OWNER)
		add_field(r, l->frame.entry, 1);
	r->track_frame = l->frame.ip >= 0;
	r->frame_ip = l->frame.ip;
}

void probe_place_yield_reads(const struct pylayout *l, struct placement_reads *r)
{
	/* an exit names its frame by its code; the owner is read only by a
	 * thread's first snapshot, and a suspending generator's frame stays
	 * the generator's (no yield handler writes it, and 3.14's
	 * tstate->current_frame store, through a base the walk cannot tell
	 * from a frame, lies at the owner's displacement) */
	memset(r, 0, sizeof(*r));
	add_field(r, l->frame.code, 8);
	r->track_frame = l->frame.ip >= 0 && l->frame.back >= 0;
	r->frame_ip = l->frame.ip;
	r->unlinks = r->track_frame;
	r->frame_back = l->frame.back;
}

struct probe_place *probe_place_open(const struct elfimage *img, const struct opcodes_table *t,
				     const struct pylayout *l, bool verbose)
{
	struct probe_place *pp = calloc(1, sizeof(*pp));
	int64_t local = -1;
	int err;

	if (!pp)
		return NULL;
	pp->verbose = verbose;
	/* FLOWTRACE_PROBE_LABELS=1 keeps every probe on its label: the
	 * benchmarks' "before", and a way out should a placement ever be
	 * wrong on some build */
	if (getenv("FLOWTRACE_PROBE_LABELS") && !strcmp(getenv("FLOWTRACE_PROBE_LABELS"), "1")) {
		if (verbose)
			fprintf(stderr,
				"flowtrace-bpf: probe placement off "
				"(FLOWTRACE_PROBE_LABELS=1): handler probes on their labels\n");
		return pp;
	}
	err = placement_image_open(img, t, &pp->pi);
	if (err) {
		if (verbose)
			fprintf(stderr,
				"flowtrace-bpf: probe placement: cannot read the eval loop's code "
				"(%s): handler probes stay on their labels\n",
				strerror(-err));
		probe_place_frame_reads(l, -1, &pp->reads);
		return pp;
	}
	if (l->tstate.frame < 0 && placement_image_cframe_local(pp->pi, l->tstate.cframe, &local) &&
	    verbose)
		fprintf(stderr, "flowtrace-bpf: probe placement: the eval loop's _PyCFrame local "
				"not found: no probe moves past a store to the stack\n");
	probe_place_frame_reads(l, local, &pp->reads);
	probe_place_reg_reads(l, &pp->reg_reads);
	probe_place_yield_reads(l, &pp->yield_reads);
	return pp;
}

void probe_place_close(struct probe_place *pp)
{
	if (!pp)
		return;
	placement_image_close(pp->pi);
	free(pp);
}

static const char *reg_name(int r)
{
	static const char *const names[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
					      "rsi", "rdi", "r8",  "r9",  "r10", "r11",
					      "r12", "r13", "r14", "r15"};

	return r >= 0 && r < 16 ? names[r] : "?";
}

uint64_t probe_place_offset(struct probe_place *pp, enum opcodes_op op,
			    const struct opcodes_handler *h, uint64_t *cookie_reg)
{
	struct placement pl, viareg;
	uint64_t off;

	*cookie_reg = 0;
	if (!pp || !pp->pi || placement_choose(pp->pi, h->vaddr, &pp->reads, &pl)) {
		if (pp && pp->verbose)
			fprintf(stderr,
				"flowtrace-bpf: probe %s stays on its label at file offset "
				"%#" PRIx64 ": placement off\n",
				opcodes_name(op), h->offset);
		return h->offset;
	}
	/* where the frame is unlinked before any emulated instruction, the
	 * program can still take it from the register that holds it */
	if (!pl.moved && !pl.emulated && pp->reg_reads.track_frame &&
	    !placement_choose(pp->pi, h->vaddr, &pp->reg_reads, &viareg) && viareg.moved &&
	    viareg.frame_reg >= 0) {
		pl = viareg;
		*cookie_reg = (uint64_t)(pl.frame_reg + 1);
	}
	/* a yield also clears the suspended frame's previous; its exit reads
	 * none, and BPF walks a first snapshot on from the current frame */
	if (!pl.moved && !pl.emulated && op == OPCODES_YIELD_VALUE && pp->yield_reads.track_frame &&
	    !placement_choose(pp->pi, h->vaddr, &pp->yield_reads, &viareg)) {
		if (viareg.moved && viareg.frame_reg >= 0) {
			pl = viareg;
			*cookie_reg = (uint64_t)(pl.frame_reg + 1);
		} else {
			/* what stopped the walk that went furthest */
			snprintf(pl.why, sizeof(pl.why), "%s", viareg.why);
		}
	}
	/* the moved address lies a few bytes on in the same segment */
	off = h->offset + (pl.vaddr - h->vaddr);
	if (!pp->verbose)
		return off;
	if (pl.moved)
		fprintf(stderr,
			"flowtrace-bpf: probe %s moved to +%u at file offset %#" PRIx64
			" (%s): emulated, not single-stepped%s%s\n",
			opcodes_name(op), (unsigned)(pl.vaddr - h->vaddr), off, pl.insn,
			*cookie_reg ? "; the frame read from register " : "",
			*cookie_reg ? reg_name(pl.frame_reg) : "");
	else if (pl.emulated)
		fprintf(stderr,
			"flowtrace-bpf: probe %s on its label at file offset %#" PRIx64
			" (%s): emulated\n",
			opcodes_name(op), off, pl.insn);
	else
		fprintf(stderr,
			"flowtrace-bpf: probe %s stays on its label at file offset %#" PRIx64
			" (%s): single-stepped; not moved: %s\n",
			opcodes_name(op), off, pl.insn, pl.why);
	return off;
}
