// SPDX-License-Identifier: MIT
/* Finds CPython's opcode_targets table statically, checks it against the
 * per-minor opcode numbering, and decodes one-instruction accessors.
 *
 * The computed-goto interpreter (3.8-3.13 built with gcc or clang) jumps
 * through a static table of 256 label addresses. The labels have no
 * symbols, but the table's slots are either relocated (R_X86_64_RELATIVE in
 * a shared object or PIE) or hold absolute addresses (non-PIE executable),
 * so the table shows up as a run of 256 code pointers, most of them into
 * _PyEval_EvalFrameDefault. PGO/LTO builds move rarely used handlers into a
 * ".cold" part outside the symbol, hence "most", not "all".
 *
 * 3.14 built with clang's tail-calling interpreter has no labels: each
 * handler is a function of its own, and the same kind of table
 * (INSTRUCTION_TABLE) holds their entries, none inside the eval function,
 * which only starts the first one. The same scan finds it with a second
 * rule (opcodes_scan_tail_windows); the fingerprint is the same. */
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/disasm.h"
#include "sys/elfimage.h"
#include "sys/elfinfo.h"
#include "sys/x86.h"
#include "cpython/opcodes.h"

#define MAX_WINDOWS 16

static const char *const op_names[OPCODES__NR] = {
	[OPCODES_RESUME] = "RESUME",
	[OPCODES_RESUME_QUICK] = "RESUME_QUICK",
	[OPCODES_RESUME_CHECK] = "RESUME_CHECK",
	[OPCODES_INSTRUMENTED_RESUME] = "INSTRUMENTED_RESUME",
	[OPCODES_RETURN_VALUE] = "RETURN_VALUE",
	[OPCODES_RETURN_CONST] = "RETURN_CONST",
	[OPCODES_YIELD_VALUE] = "YIELD_VALUE",
	[OPCODES_INSTRUMENTED_RETURN_VALUE] = "INSTRUMENTED_RETURN_VALUE",
	[OPCODES_INSTRUMENTED_RETURN_CONST] = "INSTRUMENTED_RETURN_CONST",
	[OPCODES_INSTRUMENTED_YIELD_VALUE] = "INSTRUMENTED_YIELD_VALUE",
	[OPCODES_RETURN_GENERATOR] = "RETURN_GENERATOR",
	[OPCODES_PUSH_EXC_INFO] = "PUSH_EXC_INFO",
	[OPCODES_YIELD_FROM] = "YIELD_FROM",
	[OPCODES_EXIT_INIT_CHECK] = "EXIT_INIT_CHECK",
};

struct minor_ops {
	uint64_t defined[OPCODES_NSLOTS / 64]; /* bit n: opcode n has its own handler */
	int16_t number[OPCODES__NR];
};

#define OPS(resume, quick, check, iresume, retval, retconst, yield, iretval, iretconst, iyield,   \
	    retgen, pushexc, yieldfrom, exitinit)                                                 \
	{                                                                                         \
		[OPCODES_RESUME] = resume, [OPCODES_RESUME_QUICK] = quick,                        \
		[OPCODES_RESUME_CHECK] = check, [OPCODES_INSTRUMENTED_RESUME] = iresume,          \
		[OPCODES_RETURN_VALUE] = retval, [OPCODES_RETURN_CONST] = retconst,               \
		[OPCODES_YIELD_VALUE] = yield, [OPCODES_INSTRUMENTED_RETURN_VALUE] = iretval,     \
		[OPCODES_INSTRUMENTED_RETURN_CONST] = iretconst,                                  \
		[OPCODES_INSTRUMENTED_YIELD_VALUE] = iyield, [OPCODES_RETURN_GENERATOR] = retgen, \
		[OPCODES_PUSH_EXC_INFO] = pushexc, [OPCODES_YIELD_FROM] = yieldfrom,              \
		[OPCODES_EXIT_INIT_CHECK] = exitinit,                                             \
	}

/* Generated from each interpreter's own tables, not written by hand:
 * "defined" is every value below 256 of opcode.opmap, dis._all_opmap (3.11+
 * specialised and instrumented opcodes) and _opcode_metadata (3.13), plus
 * 3.11's DO_TRACING label in slot 255; "number" is the OPS() columns in
 * enum opcodes_op order (-1: none). Opcode numbers never change within a
 * minor series (they are part of the .pyc format); the Debian 3.11.2 build
 * gives the same rows as 3.11.7. The generator is in
 * docs/interpreter-layout.md. */
