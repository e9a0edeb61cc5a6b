// SPDX-License-Identifier: MIT
/* Decoding of CPython's _Py_DebugOffsets (3.13+) into struct debug_offsets.
 *
 * The table is a cookie followed by 64-bit little-endian words, grouped per
 * structure (runtime, interpreter, thread, frame, code, ...). Its word order
 * is fixed within a minor version (CPython promises it is stable between
 * patch releases, pycore_runtime.h in 3.13) and changes between minors: 3.14
 * inserted threads_main, code_object_generation, tlbc_generation,
 * stackpointer, tlbc_index and co_tlbc inside the groups and added set, gen,
 * llist and debugger-support groups. So each minor has its own word list
 * below, written in the order of CPython's struct, and the version field
 * picks one. The struct's layout is the same with and without the GIL; a
 * free-threaded build only fills the tlbc words, which are 0 otherwise.
 * Alpha and beta tables differed from the release's (3.14's grew during its
 * betas), so only final releases are decoded. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sys/elfimage.h"
#include "cpython/debug_offsets.h"

#define COOKIE_LEN    8
#define SIZE_LIMIT    (1 << 24) /* no structure described here is 16 MiB */
#define OBJ_HEAD_GIL  16	/* x86-64 PyObject: refcount, ob_type */
#define OBJ_TYPE_GIL  8
#define OBJ_HEAD_FT   32 /* ob_tid, flags/mutex/gc bits/ref_local, ob_ref_shared, ob_type */
#define OBJ_TYPE_FT   24
#define RELEASE_FINAL 0xf /* PY_RELEASE_LEVEL_FINAL */

/* Every decoded field: its name for messages, where it lives in struct
 * debug_offsets, and the size field of the structure it is an offset into
 * (SELF for the size fields themselves). */
#define SELF ((size_t)-1)
struct field {
	const char *name;
	size_t off, within;
};

/* clang-format off */
#define F(g, f) {#g "." #f, offsetof(struct debug_offsets, g.f), offsetof(struct debug_offsets, g.size)}
#define S(g)    {#g ".size", offsetof(struct debug_offsets, g.size), SELF}
#define TS(f)   {"tstate." #f, offsetof(struct debug_offsets, tstate.f), offsetof(struct debug_offsets, tstate.size)}
/* clang-format on */
static const struct field fields[] = {
	S(runtime),
	F(runtime, finalizing),
	F(runtime, interpreters_head),
	S(interp),
	F(interp, id),
	F(interp, next),
	F(interp, threads_head),
	F(interp, threads_main),
	F(interp, gil_holder),
	F(interp, code_object_generation),
	F(interp, tlbc_generation),
	S(tstate),
	F(tstate, prev),
	F(tstate, next),
	F(tstate, interp),
	F(tstate, current_frame),
	F(tstate, thread_id),
	F(tstate, native_thread_id),
	F(tstate, datastack_chunk),
	F(tstate, status),
	TS(eval_breaker),
	TS(remote_debugger_support),
	S(frame),
	F(frame, previous),
	F(frame, executable),
	F(frame, instr_ptr),
	F(frame, localsplus),
	F(frame, owner),
	F(frame, stackpointer),
	F(frame, tlbc_index),
	S(code),
	F(code, filename),
	F(code, name),
	F(code, qualname),
	F(code, linetable),
	F(code, firstlineno),
	F(code, argcount),
	F(code, code_adaptive),
	F(code, tlbc),
	S(object),
	F(object, ob_type),
	S(type),
	F(type, tp_name),
	F(type, tp_flags),
	S(unicode),
	F(unicode, state),
	F(unicode, length),
	F(unicode, ascii_size),
	S(gen),
	F(gen, gi_name),
	F(gen, gi_iframe),
	F(gen, gi_frame_state),
};
#undef F
#undef S
#undef TS
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* One 8-byte word of the table, in CPython's order after the cookie:
 * where it goes in struct debug_offsets, or SKIP for a word flowtrace does
 * not use. FT marks words a free-threaded build fills and a GIL build
 * leaves 0. */
#define SKIP ((size_t)-1)
struct word {
	size_t dst;
	bool ft_only;
};
/* one line per group of CPython's struct */
/* clang-format off */
#define D(g, f)	 {offsetof(struct debug_offsets, g.f), false}
#define FT(g, f) {offsetof(struct debug_offsets, g.f), true}
#define X	 {SKIP, false}

