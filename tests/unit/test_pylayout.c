// SPDX-License-Identifier: MIT
/* pylayout: the per-minor table, PyMemberDef decoding and the member,
 * _Py_DebugOffsets and accessor checks on synthetic data, and pylayout_for
 * on the pyenv builds and Debian's python3.11 when they are installed
 * (including refusals when a wrong version is claimed). */
#include <errno.h>
#include <unistd.h>

#include "sys/elfimage.h"
#include "sys/elfinfo.h"
#include "cpython/opcodes.h"
#include "cpython/pylayout.h"
#include "synth_elf.h"
#include "test.h"

/* --- the table ---------------------------------------------------------------- */

FT_TEST(pylayout_table_values)
{
	/* a few columns of the research note's §3.1 table per minor (read there
	 * from the DWARF of the pyenv builds, and again for this module) */
	static const struct {
		int minor;
		int32_t interpreters_head, threads_head, eval_frame, ts_frame, cframe, cframe_frame,
			thread_id, native_tid, f_code, f_back, f_ip, f_entry, co_flags,
			co_firstlineno, co_filename, co_name, co_qualname, ascii, compact;
	} rows[] = {
		{8, 32, 8, 568, 24, -1, -1, 176, -1, 32, 24, 104, -1, 36, 40, 104, 112, -1, 48, 72},
		{9,  32,  8,  1400, 24, -1,  -1,  176, -1, 32,
		 24, 104, -1, 36,   40, 104, 112, -1,  48, 72},
		{10, 32, 8,  1368, 24, -1,  -1,	 176, -1, 32,
		 24, 96, -1, 36,   40, 104, 112, -1,  48, 72},
		{11, 40, 16, 1424, -1, 56,  8,	 152, 160, 32,
		 48, 56, 68, 48,   72, 112, 120, 128, 48,  72},
		{12, 40, 72, 1744, -1, 56,  0,	 136, 144, 0,
		 8,  56, 70, 48,   68, 112, 120, 128, 40,  56},
		{13, 632, 7344, 8472, 72, -1,  -1,  152, 160, 0,
		 8,  56,  70,	48,   68, 112, 120, 128, 40,  56},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pylayout l;

		FT_EQ_INT(pylayout_table(3, rows[i].minor, &l), 0);
		FT_EQ_INT(l.minor, rows[i].minor);
		FT_EQ_INT(l.runtime.interpreters_head, rows[i].interpreters_head);
		FT_EQ_INT(l.interp.threads_head, rows[i].threads_head);
		FT_EQ_INT(l.interp.eval_frame, rows[i].eval_frame);
		FT_EQ_INT(l.tstate.frame, rows[i].ts_frame);
		FT_EQ_INT(l.tstate.cframe, rows[i].cframe);
		FT_EQ_INT(l.tstate.cframe_frame, rows[i].cframe_frame);
		FT_EQ_INT(l.tstate.thread_id, rows[i].thread_id);
		FT_EQ_INT(l.tstate.native_thread_id, rows[i].native_tid);
		FT_EQ_INT(l.tstate.next, 8);
		FT_EQ_INT(l.tstate.interp, 16);
		FT_EQ_INT(l.frame.code, rows[i].f_code);
		FT_EQ_INT(l.frame.back, rows[i].f_back);
		FT_EQ_INT(l.frame.ip, rows[i].f_ip);
		FT_EQ_INT(l.frame.entry, rows[i].f_entry);
		FT_EQ_INT(l.code.flags, rows[i].co_flags);
		FT_EQ_INT(l.code.firstlineno, rows[i].co_firstlineno);
		FT_EQ_INT(l.code.filename, rows[i].co_filename);
		FT_EQ_INT(l.code.name, rows[i].co_name);
		FT_EQ_INT(l.code.qualname, rows[i].co_qualname);
		FT_EQ_INT(l.unicode.ascii_size, rows[i].ascii);
		FT_EQ_INT(l.unicode.compact_size, rows[i].compact);
		FT_EQ_INT(l.unicode.state, 32);
		FT_EQ_INT(l.unicode.kind_shift, 2);
		FT_EQ_INT(l.unicode.compact_bit, 5);
		FT_EQ_INT(l.unicode.ascii_bit, 6);
		FT_EQ_INT(l.unicode.ready_bit, rows[i].minor <= 11 ? 7 : PYLAYOUT_NONE);
		FT_EQ_INT(l.code.g.source, PYLAYOUT_SRC_TABLE);
		FT_EQ_INT(l.code.g.nchecked, 0);
	}
}

