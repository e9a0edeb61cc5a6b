// SPDX-License-Identifier: MIT
/* The x86-64 instruction shapes of CPython's accessors: a 64-bit
 * "mov DISP(%reg),%reg" chain from the first argument, and a RIP-relative
 * load of a global. Anything else decodes to nothing; callers treat that
 * as "not confirmed", never as a refusal. */
#include <errno.h>
#include <string.h>

#include "sys/x86.h"

#define OP_MOV_LOAD 0x8b /* mov r/m64 -> r64, with REX.W */
#define REG_RDI	    7

static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};

static size_t skip_endbr(const uint8_t *code, size_t len)
{
	return len >= sizeof(endbr64) && !memcmp(code, endbr64, sizeof(endbr64)) ? sizeof(endbr64)
										 : 0;
}

/* Skips what a prologue may put before the first load without changing
 * any register but %rsp: endbr64, push %reg, sub $imm8,%rsp. */
static size_t skip_prologue(const uint8_t *code, size_t len)
{
	size_t pos = skip_endbr(code, len);

	for (;;) {
		if (pos < len && code[pos] >= 0x50 && code[pos] <= 0x57)
			pos += 1; /* push %rax..%rdi */
		else if (pos + 1 < len && code[pos] == 0x41 && code[pos + 1] >= 0x50 &&
			 code[pos + 1] <= 0x57)
			pos += 2; /* push %r8..%r15 */
		else if (pos + 3 < len && code[pos] == 0x48 && code[pos + 1] == 0x83 &&
			 code[pos + 2] == 0xec)
			pos += 4; /* sub $imm8,%rsp */
		else
			return pos;
	}
}

static int32_t sle32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

/* A 64-bit "mov DISP(%base),%dest" (REX.W 8B /r with a plain base register:
 * no SIB byte, not RIP-relative). Returns its length, or 0 when p holds
 * another instruction. Registers are numbered as in the encoding (0 rax,
 * 7 rdi, 8-15 r8-r15). */
static size_t decode_load(const uint8_t *p, size_t len, unsigned *base, unsigned *dest,
			  int64_t *disp)
{
	unsigned rex, mod, rm;

	if (len < 3 || (p[0] & 0xf8) != 0x48 || p[1] != OP_MOV_LOAD)
		return 0;
	rex = p[0];
	mod = p[2] >> 6;
	rm = p[2] & 7;
	/* rm 4 means a SIB byte follows and mod 0 with rm 5 means RIP-relative,
	 * whatever REX.B says */
	if (mod == 3 || rm == 4 || (mod == 0 && rm == 5))
		return 0;
	*base = rm | (rex & 1 ? 8 : 0);
	*dest = (p[2] >> 3 & 7) | (rex & 4 ? 8 : 0);
	switch (mod) {
	case 0:
		*disp = 0;
		return 3;
	case 1:
		if (len < 4)
			return 0;
		*disp = (int8_t)p[3];
		return 4;
	default:
		if (len < 7)
			return 0;
		*disp = sle32(p + 3);
		return 7;
	}
}

size_t x86_decode_load_chain(const uint8_t *code, size_t len, int64_t *disps, size_t max)
{
	unsigned want = REG_RDI, base, dest;
	size_t n = 0, pos;

	if (!code)
		return 0;
	pos = skip_prologue(code, len);
	while (n < max) {
		int64_t disp;
		size_t l = decode_load(code + pos, len - pos, &base, &dest, &disp);

		if (!l || base != want)
			break;
		disps[n++] = disp;
		want = dest;
		pos += l;
	}
	return n;
}

int x86_decode_field_load(const uint8_t *code, size_t len, int64_t *disp)
{
	return x86_decode_load_chain(code, len, disp, 1) == 1 ? 0 : -EINVAL;
}

int x86_decode_global_load(const uint8_t *code, size_t len, uint64_t code_vaddr, uint64_t *slot,
			   bool *indirect, int64_t *disp)
{
	unsigned dest, base, dest2;
	size_t skip, insn = 7;
	const uint8_t *p;

	if (!code)
		return -EINVAL;
	skip = skip_endbr(code, len);
	p = code + skip;
	len -= skip;
	/* mov rel32(%rip),%reg: REX.W 8B, ModRM mod 00 rm 101 */
	if (len < insn || (p[0] & 0xf8) != 0x48 || p[1] != OP_MOV_LOAD || (p[2] & 0xc7) != 0x05)
		return -EINVAL;
	dest = (p[2] >> 3 & 7) | (p[0] & 4 ? 8 : 0);
	*slot = code_vaddr + skip + insn + (int64_t)sle32(p + 3);
	*indirect = decode_load(p + insn, len - insn, &base, &dest2, disp) && base == dest;
	if (!*indirect)
		*disp = 0;
	return 0;
}

unsigned x86_count_calls(const uint8_t *code, size_t len, uint64_t code_vaddr,
			 const uint64_t *targets, size_t ntargets)
{
	unsigned n = 0;

	for (size_t i = 0; code && i + 5 <= len; i++) {
		uint64_t to;

		if (code[i] != 0xe8)
			continue;
		to = code_vaddr + i + 5 + (int64_t)sle32(code + i + 1);
		for (size_t k = 0; k < ntargets; k++)
			n += to == targets[k];
	}
	return n;
}

bool x86_jmp_rip_slot(const uint8_t *code, size_t len, uint64_t code_vaddr, uint64_t *slot)
{
	if (!code || len < 6 || code[0] != 0xff || code[1] != 0x25)
		return false;
	*slot = code_vaddr + 6 + (int64_t)sle32(code + 2);
	return true;
}