static const struct minor_ops minor_ops[OPCODES_MAX_MINOR + 1] = {
	/* 3.8.18: 120 opcodes with a handler of their own */
	[8] = {.defined = {0xfbfc00003fdb9e7eULL, 0x741ffff7fffefbffULL, 0x0000000f7fffe7bcULL,
			   0x0000000000000000ULL},
	       .number = OPS(-1, -1, -1, -1, 83, -1, 86, -1, -1, -1, -1, -1, 72, -1)},
	/* 3.9.18: 119 opcodes with a handler of their own */
	[9] = {.defined = {0xfbdf00003fdb9e7eULL, 0x767ffff7fefcffffULL, 0x0000003f3c1fe7bcULL,
			   0x0000000000000000ULL},
	       .number = OPS(-1, -1, -1, -1, 83, -1, 86, -1, -1, -1, -1, -1, 72, -1)},
	/* 3.10.13: 127 opcodes with a handler of their own */
	[10] = {.defined = {0xfbde0007ffdb9e7eULL, 0x76fffffffefcffffULL, 0x0000003f3d1fe7beULL,
			    0x0000000000000000ULL},
		.number = OPS(-1, -1, -1, -1, 83, -1, 86, -1, -1, -1, -1, -1, 72, -1)},
	/* 3.11.7: 182 opcodes with a handler of their own */
	[11] = {.defined = {0xffffffffffffffffULL, 0xffffffffffffffffULL, 0x001fffffffffffffULL,
			    0x8000000000000000ULL},
		.number = OPS(151, 150, -1, -1, 83, -1, 86, -1, -1, -1, 75, 35, -1, -1)},
	/* 3.12.1: 193 opcodes with a handler of their own */
	[12] = {.defined = {0xffffffffffffffffULL, 0xffffffffffffffffULL, 0x0001f9ffffffffffULL,
			    0x7fffe00000000000ULL},
		.number = OPS(151, -1, -1, 240, 83, 121, 150, 242, 247, 243, 75, 35, -1, -1)},
	/* 3.13.0: 212 opcodes with a handler of their own */
	[13] = {.defined = {0xffffffffffffffffULL, 0x007fffffffffffffULL, 0xffffffffffe00000ULL,
			    0x7ffff0007fffffffULL},
		.number = OPS(149, -1, 207, 236, 36, 103, 118, 239, 240, 241, 35, 33, -1, 13)},
	/* 3.14.7: 227 opcodes with a handler of their own (the same in the
	 * computed-goto, tail-calling and free-threaded builds) */
	[14] = {.defined = {0xffffffffffffffffULL, 0x01ffffffffffffffULL, 0xffffffffffffffffULL,
			    0xfffffc00000fffffULL},
		.number = OPS(128, -1, 196, 245, 35, -1, 120, 246, -1, 247, 34, 32, -1, 11)},
};

const char *opcodes_name(enum opcodes_op op)
{
	return (unsigned)op < OPCODES__NR ? op_names[op] : NULL;
}

static bool minor_known(int minor)
{
	return minor >= OPCODES_MIN_MINOR && minor <= OPCODES_MAX_MINOR;
}

int opcodes_number(int minor, enum opcodes_op op)
{
	if (!minor_known(minor) || (unsigned)op >= OPCODES__NR)
		return -1;
	return minor_ops[minor].number[op];
}

bool opcodes_defined(int minor, unsigned opcode)
{
	if (!minor_known(minor) || opcode >= OPCODES_NSLOTS)
		return false;
	return minor_ops[minor].defined[opcode / 64] >> (opcode % 64) & 1;
}

/* --- the table scan ------------------------------------------------------ */

size_t opcodes_scan_windows(const struct opcodes_slot *slots, size_t n, uint64_t lo, uint64_t hi,
			    struct opcodes_window *out, size_t max)
{
	size_t found = 0, i = 0;