FT_TEST(pylayout_table_kinds)
{
	static const struct {
		int minor;
		enum pylayout_ip_kind ip;
		enum pylayout_entry_kind entry;
		int32_t owner_cstack;
	} kinds[] = {
		{8, PYLAYOUT_IP_LASTI_BYTES, PYLAYOUT_ENTRY_NONE, PYLAYOUT_NONE},
		{9, PYLAYOUT_IP_LASTI_BYTES, PYLAYOUT_ENTRY_NONE, PYLAYOUT_NONE},
		{10, PYLAYOUT_IP_LASTI_UNITS, PYLAYOUT_ENTRY_NONE, PYLAYOUT_NONE},
		{11, PYLAYOUT_IP_PREV_INSTR, PYLAYOUT_ENTRY_FLAG, PYLAYOUT_NONE},
		{12, PYLAYOUT_IP_PREV_INSTR, PYLAYOUT_ENTRY_OWNER, 3},
		{13, PYLAYOUT_IP_INSTR_PTR, PYLAYOUT_ENTRY_OWNER, 3},
	};
	struct pylayout l;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		FT_EQ_INT(pylayout_table(3, kinds[i].minor, &l), 0);
		FT_EQ_INT(l.frame.ip_kind, kinds[i].ip);
		FT_EQ_INT(l.frame.entry_kind, kinds[i].entry);
		FT_EQ_INT(l.frame.owner_cstack, kinds[i].owner_cstack);
	}
	FT_EQ_INT(pylayout_table(3, 7, &l), -ENOTSUP);
	FT_EQ_INT(pylayout_table(3, 14, &l), -ENOTSUP);
	FT_EQ_INT(pylayout_table(2, 7, &l), -ENOTSUP);
	FT_EQ_INT(pylayout_table(4, 0, &l), -ENOTSUP);
}

FT_TEST(pylayout_describe_sources)
{
	char buf[128];

	pylayout_describe_source(PYLAYOUT_SRC_TABLE | PYLAYOUT_SRC_MEMBERS | PYLAYOUT_SRC_DEBUG,
				 buf, sizeof(buf));
	FT_EQ_STR(buf, "table, tp_members, debug offsets");
	pylayout_describe_source(PYLAYOUT_SRC_BASICSIZE | PYLAYOUT_SRC_DECODED, buf, sizeof(buf));
	FT_EQ_STR(buf, "tp_basicsize, decoded accessors");
	pylayout_describe_source(0, buf, sizeof(buf));
	FT_EQ_STR(buf, "");
	/* a short buffer stays terminated */
	pylayout_describe_source(PYLAYOUT_SRC_TABLE | PYLAYOUT_SRC_MEMBERS, buf, 9);
	FT_TRUE(strlen(buf) < 9);
}

/* --- PyMemberDef ----------------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = v >> (8 * i) & 0xff;
}

FT_TEST(pylayout_decode_memberdef)
{
	uint8_t raw[PYLAYOUT_MEMBERDEF_SIZE];
	struct pylayout_member m;

	/* {name, T_OBJECT, 120, READONLY, doc} with pointers that a shared
	 * object leaves zero (they live in relocations) */
	memset(raw, 0, sizeof(raw));
	put_le(raw + 8, PYLAYOUT_T_OBJECT, 4);
	put_le(raw + 16, 120, 8);
	put_le(raw + 24, 1, 4);
	memset(raw + 12, 0xee, 4); /* padding after the int: ignored */
	pylayout_decode_member(raw, &m);
	FT_EQ_INT(m.type, PYLAYOUT_T_OBJECT);
	FT_EQ_INT(m.offset, 120);
	FT_EQ_INT(m.flags, 1);
	/* the offset is a Py_ssize_t: all 8 bytes count */
	put_le(raw + 16, 0x100000048ULL, 8);
	pylayout_decode_member(raw, &m);
	FT_EQ_U64(m.offset, 0x100000048ULL);
	put_le(raw + 16, (uint64_t)-8, 8);
	pylayout_decode_member(raw, &m);
	FT_EQ_INT(m.offset, -8);
}

#define MEM(n, t, o)       \
	{                  \
		n, t, o, 1 \
	}

/* PyCode_Type's members as 3.11.7 has them (read from its file) */
static const struct pylayout_member code311[] = {
	MEM("co_argcount", PYLAYOUT_T_INT, 56),
	MEM("co_posonlyargcount", PYLAYOUT_T_INT, 60),
	MEM("co_kwonlyargcount", PYLAYOUT_T_INT, 64),
	MEM("co_stacksize", PYLAYOUT_T_INT, 68),
	MEM("co_flags", PYLAYOUT_T_INT, 48),
	MEM("co_nlocals", PYLAYOUT_T_INT, 80),
	MEM("co_consts", PYLAYOUT_T_OBJECT, 24),
	MEM("co_names", PYLAYOUT_T_OBJECT, 32),
	MEM("co_filename", PYLAYOUT_T_OBJECT, 112),
	MEM("co_name", PYLAYOUT_T_OBJECT, 120),
	MEM("co_qualname", PYLAYOUT_T_OBJECT, 128),
	MEM("co_firstlineno", PYLAYOUT_T_INT, 72),
	MEM("co_linetable", PYLAYOUT_T_OBJECT, 136),
	MEM("co_exceptiontable", PYLAYOUT_T_OBJECT, 40),
};