/* 3.13: Include/internal/pycore_runtime.h, struct _Py_DebugOffsets */
static const struct word words13[] = {
	X, X, /* version, free_threaded: read by position */
	/* runtime_state */
	D(runtime, size), D(runtime, finalizing), D(runtime, interpreters_head),
	/* interpreter_state: size id next threads_head gc imports_modules
	 * sysdict builtins ceval_gil gil_runtime_state _enabled _locked _holder */
	D(interp, size), D(interp, id), D(interp, next), D(interp, threads_head), X, X, X, X, X, X,
	X, X, D(interp, gil_holder),
	/* thread_state */
	D(tstate, size), D(tstate, prev), D(tstate, next), D(tstate, interp),
	D(tstate, current_frame), D(tstate, thread_id), D(tstate, native_thread_id),
	D(tstate, datastack_chunk), D(tstate, status),
	/* interpreter_frame */
	D(frame, size), D(frame, previous), D(frame, executable), D(frame, instr_ptr),
	D(frame, localsplus), D(frame, owner),
	/* code_object: size filename name qualname linetable firstlineno
	 * argcount localsplusnames localspluskinds co_code_adaptive */
	D(code, size), D(code, filename), D(code, name), D(code, qualname), D(code, linetable),
	D(code, firstlineno), D(code, argcount), X, X, D(code, code_adaptive),
	/* pyobject */
	D(object, size), D(object, ob_type),
	/* type_object: size tp_name tp_repr tp_flags */
	D(type, size), D(type, tp_name), X, D(type, tp_flags),
	/* tuple (3), list (3), dict (3), float (2), long (3), bytes (3) */
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	/* unicode_object */
	D(unicode, size), D(unicode, state), D(unicode, length), D(unicode, ascii_size),
	/* gc */
	X, X,
};

/* 3.14: Include/internal/pycore_debug_offsets.h, struct _Py_DebugOffsets */
static const struct word words14[] = {
	X, X, /* version, free_threaded */
	/* runtime_state */
	D(runtime, size), D(runtime, finalizing), D(runtime, interpreters_head),
	/* interpreter_state: size id next threads_head threads_main gc
	 * imports_modules sysdict builtins ceval_gil gil_runtime_state _enabled
	 * _locked _holder code_object_generation tlbc_generation */
	D(interp, size), D(interp, id), D(interp, next), D(interp, threads_head),
	D(interp, threads_main), X, X, X, X, X, X, X, X, D(interp, gil_holder),
	D(interp, code_object_generation), FT(interp, tlbc_generation),
	/* thread_state */
	D(tstate, size), D(tstate, prev), D(tstate, next), D(tstate, interp),
	D(tstate, current_frame), D(tstate, thread_id), D(tstate, native_thread_id),
	D(tstate, datastack_chunk), D(tstate, status),
	/* interpreter_frame */
	D(frame, size), D(frame, previous), D(frame, executable), D(frame, instr_ptr),
	D(frame, localsplus), D(frame, owner), D(frame, stackpointer), FT(frame, tlbc_index),
	/* code_object: ... co_code_adaptive co_tlbc */
	D(code, size), D(code, filename), D(code, name), D(code, qualname), D(code, linetable),
	D(code, firstlineno), D(code, argcount), X, X, D(code, code_adaptive), FT(code, tlbc),
	/* pyobject */
	D(object, size), D(object, ob_type),
	/* type_object: size tp_name tp_repr tp_flags */
	D(type, size), D(type, tp_name), X, D(type, tp_flags),
	/* tuple (3), list (3), set (4), dict (3), float (2), long (3), bytes (3) */
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	/* unicode_object */
	D(unicode, size), D(unicode, state), D(unicode, length), D(unicode, ascii_size),
	/* gc (2) */
	X, X,
	/* gen_object */
	D(gen, size), D(gen, gi_name), D(gen, gi_iframe), D(gen, gi_frame_state),
	/* llist_node: next prev */
	X, X,
	/* debugger_support: eval_breaker remote_debugger_support (PyThreadState
	 * offsets), remote_debugging_enabled (interpreter), pending_call,
	 * script_path, script_path_size (inside remote_debugger_support) */
	D(tstate, eval_breaker), D(tstate, remote_debugger_support), X, X, X, X,
};
#undef D
#undef FT
#undef X
/* clang-format on */

struct layout {
	int minor;
	const struct word *words;
	size_t nwords;
};

static const struct layout layouts[] = {
	{13, words13, sizeof(words13) / sizeof(words13[0])},
	{14, words14, sizeof(words14) / sizeof(words14[0])},
};

_Static_assert(COOKIE_LEN + 8 * sizeof(words13) / sizeof(words13[0]) == DEBUG_OFFSETS_SIZE_13,
	       "3.13 word list");
_Static_assert(COOKIE_LEN + 8 * sizeof(words14) / sizeof(words14[0]) == DEBUG_OFFSETS_SIZE_14,
	       "3.14 word list");
