/* SPDX-License-Identifier: MIT */
/* CPython's struct layout as an out-of-process reader needs it (x86-64,
 * default GIL builds, 3.8-3.14, and the free-threaded 3.14t): where the
 * runtime, interpreter, thread, frame, code and str objects keep what a
 * call-flow tracer reads. Values come from a per-minor table (3.14+: the
 * interpreter's _Py_DebugOffsets); the interpreter's own file confirms them
 * (PyCode_Type/PyFrame_Type member tables, type sizes, 3.13's
 * _Py_DebugOffsets, decoded accessor functions), and any disagreement is a
 * refusal, never a guess. Touches no process. See docs/interpreter-layout.md. */
#ifndef FT_PYLAYOUT_H
#define FT_PYLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "cpython/debug_offsets.h"

struct elf_info;
struct elfimage;

#define PYLAYOUT_NONE (-1) /* the field does not exist in this version */

/* Sources, as a bit mask per group. The values always come from the table;
 * every other bit names a source found in the file that confirmed at least
 * one field of the group (see nchecked). */
#define PYLAYOUT_SRC_TABLE     0x01 /* the per-minor table in pylayout.c */
#define PYLAYOUT_SRC_MEMBERS   0x02 /* PyCode_Type / PyFrame_Type tp_members */
#define PYLAYOUT_SRC_BASICSIZE 0x04 /* tp_basicsize of PyCode_Type / PyUnicode_Type */
#define PYLAYOUT_SRC_DEBUG     0x08 /* _Py_DebugOffsets (3.13+) */
#define PYLAYOUT_SRC_DECODED   0x10 /* machine code of exported accessors */

/* What frame->ip holds. */
enum pylayout_ip_kind {
	PYLAYOUT_IP_LASTI_BYTES, /* 3.8, 3.9: int f_lasti, a byte offset into co_code (-1: not started) */
	PYLAYOUT_IP_LASTI_UNITS, /* 3.10: int f_lasti, counted in 2-byte code units */
	PYLAYOUT_IP_PREV_INSTR,	 /* 3.11, 3.12: pointer to the last instruction started */
	PYLAYOUT_IP_INSTR_PTR,	 /* 3.13: pointer to the instruction running or next */
};

/* How to tell the frame an eval loop was entered with. */
enum pylayout_entry_kind {
	PYLAYOUT_ENTRY_NONE,  /* <= 3.10: every Python frame is its own C call */
	PYLAYOUT_ENTRY_FLAG,  /* 3.11: bool is_entry in the frame */
	PYLAYOUT_ENTRY_OWNER, /* 3.12+: char owner; the C-stack shim below an entry frame
			       * has owner == frame.owner_cstack */
};

struct pylayout_group {
	unsigned source;  /* PYLAYOUT_SRC_* */
	uint8_t nfields;  /* fields present in this version */
	uint8_t nchecked; /* of those, confirmed by a source other than the table */
};

/* Offsets in bytes; PYLAYOUT_NONE where a version lacks the field. */
struct pylayout {
	int major, minor;
	uint64_t runtime_vaddr;	      /* _PyRuntime in the file (load bias not applied) */
	uint64_t code_type_vaddr;     /* PyCode_Type, for ob_type checks */
	uint64_t init_cleanup_vaddr;  /* 3.13: _Py_InitCleanup, the __init__ shim's code; else 0 */
	uint64_t code_dealloc_offset; /* file offset of PyCode_Type's tp_dealloc; 0: unknown */

