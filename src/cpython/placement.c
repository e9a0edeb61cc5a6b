// SPDX-License-Identifier: MIT
/* Probe placement on an emulated instruction (placement.h). The walk is
 * conservative: any doubt keeps the probe on the label, which is always
 * right, only dearer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython/opcodes.h"
#include "cpython/placement.h"
#include "sys/disasm.h"
#include "sys/elfimage.h"

static bool is_target(const struct placement_code *c, uint64_t addr)
{
	size_t lo = 0, hi = c->ntargets;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->targets[mid] == addr)
			return true;
		if (c->targets[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool overlaps(int64_t a, unsigned alen, int64_t b, unsigned blen)
{
	return a < b + (int64_t)blen && b < a + (int64_t)alen;
}

/* Why the store in in may change what r describes, or NULL. callers: the
 * registers that hold the caller's frame (r->unlinks). */
static const char *store_conflict(const struct disasm_insn *in, const struct placement_reads *r,
				  uint32_t callers)
{
	unsigned size = in->store_size ? in->store_size : 8;

	if (in->store_base == DISASM_RIP || in->store_base < 0)
		return "stores to a global";
	if (in->store_base == DISASM_RSP) {
		if (!r->stack_state)
			return NULL;
		if (in->store_index || !r->stack_size)
			return "stores to the stack, where the current frame may be";
		return overlaps(in->store_disp, size, r->stack_off, r->stack_size)
			       ? "stores to the current frame's slot on the stack"
			       : NULL;
	}
	if (in->store_index &&
	    !(in->store_base >= 0 && in->store_base < 16 && (callers & 1u << in->store_base)))
		return "stores through an index register";
	for (size_t i = 0; i < r->nfields; i++)
		if (overlaps(in->store_disp, size, r->fields[i].off, r->fields[i].size))
			return "stores at the displacement of a field the program reads";
	return NULL;
}

static void keep(struct placement *out, uint64_t handler, uint64_t at, const char *what)
{
	out->vaddr = handler;
	out->moved = false;
	snprintf(out->why, sizeof(out->why), "+%u: %s", (unsigned)(at - handler), what);
}

int placement_walk(struct disasm *d, const struct placement_code *c, uint64_t handler,
		   const struct placement_reads *r, struct placement *out)
{
	uint64_t at = handler, end = c->vaddr + c->len;
	struct disasm_insn in;
	bool first = true;
	/* with r->track_frame: registers written since the label, and those that
	 * hold the frame the handler runs (0: not known yet) */
	uint32_t written = 0, frame = 0;
	/* with r->unlinks: registers holding the caller, loaded from the
	 * frame's previous */
	uint32_t callers = 0;

	memset(out, 0, sizeof(*out));
	out->vaddr = handler;
	out->frame_reg = -1;
	if (handler < c->vaddr || handler >= end)
		return -EINVAL;
	for (;;) {
		const char *why;

		if (at - handler >= PLACEMENT_MAX_BYTES) {
			keep(out, handler, at, "no emulated instruction this close to the label");
			return 0;
		}
		/* the label is entered from the dispatch; past it, only straight
		 * flow may arrive, or the probe would fire on other paths too */
		if (!first && is_target(c, at)) {
			keep(out, handler, at, "a branch target before any emulated instruction");
			return 0;
		}
		if (at >= end || disasm_one(d, c->bytes + (at - c->vaddr), end - at, at, &in)) {
			keep(out, handler, at, "cannot decode");
			return 0;
		}
		if (first) {
			out->emulated = in.emulated;
			snprintf(out->insn, sizeof(out->insn), "%s", in.text);
		}
		if (in.emulated && r->track_frame && !frame) {
			keep(out, handler, at, "the frame's register is not known here");
			return 0;
		}
		if (in.emulated) {
			for (int i = 0; i < 16 && r->track_frame; i++)
				if (frame & 1u << i) {
					out->frame_reg = i;
					break;
				}
			out->vaddr = at;
			out->moved = !first;
			out->emulated = true;
			snprintf(out->insn, sizeof(out->insn), "%s", in.text);
			return 0;
		}
		if (in.flow != DISASM_NEXT) {
			keep(out, handler, at,
			     "control leaves by an instruction the kernel single-steps");
			return 0;
		}
		if (in.writes & r->regs) {
			keep(out, handler, at, "writes a register the program reads");
			return 0;
		}
		if (r->stack_state && (in.writes & 1u << DISASM_RSP)) {
			keep(out, handler, at, "moves the stack pointer");
			return 0;
		}
		if (in.stores && (why = store_conflict(&in, r, callers))) {
			keep(out, handler, at, why);
			return 0;
		}
		if (r->track_frame) {
			uint32_t before = frame;
			bool plain = in.stores && !in.store_index && in.store_base >= 0 &&
				     in.store_base < 16 && in.store_base != DISASM_RSP &&
				     !(written & 1u << in.store_base);

			/* the first store at frame_ip from a register not yet
			 * written names the frame's register */
			if (!frame && plain && in.store_disp == r->frame_ip)
				frame = 1u << in.store_base;
			/* a yield clears the previous of the frame it suspends:
			 * the only zero stored there in the handler */
			if (r->unlinks && plain && in.store_zero && in.store_size == 8 &&
			    in.store_disp == r->frame_back)
				frame |= 1u << in.store_base;
			if (in.copy_src >= 0 && in.copy_src < 16 && in.copy_dest >= 0 &&
			    in.copy_dest < 16 && (frame & 1u << in.copy_src))
				frame |= 1u << in.copy_dest;
			else
				frame &= ~in.writes;
			callers &= ~in.writes;
			if (r->unlinks && in.load && in.load_disp == r->frame_back &&
			    in.load_base >= 0 && in.load_base < 16 && in.load_dest >= 0 &&
			    in.load_dest < 16 && (before & 1u << in.load_base))
				callers |= 1u << in.load_dest;
			written |= in.writes;
		}
		at += in.len;
		first = false;
	}
}

