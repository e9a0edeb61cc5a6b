// SPDX-License-Identifier: MIT
/* Interpreter probe source: uprobes inside CPython's eval loop
 * (bpf/interp.bpf.c), for Pythons without complete USDT markers; method.c
 * says which of them a target gets. It owns what the probes need to know
 * of the interpreter: its layout (pylayout.c), its bytecode handlers
 * (opcodes.c), where its runtime is (pyruntime.c) and the live check of
 * that layout (pylive.c).
 *
 * eval:  _PyEval_EvalFrameDefault's entry and return. Every Python call is
 *        one C call of it on 3.8-3.10.
 * frame: exits from the RETURN/YIELD handlers, so frames running at
 *        attach are seen leaving; starts from the eval loop where every call
 *        passes through it, else from the RESUME handlers, with
 *        PUSH_EXC_INFO and the eval loop's return placing unwinding;
 *        3.13 (where its return handlers call it) and 3.14 end every
 *        frame at _PyEval_FrameClearAndPop instead, yields at their
 *        handlers.
 * Raw records go through istack.c, which emits the same ENTRY/RETURN/NAME
 * records as the USDT source. */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "flowtrace/interp.h"
#include "interp.skel.h"
#include "core/istack.h"
#include "cpython/asyncio_debug.h"
#include "cpython/asyncio_find.h"
#include "cpython/asyncio_task.h"
#include "cpython/opcodes.h"
#include "cpython/pylayout.h"
#include "cpython/pylive.h"
#include "cpython/pyruntime.h"
#include "cpython/pystr.h"
#include "cpython/target.h"
#include "probe/method.h"
#include "probe/probe_place.h"
#include "probe/probe_priv.h"
#include "sys/log.h"
#include "sys/nspid.h"

/* The interpreter source: how it sees calls, what it found out about the
 * interpreter, and its BPF side. */
struct interp_probe {
	struct probe base;
	enum ft_method method; /* FT_METHOD_EVAL or FT_METHOD_FRAME */
	bool eval_entries;     /* frame: starts from the eval loop (<= 3.10) */
	struct pylayout lay;
	struct opcodes_table opcodes;
	struct pyruntime rt;   /* where the runtime is in the target */
	uint64_t code_dealloc; /* PyCode_Type's tp_dealloc (file offset), 0: names not cached */
	struct interp_bpf *skel;
	struct istack *stack;
	/* 3.8-3.13: _asyncio's task_step_impl (file, offset), "": not probed */
	char task_step_path[PATH_MAX];
	uint64_t task_step_off;
	bool multi; /* uprobes through uprobe_multi links */
	/* a set joined to first (probe__join), number set (1..): its own
	 * target (own), no ring reader or shadow stacks of its own */
	struct interp_probe *first;
	struct target *own;
	unsigned set;
	/* the NAME record forward_name builds: aligned as the record (its
	 * header holds a __u64), not as the chars it is made of */
	/* the task of the ENTER about to come, per thread slot
	 * (FT_RAW_TASK; matched by tid and the raw seq they share, or the
	 * coroutine frame the ENTER names) */
	struct pending_task {
		uint32_t tid, seq;
		uint64_t task, frame;
		char name[FT_TASK_NAME_MAX];
		bool cut;
	} tasks[16];
	_Alignas(struct ft_rec_name) char name_buf[sizeof(struct ft_rec_name) + FT_FUNC_MAX +
						   FT_FILE_MAX];
};

_Static_assert(offsetof(struct interp_probe, name_buf) % _Alignof(struct ft_rec_name) == 0,
	       "name_buf holds a struct ft_rec_name");

static struct interp_probe *ip(const struct probe *p)
{
	return (struct interp_probe *)p;
}

static int emit_record(void *ctx, const struct ft_rec_hdr *rec)
{
	struct interp_probe *p = ctx;

	return p->base.opts.on_record(p->base.opts.ctx, (void *)rec, sizeof(*rec));
}

/* An asyncio task's step (FT_REC_TASK), before its ENTRY. */
static int emit_task(void *ctx, const struct ft_rec_hdr *entry, const struct ft_raw_call *raw)
{
	struct interp_probe *p = ctx;
	struct ft_rec_task r = {
		.hdr = *entry,
		.coro = raw->frame,
	};

	struct pending_task *pt = &p->tasks[entry->tid % 16];
	bool nested = raw->hdr.flags & FT_RAW_F_PARENT_GEN;

	/* a coroutine started by a coroutine: a step only where the Task
	 * read is that very coroutine's (an eager start), else it is awaited */
	if (nested && !(pt->task && pt->tid == entry->tid && pt->frame == raw->frame))
		return 0;
	r.hdr.type = FT_REC_TASK;
	if (nested)
		r.hdr.flags |= FT_TASK_F_NESTED;
	if (pt->task && pt->tid == entry->tid &&
	    (pt->seq == raw->hdr.seq || (pt->frame && pt->frame == raw->frame))) {
		r.task = pt->task;
		memcpy(r.name, pt->name, sizeof(r.name));
		if (pt->cut)
			r.hdr.flags |= FT_TASK_F_NAME_CUT;
		pt->task = 0;
	}
	return p->base.opts.on_record(p->base.opts.ctx, &r, sizeof(r));
}