	struct {
		int32_t interpreters_head; /* _PyRuntime.interpreters.head */
		int32_t tstate_current; /* <= 3.11: gilstate.tstate_current, the running thread */
		struct pylayout_group g;
	} runtime;
	struct {
		int32_t next;	      /* next interpreter */
		int32_t threads_head; /* first PyThreadState */
		int32_t eval_frame;   /* the PEP 523 slot */
		struct pylayout_group g;
	} interp;
	struct {
		int32_t next, interp;
		int32_t frame;		  /* frame pointer in the thread state: <= 3.10 frame,
				       * 3.13+ current_frame; NONE in 3.11/3.12 */
		int32_t cframe;		  /* 3.11/3.12: the _PyCFrame pointer */
		int32_t cframe_frame;	  /* 3.11/3.12: current_frame inside the _PyCFrame */
		int32_t thread_id;	  /* pthread_t of the thread */
		int32_t native_thread_id; /* 3.11+: the kernel tid */
		struct pylayout_group g;
	} tstate;
	struct {
		int32_t code;  /* f_code / f_executable */
		int32_t back;  /* f_back / previous */
		int32_t ip;    /* see ip_kind */
		int32_t entry; /* is_entry (bool) or owner (char); see entry_kind */
		int32_t owner_cstack;
		enum pylayout_ip_kind ip_kind;
		enum pylayout_entry_kind entry_kind;
		struct pylayout_group g;
	} frame;
	struct {
		int32_t flags, firstlineno; /* int */
		int32_t filename, name, qualname;
		int32_t linetable; /* co_lnotab (3.8, 3.9), co_linetable (3.10+): formats differ */
		int32_t code_adaptive; /* 3.11+: the inline bytecode */
		struct pylayout_group g;
	} code;
	struct {
		int32_t length, state;
		int32_t ascii_size;   /* sizeof(PyASCIIObject): compact ASCII data follows */
		int32_t compact_size; /* sizeof(PyCompactUnicodeObject): other compact data follows */
		int32_t kind_shift;   /* bits of the state word: kind is 3 bits */
		int32_t compact_bit, ascii_bit;
		int32_t ready_bit; /* <= 3.11 */
		struct pylayout_group g;
	} unicode;
	/* 3.14+: the layout comes from the interpreter's own _Py_DebugOffsets
	 * (no per-minor table), decoded from the file; the live process's copy
	 * must equal it (pylive). has_debug is false before 3.14. */
	bool has_debug;
	struct debug_offsets debug;
	/* _PyStackRef tag bits of frame.code (3.14+: f_executable); 0 before */
	uint64_t code_tag_bits;
	/* The object header and type object slots read in the file and the
	 * process: the same in every GIL build; a free-threaded build's
	 * (3.14t) header is 32 bytes, so each is 16 further (from its
	 * _Py_DebugOffsets). */
	bool free_threaded;
	struct {
		int32_t ob_type;      /* PyObject.ob_type */
		int32_t tp_basicsize; /* PyTypeObject slots */
		int32_t tp_dealloc;
		int32_t tp_members;
	} object;
};

/* Fills out for the interpreter in img (the ELF that defines
 * _PyEval_EvalFrameDefault: libpython, or an executable with the
 * interpreter linked in, as opened by target discovery), whose version
 * info describes; path (may be NULL) names the file, whose base name may
 * flag a free-threaded or debug build. Returns 0 with every offset filled,
 * or -ENOTSUP with a one-line reason in why: unknown or unsupported
 * version, free-threaded or debug build, a member table or accessor that
 * disagrees with the table, or a file that is not x86-64. */
int pylayout_for(const struct elfimage *img, const char *path, const struct elf_info *info,
		 struct pylayout *out, char *why, size_t len);

/* What a name cache needs to see code objects die (docs/design.md, "Name
 * ids"), for a probe source that has no struct pylayout (the markers'):
 * PyCode_Type's tp_dealloc, and what BPF reads there of the dying code
 * object to find the key of the names the markers passed for it. */
struct pylayout_code_death {
	uint64_t dealloc_offset; /* file offset of tp_dealloc (uprobes attach by offset) */
	int32_t filename, name;	 /* co_filename, co_name */
	/* str: the state word and its compact and ascii bits; a compact
	 * ASCII str's UTF-8 is its data, at ascii_size, any other's is behind
	 * the pointer at utf8 (PyCompactUnicodeObject.utf8) */
	int32_t state, compact_bit, ascii_bit;
	int32_t ascii_size;
	int32_t utf8;
};