FT_TEST(pylayout_code_members_agree)
{
	struct pylayout l;
	char why[128] = "";

	FT_EQ_INT(pylayout_table(3, 11, &l), 0);
	FT_EQ_INT(pylayout_check_code_members(&l, code311, 14, why, sizeof(why)), 0);
	FT_EQ_INT(l.code.g.source, PYLAYOUT_SRC_TABLE | PYLAYOUT_SRC_MEMBERS);
	FT_EQ_INT(l.code.g.nfields, 7);
	FT_EQ_INT(l.code.g.nchecked, 6); /* all but co_code_adaptive */
	/* T_OBJECT_EX is as good as T_OBJECT; an optional member may be absent */
	{
		struct pylayout_member m[14];

		memcpy(m, code311, sizeof(m));
		m[9].type = PYLAYOUT_T_OBJECT_EX;
		m[12].name = "co_something_else";
		FT_EQ_INT(pylayout_table(3, 11, &l), 0);
		FT_EQ_INT(pylayout_check_code_members(&l, m, 14, why, sizeof(why)), 0);
		FT_EQ_INT(l.code.g.nchecked, 5);
	}
}

FT_TEST(pylayout_code_members_disagree)
{
	struct pylayout_member m[14];
	struct pylayout l;
	char why[128] = "";

	/* 3.11's members against the 3.12 table: co_firstlineno moved */
	FT_EQ_INT(pylayout_table(3, 12, &l), 0);
	FT_EQ_INT(pylayout_check_code_members(&l, code311, 14, why, sizeof(why)), -ENOTSUP);
	FT_EQ_STR(why, "code.firstlineno: table says 68, PyCode_Type.tp_members says 72");

	/* a required member missing */
	memcpy(m, code311, sizeof(m));
	m[9].name = "co_nom";
	FT_EQ_INT(pylayout_table(3, 11, &l), 0);
	FT_EQ_INT(pylayout_check_code_members(&l, m, 14, why, sizeof(why)), -ENOTSUP);
	FT_EQ_STR(why, "PyCode_Type.tp_members has no member co_name");

	/* a member of the wrong type */
	memcpy(m, code311, sizeof(m));
	m[4].type = PYLAYOUT_T_OBJECT;
	FT_EQ_INT(pylayout_check_code_members(&l, m, 14, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "co_flags has member type 6"));

	/* a member the table says this version lacks: co_qualname in 3.10 */
	FT_EQ_INT(pylayout_table(3, 10, &l), 0);
	l.code.flags = 48;
	l.code.firstlineno = 72;
	l.code.filename = 112;
	l.code.name = 120;
	FT_EQ_INT(pylayout_check_code_members(&l, code311, 14, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "code.qualname: table says -1"));
}

FT_TEST(pylayout_frame_members)
{
	const struct pylayout_member f39[] = {
		MEM("f_back", PYLAYOUT_T_OBJECT, 24),
		MEM("f_code", PYLAYOUT_T_OBJECT, 32),
		MEM("f_builtins", PYLAYOUT_T_OBJECT, 40),
		MEM("f_lasti", PYLAYOUT_T_INT, 104),
		MEM("f_trace_lines", 14, 88),
	};
	struct pylayout l;
	char why[128] = "";

	FT_EQ_INT(pylayout_table(3, 9, &l), 0);
	FT_EQ_INT(pylayout_check_frame_members(&l, f39, 5, why, sizeof(why)), 0);
	FT_EQ_INT(l.frame.g.nchecked, 3);
	/* 3.10: f_lasti is no member (a getter), and its ip sits at 96 */
	FT_EQ_INT(pylayout_table(3, 10, &l), 0);
	FT_EQ_INT(pylayout_check_frame_members(&l, f39, 3, why, sizeof(why)), 0);
	FT_EQ_INT(l.frame.g.nchecked, 2);
	FT_EQ_INT(pylayout_check_frame_members(&l, f39, 5, why, sizeof(why)), -ENOTSUP);
	FT_EQ_STR(why, "frame.ip: table says 96, PyFrame_Type.tp_members says 104");
	/* 3.9 needs f_lasti */
	FT_EQ_INT(pylayout_table(3, 9, &l), 0);
	FT_EQ_INT(pylayout_check_frame_members(&l, f39, 3, why, sizeof(why)), -ENOTSUP);
	/* 3.11+ frame objects wrap interpreter frames: nothing to check */
	FT_EQ_INT(pylayout_table(3, 12, &l), 0);
	FT_EQ_INT(pylayout_check_frame_members(&l, f39, 5, why, sizeof(why)), 0);
	FT_EQ_INT(l.frame.g.nchecked, 0);
}

/* --- _Py_DebugOffsets ------------------------------------------------------------- */

static void put64(uint8_t *buf, size_t at, uint64_t v)
{
	put_le(buf + at, v, 8);
}

/* The 3.13.0 table as pyenv's libpython3.13 holds it (sizes and fields
 * this module does not read included, to keep the byte positions honest). */
