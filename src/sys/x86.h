/* SPDX-License-Identifier: MIT */
/* The x86-64 decoding flowtrace-bpf does: recognising the few instruction
 * shapes CPython's one-line accessors compile to, so their field offsets
 * and globals can be read from the code. Kept behind these three calls so
 * a real disassembler (Capstone) can replace it without touching the
 * callers (opcodes.c, pylayout.c). Pure: bytes in, numbers out. */
#ifndef FT_X86_H
#define FT_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the 64-bit loads an accessor starts with (after endbr64, pushes
 * and "sub $imm8,%rsp", which leave the argument registers alone):
 * "mov D0(%rdi),%r1; mov D1(%r1),%r2; ..." where %rdi is the first
 * argument and each load's base is the register the previous one loaded.
 * Stores up to max displacements and returns how many it found (0 when the
 * code starts some other way). GetEvalFrameFunc gives interp->eval_frame;
 * 3.11's PyThreadState_GetFrame gives tstate->cframe, then
 * cframe->current_frame. */
size_t x86_decode_load_chain(const uint8_t *code, size_t len, int64_t *disps, size_t max);

/* The first displacement of such a chain: 0, or -EINVAL. */
int x86_decode_field_load(const uint8_t *code, size_t len, int64_t *disp);

/* Decodes an accessor of a global that starts with "mov REL(%rip),%reg"
 * (after an optional endbr64). Sets *slot to the vaddr it reads (code_vaddr
 * is where code starts). When "mov DISP(%reg),..." follows (a GOT load,
 * then the field), *indirect is true and *disp is DISP; otherwise *indirect
 * is false and *disp 0. Returns 0 or -EINVAL. */
int x86_decode_global_load(const uint8_t *code, size_t len, uint64_t code_vaddr, uint64_t *slot,
			   bool *indirect, int64_t *disp);

/* Counts the "call rel32" (E8) byte patterns in code (at code_vaddr)
 * whose target is one of targets[]: a byte scan, not a disassembly, so it
 * can count a call that is not one; callers use it to find that calls
 * exist, where finding none means refusing. */
unsigned x86_count_calls(const uint8_t *code, size_t len, uint64_t code_vaddr,
			 const uint64_t *targets, size_t ntargets);

/* Whether the 6 bytes at code (at code_vaddr) are "jmp *REL(%rip)" (ff 25),
 * a PLT stub's jump through its GOT slot: sets *slot to the slot's vaddr. */
bool x86_jmp_rip_slot(const uint8_t *code, size_t len, uint64_t code_vaddr, uint64_t *slot);

#endif /* FT_X86_H */
