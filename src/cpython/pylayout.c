// SPDX-License-Identifier: MIT
/* CPython struct offsets for 3.8-3.13 (x86-64, default GIL builds), and
 * their confirmation from the interpreter's own file.
 *
 * Design: the table below is the single source of values (it was read from
 * the DWARF of pyenv builds). Every other source only confirms: member
 * tables of PyCode_Type/PyFrame_Type (exported data, present in stripped
 * builds), tp_basicsize of PyCode_Type/PyUnicode_Type, 3.13's
 * _Py_DebugOffsets, and exported one-line accessors whose first loads name
 * a field. A source that cannot be read or decoded is skipped; a source
 * that disagrees makes the whole layout a refusal, since a reader with one
 * wrong offset produces plausible garbage. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>

#include "sys/elfimage.h"
#include "sys/elfinfo.h"
#include "cpython/opcodes.h"
#include "cpython/pylayout.h"
#include "sys/x86.h"

#define N PYLAYOUT_NONE

/* PyASCIIObject, the same from 3.6 to 3.13: refcnt, type, length, hash,
 * then the state bit field, whose bits are, low to high, interned:2 kind:3
 * compact:1 ascii:1, then ready:1 (<= 3.11) or statically_allocated:1
 * (3.12+) */
#define STR_LENGTH	16
#define STR_STATE	32
#define STR_KIND_SHIFT	2
#define STR_COMPACT_BIT 5
#define STR_ASCII_BIT	6
/* free-threaded builds (3.13t+): the state's interned field is a whole
 * byte (read atomically), so the bit fields after it start at bit 8 */
#define STR_KIND_SHIFT_FT  8
#define STR_COMPACT_BIT_FT 11
#define STR_ASCII_BIT_FT   12

#define TP_BASICSIZE	      32  /* PyTypeObject offsets: 3.8-3.13, x86-64, no Py_TRACE_REFS */
#define TP_DEALLOC	      48  /* (the same in 3.6 and 3.7) */
#define TP_MEMBERS	      240 /* (24-byte PyVarObject head, then 27 pointer-sized slots) */
#define OB_TYPE		      8	  /* PyObject.ob_type after the 8-byte refcount (GIL builds) */
#define MAX_MEMBERS	      64
#define MAX_NAME	      64
#define FRAME_OWNED_BY_CSTACK 3	 /* 3.12, 3.13 (3.14: entry frame 3, shim 4; >= 3: no call) */
#define TABLE_MAX_MINOR	      13 /* 3.14+ take their layout from _Py_DebugOffsets */

/* A field of struct pylayout: its name for messages and its group. */
enum group { G_RUNTIME, G_INTERP, G_TSTATE, G_FRAME, G_CODE, G_UNICODE, G__NR };

struct field {
	const char *name;
	size_t off; /* offsetof(struct pylayout, ...) */
	enum group group;
};

/* clang-format off */
#define F(g, grp, fld) {#g "." #fld, offsetof(struct pylayout, g.fld), grp}
/* clang-format on */
static const struct field fields[] = {
	F(runtime, G_RUNTIME, interpreters_head),
	F(runtime, G_RUNTIME, tstate_current),
	F(interp, G_INTERP, next),
	F(interp, G_INTERP, threads_head),
	F(interp, G_INTERP, eval_frame),
	F(tstate, G_TSTATE, next),
	F(tstate, G_TSTATE, interp),
	F(tstate, G_TSTATE, frame),
	F(tstate, G_TSTATE, cframe),
	F(tstate, G_TSTATE, cframe_frame),
	F(tstate, G_TSTATE, thread_id),
	F(tstate, G_TSTATE, native_thread_id),
	F(frame, G_FRAME, code),
	F(frame, G_FRAME, back),
	F(frame, G_FRAME, ip),
	F(frame, G_FRAME, entry),
	F(code, G_CODE, flags),
	F(code, G_CODE, firstlineno),
	F(code, G_CODE, filename),
	F(code, G_CODE, name),
	F(code, G_CODE, qualname),
	F(code, G_CODE, linetable),
	F(code, G_CODE, code_adaptive),
	F(unicode, G_UNICODE, length),
	F(unicode, G_UNICODE, state),
	F(unicode, G_UNICODE, ascii_size),
	F(unicode, G_UNICODE, compact_size),
};
#undef F
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* One row per minor. Columns follow struct pylayout; N marks a field the
 * version does not have. */
struct row {
	int32_t interpreters_head, tstate_current;
	int32_t interp_next, threads_head, eval_frame;
	int32_t ts_next, ts_interp, ts_frame, ts_cframe, cframe_frame, thread_id, native_tid;
	int32_t f_code, f_back, f_ip, f_entry;
	enum pylayout_ip_kind ip_kind;
	enum pylayout_entry_kind entry_kind;
	int32_t co_flags, co_firstlineno, co_filename, co_name, co_qualname, co_linetable,
		co_adaptive;
	int32_t ascii_size, compact_size;
};

/* One row per minor version, in struct row order: runtime (interpreters head,
 * the GIL holder's thread state or N where it is thread-local); interpreter; thread
 * state; frame; ip and entry kinds; code object; str header sizes. */
/* clang-format off */
static const struct row rows[TABLE_MAX_MINOR + 1] = {
	[8] = { 32, 1368,
		0, 8, 568,
		8, 16, 24, N, N, 176, N,
		32, 24, 104, N,
		PYLAYOUT_IP_LASTI_BYTES, PYLAYOUT_ENTRY_NONE,
		36, 40, 104, 112, N, 120, N,
		48, 72 },
	[9] = { 32, 568,
		0, 8, 1400,
		8, 16, 24, N, N, 176, N,
		32, 24, 104, N,
		PYLAYOUT_IP_LASTI_BYTES, PYLAYOUT_ENTRY_NONE,
		36, 40, 104, 112, N, 120, N,
		48, 72 },
	/* 3.10 has tstate->cframe (48), but it holds no frame pointer yet */
	[10] = { 32, 568,
		0, 8, 1368,
		8, 16, 24, N, N, 176, N,
		32, 24, 96, N,
		PYLAYOUT_IP_LASTI_UNITS, PYLAYOUT_ENTRY_NONE,
		36, 40, 104, 112, N, 120, N,
		48, 72 },
	[11] = { 40, 576,
		0, 16, 1424,
		8, 16, N, 56, 8, 152, 160,
		32, 48, 56, 68,
		PYLAYOUT_IP_PREV_INSTR, PYLAYOUT_ENTRY_FLAG,
		48, 72, 112, 120, 128, 136, 184,
		48, 72 },
	[12] = { 40, N,
		0, 72, 1744,
		8, 16, N, 56, 0, 136, 144,
		0, 8, 56, 70,
		PYLAYOUT_IP_PREV_INSTR, PYLAYOUT_ENTRY_OWNER,
		48, 68, 112, 120, 128, 136, 192,
		40, 56 },
	[13] = { 632, N,
		7264, 7344, 8472,
		8, 16, 72, N, N, 152, 160,
		0, 8, 56, 70,
		PYLAYOUT_IP_INSTR_PTR, PYLAYOUT_ENTRY_OWNER,
		48, 68, 112, 120, 128, 136, 200,
		40, 56 },
};
/* clang-format on */