static void debug313(uint8_t *b)
{
	static const uint64_t words[] = {
		/* version, free_threaded */
		0x30d00f0,
		0,
		/* runtime: size, finalizing, interpreters_head */
		0x452b8,
		0x260,
		0x278,
		/* interpreter: size id next threads_head gc imports sysdict builtins
		 * ceval_gil gil_runtime_state enabled locked holder */
		0x2f998,
		0x1c68,
		0x1c60,
		0x1cb0,
		0x1ce8,
		0x1de8,
		0x1dd8,
		0x1de0,
		0x10,
		0x1e48,
		0,
		0x1e58,
		0x1e50,
		/* thread: size prev next interp current_frame thread_id native datastack status */
		0x130,
		0,
		8,
		0x10,
		0x48,
		0x98,
		0xa0,
		0xe8,
		0x20,
		/* frame: size previous executable instr_ptr localsplus owner */
		0x50,
		8,
		0,
		0x38,
		0x48,
		0x46,
		/* code: size filename name qualname linetable firstlineno argcount
		 * localsplusnames localspluskinds co_code_adaptive */
		0xd0,
		0x70,
		0x78,
		0x80,
		0x88,
		0x44,
		0x34,
		0x60,
		0x68,
		0xc8,
		/* pyobject: size ob_type; type: size tp_name tp_repr tp_flags */
		0x10,
		8,
		0x1a0,
		0x18,
		0x58,
		0xa8,
		/* tuple, list, dict, float, long, bytes */
		0x20,
		0x18,
		0x10,
		0x28,
		0x18,
		0x10,
		0x30,
		0x20,
		0x28,
		0x18,
		0x10,
		0x20,
		0x10,
		0x18,
		0x28,
		0x10,
		0x20,
		/* unicode: size state length asciiobject_size; gc: size collecting */
		0x40,
		0x20,
		0x10,
		0x28,
		0xf0,
		0xc8,
	};

	memset(b, 0, PYLAYOUT_DEBUG_SIZE_313);
	memcpy(b, "xdebugpy", 8);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		put64(b, 8 + 8 * i, words[i]);
	FT_EQ_INT(8 + 8 * (sizeof(words) / sizeof(words[0])), PYLAYOUT_DEBUG_SIZE_313);
}

FT_TEST(pylayout_debug_offsets_agree)
{
	uint8_t b[PYLAYOUT_DEBUG_SIZE_313];
	struct pylayout l;
	char why[128] = "";

	debug313(b);
	FT_EQ_INT(pylayout_table(3, 13, &l), 0);
	FT_EQ_INT(pylayout_check_debug_offsets(&l, b, sizeof(b), why, sizeof(why)), 0);
	FT_EQ_INT(l.runtime.g.nchecked, 1);
	FT_EQ_INT(l.interp.g.nchecked, 2); /* all but eval_frame */
	FT_EQ_INT(l.tstate.g.nchecked, 5);
	FT_EQ_INT(l.tstate.g.nfields, 5);
	FT_EQ_INT(l.frame.g.nchecked, 4);
	FT_EQ_INT(l.code.g.nchecked, 6); /* all but co_flags */
	FT_EQ_INT(l.unicode.g.nchecked, 3);
	FT_TRUE(l.frame.g.source & PYLAYOUT_SRC_DEBUG);
}

FT_TEST(pylayout_debug_offsets_refusals)
{
	uint8_t b[PYLAYOUT_DEBUG_SIZE_313];
	struct pylayout l;
	char why[128] = "";

	FT_EQ_INT(pylayout_table(3, 13, &l), 0);
	debug313(b);
	b[0] = 'X';
	FT_EQ_INT(pylayout_check_debug_offsets(&l, b, sizeof(b), why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "cookie"));

	debug313(b);
	FT_EQ_INT(pylayout_check_debug_offsets(&l, b, sizeof(b) - 1, why, sizeof(why)), -ENOTSUP);
	FT_EQ_INT(pylayout_check_debug_offsets(&l, NULL, 0, why, sizeof(why)), -ENOTSUP);

	debug313(b);
	put64(b, 8, 0x30c01f0); /* 3.12.1 */
	FT_EQ_INT(pylayout_check_debug_offsets(&l, b, sizeof(b), why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "is not 3.13"));

	debug313(b);
	put64(b, 16, 1);
	FT_EQ_INT(pylayout_check_debug_offsets(&l, b, sizeof(b), why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "free-threaded"));

	/* a patch release that moved current_frame */
	debug313(b);
	put64(b, 184, 0x50);
	FT_EQ_INT(pylayout_check_debug_offsets(&l, b, sizeof(b), why, sizeof(why)), -ENOTSUP);
	FT_EQ_STR(why, "tstate.frame: table says 72, _Py_DebugOffsets says 80");

	/* a 3.12 layout has no parser */
	debug313(b);
	FT_EQ_INT(pylayout_table(3, 12, &l), 0);
	FT_EQ_INT(pylayout_check_debug_offsets(&l, b, sizeof(b), why, sizeof(why)), -ENOTSUP);
}

/* --- the real interpreters ------------------------------------------------------------ */

struct real {
	const char *path; /* under $(pyenv root)/versions unless absolute */
	int minor;
	unsigned code_src, tstate_src, frame_src; /* sources expected besides the table */
	int tstate_checked, frame_checked;
};

#define MB  PYLAYOUT_SRC_MEMBERS
#define BS  PYLAYOUT_SRC_BASICSIZE
#define DBG PYLAYOUT_SRC_DEBUG
#define DEC PYLAYOUT_SRC_DECODED

