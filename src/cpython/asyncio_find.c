// SPDX-License-Identifier: MIT
/* task_step_impl and the Task's size in a stripped _asyncio (asyncio_find.h).
 *
 * What a stripped module still holds: its strings, its types and method
 * tables (data with R_X86_64_RELATIVE relocations in a shared object,
 * final addresses in a fixed-address executable), and its code. Two
 * roots lead to the task step: the TaskStepMethWrapper type's tp_call
 * (every scheduled step: a static PyTypeObject named "TaskStepMethWrapper"
 * before 3.12, a PyType_Spec "_asyncio.TaskStepMethWrapper" with a
 * {Py_tp_call, fn} slot after) and task_wakeup (every step after an
 * awaited future: the TaskWakeupMethWrapper type's tp_call before 3.10, the
 * METH_O method "task_wakeup" since). Both call task_step, which calls
 * task_step_impl; the compiler may inline task_step into either. Of the
 * functions reached through direct calls, task_step_impl is the one whose
 * code names "_step(): already done: %R %R" (its first check, in every
 * version 3.8-3.13). Exactly one such function must be reached from each
 * root, the same one, and neither root may name the string itself (then
 * task_step_impl is inlined and no single place sees every step). */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpython/asyncio_find.h"
#include "cpython/asyncio_task.h"
#include "sys/disasm.h"
#include "sys/elfdebug.h"
#include "sys/elfimage.h"

#define MARKER	      "_step(): already done: %R %R"
#define MAX_HITS      8
#define MAX_FUNCS     512    /* functions walked, per search */
#define MAX_INSNS     400000 /* instructions decoded, per search */
#define PY_TP_CALL    50     /* Py_tp_call in typeslots.h */
#define METH_O	      0x0008 /* methodobject.h */
#define TYPE_NAME_AT  24     /* PyTypeObject: ob_refcnt, ob_type, ob_size, tp_name */
#define TYPE_SIZE_AT  32     /* tp_basicsize */
#define TYPE_CALL_AT  128    /* tp_call: 16 pointer slots after tp_name */
#define SPEC_SIZE_AT  8	     /* PyType_Spec: name, int basicsize */
#define SPEC_SLOTS_AT 24     /* ..., itemsize, flags, PyType_Slot *slots */

struct addrs {
	uint64_t v[MAX_FUNCS];
	size_t n;
};

static bool addrs_has(const struct addrs *a, uint64_t v)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i] == v)
			return true;
	}
	return false;
}

static int addrs_add(struct addrs *a, uint64_t v)
{
	if (addrs_has(a, v))
		return 0;
	if (a->n == MAX_FUNCS)
		return -E2BIG;
	a->v[a->n++] = v;
	return 0;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Where the NUL-terminated string s lies in the file's read-only data (a
 * tail-merged copy inside a longer string counts: code may point there). */
static size_t find_strings(const struct elfimage *img, const char *s, uint64_t *out, size_t max)
{
	const struct elfimage_section *secs;
	size_t ns, n = 0, sl = strlen(s) + 1;

	secs = elfimage__sections(img, &ns);
	for (size_t i = 0; i < ns && n < max; i++) {
		const struct elfimage_section *sec = &secs[i];
		const char *data, *p;

		if (sec->type != SHT_PROGBITS || !(sec->flags & SHF_ALLOC) ||
		    (sec->flags & (SHF_EXECINSTR | SHF_WRITE)) || sec->size < sl ||
		    !(data = elfimage__section_copy(img, sec)))
			continue;
		for (p = data; n < max && (p = memmem(p, sec->size - (size_t)(p - data), s, sl));
		     p++)
			out[n++] = sec->addr + (uint64_t)(p - data);
		free((void *)data);
	}
	return n;
}