/* Per-field "confirmed" marks while one layout is being checked. */
struct checks {
	struct pylayout *l;
	uint8_t checked[NFIELDS];
	char *why;
	size_t len;
};

static int32_t *field_ptr(struct pylayout *l, size_t i)
{
	return (int32_t *)((char *)l + fields[i].off);
}

static struct pylayout_group *group_of(struct pylayout *l, enum group g)
{
	switch (g) {
	case G_RUNTIME:
		return &l->runtime.g;
	case G_INTERP:
		return &l->interp.g;
	case G_TSTATE:
		return &l->tstate.g;
	case G_FRAME:
		return &l->frame.g;
	case G_CODE:
		return &l->code.g;
	default:
		return &l->unicode.g;
	}
}

int pylayout_table(int major, int minor, struct pylayout *out)
{
	const struct row *r;

	memset(out, 0, sizeof(*out));
	if (major != 3 || minor < OPCODES_MIN_MINOR || minor > TABLE_MAX_MINOR)
		return -ENOTSUP;
	r = &rows[minor];
	out->major = major;
	out->minor = minor;
	out->runtime.interpreters_head = r->interpreters_head;
	out->runtime.tstate_current = r->tstate_current;
	out->interp.next = r->interp_next;
	out->interp.threads_head = r->threads_head;
	out->interp.eval_frame = r->eval_frame;
	out->tstate.next = r->ts_next;
	out->tstate.interp = r->ts_interp;
	out->tstate.frame = r->ts_frame;
	out->tstate.cframe = r->ts_cframe;
	out->tstate.cframe_frame = r->cframe_frame;
	out->tstate.thread_id = r->thread_id;
	out->tstate.native_thread_id = r->native_tid;
	out->frame.code = r->f_code;
	out->frame.back = r->f_back;
	out->frame.ip = r->f_ip;
	out->frame.entry = r->f_entry;
	out->frame.owner_cstack = r->entry_kind == PYLAYOUT_ENTRY_OWNER ? FRAME_OWNED_BY_CSTACK : N;
	out->frame.ip_kind = r->ip_kind;
	out->frame.entry_kind = r->entry_kind;
	out->code.flags = r->co_flags;
	out->code.firstlineno = r->co_firstlineno;
	out->code.filename = r->co_filename;
	out->code.name = r->co_name;
	out->code.qualname = r->co_qualname;
	out->code.linetable = r->co_linetable;
	out->code.code_adaptive = r->co_adaptive;
	out->unicode.length = STR_LENGTH;
	out->unicode.state = STR_STATE;
	out->unicode.ascii_size = r->ascii_size;
	out->unicode.compact_size = r->compact_size;
	out->unicode.kind_shift = STR_KIND_SHIFT;
	out->unicode.compact_bit = STR_COMPACT_BIT;
	out->unicode.ascii_bit = STR_ASCII_BIT;
	out->unicode.ready_bit = minor <= 11 ? 7 : N;
	out->object.ob_type = OB_TYPE;
	out->object.tp_basicsize = TP_BASICSIZE;
	out->object.tp_dealloc = TP_DEALLOC;
	out->object.tp_members = TP_MEMBERS;
	for (int g = 0; g < G__NR; g++)
		group_of(out, g)->source = PYLAYOUT_SRC_TABLE;
	return 0;
}

/* The values 3.14's _Py_DebugOffsets lacks (x86-64, GIL and
 * free-threaded builds), each confirmed against the file by pylayout_for: co_flags by
 * PyCode_Type's tp_members, the compact str header by PyUnicode_Type's
 * tp_basicsize (research note 11.1). */
#define STACKREF_TAG_BITS    3 /* Py_TAG_BITS of a GIL build's _PyStackRef */
#define STACKREF_TAG_BITS_FT 1 /* free-threaded: Py_TAG_DEFERRED, the only tag */

/* PyTypeObject after its PyVarObject head (the object header plus
 * ob_size): tp_name, tp_basicsize, tp_itemsize, tp_dealloc, then 14 more
 * pointer-sized slots to tp_flags and 9 from tp_flags to tp_members. The
 * table gives tp_name and tp_flags, which must sit where these say. */
#define TP_NAME_TO_BASICSIZE 8
#define TP_NAME_TO_DEALLOC   24
#define TP_NAME_TO_FLAGS     144
#define TP_FLAGS_TO_MEMBERS  72

/* 3.14's PyCodeObject: co_flags is the int right before co_argcount (the
 * table gives co_argcount); PyCompactUnicodeObject is PyASCIIObject plus
 * utf8_length and utf8. Both are confirmed by the file (tp_members,
 * tp_basicsize). */
#define CO_ARGCOUNT_TO_FLAGS 4
#define COMPACT_AFTER_ASCII  16

static int32_t narrow(int64_t v)
{
	return v >= 0 && v <= INT32_MAX ? (int32_t)v : N;
}

