/* SPDX-License-Identifier: MIT */
/* Where a uprobe on a bytecode handler goes. The handler labels start with
 * mov/lea, which the kernel single-steps out of line (about 10 us a hit on
 * a PVM guest); a few instructions on, the straight-line code from the
 * label reaches a branch or call, which the kernel emulates (well under
 * 1 us). Moving the probe there is exact when that instruction runs once
 * per execution of the handler (nothing jumps into the stretch from
 * elsewhere) and nothing in the stretch changes what the BPF program
 * reads. Otherwise the probe stays on the label. A pure function of the
 * image's bytes, the handler address and a description of what the
 * program reads, so it applies to every CPython version alike.
 * docs/interpreter-layout.md, "Probe placement". */
#ifndef FT_PLACEMENT_H
#define FT_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct disasm;
struct elfimage;
struct opcodes_table;

#define PLACEMENT_MAX_FIELDS 8
#define PLACEMENT_MAX_BYTES  192 /* how far from the label the walk looks */

/* What the BPF program reads at the probe. */
struct placement_reads {
	/* fields read through pointers: a store at one of these displacements
	 * from any base register (but %rsp) may be a store to one of them */
	struct {
		int64_t off;
		unsigned size;
	} fields[PLACEMENT_MAX_FIELDS];
	size_t nfields;
	/* part of the state lives in the eval function's own stack frame (3.11
	 * and 3.12 keep current_frame in a local _PyCFrame): at [stack_off,
	 * +stack_size) from %rsp, or anywhere when stack_size is 0 */
	bool stack_state;
	int64_t stack_off;
	unsigned stack_size;
	uint32_t regs; /* general-purpose registers read (bit n: register n) */
	/* The program may take the current frame from a register instead of
	 * memory (track_frame): the register the handler's frame lives in is
	 * the base of its store at frame_ip (frame->instr_ptr or prev_instr,
	 * which every handler writes first), followed through register copies
	 * to the chosen place; out->frame_reg says which holds it there. The
	 * current-frame field is then left out of fields[]. */
	bool track_frame;
	int64_t frame_ip;
	/* With track_frame, at a yield handler (3.12/3.13 YIELD_VALUE: frame =
	 * frame->previous, then gen_frame->previous = NULL): the store of an
	 * immediate 0 at frame_back from a register not written since the label
	 * names the yielding frame's register, and an indexed store based on a
	 * register loaded from frame_back (the caller's frame: the value pushed
	 * onto the caller's stack, within the caller's own frame) touches no
	 * field of the yielding frame. frame_back is then left out of fields[]
	 * (the program reads no caller from an exit). */
	bool unlinks;
	int64_t frame_back;
};

/* The code the walk reads: bytes at vaddr, and every address something
 * other than straight-line flow reaches (direct branch targets, the
 * computed-goto labels), sorted. */
struct placement_code {
	const uint8_t *bytes;
	size_t len;
	uint64_t vaddr;
	const uint64_t *targets;
	size_t ntargets;
};

struct placement {
	uint64_t vaddr; /* where the probe goes: the handler itself when not moved */
	bool moved;	/* to an emulated instruction after the label */
	bool emulated;	/* the instruction at vaddr is emulated by the kernel */
	int frame_reg;	/* with reads.track_frame: the register holding the frame there, or -1 */
	char insn[64];	/* that instruction */
	char why[128];	/* when not moved: why not */
};

/* Walks from handler along straight-line code to the first instruction the
 * kernel emulates, and checks the stretch before it: no address in it (but
 * the label) is in c->targets, no instruction leaves it otherwise, and
 * none writes what r describes. Fills out with the chosen place, or with
 * the handler and the reason in why. Returns 0, or -EINVAL when handler
 * lies outside the code. */
int placement_walk(struct disasm *d, const struct placement_code *c, uint64_t handler,
		   const struct placement_reads *r, struct placement *out);

/* The %rsp offset of the local whose address the eval function stores at
 * displacement ts_cframe (tstate->cframe = &cframe in 3.11/3.12), found in
 * its first instructions (eval: its bytes at vaddr). Returns 0 with *off,
 * or -ENOENT when the prologue does not show it plainly. */
int placement_cframe_local(struct disasm *d, const uint8_t *eval, size_t len, uint64_t vaddr,
			   int64_t ts_cframe, int64_t *off);

/* An image's code prepared for placement_walk: the section holding the
 * eval loop and the targets of t's handlers' neighbourhood. */
struct placement_image;

int placement_image_open(const struct elfimage *img, const struct opcodes_table *t,
			 struct placement_image **out);
void placement_image_close(struct placement_image *pi);
/* placement_walk on the image (handler: a vaddr of it) */
int placement_choose(struct placement_image *pi, uint64_t handler, const struct placement_reads *r,
		     struct placement *out);
/* placement_cframe_local on the image's eval function */
int placement_image_cframe_local(struct placement_image *pi, int64_t ts_cframe, int64_t *off);

#endif /* FT_PLACEMENT_H */