static const struct real reals[] = {
	{"3.8.18/lib/libpython3.8.so.1.0", 8, MB, DEC, MB, 1, 3},
	{"3.9.18/lib/libpython3.9.so.1.0", 9, MB, DEC, MB | DEC, 3, 3},
	{"3.10.13/lib/libpython3.10.so.1.0", 10, MB, DEC, MB | DEC, 3, 2},
	{"3.11.7/lib/libpython3.11.so.1.0", 11, MB | BS, DEC, DEC, 4, 1},
	{"3.12.1/lib/libpython3.12.so.1.0", 12, MB | BS, DEC, DEC, 4, 1},
	{"3.13.0/lib/libpython3.13.so.1.0", 13, MB | BS | DBG, DBG | DEC, DBG | DEC, 5, 4},
	{"/usr/bin/python3.11", 11, MB | BS, DEC, DEC, 4, 1},
};

static void real_path(const struct real *r, char *buf, size_t len)
{
	const char *root = getenv("PYENV_ROOT");

	if (r->path[0] == '/')
		snprintf(buf, len, "%s", r->path);
	else
		snprintf(buf, len, "%s/versions/%s", root && *root ? root : "/root/.pyenv",
			 r->path);
}

/* The session's way: the file opened once as an image, read by each step. */
static int layout_at(const char *path, const struct elf_info *info, struct pylayout *l, char *why,
		     size_t len)
{
	struct elfimage *img = elfimage__open(path);
	int err;

	FT_TRUE(img);
	err = pylayout_for(img, path, info, l, why, len);
	elfimage__free(img);
	return err;
}

static int code_death_at(const char *path, int minor, struct pylayout_code_death *cd, char *why,
			 size_t len)
{
	struct elfimage *img = elfimage__open(path);
	int err;

	FT_TRUE(img);
	err = pylayout_code_death(img, minor, cd, why, len);
	elfimage__free(img);
	return err;
}

FT_TEST(pylayout_real_interpreters)
{
	int tested = 0;

	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		const struct real *r = &reals[i];
		struct pylayout l, t;
		struct elf_info info;
		char path[512], why[256] = "";
		int err;

		real_path(r, path, sizeof(path));
		if (access(path, R_OK)) {
			printf("  note: %s not installed, skipped\n", path);
			continue;
		}
		FT_EQ_INT(elf_inspect(path, &info), 0);
		FT_EQ_INT(info.minor, r->minor);
		err = layout_at(path, &info, &l, why, sizeof(why));
		if (err)
			FT_FAIL("%s: %d %s", path, err, why);
		tested++;
		/* the offsets are the table's; the sources say who confirmed them */
		FT_EQ_INT(pylayout_table(3, r->minor, &t), 0);
		t.runtime_vaddr = l.runtime_vaddr;
		t.code_type_vaddr = l.code_type_vaddr;
		t.init_cleanup_vaddr = l.init_cleanup_vaddr;
		t.code_dealloc_offset = l.code_dealloc_offset;
		t.runtime.g = l.runtime.g;
		t.interp.g = l.interp.g;
		t.tstate.g = l.tstate.g;
		t.frame.g = l.frame.g;
		t.code.g = l.code.g;
		t.unicode.g = l.unicode.g;
		FT_TRUE(!memcmp(&t, &l, sizeof(t)));
		FT_TRUE(l.runtime_vaddr && l.code_type_vaddr);
		/* every code object dies through it: the name caches need it */
		FT_TRUE(l.code_dealloc_offset != 0);
		/* the markers' source finds the same function, and co_name (not
		 * co_qualname) with co_filename */
		struct pylayout_code_death cd;
		FT_EQ_INT(code_death_at(path, r->minor, &cd, why, sizeof(why)), 0);
		FT_EQ_INT(cd.dealloc_offset, l.code_dealloc_offset);
		FT_EQ_INT(cd.filename, l.code.filename);
		FT_EQ_INT(cd.name, l.code.name);
		FT_EQ_INT(cd.ascii_size, l.unicode.ascii_size);
		FT_EQ_INT(cd.utf8, l.unicode.ascii_size + 8);
		/* the str state the interpreter source reads, from the same place */
		FT_EQ_INT(cd.state, l.unicode.state);
		FT_EQ_INT(cd.compact_bit, l.unicode.compact_bit);
		FT_EQ_INT(cd.ascii_bit, l.unicode.ascii_bit);
		/* only 3.13 has the __init__ shim */
		FT_EQ_INT(l.init_cleanup_vaddr != 0, r->minor == 13);

		FT_EQ_INT(l.code.g.source, PYLAYOUT_SRC_TABLE | r->code_src);
		FT_EQ_INT(l.code.g.nchecked, l.code.g.nfields);
		FT_EQ_INT(l.tstate.g.source, PYLAYOUT_SRC_TABLE | r->tstate_src);
		FT_EQ_INT(l.tstate.g.nchecked, r->tstate_checked);
		FT_EQ_INT(l.frame.g.source, PYLAYOUT_SRC_TABLE | r->frame_src);
		FT_EQ_INT(l.frame.g.nchecked, r->frame_checked);
		/* every version: the runtime head (and, up to 3.11, the running
		 * thread state), the thread list and (3.9+) the PEP 523 slot are
		 * decoded from accessors */
		FT_EQ_INT(l.runtime.g.nchecked, l.runtime.g.nfields);
		FT_EQ_INT(l.runtime.g.nfields, r->minor <= 11 ? 2 : 1);
		FT_EQ_INT(l.interp.g.nchecked, r->minor == 8 ? 2 : 3);
		FT_TRUE(l.unicode.g.source & PYLAYOUT_SRC_BASICSIZE);
	}
	if (!tested)
		printf("  note: no CPython interpreter installed: nothing checked\n");
}

