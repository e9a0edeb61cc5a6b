// SPDX-License-Identifier: MIT
/* x86: the accessor decoders on real instruction bytes (from the pyenv
 * builds and Debian's python3.11) and on shapes they must refuse. */
#include <errno.h>
#include <inttypes.h>

#include "sys/x86.h"
#include "test.h"

/* --- accessor decoding ----------------------------------------------------- */

#define B(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

FT_TEST(x86_decode_field_loads)
{
	const struct {
		const uint8_t *code;
		size_t len;
		int ret;
		int64_t disp;
	} cases[] = {
		/* _PyInterpreterState_GetEvalFrameFunc, 3.9 .. 3.13 */
		{B(0x48, 0x8b, 0x87, 0x78, 0x05, 0x00, 0x00, 0xc3), 0, 0x578},
		{B(0x48, 0x8b, 0x87, 0x58, 0x05, 0x00, 0x00, 0xc3), 0, 0x558},
		{B(0x48, 0x8b, 0x87, 0x90, 0x05, 0x00, 0x00, 0x48, 0x85, 0xc0), 0, 0x590},
		{B(0x48, 0x8b, 0x87, 0xd0, 0x06, 0x00, 0x00, 0x48, 0x85, 0xc0), 0, 0x6d0},
		{B(0x48, 0x8b, 0x87, 0x18, 0x21, 0x00, 0x00, 0x48, 0x85, 0xc0), 0, 0x2118},
		/* disp8, no disp, negative disp8, after endbr64, into another register */
		{B(0x48, 0x8b, 0x47, 0x10, 0xc3), 0, 0x10},
		{B(0x48, 0x8b, 0x07, 0xc3), 0, 0},
		{B(0x48, 0x8b, 0x47, 0xf8), 0, -8},
		{B(0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x8b, 0x47, 0x08, 0xc3), 0, 8},
		{B(0x4c, 0x8b, 0x47, 0x10), 0, 0x10}, /* mov 0x10(%rdi),%r8 */
		/* not a 64-bit load from %rdi */
		{B(0x8b, 0x47, 0x10, 0xc3), -EINVAL, 0},       /* 32-bit */
		{B(0x48, 0x8b, 0x46, 0x10), -EINVAL, 0},       /* from %rsi */
		{B(0x49, 0x8b, 0x47, 0x10), -EINVAL, 0},       /* from %r15 */
		{B(0x48, 0x8b, 0x04, 0x24), -EINVAL, 0},       /* SIB */
		{B(0x48, 0x8b, 0x05, 0, 0, 0, 0), -EINVAL, 0}, /* RIP-relative */
		{B(0x48, 0x8b, 0xc7), -EINVAL, 0},	       /* register move */
		{B(0x48, 0x89, 0x47, 0x10), -EINVAL, 0},       /* a store */
		{B(0x48, 0x8b, 0x87, 0x78, 0x05), -EINVAL, 0}, /* truncated */
		{B(0x48, 0x8b), -EINVAL, 0},
		{B(0xc3), -EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t disp = 12345;
		int ret = x86_decode_field_load(cases[i].code, cases[i].len, &disp);

		if (ret != cases[i].ret)
			FT_FAIL("case %zu: returned %d, expected %d", i, ret, cases[i].ret);
		if (!ret && disp != cases[i].disp)
			FT_FAIL("case %zu: disp %" PRId64 ", expected %" PRId64, i, disp,
				cases[i].disp);
	}
	FT_EQ_INT(x86_decode_field_load(NULL, 0, NULL), -EINVAL);
}

FT_TEST(x86_decode_load_chains)
{
	int64_t d[4];

	/* Debian 3.11 PyThreadState_GetFrame: push %rcx; tstate->cframe; ->current_frame */
	FT_EQ_INT(x86_decode_load_chain(
			  B(0x51, 0x48, 0x8b, 0x47, 0x38, 0x48, 0x8b, 0x78, 0x08, 0x48, 0x85, 0xff),
			  d, 4),
		  2);
	FT_EQ_INT(d[0], 0x38);
	FT_EQ_INT(d[1], 8);
	/* pyenv 3.12: mov 0x38(%rdi),%rax; mov (%rax),%rdi */
	FT_EQ_INT(x86_decode_load_chain(B(0x48, 0x8b, 0x47, 0x38, 0x48, 0x8b, 0x38, 0x48, 0x85), d,
					4),
		  2);
	FT_EQ_INT(d[1], 0);
	/* pyenv 3.13: mov 0x48(%rdi),%rdi; test */
	FT_EQ_INT(x86_decode_load_chain(B(0x48, 0x8b, 0x7f, 0x48, 0x48, 0x85, 0xff), d, 4), 1);
	FT_EQ_INT(d[0], 0x48);
	/* through r8: mov 0x10(%rdi),%r8; mov 0x8(%r8),%rax */
	FT_EQ_INT(x86_decode_load_chain(B(0x4c, 0x8b, 0x47, 0x10, 0x49, 0x8b, 0x40, 0x08), d, 4),
		  2);
	FT_EQ_INT(d[1], 8);
	/* the second load does not use the first one's result: chain of 1 */
	FT_EQ_INT(x86_decode_load_chain(B(0x48, 0x8b, 0x47, 0x38, 0x48, 0x8b, 0x4f, 0x08), d, 4),
		  1);
	/* max bounds the chain; a prologue with sub $8,%rsp and push %r12 */
	FT_EQ_INT(x86_decode_load_chain(B(0x48, 0x8b, 0x47, 0x38, 0x48, 0x8b, 0x38), d, 1), 1);
	FT_EQ_INT(x86_decode_load_chain(
			  B(0x41, 0x54, 0x48, 0x83, 0xec, 0x08, 0x48, 0x8b, 0x47, 0x20), d, 4),
		  1);
	FT_EQ_INT(d[0], 0x20);
	/* a prologue that moves %rdi away: nothing */
	FT_EQ_INT(x86_decode_load_chain(B(0x48, 0x89, 0xfb, 0x48, 0x8b, 0x47, 0x20), d, 4), 0);
}

FT_TEST(x86_decode_global_loads)
{
	uint64_t slot;
	bool indirect;
	int64_t disp;

	/* Debian python3.11 PyInterpreterState_Head at 0x6ac0e0: straight from
	 * _PyRuntime+0x28 (0xa5b768) */
	FT_EQ_INT(x86_decode_global_load(B(0x48, 0x8b, 0x05, 0x81, 0xf6, 0x3a, 0x00, 0xc3),
					 0x6ac0e0, &slot, &indirect, &disp),
		  0);
	FT_EQ_U64(slot, 0xa5b768);
	FT_TRUE(!indirect);
	FT_EQ_INT(disp, 0);
	/* pyenv 3.12.1 at 0x2d7750: the GOT slot 0x543d00, then 0x28(%rax) */
	FT_EQ_INT(x86_decode_global_load(
			  B(0x48, 0x8b, 0x05, 0xa9, 0xc5, 0x26, 0x00, 0x48, 0x8b, 0x40, 0x28, 0xc3),
			  0x2d7750, &slot, &indirect, &disp),
		  0);
	FT_EQ_U64(slot, 0x543d00);
	FT_TRUE(indirect);
	FT_EQ_INT(disp, 0x28);
	/* pyenv 3.13.0: disp32 0x278 */
	FT_EQ_INT(x86_decode_global_load(B(0x48, 0x8b, 0x05, 0xb9, 0x71, 0x25, 0x00, 0x48, 0x8b,
					   0x80, 0x78, 0x02, 0x00, 0x00, 0xc3),
					 0x293af0, &slot, &indirect, &disp),
		  0);
	FT_EQ_U64(slot, 0x4eacb0);
	FT_EQ_INT(disp, 0x278);
	/* negative rel32 and endbr64 */
	FT_EQ_INT(x86_decode_global_load(
			  B(0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff),
			  0x1000, &slot, &indirect, &disp),
		  0);
	FT_EQ_U64(slot, 0x1000 + 4 + 7 - 16);
	/* not a RIP-relative load */
	FT_EQ_INT(x86_decode_global_load(B(0x48, 0x8b, 0x47, 0x10), 0, &slot, &indirect, &disp),
		  -EINVAL);
	FT_EQ_INT(x86_decode_global_load(B(0x48, 0x8b, 0x05, 0, 0), 0, &slot, &indirect, &disp),
		  -EINVAL);
}

/* call rel32 byte patterns to given targets, as the return handlers'
 * calls of _PyEval_FrameClearAndPop are found */
FT_TEST(x86_count_calls_bytes)
{
	/* dtrace 3.14 at 0x95815: call 93390 <_PyEval_FrameClearAndPop@plt> */
	static const uint8_t code[] = {0x90, 0xe8, 0x76, 0xdb, 0xff, 0xff, 0x90};
	uint64_t plt = 0x93390, other = 0x1234;

	FT_EQ_INT(x86_count_calls(code, sizeof(code), 0x95814, &plt, 1), 1);
	FT_EQ_INT(x86_count_calls(code, sizeof(code), 0x95814, &other, 1), 0);
	FT_EQ_INT(x86_count_calls(code, 5, 0x95814, &plt, 1), 0); /* cut short */
	FT_EQ_INT(x86_count_calls(NULL, 0, 0, &plt, 1), 0);
}

/* a PLT stub: dtrace 3.14's _PyEval_FrameClearAndPop@plt at 0x93390,
 * jmp *0x4c861a(%rip) through the GOT slot 0x55b9b0 */
FT_TEST(x86_jmp_rip_slot_plt)
{
	static const uint8_t stub[] = {0xff, 0x25, 0x1a, 0x86, 0x4c, 0x00};
	uint64_t slot = 0;

	FT_TRUE(x86_jmp_rip_slot(stub, sizeof(stub), 0x93390, &slot));
	FT_EQ_U64(slot, 0x55b9b0);
	FT_TRUE(!x86_jmp_rip_slot(stub + 1, sizeof(stub) - 1, 0x93391, &slot));
	FT_TRUE(!x86_jmp_rip_slot(stub, 5, 0x93390, &slot));
}