/* A raw NAME (str data as stored) becomes an ordinary NAME record (UTF-8). */
static int forward_name(struct interp_probe *p, const struct ft_raw_name *r, size_t size)
{
	struct ft_rec_name *out = (struct ft_rec_name *)p->name_buf;
	long fl = -1, nl = -1;
	bool fcut = false, ncut = false;

	if (size < sizeof(*r) || sizeof(*r) + r->func_len + r->file_len > size)
		return 0;
	memset(out, 0, sizeof(*out));
	if (!(r->hdr.flags & FT_RAW_NAME_F_READ_ERR)) {
		fl = pystr_to_utf8(r->data, r->func_len, r->func_kind, out->data, FT_FUNC_MAX,
				   &fcut);
		if (fl >= 0)
			nl = pystr_to_utf8(r->data + r->func_len, r->file_len, r->file_kind,
					   out->data + fl + 1, FT_FILE_MAX, &ncut);
	}
	out->hdr = (struct ft_rec_hdr){
		.ts = r->hdr.ts,
		.tgid = r->hdr.tgid,
		.tid = r->hdr.tid,
		.seq = r->hdr.seq,
		.type = FT_REC_NAME,
		.arg = r->hdr.name,
	};
	if (fl < 0 || nl < 0) {
		out->data[0] = 0;
		out->data[1] = 0;
		fl = nl = 0;
		out->hdr.flags |= FT_NAME_F_READ_ERR;
	}
	if (fcut || (r->hdr.flags & FT_RAW_NAME_F_FUNC_CUT))
		out->hdr.flags |= FT_NAME_F_FUNC_CUT;
	if (ncut || (r->hdr.flags & FT_RAW_NAME_F_FILE_CUT))
		out->hdr.flags |= FT_NAME_F_FILE_CUT;
	out->line = r->line;
	out->func_len = fl + 1;
	out->file_len = nl + 1;
	return p->base.opts.on_record(p->base.opts.ctx, out, sizeof(*out) + fl + 1 + nl + 1);
}

/* The task BPF read for the coroutine step whose ENTER follows. */
static void keep_task(struct interp_probe *p, const struct ft_raw_task *r)
{
	struct pending_task *pt = &p->tasks[r->hdr.tid % 16];
	bool cut = false;
	long n;

	memset(pt, 0, sizeof(*pt));
	pt->tid = r->hdr.tid;
	pt->seq = r->hdr.seq;
	pt->task = r->task;
	pt->frame = r->frame;
	if (r->hdr.flags & FT_RAW_TASK_F_STR) {
		n = pystr_to_utf8(r->data, r->len < sizeof(r->data) ? r->len : sizeof(r->data),
				  r->kind, pt->name, sizeof(pt->name) - 1, &cut);
		if (n < 0)
			pt->name[0] = 0;
		pt->cut = cut || (r->hdr.flags & FT_RAW_TASK_F_CUT);
	} else if (r->hdr.flags & FT_RAW_TASK_F_INT) {
		/* a default name CPython formats only when asked: the same */
		snprintf(pt->name, sizeof(pt->name), "Task-%llu", (unsigned long long)r->number);
	}
}

/* Records are never refused (that would stop the poll): a failure is kept
 * for the end. */
static void keep_error(struct interp_probe *p, int err)
{
	if (err && !p->base.error)
		p->base.error = err;
}

static int on_raw(void *ctx, void *data, size_t size)
{
	struct interp_probe *p = ctx;
	const struct ft_rec_hdr *h = data;

	if (size < sizeof(*h))
		return 0;
	switch (h->type) {
	case FT_REC_EXEC:
		/* --follow: the process goes on, from its new program's start */
		istack__exec(p->stack, h->tgid);
		p->base.opts.on_record(p->base.opts.ctx, data, size);
		return 0;
	case FT_REC_THREAD:
		p->base.opts.on_record(p->base.opts.ctx, data, size);
		return 0;
	case FT_RAW_NAME:
		forward_name(p, data, size);
		return 0;
	case FT_RAW_TASK:
		if (size >= sizeof(struct ft_raw_task))
			keep_task(p, data);
		return 0;
	case FT_RAW_STACK:
		if (size >= sizeof(struct ft_raw_stack))
			keep_error(p, istack__stack(p->stack, data));
		return 0;
	case FT_RAW_ENTER:
	case FT_RAW_EXIT:
	case FT_RAW_CATCH:
	case FT_RAW_EVAL:
	case FT_RAW_EVAL_RET:
		if (size >= sizeof(struct ft_raw_call))
			keep_error(p, istack__event(p->stack, data));
		return 0;
	default:
		return 0;
	}
}

/* Which probes a method takes (see the file's head). */
struct plan {
	bool op_starts; /* RESUME-family handlers */
	bool op_ends;	/* return and yield handlers */
	bool op_catch;	/* PUSH_EXC_INFO */
	/* 3.13+: every frame's end at _PyEval_FrameClearAndPop, in place of
	 * the return handlers, PUSH_EXC_INFO and the eval loop's return;
	 * only the yield handlers remain as ends */
	bool pops;
};

/* 3.13 pops frames as 3.14 does, and exports the function; 3.12 pops
 * them through a static function of the same name without the
 * underscore; 3.11 clears every frame that ends with _PyFrame_Clear.
 * Where the return handlers (3.11/3.12: and the unwinding path, 3.11:
 * and the C callers of the eval loop) call it (not inlined), one probe on its first instruction (a push,
 * emulated) replaces the eval loop's uretprobe on every call from C, the
 * return handlers and PUSH_EXC_INFO. 3.14 needs it (its unwinding runs no
 * handler we could probe), so a 3.14 build without it is refused at
 * open. */
