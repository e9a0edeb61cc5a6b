// SPDX-License-Identifier: MIT
/* placement: the kernel's emulation rule on encodings, the walk from a
 * handler label on synthetic code, and the places chosen in the real
 * libpythons (pyenv 3.11-3.13, Debian's python3.11) when installed, each
 * checked again here instruction by instruction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpython/opcodes.h"
#include "cpython/placement.h"
#include "cpython/pylayout.h"
#include "probe/probe_place.h"
#include "sys/disasm.h"
#include "sys/elfimage.h"
#include "sys/elfinfo.h"
#include "test.h"

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

FT_TEST(disasm_kernel_emulation_rule)
{
	const struct {
		const uint8_t *code;
		size_t len;
		bool emulated;
	} cases[] = {
		{B(0x90), true},			    /* nop */
		{B(0x66, 0x90), true},			    /* xchg %ax,%ax: x86_nops[2] */
		{B(0x0f, 0x1f, 0x44, 0x00, 0x00), true},    /* nop5 */
		{B(0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0), true}, /* nop8 */
		{B(0xeb, 0x10), true},			    /* jmp rel8 */
		{B(0xe9, 1, 2, 3, 4), true},		    /* jmp rel32 */
		{B(0xe8, 1, 2, 3, 4), true},		    /* call rel32 */
		{B(0x74, 0x05), true},			    /* je rel8 */
		{B(0x0f, 0x85, 1, 2, 3, 4), true},	    /* jne rel32 */
		{B(0x55), true},			    /* push %rbp */
		{B(0x41, 0x57), true},			    /* push %r15 */
		{B(0x48, 0x8b, 0x03), false},		    /* mov (%rbx),%rax */
		{B(0x48, 0x8d, 0x44, 0x24, 0x10), false},   /* lea */
		{B(0xc3), false},			    /* ret */
		{B(0xff, 0xe0), false},			    /* jmp *%rax */
		{B(0xff, 0x14, 0xc5, 0, 0, 0, 0), false},   /* call *(,%rax,8) */
		{B(0x66, 0xe8, 1, 2), false},		    /* callw: 0x66 refused */
		{B(0x41, 0x90), false},			    /* xchg %eax,%r8d */
		{B(0xf3, 0x0f, 0x1e, 0xfa), false},	    /* endbr64 */
		{B(0x0f, 0x0b), false},			    /* ud2 */
		{B(0x48, 0x89, 0x44, 0x24, 0x10), false},   /* mov %rax,0x10(%rsp) */
		{B(0x0f, 0x1f, 0x44, 0x00, 0x01), false},   /* a nop5 the kernel's table lacks */
	};
	struct disasm *d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (disasm_kernel_emulates(cases[i].code, cases[i].len) != cases[i].emulated)
			FT_FAIL("case %zu: expected %s", i,
				cases[i].emulated ? "emulated" : "single-stepped");
	FT_EQ_INT(disasm_open(&d), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct disasm_insn in;

		/* Capstone agrees on the length, so the rule sees whole instructions */
		if (disasm_one(d, cases[i].code, cases[i].len, 0x1000, &in))
			continue;
		if (in.len == cases[i].len && in.emulated != cases[i].emulated)
			FT_FAIL("case %zu: disasm_one says %d", i, in.emulated);
	}
	disasm_close(d);
}