int pylayout_from_debug(const struct debug_offsets *d, struct pylayout *out, char *why, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (d->major != 3 || d->minor < 14) {
		snprintf(why, len, "CPython %d.%d's layout does not come from its debug offsets",
			 d->major, d->minor);
		return -ENOTSUP;
	}
	/* every object offset follows from the header: 16 bytes with the
	 * GIL, 32 free-threaded (ob_tid, flags, mutex, gc bits, local and
	 * shared refcounts before ob_type) */
	if (d->object.ob_type != d->object.size - 8 ||
	    d->object.size != (d->free_threaded ? 32 : 16) ||
	    d->type.tp_name != d->object.size + 8 ||
	    d->type.tp_flags != d->type.tp_name + TP_NAME_TO_FLAGS) {
		snprintf(why, len,
			 "_Py_DebugOffsets: an object header of %" PRId64
			 " bytes (ob_type at %" PRId64 ", tp_name at %" PRId64
			 ") is not a %s build's",
			 d->object.size, d->object.ob_type, d->type.tp_name,
			 d->free_threaded ? "free-threaded" : "GIL");
		return -ENOTSUP;
	}
	out->free_threaded = d->free_threaded;
	out->object.ob_type = narrow(d->object.ob_type);
	out->object.tp_basicsize = narrow(d->type.tp_name + TP_NAME_TO_BASICSIZE);
	out->object.tp_dealloc = narrow(d->type.tp_name + TP_NAME_TO_DEALLOC);
	out->object.tp_members = narrow(d->type.tp_flags + TP_FLAGS_TO_MEMBERS);
	out->major = d->major;
	out->minor = d->minor;
	out->runtime.interpreters_head = narrow(d->runtime.interpreters_head);
	out->runtime.tstate_current = N;
	out->interp.next = narrow(d->interp.next);
	out->interp.threads_head = narrow(d->interp.threads_head);
	out->interp.eval_frame = N; /* set from the file's accessor */
	out->tstate.next = narrow(d->tstate.next);
	out->tstate.interp = narrow(d->tstate.interp);
	out->tstate.frame = narrow(d->tstate.current_frame);
	out->tstate.cframe = N;
	out->tstate.cframe_frame = N;
	out->tstate.thread_id = narrow(d->tstate.thread_id);
	out->tstate.native_thread_id = narrow(d->tstate.native_thread_id);
	out->frame.code = narrow(d->frame.executable);
	out->frame.back = narrow(d->frame.previous);
	out->frame.ip = narrow(d->frame.instr_ptr);
	out->frame.entry = narrow(d->frame.owner);
	out->frame.owner_cstack = FRAME_OWNED_BY_CSTACK;
	out->frame.ip_kind = PYLAYOUT_IP_INSTR_PTR;
	out->frame.entry_kind = PYLAYOUT_ENTRY_OWNER;
	out->code.flags = narrow(d->code.argcount - CO_ARGCOUNT_TO_FLAGS);
	out->code.firstlineno = narrow(d->code.firstlineno);
	out->code.filename = narrow(d->code.filename);
	out->code.name = narrow(d->code.name);
	out->code.qualname = narrow(d->code.qualname);
	out->code.linetable = narrow(d->code.linetable);
	out->code.code_adaptive = narrow(d->code.code_adaptive);
	out->unicode.length = narrow(d->unicode.length);
	out->unicode.state = narrow(d->unicode.state);
	out->unicode.ascii_size = narrow(d->unicode.ascii_size);
	out->unicode.compact_size = narrow(d->unicode.ascii_size + COMPACT_AFTER_ASCII);
	out->unicode.kind_shift = d->free_threaded ? STR_KIND_SHIFT_FT : STR_KIND_SHIFT;
	out->unicode.compact_bit = d->free_threaded ? STR_COMPACT_BIT_FT : STR_COMPACT_BIT;
	out->unicode.ascii_bit = d->free_threaded ? STR_ASCII_BIT_FT : STR_ASCII_BIT;
	out->unicode.ready_bit = N;
	out->code_tag_bits = d->free_threaded ? STACKREF_TAG_BITS_FT : STACKREF_TAG_BITS;
	out->has_debug = true;
	out->debug = *d;
	for (int g = 0; g < G__NR; g++)
		group_of(out, g)->source = PYLAYOUT_SRC_DEBUG;
	for (size_t i = 0; i < NFIELDS; i++) {
		/* every field the reader needs is in the table */
		if (*field_ptr(out, i) == N &&
		    fields[i].off != offsetof(struct pylayout, interp.eval_frame) &&
		    fields[i].off != offsetof(struct pylayout, runtime.tstate_current) &&
		    fields[i].off != offsetof(struct pylayout, tstate.cframe) &&
		    fields[i].off != offsetof(struct pylayout, tstate.cframe_frame)) {
			snprintf(why, len, "_Py_DebugOffsets has no usable %s", fields[i].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

void pylayout_describe_source(unsigned source, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{PYLAYOUT_SRC_TABLE, "table"},
		{PYLAYOUT_SRC_MEMBERS, "tp_members"},
		{PYLAYOUT_SRC_BASICSIZE, "tp_basicsize"},
		{PYLAYOUT_SRC_DEBUG, "debug offsets"},
		{PYLAYOUT_SRC_DECODED, "decoded accessors"},
	};
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(source & names[i].bit))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", names[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += n;
	}
}

static size_t field_offset(const struct pylayout *l, const int32_t *f)
{
	return (size_t)((const char *)f - (const char *)l);
}

/* Confirms *f == value from source src. A field the table lacks but the
 * source has, or a different value, is a refusal. */
static int confirm(struct checks *c, int32_t *f, int64_t value, unsigned src, const char *from)
{
	size_t off = field_offset(c->l, f);

	for (size_t i = 0; i < NFIELDS; i++) {
		if (fields[i].off != off)
			continue;
		if (*f == PYLAYOUT_NONE || *f != value) {
			snprintf(c->why, c->len, "%s: table says %" PRId32 ", %s says %" PRId64,
				 fields[i].name, *f, from, value);
			return -ENOTSUP;
		}
		c->checked[i] = 1;
		group_of(c->l, fields[i].group)->source |= src;
		return 0;
	}
	return 0;
}

static void count_checks(const struct checks *c)
{
	for (int g = 0; g < G__NR; g++) {
		struct pylayout_group *grp = group_of(c->l, g);

		grp->nfields = grp->nchecked = 0;
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		struct pylayout_group *grp = group_of(c->l, fields[i].group);

		if (*field_ptr(c->l, i) == PYLAYOUT_NONE)
			continue;
		grp->nfields++;
		grp->nchecked += c->checked[i];
	}
}

/* --- member tables ------------------------------------------------------ */

static int64_t le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	/* sign-extend the 4-byte fields */
	if (bytes == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

void pylayout_decode_member(const uint8_t *raw, struct pylayout_member *m)
{
	m->type = (int)le(raw + 8, 4);
	m->offset = le(raw + 16, 8);
	m->flags = (int)le(raw + 24, 4);
}

static const struct pylayout_member *find_member(const struct pylayout_member *m, size_t n,
						 const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].name && !strcmp(m[i].name, name))
			return &m[i];
	}
	return NULL;
}

struct member_rule {
	const char *name;
	size_t off; /* offsetof(struct pylayout, ...) */
	int type;   /* PYLAYOUT_T_* */
	bool required;
};

static int check_members(struct checks *c, const struct member_rule *rules, size_t nrules,
			 const struct pylayout_member *m, size_t n, const char *what)
{
	for (size_t i = 0; i < nrules; i++) {
		int32_t *f = (int32_t *)((char *)c->l + rules[i].off);
		const struct pylayout_member *pm = find_member(m, n, rules[i].name);
		int err;

		if (!pm) {
			if (!rules[i].required)
				continue;
			snprintf(c->why, c->len, "%s has no member %s", what, rules[i].name);
			return -ENOTSUP;
		}
		/* a name that is an object member must stay one: T_OBJECT or _EX */
		if (pm->type != rules[i].type &&
		    !(rules[i].type == PYLAYOUT_T_OBJECT && pm->type == PYLAYOUT_T_OBJECT_EX)) {
			snprintf(c->why, c->len, "%s.%s has member type %d, expected %d", what,
				 rules[i].name, pm->type, rules[i].type);
			return -ENOTSUP;
		}
		err = confirm(c, f, pm->offset, PYLAYOUT_SRC_MEMBERS, what);
		if (err)
			return err;
	}
	return 0;
}