	while (i < n) {
		size_t j = i + 1, len;
		unsigned inside = 0, best = 0;

		while (j < n && slots[j].addr == slots[j - 1].addr + 8)
			j++;
		len = j - i;
		if (len < OPCODES_NSLOTS) {
			i = j;
			continue;
		}
		/* slide a 256-slot window over the run [i, j) */
		for (size_t k = i; k < i + OPCODES_NSLOTS; k++)
			inside += slots[k].target >= lo && slots[k].target < hi;
		best = inside;
		for (size_t k = i + OPCODES_NSLOTS; k < j; k++) {
			inside += slots[k].target >= lo && slots[k].target < hi;
			inside -= slots[k - OPCODES_NSLOTS].target >= lo &&
				  slots[k - OPCODES_NSLOTS].target < hi;
			if (inside > best)
				best = inside;
		}
		if (best < OPCODES_MIN_INSIDE) {
			i = j;
			continue;
		}
		/* a second pass reports every window that reaches the best count */
		inside = 0;
		for (size_t k = i; k < j; k++) {
			inside += slots[k].target >= lo && slots[k].target < hi;
			if (k >= i + OPCODES_NSLOTS)
				inside -= slots[k - OPCODES_NSLOTS].target >= lo &&
					  slots[k - OPCODES_NSLOTS].target < hi;
			if (k + 1 < i + OPCODES_NSLOTS || inside != best)
				continue;
			if (found < max)
				out[found] = (struct opcodes_window){
					.first = k + 1 - OPCODES_NSLOTS,
					.addr = slots[k + 1 - OPCODES_NSLOTS].addr,
					.inside = best,
				};
			found++;
		}
		i = j;
	}
	return found;
}

size_t opcodes_scan_tail_windows(const struct opcodes_slot *slots, size_t n, uint64_t lo,
				 uint64_t hi, struct opcodes_window *out, size_t max)
{
	size_t found = 0, i = 0;

	while (i < n) {
		size_t j = i + 1, outside = 0;

		while (j < n && slots[j].addr == slots[j - 1].addr + 8)
			j++;
		/* every 256-slot window of the run with no target inside */
		for (size_t k = i; k < j; k++) {
			bool in = slots[k].target >= lo && slots[k].target < hi;

			outside = in ? 0 : outside + 1;
			if (outside < OPCODES_NSLOTS)
				continue;
			if (found < max)
				out[found] = (struct opcodes_window){
					.first = k + 1 - OPCODES_NSLOTS,
					.addr = slots[k + 1 - OPCODES_NSLOTS].addr,
					.inside = 0,
				};
			found++;
		}
		i = j;
	}
	return found;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

bool opcodes_fingerprint(const uint64_t handlers[OPCODES_NSLOTS], int minor,
			 struct opcodes_fingerprint *fp)
{
	uint64_t sorted[OPCODES_NSLOTS], mode = 0;
	unsigned best = 0, second = 0, distinct = 0;
	struct opcodes_fingerprint dummy;

	if (!fp)
		fp = &dummy;
	memset(fp, 0, sizeof(*fp));
	fp->mismatch = -1;
	memcpy(sorted, handlers, sizeof(sorted));
	qsort(sorted, OPCODES_NSLOTS, sizeof(sorted[0]), cmp_u64);
	for (size_t i = 0; i < OPCODES_NSLOTS;) {
		size_t j = i;

		while (j < OPCODES_NSLOTS && sorted[j] == sorted[i])
			j++;
		distinct++;
		if (j - i > best) {
			second = best;
			best = j - i;
			mode = sorted[i];
		} else if (j - i > second) {
			second = j - i;
		}
		i = j;
	}
	fp->unknown = mode;
	fp->unknown_slots = best;
	fp->distinct = distinct;
	/* the filler must be unambiguous: strictly the most frequent target */
	if (best < 2 || best == second || !minor_known(minor)) {
		fp->mismatch = OPCODES_NSLOTS;
		return false;
	}
	for (unsigned op = 0; op < OPCODES_NSLOTS; op++) {
		if (opcodes_defined(minor, op) != (handlers[op] != mode)) {
			fp->mismatch = (int)op;
			return false;
		}
	}
	return true;
}

/* --- on a file ------------------------------------------------------------- */

static int add_slot(struct opcodes_slot **slots, size_t *n, size_t *cap, uint64_t addr,
		    uint64_t target)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4096;
		struct opcodes_slot *s = realloc(*slots, c * sizeof(*s));

		if (!s)
			return -ENOMEM;
		*slots = s;
		*cap = c;
	}
	(*slots)[(*n)++] = (struct opcodes_slot){addr, target};
	return 0;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct opcodes_slot *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The bounds of all code, to reject most non-pointers without a search. */