FT_TEST(disasm_facts)
{
	struct disasm *d;
	struct disasm_insn in;

	FT_EQ_INT(disasm_open(&d), 0);
	/* mov %rax,0x10(%rsp) */
	FT_EQ_INT(disasm_one(d, B(0x48, 0x89, 0x44, 0x24, 0x10), 0x1000, &in), 0);
	FT_TRUE(in.stores && in.store_base == DISASM_RSP && in.store_disp == 0x10);
	FT_EQ_INT(in.store_size, 8);
	FT_EQ_INT(in.store_src, 0);
	FT_EQ_INT(in.flow, DISASM_NEXT);
	FT_EQ_INT(in.len, 5);
	/* mov %rcx,0x48(%rbx,%rdx,8) */
	FT_EQ_INT(disasm_one(d, B(0x48, 0x89, 0x4c, 0xd3, 0x48), 0x1000, &in), 0);
	FT_TRUE(in.stores && in.store_index && in.store_base == 3 && in.store_disp == 0x48);
	/* movb $0xff,-0x5(%rbx) */
	FT_EQ_INT(disasm_one(d, B(0xc6, 0x43, 0xfb, 0xff), 0x1000, &in), 0);
	FT_TRUE(in.stores && in.store_disp == -5 && in.store_size == 1);
	/* mov %rax,0(%rip) */
	FT_EQ_INT(disasm_one(d, B(0x48, 0x89, 0x05, 0, 0, 0, 0), 0x1000, &in), 0);
	FT_TRUE(in.stores && in.store_base == DISASM_RIP);
	/* mov 0x38(%rdi),%rdx: a load, writes rdx */
	FT_EQ_INT(disasm_one(d, B(0x48, 0x8b, 0x57, 0x38), 0x1000, &in), 0);
	FT_TRUE(!in.stores && in.writes == 1u << 2);
	/* lea 0x80(%rsp),%rax */
	FT_EQ_INT(disasm_one(d, B(0x48, 0x8d, 0x84, 0x24, 0x80, 0, 0, 0), 0x1000, &in), 0);
	FT_TRUE(in.lea && in.lea_base == DISASM_RSP && in.lea_dest == 0 && in.lea_disp == 0x80);
	/* je +5 at 0x1000: to 0x1007 */
	FT_EQ_INT(disasm_one(d, B(0x74, 0x05), 0x1000, &in), 0);
	FT_EQ_INT(in.flow, DISASM_JCC);
	FT_EQ_U64(in.target, 0x1007);
	FT_EQ_INT(disasm_one(d, B(0xe8, 0x10, 0, 0, 0), 0x1000, &in), 0);
	FT_EQ_INT(in.flow, DISASM_CALL);
	FT_EQ_U64(in.target, 0x1015);
	FT_EQ_INT(disasm_one(d, B(0xff, 0xe0), 0x1000, &in), 0);
	FT_EQ_INT(in.flow, DISASM_FLOW_OTHER);
	FT_EQ_INT(disasm_one(d, B(0xc3), 0x1000, &in), 0);
	FT_EQ_INT(in.flow, DISASM_FLOW_OTHER);
	FT_EQ_INT(disasm_one(d, B(0x48), 0x1000, &in), -EINVAL);
	disasm_close(d);
}

/* A handler at 0x1000: "mov (%rbx),%rax; mov %r14,0x38(%rbx);" + mid +
 * "je +0x10" */
static int walk(const uint8_t *mid, size_t midlen, const uint64_t *targets, size_t ntargets,
		const struct placement_reads *r, struct placement *out)
{
	uint8_t code[256];
	static const uint8_t head[] = {0x48, 0x8b, 0x03, 0x4c, 0x89, 0x73, 0x38};
	static const uint8_t tail[] = {0x74, 0x10, 0xc3};
	struct placement_code c = {code, 0, 0x1000, targets, ntargets};
	struct disasm *d;
	int rc;

	memcpy(code, head, sizeof(head));
	if (midlen)
		memcpy(code + sizeof(head), mid, midlen);
	memcpy(code + sizeof(head) + midlen, tail, sizeof(tail));
	c.len = sizeof(head) + midlen + sizeof(tail);
	FT_EQ_INT(disasm_open(&d), 0);
	rc = placement_walk(d, &c, 0x1000, r, out);
	disasm_close(d);
	return rc;
}

