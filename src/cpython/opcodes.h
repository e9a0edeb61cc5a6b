/* SPDX-License-Identifier: MIT */
/* Where CPython's bytecode handlers are, read statically from the ELF file
 * that holds the interpreter loop: the computed-goto table (opcode_targets)
 * found through the relocations or absolute pointers that fill it, the
 * handler address and file offset of each opcode a probe source needs, and
 * the per-minor opcode numbers. Touches no process. See
 * docs/interpreter-layout.md. */
#ifndef FT_OPCODES_H
#define FT_OPCODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_info;
struct elfimage;

#define OPCODES_NSLOTS	   256 /* entries of opcode_targets */
#define OPCODES_MIN_INSIDE 128 /* window entries that must point into the eval function */
#define OPCODES_MIN_MINOR  8   /* supported CPython 3.x series */
#define OPCODES_MAX_MINOR  14

/* The opcodes whose handlers a probe source may attach to. Not every minor
 * has every one: opcodes_number() says -1 for those it lacks. */
enum opcodes_op {
	OPCODES_RESUME,			   /* 3.11+: every frame start and resume */
	OPCODES_RESUME_QUICK,		   /* 3.11: quickened RESUME */
	OPCODES_RESUME_CHECK,		   /* 3.13+: specialised RESUME */
	OPCODES_INSTRUMENTED_RESUME,	   /* 3.12+: RESUME under sys.monitoring/settrace */
	OPCODES_RETURN_VALUE,		   /* all */
	OPCODES_RETURN_CONST,		   /* 3.12, 3.13 (gone in 3.14) */
	OPCODES_YIELD_VALUE,		   /* all */
	OPCODES_INSTRUMENTED_RETURN_VALUE, /* 3.12+ */
	OPCODES_INSTRUMENTED_RETURN_CONST, /* 3.12, 3.13 */
	OPCODES_INSTRUMENTED_YIELD_VALUE,  /* 3.12+ */
	OPCODES_RETURN_GENERATOR,	   /* 3.11+ */
	OPCODES_PUSH_EXC_INFO,		   /* 3.11+: first instruction of an except/finally block */
	OPCODES_YIELD_FROM,		   /* 3.8-3.10 */
	OPCODES_EXIT_INIT_CHECK,	   /* 3.13+: first instruction of the __init__ shim frame */
	OPCODES__NR,
};

/* "RESUME", "RETURN_VALUE", ... or NULL */
const char *opcodes_name(enum opcodes_op op);
/* The opcode number of op in CPython 3.minor, or -1 when that minor has no
 * such opcode or is not supported. */
int opcodes_number(int minor, enum opcodes_op op);
/* Whether 3.minor's interpreter has a handler of its own for opcode (a
 * defined instruction, or a label like 3.11's DO_TRACING), rather than the
 * unknown-opcode one. */
bool opcodes_defined(int minor, unsigned opcode);

struct opcodes_handler {
	int opcode;	 /* -1: this minor has no such opcode */
	uint64_t vaddr;	 /* the handler label */
	uint64_t offset; /* its file offset: what a uprobe attaches to */
	bool cold;	 /* outside the eval function's symbol: in its .cold part */
};

/* What opcodes_find() learns about one interpreter ELF file. Addresses are
 * link-time virtual addresses of the file (load bias not applied). */