/* Fills out for the CPython 3.minor (6-13) in img, which exports
 * PyCode_Type: tp_dealloc and the members from the file, the str header
 * from the version, confirmed by PyUnicode_Type's tp_basicsize. Returns 0,
 * or -ENOTSUP with a one-line reason in why. */
int pylayout_code_death(const struct elfimage *img, int minor, struct pylayout_code_death *out,
			char *why, size_t len);

/* "table, tp_members, debug offsets": the names of the bits in source. */
void pylayout_describe_source(unsigned source, char *buf, size_t len);

/* --- pure pieces, exposed for the unit tests -------------------------- */

/* 3.14+: the layout of a GIL build from its decoded _Py_DebugOffsets,
 * plus the few values the table does not give (co_flags, the compact str
 * header's size, the str state bits, f_executable's tag bits), which
 * pylayout_for then confirms against the file. Returns 0, or -ENOTSUP with
 * a one-line reason: a version without debug offsets, a free-threaded
 * build. */
int pylayout_from_debug(const struct debug_offsets *d, struct pylayout *out, char *why, size_t len);

/* The table values for 3.minor: 0, or -ENOTSUP for versions it lacks.
 * Sources are PYLAYOUT_SRC_TABLE with nothing checked yet. */
int pylayout_table(int major, int minor, struct pylayout *out);

#define PYLAYOUT_MEMBERDEF_SIZE \
	40 /* PyMemberDef: name ptr, int type, ssize_t offset, int flags, doc ptr */
#define PYLAYOUT_T_INT	     1 /* member types (structmember.h) */
#define PYLAYOUT_T_OBJECT    6
#define PYLAYOUT_T_OBJECT_EX 16

struct pylayout_member {
	const char *name;
	int type;
	int64_t offset;
	int flags;
};

/* Decodes the type/offset/flags of one raw PyMemberDef (PYLAYOUT_MEMBERDEF_SIZE
 * bytes, little-endian); the name pointer is left to the caller, since a
 * shared object keeps it in a relocation. */
void pylayout_decode_member(const uint8_t *raw, struct pylayout_member *m);

/* Checks the code-object offsets in out against PyCode_Type's members
 * (co_flags, co_firstlineno, co_filename, co_name, co_qualname,
 * co_linetable/co_lnotab; those that are members in this version). Returns
 * 0 and marks them checked, or -ENOTSUP with the first disagreement in why
 * (including a required member that is missing). */
int pylayout_check_code_members(struct pylayout *out, const struct pylayout_member *m, size_t n,
				char *why, size_t len);
/* The same for the frame object in <= 3.10 (f_back, f_code, f_lasti when it
 * is a member); a no-op returning 0 for 3.11+. */
int pylayout_check_frame_members(struct pylayout *out, const struct pylayout_member *m, size_t n,
				 char *why, size_t len);

#define PYLAYOUT_DEBUG_COOKIE	"xdebugpy"
#define PYLAYOUT_DEBUG_SIZE_313 584 /* bytes of the 3.13 _Py_DebugOffsets */

/* Checks out against a 3.13 _Py_DebugOffsets image (the first len bytes of
 * _PyRuntime). Returns 0 with the matching fields checked; -ENOTSUP when
 * the cookie, version or free-threaded flag is wrong or a field disagrees. */
int pylayout_check_debug_offsets(struct pylayout *out, const uint8_t *buf, size_t len, char *why,
				 size_t whylen);

/* 3.13+: sets l->init_cleanup_vaddr to the static code object of the
 * __init__ shim frame (_Py_InitCleanup), found through the relocation or
 * stored pointer of its ob_type; l->minor, code_type_vaddr and
 * code.code_adaptive must be set. Returns 0, or -ENOTSUP with why set when
 * not exactly one object qualifies. */
int pylayout_find_init_cleanup(const struct elfimage *img, struct pylayout *l, char *why,
			       size_t len);

#endif /* FT_PYLAYOUT_H */