#define RULE(n, fld, t, req)                              \
	{                                                 \
		n, offsetof(struct pylayout, fld), t, req \
	}

static int check_code_members(struct checks *c, const struct pylayout_member *m, size_t n)
{
	const struct member_rule rules[] = {
		RULE("co_flags", code.flags, PYLAYOUT_T_INT, true),
		RULE("co_firstlineno", code.firstlineno, PYLAYOUT_T_INT, true),
		RULE("co_filename", code.filename, PYLAYOUT_T_OBJECT, true),
		RULE("co_name", code.name, PYLAYOUT_T_OBJECT, true),
		RULE("co_qualname", code.qualname, PYLAYOUT_T_OBJECT, c->l->minor >= 11),
		/* 3.12 turned co_lnotab into a getter; 3.8/3.9 have no co_linetable */
		RULE(c->l->minor <= 9 ? "co_lnotab" : "co_linetable", code.linetable,
		     PYLAYOUT_T_OBJECT, false),
	};

	return check_members(c, rules, sizeof(rules) / sizeof(rules[0]), m, n,
			     "PyCode_Type.tp_members");
}

static int check_frame_members(struct checks *c, const struct pylayout_member *m, size_t n)
{
	/* 3.11+ PyFrameObject wraps an interpreter frame: its members say
	 * nothing about the frames the tracer reads */
	const struct member_rule rules[] = {
		RULE("f_back", frame.back, PYLAYOUT_T_OBJECT, true),
		RULE("f_code", frame.code, PYLAYOUT_T_OBJECT, true),
		/* 3.10 made f_lasti a getter (it counts code units there) */
		RULE("f_lasti", frame.ip, PYLAYOUT_T_INT, c->l->minor <= 9),
	};

	if (c->l->minor >= 11)
		return 0;
	return check_members(c, rules, sizeof(rules) / sizeof(rules[0]), m, n,
			     "PyFrame_Type.tp_members");
}

#undef RULE

int pylayout_check_code_members(struct pylayout *out, const struct pylayout_member *m, size_t n,
				char *why, size_t len)
{
	struct checks c = {.l = out, .why = why, .len = len};
	int err = check_code_members(&c, m, n);

	count_checks(&c);
	return err;
}

int pylayout_check_frame_members(struct pylayout *out, const struct pylayout_member *m, size_t n,
				 char *why, size_t len)
{
	struct checks c = {.l = out, .why = why, .len = len};
	int err = check_frame_members(&c, m, n);

	count_checks(&c);
	return err;
}

/* Reads the member table of the type object at type_vaddr into m (names
 * point into the image). Returns the count, or a negative errno. */
static int read_members(const struct elfimage *img, uint64_t type_vaddr, int32_t tp_members,
			struct pylayout_member *m, size_t max)
{
	uint64_t table, name;
	size_t n = 0;
	int err;

	err = elfimage__read_ptr(img, type_vaddr + (uint64_t)tp_members, &table);
	if (err)
		return err;
	if (!table)
		return -ENOENT;
	for (; n < max; n++) {
		uint64_t rec = table + n * PYLAYOUT_MEMBERDEF_SIZE;
		const uint8_t *raw = elfimage__bytes(img, rec, PYLAYOUT_MEMBERDEF_SIZE);

		if (!raw)
			return -EFAULT;
		err = elfimage__read_ptr(img, rec, &name);
		if (err)
			return err;
		if (!name) /* the terminating all-zero entry */
			return (int)n;
		m[n].name = elfimage__string(img, name, MAX_NAME);
		if (!m[n].name)
			return -EFAULT;
		pylayout_decode_member(raw, &m[n]);
	}
	return -E2BIG;
}

static int check_type_members(struct checks *c, const struct elfimage *img, const char *type,
			      bool required)
{
	struct pylayout_member m[MAX_MEMBERS];
	uint64_t vaddr;
	int n;

	if (elfimage__symbol(img, type, &vaddr, NULL)) {
		if (!required)
			return 0;
		snprintf(c->why, c->len, "no %s in .dynsym", type);
		return -ENOTSUP;
	}
	n = read_members(img, vaddr, c->l->object.tp_members, m, MAX_MEMBERS);
	if (n < 0) {
		snprintf(c->why, c->len, "cannot read %s.tp_members: %s", type, strerror(-n));
		return -ENOTSUP;
	}
	if (!strcmp(type, "PyCode_Type"))
		return check_code_members(c, m, (size_t)n);
	return check_frame_members(c, m, (size_t)n);
}

/* tp_basicsize: PyUnicodeObject is the compact header plus one data
 * pointer; a 3.11+ code object's fixed part ends where the inline bytecode
 * (co_code_adaptive) starts. */
static int check_basicsizes(struct checks *c, const struct elfimage *img)
{
	const uint8_t *p;
	uint64_t vaddr;
	int err;

	if (!elfimage__symbol(img, "PyUnicode_Type", &vaddr, NULL) &&
	    (p = elfimage__bytes(img, vaddr + (uint64_t)c->l->object.tp_basicsize, 8))) {
		err = confirm(c, &c->l->unicode.compact_size, le(p, 8) - 8, PYLAYOUT_SRC_BASICSIZE,
			      "PyUnicode_Type.tp_basicsize - 8");
		if (err)
			return err;
	}
	if (c->l->minor >= 11 && !elfimage__symbol(img, "PyCode_Type", &vaddr, NULL) &&
	    (p = elfimage__bytes(img, vaddr + (uint64_t)c->l->object.tp_basicsize, 8)))
		return confirm(c, &c->l->code.code_adaptive, le(p, 8), PYLAYOUT_SRC_BASICSIZE,
			       "PyCode_Type.tp_basicsize");
	return 0;
}

/* The file offset of PyCode_Type's tp_dealloc: every code object dies
 * through it (the type allows no subclasses). */
static int find_code_dealloc(const struct elfimage *img, uint64_t code_type, int32_t tp_dealloc,
			     uint64_t *off)
{
	uint64_t fn;
	int err = elfimage__read_ptr(img, code_type + (uint64_t)tp_dealloc, &fn);

	if (err)
		return err;
	if (!fn || !elfimage__is_code(img, fn))
		return -ENOTSUP;
	return elfimage__file_offset(img, fn, off);
}