FT_TEST(placement_walk_synthetic)
{
	struct placement_reads r = {.fields = {{0x48, 8}, {0x20, 8}}, .nfields = 2};
	struct placement pl;
	uint64_t t;

	/* straight to the je at +7 */
	FT_EQ_INT(walk(NULL, 0, NULL, 0, &r, &pl), 0);
	FT_TRUE(pl.moved && pl.emulated);
	FT_EQ_U64(pl.vaddr, 0x1007);
	FT_TRUE(!strncmp(pl.insn, "je", 2));
	/* something jumps to the second instruction: it could run twice */
	t = 0x1003;
	FT_EQ_INT(walk(NULL, 0, &t, 1, &r, &pl), 0);
	FT_TRUE(!pl.moved);
	FT_EQ_U64(pl.vaddr, 0x1000);
	FT_TRUE(strstr(pl.why, "branch target") != NULL);
	/* ... or to the je itself */
	t = 0x1007;
	FT_EQ_INT(walk(NULL, 0, &t, 1, &r, &pl), 0);
	FT_TRUE(!pl.moved);
	/* the label being a target is normal */
	t = 0x1000;
	FT_EQ_INT(walk(NULL, 0, &t, 1, &r, &pl), 0);
	FT_TRUE(pl.moved);
	/* a store at a read field's displacement: mov %r12,0x48(%rax) */
	FT_EQ_INT(walk(B(0x4c, 0x89, 0x60, 0x48), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "field") && strstr(pl.why, "+7:"));
	/* one byte into it (movb %al,0x4f(%rdx)) overlaps too */
	FT_EQ_INT(walk(B(0x88, 0x42, 0x4f), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved);
	/* next to it does not: mov %r12,0x50(%rax) */
	FT_EQ_INT(walk(B(0x4c, 0x89, 0x60, 0x50), NULL, 0, &r, &pl), 0);
	FT_TRUE(pl.moved);
	FT_EQ_U64(pl.vaddr, 0x100b);
	/* a global, an index register */
	FT_EQ_INT(walk(B(0x48, 0x89, 0x05, 0, 0, 0, 0), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "global"));
	FT_EQ_INT(walk(B(0x48, 0x89, 0x4c, 0xd3, 0x48), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "index"));
	/* a single-stepped exit: ret, jmp *%rax */
	FT_EQ_INT(walk(B(0xc3), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "control"));
	FT_EQ_INT(walk(B(0xff, 0xe0), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved);
	/* registers the program reads: mov %rax,%rdi with rdi read */
	r.regs = 1u << 7;
	FT_EQ_INT(walk(B(0x48, 0x89, 0xc7), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "register"));
	r.regs = 1u << 6; /* rsi: untouched */
	FT_EQ_INT(walk(B(0x48, 0x89, 0xc7), NULL, 0, &r, &pl), 0);
	FT_TRUE(pl.moved);
	r.regs = 0;
	/* the stack: free unless state lives there */
	FT_EQ_INT(walk(B(0x48, 0x89, 0x84, 0x24, 0x80, 0, 0, 0), NULL, 0, &r, &pl), 0);
	FT_TRUE(pl.moved);
	r.stack_state = true; /* where: unknown */
	FT_EQ_INT(walk(B(0x48, 0x89, 0x44, 0x24, 0x10), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "stack"));
	r.stack_off = 0x80;
	r.stack_size = 8;
	FT_EQ_INT(walk(B(0x48, 0x89, 0x44, 0x24, 0x10), NULL, 0, &r, &pl), 0);
	FT_TRUE(pl.moved);
	FT_EQ_INT(walk(B(0x48, 0x89, 0x84, 0x24, 0x80, 0, 0, 0), NULL, 0, &r, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "slot"));
	/* nothing emulated within reach */
	{
		uint8_t many[PLACEMENT_MAX_BYTES];

		for (size_t i = 0; i + 3 <= sizeof(many); i += 3)
			memcpy(many + i, (const uint8_t[]){0x48, 0x8b, 0x03}, 3);
		FT_EQ_INT(walk(many, sizeof(many) / 3 * 3, NULL, 0, &r, &pl), 0);
		FT_TRUE(!pl.moved && strstr(pl.why, "close"));
	}
	/* an emulated label stays where it is */
	{
		struct placement_code c = {(const uint8_t[]){0x55, 0xc3}, 2, 0x2000, NULL, 0};
		struct disasm *d;

		FT_EQ_INT(disasm_open(&d), 0);
		FT_EQ_INT(placement_walk(d, &c, 0x2000, &r, &pl), 0);
		FT_TRUE(!pl.moved && pl.emulated);
		FT_EQ_U64(pl.vaddr, 0x2000);
		FT_EQ_INT(placement_walk(d, &c, 0x3000, &r, &pl), -EINVAL);
		disasm_close(d);
	}
}

FT_TEST(placement_walk_frame_register)
{
	/* 3.13.0's RETURN_VALUE: the frame (%rbp) goes to %rsi, %rbp becomes
	 * the caller, tstate->current_frame (0x48) is set to it, then the
	 * call of _PyEval_FrameClearAndPop */
	static const uint8_t code[] = {
		0x4c, 0x89, 0x7d, 0x38,	   /* mov %r15,0x38(%rbp): frame->instr_ptr */
		0x48, 0x89, 0xee,	   /* mov %rbp,%rsi */
		0x4c, 0x89, 0xe5,	   /* mov %r12,%rbp */
		0x4c, 0x89, 0x60, 0x48,	   /* mov %r12,0x48(%rax) */
		0xe8, 0,    0,	  0,	0, /* call */
	};
	struct placement_reads mem = {.fields = {{0x48, 8}, {0x0, 8}, {0x8, 8}}, .nfields = 3};
	struct placement_reads reg = {.fields = {{0x0, 8}, {0x8, 8}},
				      .nfields = 2,
				      .track_frame = true,
				      .frame_ip = 0x38};
	struct placement_code c = {code, sizeof(code), 0x1000, NULL, 0};
	struct placement pl;
	struct disasm *d;
	uint8_t other[sizeof(code)];

	FT_EQ_INT(disasm_open(&d), 0);
	/* reading tstate->current_frame: the store at +10 stops the walk */
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &mem, &pl), 0);
	FT_TRUE(!pl.moved && pl.frame_reg == -1);
	/* from a register: %rsi holds the frame at the call */
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &reg, &pl), 0);
	FT_TRUE(pl.moved);
	FT_EQ_U64(pl.vaddr, 0x100e);
	FT_EQ_INT(pl.frame_reg, 6);
	/* without the copy to %rsi, nothing holds it there */
	memcpy(other, code, sizeof(code));
	memcpy(other + 4, (const uint8_t[]){0x48, 0x89, 0xc6}, 3); /* mov %rax,%rsi */
	c.bytes = other;
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &reg, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "register"));
	/* a store at frame->ip from a register already overwritten names nothing */
	memcpy(other, (const uint8_t[]){0x48, 0x89, 0xc5}, 3); /* mov %rax,%rbp */
	memcpy(other + 3, code, sizeof(code) - 3);
	c.bytes = other;
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &reg, &pl), 0);
	FT_TRUE(!pl.moved);
	disasm_close(d);
}