static bool pops_frames(const struct interp_probe *o)
{
	return o->lay.minor >= 14 || (o->lay.minor >= 11 && o->opcodes.pop_calls);
}

static struct plan plan_of(const struct interp_probe *o)
{
	bool frame = o->method == FT_METHOD_FRAME;
	bool pops = frame && pops_frames(o);

	return (struct plan){
		.op_starts = frame && !o->eval_entries,
		.op_ends = frame,
		/* with every frame start at the eval loop, its NULL return
		 * places exceptions; without, a catch ends the frames above
		 * the catcher */
		.op_catch = frame && !o->eval_entries && !pops,
		.pops = pops,
	};
}

/* Before load: only the programs this method attaches are loaded (each
 * costs a verifier pass before tracing can start), made for uprobe_multi
 * links where the kernel has them. */
static void choose_programs(struct interp_probe *p)
{
	struct interp_bpf *s = p->skel;
	struct plan pl = plan_of(p);
	bool cal = p->base.opts.calibrate;
	struct {
		struct bpf_program *prog;
		bool used, uprobe;
	} progs[] = {
		{s->progs.ft_eval_entry, !cal, true},
		{s->progs.ft_eval_return, !cal && !pl.pops, true},
		{s->progs.ft_pop, !cal && pl.pops, true},
		{s->progs.ft_op, !cal && (pl.op_starts || pl.op_ends), true},
		{s->progs.ft_nop, cal, true},
		/* one uprobe: a perf-event link, never a multi one */
		{s->progs.ft_code_dealloc, !cal && p->code_dealloc, false},
		/* in another file than the interpreter's: never a multi link */
		{s->progs.ft_task_step, !cal && p->task_step_off, false},
		/* a joined set leaves forks and exits to the first set */
		{s->progs.ft_fork, probe__multi_process(&p->base) && !p->first, false},
		{s->progs.ft_proc_exit, probe__multi_process(&p->base) && !p->first, false},
	};

	p->multi = probe__has_uprobe_multi();
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		bpf_program__set_autoload(progs[i].prog, progs[i].used);
		if (p->multi && progs[i].uprobe)
			probe__prepare_multi(progs[i].prog);
	}
}

/* The span of a frame and of a code object that holds every field BPF
 * reads of them (interp.bpf.c reads each span at once). */
static void set_spans(struct interp_bpf__rodata *ro, const struct pylayout *l)
{
	struct {
		int32_t off, size;
	} frame[] = {{l->frame.code, 8}, {l->frame.back, 8}, {ro->f_owner, 1}},
	  code[] = {{l->object.ob_type, 8},
		    {l->code.flags, 4},
		    {l->code.firstlineno, 4},
		    {l->code.filename, 8},
		    {ro->co_name, 8}};
	int32_t lo = INT32_MAX, hi = 0;

	for (size_t i = 0; i < sizeof(frame) / sizeof(frame[0]); i++) {
		if (frame[i].off < 0)
			continue;
		if (frame[i].off < lo)
			lo = frame[i].off;
		if (frame[i].off + frame[i].size > hi)
			hi = frame[i].off + frame[i].size;
	}
	ro->frame_span_off = lo;
	ro->frame_span_len = hi - lo;
	hi = 0;
	for (size_t i = 0; i < sizeof(code) / sizeof(code[0]); i++)
		if (code[i].off + code[i].size > hi)
			hi = code[i].off + code[i].size;
	ro->ob_type_off = l->object.ob_type;
	ro->code_span_len = hi - l->object.ob_type;
}

/* 3.14+: the asyncio debug offsets from the .AsyncioDebug section of the
 * interpreter's own file (_asyncio built in) or of its _asyncio module
 * (lib-dynload beside the interpreter's library directory), read before
 * the target imports asyncio. Returns 0, or -ENOENT with why said. */
static int asyncio_offsets(struct interp_probe *p, struct asyncio_debug *d, char *why, size_t len)
{
	const struct target *t = p->base.target;
	const struct elfimage_section *sec;
	struct elfimage *img = NULL;
	char dir[PATH_MAX], pat[PATH_MAX + 64];
	glob_t g = {0};
	void *buf;
	int e = -ENOENT;

	if (t->img && (sec = elfimage__section_by_name(t->img, ASYNCIO_DEBUG_SECTION))) {
		buf = elfimage__section_copy(t->img, sec);
		e = buf ? asyncio_debug_parse(buf, sec->size, d) : -EIO;
		free(buf);
		snprintf(why, len, "%s in %s", e ? "a damaged " ASYNCIO_DEBUG_SECTION : "built in",
			 t->binary);
		return e ? -ENOENT : 0;
	}
	/* libpython sits in PREFIX/lib, the executable in PREFIX/bin */
	snprintf(dir, sizeof(dir), "%s", t->open_path);
	snprintf(pat, sizeof(pat), "%s%s/python3.*/lib-dynload/_asyncio.cpython-3*.so",
		 dirname(dir), t->in_library ? "" : "/../lib");
	if (glob(pat, 0, NULL, &g) || !g.gl_pathc) {
		snprintf(why, len, "no _asyncio module beside %s", t->binary);
		globfree(&g);
		return -ENOENT;
	}
	img = elfimage__open(g.gl_pathv[0]);
	sec = img ? elfimage__section_by_name(img, ASYNCIO_DEBUG_SECTION) : NULL;
	buf = sec ? elfimage__section_copy(img, sec) : NULL;
	if (buf)
		e = asyncio_debug_parse(buf, sec->size, d);
	snprintf(why, len, "%s %s", e ? "no valid " ASYNCIO_DEBUG_SECTION " in" : "from",
		 g.gl_pathv[0]);
	free(buf);
	elfimage__free(img);
	globfree(&g);
	return e ? -ENOENT : 0;
}