_Static_assert(DEBUG_OFFSETS_MAX >= DEBUG_OFFSETS_SIZE_13 &&
		       DEBUG_OFFSETS_MAX >= DEBUG_OFFSETS_SIZE_14,
	       "DEBUG_OFFSETS_MAX");

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int64_t *field_at(struct debug_offsets *d, size_t off)
{
	return (int64_t *)((char *)d + off);
}

static int64_t field_val(const struct debug_offsets *d, size_t off)
{
	return *(const int64_t *)((const char *)d + off);
}

void debug_offsets_version_str(uint64_t version, char *buf, size_t len)
{
	static const char *const level[16] = {[0xa] = "a", [0xb] = "b", [0xc] = "rc"};
	unsigned lvl = version >> 4 & 0xf, serial = version & 0xf;

	if (lvl == RELEASE_FINAL)
		snprintf(buf, len, "%u.%u.%u", (unsigned)(version >> 24 & 0xff),
			 (unsigned)(version >> 16 & 0xff), (unsigned)(version >> 8 & 0xff));
	else
		snprintf(buf, len, "%u.%u.%u%s%u", (unsigned)(version >> 24 & 0xff),
			 (unsigned)(version >> 16 & 0xff), (unsigned)(version >> 8 & 0xff),
			 level[lvl] ? level[lvl] : "?", serial);
}

int debug_offsets_version(const uint8_t *buf, size_t len, uint64_t *version)
{
	if (!buf || len < COOKIE_LEN + 8 || memcmp(buf, DEBUG_OFFSETS_COOKIE, COOKIE_LEN))
		return -ENOTSUP;
	*version = le64(buf + COOKIE_LEN);
	return 0;
}

/* The table must describe itself sensibly before any of it is trusted:
 * sizes in range, every offset inside its structure, an object header that
 * fits the free-threading flag, free-threaded-only words set exactly when
 * the flag is. */
static int check(const struct debug_offsets *d, const struct layout *lay, const uint8_t *buf,
		 char *why, size_t whylen)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		int64_t v = field_val(d, fields[i].off), size;

		if (v == DEBUG_OFFSETS_NONE)
			continue;
		if (fields[i].within == SELF) {
			if (v <= 0 || v > SIZE_LIMIT) {
				snprintf(why, whylen,
					 "_Py_DebugOffsets: %s is %" PRId64
					 ", not a plausible size",
					 fields[i].name, v);
				return -ENOTSUP;
			}
			continue;
		}
		size = field_val(d, fields[i].within);
		if (v < 0 || v >= size) {
			snprintf(why, whylen,
				 "_Py_DebugOffsets: %s at %" PRId64 " lies outside its %" PRId64
				 "-byte structure",
				 fields[i].name, v, size);
			return -ENOTSUP;
		}
	}
	/* the object header is the one fact the flag fixes on x86-64; another
	 * size is a build flowtrace does not know (Py_TRACE_REFS adds two
	 * list pointers to it) */
	if (d->free_threaded
		    ? d->object.size != OBJ_HEAD_FT || d->object.ob_type != OBJ_TYPE_FT
		    : d->object.size != OBJ_HEAD_GIL || d->object.ob_type != OBJ_TYPE_GIL) {
		snprintf(why, whylen,
			 "_Py_DebugOffsets: a %" PRId64
			 "-byte object header with ob_type at %" PRId64 " does not fit a %s build",
			 d->object.size, d->object.ob_type,
			 d->free_threaded ? "free-threaded" : "default (GIL)");
		return -ENOTSUP;
	}
	for (size_t i = 0; i < lay->nwords; i++) {
		uint64_t raw = le64(buf + COOKIE_LEN + 8 * i);

		if (lay->words[i].ft_only && !raw != !d->free_threaded) {
			snprintf(why, whylen,
				 "_Py_DebugOffsets: word %zu is %" PRIu64
				 ", inconsistent with free_threaded = %d",
				 i, raw, d->free_threaded);
			return -ENOTSUP;
		}
	}
	return 0;
}