/* The markers' CPythons, which may have no interpreter layout here (3.6,
 * 3.7): where their code objects die and what is read of them there. */
FT_TEST(pylayout_code_death_markers)
{
	static const struct {
		const char *path;
		int minor, filename, name;
	} cases[] = {
		{"/var/cache/flowtrace-bpf/python3.9-dtrace/lib/libpython3.9.so.1.0", 9, 104, 112},
		{"3.6.15/lib/libpython3.6m.so.1.0", 6, 96, 104},
		{"3.7.16/lib/libpython3.7m.so.1.0", 7, 96, 104},
	};
	struct pylayout_code_death cd;
	char path[512], why[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct real r = {.path = cases[i].path};

		real_path(&r, path, sizeof(path));
		if (access(path, R_OK)) {
			printf("  note: %s not installed, skipped\n", path);
			continue;
		}
		FT_EQ_INT(code_death_at(path, cases[i].minor, &cd, why, sizeof(why)), 0);
		FT_TRUE(cd.dealloc_offset != 0);
		FT_EQ_INT(cd.filename, cases[i].filename);
		FT_EQ_INT(cd.name, cases[i].name);
		FT_EQ_INT(cd.ascii_size, 48);
		FT_EQ_INT(cd.utf8, 56);
		/* PyASCIIObject's state word and bits are 3.6's as they are 3.13's */
		FT_EQ_INT(cd.state, 32);
		FT_EQ_INT(cd.compact_bit, 5);
		FT_EQ_INT(cd.ascii_bit, 6);
		/* a str header that is not this version's is refused */
		FT_EQ_INT(code_death_at(path, 12, &cd, why, sizeof(why)), -ENOTSUP);
		FT_TRUE(strstr(why, "tp_basicsize"));
		FT_EQ_INT(cd.dealloc_offset, 0);
	}
	FT_EQ_INT(code_death_at("/bin/sh", 4, &cd, why, sizeof(why)), -ENOTSUP);
	FT_EQ_INT(code_death_at("/bin/sh", 9, &cd, why, sizeof(why)), -ENOTSUP);
}

FT_TEST(pylayout_real_wrong_version_refused)
{
	/* the file contradicts the table of every other minor, except 3.8
	 * claimed as 3.9: those layouts differ only in interp->eval_frame,
	 * which 3.8 exports no accessor for */
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		char path[512], why[256];
		struct elf_info info;
		struct pylayout l;

		real_path(&reals[i], path, sizeof(path));
		if (access(path, R_OK))
			continue;
		FT_EQ_INT(elf_inspect(path, &info), 0);
		for (int m = 8; m <= 13; m++) {
			int err;

			if (m == reals[i].minor || (reals[i].minor == 8 && m == 9))
				continue;
			info.minor = m;
			why[0] = '\0';
			err = layout_at(path, &info, &l, why, sizeof(why));
			if (err != -ENOTSUP || !why[0])
				FT_FAIL("%s claimed as 3.%d: %d", path, m, err);
			/* nothing half-filled is left behind */
			FT_EQ_INT(l.minor, 0);
		}
	}
}

FT_TEST(pylayout_refusals)
{
	struct elf_info info;
	struct pylayout l;
	char why[256] = "";
	char path[512];

	/* not an interpreter */
	FT_EQ_INT(elf_inspect("/proc/self/exe", &info), 0);
	FT_EQ_INT(layout_at("/proc/self/exe", &info, &l, why, sizeof(why)), -ENOTSUP);
	FT_EQ_STR(why, "unknown CPython version");
	info.major = 3;
	info.minor = 12;
	FT_EQ_INT(layout_at("/proc/self/exe", &info, &l, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "not in this file"));
	info.minor = 15;
	FT_EQ_INT(layout_at("/proc/self/exe", &info, &l, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "3.15 is not supported"));

	/* a free-threaded or debug soname is refused before anything is read */
	real_path(&reals[5], path, sizeof(path));
	if (access(path, R_OK)) {
		printf("  note: %s not installed, skipped\n", path);
		return;
	}
	FT_EQ_INT(elf_inspect(path, &info), 0);
	snprintf(info.soname, sizeof(info.soname), "libpython3.13t.so.1.0");
	FT_EQ_INT(layout_at(path, &info, &l, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "free-threaded"));
	snprintf(info.soname, sizeof(info.soname), "libpython3.13d.so.1.0");
	FT_EQ_INT(layout_at(path, &info, &l, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "debug"));
}

/* --- the __init__ shim's code object (3.13) -------------------------------------- */

#define IC_DATA	     0x20000
#define IC_CODE_TYPE 0x30000 /* PyCode_Type's vaddr */
#define IC_OBJ_SIZE  0x100
#define IC_ADAPTIVE  200 /* 3.13's co_code_adaptive */

struct ic_synth {
	uint8_t data[4 * IC_OBJ_SIZE];
	uint8_t types[0x100];
	Elf64_Rela rela[8];
	size_t nrela;
};