/* 3.8-3.13: the file holding _asyncio's task_step_impl (the interpreter's
 * own where _asyncio is built in, else its module in lib-dynload beside
 * the interpreter's library directory), its file offset, and the Task
 * layout checked against the size the file states. The function is found
 * by symbols, a debug file's or by structure (asyncio_step_site). Returns
 * 0, or -ENOENT with why (and maybe a hint) said. */
static int task_step_site(struct interp_probe *p, const struct asyncio_task_layout *l, char *why,
			  size_t len, char *hint, size_t hlen)
{
	const struct target *t = p->base.target;
	const struct elfimage *img = t->img;
	struct elfimage *mod = NULL;
	struct elfimage_sym step;
	struct asyncio_step_site site;
	char dir[PATH_MAX], pat[PATH_MAX + 64];
	glob_t g = {0};
	uint64_t off;
	int e = -ENOENT;

	if (img && !elfimage__symbol_any(img, ASYNCIO_TASK_STEP_SYMBOL, &step)) {
		/* built in, with symbols */
		e = asyncio_step_site(img, t->open_path, p->lay.minor, &site, why, len, hint, hlen);
		snprintf(p->task_step_path, sizeof(p->task_step_path), "%s", t->attach_path);
	} else {
		snprintf(dir, sizeof(dir), "%s", t->open_path);
		snprintf(pat, sizeof(pat), "%s%s/python3.%d*/lib-dynload/_asyncio.cpython-3%d*.so",
			 dirname(dir), t->in_library ? "" : "/../lib", p->lay.minor, p->lay.minor);
		if (glob(pat, 0, NULL, &g) || !g.gl_pathc) {
			snprintf(why, len, "no _asyncio module beside %s", t->binary);
			globfree(&g);
			return -ENOENT;
		}
		snprintf(p->task_step_path, sizeof(p->task_step_path), "%s", g.gl_pathv[0]);
		globfree(&g);
		img = mod = elfimage__open(p->task_step_path);
		if (!mod)
			snprintf(why, len, "cannot read %s: %s", p->task_step_path,
				 strerror(errno));
		else
			e = asyncio_step_site(mod, p->task_step_path, p->lay.minor, &site, why, len,
					      hint, hlen);
	}
	if (e)
		goto out;
	e = -ENOENT;
	if (asyncio_task_check(l, site.task_size)) {
		snprintf(why, len,
			 "the Task of %s is %" PRIu64 " bytes, not the %d of CPython 3.%d",
			 p->task_step_path, site.task_size, l->task_size, p->lay.minor);
		goto out;
	}
	if (elfimage__file_offset(img, site.step, &off)) {
		snprintf(why, len, ASYNCIO_TASK_STEP_SYMBOL " of %s is not in its file",
			 p->task_step_path);
		goto out;
	}
	p->task_step_off = off;
	snprintf(why, len, "at " ASYNCIO_TASK_STEP_SYMBOL " of %s, found by %s", p->task_step_path,
		 site.how);
	e = 0;
out:
	elfimage__free(mod);
	if (e)
		p->task_step_path[0] = 0;
	return e;
}

/* What BPF reads of the running asyncio task (docs/design.md, "asyncio
 * tasks"): 3.14+ from the thread state, 3.8-3.13 at task_step_impl. */
static void configure_asyncio(struct interp_probe *p, struct interp_bpf__rodata *ro)
{
	struct asyncio_debug d;
	struct asyncio_task_layout tl;
	char why[2 * PATH_MAX + 256], hint[PATH_MAX + 64] = "";
	bool ok;

	if (p->lay.minor < 14) {
		if (asyncio_task_layout(p->lay.minor, &tl))
			return;
		ok = !task_step_site(p, &tl, why, sizeof(why), hint, sizeof(hint)) &&
		     p->lay.object.tp_basicsize > 0;
		if (ok) {
			ro->task_step_arg = tl.task_arg;
			ro->task_coro_off = tl.task_coro;
			ro->task_name_off = tl.task_name;
			ro->coro_frame_off = tl.coro_frame;
			ro->coro_frame_inline = tl.frame_inline;
			ro->tp_flags_off = p->lay.object.tp_basicsize + 136;
		} else {
			p->task_step_off = 0;
		}
		if (p->base.opts.verbose)
			log_error(ok ? NULL : hint, "asyncio task names %s: %s",
				  ok ? "read" : "unknown (Task-?)", why);
		return;
	}
	ok = !asyncio_offsets(p, &d, why, sizeof(why)) && p->lay.object.tp_basicsize > 0;
	if (ok) {
		ro->ts_asyncio_task = (int32_t)d.running_task;
		ro->task_name_off = (int32_t)d.task_name;
		/* tp_flags: 17 pointer-sized slots after tp_basicsize */
		ro->tp_flags_off = p->lay.object.tp_basicsize + 136;
	}
	if (p->base.opts.verbose)
		log_error(NULL, "asyncio task names %s: %s", ok ? "read" : "unknown (Task-?)", why);
}