static void code_bounds(const struct elfimage *img, uint64_t *lo, uint64_t *hi)
{
	const struct elfimage_section *secs;
	size_t n;

	*lo = UINT64_MAX;
	*hi = 0;
	secs = elfimage__sections(img, &n);
	for (size_t i = 0; i < n; i++) {
		if (!(secs[i].flags & SHF_ALLOC) || !(secs[i].flags & SHF_EXECINSTR))
			continue;
		if (secs[i].addr < *lo)
			*lo = secs[i].addr;
		if (secs[i].addr + secs[i].size > *hi)
			*hi = secs[i].addr + secs[i].size;
	}
}

/* Every 8-byte-aligned slot that holds a code pointer: RELATIVE relocation
 * addends in a shared object or PIE, stored values in a fixed-address
 * executable (whose data holds final addresses and needs no relocation). */
static int collect_slots(const struct elfimage *img, struct opcodes_slot **slots, size_t *n)
{
	uint64_t clo, chi;
	size_t cap = 0;
	int err = 0;

	*slots = NULL;
	*n = 0;
	code_bounds(img, &clo, &chi);
	if (elfimage__type(img) == ET_DYN) {
		const struct elfimage_reloc *r;
		size_t nr;

		r = elfimage__relocs(img, &nr);
		for (size_t i = 0; i < nr && !err; i++) {
			uint64_t t = (uint64_t)r[i].addend;

			if (r[i].type != R_X86_64_RELATIVE || r[i].offset % 8 || t < clo ||
			    t >= chi || !elfimage__is_code(img, t))
				continue;
			err = add_slot(slots, n, &cap, r[i].offset, t);
		}
	} else {
		const struct elfimage_section *secs;
		size_t ns;

		secs = elfimage__sections(img, &ns);
		for (size_t i = 0; i < ns && !err; i++) {
			const struct elfimage_section *s = &secs[i];
			uint8_t *data;

			if (s->type != SHT_PROGBITS || !(s->flags & SHF_ALLOC) ||
			    (s->flags & SHF_EXECINSTR) || !(data = elfimage__section_copy(img, s)))
				continue;
			for (uint64_t a = (s->addr + 7) & ~7ULL; a + 8 <= s->addr + s->size && !err;
			     a += 8) {
				uint64_t t = 0;

				for (int b = 7; b >= 0; b--)
					t = t << 8 | data[a - s->addr + b];
				if (t < clo || t >= chi || !elfimage__is_code(img, t))
					continue;
				err = add_slot(slots, n, &cap, a, t);
			}
			free(data);
		}
	}
	if (!err && *n)
		qsort(*slots, *n, sizeof(**slots), cmp_slot);
	return err;
}

static int decode_eval_frame(const struct elfimage *img, int64_t *disp)
{
	const uint8_t *code;
	uint64_t addr, size;
	int err;

	err = elfimage__symbol(img, "_PyInterpreterState_GetEvalFrameFunc", &addr, &size);
	if (err)
		return err;
	if (!size || size > 64)
		size = 16;
	code = elfimage__bytes(img, addr, size);
	if (!code || !elfimage__is_code(img, addr))
		return -EFAULT;
	return x86_decode_field_load(code, size, disp);
}

