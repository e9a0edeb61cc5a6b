// SPDX-License-Identifier: MIT
/* Shadow stacks of the interpreter probe source: raw frame events in,
 * ENTRY/RETURN records out. Output is a compact string: E<depth>:<name>
 * for an entry, R<depth>:<name> for a return, "#<seq>" when a record's seq
 * is not the one after the thread's previous record's. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/istack.h"
#include "test.h"

struct out {
	char buf[4096];
	size_t len;
	uint32_t next_seq[4];
	bool any[4];
};

static int collect(void *ctx, const struct ft_rec_hdr *h)
{
	struct out *o = ctx;

	if (h->seq != o->next_seq[h->tid])
		o->len += snprintf(o->buf + o->len, sizeof(o->buf) - o->len, "#%u ", h->seq);
	o->any[h->tid] = true;
	o->next_seq[h->tid] = h->seq + 1;
	o->len += snprintf(o->buf + o->len, sizeof(o->buf) - o->len, "%c%d:%u ",
			   h->type != FT_REC_ENTRY	   ? 'R'
			   : h->flags & FT_ENTRY_F_RUNNING ? 'S' /* from the snapshot */
							   : 'E',
			   h->depth, h->arg);
	return 0;
}

struct fixture {
	struct out out;
	struct istack *s;
	uint32_t seq[4];
	uint64_t ts;
};

static void setup(struct fixture *f)
{
	struct istack_opts o = {.emit = collect, .ctx = &f->out};

	memset(f, 0, sizeof(*f));
	f->s = istack__new(&o);
}

static const char *result(struct fixture *f)
{
	if (f->out.len && f->out.buf[f->out.len - 1] == ' ')
		f->out.buf[--f->out.len] = 0;
	return f->out.buf;
}

static void ev(struct fixture *f, int tid, uint16_t type, uint16_t flags, uint32_t name,
	       uint64_t frame, uint64_t parent, uint64_t sp)
{
	struct ft_raw_call r = {
		.hdr = {.ts = ++f->ts,
			.tgid = 1,
			.tid = tid,
			.seq = f->seq[tid]++,
			.type = type,
			.flags = flags,
			.name = name},
		.frame = frame,
		.parent = parent,
		.sp = sp,
	};
	FT_EQ_INT(istack__event(f->s, &r), 0);
}

/* A start on thread 1 that names its caller's caller and the caller's name
 * (pname), as the frame method reports one. */
static void start(struct fixture *f, uint16_t flags, uint32_t name, uint32_t pname, uint64_t frame,
		  uint64_t parent, uint64_t grand)
{
	struct ft_raw_call r = {
		.hdr = {.ts = ++f->ts,
			.tgid = 1,
			.tid = 1,
			.seq = f->seq[1]++,
			.parent_name = pname,
			.type = FT_RAW_ENTER,
			.flags = flags,
			.name = name},
		.frame = frame,
		.parent = parent,
		.grand = grand,
	};
	FT_EQ_INT(istack__event(f->s, &r), 0);
}

/* eval method: the eval loop's call is the frame's call */
#define CALL(f, name, frame, parent, sp) \
	ev(f, 1, FT_RAW_ENTER, FT_RAW_F_HAS_SP, name, frame, parent, sp)
#define RET(f, sp)   ev(f, 1, FT_RAW_EVAL_RET, 0, 0, 0, 0, sp)
#define RAISE(f, sp) ev(f, 1, FT_RAW_EVAL_RET, FT_RAW_F_NULL, 0, 0, 0, sp)

FT_TEST(istack_eval_nesting)
{
	struct fixture f;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	CALL(&f, 2, 0xb, 0xa, 900);
	RET(&f, 900);
	CALL(&f, 3, 0xc, 0xa, 900);
	RET(&f, 900);
	RET(&f, 1000);
	FT_EQ_STR(result(&f), "E1:1 E2:2 R2:2 E2:3 R2:3 R1:1");
	istack__free(f.s);
}

FT_TEST(istack_eval_exception_unwinds_to_catcher)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	CALL(&f, 2, 0xb, 0xa, 900);
	CALL(&f, 3, 0xc, 0xb, 800);
	RAISE(&f, 800);
	RAISE(&f, 900);
	CALL(&f, 4, 0xd, 0xa, 900); /* a caught it and goes on */
	RET(&f, 900);
	RET(&f, 1000);
	FT_EQ_STR(result(&f), "E1:1 E2:2 E3:3 R3:3 R2:2 E2:4 R2:4 R1:1");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.revealed, 0);
	istack__free(f.s);
}