/* The 8-byte data slots that hold the address target once loaded. */
static size_t slots_to(const struct elfimage *img, uint64_t target, uint64_t *out, size_t max)
{
	size_t n = 0;

	if (elfimage__type(img) == ET_DYN) {
		size_t nr;
		const struct elfimage_reloc *r = elfimage__relocs(img, &nr);

		for (size_t i = 0; i < nr && n < max; i++) {
			if (r[i].type == R_X86_64_RELATIVE && (uint64_t)r[i].addend == target &&
			    !(r[i].offset % 8))
				out[n++] = r[i].offset;
		}
		return n;
	}
	const struct elfimage_section *secs;
	size_t ns;

	secs = elfimage__sections(img, &ns);
	for (size_t i = 0; i < ns && n < max; i++) {
		const struct elfimage_section *s = &secs[i];
		uint8_t *data;

		if (s->type != SHT_PROGBITS || !(s->flags & SHF_ALLOC) ||
		    (s->flags & SHF_EXECINSTR) || !(data = elfimage__section_copy(img, s)))
			continue;
		for (uint64_t a = (s->addr + 7) & ~7ULL; a + 8 <= s->addr + s->size && n < max;
		     a += 8) {
			if (le(data + (a - s->addr), 8) == target)
				out[n++] = a;
		}
		free(data);
	}
	return n;
}

/* A code address of the module itself (not its PLT, whose entries lead out). */
static bool own_code(const struct elfimage *img, uint64_t vaddr)
{
	const struct elfimage_section *s = elfimage__section_at(img, vaddr);

	return s && (s->flags & SHF_EXECINSTR) && strncmp(s->name, ".plt", 4) != 0;
}

/* The functions named by an object whose name is the string name: fn at
 * `at` in each object whose name pointer sits at `name_at` in it. Distinct
 * code addresses only. */
struct named_fn {
	const char *name;
	int64_t name_at;
	int kind; /* 0: a type's tp_call, 1: a spec's Py_tp_call slot, 2: a METH_O method */
	/* the object's basicsize (kinds 0, 1): TaskStepMethWrapper is
	 * PyObject_HEAD, sw_task, sw_arg (32); TaskWakeupMethWrapper
	 * PyObject_HEAD, ww_task (24) */
	uint64_t size;
};

static size_t named_functions(const struct elfimage *img, const struct named_fn *nf, uint64_t *out,
			      size_t max)
{
	uint64_t strs[MAX_HITS], slots[MAX_HITS], fn;
	size_t ns = find_strings(img, nf->name, strs, MAX_HITS), n = 0;

	for (size_t i = 0; i < ns; i++) {
		size_t nsl = slots_to(img, strs[i], slots, MAX_HITS);

		for (size_t j = 0; j < nsl; j++) {
			uint64_t obj = slots[j] - (uint64_t)nf->name_at, tab = 0;
			const uint8_t *b;

			fn = 0;
			if (nf->kind == 0) {
				b = elfimage__bytes(img, obj + TYPE_SIZE_AT, 8);
				if (!b || le(b, 8) != nf->size ||
				    elfimage__read_ptr(img, obj + TYPE_CALL_AT, &fn))
					fn = 0;
			} else if (nf->kind == 1) {
				b = elfimage__bytes(img, obj + SPEC_SIZE_AT, 4);
				if (!b || le(b, 4) != nf->size ||
				    elfimage__read_ptr(img, obj + SPEC_SLOTS_AT, &tab))
					tab = 0;
				/* PyType_Slot {int slot; void *pfunc}, ended by slot 0 */
				for (int k = 0; tab && k < 64; k++) {
					b = elfimage__bytes(img, tab + 16 * (uint64_t)k, 4);
					if (!b || !le(b, 4))
						break;
					if (le(b, 4) == PY_TP_CALL &&
					    elfimage__read_ptr(img, tab + 16 * (uint64_t)k + 8,
							       &fn))
						fn = 0;
					if (fn)
						break;
				}
			} else {
				/* PyMethodDef {ml_name, ml_meth, int ml_flags, ml_doc} */
				b = elfimage__bytes(img, obj + 16, 4);
				if (!b || le(b, 4) != METH_O ||
				    elfimage__read_ptr(img, obj + 8, &fn))
					fn = 0;
			}
			if (!fn || !own_code(img, fn))
				continue;
			bool dup = false;

			for (size_t k = 0; k < n; k++)
				dup |= out[k] == fn;
			if (!dup && n < max)
				out[n++] = fn;
		}
	}
	return n;
}