FT_TEST(placement_walk_yield_unlink)
{
	/* 3.12.1's YIELD_VALUE, cut down: the frame in %rbx (and %rbp),
	 * %rbx becomes the caller, the yielding frame's previous is cleared
	 * through %rbp, the value pushed onto the caller's stack, then jmp */
	static const uint8_t code[] = {
		0x4c, 0x89, 0x53, 0x38,		       /* mov %r10,0x38(%rbx) */
		0x48, 0x8b, 0x5b, 0x08,		       /* mov 0x8(%rbx),%rbx */
		0x48, 0xc7, 0x45, 0x08, 0,    0, 0, 0, /* movq $0,0x8(%rbp) */
		0x48, 0x89, 0x4c, 0xd3, 0x48,	       /* mov %rcx,0x48(%rbx,%rdx,8) */
		0xe9, 0,    0,	  0,	0,	       /* jmp */
	};
	struct placement_reads reg = {.fields = {{0x0, 8}, {0x8, 8}},
				      .nfields = 2,
				      .track_frame = true,
				      .frame_ip = 0x38};
	struct placement_reads yield = {.fields = {{0x0, 8}},
					.nfields = 1,
					.track_frame = true,
					.frame_ip = 0x38,
					.unlinks = true,
					.frame_back = 0x8};
	struct placement_code c = {code, sizeof(code), 0x1000, NULL, 0};
	struct placement pl;
	struct disasm *d;
	uint8_t other[sizeof(code)];

	FT_EQ_INT(disasm_open(&d), 0);
	/* reading the frame's previous: the clearing store stops the walk */
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &reg, &pl), 0);
	FT_TRUE(!pl.moved);
	/* a yield's exit: %rbp, whose previous the handler cleared, holds it */
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &yield, &pl), 0);
	FT_TRUE(pl.moved);
	FT_EQ_U64(pl.vaddr, 0x1015);
	FT_EQ_INT(pl.frame_reg, 5);
	/* an indexed store not based on the caller may hit the frame */
	memcpy(other, code, sizeof(code));
	other[19] = 0xd0; /* mov %rcx,0x48(%rax,%rdx,8) */
	c.bytes = other;
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &yield, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "index"));
	/* a zero stored through a register written since the label names nothing */
	memcpy(other, code, sizeof(code));
	memcpy(other + 4, (const uint8_t[]){0x48, 0x8b, 0x6b, 0x08}, 4); /* mov 0x8(%rbx),%rbp */
	c.bytes = other;
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &yield, &pl), 0);
	FT_TRUE(!pl.moved);
	/* a zero at another displacement names nothing either */
	memcpy(other, code, sizeof(code));
	other[11] = 0x10; /* movq $0,0x10(%rbp) */
	c.bytes = other;
	FT_EQ_INT(placement_walk(d, &c, 0x1000, &yield, &pl), 0);
	FT_TRUE(!pl.moved && strstr(pl.why, "register"));
	disasm_close(d);
}