static int pick_table(const struct opcodes_slot *slots, size_t n, struct opcodes_table *out,
		      char *why, size_t len)
{
	struct opcodes_window win[MAX_WINDOWS];
	uint64_t lo = out->eval_vaddr, hi = out->eval_vaddr + out->eval_size;
	uint64_t handlers[OPCODES_NSLOTS];
	struct opcodes_fingerprint fp = {0}, first_fp = {0};
	size_t nwin, matches = 0, pick = 0;
	int first_bad = -1;
	bool tail = false;

	nwin = opcodes_scan_windows(slots, n, lo, hi, win, MAX_WINDOWS);
	if (!nwin && out->minor >= 14) {
		/* no labels inside the eval function: tail-calling handlers */
		nwin = opcodes_scan_tail_windows(slots, n, lo, hi, win, MAX_WINDOWS);
		tail = nwin > 0;
	}
	if (!nwin) {
		snprintf(why, len,
			 "no run of %d code pointers with %d or more into "
			 "_PyEval_EvalFrameDefault%s",
			 OPCODES_NSLOTS, OPCODES_MIN_INSIDE,
			 out->minor >= 14 ? ", nor one of tail-calling handlers" : "");
		return -ENOTSUP;
	}
	if (nwin > MAX_WINDOWS) {
		snprintf(why, len, "%zu candidate opcode tables", nwin);
		return -ENOTSUP;
	}
	for (size_t w = 0; w < nwin; w++) {
		for (size_t k = 0; k < OPCODES_NSLOTS; k++)
			handlers[k] = slots[win[w].first + k].target;
		if (!opcodes_fingerprint(handlers, out->minor, &fp)) {
			if (first_bad < 0) {
				first_bad = (int)w;
				first_fp = fp;
			}
			continue;
		}
		if (matches++)
			continue;
		pick = w;
		memcpy(out->handlers, handlers, sizeof(handlers));
		out->unknown = fp.unknown;
		out->unknown_slots = fp.unknown_slots;
		out->distinct = fp.distinct;
	}
	if (matches > 1) {
		snprintf(why, len,
			 "%zu candidate opcode tables match 3.%d's opcodes (0x%" PRIx64
			 " and more)",
			 matches, out->minor, win[pick].addr);
		return -ENOTSUP;
	}
	if (!matches && first_fp.mismatch >= OPCODES_NSLOTS) {
		snprintf(why, len,
			 "the code-pointer table at 0x%" PRIx64
			 " has no single filler for undefined opcodes",
			 win[first_bad].addr);
		return -ENOTSUP;
	}
	if (!matches) {
		snprintf(why, len,
			 "the code-pointer table at 0x%" PRIx64 " does not match 3.%d's opcodes "
			 "(first difference at opcode %d)",
			 win[first_bad].addr, out->minor, first_fp.mismatch);
		return -ENOTSUP;
	}
	out->table_vaddr = win[pick].addr;
	out->inside = win[pick].inside;
	out->tail_calls = tail;
	return 0;
}

#define MAX_POP_TARGETS 4
#define RETURN_SCAN	256 /* bytes of a return handler searched for the call */

/* The addresses a call to _PyEval_FrameClearAndPop can go to: the
 * function, and each PLT stub that jumps through a GOT slot bound to it
 * (the symbol is exported, so CPython's own calls go through the PLT). */
static size_t pop_targets(const struct elfimage *img, uint64_t fn, uint64_t *t, size_t max)
{
	const struct elfimage_section *secs;
	const struct elfimage_reloc *r;
	size_t n = 0, nr, ns;

	t[n++] = fn;
	r = elfimage__relocs(img, &nr);
	secs = elfimage__sections(img, &ns);
	for (size_t i = 0; i < nr && n < max; i++) {
		const char *sym;

		if (r[i].type != R_X86_64_JUMP_SLOT && r[i].type != R_X86_64_GLOB_DAT)
			continue;
		sym = elfimage__symbol_name(img, r[i].sym);
		if (!sym || strcmp(sym, "_PyEval_FrameClearAndPop"))
			continue;
		/* jmp *REL(%rip) (ff 25) */
		for (size_t s = 0; s < ns && n < max; s++) {
			const uint8_t *d;

			if (!(secs[s].flags & SHF_EXECINSTR) || strncmp(secs[s].name, ".plt", 4) ||
			    !(d = elfimage__bytes(img, secs[s].addr, secs[s].size)))
				continue;
			for (uint64_t k = 0; k + 6 <= secs[s].size && n < max; k++) {
				uint64_t slot;

				if (!x86_jmp_rip_slot(d + k, 6, secs[s].addr + k, &slot) ||
				    slot != r[i].offset)
					continue;
				/* the stub starts at its 16-byte slot */
				t[n++] = (secs[s].addr + k) & ~15ULL;
			}
		}
	}
	return n;
}

/* 3.13+: _PyEval_FrameClearAndPop, and the calls the return handlers make
 * to it. A build that inlined it (LTO, -fno-semantic-interposition) has
 * none, and a probe on the function would miss returns. (3.13 exports it
 * too, and pops every frame through it the way 3.14 does.) */