/* Static code objects at IC_DATA + k * IC_OBJ_SIZE whose bytecode is
 * code[k] (NULL: no object there); their ob_type points at PyCode_Type
 * through an R_X86_64_64 against the symbol (sym), a RELATIVE relocation,
 * or (ET_EXEC) stored as is. */
static int ic_write(struct ic_synth *p, int type, bool sym, const uint8_t *const code[4],
		    char *path, size_t len)
{
	memset(p, 0, sizeof(*p));
	for (int k = 0; k < 4; k++) {
		uint64_t obj = IC_DATA + (uint64_t)k * IC_OBJ_SIZE;

		if (!code[k])
			continue;
		memcpy(p->data + k * IC_OBJ_SIZE + IC_ADAPTIVE, code[k], 6);
		if (type == ET_EXEC)
			synth_put64(p->data, k * IC_OBJ_SIZE + 8, IC_CODE_TYPE);
		else if (sym)
			p->rela[p->nrela++] =
				(Elf64_Rela){obj + 8, ELF64_R_INFO(1, R_X86_64_64), 0};
		else
			p->rela[p->nrela++] = (Elf64_Rela){
				obj + 8, ELF64_R_INFO(0, R_X86_64_RELATIVE), IC_CODE_TYPE};
	}
	const struct synth_sec secs[] = {
		{".data.rel.ro", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, IC_DATA, p->data,
		 sizeof(p->data), ELF_T_BYTE, 0, 0},
		{".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, IC_CODE_TYPE, p->types,
		 sizeof(p->types), ELF_T_BYTE, 0, 0},
		{".rela.dyn", SHT_RELA, SHF_ALLOC, 0x1000, p->rela,
		 (p->nrela ? p->nrela : 1) * sizeof(Elf64_Rela), ELF_T_RELA, sizeof(Elf64_Rela),
		 SYNTH_LINK_DYNSYM},
	};
	const struct synth_sym syms[] = {{"PyCode_Type", IC_CODE_TYPE, 0x100, 1}};
	return synth_write(type, secs, 3, syms, 1, path, len);
}

static int ic_find(int type, bool sym, const uint8_t *const code[4], uint64_t *found, char *why,
		   size_t len)
{
	static struct ic_synth p;
	struct pylayout l;
	struct elfimage *img;
	char path[64];
	int fd = ic_write(&p, type, sym, code, path, sizeof(path)), err;

	FT_EQ_INT(pylayout_table(3, 13, &l), 0);
	FT_EQ_INT(l.code.code_adaptive, IC_ADAPTIVE);
	l.code_type_vaddr = IC_CODE_TYPE;
	img = elfimage__open(path);
	FT_TRUE(img);
	err = pylayout_find_init_cleanup(img, &l, why, len);
	*found = l.init_cleanup_vaddr;
	elfimage__free(img);
	close(fd);
	return err;
}

FT_TEST(pylayout_init_cleanup_found)
{
	const uint8_t shim[6] = {(uint8_t)opcodes_number(13, OPCODES_EXIT_INIT_CHECK), 0,
				 (uint8_t)opcodes_number(13, OPCODES_RETURN_VALUE),    0,
				 (uint8_t)opcodes_number(13, OPCODES_RESUME),	       0};
	const uint8_t plain[6] = {(uint8_t)opcodes_number(13, OPCODES_RESUME), 0,
				  (uint8_t)opcodes_number(13, OPCODES_RETURN_VALUE), 0};
	const uint8_t *const code[4] = {plain, NULL, shim, plain};
	const int types[] = {ET_DYN, ET_DYN, ET_EXEC};
	char why[256];
	uint64_t at;

	FT_EQ_INT(shim[0], 13);
	for (int i = 0; i < 3; i++) {
		why[0] = '\0';
		FT_EQ_INT(ic_find(types[i], i == 0, code, &at, why, sizeof(why)), 0);
		FT_EQ_U64(at, IC_DATA + 2 * IC_OBJ_SIZE);
	}
}

FT_TEST(pylayout_init_cleanup_refused)
{
	const uint8_t shim[6] = {13, 0, 36, 0, 149, 0};
	const uint8_t plain[6] = {149, 0, 36, 0};
	const uint8_t *const none[4] = {plain, NULL, plain, NULL};
	const uint8_t *const two[4] = {shim, NULL, shim, NULL};
	char why[256];
	uint64_t at;

	FT_EQ_INT(ic_find(ET_DYN, true, none, &at, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "0 static code objects"));
	FT_EQ_U64(at, 0);
	FT_EQ_INT(ic_find(ET_EXEC, false, two, &at, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "2 static code objects"));
}

/* 3.14: no hand table; the layout is the interpreter's own debug offsets
 * plus the constants they lack, each confirmed by the file (research note
 * 11.1). The GIL builds give it, stripped or not, and so does the
 * free-threaded one, whose object offsets are each 16 further (its 32-byte
 * header). A table whose header does not fit its build kind is refused in
 * one line. Absent builds are skipped with a note. */