struct opcodes_table {
	int major, minor;
	uint64_t eval_vaddr, eval_size; /* _PyEval_EvalFrameDefault from .dynsym */
	uint64_t eval_offset;		/* its file offset */
	uint64_t table_vaddr;		/* opcode_targets (tail-calling: INSTRUCTION_TABLE) */
	uint64_t unknown;		/* the label filling the undefined slots */
	unsigned inside;		/* handlers inside [eval_vaddr, +eval_size) */
	unsigned distinct;		/* distinct handler addresses */
	unsigned unknown_slots;		/* slots holding .unknown */
	int64_t eval_frame_disp;	/* interp->eval_frame offset decoded from
				  * _PyInterpreterState_GetEvalFrameFunc; -1 without it */
	uint64_t handlers[OPCODES_NSLOTS];
	struct opcodes_handler ops[OPCODES__NR];
	/* 3.14 built with clang's tail-calling interpreter: every handler is
	 * a function of its own (_TAIL_CALL_<OPNAME>) outside the eval
	 * function, reached through a table of function pointers */
	bool tail_calls;
	/* 3.13+: _PyEval_FrameClearAndPop (.dynsym), 3.12: the static
	 * _PyEvalFrameClearAndPop (.symtab), where every frame that returns
	 * or is unwound is popped, and how many calls to it the return
	 * handlers (3.12: and the unwinding path) make (0: none found, e.g.
	 * inlined) */
	uint64_t pop_vaddr, pop_offset;
	unsigned pop_calls;
	const char *pop_name; /* its name (a static string), for -v */
	/* 3.11: _PyFrame_Clear (.symtab), which clears every frame that
	 * ends; its frame is its first argument (pop_frame_arg 0), the
	 * others' their second (1) */
	int pop_frame_arg;
};

/* Finds the opcode table of the interpreter in img (the libpython shared
 * library, or an executable with the interpreter linked in, as opened by
 * target discovery) whose version info describes. Returns 0 with out
 * filled, or a negative errno with a one-line reason in why: -ENOTSUP
 * (unsupported version or architecture, not exactly one table, fingerprint
 * mismatch), -ENOENT (no _PyEval_EvalFrameDefault in .dynsym), or -ENOMEM. */
int opcodes_find(const struct elfimage *img, const struct elf_info *info, struct opcodes_table *out,
		 char *why, size_t len);
/* The same with major/minor from the caller, for any x86-64 image. */
int opcodes_find_in(const struct elfimage *img, int major, int minor, struct opcodes_table *out,
		    char *why, size_t len);

/* --- pure pieces, exposed for the unit tests -------------------------- */

/* An 8-byte slot of the file that holds a code pointer. */
struct opcodes_slot {
	uint64_t addr;	 /* the slot's vaddr */
	uint64_t target; /* the code address it holds */
};

/* The best 256-slot window of one run of consecutive slots. */
struct opcodes_window {
	size_t first;	 /* index of its first slot in the slot array */
	uint64_t addr;	 /* vaddr of its first slot */
	unsigned inside; /* targets inside [lo, hi) */
};

/* Scans slots (sorted by addr) for runs of at least 256 slots 8 bytes
 * apart; in each run, keeps the window(s) with the most targets inside
 * [lo, hi), when that is at least OPCODES_MIN_INSIDE. Windows that tie
 * within a run are all kept, so the fingerprint can tell them apart.
 * Stores up to max windows and returns how many were found. */
size_t opcodes_scan_windows(const struct opcodes_slot *slots, size_t n, uint64_t lo, uint64_t hi,
			    struct opcodes_window *out, size_t max);

/* The tail-calling shape (3.14 clang): 256-slot windows of runs of at
 * least 256 slots in which no target lies inside [lo, hi) (the eval
 * function, which only starts the first handler) and every target is
 * distinct but one, the unknown-opcode handler. Stores up to max windows
 * and returns how many were found. */
size_t opcodes_scan_tail_windows(const struct opcodes_slot *slots, size_t n, uint64_t lo,
				 uint64_t hi, struct opcodes_window *out, size_t max);

struct opcodes_fingerprint {
	uint64_t unknown;	/* the most frequent target */
	unsigned unknown_slots; /* how often it appears */
	unsigned distinct;	/* distinct targets */
	int mismatch;		/* first opcode that breaks the pattern, or -1 */
};

/* Checks that handlers[] looks like 3.minor's opcode table: one target (the
 * unknown-opcode label) fills exactly the opcodes that minor leaves
 * undefined, and no defined opcode points there. Returns true on a match;
 * fp (optional) says what was seen. */
bool opcodes_fingerprint(const uint64_t handlers[OPCODES_NSLOTS], int minor,
			 struct opcodes_fingerprint *fp);

#endif /* FT_OPCODES_H */