struct walk {
	struct disasm *d;
	const struct elfimage *img;
	uint64_t marks[MAX_HITS];
	size_t nmarks;
	size_t insns, funcs; /* spent */
};

/* Walks the code reached from entry by falling through, jumps and
 * conditional branches (so cold parts split off count as the function's),
 * up to returns and indirect branches. *refs: a RIP-relative lea names the
 * marker string; calls: the direct calls' targets in the module's own code. */
static int walk_body(struct walk *w, uint64_t entry, bool *refs, struct addrs *calls)
{
	const struct elfimage_section *sec = elfimage__section_at(w->img, entry);
	uint64_t *todo = NULL;
	uint8_t *seen = NULL;
	size_t ntodo = 0, cap = 0;
	int e = 0;

	*refs = false;
	if (!sec || !(sec->flags & SHF_EXECINSTR))
		return -ENOENT;
	if (++w->funcs > MAX_FUNCS)
		return -E2BIG;
	seen = calloc(sec->size / 8 + 1, 1);
	if (!seen)
		return -ENOMEM;
	for (uint64_t a = entry;;) {
		struct disasm_insn in;
		const uint8_t *b = NULL;
		size_t n = 16;

		if (a >= sec->addr && a < sec->addr + sec->size) {
			uint64_t off = a - sec->addr;

			if (n > sec->size - off)
				n = sec->size - off;
			if (!(seen[off / 8] & 1u << (off % 8))) {
				seen[off / 8] |= (uint8_t)(1u << (off % 8));
				b = elfimage__bytes(w->img, a, n);
			}
		}
		if (b && ++w->insns > MAX_INSNS) {
			e = -E2BIG;
			break;
		}
		if (b && !disasm_one(w->d, b, n, a, &in)) {
			if (in.lea && in.lea_base == DISASM_RIP) {
				uint64_t t = a + in.len + (uint64_t)in.lea_disp;

				for (size_t i = 0; i < w->nmarks; i++)
					*refs |= t == w->marks[i];
			}
			if (in.flow == DISASM_CALL && own_code(w->img, in.target) &&
			    (e = addrs_add(calls, in.target)))
				break;
			if (in.flow == DISASM_JCC) {
				if (ntodo == cap) {
					uint64_t *t = realloc(todo, (cap = cap ? 2 * cap : 64) *
									    sizeof(*t));
					if (!t) {
						e = -ENOMEM;
						break;
					}
					todo = t;
				}
				todo[ntodo++] = in.target;
			}
			if (in.flow == DISASM_JMP) {
				a = in.target;
				continue;
			}
			if (in.flow != DISASM_FLOW_OTHER) {
				a += in.len;
				continue;
			}
		}
		if (!ntodo)
			break;
		a = todo[--ntodo];
	}
	free(todo);
	free(seen);
	return e;
}

/* The functions that name the marker, reached from root through at most
 * depth direct calls (root itself is depth 0: *root_refs). */
static int reach(struct walk *w, uint64_t root, int depth, struct addrs *found, bool *root_refs)
{
	struct addrs *level = calloc(1, sizeof(*level)), *next = calloc(1, sizeof(*next));
	struct addrs *all = calloc(1, sizeof(*all));
	int e = 0;

	*root_refs = false;
	found->n = 0;
	if (!level || !next || !all) {
		e = -ENOMEM;
		goto out;
	}
	level->v[level->n++] = root;
	all->v[all->n++] = root;
	for (int k = 0; k <= depth && level->n && !e; k++) {
		next->n = 0;
		for (size_t i = 0; i < level->n && !e; i++) {
			struct addrs *calls = calloc(1, sizeof(*calls));
			bool refs;

			if (!calls) {
				e = -ENOMEM;
				break;
			}
			e = walk_body(w, level->v[i], &refs, calls);
			if (!e && refs && k == 0)
				*root_refs = true;
			else if (!e && refs)
				e = addrs_add(found, level->v[i]);
			/* task_step_impl's own callees are not searched: the step is found */
			for (size_t j = 0; !e && !refs && k < depth && j < calls->n; j++) {
				if (addrs_has(all, calls->v[j]))
					continue;
				e = addrs_add(all, calls->v[j]);
				if (!e)
					e = addrs_add(next, calls->v[j]);
			}
			free(calls);
		}
		struct addrs *t = level;

		level = next;
		next = t;
	}
out:
	free(level);
	free(next);
	free(all);
	return e;
}

