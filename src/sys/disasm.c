// SPDX-License-Identifier: MIT
/* Capstone behind the few facts uprobe placement needs. The kernel's
 * emulation rule is applied to the encoding itself (disasm_kernel_emulates),
 * since that is what arch/x86/kernel/uprobes.c looks at. */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/disasm.h"

struct disasm {
	csh full;  /* with operand details: one instruction at a time */
	csh sweep; /* without: lengths and ids for a whole section */
	cs_insn *insn, *sweep_insn;
};

int disasm_open(struct disasm **out)
{
	struct disasm *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d)
		return -ENOMEM;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->full) != CS_ERR_OK) {
		free(d);
		return -ENOTSUP;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->sweep) != CS_ERR_OK) {
		cs_close(&d->full);
		free(d);
		return -ENOTSUP;
	}
	cs_option(d->full, CS_OPT_DETAIL, CS_OPT_ON);
	d->insn = cs_malloc(d->full);
	d->sweep_insn = cs_malloc(d->sweep);
	if (!d->insn || !d->sweep_insn) {
		disasm_close(d);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

void disasm_close(struct disasm *d)
{
	if (!d)
		return;
	if (d->insn)
		cs_free(d->insn, 1);
	if (d->sweep_insn)
		cs_free(d->sweep_insn, 1);
	cs_close(&d->full);
	cs_close(&d->sweep);
	free(d);
}

/* Capstone's name of a general-purpose register, of any width, as its
 * encoding number; DISASM_RIP for rip; -1 for anything else. */
static int gpr(unsigned reg)
{
	static const unsigned short regs[16][5] = {
		{X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH},
		{X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH},
		{X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH},
		{X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH},
		{X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL, X86_REG_SPL},
		{X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL, X86_REG_BPL},
		{X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL, X86_REG_SIL},
		{X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL, X86_REG_DIL},
		{X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, X86_REG_R8B},
		{X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, X86_REG_R9B},
		{X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B, X86_REG_R10B},
		{X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B, X86_REG_R11B},
		{X86_REG_R12, X86_REG_R12D, X86_REG_R12W, X86_REG_R12B, X86_REG_R12B},
		{X86_REG_R13, X86_REG_R13D, X86_REG_R13W, X86_REG_R13B, X86_REG_R13B},
		{X86_REG_R14, X86_REG_R14D, X86_REG_R14W, X86_REG_R14B, X86_REG_R14B},
		{X86_REG_R15, X86_REG_R15D, X86_REG_R15W, X86_REG_R15B, X86_REG_R15B},
	};

	if (reg == X86_REG_RIP)
		return DISASM_RIP;
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 5; j++)
			if (regs[i][j] == reg)
				return i;
	return -1;
}