FT_TEST(placement_cframe_local_synthetic)
{
	/* 3.12.1's prologue: pushes, sub, an early je, then &cframe */
	static const uint8_t ok[] = {
		0x41, 0x57, 0x55, 0x48, 0x81, 0xec, 0x48, 0x01, 0, 0, /* push; push; sub */
		0x48, 0x85, 0xff, 0x74, 0x10,			      /* test; je */
		0x48, 0x8d, 0x84, 0x24, 0x80, 0,    0,	  0,	      /* lea 0x80(%rsp),%rax */
		0x48, 0x8b, 0x57, 0x38,				      /* mov 0x38(%rdi),%rdx */
		0x48, 0x89, 0x47, 0x38,				      /* mov %rax,0x38(%rdi) */
	};
	uint8_t stale[sizeof(ok) + 4];
	struct disasm *d;
	int64_t off = -1;

	FT_EQ_INT(disasm_open(&d), 0);
	FT_EQ_INT(placement_cframe_local(d, ok, sizeof(ok), 0x1000, 0x38, &off), 0);
	FT_EQ_U64(off, 0x80);
	FT_EQ_INT(placement_cframe_local(d, ok, sizeof(ok), 0x1000, 0x40, &off), -ENOENT);
	/* a sub $8,%rsp between the lea and the store makes the lea's offset stale */
	memcpy(stale, ok, 23);
	memcpy(stale + 23, (const uint8_t[]){0x48, 0x83, 0xec, 0x08}, 4);
	memcpy(stale + 27, ok + 23, sizeof(ok) - 23);
	FT_EQ_INT(placement_cframe_local(d, stale, sizeof(stale), 0x1000, 0x38, &off), -ENOENT);
	disasm_close(d);
}

/* --- the real interpreters ---------------------------------------------- */

struct want {
	enum opcodes_op op;
	int moved_by; /* bytes past the label, or -1: stays on the label */
};