/* calls past the uretprobe nesting limit return without a record: the next
 * call at the same stack depth, or a shallower return, reveals them */
FT_TEST(istack_eval_deep_calls_without_returns)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	CALL(&f, 2, 0xb, 0xa, 900); /* no uretprobe from here on */
	CALL(&f, 3, 0xc, 0xb, 800);
	CALL(&f, 4, 0xd, 0xa, 900); /* b and c are gone: d reuses b's stack */
	CALL(&f, 5, 0xe, 0xd, 800);
	RET(&f, 1000);
	FT_EQ_STR(result(&f), "E1:1 E2:2 E3:3 R3:3 R2:2 E2:4 E3:5 R3:5 R2:4 R1:1");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.revealed, 4);
	istack__free(f.s);
}

FT_TEST(istack_eval_parent_reveals_exits)
{
	struct fixture f;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	CALL(&f, 2, 0xb, 0xa, 900);
	CALL(&f, 3, 0xc, 0xb, 800);
	/* a C function called from a runs e at a deeper stack pointer */
	CALL(&f, 5, 0xe, 0xa, 700);
	FT_EQ_STR(result(&f), "E1:1 E2:2 E3:3 R3:3 R2:2 E2:5");
	istack__free(f.s);
}

FT_TEST(istack_generator_creation_hidden)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	ev(&f, 1, FT_RAW_ENTER, FT_RAW_F_HAS_SP | FT_RAW_F_GEN_CREATE, 0, 0xb, 0xa, 900);
	RET(&f, 900);
	CALL(&f, 2, 0xc, 0xa, 900); /* the generator's first run */
	RET(&f, 900);
	CALL(&f, 2, 0xc, 0xa, 900); /* resumed */
	RET(&f, 900);
	RET(&f, 1000);
	FT_EQ_STR(result(&f), "E1:1 E2:2 R2:2 E2:2 R2:2 R1:1");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.hidden, 1);
	istack__free(f.s);
}

/* frame method: starts from RESUME, exits from RETURN handlers, catches
 * from PUSH_EXC_INFO, and the eval loop only for exceptions leaving it */
FT_TEST(istack_frame_catch_and_eval_null)
{
	struct fixture f;

	setup(&f);
	ev(&f, 1, FT_RAW_EVAL, 0, 0, 0xa, 0, 1000);
	ev(&f, 1, FT_RAW_ENTER, 0, 1, 0xa, 0, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0xa, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 3, 0xc, 0xb, 0);
	ev(&f, 1, FT_RAW_CATCH, 0, 0, 0xa, 0, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 4, 0xb, 0xa, 0); /* a new frame at b's address */
	ev(&f, 1, FT_RAW_EXIT, 0, 4, 0xb, 0, 0);
	/* an exception leaves a through the eval loop */
	ev(&f, 1, FT_RAW_EVAL_RET, FT_RAW_F_NULL, 0, 0, 0, 1000);
	FT_EQ_STR(result(&f), "E1:1 E2:2 E3:3 R3:3 R2:2 E2:4 R2:4 R1:1");
	istack__free(f.s);
}

FT_TEST(istack_frame_duplicate_resume)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	ev(&f, 1, FT_RAW_ENTER, 0, 1, 0xa, 0, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 1, 0xa, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 1, 0xa, 0, 0);
	FT_EQ_STR(result(&f), "E1:1 R1:1");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.duplicates, 1);
	istack__free(f.s);
}

/* an eval call whose frame already left (a yield) must not end a later
 * frame that reuses the address */
FT_TEST(istack_frame_address_reuse)
{
	struct fixture f;

	setup(&f);
	ev(&f, 1, FT_RAW_EVAL, 0, 0, 0xa, 0, 1000);
	ev(&f, 1, FT_RAW_ENTER, 0, 1, 0xa, 0, 0);
	ev(&f, 1, FT_RAW_EVAL, 0, 0, 0xb, 0, 900); /* deep: no return record */
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0xa, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 3, 0xb, 0xa, 0); /* inline call, same address */
	ev(&f, 1, FT_RAW_EVAL, 0, 0, 0xc, 0, 900);  /* ends the stale eval call */
	ev(&f, 1, FT_RAW_ENTER, 0, 4, 0xc, 0xb, 0);
	FT_EQ_STR(result(&f), "E1:1 E2:2 R2:2 E2:3 E3:4");
	istack__free(f.s);
}