static int configure(struct interp_probe *p, char *err, size_t errlen)
{
	const struct pylayout *l = &p->lay;
	struct interp_bpf__rodata *ro = p->skel->rodata;
	int minor = l->minor, pid = p->base.target->pid, e;
	uint64_t dev, ino;

	ro->wakeup_bytes = probe__wakeup_bytes(p->base.opts.ring_size);
	ro->target_tgid = pid;
	ro->follow = probe__multi_process(&p->base);
	ro->follow_forks = p->base.opts.follow;
	ro->joined = p->first != NULL;
	ro->runtime_addr = p->rt.runtime_addr;
	ro->code_type_addr = p->rt.code_type_addr;
	ro->init_cleanup_addr = p->rt.init_cleanup_addr;
	/* the probes all sit in the text segment: one offset-to-address step
	 * (BPF's image_delta()) */
	ro->text_addr = p->rt.bias + p->opcodes.eval_vaddr - p->opcodes.eval_offset;
	ro->eval_off = p->opcodes.eval_offset;
	ro->pop_off = p->opcodes.pop_offset;
	ro->pop_frame_arg = (uint32_t)p->opcodes.pop_frame_arg;
	ro->dealloc_off = p->lay.code_dealloc_offset;
	ro->rt_tstate_current = l->runtime.tstate_current;
	ro->rt_interp_head = l->runtime.interpreters_head;
	ro->is_threads_head = l->interp.threads_head;
	ro->ts_next = l->tstate.next;
	ro->ts_native_tid = l->tstate.native_thread_id;
	ro->ts_interp = l->tstate.interp;
	/* 3.12+ find a thread's state by native_thread_id, an id of the
	 * target's PID namespace */
	e = nspid_ns_of(pid, &dev, &ino);
	if (e) {
		snprintf(err, errlen, "cannot read the PID namespace of PID %d: %s", pid,
			 strerror(-e));
		return e;
	}
	ro->pidns_dev = dev;
	ro->pidns_ino = ino;
	ro->ts_frame = l->tstate.frame;
	ro->ts_cframe = l->tstate.cframe;
	ro->cf_frame = l->tstate.cframe_frame;
	ro->f_code = l->frame.code;
	ro->f_back = l->frame.back;
	ro->f_ip = l->frame.ip;
	ro->f_owner = l->frame.entry_kind == PYLAYOUT_ENTRY_OWNER ? l->frame.entry : -1;
	ro->owner_cstack = l->frame.owner_cstack;
	ro->co_flags = l->code.flags;
	ro->co_firstlineno = l->code.firstlineno;
	ro->co_filename = l->code.filename;
	ro->co_name = l->code.qualname != PYLAYOUT_NONE ? l->code.qualname : l->code.name;
	ro->co_adaptive = l->code.code_adaptive;
	ro->u_length = l->unicode.length;
	ro->u_state = l->unicode.state;
	ro->u_kind_shift = l->unicode.kind_shift;
	ro->u_compact_bit = l->unicode.compact_bit;
	ro->u_ascii_bit = l->unicode.ascii_bit;
	ro->u_ascii_size = l->unicode.ascii_size;
	ro->u_compact_size = l->unicode.compact_size;
	/* 3.8: (frame, throwflag); 3.9+: (tstate, frame, throwflag) */
	ro->eval_tstate_arg = minor >= 9 ? 0 : -1;
	ro->eval_frame_arg = minor >= 9 ? 1 : 0;
	ro->eval_throw_arg = minor >= 9 ? 2 : 1;
	ro->eval_entries = p->method == FT_METHOD_EVAL || p->eval_entries;
	ro->gen_check = minor >= 11 && ro->eval_entries;
	ro->code_mask = ~l->code_tag_bits;
	ro->eval_throw_only = plan_of(p).pops;
	ro->ip_is_next = l->frame.ip_kind == PYLAYOUT_IP_INSTR_PTR;
	set_spans(ro, l);
	configure_asyncio(p, ro);
	choose_programs(p);
	return probe__size_ring(p->skel->maps.events, p->base.opts.ring_size, err, errlen);
}

/* Attaches prog (ft_nop when calibrating) to n offsets of the binary. */
static int attach_set(struct interp_probe *p, struct bpf_program *prog, const uint64_t *offsets,
		      const uint64_t *cookies, size_t n, bool retprobe, const char *what, char *err,
		      size_t errlen)
{
	const char *binary = p->base.target->attach_path;
	int e;

	if (p->base.opts.calibrate)
		prog = p->skel->progs.ft_nop;
	e = probe__attach_uprobes(&p->base, prog, p->multi, probe__uprobe_pid(&p->base), binary,
				  offsets, cookies, n, retprobe);
	if (e)
		snprintf(err, errlen, "cannot attach uprobes to %s in %s: %s", what, binary,
			 strerror(-e));
	return e;
}

/* The handlers of ops[] this version has, with the event type as cookie,
 * each at the place probe_place.c chooses (an emulated instruction when it
 * can; the cookie then may name the register holding the frame). */
static size_t add_ops(const struct interp_probe *p, struct probe_place *place,
		      const enum opcodes_op *ops, size_t nops, uint16_t type, uint64_t *offsets,
		      uint64_t *cookies, size_t n)
{
	for (size_t i = 0; i < nops && n < OPCODES__NR; i++) {
		const struct opcodes_handler *h = &p->opcodes.ops[ops[i]];
		uint64_t reg;

		if (h->opcode < 0)
			continue;
		offsets[n] = probe_place_offset(place, ops[i], h, &reg);
		/* the offset lets BPF place the probe in any process mapping
		 * the file (a text segment of 4 GiB is not a CPython's) */
		cookies[n] =
			type | reg << FT_OP_COOKIE_REG_SHIFT | offsets[n] << FT_OP_COOKIE_OFF_SHIFT;
		n++;
	}
	return n;
}

