// SPDX-License-Identifier: MIT
/* opcodes: the per-minor opcode tables, the window scan and fingerprint on
 * synthetic slots, opcodes_find_in on synthetic ELF files (shared object and fixed-address
 * executable, one table, two tables, damaged tables), and opcodes_find on
 * the pyenv builds and Debian's python3.11 when they are installed. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "sys/elfimage.h"
#include "sys/elfinfo.h"
#include "cpython/opcodes.h"
#include "synth_elf.h"
#include "test.h"

/* --- opcode numbers ------------------------------------------------------- */

FT_TEST(opcodes_numbers_per_minor)
{
	/* the numbers from the research note and the brief; the table in
	 * opcodes.c was generated from the interpreters themselves */
	static const struct {
		int minor;
		enum opcodes_op op;
		int number;
	} cases[] = {
		{8, OPCODES_RETURN_VALUE, 83},
		{8, OPCODES_YIELD_VALUE, 86},
		{8, OPCODES_YIELD_FROM, 72},
		{9, OPCODES_YIELD_FROM, 72},
		{10, OPCODES_RETURN_VALUE, 83},
		{10, OPCODES_RESUME, -1},
		{11, OPCODES_RESUME, 151},
		{11, OPCODES_RESUME_QUICK, 150},
		{11, OPCODES_RETURN_VALUE, 83},
		{11, OPCODES_YIELD_VALUE, 86},
		{11, OPCODES_RETURN_GENERATOR, 75},
		{11, OPCODES_PUSH_EXC_INFO, 35},
		{11, OPCODES_YIELD_FROM, -1},
		{11, OPCODES_RETURN_CONST, -1},
		{12, OPCODES_RESUME, 151},
		{12, OPCODES_INSTRUMENTED_RESUME, 240},
		{12, OPCODES_RETURN_VALUE, 83},
		{12, OPCODES_RETURN_CONST, 121},
		{12, OPCODES_YIELD_VALUE, 150},
		{12, OPCODES_INSTRUMENTED_RETURN_VALUE, 242},
		{12, OPCODES_INSTRUMENTED_RETURN_CONST, 247},
		{12, OPCODES_INSTRUMENTED_YIELD_VALUE, 243},
		{12, OPCODES_RETURN_GENERATOR, 75},
		{12, OPCODES_PUSH_EXC_INFO, 35},
		{12, OPCODES_RESUME_QUICK, -1},
		{13, OPCODES_RESUME, 149},
		{13, OPCODES_RESUME_CHECK, 207},
		{13, OPCODES_INSTRUMENTED_RESUME, 236},
		{13, OPCODES_RETURN_VALUE, 36},
		{13, OPCODES_RETURN_CONST, 103},
		{13, OPCODES_YIELD_VALUE, 118},
		{13, OPCODES_INSTRUMENTED_RETURN_VALUE, 239},
		{13, OPCODES_INSTRUMENTED_RETURN_CONST, 240},
		{13, OPCODES_INSTRUMENTED_YIELD_VALUE, 241},
		{13, OPCODES_RETURN_GENERATOR, 35},
		{13, OPCODES_PUSH_EXC_INFO, 33},
		{14, OPCODES_RESUME, 128},
		{14, OPCODES_RESUME_CHECK, 196},
		{14, OPCODES_INSTRUMENTED_RESUME, 245},
		{14, OPCODES_RETURN_VALUE, 35},
		{14, OPCODES_RETURN_CONST, -1},
		{14, OPCODES_YIELD_VALUE, 120},
		{14, OPCODES_INSTRUMENTED_RETURN_VALUE, 246},
		{14, OPCODES_INSTRUMENTED_RETURN_CONST, -1},
		{14, OPCODES_INSTRUMENTED_YIELD_VALUE, 247},
		{14, OPCODES_RETURN_GENERATOR, 34},
		{14, OPCODES_PUSH_EXC_INFO, 32},
		{14, OPCODES_EXIT_INIT_CHECK, 11},
		{7, OPCODES_RETURN_VALUE, -1},
		{15, OPCODES_RESUME, -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = opcodes_number(cases[i].minor, cases[i].op);

		if (got != cases[i].number)
			FT_FAIL("3.%d %s: %d, expected %d", cases[i].minor,
				opcodes_name(cases[i].op), got, cases[i].number);
	}
	FT_EQ_STR(opcodes_name(OPCODES_RESUME_CHECK), "RESUME_CHECK");
	FT_TRUE(opcodes_name(OPCODES__NR) == NULL);
	FT_EQ_INT(opcodes_number(12, OPCODES__NR), -1);
}

FT_TEST(opcodes_defined_sets)
{
	/* opcodes with their own handler, as counted from each interpreter */
	static const int counts[] = {
		[8] = 120, [9] = 119, [10] = 127, [11] = 182, [12] = 193, [13] = 212};

	for (int minor = 8; minor <= 13; minor++) {
		int n = 0;

		for (unsigned op = 0; op < 256; op++)
			n += opcodes_defined(minor, op);
		if (n != counts[minor])
			FT_FAIL("3.%d: %d defined, expected %d", minor, n, counts[minor]);
		/* every opcode a probe needs has a handler of its own */
		for (int op = 0; op < OPCODES__NR; op++) {
			int num = opcodes_number(minor, op);

			if (num >= 0)
				FT_TRUE(opcodes_defined(minor, num));
		}
	}
	FT_TRUE(opcodes_defined(11, 255)); /* DO_TRACING */
	FT_TRUE(!opcodes_defined(12, 255));
	FT_TRUE(!opcodes_defined(8, 0));
	FT_TRUE(opcodes_defined(12, 0)); /* CACHE */
	FT_TRUE(!opcodes_defined(7, 83));
	FT_TRUE(!opcodes_defined(12, 256));
}

/* --- window scan ------------------------------------------------------------ */

#define LO 0x10000
#define HI 0x20000

/* n consecutive slots from addr; targets inside [LO, HI) except where
 * outside[] says so */
static void fill(struct opcodes_slot *s, size_t n, uint64_t addr, const bool *outside)
{
	for (size_t i = 0; i < n; i++) {
		s[i].addr = addr + 8 * i;
		s[i].target = outside && outside[i] ? HI + 0x100 + i : LO + 16 * (i % 200);
	}
}

FT_TEST(opcodes_scan_exact_run)
{
	struct opcodes_slot s[256];
	struct opcodes_window w[4];

	fill(s, 256, 0x5000, NULL);
	FT_EQ_INT(opcodes_scan_windows(s, 256, LO, HI, w, 4), 1);
	FT_EQ_INT(w[0].first, 0);
	FT_EQ_U64(w[0].addr, 0x5000);
	FT_EQ_INT(w[0].inside, 256);
	/* one slot short */
	FT_EQ_INT(opcodes_scan_windows(s, 255, LO, HI, w, 4), 0);
	/* a gap breaks the run */
	s[100].addr += 8;
	for (int i = 101; i < 256; i++)
		s[i].addr += 8;
	FT_EQ_INT(opcodes_scan_windows(s, 256, LO, HI, w, 4), 0);
	s[100].addr -= 16; /* now overlapping: not 8 bytes apart either */
	FT_EQ_INT(opcodes_scan_windows(s, 256, LO, HI, w, 4), 0);
	FT_EQ_INT(opcodes_scan_windows(s, 0, LO, HI, w, 4), 0);
}

FT_TEST(opcodes_scan_best_window_in_long_run)
{
	/* 22 foreign pointers, the 256-slot table, 22 more: one run of 300 */
	struct opcodes_slot s[300];
	struct opcodes_window w[4];
	bool outside[300] = {0};

	for (int i = 0; i < 22; i++)
		outside[i] = outside[278 + i] = true;
	/* the table itself has 81 handlers in a .cold part (not its first:
	 * then the windows at 22 and 23 would tie, see the next tests) */
	for (int i = 0; i < 81; i++)
		outside[23 + 3 * i] = true;
	fill(s, 300, 0x7000, outside);
	FT_EQ_INT(opcodes_scan_windows(s, 300, LO, HI, w, 4), 1);
	FT_EQ_INT(w[0].first, 22);
	FT_EQ_INT(w[0].inside, 175);
}

FT_TEST(opcodes_scan_threshold)
{
	struct opcodes_slot s[256];
	struct opcodes_window w[2];
	bool outside[256] = {0};

	for (int i = 0; i < 128; i++)
		outside[2 * i] = true;
	fill(s, 256, 0x1000, outside);
	FT_EQ_INT(opcodes_scan_windows(s, 256, LO, HI, w, 2), 1); /* 128 inside */
	FT_EQ_INT(w[0].inside, 128);
	outside[1] = true;
	fill(s, 256, 0x1000, outside);
	FT_EQ_INT(opcodes_scan_windows(s, 256, LO, HI, w, 2), 0); /* 127 */
}

FT_TEST(opcodes_scan_ties_and_several_runs)
{
	/* run 1: outside, 255 inside, outside: two windows tie at 255 */
	struct opcodes_slot s[257 + 256 + 256];
	struct opcodes_window w[8];
	bool outside[257] = {0};

	outside[0] = outside[256] = true;
	fill(s, 257, 0x1000, outside);
	/* runs 2 and 3, apart from each other */
	fill(s + 257, 256, 0x9000, NULL);
	fill(s + 513, 256, 0xb000, NULL);
	FT_EQ_INT(opcodes_scan_windows(s, 769, LO, HI, w, 8), 4);
	FT_EQ_INT(w[0].first, 0);
	FT_EQ_INT(w[1].first, 1);
	FT_EQ_INT(w[0].inside, 255);
	FT_EQ_U64(w[2].addr, 0x9000);
	FT_EQ_U64(w[3].addr, 0xb000);
	/* only max are stored; the count is still the total */
	FT_EQ_INT(opcodes_scan_windows(s, 769, LO, HI, w, 1), 4);
	FT_EQ_INT(w[0].first, 0);
}

/* --- fingerprint ---------------------------------------------------------- */

#define UNKNOWN 0x1ff00

/* a table that looks like 3.minor's: defined opcodes get their own
 * handler, the rest the unknown-opcode label */
static void synth_handlers(uint64_t *h, int minor)
{
	for (unsigned op = 0; op < 256; op++)
		h[op] = opcodes_defined(minor, op) ? LO + 0x40 * op : UNKNOWN;
}

FT_TEST(opcodes_fingerprint_matches_own_minor)
{
	uint64_t h[256];
	struct opcodes_fingerprint fp;

	for (int minor = 8; minor <= 13; minor++) {
		int defined = 0;

		synth_handlers(h, minor);
		for (unsigned op = 0; op < 256; op++)
			defined += opcodes_defined(minor, op);
		FT_TRUE(opcodes_fingerprint(h, minor, &fp));
		FT_EQ_U64(fp.unknown, UNKNOWN);
		FT_EQ_INT(fp.unknown_slots, 256 - defined);
		FT_EQ_INT(fp.distinct, defined + 1);
		FT_EQ_INT(fp.mismatch, -1);
		/* every other minor's numbering differs somewhere */
		for (int other = 8; other <= 13; other++) {
			if (other != minor)
				FT_TRUE(!opcodes_fingerprint(h, other, NULL));
		}
	}
	FT_TRUE(!opcodes_fingerprint(h, 14, &fp));
}

FT_TEST(opcodes_fingerprint_shared_handlers_allowed)
{
	uint64_t h[256];

	/* gcc merges identical handlers (3.12/3.13 CALL_FUNCTION_EX and its
	 * instrumented twin share one label): that is not a mismatch */
	synth_handlers(h, 12);
	h[244] = h[142];
	FT_TRUE(opcodes_fingerprint(h, 12, NULL));
}

FT_TEST(opcodes_fingerprint_mismatches)
{
	uint64_t h[256];
	struct opcodes_fingerprint fp;

	synth_handlers(h, 13);
	h[149] = UNKNOWN; /* RESUME sent to the unknown label */
	FT_TRUE(!opcodes_fingerprint(h, 13, &fp));
	FT_EQ_INT(fp.mismatch, 149);

	synth_handlers(h, 13);
	h[255] = LO + 0x9999; /* an undefined slot with a handler of its own */
	FT_TRUE(!opcodes_fingerprint(h, 13, &fp));
	FT_EQ_INT(fp.mismatch, 255);

	/* shifted by one slot, as a window one entry off would be */
	synth_handlers(h, 12);
	memmove(h, h + 1, 255 * sizeof(h[0]));
	FT_TRUE(!opcodes_fingerprint(h, 12, NULL));

	/* no unambiguous filler: two targets tie for most frequent */
	for (unsigned op = 0; op < 256; op++)
		h[op] = op < 128 ? UNKNOWN : UNKNOWN + 8;
	FT_TRUE(!opcodes_fingerprint(h, 12, &fp));
	FT_EQ_INT(fp.mismatch, 256);
	/* all distinct */
	for (unsigned op = 0; op < 256; op++)
		h[op] = LO + op;
	FT_TRUE(!opcodes_fingerprint(h, 12, &fp));
}

/* --- opcodes_find_in on synthetic files --------------------------------------- */

#define S_TEXT	  0x10000 /* eval function [S_TEXT, S_TEXT + 0x3000), .cold after it */
#define S_EVALSZ  0x3000
#define S_COLD	  0x13000
#define S_GETTER  0x13f00
#define S_TABLE	  0x20000 /* .data.rel.ro or .rodata */
#define S_UNKNOWN (S_TEXT + 0x2f00)
#define S_NCOLD	  40

struct synth_py {
	uint8_t text[0x4000];
	uint8_t table[3 * 2048 + 64];
	Elf64_Rela rela[3 * 256 + 8];
	size_t nrela;
};

/* handler of opcode op in the synthetic interpreter: defined opcodes get
 * their own label, a few of them in the .cold part */
static uint64_t synth_handler(int minor, unsigned op)
{
	if (!opcodes_defined(minor, op))
		return S_UNKNOWN;
	if (op % 5 == 1 && op / 5 < S_NCOLD)
		return S_COLD + 0x10 * op;
	return S_TEXT + 0x20 * op;
}

/* copies tables (1 or 2) after 8 foreign code pointers at S_TABLE; corrupt
 * >= 0 points that slot of the first table at a fresh label */
static int write_synth(struct synth_py *p, int type, int minor, int copies, int corrupt, char *path,
		       size_t len)
{
	size_t slot = 0;
	bool dyn = type == ET_DYN;

	memset(p, 0, sizeof(*p));
	/* _PyInterpreterState_GetEvalFrameFunc: mov 0x6d0(%rdi),%rax; ret */
	memcpy(p->text + (S_GETTER - S_TEXT), "\x48\x8b\x87\xd0\x06\x00\x00\xc3", 8);
	for (int k = 0; k < 8; k++, slot++) {
		uint64_t t = S_COLD + 0x800 + 8 * k;

		if (dyn)
			p->rela[p->nrela++] = (Elf64_Rela){S_TABLE + 8 * slot,
							   ELF64_R_INFO(0, R_X86_64_RELATIVE), t};
		else
			synth_put64(p->table, 8 * slot, t);
	}
	for (int c = 0; c < copies; c++) {
		/* a second copy starts after a one-slot gap, so it is its own run */
		if (c)
			slot++;
		for (unsigned op = 0; op < 256; op++, slot++) {
			uint64_t t = synth_handler(minor, op);

			if (!c && (int)op == corrupt)
				t = S_TEXT + 0x2f80;
			if (dyn)
				p->rela[p->nrela++] = (Elf64_Rela){
					S_TABLE + 8 * slot, ELF64_R_INFO(0, R_X86_64_RELATIVE), t};
			else
				synth_put64(p->table, 8 * slot, t);
		}
	}

	const struct synth_sec secs[] = {
		{".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, S_TEXT, p->text, sizeof(p->text),
		 ELF_T_BYTE, 0, 0},
		{dyn ? ".data.rel.ro" : ".rodata", SHT_PROGBITS, SHF_ALLOC, S_TABLE, p->table,
		 sizeof(p->table), ELF_T_BYTE, 0, 0},
		{".rela.dyn", SHT_RELA, SHF_ALLOC, 0x1000, p->rela,
		 (dyn ? p->nrela : 1) * sizeof(Elf64_Rela), ELF_T_RELA, sizeof(Elf64_Rela),
		 SYNTH_LINK_DYNSYM},
	};
	const struct synth_sym syms[] = {
		{"_PyEval_EvalFrameDefault", S_TEXT, S_EVALSZ, 0},
		{"_PyInterpreterState_GetEvalFrameFunc", S_GETTER, 16, 0},
	};
	return synth_write(type, secs, 3, syms, 2, path, len);
}

static int find_synth(int type, int minor, int copies, int corrupt, int claim_minor,
		      struct opcodes_table *t, char *why, size_t whylen)
{
	static struct synth_py p;
	struct elfimage *img;
	char path[64];
	int fd = write_synth(&p, type, minor, copies, corrupt, path, sizeof(path)), err;

	img = elfimage__open(path);
	FT_TRUE(img);
	err = opcodes_find_in(img, 3, claim_minor, t, why, whylen);
	elfimage__free(img);
	close(fd);
	return err;
}

static void check_synth_table(const struct opcodes_table *t, int minor)
{
	FT_EQ_U64(t->table_vaddr, S_TABLE + 64);
	FT_EQ_U64(t->eval_vaddr, S_TEXT);
	FT_EQ_U64(t->eval_size, S_EVALSZ);
	FT_EQ_U64(t->unknown, S_UNKNOWN);
	FT_EQ_INT(t->eval_frame_disp, 0x6d0);
	for (unsigned op = 0; op < 256; op++)
		FT_EQ_U64(t->handlers[op], synth_handler(minor, op));
	for (int op = 0; op < OPCODES__NR; op++) {
		const struct opcodes_handler *h = &t->ops[op];

		FT_EQ_INT(h->opcode, opcodes_number(minor, op));
		if (h->opcode < 0)
			continue;
		FT_EQ_U64(h->vaddr, synth_handler(minor, h->opcode));
		FT_EQ_INT(h->cold, h->vaddr >= S_COLD);
		/* each section has its own PT_LOAD: offset = vaddr - S_TEXT + .text's */
		FT_EQ_U64(h->offset - t->eval_offset, h->vaddr - S_TEXT);
	}
}

FT_TEST(opcodes_find_synthetic_shared_object)
{
	struct opcodes_table t;
	char why[256] = "";

	for (int minor = 8; minor <= 13; minor++) {
		int err = find_synth(ET_DYN, minor, 1, -1, minor, &t, why, sizeof(why));

		if (err)
			FT_FAIL("3.%d: %d %s", minor, err, why);
		check_synth_table(&t, minor);
	}
	/* 3.12 has RETURN_CONST (121 = 5 * 24 + 1) among the cold handlers */
	FT_TRUE(t.ops[OPCODES_RESUME].opcode == 149 && !t.ops[OPCODES_RESUME].cold);
	find_synth(ET_DYN, 12, 1, -1, 12, &t, why, sizeof(why));
	FT_TRUE(t.ops[OPCODES_RETURN_CONST].cold);
	FT_TRUE(t.inside < 256 && t.inside >= OPCODES_MIN_INSIDE);
}

FT_TEST(opcodes_find_synthetic_executable)
{
	struct opcodes_table t;
	char why[256] = "";

	FT_EQ_INT(find_synth(ET_EXEC, 11, 1, -1, 11, &t, why, sizeof(why)), 0);
	check_synth_table(&t, 11);
	FT_EQ_INT(find_synth(ET_EXEC, 13, 1, -1, 13, &t, why, sizeof(why)), 0);
	check_synth_table(&t, 13);
}

FT_TEST(opcodes_find_synthetic_refusals)
{
	struct opcodes_table t;
	char why[256] = "";

	/* two tables that both match */
	FT_EQ_INT(find_synth(ET_DYN, 12, 2, -1, 12, &t, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "2 candidate"));
	FT_EQ_INT(find_synth(ET_EXEC, 12, 2, -1, 12, &t, why, sizeof(why)), -ENOTSUP);
	/* a damaged table */
	FT_EQ_INT(find_synth(ET_DYN, 12, 1, 200, 12, &t, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "does not match 3.12"));
	FT_TRUE(strstr(why, "opcode 200"));
	/* two tables, one damaged: the good one is picked */
	FT_EQ_INT(find_synth(ET_DYN, 12, 2, 200, 12, &t, why, sizeof(why)), 0);
	FT_EQ_U64(t.table_vaddr, S_TABLE + 64 + 2048 + 8);
	/* the wrong minor claimed */
	FT_EQ_INT(find_synth(ET_DYN, 12, 1, -1, 13, &t, why, sizeof(why)), -ENOTSUP);
	FT_EQ_INT(find_synth(ET_DYN, 12, 1, -1, 15, &t, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "not supported"));
	FT_EQ_INT(find_synth(ET_DYN, 12, 0, -1, 12, &t, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "no run of 256"));
}

/* --- the real interpreters ------------------------------------------------------ */

/* Handler addresses read from each build's DWARF (DW_TAG_label TARGET_*)
 * when this module was written; they apply only to the exact build (same
 * GNU build ID). Debian's build has no DWARF: its addresses are the ones
 * the research note's tracefs probes counted exact call numbers at. */
struct known_build {
	const char *path;
	const char *build_id;
	uint64_t table, eval;
	unsigned inside;
	struct {
		enum opcodes_op op;
		uint64_t vaddr, offset;
	} ops[12];
	/* 3.11+: the frame-pop function (0: none usable) and its call sites
	 * found, checked where pop_checked */
	bool pop_checked;
	uint64_t pop;
	unsigned pop_calls;
	int pop_frame_arg;
};

static const struct known_build known[] = {
	{"3.8.18/lib/libpython3.8.so.1.0",
	 "ff2a4988bea9e9bbbb8004eb6e74cc0792734c3b",
	 0x316dc0,
	 0x6bf60,
	 256,
	 {{OPCODES_RETURN_VALUE, 0x6edc8, 0x6edc8},
	  {OPCODES_YIELD_VALUE, 0x6ff87, 0x6ff87},
	  {OPCODES_YIELD_FROM, 0x6ddef, 0x6ddef}},
	 false,
	 0,
	 0,
	 0},
	{"3.9.18/lib/libpython3.9.so.1.0",
	 "8a6cadea533dd782615a0f14a75b5aef248a10d4",
	 0x34fdc0,
	 0x66920,
	 256,
	 {{OPCODES_RETURN_VALUE, 0x6904c, 0x6904c},
	  {OPCODES_YIELD_VALUE, 0x6abaa, 0x6abaa},
	  {OPCODES_YIELD_FROM, 0x68029, 0x68029}},
	 false,
	 0,
	 0,
	 0},
	{"3.10.13/lib/libpython3.10.so.1.0",
	 "ece57af647dd10ee274f46d757d62a5eab42c418",
	 0x370dc0,
	 0x65540,
	 256,
	 {{OPCODES_RETURN_VALUE, 0x6a2d5, 0x6a2d5},
	  {OPCODES_YIELD_VALUE, 0x666cb, 0x666cb},
	  {OPCODES_YIELD_FROM, 0x685a3, 0x685a3}},
	 false,
	 0,
	 0,
	 0},
	{"3.11.7/lib/libpython3.11.so.1.0",
	 "49daf84ed369fe589b73ea876f2591cd4c3588bb",
	 0x4174e0,
	 0xfab70,
	 255,
	 {{OPCODES_RESUME, 0x100f3e, 0x100f3e},
	  {OPCODES_RESUME_QUICK, 0x10197a, 0x10197a},
	  {OPCODES_RETURN_VALUE, 0x100548, 0x100548},
	  {OPCODES_YIELD_VALUE, 0x101388, 0x101388},
	  {OPCODES_RETURN_GENERATOR, 0xffff3, 0xffff3},
	  {OPCODES_PUSH_EXC_INFO, 0xfeb86, 0xfeb86}},
	 /* _PyFrame_Clear: RETURN_VALUE's call, exit_unwind's, _PyEval_Vector's
	  * and gen_send_ex's six (objdump) */
	 true,
	 0x26f2c0,
	 9,
	 0},
	{"3.12.1/lib/libpython3.12.so.1.0",
	 "f9d5c82f5f2c22df68c1d49c944ef3dee5103dcc",
	 0x4cef20,
	 0x10bdc0,
	 254,
	 {{OPCODES_RESUME, 0x1143d7, 0x1143d7},
	  {OPCODES_INSTRUMENTED_RESUME, 0x1146f4, 0x1146f4},
	  {OPCODES_RETURN_VALUE, 0x11474f, 0x11474f},
	  {OPCODES_RETURN_CONST, 0x11398d, 0x11398d},
	  {OPCODES_YIELD_VALUE, 0x10e11d, 0x10e11d},
	  {OPCODES_INSTRUMENTED_RETURN_VALUE, 0x113942, 0x113942},
	  {OPCODES_INSTRUMENTED_RETURN_CONST, 0x1142e5, 0x1142e5},
	  {OPCODES_INSTRUMENTED_YIELD_VALUE, 0x10ccde, 0x10ccde},
	  {OPCODES_RETURN_GENERATOR, 0x11419e, 0x11419e},
	  {OPCODES_PUSH_EXC_INFO, 0x113a05, 0x113a05}},
	 /* _PyEvalFrameClearAndPop: RETURN_VALUE and RETURN_CONST share one
	  * call, their instrumented forms another, exit_unwind the third
	  * (objdump: three calls, all in the eval function) */
	 true,
	 0x280d00,
	 3,
	 1},
	{"3.13.0/lib/libpython3.13.so.1.0",
	 "d11d13fb0f82d32f3da1221ffd551ab179afb423",
	 0x4a0d20,
	 0x8b8e0,
	 256,
	 {{OPCODES_RESUME, 0x90a49, 0x90a49},
	  {OPCODES_RESUME_CHECK, 0x90a87, 0x90a87},
	  {OPCODES_INSTRUMENTED_RESUME, 0x8f2bf, 0x8f2bf},
	  {OPCODES_RETURN_VALUE, 0x90c5c, 0x90c5c},
	  {OPCODES_RETURN_CONST, 0x90abd, 0x90abd},
	  {OPCODES_YIELD_VALUE, 0x91c75, 0x91c75},
	  {OPCODES_INSTRUMENTED_RETURN_VALUE, 0x8ece8, 0x8ece8},
	  {OPCODES_INSTRUMENTED_RETURN_CONST, 0x8f3eb, 0x8f3eb},
	  {OPCODES_INSTRUMENTED_YIELD_VALUE, 0x8ed29, 0x8ed29},
	  {OPCODES_RETURN_GENERATOR, 0x90b58, 0x90b58},
	  {OPCODES_PUSH_EXC_INFO, 0x91397, 0x91397}},
	 false,
	 0,
	 0,
	 0},
	{"/usr/bin/python3.11",
	 "571d98e01096d5c1c32420d229a6731a0a50d2a0",
	 0x73af00,
	 0x52b0f0,
	 175,
	 {{OPCODES_RESUME, 0x52f5d1, 0x12f5d1},
	  {OPCODES_RESUME_QUICK, 0x52b29d, 0x12b29d},
	  {OPCODES_RETURN_VALUE, 0x52b376, 0x12b376}},
	 /* stripped: no _PyFrame_Clear to find, the return handlers stay */
	 true,
	 0,
	 0,
	 0},
};

/* The path of a known build, under $(pyenv root)/versions for relative ones. */
static void known_path(const struct known_build *k, char *buf, size_t len)
{
	const char *root = getenv("PYENV_ROOT");

	if (k->path[0] == '/')
		snprintf(buf, len, "%s", k->path);
	else
		snprintf(buf, len, "%s/versions/%s", root && *root ? root : "/root/.pyenv",
			 k->path);
}

/* The value of a .symtab symbol whose name starts with prefix, or 0. */
static uint64_t symtab_value(const char *path, const char *prefix)
{
	uint64_t v = 0;
	Elf_Scn *scn = NULL;
	int fd = open(path, O_RDONLY);
	Elf *elf;

	FT_TRUE(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && !v && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !d)
			continue;
		for (size_t i = 0; i < sh.sh_size / sizeof(Elf64_Sym); i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(d, i, &s))
				continue;
			n = elf_strptr(elf, sh.sh_link, s.st_name);
			if (n && !strncmp(n, prefix, strlen(prefix))) {
				v = s.st_value;
				break;
			}
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return v;
}

static void hex_id(const uint8_t *id, int n, char *buf)
{
	for (int i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", id[i]);
	buf[2 * (n > 0 ? n : 0)] = '\0';
}

/* The session's way: the file opened once as an image. */
static int find_at(const char *path, const struct elf_info *info, struct opcodes_table *t,
		   char *why, size_t len)
{
	struct elfimage *img = elfimage__open(path);
	int err;

	FT_TRUE(img);
	err = opcodes_find(img, info, t, why, len);
	elfimage__free(img);
	return err;
}

FT_TEST(opcodes_find_real_interpreters)
{
	int tested = 0;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known_build *k = &known[i];
		char path[512], why[256] = "", id[41];
		struct opcodes_table t;
		struct elf_info info;
		struct elfimage *img;
		uint8_t raw[20];
		uint64_t sym;
		int n, err;

		known_path(k, path, sizeof(path));
		if (access(path, R_OK)) {
			printf("  note: %s not installed, skipped\n", path);
			continue;
		}
		FT_EQ_INT(elf_inspect(path, &info), 0);
		err = find_at(path, &info, &t, why, sizeof(why));
		if (err)
			FT_FAIL("%s: %d %s", path, err, why);
		tested++;
		/* any build: the table .symtab names (pyenv builds keep it) */
		sym = symtab_value(path, "opcode_targets");
		if (sym)
			FT_EQ_U64(t.table_vaddr, sym);
		FT_TRUE(t.inside >= OPCODES_MIN_INSIDE);
		for (int op = 0; op < OPCODES__NR; op++) {
			if (t.ops[op].opcode >= 0)
				FT_TRUE(t.ops[op].vaddr != t.unknown);
		}

		img = elfimage__open(path);
		FT_TRUE(img);
		n = elfimage__build_id(img, raw, sizeof(raw));
		elfimage__free(img);
		hex_id(raw, n > 20 ? 20 : n, id);
		if (strcmp(id, k->build_id)) {
			printf("  note: %s is another build (%s): exact addresses not checked\n",
			       path, id);
			continue;
		}
		FT_EQ_U64(t.table_vaddr, k->table);
		FT_EQ_U64(t.eval_vaddr, k->eval);
		FT_EQ_INT(t.inside, k->inside);
		for (size_t j = 0; j < 12 && k->ops[j].vaddr; j++) {
			const struct opcodes_handler *h = &t.ops[k->ops[j].op];

			if (h->vaddr != k->ops[j].vaddr || h->offset != k->ops[j].offset)
				FT_FAIL("%s %s: 0x%" PRIx64 "/0x%" PRIx64 ", expected 0x%" PRIx64
					"/0x%" PRIx64,
					path, opcodes_name(k->ops[j].op), h->vaddr, h->offset,
					k->ops[j].vaddr, k->ops[j].offset);
		}
		if (k->pop_checked) {
			FT_EQ_U64(t.pop_vaddr, k->pop);
			FT_EQ_INT(t.pop_calls, k->pop_calls);
			if (k->pop)
				FT_EQ_INT(t.pop_frame_arg, k->pop_frame_arg);
		}
	}
	if (!tested)
		printf("  note: no CPython interpreter installed: nothing checked\n");
}

/* The four 3.14 GIL builds of scripts/build-python314.sh (research note
 * 11.3): computed gotos (gcc) and tail calls (clang), each also with
 * libpython stripped, which must give the same table, handlers and
 * _PyEval_FrameClearAndPop (.dynsym) with the calls the return handlers
 * make to it. Absent builds are skipped with a note. */
static const struct {
	const char *dir;
	bool tail;
	uint64_t table, resume, resume_check, yield, pop;
} known314[] = {
	{"python3.14-dtrace", false, 0x505940, 0x959c3, 0x95966, 0x94472, 0x254cf0},
	{"python3.14-dtrace-strip", false, 0x505940, 0x959c3, 0x95966, 0x94472, 0x254cf0},
	{"python3.14-tailcall", true, 0x4a9e60, 0x218a70, 0x21e8a0, 0x218960, 0x20cbe0},
	{"python3.14-tailcall-strip", true, 0x4a9e60, 0x218a70, 0x21e8a0, 0x218960, 0x20cbe0},
};

FT_TEST(opcodes_find_real_314)
{
	for (size_t i = 0; i < sizeof(known314) / sizeof(known314[0]); i++) {
		char path[512], why[256] = "";
		struct opcodes_table t;
		struct elf_info info;
		int err;

		snprintf(path, sizeof(path), "/var/cache/flowtrace-bpf/%s/lib/libpython3.14.so.1.0",
			 known314[i].dir);
		if (access(path, R_OK)) {
			printf("  note: %s not built, skipped\n", path);
			continue;
		}
		FT_EQ_INT(elf_inspect(path, &info), 0);
		err = find_at(path, &info, &t, why, sizeof(why));
		if (err)
			FT_FAIL("%s: %d %s", path, err, why);
		FT_EQ_INT(t.tail_calls, known314[i].tail);
		FT_EQ_U64(t.table_vaddr, known314[i].table);
		FT_EQ_U64(t.ops[OPCODES_RESUME].vaddr, known314[i].resume);
		FT_EQ_U64(t.ops[OPCODES_RESUME_CHECK].vaddr, known314[i].resume_check);
		FT_EQ_U64(t.ops[OPCODES_YIELD_VALUE].vaddr, known314[i].yield);
		FT_EQ_INT(t.ops[OPCODES_RETURN_CONST].opcode, -1);
		FT_EQ_INT(t.unknown_slots, 29);
		FT_EQ_INT(t.distinct, 228);
		FT_EQ_INT(t.inside, known314[i].tail ? 0 : 256);
		FT_EQ_U64(t.pop_vaddr, known314[i].pop);
		FT_EQ_U64(t.pop_offset, known314[i].pop);
		/* RETURN_VALUE and INSTRUMENTED_RETURN_VALUE each call it once */
		FT_EQ_INT(t.pop_calls, 2);
	}
}

/* The tail-call rule: a run whose targets all lie outside the eval
 * function; a run with one target inside is not one. */
FT_TEST(opcodes_scan_tail_windows_rule)
{
	struct opcodes_slot s[OPCODES_NSLOTS + 1];
	struct opcodes_window w[4];

	for (size_t i = 0; i < OPCODES_NSLOTS; i++)
		s[i] = (struct opcodes_slot){0x1000 + 8 * i, 0x9000 + 0x40 * i};
	FT_EQ_INT(opcodes_scan_tail_windows(s, OPCODES_NSLOTS, 0x100, 0x200, w, 4), 1);
	FT_EQ_U64(w[0].addr, 0x1000);
	s[7].target = 0x180; /* one handler inside the eval function */
	FT_EQ_INT(opcodes_scan_tail_windows(s, OPCODES_NSLOTS, 0x100, 0x200, w, 4), 0);
	/* and the computed-goto rule does not take a tail-call table */
	s[7].target = 0x9000;
	FT_EQ_INT(opcodes_scan_windows(s, OPCODES_NSLOTS, 0x100, 0x200, w, 4), 0);
}

FT_TEST(opcodes_find_refuses_non_interpreters)
{
	struct opcodes_table t;
	struct elf_info info;
	char why[256] = "";

	/* the test binary itself: an ELF file with no interpreter in it */
	FT_EQ_INT(elf_inspect("/proc/self/exe", &info), 0);
	info.major = 3;
	info.minor = 12;
	FT_EQ_INT(find_at("/proc/self/exe", &info, &t, why, sizeof(why)), -ENOENT);
	FT_TRUE(strstr(why, "_PyEval_EvalFrameDefault"));
	info.major = 0;
	FT_EQ_INT(find_at("/proc/self/exe", &info, &t, why, sizeof(why)), -ENOTSUP);
}