FT_TEST(istack_frames_from_before_attach)
{
	struct fixture f;

	setup(&f);
	ev(&f, 1, FT_RAW_EXIT, 0, 7, 0x70, 0, 0);    /* running at attach */
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0x60, 0); /* its caller calls b */
	ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 6, 0x60, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 5, 0x50, 0, 0);
	FT_EQ_STR(result(&f), "R0:7 E0:2 R0:2 R-1:6 R-2:5");
	istack__free(f.s);
}

FT_TEST(istack_losses_keep_sequence_gaps)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	f.seq[1] += 3; /* three records lost: b's call among them */
	CALL(&f, 3, 0xc, 0xb, 800);
	RET(&f, 800);
	FT_EQ_STR(result(&f), "E1:1 #4 E3:3 R3:3");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.lost, 3);
	istack__free(f.s);
}

FT_TEST(istack_threads_apart)
{
	struct fixture f;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	ev(&f, 2, FT_RAW_ENTER, FT_RAW_F_HAS_SP, 2, 0xb, 0, 1000);
	ev(&f, 2, FT_RAW_EVAL_RET, 0, 0, 0, 0, 1000);
	RET(&f, 1000);
	FT_EQ_STR(result(&f), "E1:1 E1:2 R1:2 R1:1");
	istack__free(f.s);
}

/* throw() into a generator that delegates (yield from) runs the inner one
 * with the outer as its caller, though the outer never started */
FT_TEST(istack_frame_delegated_throw)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	ev(&f, 1, FT_RAW_ENTER, 0, 1, 0xa, 0, 0);
	/* its caller 0xb is the delegating generator, suspended */
	start(&f, FT_RAW_F_PARENT_GEN, 3, 0, 0xc, 0xb, 0xa);
	ev(&f, 1, FT_RAW_EXIT, 0, 3, 0xc, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 1, 0xa, 0, 0);
	FT_EQ_STR(result(&f), "E1:1 E2:3 R2:3 R1:1");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.passed, 1);
	istack__free(f.s);
}

/* a trace function runs from inside its frame's start, before the start
 * is seen: the frame starts then, and its own start is a duplicate */
FT_TEST(istack_frame_trace_function_first)
{
	struct fixture f;

	setup(&f);
	ev(&f, 1, FT_RAW_ENTER, 0, 1, 0xa, 0, 0);
	start(&f, 0, 9, 2, 0xf, 0xb, 0xa);
	ev(&f, 1, FT_RAW_EXIT, 0, 9, 0xf, 0, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0xa, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 1, 0xa, 0, 0);
	FT_EQ_STR(result(&f), "E1:1 E2:2 E3:9 R3:9 R2:2 R1:1");
	istack__free(f.s);
}

/* 3.12+: a return's trace function runs after the return handler, from a
 * frame that has left: it must not bring that frame back */