/* 3.8-3.13: the task names' probe, in the _asyncio module (attached by
 * file: it fires once the target maps the module). Not one of the
 * interpreter's uprobes (probe__attach_uprobes keeps those for the
 * calibration), and not needed for tracing: a failure leaves the tasks
 * named Task-?, said under -v. */
static void attach_task_step(struct interp_probe *p)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	int e;

	if (!p->task_step_off || p->base.opts.calibrate)
		return;
	e = probe__keep_link(&p->base, bpf_program__attach_uprobe_opts(p->skel->progs.ft_task_step,
								       probe__uprobe_pid(&p->base),
								       p->task_step_path,
								       p->task_step_off, &uo));
	if (e && p->base.opts.verbose)
		log_error(NULL,
			  "asyncio task names unknown (Task-?): cannot attach a "
			  "uprobe to %s: %s",
			  p->task_step_path, strerror(-e));
}

static int attach_all(struct interp_probe *p, char *err, size_t errlen)
{
	struct interp_bpf *s = p->skel;
	struct plan pl = plan_of(p);
	uint64_t eval = p->opcodes.eval_offset, zero = 0;
	uint64_t offsets[OPCODES__NR], cookies[OPCODES__NR];
	static const enum opcodes_op starts[] = {
		OPCODES_RESUME,
		OPCODES_RESUME_QUICK,
		OPCODES_RESUME_CHECK,
		OPCODES_INSTRUMENTED_RESUME,
	};
	static const enum opcodes_op ends[] = {
		OPCODES_RETURN_VALUE,
		OPCODES_RETURN_CONST,
		OPCODES_YIELD_VALUE,
		OPCODES_INSTRUMENTED_RETURN_VALUE,
		OPCODES_INSTRUMENTED_RETURN_CONST,
		OPCODES_INSTRUMENTED_YIELD_VALUE,
	};
	static const enum opcodes_op yields[] = {
		OPCODES_YIELD_VALUE,
		OPCODES_INSTRUMENTED_YIELD_VALUE,
	};
	static const enum opcodes_op catches[] = {OPCODES_PUSH_EXC_INFO};
	uint64_t pop = p->opcodes.pop_offset;
	struct probe_place *place;
	size_t n = 0;
	bool cached;
	int rc;

	/* the followed processes first: a fork while the rest goes in is seen
	 * (a joined set shares the first set's, kept by its programs) */
	if (probe__multi_process(&p->base) && !p->first) {
		rc = probe__attach_follow(&p->base, s->maps.followed, s->progs.ft_fork,
					  s->progs.ft_proc_exit, err, errlen);
		if (rc)
			return rc;
	}
	rc = probe__attach_exec(&p->base, s->progs.ft_exec, err, errlen);
	if (rc)
		return rc;
	/* code objects' deaths are watched before anything names: see
	 * common.bpf.h */
	rc = probe__attach_code_death(&p->base, s->progs.ft_code_dealloc, p->code_dealloc, &cached,
				      err, errlen);
	if (rc)
		return rc;
	s->bss->names_cached = cached;
	rc = attach_set(p, s->progs.ft_eval_entry, &eval, &zero, 1, false,
			"_PyEval_EvalFrameDefault", err, errlen);
	if (!rc && !pl.pops)
		rc = attach_set(p, s->progs.ft_eval_return, &eval, &zero, 1, true,
				"_PyEval_EvalFrameDefault's return", err, errlen);
	if (!rc && pl.pops)
		rc = attach_set(p, s->progs.ft_pop, &pop, &zero, 1, false, p->opcodes.pop_name, err,
				errlen);
	if (!rc && pl.pops && p->base.opts.verbose)
		fprintf(stderr,
			"flowtrace-bpf: probe %s at file offset %#" PRIx64
			": every frame's end (the return handlers call it), no uretprobe on the "
			"eval loop\n",
			p->opcodes.pop_name, pop);
	else if (!rc && !pl.pops && pl.op_ends && p->lay.minor == 13 && p->base.opts.verbose)
		fprintf(stderr, "flowtrace-bpf: _PyEval_FrameClearAndPop is not called from the "
				"return handlers (inlined?): frames end at the return handlers "
				"and the eval loop's return\n");
	else if (!rc && !pl.pops && pl.op_ends && p->lay.minor == 12 && p->base.opts.verbose)
		fprintf(stderr, "flowtrace-bpf: _PyEvalFrameClearAndPop not found, or not called "
				"from every return handler and the unwinding path (inlined? no "
				".symtab?): frames end at the return handlers and the eval "
				"loop's return\n");
	else if (!rc && !pl.pops && pl.op_ends && p->lay.minor == 11 && p->base.opts.verbose)
		fprintf(stderr, "flowtrace-bpf: _PyFrame_Clear not found, or not called where "
				"every frame ends (no .symtab? LTO?): frames end at the return "
				"handlers and the eval loop's return\n");
	place = probe_place_open(p->base.target->img, &p->opcodes, &p->lay, p->base.opts.verbose);
	if (pl.op_starts)
		n = add_ops(p, place, starts, sizeof(starts) / sizeof(starts[0]), FT_RAW_ENTER,
			    offsets, cookies, n);
	if (pl.op_ends && pl.pops)
		n = add_ops(p, place, yields, sizeof(yields) / sizeof(yields[0]), FT_RAW_EXIT,
			    offsets, cookies, n);
	else if (pl.op_ends)
		n = add_ops(p, place, ends, sizeof(ends) / sizeof(ends[0]), FT_RAW_EXIT, offsets,
			    cookies, n);
	if (pl.op_catch)
		n = add_ops(p, place, catches, 1, FT_RAW_CATCH, offsets, cookies, n);
	probe_place_close(place);
	if (!rc && n)
		rc = attach_set(p, s->progs.ft_op, offsets, cookies, n, false,
				"the bytecode handlers", err, errlen);
	if (!rc)
		attach_task_step(p);
	return rc;
}