int asyncio_find_step(const struct elfimage *img, int minor, uint64_t *vaddr, char *why, size_t len)
{
	/* the step wrapper's call slot; task_wakeup */
	const struct named_fn step_root =
		minor >= 12 ? (struct named_fn){"_asyncio.TaskStepMethWrapper", 0, 1, 32}
			    : (struct named_fn){"TaskStepMethWrapper", TYPE_NAME_AT, 0, 32};
	const struct named_fn wake_root =
		minor >= 10 ? (struct named_fn){"task_wakeup", 0, 2, 0}
			    : (struct named_fn){"TaskWakeupMethWrapper", TYPE_NAME_AT, 0, 24};
	struct walk w = {.img = img};
	struct addrs *a = NULL, *b = NULL;
	uint64_t sroot[2], wroot[2];
	bool srefs, wrefs;
	int e;

	*vaddr = 0;
	if (minor < 8 || minor > 13 || !elfimage__is_x86_64(img)) {
		snprintf(why, len, "no structural search for this CPython or machine");
		return -ENOTSUP;
	}
	w.nmarks = find_strings(img, MARKER, w.marks, MAX_HITS);
	if (!w.nmarks) {
		snprintf(why, len, "no string \"%s\" in it", MARKER);
		return -ENOENT;
	}
	if (named_functions(img, &step_root, sroot, 2) != 1 ||
	    named_functions(img, &wake_root, wroot, 2) != 1) {
		snprintf(why, len, "not one %s call slot and one %s function in it", step_root.name,
			 wake_root.name);
		return -ENOENT;
	}
	if ((e = disasm_open(&w.d))) {
		snprintf(why, len, "no disassembler: %s", strerror(-e));
		return e;
	}
	a = calloc(1, sizeof(*a));
	b = calloc(1, sizeof(*b));
	if (!a || !b) {
		e = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto out;
	}
	/* tp_call -> task_step -> task_step_impl; task_wakeup's type's
	 * tp_call (before 3.10) -> task_wakeup -> task_step -> task_step_impl */
	e = reach(&w, sroot[0], 2, a, &srefs);
	if (!e)
		e = reach(&w, wroot[0], 3, b, &wrefs);
	if (e) {
		snprintf(why, len, "its code could not be followed: %s", strerror(-e));
		goto out;
	}
	if (srefs || wrefs || a->n != 1 || b->n != 1 || a->v[0] != b->v[0]) {
		e = -ENOENT;
		snprintf(why, len, "no single function behind both %s and %s (%zu and %zu found%s)",
			 step_root.name, wake_root.name, a->n, b->n,
			 srefs || wrefs ? ", inlined" : "");
		goto out;
	}
	*vaddr = a->v[0];
out:
	free(a);
	free(b);
	disasm_close(w.d);
	return e;
}

int asyncio_find_task_size(const struct elfimage *img, int minor, uint64_t *size)
{
	uint64_t strs[MAX_HITS], slots[MAX_HITS], got = 0;
	size_t ns = find_strings(img, "_asyncio.Task", strs, MAX_HITS);

	*size = 0;
	for (size_t i = 0; i < ns; i++) {
		size_t n = slots_to(img, strs[i], slots, MAX_HITS);

		for (size_t j = 0; j < n; j++) {
			/* tp_basicsize of the static type; the spec's int basicsize */
			const uint8_t *b =
				minor >= 12
					? elfimage__bytes(img, slots[j] + SPEC_SIZE_AT, 4)
					: elfimage__bytes(
						  img, slots[j] - TYPE_NAME_AT + TYPE_SIZE_AT, 8);
			uint64_t v = b ? le(b, minor >= 12 ? 4 : 8) : 0;

			if (!v || (got && v != got))
				return -ENOENT;
			got = v;
		}
	}
	if (!got)
		return -ENOENT;
	*size = got;
	return 0;
}