static int find_pop(const struct elfimage *img, struct opcodes_table *out)
{
	static const enum opcodes_op rets[] = {OPCODES_RETURN_VALUE,
					       OPCODES_INSTRUMENTED_RETURN_VALUE};
	uint64_t t[MAX_POP_TARGETS], size;
	size_t nt;

	out->pop_calls = 0;
	out->pop_name = "_PyEval_FrameClearAndPop";
	out->pop_frame_arg = 1;
	if (elfimage__symbol(img, "_PyEval_FrameClearAndPop", &out->pop_vaddr, &size) ||
	    !elfimage__is_code(img, out->pop_vaddr) ||
	    elfimage__file_offset(img, out->pop_vaddr, &out->pop_offset)) {
		out->pop_vaddr = out->pop_offset = 0;
		return 0;
	}
	nt = pop_targets(img, out->pop_vaddr, t, MAX_POP_TARGETS);
	for (size_t i = 0; i < sizeof(rets) / sizeof(rets[0]); i++) {
		uint64_t at = out->ops[rets[i]].vaddr;
		size_t len = RETURN_SCAN;
		const uint8_t *code = NULL;
		unsigned c;

		/* 3.13's INSTRUMENTED_RETURN_VALUE reaches its call through
		 * two jumps out of line. There RETURN_VALUE must call it
		 * through the PLT: then the function is interposable in this
		 * build, and a compiler inlines an interposable function at no
		 * call site, so every pop, that one's too, goes through it. */
		if (out->minor == 13 && i > 0)
			break;
		while (len && !(code = elfimage__bytes(img, at, len)))
			len /= 2;
		c = out->minor == 13 ? x86_count_calls(code, len, at, t + 1, nt - 1)
				     : x86_count_calls(code, len, at, t, nt);
		if (!c) {
			out->pop_calls = 0; /* every return handler must call it */
			return 0;
		}
		out->pop_calls += c;
	}
	return 0;
}

#define POP_WALK_INSNS 1024 /* instructions a walk from a return handler decodes, in all */
#define POP_WALK_PATH  64   /* and on one path */
#define POP_WALK_FORKS 64   /* conditional branches it follows both ways */
#define MAX_POP_SITES  16

struct pop_sites {
	uint64_t at[MAX_POP_SITES];
	size_t n;
};

static void add_site(struct pop_sites *s, uint64_t at)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->at[i] == at)
			return;
	if (s->n < MAX_POP_SITES)
		s->at[s->n++] = at;
}

/* The nearest direct call to fn that code reaches from the label from:
 * along straight-line code, direct jumps and both ways of a few
 * conditional branches (breadth first), stepping over other calls, up to
 * a ret or an indirect branch. (3.12's RETURN_VALUE jumps into
 * RETURN_CONST's tail, where the one call of both is; the instrumented
 * forms reach it past the monitoring hook's call and test.) Returns 1 with
 * its address added to sites, or 0. The nearest only: a farther one may be
 * the unwinding path's, reached through an error branch, which the caller
 * must find as a call site of its own. */
static size_t reach_calls(struct disasm *d, const struct elfimage *img, uint64_t from, uint64_t fn,
			  struct pop_sites *sites)
{
	uint64_t work[POP_WALK_FORKS], at;
	size_t head = 0, nwork = 0, budget = POP_WALK_INSNS;

	/* breadth first: the call is a few branches away, the error paths
	 * the other way of them are long */
	work[nwork++] = from;
	while (head < nwork && budget) {
		size_t path = POP_WALK_PATH;

		at = work[head++];
		while (budget && path--) {
			struct disasm_insn in;
			const uint8_t *b = NULL;
			size_t len = 16;

			budget--;
			while (len && !(b = elfimage__bytes(img, at, len)))
				len--;
			if (!b || disasm_one(d, b, len, at, &in))
				break;
			if (in.flow == DISASM_CALL && in.target == fn) {
				add_site(sites, at);
				return 1;
			}
			if (in.flow == DISASM_FLOW_OTHER)
				break;
			if (in.flow == DISASM_JCC && nwork < POP_WALK_FORKS)
				work[nwork++] = in.target;
			at = in.flow == DISASM_JMP ? in.target : at + in.len;
		}
	}
	return 0;
}

/* A linear sweep of [vaddr, vaddr + size) for direct calls to target,
 * added to sites. Returns how many it found. */