int debug_offsets_decode(const uint8_t *buf, size_t len, struct debug_offsets *out, char *why,
			 size_t whylen)
{
	const struct layout *lay = NULL;
	uint64_t version, ft;
	char vs[32];

	memset(out, 0, sizeof(*out));
	if (debug_offsets_version(buf, len, &version)) {
		snprintf(why, whylen, "_PyRuntime does not start with the _Py_DebugOffsets cookie");
		return -ENOTSUP;
	}
	debug_offsets_version_str(version, vs, sizeof(vs));
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if ((version >> 24) == 3 && (int)(version >> 16 & 0xff) == layouts[i].minor)
			lay = &layouts[i];
	if (!lay) {
		snprintf(why, whylen,
			 "_Py_DebugOffsets of CPython %s: no decoder for that version (3.13, 3.14 "
			 "known)",
			 vs);
		return -ENOTSUP;
	}
	if ((version >> 4 & 0xf) != RELEASE_FINAL) {
		snprintf(why, whylen,
			 "_Py_DebugOffsets of CPython %s: a pre-release, whose table may differ "
			 "from the release's",
			 vs);
		return -ENOTSUP;
	}
	out->table_size = COOKIE_LEN + 8 * lay->nwords;
	if (len < out->table_size) {
		snprintf(why, whylen, "_Py_DebugOffsets of CPython %s: %zu bytes, need %zu", vs,
			 len, out->table_size);
		return -ENOTSUP;
	}
	ft = le64(buf + COOKIE_LEN + 8);
	if (ft > 1) {
		snprintf(why, whylen, "_Py_DebugOffsets: free_threaded is %" PRIu64 ", not 0 or 1",
			 ft);
		return -ENOTSUP;
	}
	out->version = version;
	out->major = 3;
	out->minor = lay->minor;
	out->micro = version >> 8 & 0xff;
	out->free_threaded = ft;
	for (size_t i = 0; i < NFIELDS; i++)
		*field_at(out, fields[i].off) = DEBUG_OFFSETS_NONE;
	for (size_t i = 0; i < lay->nwords; i++) {
		const struct word *w = &lay->words[i];
		uint64_t raw = le64(buf + COOKIE_LEN + 8 * i);

		if (w->dst == SKIP || (w->ft_only && !out->free_threaded))
			continue;
		/* a value past any plausible size is clamped just past the
		 * limit, where check() refuses it */
		*field_at(out, w->dst) = raw > SIZE_LIMIT ? SIZE_LIMIT + 1 : (int64_t)raw;
	}
	return check(out, lay, buf, why, whylen);
}

int debug_offsets_compare(const struct debug_offsets *file, const struct debug_offsets *live,
			  char *why, size_t whylen)
{
	char a[32], b[32];

	if (file->version != live->version || file->free_threaded != live->free_threaded) {
		debug_offsets_version_str(file->version, a, sizeof(a));
		debug_offsets_version_str(live->version, b, sizeof(b));
		snprintf(why, whylen, "_Py_DebugOffsets: file says %s%s, process says %s%s", a,
			 file->free_threaded ? " free-threaded" : "", b,
			 live->free_threaded ? " free-threaded" : "");
		return -ENOTSUP;
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		int64_t x = field_val(file, fields[i].off), y = field_val(live, fields[i].off);

		if (x != y) {
			snprintf(why, whylen,
				 "_Py_DebugOffsets %s: file says %" PRId64
				 ", process says %" PRId64,
				 fields[i].name, x, y);
			return -ENOTSUP;
		}
	}
	return 0;
}

int debug_offsets_from_image(const struct elfimage *img, struct debug_offsets *out,
			     uint64_t *runtime_vaddr, char *why, size_t whylen)
{
	const struct elfimage_section *sec = elfimage__section_by_name(img, DEBUG_OFFSETS_SECTION);
	const uint8_t *bytes;
	uint64_t sym;

	memset(out, 0, sizeof(*out));
	if (!sec) {
		snprintf(why, whylen, "no %s section", DEBUG_OFFSETS_SECTION);
		return -ENOENT;
	}
	/* the table's own bytes: the section is the whole runtime state, of
	 * which only the table at its start is initialised data */
	bytes = elfimage__bytes(img, sec->addr,
				sec->size < DEBUG_OFFSETS_MAX ? sec->size : DEBUG_OFFSETS_MAX);
	if (!bytes) {
		snprintf(why, whylen, "the %s section has no bytes in the file",
			 DEBUG_OFFSETS_SECTION);
		return -ENOTSUP;
	}
	/* _PyRuntime is the section's only object; a file that says otherwise
	 * is not laid out as CPython builds it */
	if (!elfimage__symbol(img, "_PyRuntime", &sym, NULL) && sym != sec->addr) {
		snprintf(why, whylen,
			 "_PyRuntime at 0x%" PRIx64 " is not at the start of %s (0x%" PRIx64 ")",
			 sym, DEBUG_OFFSETS_SECTION, sec->addr);
		return -ENOTSUP;
	}
	if (runtime_vaddr)
		*runtime_vaddr = sec->addr;
	return debug_offsets_decode(bytes,
				    sec->size < DEBUG_OFFSETS_MAX ? sec->size : DEBUG_OFFSETS_MAX,
				    out, why, whylen);
}