FT_TEST(istack_frame_trace_after_return)
{
	struct fixture f;

	setup(&f);
	ev(&f, 1, FT_RAW_ENTER, 0, 1, 0xa, 0, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0xa, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
	start(&f, 0, 9, 2, 0xf, 0xb, 0xa);
	ev(&f, 1, FT_RAW_EXIT, 0, 9, 0xf, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 1, 0xa, 0, 0);
	FT_EQ_STR(result(&f), "E1:1 E2:2 R2:2 E2:9 R2:9 R1:1");
	istack__free(f.s);
}

/* a new frame at the address of one whose return went unseen: the old
 * one leaves, and the new one's eval call still ends it */
FT_TEST(istack_eval_reused_address)
{
	struct fixture f;

	setup(&f);
	CALL(&f, 1, 0x20, 0, 1000);
	CALL(&f, 2, 0x30, 0x20, 900); /* neither return is seen */
	CALL(&f, 3, 0x20, 0, 950);
	RET(&f, 950);
	FT_EQ_STR(result(&f), "E1:1 E2:2 R2:2 R1:1 E1:3 R1:3");
	istack__free(f.s);
}

/* The stack snapshot BPF sends before a thread's first event: frames[] and
 * names[] innermost first, in chunks as BPF cuts them; skip drops chunk
 * number skip (as a full ring would), -1 none. */
static void snapshot(struct fixture *f, int tid, const uint64_t *frames, const uint32_t *names,
		     size_t n, bool cut, int skip)
{
	size_t done = 0;
	int32_t chunk = 0;

	do {
		struct ft_raw_stack r = {
			.hdr = {.ts = ++f->ts,
				.tgid = 1,
				.tid = tid,
				.seq = f->seq[tid]++,
				.type = FT_RAW_STACK},
			.chunk = chunk,
		};
		size_t k = n - done < FT_RAW_STACK_CHUNK ? n - done : FT_RAW_STACK_CHUNK;

		for (size_t i = 0; i < k; i++)
			r.f[i] = (struct ft_raw_stack_frame){.frame = frames[done + i],
							     .name = names[done + i]};
		r.count = k;
		done += k;
		if (done == n)
			r.hdr.flags = FT_RAW_F_STACK_LAST | (cut ? FT_RAW_F_STACK_CUT : 0);
		if (chunk++ != skip)
			FT_EQ_INT(istack__stack(f->s, &r), 0);
	} while (done < n);
}

/* frames running at attach that an exception unwinds: the catch in a
 * frame from the snapshot ends exactly the frames above it */
FT_TEST(istack_snapshot_places_unwound_frames)
{
	static const uint64_t frames[] = {0x70, 0x60, 0x50};
	static const uint32_t names[] = {7, 6, 5};
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	snapshot(&f, 1, frames, names, 3, false, -1);
	ev(&f, 1, FT_RAW_CATCH, 0, 0, 0x50, 0, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0x50, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 5, 0x50, 0, 0);
	FT_EQ_STR(result(&f), "S-2:5 S-1:6 S0:7 R0:7 R-1:6 E-1:2 R-1:2 R-2:5");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.snapshots, 1);
	FT_EQ_U64(st.revealed, 2);
	istack__free(f.s);
}

/* the first event after the snapshot is a start from its top frame; a
 * return of the top frame's caller then ends the top frame too */
FT_TEST(istack_snapshot_then_start)
{
	static const uint64_t frames[] = {0x60, 0x50};
	static const uint32_t names[] = {6, 5};
	struct fixture f;

	setup(&f);
	snapshot(&f, 1, frames, names, 2, false, -1);
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0x60, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 5, 0x50, 0, 0);
	FT_EQ_STR(result(&f), "S-1:5 S0:6 E1:2 R1:2 R0:6 R-1:5");
	istack__free(f.s);
}

/* the 70 frames as the snapshot sends them on: outermost first */
#define SNAP70                                                                 \
	"S-69:169 S-68:168 S-67:167 S-66:166 S-65:165 S-64:164 S-63:163 "      \
	"S-62:162 S-61:161 S-60:160 S-59:159 S-58:158 S-57:157 S-56:156 "      \
	"S-55:155 S-54:154 S-53:153 S-52:152 S-51:151 S-50:150 S-49:149 "      \
	"S-48:148 S-47:147 S-46:146 S-45:145 S-44:144 S-43:143 S-42:142 "      \
	"S-41:141 S-40:140 S-39:139 S-38:138 S-37:137 S-36:136 S-35:135 "      \
	"S-34:134 S-33:133 S-32:132 S-31:131 S-30:130 S-29:129 S-28:128 "      \
	"S-27:127 S-26:126 S-25:125 S-24:124 S-23:123 S-22:122 S-21:121 "      \
	"S-20:120 S-19:119 S-18:118 S-17:117 S-16:116 S-15:115 S-14:114 "      \
	"S-13:113 S-12:112 S-11:111 S-10:110 S-9:109 S-8:108 S-7:107 S-6:106 " \
	"S-5:105 S-4:104 S-3:103 S-2:102 S-1:101 S0:100 "