static size_t sweep_calls(struct disasm *d, const struct elfimage *img, uint64_t vaddr,
			  uint64_t size, uint64_t target, struct pop_sites *sites)
{
	const uint8_t *code = elfimage__bytes(img, vaddr, size);
	size_t pos = 0, found = 0;

	while (code && pos < size) {
		struct disasm_insn in;

		if (disasm_one(d, code + pos, size - pos, vaddr + pos, &in)) {
			pos++;
			continue;
		}
		if (in.flow == DISASM_CALL && in.target == target) {
			add_site(sites, in.vaddr);
			found++;
		}
		pos += in.len;
	}
	return found;
}

/* The frame-clearing function name in img: its symbol, its address and
 * file offset in out, a disassembler in *d. Returns 0, or -1 when it is
 * not there as code (pop_none then closes what was opened). */
static int pop_open(const struct elfimage *img, const char *name, struct opcodes_table *out,
		    struct elfimage_sym *sym, struct disasm **d)
{
	if (elfimage__symbol_any(img, name, sym) || !elfimage__is_code(img, sym->value) ||
	    elfimage__file_offset(img, sym->value, &out->pop_offset) || disasm_open(d))
		return -1;
	out->pop_vaddr = sym->value;
	return 0;
}

/* No frame-clearing function to probe: frames end at the handlers */
static void pop_none(struct disasm *d, struct opcodes_table *out)
{
	disasm_close(d);
	out->pop_vaddr = out->pop_offset = 0;
	out->pop_calls = 0;
}

/* 3.12: the static _PyEvalFrameClearAndPop (.symtab), which the return
 * handlers and the unwinding path (exit_unwind) call on every frame that
 * ends, the generators' too (3.12 clears a generator's frame there). A
 * static function may be inlined at some call sites and not at others,
 * and a frame ending through an inlined copy would go unseen: every
 * return handler must reach a call to it, and the eval function must
 * call it once more elsewhere (the source has one more call site there,
 * exit_unwind's). pop_calls counts the call sites found; 0 where one is
 * missing. */
static void find_pop_312(const struct elfimage *img, struct opcodes_table *out)
{
	static const enum opcodes_op rets[] = {OPCODES_RETURN_VALUE, OPCODES_RETURN_CONST,
					       OPCODES_INSTRUMENTED_RETURN_VALUE,
					       OPCODES_INSTRUMENTED_RETURN_CONST};
	struct pop_sites sites = {.n = 0};
	struct elfimage_sym sym;
	struct disasm *d = NULL;
	size_t from_returns;

	if (pop_open(img, "_PyEvalFrameClearAndPop", out, &sym, &d))
		goto none;
	for (size_t i = 0; i < sizeof(rets) / sizeof(rets[0]); i++)
		if (out->ops[rets[i]].opcode < 0 ||
		    !reach_calls(d, img, out->ops[rets[i]].vaddr, sym.value, &sites)) {
			goto none;
		}
	from_returns = sites.n;
	sweep_calls(d, img, out->eval_vaddr, out->eval_size, sym.value, &sites);
	if (sites.n == from_returns)
		goto none;
	out->pop_calls = (unsigned)sites.n;
	out->pop_name = "_PyEvalFrameClearAndPop";
	out->pop_frame_arg = 1;
	disasm_close(d);
	return;
none:
	pop_none(d, out);
}

/* Whether the function named name (.dynsym or .symtab) calls target
 * directly; its call sites go to sites. */
static bool function_calls(struct disasm *d, const struct elfimage *img, const char *name,
			   uint64_t target, struct pop_sites *sites)
{
	struct elfimage_sym sym;

	return !elfimage__symbol_any(img, name, &sym) && sym.size &&
	       sweep_calls(d, img, sym.value, sym.size, target, sites);
}

/* 3.11: _PyFrame_Clear(frame) (frame.c; .symtab), which clears every
 * frame that ends: a frame the eval loop called returns or is unwound
 * through it (pop_frame, inlined), one entered from C is cleared by its
 * caller once the eval loop returns (_PyEval_Vector; gen_send_ex2, inlined
 * into each generator entry, when the generator has finished). It lives in
 * another file than its callers, so only LTO could inline it, and LTO
 * renames the static callers checked here (_PyEval_Vector, gen_send_ex):
 * RETURN_VALUE must reach a call to it, the eval function must call it
 * once more (exit_unwind), and both callers must call it. It also clears
 * frames that never ran or whose generator dies suspended: exits of
 * frames that are not running, which user space ignores (FT_RAW_F_POP). */
