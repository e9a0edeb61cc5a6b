/* SPDX-License-Identifier: MIT */
/* x86-64 instructions decoded with Capstone, reduced to what choosing a
 * uprobe address needs: how control leaves the instruction, what it
 * stores and which registers it writes, and whether the kernel emulates a
 * uprobe placed on it (cheap) or single-steps it out of line (about 10 us
 * a hit on a PVM guest). Pure: bytes in, facts out. */
#ifndef FT_DISASM_H
#define FT_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* General-purpose registers as x86 encodes them: 0 rax .. 7 rdi, 8-15 r8-r15. */
#define DISASM_RSP 4
#define DISASM_RBP 5
#define DISASM_RIP 16 /* a RIP-relative operand's base */

enum disasm_flow {
	DISASM_NEXT,	   /* falls through to the next instruction */
	DISASM_JMP,	   /* direct jmp: target */
	DISASM_JCC,	   /* direct conditional branch: target or the next one */
	DISASM_CALL,	   /* direct call: target, then back */
	DISASM_FLOW_OTHER, /* ret, indirect jmp/call, int3, syscall, ud2, ... */
};

struct disasm_insn {
	uint64_t vaddr;
	unsigned len;
	enum disasm_flow flow;
	uint64_t target;  /* of a direct jmp, jcc or call */
	bool emulated;	  /* a uprobe here is emulated by the kernel, not single-stepped */
	bool stores;	  /* writes memory through an explicit operand */
	int store_base;	  /* its base register (DISASM_RIP, or -1: none) */
	bool store_index; /* the address has an index register */
	int64_t store_disp;
	unsigned store_size;
	int store_src;	 /* the register a store writes out, or -1 */
	bool store_zero; /* the store writes an immediate 0 */
	/* mov load_disp(load_base),load_dest: a 64-bit load, no index */
	bool load;
	int load_base, load_dest;
	int64_t load_disp;
	int copy_src, copy_dest; /* mov %copy_src,%copy_dest, 64-bit; else -1 */
	bool lea;		 /* lea lea_disp(lea_base),lea_dest */
	int lea_base, lea_dest;
	int64_t lea_disp;
	uint32_t writes; /* general-purpose registers written: bit n is register n */
	char text[64];	 /* "je 0x1143f9" */
};

struct disasm;

/* A decoder for x86-64. Returns 0, -ENOMEM or -ENOTSUP (Capstone refused). */
int disasm_open(struct disasm **out);
void disasm_close(struct disasm *d);

/* Decodes the instruction at code (len bytes available, at vaddr).
 * Returns 0, or -EINVAL when the bytes are no valid instruction. */
int disasm_one(struct disasm *d, const uint8_t *code, size_t len, uint64_t vaddr,
	       struct disasm_insn *out);

/* Whether the kernel's x86-64 uprobe code (arch/x86/kernel/uprobes.c,
 * checked for 6.18) emulates the instruction at p of length len instead of
 * single-stepping it: the nops of x86_nops[] and 0x90 with legacy
 * prefixes, jmp rel8/rel32, call rel32, jcc rel8/rel32 (none with a 0x66
 * prefix) and push of a 64-bit register. mov, lea, ret, indirect branches
 * and everything else are single-stepped. Encoding rules only, so the
 * callers never depend on how the kernel names them. */
bool disasm_kernel_emulates(const uint8_t *p, size_t len);

/* Linear sweep of code (at vaddr): calls fn for every direct jmp, jcc and
 * call whose target lies in [lo, hi). Bytes that decode to nothing are
 * skipped one at a time. Returns how many targets were reported. */
size_t disasm_branch_targets(struct disasm *d, const uint8_t *code, size_t len, uint64_t vaddr,
			     uint64_t lo, uint64_t hi, void (*fn)(uint64_t target, void *ctx),
			     void *ctx);

#endif /* FT_DISASM_H */