static const struct {
	const char *path; /* under the pyenv root when relative */
	int minor;
	struct want want[5];
} builds[] = {
	{"3.11.7/lib/libpython3.11.so.1.0",
	 11,
	 {{OPCODES_RESUME, 24},
	  {OPCODES_RESUME_QUICK, 13},
	  {OPCODES_RETURN_VALUE, 30},
	  {OPCODES_YIELD_VALUE, 36},
	  {OPCODES_PUSH_EXC_INFO, 23}}},
	/* YIELD_VALUE sets the frame's previous to NULL (+62) before any branch */
	{"3.12.1/lib/libpython3.12.so.1.0",
	 12,
	 {{OPCODES_RESUME, 41},
	  {OPCODES_RETURN_VALUE, 18},
	  {OPCODES_RETURN_CONST, 26},
	  {OPCODES_YIELD_VALUE, -1},
	  {OPCODES_PUSH_EXC_INFO, 27}}},
	/* RESUME_CHECK jumps back into RESUME at +8; RETURN_VALUE stores
	 * tstate->current_frame (+43) before its first branch, the call of
	 * _PyEval_FrameClearAndPop */
	{"3.13.0/lib/libpython3.13.so.1.0",
	 13,
	 {{OPCODES_RESUME, -1},
	  {OPCODES_RESUME_CHECK, 27},
	  {OPCODES_RETURN_VALUE, -1},
	  {OPCODES_RETURN_CONST, 27},
	  {OPCODES_PUSH_EXC_INFO, 53}}},
	{"/usr/bin/python3.11",
	 11,
	 {{OPCODES_RESUME, 19},
	  {OPCODES_RESUME_QUICK, 20},
	  {OPCODES_RETURN_VALUE, 30},
	  {OPCODES_YIELD_VALUE, 34},
	  {OPCODES_PUSH_EXC_INFO, 23}}},
};

struct hits {
	uint64_t lo, hi;
	size_t n;
};

static void count_hit(uint64_t t, void *ctx)
{
	((struct hits *)ctx)->n++;
}

/* Checks a moved probe again, apart from the walk: the instruction there
 * is emulated, every one before it from the label falls through, nothing
 * in the section branches into (label, place], and no store between hits
 * what r lists. */
static void recheck(const struct elfimage *img, struct disasm *d, uint64_t label, uint64_t place,
		    const struct placement_reads *r, const char *what)
{
	const struct elfimage_section *sec = elfimage__section_at(img, label);
	const uint8_t *bytes = elfimage__bytes(img, sec->addr, sec->size);
	struct hits h = {0};
	struct disasm_insn in;
	uint64_t at = label;

	while (at < place) {
		FT_EQ_INT(disasm_one(d, bytes + (at - sec->addr), 16, at, &in), 0);
		if (in.flow != DISASM_NEXT || in.emulated)
			FT_FAIL("%s: +%u is not straight-line", what, (unsigned)(at - label));
		if (in.stores && in.store_base != DISASM_RSP) {
			for (size_t i = 0; i < r->nfields; i++)
				if (in.store_disp < r->fields[i].off + (int64_t)r->fields[i].size &&
				    r->fields[i].off < in.store_disp + (int64_t)in.store_size)
					FT_FAIL("%s: +%u stores a read field", what,
						(unsigned)(at - label));
		}
		if (in.stores && in.store_base == DISASM_RSP && r->stack_state)
			FT_TRUE(r->stack_size &&
				(in.store_disp + (int64_t)in.store_size <= r->stack_off ||
				 in.store_disp >= r->stack_off + 8));
		at += in.len;
	}
	FT_EQ_U64(at, place);
	FT_EQ_INT(disasm_one(d, bytes + (at - sec->addr), 16, at, &in), 0);
	FT_TRUE(in.emulated);
	disasm_branch_targets(d, bytes, sec->size, sec->addr, label + 1, place + 1, count_hit, &h);
	if (h.n)
		FT_FAIL("%s: %zu branches into (label, place]", what, h.n);
}