/* The Task's size at the layout's symbol in syms, read from code (the
 * file with the bytes: a debug file's sections hold none), or 0. */
static uint64_t size_by_symbol(const struct elfimage *syms, const struct elfimage *code, int minor)
{
	struct asyncio_task_layout l;
	struct elfimage_sym sym;
	const uint8_t *b;

	if (asyncio_task_layout(minor, &l) || elfimage__symbol_any(syms, l.size_symbol, &sym))
		return 0;
	b = syms == code ? elfimage__symbol_bytes(code, &sym, (size_t)l.size_at + 4)
			 : elfimage__bytes(code, sym.value, (size_t)l.size_at + 4);
	return b ? le(b + l.size_at, 4) : 0;
}

int asyncio_step_site(const struct elfimage *img, const char *path, int minor,
		      struct asyncio_step_site *out, char *why, size_t len, char *hint, size_t hlen)
{
	char dpath[PATH_MAX], fwhy[256], etc[PATH_MAX + 32], root[PATH_MAX];
	struct elfimage *dbg;
	struct elfimage_sym sym;
	const char *rest;
	uint8_t id[64];
	int n;

	memset(out, 0, sizeof(*out));
	hint[0] = '\0';
	if (!elfimage__symbol_any(img, ASYNCIO_TASK_STEP_SYMBOL, &sym)) {
		out->step = sym.value;
		out->task_size = size_by_symbol(img, img, minor);
		snprintf(out->how, sizeof(out->how), "its symbols");
		goto size;
	}
	dbg = elfdebug_open(img, path, dpath, sizeof(dpath));
	if (dbg && !elfimage__symbol_any(dbg, ASYNCIO_TASK_STEP_SYMBOL, &sym)) {
		out->step = sym.value;
		out->task_size = size_by_symbol(dbg, img, minor);
		snprintf(out->how, sizeof(out->how), "the debug file %s", dpath);
		elfimage__free(dbg);
		goto size;
	}
	elfimage__free(dbg);
	if (!asyncio_find_step(img, minor, &out->step, fwhy, sizeof(fwhy))) {
		snprintf(out->how, sizeof(out->how), "its code");
		goto size;
	}
	snprintf(why, len,
		 "no symbol " ASYNCIO_TASK_STEP_SYMBOL
		 " in %s (stripped), no debug file for it, and its code "
		 "did not show the function: %s",
		 path, fwhy);
	/* a debug file helps where one can exist: the file names it */
	n = elfimage__build_id(img, id, sizeof(id));
	if (n > 1 || elfimage__section_by_name(img, ".gnu_debuglink")) {
		char cand[1][PATH_MAX] = {""};
		int o = snprintf(hint, hlen, "install the interpreter's debug symbols");

		if (n > 1 && elfdebug_candidates(id, (size_t)n, NULL, "/", cand, 1) && o >= 0 &&
		    (size_t)o < hlen)
			o += snprintf(hint + o, hlen - (size_t)o, " (%s)", cand[0]);
		/* the package's name only for Debian's own interpreter: a
		 * module of /usr/lib/python3.X on a Debian root */
		elfdebug_split_root(path, root, sizeof(root), &rest);
		snprintf(etc, sizeof(etc), "%s/etc/debian_version", root);
		if ((!strncmp(rest, "/usr/lib/python3.", 17) ||
		     !strncmp(rest, "/usr/bin/../lib/python3.", 24)) &&
		    !access(etc, F_OK) && o >= 0 && (size_t)o < hlen)
			snprintf(hint + o, hlen - (size_t)o, "; Debian: python3.%d-dbg", minor);
	}
	return -ENOENT;
size:
	if (!out->task_size && asyncio_find_task_size(img, minor, &out->task_size))
		out->task_size = 0;
	return 0;
}