static const struct probe_ops interp_ops;

#define KNOWN_BUILDS                                                                               \
	"flowtrace-bpf knows default (GIL) release builds of CPython 3.8-3.14, and free-threaded " \
	"3.14t"

int probe_interp__open(const struct method_choice *m, const struct target *t,
		       const struct probe_opts *o, struct probe **out, struct probe_error *e)
{
	struct interp_probe *p = calloc(1, sizeof(*p));
	const struct elfimage *img = t->img;
	char why[512];
	int err;

	*out = &p->base;
	if (!p)
		return probe__fail(e, PROBE_FAULT_FAILED, ENOMEM, NULL, "out of memory");
	p->base.ops = &interp_ops;
	p->base.target = t;
	p->base.opts = *o;
	p->method = m->method;
	p->eval_entries = m->eval_entries;
	/* the layout and the handler table from the file, then where the
	 * runtime is in the target */
	if (pylayout_for(img, t->open_path, &t->elf, &p->lay, why, sizeof(why)))
		return probe__fail(e, PROBE_FAULT_UNSUPPORTED, ENOTSUP, KNOWN_BUILDS,
				   "cannot trust the interpreter layout of CPython %s in %s: %s",
				   t->elf.version, t->binary, why);
	if (opcodes_find(img, &t->elf, &p->opcodes, why, sizeof(why)))
		return probe__fail(e, PROBE_FAULT_UNSUPPORTED, ENOTSUP, KNOWN_BUILDS,
				   "cannot locate the eval loop in %s: %s", t->binary, why);
	/* 3.14's frames end at _PyEval_FrameClearAndPop; a build whose return
	 * handlers do not call it (inlined by LTO) would lose every return */
	if (p->lay.minor >= 14 && !p->opcodes.pop_calls)
		return probe__fail(
			e, PROBE_FAULT_UNSUPPORTED, ENOTSUP, KNOWN_BUILDS,
			"CPython %s in %s: its return handlers do not call "
			"_PyEval_FrameClearAndPop (inlined?), where frames are seen ending",
			t->elf.version, t->binary);
	err = pyruntime_open(&p->rt, t->pid, t->binary, img, &p->lay, &p->opcodes, why,
			     sizeof(why));
	if (err)
		return probe__fail(e, err == -ESRCH ? PROBE_FAULT_GONE : PROBE_FAULT_FAILED, -err,
				   NULL, "cannot find %s in PID %d: %s", t->binary, t->pid, why);
	return 0;
}

static int interp_check(struct probe *pp, struct probe_error *e)
{
	struct interp_probe *p = ip(pp);
	const struct target *t = pp->target;
	struct pylive live;
	char why[512];
	int err = pylive_check(&p->rt, &live, why, sizeof(why));

	if (err == -EAGAIN && pp->opts.launch) {
		/* it runs Python code, so its interpreter exists: the layout is wrong */
		snprintf(why, sizeof(why), "no interpreter at _PyRuntime.interpreters.head");
		err = -ENOTSUP;
	}
	if (!err)
		return 0;
	if (err == -EAGAIN)
		return probe__fail(e, PROBE_FAULT_UNSUPPORTED, EAGAIN, "try again in a moment",
				   "PID %d has not created its interpreter yet", t->pid);
	if (err == -ESRCH)
		return probe__fail(e, PROBE_FAULT_GONE, ESRCH, NULL,
				   "process %d exited during attach", t->pid);
	if (err == -EPERM || err == -EACCES)
		return probe__fail(e, PROBE_FAULT_PRIVILEGE, -err,
				   "run flowtrace-bpf as root (reading another process needs "
				   "CAP_SYS_PTRACE)",
				   "cannot read the memory of PID %d: %s", t->pid, strerror(-err));
	return probe__fail(
		e, PROBE_FAULT_UNSUPPORTED, -err,
		"flowtrace-bpf reads only layouts it can verify; please report the build",
		"the memory of PID %d does not match CPython %s's layout: %s", t->pid,
		t->elf.version, why);
}

/* The shadow stacks. The running frames of the processes attached to are
 * shown as ancestors, not those of processes forked since (--follow).
 * Returns 0 or -ENOMEM. */
static int new_stack(struct interp_probe *p)
{
	const struct probe *pp = &p->base;
	size_t natt = 1 + pp->opts.nmore_pids;
	int *att = calloc(natt, sizeof(*att));
	struct istack_opts so;

	if (!att)
		return -ENOMEM;
	att[0] = pp->target->pid;
	for (size_t i = 1; i < natt; i++)
		att[i] = pp->opts.more_pids[i - 1];
	so = (struct istack_opts){.emit = emit_record,
				  .ctx = p,
				  .task = emit_task,
				  .attached = att,
				  .nattached = natt};
	p->stack = istack__new(&so); /* it keeps a copy of att */
	free(att);
	return p->stack ? 0 : -ENOMEM;
}