/* deeper than one chunk: the order of the frames survives the chunking */
FT_TEST(istack_snapshot_in_chunks)
{
	uint64_t frames[70];
	uint32_t names[70];
	struct fixture f;

	for (int i = 0; i < 70; i++) {
		frames[i] = 0x1000 + 0x10 * (uint64_t)i; /* innermost first */
		names[i] = 100 + i;
	}
	setup(&f);
	snapshot(&f, 1, frames, names, 70, false, -1);
	/* the frame 40 from the top catches: 40 frames above it leave */
	ev(&f, 1, FT_RAW_CATCH, 0, 0, frames[40], 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, names[40], frames[40], 0, 0);
	/* the snapshot's frames go out outermost first, then the 40 leave */
	FT_EQ_STR(result(&f),
		  SNAP70 "R0:100 R-1:101 R-2:102 R-3:103 R-4:104 R-5:105 R-6:106 R-7:107 "
			 "R-8:108 R-9:109 R-10:110 R-11:111 R-12:112 R-13:113 R-14:114 "
			 "R-15:115 R-16:116 R-17:117 R-18:118 R-19:119 R-20:120 R-21:121 "
			 "R-22:122 R-23:123 R-24:124 R-25:125 R-26:126 R-27:127 R-28:128 "
			 "R-29:129 R-30:130 R-31:131 R-32:132 R-33:133 R-34:134 R-35:135 "
			 "R-36:136 R-37:137 R-38:138 R-39:139 R-40:140");
	istack__free(f.s);
}

/* with every frame from before attach known, an exit of a frame never
 * seen starting is not taken for an older frame: it is counted */
FT_TEST(istack_snapshot_exact_unknown_exit)
{
	static const uint64_t frames[] = {0x60, 0x50};
	static const uint32_t names[] = {6, 5};
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	snapshot(&f, 1, frames, names, 2, false, -1);
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0x60, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 9, 0x90, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 6, 0x60, 0, 0);
	FT_EQ_STR(result(&f), "S-1:5 S0:6 E1:2 R1:2 R0:6");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.unplaced, 1);
	istack__free(f.s);
}

/* an empty snapshot (launch mode, a new thread) is exact too */
FT_TEST(istack_snapshot_empty)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	snapshot(&f, 1, NULL, NULL, 0, false, -1);
	ev(&f, 1, FT_RAW_ENTER, 0, 1, 0xa, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 9, 0x90, 0, 0); /* nothing ran before: unplaced */
	ev(&f, 1, FT_RAW_EXIT, 0, 1, 0xa, 0, 0);
	FT_EQ_STR(result(&f), "E1:1 R1:1");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.snapshots, 1);
	FT_EQ_U64(st.unplaced, 1);
	istack__free(f.s);
}

/* a chunk lost to a full ring: the snapshot is not used, the frames it
 * would have named are placed as without one, and the loss shows */
FT_TEST(istack_snapshot_chunk_lost)
{
	uint64_t frames[40];
	uint32_t names[40];
	struct fixture f;
	struct istack_stats st;

	for (int i = 0; i < 40; i++) {
		frames[i] = 0x1000 + 0x10 * (uint64_t)i;
		names[i] = 100 + i;
	}
	setup(&f);
	snapshot(&f, 1, frames, names, 40, false, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 100, frames[0], 0, 0);
	FT_EQ_STR(result(&f), "#1 R0:100");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.snapshots, 0);
	FT_EQ_U64(st.bad_snapshots, 1);
	istack__free(f.s);
}

/* a snapshot cut at FT_RAW_STACK_MAX: frames below it can still leave */
FT_TEST(istack_snapshot_cut)
{
	static const uint64_t frames[] = {0x60, 0x50};
	static const uint32_t names[] = {6, 5};
	struct fixture f;

	setup(&f);
	snapshot(&f, 1, frames, names, 2, true, -1);
	ev(&f, 1, FT_RAW_EXIT, 0, 6, 0x60, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 5, 0x50, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 4, 0x40, 0, 0); /* below the cut */
	FT_EQ_STR(result(&f), "S-1:5 S0:6 R0:6 R-1:5 R-2:4");
	istack__free(f.s);
}

/* 3.14: every frame ends at _PyEval_FrameClearAndPop (FT_RAW_F_POP), which
 * CPython also calls for frames that never ran (a recursion check failed
 * before their first instruction): such a pop is no call, and it is not a
 * frame that left unseen either (not unplaced). Pops of frames that did
 * start, nested and unwound, close exactly those frames. */
FT_TEST(istack_pop_of_frame_that_never_ran)
{
	static const uint64_t frames[] = {0x60};
	static const uint32_t names[] = {6};
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	snapshot(&f, 1, frames, names, 1, false, -1);
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0x70, 0x60, 0);
	ev(&f, 1, FT_RAW_ENTER, 0, 3, 0x80, 0x70, 0);
	ev(&f, 1, FT_RAW_EXIT, FT_RAW_F_POP, 9, 0x90, 0, 0); /* never ran */
	ev(&f, 1, FT_RAW_EXIT, FT_RAW_F_POP, 3, 0x80, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, FT_RAW_F_POP, 2, 0x70, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, FT_RAW_F_POP, 6, 0x60, 0, 0); /* from before attach */
	FT_EQ_STR(result(&f), "S0:6 E1:2 E2:3 R2:3 R1:2 R0:6");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.unplaced, 0);
	FT_EQ_U64(st.never_ran, 1);
	istack__free(f.s);
}