/* --- 3.13 _Py_DebugOffsets ----------------------------------------------- */

/* Byte offsets of the fields used here inside the 3.13 _Py_DebugOffsets
 * (every field is a uint64_t; each sub-table starts with its struct size). */
enum {
	DO_VERSION = 8,
	DO_FREE_THREADED = 16,
	DO_RT_INTERPRETERS_HEAD = 40,
	DO_IS_NEXT = 64,
	DO_IS_THREADS_HEAD = 72,
	DO_TS_NEXT = 168,
	DO_TS_INTERP = 176,
	DO_TS_CURRENT_FRAME = 184,
	DO_TS_THREAD_ID = 192,
	DO_TS_NATIVE_THREAD_ID = 200,
	DO_FR_PREVIOUS = 232,
	DO_FR_EXECUTABLE = 240,
	DO_FR_INSTR_PTR = 248,
	DO_FR_OWNER = 264,
	DO_CO_FILENAME = 280,
	DO_CO_NAME = 288,
	DO_CO_QUALNAME = 296,
	DO_CO_LINETABLE = 304,
	DO_CO_FIRSTLINENO = 312,
	DO_CO_CODE_ADAPTIVE = 344,
	DO_PYOBJECT_OB_TYPE = 360,
	DO_UNI_STATE = 544,
	DO_UNI_LENGTH = 552,
	DO_UNI_ASCII_SIZE = 560,
};

static int check_debug(struct checks *c, const uint8_t *buf, size_t len)
{
	struct pylayout *out = c->l;
	char *why = c->why;
	size_t whylen = c->len;
	const struct {
		int32_t *f;
		size_t at;
	} map[] = {
		{&out->runtime.interpreters_head, DO_RT_INTERPRETERS_HEAD},
		{&out->interp.next, DO_IS_NEXT},
		{&out->interp.threads_head, DO_IS_THREADS_HEAD},
		{&out->tstate.next, DO_TS_NEXT},
		{&out->tstate.interp, DO_TS_INTERP},
		{&out->tstate.frame, DO_TS_CURRENT_FRAME},
		{&out->tstate.thread_id, DO_TS_THREAD_ID},
		{&out->tstate.native_thread_id, DO_TS_NATIVE_THREAD_ID},
		{&out->frame.back, DO_FR_PREVIOUS},
		{&out->frame.code, DO_FR_EXECUTABLE},
		{&out->frame.ip, DO_FR_INSTR_PTR},
		{&out->frame.entry, DO_FR_OWNER},
		{&out->code.filename, DO_CO_FILENAME},
		{&out->code.name, DO_CO_NAME},
		{&out->code.qualname, DO_CO_QUALNAME},
		{&out->code.linetable, DO_CO_LINETABLE},
		{&out->code.firstlineno, DO_CO_FIRSTLINENO},
		{&out->code.code_adaptive, DO_CO_CODE_ADAPTIVE},
		{&out->unicode.state, DO_UNI_STATE},
		{&out->unicode.length, DO_UNI_LENGTH},
		{&out->unicode.ascii_size, DO_UNI_ASCII_SIZE},
	};
	uint64_t version;

	if (out->major != 3 || out->minor != 13) {
		snprintf(why, whylen, "no _Py_DebugOffsets parser for %d.%d", out->major,
			 out->minor);
		return -ENOTSUP;
	}
	if (!buf || len < PYLAYOUT_DEBUG_SIZE_313 ||
	    memcmp(buf, PYLAYOUT_DEBUG_COOKIE, strlen(PYLAYOUT_DEBUG_COOKIE))) {
		snprintf(why, whylen, "_PyRuntime does not start with the _Py_DebugOffsets cookie");
		return -ENOTSUP;
	}
	version = (uint64_t)le(buf + DO_VERSION, 8);
	if ((version >> 24) != 3 || (version >> 16 & 0xff) != 13) {
		snprintf(why, whylen, "_Py_DebugOffsets version 0x%" PRIx64 " is not 3.13",
			 version);
		return -ENOTSUP;
	}
	if (le(buf + DO_FREE_THREADED, 8)) {
		snprintf(why, whylen, "free-threaded build (_Py_DebugOffsets.free_threaded)");
		return -ENOTSUP;
	}
	/* ob_type right after the refcount: a default (not free-threaded) header */
	if (le(buf + DO_PYOBJECT_OB_TYPE, 8) != 8) {
		snprintf(why, whylen, "_Py_DebugOffsets: PyObject.ob_type at %" PRId64 ", not 8",
			 le(buf + DO_PYOBJECT_OB_TYPE, 8));
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		int err = confirm(c, map[i].f, le(buf + map[i].at, 8), PYLAYOUT_SRC_DEBUG,
				  "_Py_DebugOffsets");

		if (err)
			return err;
	}
	return 0;
}

int pylayout_check_debug_offsets(struct pylayout *out, const uint8_t *buf, size_t len, char *why,
				 size_t whylen)
{
	struct checks c = {.l = out, .why = why, .len = whylen};
	int err = check_debug(&c, buf, len);

	count_checks(&c);
	return err;
}

/* --- decoded accessors ----------------------------------------------------- */

#define ACCESSOR_BYTES 32

static const uint8_t *function_code(const struct elfimage *img, const char *name, uint64_t *vaddr,
				    size_t *len)
{
	uint64_t size;
	const uint8_t *p;

	if (elfimage__symbol(img, name, vaddr, &size) || !elfimage__is_code(img, *vaddr))
		return NULL;
	*len = size && size < ACCESSOR_BYTES ? size : ACCESSOR_BYTES;
	p = elfimage__bytes(img, *vaddr, *len);
	return p;
}

/* Confirms up to nf fields with the load chain that function name starts
 * with; fields[k] NULL skips a link. Code that does not decode, or a chain
 * shorter than needed, confirms nothing and refuses nothing. */
static int check_chain(struct checks *c, const struct elfimage *img, const char *name,
		       int32_t *const *f, size_t nf)
{
	int64_t disps[4];
	uint64_t vaddr;
	const uint8_t *code;
	size_t len, n;

	code = function_code(img, name, &vaddr, &len);
	if (!code)
		return 0;
	n = x86_decode_load_chain(code, len, disps, nf);
	for (size_t k = 0; k < n; k++) {
		int err;

		if (!f[k])
			continue;
		err = confirm(c, f[k], disps[k], PYLAYOUT_SRC_DECODED, name);
		if (err)
			return err;
	}
	return 0;
}

/* PyInterpreterState_Head() loads _PyRuntime.interpreters.head: straight
 * from _PyRuntime+DISP in a non-PIE executable, or through a GOT slot bound
 * to _PyRuntime and then DISP(%reg) in a shared object. */