/* The kernel's x86_nops[len] for len 1-8 (the P6 nops). */
static const uint8_t kernel_nops[9][8] = {
	[1] = {0x90},
	[2] = {0x66, 0x90},
	[3] = {0x0f, 0x1f, 0x00},
	[4] = {0x0f, 0x1f, 0x40, 0x00},
	[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00},
	[6] = {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
	[7] = {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
	[8] = {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
};

static bool legacy_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x3e ||
	       b == 0x26 || b == 0x36 || b == 0x64 || b == 0x65 || b == 0xf0;
}

bool disasm_kernel_emulates(const uint8_t *p, size_t len)
{
	size_t i = 0;

	if (!len)
		return false;
	if (len < sizeof(kernel_nops) / sizeof(kernel_nops[0]) && !memcmp(p, kernel_nops[len], len))
		return true;
	/* prefixes + 0x90: emulated as a nop (a REX byte would make it xchg) */
	while (i < len && legacy_prefix(p[i]))
		i++;
	if (i + 1 == len && p[i] == 0x90 && (i == 0 || p[0] != 0xf0))
		return true;
	/* the branches, taken without prefixes: the kernel refuses 0x66 and
	 * others are never emitted for them */
	if (len == 2 && (p[0] == 0xeb || (p[0] >= 0x70 && p[0] <= 0x7f)))
		return true;
	if (len == 5 && (p[0] == 0xe9 || p[0] == 0xe8))
		return true;
	if (len == 6 && p[0] == 0x0f && p[1] >= 0x80 && p[1] <= 0x8f)
		return true;
	/* push %reg (REX.B alone for r8-r15) */
	if (len == 1 && p[0] >= 0x50 && p[0] <= 0x57)
		return true;
	if (len == 2 && p[0] == 0x41 && p[1] >= 0x50 && p[1] <= 0x57)
		return true;
	return false;
}

static enum disasm_flow flow_of(csh h, const cs_insn *in, uint64_t *target)
{
	const cs_x86 *x = &in->detail->x86;
	bool imm = x->op_count == 1 && x->operands[0].type == X86_OP_IMM;

	*target = 0;
	if (cs_insn_group(h, in, CS_GRP_RET) || cs_insn_group(h, in, CS_GRP_INT) ||
	    cs_insn_group(h, in, CS_GRP_IRET))
		return DISASM_FLOW_OTHER;
	if (cs_insn_group(h, in, CS_GRP_JUMP) || cs_insn_group(h, in, CS_GRP_CALL)) {
		if (!imm)
			return DISASM_FLOW_OTHER;
		*target = (uint64_t)x->operands[0].imm;
		if (cs_insn_group(h, in, CS_GRP_CALL))
			return DISASM_CALL;
		return in->id == X86_INS_JMP ? DISASM_JMP : DISASM_JCC;
	}
	switch (in->id) {
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_UD2:
	case X86_INS_HLT:
		return DISASM_FLOW_OTHER;
	default:
		return DISASM_NEXT;
	}
}

int disasm_one(struct disasm *d, const uint8_t *code, size_t len, uint64_t vaddr,
	       struct disasm_insn *out)
{
	const uint8_t *p = code;
	size_t size = len;
	uint64_t addr = vaddr;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	const cs_x86 *x;

	memset(out, 0, sizeof(*out));
	out->store_base = out->store_src = out->lea_base = out->lea_dest = -1;
	out->load_base = out->load_dest = -1;
	out->copy_src = out->copy_dest = -1;
	if (!code || !cs_disasm_iter(d->full, &p, &size, &addr, d->insn))
		return -EINVAL;
	out->vaddr = vaddr;
	out->len = d->insn->size;
	out->flow = flow_of(d->full, d->insn, &out->target);
	out->emulated = disasm_kernel_emulates(code, out->len);
	snprintf(out->text, sizeof(out->text), "%.20s%s%.40s", d->insn->mnemonic,
		 d->insn->op_str[0] ? " " : "", d->insn->op_str);
	x = &d->insn->detail->x86;
	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		if (op->type != X86_OP_MEM || !(op->access & CS_AC_WRITE) || out->stores)
			continue;
		out->stores = true;
		out->store_base = op->mem.base == X86_REG_INVALID ? -1 : gpr(op->mem.base);
		out->store_index = op->mem.index != X86_REG_INVALID;
		out->store_disp = op->mem.disp;
		out->store_size = op->size;
		if (i + 1 < x->op_count && x->operands[i + 1].type == X86_OP_REG)
			out->store_src = gpr(x->operands[i + 1].reg);
		if (d->insn->id == X86_INS_MOV && i + 1 < x->op_count &&
		    x->operands[i + 1].type == X86_OP_IMM && x->operands[i + 1].imm == 0)
			out->store_zero = true;
	}
	if (d->insn->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[0].size == 8 && x->operands[1].type == X86_OP_MEM &&
	    x->operands[1].mem.index == X86_REG_INVALID &&
	    x->operands[1].mem.segment == X86_REG_INVALID) {
		out->load = true;
		out->load_dest = gpr(x->operands[0].reg);
		out->load_base = gpr(x->operands[1].mem.base);
		out->load_disp = x->operands[1].mem.disp;
	}
	if (d->insn->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_REG && x->operands[0].size == 8) {
		out->copy_dest = gpr(x->operands[0].reg);
		out->copy_src = gpr(x->operands[1].reg);
	}
	if (d->insn->id == X86_INS_LEA && x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
	    x->operands[1].type == X86_OP_MEM && x->operands[1].mem.index == X86_REG_INVALID) {
		out->lea = true;
		out->lea_dest = gpr(x->operands[0].reg);
		out->lea_base = gpr(x->operands[1].mem.base);
		out->lea_disp = x->operands[1].mem.disp;
	}
	if (cs_regs_access(d->full, d->insn, rd, &nrd, wr, &nwr) == CS_ERR_OK) {
		for (unsigned i = 0; i < nwr; i++) {
			int r = gpr(wr[i]);

			if (r >= 0 && r < 16)
				out->writes |= 1u << r;
		}
	} else {
		out->writes = 0xffff; /* not known: assume every register */
	}
	return 0;
}

/* The target of a direct branch from its bytes (p, len at vaddr), or 0. */
static uint64_t rel_target(const uint8_t *p, size_t len, uint64_t vaddr)
{
	size_t i = 0;
	int32_t rel;

	while (i < len && (legacy_prefix(p[i]) || (p[i] & 0xf0) == 0x40))
		i++;
	if (i >= len)
		return 0;
	if ((p[i] == 0xeb || (p[i] >= 0x70 && p[i] <= 0x7f) || (p[i] >= 0xe0 && p[i] <= 0xe3)) &&
	    i + 2 == len)
		return vaddr + len + (int8_t)p[i + 1];
	if ((p[i] == 0xe9 || p[i] == 0xe8) && i + 5 == len) {
		memcpy(&rel, p + i + 1, 4);
		return vaddr + len + rel;
	}
	if (p[i] == 0x0f && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x8f && i + 6 == len) {
		memcpy(&rel, p + i + 2, 4);
		return vaddr + len + rel;
	}
	return 0;
}

size_t disasm_branch_targets(struct disasm *d, const uint8_t *code, size_t len, uint64_t vaddr,
			     uint64_t lo, uint64_t hi, void (*fn)(uint64_t target, void *ctx),
			     void *ctx)
{
	const uint8_t *p = code;
	size_t size = len, n = 0;
	uint64_t addr = vaddr;

	while (size) {
		const uint8_t *at = p;
		uint64_t t;

		if (!cs_disasm_iter(d->sweep, &p, &size, &addr, d->sweep_insn)) {
			p++;
			size--;
			addr++;
			continue;
		}
		t = rel_target(at, d->sweep_insn->size, d->sweep_insn->address);
		if (t && t >= lo && t < hi) {
			fn(t, ctx);
			n++;
		}
	}
	return n;
}