/* --follow: the process execs the same interpreter mid-call; BPF numbers
 * the new program's records from 0 again under the same tid. Its stack
 * starts empty (the builder ended the old frames at the exec): no loss, no
 * return of the old frame, the new program's first call at depth 1. */
FT_TEST(istack_exec_starts_the_process_afresh)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	CALL(&f, 2, 0xb, 0xa, 900);
	istack__exec(f.s, 1);
	f.seq[1] = 0;
	f.out.next_seq[1] = 0;
	CALL(&f, 3, 0xa, 0, 1000);
	RET(&f, 1000);
	FT_EQ_STR(result(&f), "E1:1 E2:2 E1:3 R1:3");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.lost, 0);
	istack__free(f.s);
}

/* Another process's exec leaves this one's stack alone. */
FT_TEST(istack_exec_of_another_process)
{
	struct fixture f;
	struct istack_stats st;

	setup(&f);
	CALL(&f, 1, 0xa, 0, 1000);
	istack__exec(f.s, 2);
	CALL(&f, 2, 0xb, 0xa, 900);
	RET(&f, 900);
	RET(&f, 1000);
	FT_EQ_STR(result(&f), "E1:1 E2:2 R2:2 R1:1");
	istack__stats(f.s, &st);
	FT_EQ_U64(st.lost, 0);
	istack__free(f.s);
}

/* --follow: a process forked since attach starts inside its parent's
 * frames, which it never returns to: only the processes attached to send
 * their snapshots on as running ancestors; the others' are still placed */
FT_TEST(istack_snapshot_shown_for_attached_processes_only)
{
	static const uint64_t frames[] = {0x60, 0x50};
	static const uint32_t names[] = {6, 5};
	static const int att_other[] = {77}, att_self[] = {77, 1};
	const int *lists[] = {att_other, att_self};
	const size_t ns[] = {1, 2};
	const char *want[] = {"E1:2 R1:2 R0:6 R-1:5", "S-1:5 S0:6 E1:2 R1:2 R0:6 R-1:5"};

	for (int k = 0; k < 2; k++) {
		struct fixture f;
		struct istack_opts o;

		memset(&f, 0, sizeof(f));
		o = (struct istack_opts){
			.emit = collect, .ctx = &f.out, .attached = lists[k], .nattached = ns[k]};
		f.s = istack__new(&o);
		FT_TRUE(f.s);
		snapshot(&f, 1, frames, names, 2, false, -1); /* thread 1 of process 1 */
		ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0x60, 0);
		ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
		ev(&f, 1, FT_RAW_EXIT, 0, 5, 0x50, 0, 0);
		FT_EQ_STR(result(&f), want[k]);
		istack__free(f.s);
	}
}

/* --follow: a process that exec'd another CPython is attached to once its
 * own probe set is in (istack__attach): its snapshot, taken after, shows
 * its running frames as ancestors, as a process attached at the start */
FT_TEST(istack_attach_later_shows_the_snapshot)
{
	static const uint64_t frames[] = {0x60, 0x50};
	static const uint32_t names[] = {6, 5};
	static const int att[] = {77};
	struct istack_opts o;
	struct fixture f;

	memset(&f, 0, sizeof(f));
	o = (struct istack_opts){.emit = collect, .ctx = &f.out, .attached = att, .nattached = 1};
	f.s = istack__new(&o);
	FT_TRUE(f.s);
	FT_EQ_INT(istack__attach(f.s, 1), 0);
	FT_EQ_INT(istack__attach(f.s, 1), 0); /* once is enough */
	snapshot(&f, 1, frames, names, 2, false, -1);
	ev(&f, 1, FT_RAW_ENTER, 0, 2, 0xb, 0x60, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 2, 0xb, 0, 0);
	ev(&f, 1, FT_RAW_EXIT, 0, 5, 0x50, 0, 0);
	FT_EQ_STR(result(&f), "S-1:5 S0:6 E1:2 R1:2 R0:6 R-1:5");
	istack__free(f.s);
}