static int check_runtime_field(struct checks *c, const struct elfimage *img, const char *fn,
			       int32_t *field)
{
	const struct elfimage_reloc *r;
	uint64_t vaddr, slot;
	const uint8_t *code;
	const char *sym;
	int64_t disp;
	bool indirect;
	size_t len;

	if (*field == N)
		return 0;
	code = function_code(img, fn, &vaddr, &len);
	if (!code || x86_decode_global_load(code, len, vaddr, &slot, &indirect, &disp))
		return 0;
	if (!indirect) {
		if (slot < c->l->runtime_vaddr || slot - c->l->runtime_vaddr > INT32_MAX)
			return 0;
		return confirm(c, field, (int64_t)(slot - c->l->runtime_vaddr),
			       PYLAYOUT_SRC_DECODED, fn);
	}
	r = elfimage__reloc_at(img, slot);
	if (!r)
		return 0;
	if (r->type == R_X86_64_RELATIVE) {
		if ((uint64_t)r->addend != c->l->runtime_vaddr)
			return 0;
	} else {
		sym = elfimage__symbol_name(img, r->sym);
		if ((r->type != R_X86_64_GLOB_DAT && r->type != R_X86_64_64) || r->addend || !sym ||
		    strcmp(sym, "_PyRuntime"))
			return 0;
	}
	return confirm(c, field, disp, PYLAYOUT_SRC_DECODED, fn);
}

static int check_runtime_head(struct checks *c, const struct elfimage *img)
{
	int err = check_runtime_field(c, img, "PyInterpreterState_Head",
				      &c->l->runtime.interpreters_head);

	/* <= 3.11: the thread state holding the GIL lives in _PyRuntime */
	if (!err)
		err = check_runtime_field(c, img, "_PyThreadState_UncheckedGet",
					  &c->l->runtime.tstate_current);
	return err;
}

static int check_accessors(struct checks *c, const struct elfimage *img)
{
	struct pylayout *l = c->l;
	int32_t *eval[] = {&l->interp.eval_frame};
	int32_t *head[] = {&l->interp.threads_head};
	int32_t *inext[] = {&l->interp.next};
	int32_t *tnext[] = {&l->tstate.next};
	int32_t *tinterp[] = {&l->tstate.interp};
	int32_t *frame[] = {l->minor == 11 || l->minor == 12 ? &l->tstate.cframe : &l->tstate.frame,
			    l->minor == 11 || l->minor == 12 ? &l->tstate.cframe_frame : NULL};
	int32_t *fcode[] = {l->minor <= 10 ? &l->frame.code : NULL, &l->frame.code};
	int32_t *fback[] = {&l->frame.back};
	int err;

	err = check_chain(c, img, "_PyInterpreterState_GetEvalFrameFunc", eval, 1);
	if (!err)
		err = check_chain(c, img, "PyInterpreterState_ThreadHead", head, 1);
	if (!err)
		err = check_chain(c, img, "PyInterpreterState_Next", inext, 1);
	if (!err)
		err = check_chain(c, img, "PyThreadState_Next", tnext, 1);
	if (!err && l->minor >= 9)
		err = check_chain(c, img, "PyThreadState_GetInterpreter", tinterp, 1);
	/* 3.9+: returns the current frame (through the cframe in 3.11/3.12) */
	if (!err && l->minor >= 9)
		err = check_chain(c, img, "PyThreadState_GetFrame", frame, 2);
	/* 3.9/3.10 frame objects are the frames; 3.11+ wrap one (f_frame, a
	 * field not described here), so the code pointer is the second load */
	if (!err && l->minor >= 9)
		err = check_chain(c, img, "PyFrame_GetCode", fcode, l->minor <= 10 ? 1 : 2);
	if (!err && l->minor >= 12)
		err = check_chain(c, img, "PyUnstable_InterpreterFrame_GetCode", fcode + 1, 1);
	if (!err && l->minor >= 9 && l->minor <= 10)
		err = check_chain(c, img, "PyFrame_GetBack", fback, 1);
	if (!err)
		err = check_runtime_head(c, img);
	return err;
}

/* --- the __init__ shim's code object (3.13) ----------------------------------- */

/* Whether a static code object at obj starts with the shim's bytecode. */
static bool is_init_cleanup(const struct elfimage *img, const struct pylayout *l, uint64_t obj)
{
	const uint8_t want[] = {
		(uint8_t)opcodes_number(l->minor, OPCODES_EXIT_INIT_CHECK), 0,
		(uint8_t)opcodes_number(l->minor, OPCODES_RETURN_VALUE),    0,
		(uint8_t)opcodes_number(l->minor, OPCODES_RESUME),
	};
	const uint8_t *b =
		elfimage__bytes(img, obj + (uint64_t)l->code.code_adaptive, sizeof(want));

	return b && !memcmp(b, want, sizeof(want));
}

/* Whether the slot of a relocation holds &PyCode_Type. */
static bool points_to_code_type(const struct elfimage *img, const struct elfimage_reloc *r,
				uint64_t code_type)
{
	const char *sym;

	if (r->type == R_X86_64_RELATIVE)
		return (uint64_t)r->addend == code_type;
	if (r->type != R_X86_64_64 || r->addend)
		return false;
	sym = elfimage__symbol_name(img, r->sym);
	return sym && !strcmp(sym, "PyCode_Type");
}

/* 3.13 runs the __init__ of a class call it specialised
 * (CALL_ALLOC_AND_ENTER_INIT) above a frame of _Py_InitCleanup: a static
 * code object named "__init__" in a file "__init__", whose bytecode is
 * EXIT_INIT_CHECK, RETURN_VALUE and an unreachable RESUME. That frame is no
 * call of the program's. The object has no .dynsym entry; it is the one
 * static code object (ob_type = &PyCode_Type in the file, through a
 * relocation or, in a non-PIE executable, stored as is) with that bytecode. */