FT_TEST(pylayout_314_from_debug_offsets)
{
	static const char *const dirs[] = {"python3.14-dtrace", "python3.14-dtrace-strip",
					   "python3.14-tailcall", "python3.14-tailcall-strip"};
	struct debug_offsets d = {.major = 3, .minor = 14, .free_threaded = true};
	struct elf_info info;
	struct pylayout l;
	char why[256] = "", path[512];

	/* a free-threaded flag with a GIL build's 16-byte header */
	d.object.size = 16;
	d.object.ob_type = 8;
	d.type.tp_name = 24;
	d.type.tp_flags = 168;
	FT_EQ_INT(pylayout_from_debug(&d, &l, why, sizeof(why)), -ENOTSUP);
	FT_TRUE(strstr(why, "is not a free-threaded build's"));
	d.minor = 13;
	d.free_threaded = false;
	FT_EQ_INT(pylayout_from_debug(&d, &l, why, sizeof(why)), -ENOTSUP);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "/var/cache/flowtrace-bpf/%s/lib/libpython3.14.so.1.0",
			 dirs[i]);
		if (access(path, R_OK)) {
			printf("  note: %s not built, skipped\n", path);
			continue;
		}
		FT_EQ_INT(elf_inspect(path, &info), 0);
		if (layout_at(path, &info, &l, why, sizeof(why)))
			FT_FAIL("%s: %s", path, why);
		FT_TRUE(l.has_debug);
		FT_EQ_INT(l.runtime.interpreters_head, 808);
		FT_EQ_INT(l.interp.threads_head, 7344);
		FT_EQ_INT(l.interp.eval_frame, 8520); /* decoded, as the DWARF says */
		FT_EQ_INT(l.tstate.frame, 72);
		FT_EQ_INT(l.tstate.native_thread_id, 160);
		FT_EQ_INT(l.frame.code, 0);
		FT_EQ_INT(l.frame.back, 8);
		FT_EQ_INT(l.frame.entry, 74);
		FT_EQ_INT(l.frame.owner_cstack, 3);
		FT_EQ_INT(l.code.flags, 48);
		FT_EQ_INT(l.code.qualname, 128);
		FT_EQ_INT(l.code.firstlineno, 68);
		FT_EQ_INT(l.unicode.ascii_size, 40);
		FT_EQ_INT(l.unicode.compact_size, 56);
		FT_EQ_U64(l.code_tag_bits, 3);
		FT_EQ_INT(l.object.ob_type, 8);
		FT_EQ_INT(l.object.tp_dealloc, 48);
		FT_EQ_INT(l.object.tp_members, 240);
		FT_TRUE(!l.free_threaded);
		FT_TRUE(l.init_cleanup_vaddr != 0);
		/* co_flags and the compact header are confirmed by the file */
		FT_TRUE(l.code.g.source & PYLAYOUT_SRC_MEMBERS);
		FT_TRUE(l.unicode.g.source & PYLAYOUT_SRC_BASICSIZE);
	}
	snprintf(path, sizeof(path),
		 "/var/cache/flowtrace-bpf/python3.14-ft/lib/libpython3.14t.so.1.0");
	if (!access(path, R_OK)) {
		FT_EQ_INT(elf_inspect(path, &info), 0);
		if (layout_at(path, &info, &l, why, sizeof(why)))
			FT_FAIL("%s: %s", path, why);
		/* research note 11.1 (debug offsets) and 11.6 (DWARF) */
		FT_TRUE(l.free_threaded);
		FT_EQ_INT(l.object.ob_type, 24);
		FT_EQ_INT(l.object.tp_basicsize, 48);
		FT_EQ_INT(l.object.tp_dealloc, 64);
		FT_EQ_INT(l.object.tp_members, 256);
		FT_EQ_INT(l.interp.threads_head, 7344);
		FT_EQ_INT(l.interp.eval_frame, 8560);
		FT_EQ_INT(l.tstate.native_thread_id, 160);
		FT_EQ_INT(l.frame.entry, 78);
		FT_EQ_INT(l.code.flags, 64);
		FT_EQ_INT(l.code.qualname, 144);
		FT_EQ_INT(l.code.filename, 128);
		FT_EQ_INT(l.code.firstlineno, 84);
		FT_EQ_INT(l.unicode.state, 48);
		FT_EQ_INT(l.unicode.length, 32);
		FT_EQ_INT(l.unicode.ascii_size, 56);
		FT_EQ_INT(l.unicode.compact_size, 72);
		/* the interned field is a byte: kind, compact, ascii from bit 8 */
		FT_EQ_INT(l.unicode.kind_shift, 8);
		FT_EQ_INT(l.unicode.compact_bit, 11);
		FT_EQ_INT(l.unicode.ascii_bit, 12);
		FT_EQ_U64(l.code_tag_bits, 1);
		FT_TRUE(l.init_cleanup_vaddr != 0);
		/* tp_dealloc at 64: code_dealloc (0x113b00 in .symtab; .text's
		 * file offsets equal its addresses in the builds here) */
		FT_EQ_U64(l.code_dealloc_offset, 0x113b00);
		FT_TRUE(l.code.g.source & PYLAYOUT_SRC_MEMBERS);
		FT_TRUE(l.unicode.g.source & PYLAYOUT_SRC_BASICSIZE);
	}
}