static void find_clear_311(const struct elfimage *img, struct opcodes_table *out)
{
	struct pop_sites sites = {.n = 0};
	struct elfimage_sym sym;
	struct disasm *d = NULL;
	size_t from_returns;

	if (pop_open(img, "_PyFrame_Clear", out, &sym, &d))
		goto none;
	if (out->ops[OPCODES_RETURN_VALUE].opcode < 0 ||
	    !reach_calls(d, img, out->ops[OPCODES_RETURN_VALUE].vaddr, sym.value, &sites))
		goto none;
	from_returns = sites.n;
	sweep_calls(d, img, out->eval_vaddr, out->eval_size, sym.value, &sites);
	if (sites.n == from_returns ||
	    !function_calls(d, img, "_PyEval_Vector", sym.value, &sites) ||
	    !function_calls(d, img, "gen_send_ex", sym.value, &sites))
		goto none;
	out->pop_calls = (unsigned)sites.n;
	out->pop_name = "_PyFrame_Clear";
	out->pop_frame_arg = 0;
	disasm_close(d);
	return;
none:
	pop_none(d, out);
}

int opcodes_find_in(const struct elfimage *img, int major, int minor, struct opcodes_table *out,
		    char *why, size_t len)
{
	struct opcodes_slot *slots = NULL;
	uint64_t lo, hi;
	size_t n;
	int err;

	memset(out, 0, sizeof(*out));
	out->major = major;
	out->minor = minor;
	out->eval_frame_disp = -1;
	if (major != 3 || !minor_known(minor)) {
		snprintf(why, len, "CPython %d.%d is not supported (3.%d to 3.%d are)", major,
			 minor, OPCODES_MIN_MINOR, OPCODES_MAX_MINOR);
		return -ENOTSUP;
	}
	err = elfimage__symbol(img, "_PyEval_EvalFrameDefault", &out->eval_vaddr, &out->eval_size);
	if (err || !out->eval_size || !elfimage__is_code(img, out->eval_vaddr)) {
		snprintf(why, len, "no _PyEval_EvalFrameDefault function in .dynsym");
		return -ENOENT;
	}
	if (elfimage__file_offset(img, out->eval_vaddr, &out->eval_offset)) {
		snprintf(why, len, "_PyEval_EvalFrameDefault is not mapped from the file");
		return -ENOTSUP;
	}
	err = collect_slots(img, &slots, &n);
	if (err) {
		snprintf(why, len, "scanning for code pointers: %s", strerror(-err));
		return err;
	}
	err = pick_table(slots, n, out, why, len);
	free(slots);
	if (err)
		return err;

	lo = out->eval_vaddr;
	hi = out->eval_vaddr + out->eval_size;
	for (int op = 0; op < OPCODES__NR; op++) {
		struct opcodes_handler *h = &out->ops[op];

		h->opcode = opcodes_number(minor, op);
		if (h->opcode < 0)
			continue;
		h->vaddr = out->handlers[h->opcode];
		h->cold = h->vaddr < lo || h->vaddr >= hi;
		if (elfimage__file_offset(img, h->vaddr, &h->offset)) {
			snprintf(why, len,
				 "the %s handler at 0x%" PRIx64 " is not mapped from the file",
				 op_names[op], h->vaddr);
			return -ENOTSUP;
		}
	}
	if (minor >= 13)
		find_pop(img, out);
	else if (minor == 12)
		find_pop_312(img, out);
	else if (minor == 11)
		find_clear_311(img, out);
	/* 3.8 has no accessor; pylayout decides what a failed decode means */
	if (decode_eval_frame(img, &out->eval_frame_disp))
		out->eval_frame_disp = -1;
	return 0;
}

int opcodes_find(const struct elfimage *img, const struct elf_info *info, struct opcodes_table *out,
		 char *why, size_t len)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->eval_frame_disp = -1;
	if (!info->major) {
		snprintf(why, len, "unknown CPython version");
		return -ENOTSUP;
	}
	if (!elfimage__is_x86_64(img)) {
		snprintf(why, len, "not an x86-64 executable or shared object");
		return -ENOTSUP;
	}
	err = opcodes_find_in(img, info->major, info->minor, out, why, len);
	/* a python executable that links libpython: say where to look */
	if (err == -ENOENT && info->libpython[0])
		snprintf(why, len, "no _PyEval_EvalFrameDefault here: the interpreter is in %s",
			 info->libpython);
	return err;
}