int pylayout_find_init_cleanup(const struct elfimage *img, struct pylayout *l, char *why,
			       size_t len)
{
	uint64_t type = l->code_type_vaddr, found = 0;
	unsigned hits = 0;

	if (elfimage__type(img) == ET_DYN) {
		size_t n;
		const struct elfimage_reloc *r = elfimage__relocs(img, &n);

		for (size_t i = 0; i < n; i++) {
			/* ob_type follows the 8-byte ob_refcnt */
			if (points_to_code_type(img, &r[i], type) &&
			    is_init_cleanup(img, l, r[i].offset - 8)) {
				found = r[i].offset - 8;
				hits++;
			}
		}
	} else {
		size_t n;
		const struct elfimage_section *sec = elfimage__sections(img, &n);

		for (size_t i = 0; i < n; i++) {
			uint8_t *data;

			if (sec[i].type != SHT_PROGBITS || !(sec[i].flags & SHF_ALLOC) ||
			    (sec[i].flags & SHF_EXECINSTR) ||
			    !(data = elfimage__section_copy(img, &sec[i])))
				continue;
			for (uint64_t off = 8; off + 8 <= sec[i].size; off += 8) {
				uint64_t v;

				memcpy(&v, data + off, sizeof(v));
				if (v == type && is_init_cleanup(img, l, sec[i].addr + off - 8)) {
					found = sec[i].addr + off - 8;
					hits++;
				}
			}
			free(data);
		}
	}
	if (hits != 1) {
		snprintf(why, len,
			 "%u static code objects look like the __init__ shim (_Py_InitCleanup), "
			 "expected one",
			 hits);
		return -ENOTSUP;
	}
	l->init_cleanup_vaddr = found;
	return 0;
}

/* --- build flavour ------------------------------------------------------------ */

/* ABI flags after "python3.N" in a file name: 't' free-threaded, 'd' debug. */
static void name_flags(const char *name, bool *ft, bool *dbg)
{
	const char *p = name ? strstr(name, "python3.") : NULL;

	if (!p)
		return;
	p += strlen("python3.");
	while (*p >= '0' && *p <= '9')
		p++;
	for (; *p && strchr("dmt", *p); p++) {
		*ft |= *p == 't';
		*dbg |= *p == 'd';
	}
}

/* Refuses debug and JIT builds, and free-threaded ones unless allow_ft
 * (3.14+, whose layout comes from _Py_DebugOffsets); *is_ft says whether
 * the file's name or symbols flag a free-threaded build. */