FT_TEST(placement_real_interpreters)
{
	for (size_t b = 0; b < sizeof(builds) / sizeof(builds[0]); b++) {
		const char *root = getenv("PYENV_ROOT");
		char path[512], why[256] = "";
		struct placement_image *pi;
		struct opcodes_table t;
		struct placement_reads r;
		struct elf_info info;
		struct pylayout lay;
		struct elfimage *img;
		struct disasm *d;
		int64_t local = -1;

		if (builds[b].path[0] == '/')
			snprintf(path, sizeof(path), "%s", builds[b].path);
		else
			snprintf(path, sizeof(path), "%s/versions/%s",
				 root && *root ? root : "/root/.pyenv", builds[b].path);
		if (access(path, R_OK)) {
			printf("  note: %s not installed, skipped\n", path);
			continue;
		}
		img = elfimage__open(path);
		FT_TRUE(img);
		FT_EQ_INT(elf_inspect(path, &info), 0);
		if (opcodes_find_in(img, 3, builds[b].minor, &t, why, sizeof(why)) ||
		    pylayout_for(img, path, &info, &lay, why, sizeof(why)))
			FT_FAIL("%s: %s", path, why);
		FT_EQ_INT(placement_image_open(img, &t, &pi), 0);
		if (lay.tstate.frame < 0) {
			FT_EQ_INT(placement_image_cframe_local(pi, lay.tstate.cframe, &local), 0);
			FT_TRUE(local > 0);
		}
		probe_place_frame_reads(&lay, local, &r);
		FT_EQ_INT(disasm_open(&d), 0);
		for (size_t i = 0; i < 5; i++) {
			const struct want *w = &builds[b].want[i];
			const struct opcodes_handler *h = &t.ops[w->op];
			struct placement pl;
			char what[640];

			snprintf(what, sizeof(what), "%s %s", path, opcodes_name(w->op));
			FT_TRUE(h->opcode >= 0);
			FT_EQ_INT(placement_choose(pi, h->vaddr, &r, &pl), 0);
			if (w->moved_by < 0) {
				if (pl.moved)
					FT_FAIL("%s: moved to +%u", what,
						(unsigned)(pl.vaddr - h->vaddr));
				FT_EQ_U64(pl.vaddr, h->vaddr);
				FT_TRUE(pl.why[0]);
				continue;
			}
			if (!pl.moved || pl.vaddr - h->vaddr != (uint64_t)w->moved_by)
				FT_FAIL("%s: at +%d, expected +%d (%s)", what,
					(int)(pl.vaddr - h->vaddr), w->moved_by, pl.why);
			recheck(img, d, h->vaddr, pl.vaddr, &r, what);
		}
		/* 3.13's RETURN_VALUE unlinks its frame before its first branch:
		 * it moves only by taking the frame from %rsi at the call of
		 * _PyEval_FrameClearAndPop */
		if (builds[b].minor == 13) {
			const struct opcodes_handler *h = &t.ops[OPCODES_RETURN_VALUE];
			struct placement_reads rr;
			struct placement pl;

			probe_place_reg_reads(&lay, &rr);
			FT_EQ_INT(placement_choose(pi, h->vaddr, &rr, &pl), 0);
			FT_TRUE(pl.moved);
			FT_EQ_U64(pl.vaddr - h->vaddr, 47);
			FT_EQ_INT(pl.frame_reg, 6);
			recheck(img, d, h->vaddr, pl.vaddr, &rr,
				"3.13 RETURN_VALUE, frame in %rsi");
		}
		/* 3.12's YIELD_VALUE clears its frame's previous (+62) before
		 * its first branch, the jmp at +96, where %rbp holds the frame;
		 * 3.13's ends in an indirect jmp, with nothing emulated before */
		if (builds[b].minor == 12 || builds[b].minor == 13) {
			const struct opcodes_handler *h = &t.ops[OPCODES_YIELD_VALUE];
			struct placement_reads yr;
			struct placement pl;

			probe_place_yield_reads(&lay, &yr);
			FT_EQ_INT(placement_choose(pi, h->vaddr, &yr, &pl), 0);
			if (builds[b].minor == 13) {
				FT_TRUE(!pl.moved);
			} else {
				FT_TRUE(pl.moved);
				FT_EQ_U64(pl.vaddr - h->vaddr, 96);
				FT_EQ_INT(pl.frame_reg, 5);
				recheck(img, d, h->vaddr, pl.vaddr, &yr,
					"3.12 YIELD_VALUE, frame in %rbp");
			}
		}
		disasm_close(d);
		placement_image_close(pi);
		elfimage__free(img);
	}
}