static int interp_attach(struct probe *pp, struct probe_error *pe)
{
	struct interp_probe *p = ip(pp);
	char err[512];
	int e;

	/* where code objects die, so BPF may cache names (docs/design.md,
	 * "Name ids"); without it every event sends its name: exact, dearer */
	if (!pp->opts.calibrate) {
		p->code_dealloc = p->lay.code_dealloc_offset;
		if (!p->code_dealloc)
			probe__warn_uncached(pp, "PyCode_Type.tp_dealloc not found");
	}
	/* a joined set's records go through the first set's shadow stacks */
	if (!p->first && new_stack(p)) {
		e = ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	p->skel = interp_bpf__open();
	if (!p->skel) {
		e = errno;
		snprintf(err, sizeof(err), "cannot open the BPF object: %s", strerror(e));
		goto fail;
	}
	e = -configure(p, err, sizeof(err));
	if (e)
		goto fail;
	if (p->first) {
		struct interp_bpf *f = p->first->skel;

		/* one ring, one set of followed processes: its records join the
		 * first set's in ring order, and what the first set's
		 * tracepoint programs keep holds for it. Its name ids are its
		 * own range (ids of different sets must never meet in the one
		 * name table; 2^28 names a set) */
		if (bpf_map__reuse_fd(p->skel->maps.events, bpf_map__fd(f->maps.events)) ||
		    bpf_map__reuse_fd(p->skel->maps.followed, bpf_map__fd(f->maps.followed))) {
			e = errno;
			snprintf(err, sizeof(err), "cannot share the ring buffer: %s", strerror(e));
			goto fail;
		}
		p->skel->bss->next_name_id = (uint32_t)p->set << 28;
	}
	if (interp_bpf__load(p->skel)) {
		e = errno;
		snprintf(err, sizeof(err), "cannot load the BPF programs: %s", strerror(e));
		goto fail;
	}
	p->base.drops = p->skel->bss->drops;
	p->base.armed = &p->skel->bss->armed;
	e = p->first ? 0
		     : -probe__open_ring(&p->base, p->skel->maps.events, on_raw, p, err,
					 sizeof(err));
	if (e)
		goto fail;
	e = -attach_all(p, err, sizeof(err));
	if (e)
		goto fail;
	return 0;
fail:
	return probe__attach_failed(pp, pe, e, err);
}

static uint64_t interp_first_call_offset(const struct probe *pp)
{
	return ip(pp)->opcodes.eval_offset;
}

static const char *interp_name(const struct probe *pp)
{
	const struct interp_probe *p = ip(pp);

	if (p->method == FT_METHOD_EVAL)
		return "eval";
	return "frame";
}

static void interp_destroy(struct probe *pp)
{
	struct interp_probe *p = ip(pp);

	interp_bpf__destroy(p->skel);
	istack__free(p->stack);
	if (p->own) {
		target_close(p->own);
		free(p->own);
	}
	free(p);
}

static int interp_adopt(struct probe *pp, int pid)
{
	struct interp_probe *p = ip(pp);

	return p->stack ? istack__attach(p->stack, pid) : 0;
}

int probe_interp__join(struct probe *pp, const struct method_choice *m, struct target *t,
		       struct probe **out, struct probe_error *e)
{
	struct probe_opts o = pp->opts;
	struct interp_probe *p;
	struct target *own;
	int err;

	*out = NULL;
	own = pp->ops == &interp_ops ? malloc(sizeof(*own)) : NULL;
	if (!own) {
		target_close(t);
		return probe__fail(e, PROBE_FAULT_FAILED, ENOMEM, NULL, "out of memory");
	}
	/* the image, its descriptor and the path through it move over */
	*own = *t;
	o.launch = false;
	o.more_pids = NULL;
	o.nmore_pids = 0;
	err = probe_interp__open(m, own, &o, out, e);
	p = ip(*out);
	if (!p) {
		target_close(own);
		free(own);
		return err;
	}
	p->own = own;
	p->first = ip(pp);
	p->set = (unsigned)pp->njoined + 1;
	if (err)
		return err;
	/* the layout against the live process, as -p does (-EAGAIN: its
	 * interpreter does not exist yet) */
	err = interp_check(&p->base, e);
	if (!err)
		err = interp_attach(&p->base, e);
	if (err)
		return err;
	if (interp_adopt(pp, own->pid))
		return probe__fail(e, PROBE_FAULT_FAILED, ENOMEM, NULL, "out of memory");
	probe__arm(&p->base);
	return 0;
}

static void interp_add_drops(const struct probe *pp, uint64_t drops[FT_DROP_MAX])
{
	struct istack_stats st;

	if (!ip(pp)->stack)
		return;
	istack__stats(ip(pp)->stack, &st);
	drops[FT_DROP_UNPLACED] += st.unplaced;
}

static const struct probe_ops interp_ops = {
	.name = interp_name,
	.check = interp_check,
	.attach = interp_attach,
	.first_call_offset = interp_first_call_offset,
	.destroy = interp_destroy,
	.add_drops = interp_add_drops,
	.adopt = interp_adopt,
};
