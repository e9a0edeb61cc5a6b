/* SPDX-License-Identifier: MIT */
/* _Py_DebugOffsets, the layout table CPython 3.13+ publishes at the start of
 * _PyRuntime (its own ELF section .PyRuntime, cookie "xdebugpy"), decoded
 * into one version-independent struct: where the thread list, current
 * frame, frame links, code names and str header are. The table's own layout
 * changes with each minor version (3.14 added fields in the middle of its
 * groups), so each supported minor has its own word map, chosen by the
 * table's version field; anything else is refused in one line. Decoding is
 * pure: it works on the section's bytes from the file and on the same bytes
 * read from a live process at _PyRuntime, and debug_offsets_compare() says
 * whether the two agree. Nothing here is wired into the attach path yet. */
#ifndef FT_DEBUG_OFFSETS_H
#define FT_DEBUG_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elfimage;

#define DEBUG_OFFSETS_COOKIE  "xdebugpy"
#define DEBUG_OFFSETS_NONE    (-1) /* the field does not exist in this version or build */
#define DEBUG_OFFSETS_SIZE_13 584  /* bytes of the 3.13 table */
#define DEBUG_OFFSETS_SIZE_14 760  /* bytes of the 3.14 table */
#define DEBUG_OFFSETS_MAX     760  /* read this many bytes at _PyRuntime to decode any */
#define DEBUG_OFFSETS_SECTION ".PyRuntime"

/* Offsets in bytes inside the named structure; DEBUG_OFFSETS_NONE where
 * the version or the build (GIL or free-threaded) lacks the field. The
 * *size fields are sizeof() of that structure in the target. */
struct debug_offsets {
	uint64_t version; /* PY_VERSION_HEX: 0x030e07f0 is 3.14.7 final */
	int major, minor, micro;
	bool free_threaded; /* built with --disable-gil (Py_GIL_DISABLED) */
	size_t table_size;  /* bytes the table occupies for this version */

	struct {
		int64_t size, finalizing, interpreters_head;
	} runtime; /* _PyRuntimeState */
	struct {
		int64_t size, id, next, threads_head;
		int64_t threads_main; /* 3.14+ */
		int64_t gil_holder;   /* _gil.last_holder (not meaningful when free-threaded) */
		int64_t code_object_generation; /* 3.14+ */
		int64_t tlbc_generation;	/* 3.14+, free-threaded only */
	} interp;				/* PyInterpreterState */
	struct {
		int64_t size, prev, next, interp, current_frame, thread_id, native_thread_id;
		int64_t datastack_chunk, status;
		int64_t eval_breaker;		 /* 3.14+ */
		int64_t remote_debugger_support; /* 3.14+ (PEP 768) */
	} tstate;				 /* PyThreadState */
	struct {
		int64_t size, previous;
		int64_t executable; /* 3.14: a tagged _PyStackRef, not a plain pointer */
		int64_t instr_ptr, localsplus;
		int64_t owner;	      /* char */
		int64_t stackpointer; /* 3.14+ */
		int64_t tlbc_index;   /* 3.14+, free-threaded only */
	} frame;		      /* _PyInterpreterFrame */
	struct {
		int64_t size, filename, name, qualname, linetable, firstlineno, argcount;
		int64_t code_adaptive;
		int64_t tlbc; /* co_tlbc: 3.14+, free-threaded only */
	} code;		      /* PyCodeObject */
	struct {
		int64_t size, ob_type;
	} object; /* PyObject: 16/8 with the GIL, 32/24 free-threaded (x86-64) */
	struct {
		int64_t size, tp_name, tp_flags;
	} type; /* PyTypeObject */
	struct {
		int64_t size, state, length;
		int64_t ascii_size; /* sizeof(PyASCIIObject): compact ASCII data starts here */
	} unicode;
	struct {
		int64_t size, gi_name, gi_iframe, gi_frame_state; /* 3.14+ */
	} gen;
};

/* The PY_VERSION_HEX in a table image without decoding the rest: 0, or
 * -ENOTSUP when buf is shorter than 16 bytes or lacks the cookie. */
int debug_offsets_version(const uint8_t *buf, size_t len, uint64_t *version);

/* Decodes the _Py_DebugOffsets at buf (len bytes from the start of
 * _PyRuntime: the file's .PyRuntime section or target memory). Accepts final
 * releases of 3.13 and 3.14, GIL and free-threaded; the table must also
 * describe itself consistently (every field inside its structure, an object
 * header of the size the free-threading flag implies, free-threaded-only
 * fields set exactly when the flag is). Returns 0 with out filled, or
 * -ENOTSUP with a one-line reason in why: no cookie, an unknown or
 * pre-release version, a short buffer, an inconsistent table. */
int debug_offsets_decode(const uint8_t *buf, size_t len, struct debug_offsets *out, char *why,
			 size_t whylen);

/* Whether two decoded tables (the file's and the live process's) agree on
 * every field. Returns 0, or -ENOTSUP naming the first difference in why
 * ("frame.owner: file says 74, process says 78"). */
int debug_offsets_compare(const struct debug_offsets *file, const struct debug_offsets *live,
			  char *why, size_t whylen);

/* Reads and decodes the table from an interpreter ELF (libpython or an
 * executable with the interpreter linked in): the .PyRuntime section,
 * whose address must be that of the exported _PyRuntime when the file
 * exports it. Sets *runtime_vaddr (may be NULL) to the section's address.
 * Returns 0, -ENOENT (no .PyRuntime section: CPython before 3.11, or not
 * an interpreter), or -ENOTSUP with a one-line reason. */
int debug_offsets_from_image(const struct elfimage *img, struct debug_offsets *out,
			     uint64_t *runtime_vaddr, char *why, size_t whylen);

/* "3.14.7", "3.14.0rc2", "3.15.0a3": PY_VERSION_HEX as CPython spells it. */
void debug_offsets_version_str(uint64_t version, char *buf, size_t len);

#endif /* FT_DEBUG_OFFSETS_H */