int placement_cframe_local(struct disasm *d, const uint8_t *eval, size_t len, uint64_t vaddr,
			   int64_t ts_cframe, int64_t *off)
{
	int64_t lea_disp[16];
	bool lea_ok[16] = {false};
	size_t pos = 0;

	/* the prologue: pushes and "sub $N,%rsp" first, then &cframe taken
	 * with lea from %rsp and stored at tstate->cframe, on the path that
	 * falls through every early check (a jcc to an error exit). A %rsp
	 * change after the lea would make its displacement stale: start over
	 * then. */
	for (int n = 0; n < 64 && pos < len; n++) {
		struct disasm_insn in;

		if (disasm_one(d, eval + pos, len - pos, vaddr + pos, &in) ||
		    (in.flow != DISASM_NEXT && in.flow != DISASM_JCC))
			return -ENOENT;
		if (in.writes & 1u << DISASM_RSP)
			memset(lea_ok, 0, sizeof(lea_ok));
		if (in.stores && in.store_disp == ts_cframe && in.store_base >= 0 &&
		    in.store_base < 16 && in.store_base != DISASM_RSP && !in.store_index &&
		    in.store_src >= 0 && in.store_src < 16) {
			if (!lea_ok[in.store_src])
				return -ENOENT;
			*off = lea_disp[in.store_src];
			return 0;
		}
		for (int r = 0; r < 16; r++)
			if (in.writes & 1u << r)
				lea_ok[r] = false;
		if (in.lea && in.lea_base == DISASM_RSP && in.lea_dest >= 0 && in.lea_dest < 16) {
			lea_ok[in.lea_dest] = true;
			lea_disp[in.lea_dest] = in.lea_disp;
		}
		pos += in.len;
	}
	return -ENOENT;
}

struct placement_image {
	struct disasm *d;
	struct placement_code code;
	uint64_t *targets;
	size_t n, cap;
	uint64_t eval_vaddr, eval_size;
};

static void add_target(uint64_t t, void *ctx)
{
	struct placement_image *pi = ctx;

	if (pi->n == pi->cap) {
		size_t cap = pi->cap ? pi->cap * 2 : 1024;
		uint64_t *p = realloc(pi->targets, cap * sizeof(*p));

		if (!p)
			return; /* placement_image_open checks n against the count */
		pi->targets = p;
		pi->cap = cap;
	}
	pi->targets[pi->n++] = t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int placement_image_open(const struct elfimage *img, const struct opcodes_table *t,
			 struct placement_image **out)
{
	struct placement_image *pi = calloc(1, sizeof(*pi));
	const struct elfimage_section *sec;
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t found;
	int err;

	*out = NULL;
	if (!pi)
		return -ENOMEM;
	err = disasm_open(&pi->d);
	if (err)
		goto fail;
	err = -ENOENT;
	sec = elfimage__section_at(img, t->eval_vaddr);
	if (!sec)
		goto fail;
	pi->code.vaddr = sec->addr;
	pi->code.len = sec->size;
	pi->code.bytes = elfimage__bytes(img, sec->addr, sec->size);
	if (!pi->code.bytes)
		goto fail;
	pi->eval_vaddr = t->eval_vaddr;
	pi->eval_size = t->eval_size;
	/* only the targets near the handlers matter */
	for (int i = 0; i < OPCODES__NR; i++) {
		if (t->ops[i].opcode < 0)
			continue;
		lo = t->ops[i].vaddr < lo ? t->ops[i].vaddr : lo;
		hi = t->ops[i].vaddr > hi ? t->ops[i].vaddr : hi;
	}
	hi += PLACEMENT_MAX_BYTES;
	/* branches from anywhere in the section: the eval loop's .cold part
	 * and other functions' tail calls count as much as its own */
	found = disasm_branch_targets(pi->d, pi->code.bytes, pi->code.len, pi->code.vaddr, lo, hi,
				      add_target, pi);
	err = -ENOMEM;
	if (found != pi->n)
		goto fail;
	/* and every computed-goto label */
	for (int i = 0; i < OPCODES_NSLOTS; i++) {
		add_target(t->handlers[i], pi);
		if (pi->n != found + i + 1)
			goto fail;
	}
	qsort(pi->targets, pi->n, sizeof(*pi->targets), cmp_u64);
	pi->code.targets = pi->targets;
	pi->code.ntargets = pi->n;
	*out = pi;
	return 0;
fail:
	placement_image_close(pi);
	return err;
}

void placement_image_close(struct placement_image *pi)
{
	if (!pi)
		return;
	disasm_close(pi->d);
	free(pi->targets);
	free(pi);
}

int placement_choose(struct placement_image *pi, uint64_t handler, const struct placement_reads *r,
		     struct placement *out)
{
	return placement_walk(pi->d, &pi->code, handler, r, out);
}

int placement_image_cframe_local(struct placement_image *pi, int64_t ts_cframe, int64_t *off)
{
	uint64_t start = pi->eval_vaddr - pi->code.vaddr;

	if (pi->eval_vaddr < pi->code.vaddr || start >= pi->code.len)
		return -ENOENT;
	return placement_cframe_local(pi->d, pi->code.bytes + start,
				      pi->code.len - start < pi->eval_size ? pi->code.len - start
									   : pi->eval_size,
				      pi->eval_vaddr, ts_cframe, off);
}