static int check_flavour(const struct elfimage *img, const char *path, const struct elf_info *info,
			 bool allow_ft, bool *is_ft, char *why, size_t len)
{
	static const char *const debug_syms[] = {"_Py_NegativeRefcount", "_Py_RefTotal",
						 "_Py_GetRefTotal", "_Py_INCREF_IncRefTotal"};
	static const char *const ft_syms[] = {"_Py_MergeZeroLocalRefcount", "_Py_DecRefShared"};
	/* --enable-experimental-jit: tier-2 traces push and pop frames without
	 * the bytecode handlers the probes sit on */
	static const char *const jit_syms[] = {"_PyJIT_Compile", "_PyOptimizer_Optimize",
					       "_PyUOpExecutor_Type"};
	const char *base = path ? strrchr(path, '/') : NULL;
	bool ft = false, dbg = false;

	name_flags(info->soname, &ft, &dbg);
	name_flags(base ? base + 1 : path, &ft, &dbg);
	for (size_t i = 0; i < sizeof(ft_syms) / sizeof(ft_syms[0]); i++)
		ft |= !elfimage__symbol(img, ft_syms[i], NULL, NULL);
	for (size_t i = 0; i < sizeof(debug_syms) / sizeof(debug_syms[0]); i++)
		dbg |= !elfimage__symbol(img, debug_syms[i], NULL, NULL);
	*is_ft = ft;
	if (ft && !allow_ft) {
		snprintf(why, len, "free-threaded CPython builds before 3.14 are not supported");
		return -ENOTSUP;
	}
	if (dbg) {
		snprintf(why, len, "debug CPython builds (Py_DEBUG) are not supported");
		return -ENOTSUP;
	}
	for (size_t i = 0; i < sizeof(jit_syms) / sizeof(jit_syms[0]); i++) {
		if (info->minor >= 13 && !elfimage__symbol(img, jit_syms[i], NULL, NULL)) {
			snprintf(why, len,
				 "CPython built with the experimental JIT (%s) is not supported: "
				 "its compiled traces run calls past the bytecode handlers",
				 jit_syms[i]);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* --- putting it together ------------------------------------------------------ */

/* 3.14+: the layout the interpreter publishes (_Py_DebugOffsets in the
 * file), with the few values it lacks confirmed by the file's type
 * objects and accessors, and the __init__ shim's code object from
 * .dynsym, checked by its bytecode. */
static int layout_from_file(const struct elfimage *img, const char *path,
			    const struct elf_info *info, struct pylayout *out, char *why,
			    size_t len)
{
	struct checks c = {.l = out, .why = why, .len = len};
	struct debug_offsets d;
	uint64_t rt, shim;
	int64_t disp;
	const uint8_t *code;
	uint64_t fn, size;
	bool ft = false;
	int err;

	if (elfimage__symbol(img, "_PyEval_EvalFrameDefault", NULL, NULL)) {
		snprintf(why, len, "the interpreter is not in this file%s%s",
			 info->libpython[0] ? ": it is in " : "", info->libpython);
		return -ENOTSUP;
	}
	err = check_flavour(img, path, info, true, &ft, why, len);
	if (err)
		return err;
	err = debug_offsets_from_image(img, &d, &rt, why, len);
	if (err)
		return -ENOTSUP;
	/* the file's name and symbols and its table must agree on the kind */
	if (d.free_threaded != ft) {
		snprintf(why, len,
			 "_Py_DebugOffsets says a %s build, the file's name and symbols a %s one",
			 d.free_threaded ? "free-threaded" : "GIL", ft ? "free-threaded" : "GIL");
		return -ENOTSUP;
	}
	if (d.major != info->major || d.minor != info->minor) {
		snprintf(why, len, "_Py_DebugOffsets says %d.%d, the file's version %d.%d", d.major,
			 d.minor, info->major, info->minor);
		return -ENOTSUP;
	}
	err = pylayout_from_debug(&d, out, why, len);
	if (err)
		return err;
	out->runtime_vaddr = rt;
	if (elfimage__symbol(img, "PyCode_Type", &out->code_type_vaddr, NULL)) {
		snprintf(why, len, "no PyCode_Type in .dynsym");
		return -ENOTSUP;
	}
	/* interp->eval_frame (PEP 523's slot) is not in the table: read only
	 * to tell whether a hook is installed, so taken from the accessor */
	if (!elfimage__symbol(img, "_PyInterpreterState_GetEvalFrameFunc", &fn, &size) &&
	    (code = elfimage__bytes(img, fn, size && size < 32 ? size : 16)) &&
	    !x86_decode_field_load(code, size && size < 32 ? size : 16, &disp))
		out->interp.eval_frame = (int32_t)disp;
	err = check_type_members(&c, img, "PyCode_Type", true);
	if (!err)
		err = check_basicsizes(&c, img);
	if (!err)
		err = check_accessors(&c, img);
	if (err)
		return err;
	/* 3.14 exports the shim's code object; its bytecode must be the shim's */
	if (elfimage__symbol(img, "_Py_InitCleanup", &shim, NULL) ||
	    !is_init_cleanup(img, out, shim)) {
		snprintf(why, len, "no __init__ shim code object (_Py_InitCleanup) in .dynsym");
		return -ENOTSUP;
	}
	out->init_cleanup_vaddr = shim;
	if (find_code_dealloc(img, out->code_type_vaddr, out->object.tp_dealloc,
			      &out->code_dealloc_offset))
		out->code_dealloc_offset = 0;
	count_checks(&c);
	return 0;
}

static int layout_for(const struct elfimage *img, const char *path, const struct elf_info *info,
		      struct pylayout *out, char *why, size_t len)
{
	struct checks c = {.l = out, .why = why, .len = len};
	const struct elfimage_section *sec;
	const uint8_t *dbg;
	bool ft = false;
	int err;

	if (!info->major) {
		snprintf(why, len, "unknown CPython version");
		return -ENOTSUP;
	}
	if (info->major == 3 && info->minor > TABLE_MAX_MINOR && info->minor <= OPCODES_MAX_MINOR)
		return layout_from_file(img, path, info, out, why, len);
	if (pylayout_table(info->major, info->minor, out)) {
		snprintf(why, len, "CPython %d.%d is not supported (3.%d to 3.%d are)", info->major,
			 info->minor, OPCODES_MIN_MINOR, OPCODES_MAX_MINOR);
		return -ENOTSUP;
	}
	if (elfimage__symbol(img, "_PyEval_EvalFrameDefault", NULL, NULL)) {
		snprintf(why, len, "the interpreter is not in this file%s%s",
			 info->libpython[0] ? ": it is in " : "", info->libpython);
		return -ENOTSUP;
	}
	err = check_flavour(img, path, info, false, &ft, why, len);
	if (err)
		return err;
	if (elfimage__symbol(img, "_PyRuntime", &out->runtime_vaddr, NULL) ||
	    elfimage__symbol(img, "PyCode_Type", &out->code_type_vaddr, NULL)) {
		snprintf(why, len, "no _PyRuntime or PyCode_Type in .dynsym");
		return -ENOTSUP;
	}

	err = check_type_members(&c, img, "PyCode_Type", true);
	if (!err)
		err = check_type_members(&c, img, "PyFrame_Type", out->minor <= 10);
	if (!err)
		err = check_basicsizes(&c, img);
	if (!err && out->minor >= 13) {
		/* _PyRuntime opens its own section; the symbol is the fallback */
		sec = elfimage__section_by_name(img, ".PyRuntime");
		dbg = elfimage__bytes(img, sec ? sec->addr : out->runtime_vaddr,
				      PYLAYOUT_DEBUG_SIZE_313);
		err = check_debug(&c, dbg, dbg ? PYLAYOUT_DEBUG_SIZE_313 : 0);
	}
	if (!err)
		err = check_accessors(&c, img);
	if (!err && opcodes_number(out->minor, OPCODES_EXIT_INIT_CHECK) >= 0)
		err = pylayout_find_init_cleanup(img, out, why, len);
	if (err)
		return err;
	/* not a check: without it the names are only not cached */
	if (find_code_dealloc(img, out->code_type_vaddr, out->object.tp_dealloc,
			      &out->code_dealloc_offset))
		out->code_dealloc_offset = 0;
	count_checks(&c);
	return 0;
}

int pylayout_code_death(const struct elfimage *img, int minor, struct pylayout_code_death *out,
			char *why, size_t len)
{
	struct pylayout_member m[MAX_MEMBERS];
	const struct pylayout_member *fm, *nm;
	uint64_t code_type, str_type;
	const uint8_t *p;
	int n;

	memset(out, 0, sizeof(*out));
	if (minor < 6 || minor > OPCODES_MAX_MINOR) {
		snprintf(why, len, "CPython 3.%d's str layout is not known", minor);
		return -ENOTSUP;
	}
	/* PyASCIIObject lost wstr in 3.12; PyCompactUnicodeObject is
	 * utf8_length, utf8 (and wstr_length up to 3.11) after it, and
	 * PyUnicodeObject one data pointer more */
	out->ascii_size = minor <= 11 ? 48 : 40;
	out->utf8 = out->ascii_size + 8;
	out->state = STR_STATE;
	out->compact_bit = STR_COMPACT_BIT;
	out->ascii_bit = STR_ASCII_BIT;
	if (!elfimage__is_x86_64(img)) {
		snprintf(why, len, "not an x86-64 executable or shared object");
		return -ENOTSUP;
	}
	if (elfimage__symbol(img, "PyCode_Type", &code_type, NULL) ||
	    elfimage__symbol(img, "PyUnicode_Type", &str_type, NULL)) {
		snprintf(why, len, "no PyCode_Type or PyUnicode_Type in .dynsym");
		return -ENOTSUP;
	}
	p = elfimage__bytes(img, str_type + TP_BASICSIZE, 8);
	if (!p || le(p, 8) != out->utf8 + (minor <= 11 ? 24 : 16)) {
		snprintf(why, len, "PyUnicode_Type.tp_basicsize is not CPython 3.%d's", minor);
		return -ENOTSUP;
	}
	n = read_members(img, code_type, TP_MEMBERS, m, MAX_MEMBERS);
	fm = n > 0 ? find_member(m, (size_t)n, "co_filename") : NULL;
	nm = n > 0 ? find_member(m, (size_t)n, "co_name") : NULL;
	if (!fm || !nm || (fm->type != PYLAYOUT_T_OBJECT && fm->type != PYLAYOUT_T_OBJECT_EX) ||
	    (nm->type != PYLAYOUT_T_OBJECT && nm->type != PYLAYOUT_T_OBJECT_EX)) {
		snprintf(why, len, "PyCode_Type.tp_members has no co_filename and co_name objects");
		return -ENOTSUP;
	}
	out->filename = (int32_t)fm->offset;
	out->name = (int32_t)nm->offset;
	if (find_code_dealloc(img, code_type, TP_DEALLOC, &out->dealloc_offset) ||
	    !out->dealloc_offset) {
		snprintf(why, len, "cannot find PyCode_Type.tp_dealloc in the file");
		out->dealloc_offset = 0;
		return -ENOTSUP;
	}
	return 0;
}

int pylayout_for(const struct elfimage *img, const char *path, const struct elf_info *info,
		 struct pylayout *out, char *why, size_t len)
{
	int err;

	memset(out, 0, sizeof(*out));
	if (!elfimage__is_x86_64(img)) {
		snprintf(why, len, "not an x86-64 executable or shared object");
		return -ENOTSUP;
	}
	err = layout_for(img, path, info, out, why, len);
	if (err)
		memset(out, 0, sizeof(*out));
	return err ? -ENOTSUP : 0;
}
