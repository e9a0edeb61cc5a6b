// SPDX-License-Identifier: MIT
/* The correction for the tracer's cost (calltree_cal): a synthetic forest
 * whose probe hits are known, so every corrected time follows by hand. A
 * hit costs 1 us here, half before its record's timestamp and half after:
 * the k-th record of a thread (from 0) lags the raw clock by k + 0.5 us,
 * a call loses 1 us per descendant hit and 1 us for its own two halves.
 * And the calibration's pure parts: its summary of rounds, its choice
 * among probe sites, its copies of probed instructions. */
#include <stdint.h>
#include <limits.h>
#include <string.h>

#include "core/calltree.h"
#include "probe/calibrate.h"
#include "test.h"

#define T0 1000000ULL
#define US 1000ULL

static struct calltree *cal_tree(uint64_t hit_ps, uint64_t err_ps, bool keep)
{
	struct calltree_opts o = {.t0 = T0, .keep = keep, .cal = {hit_ps, err_ps}};
	struct calltree *ct = calltree__new(&o);

	FT_TRUE(ct);
	return ct;
}

/* A(B, C): A's interval holds B's and C's two hits each and half of its
 * own two: 5 us of the 100 measured. */
FT_TEST(calltree_cal_subtracts_descendants_and_own_halves)
{
	struct calltree *ct = cal_tree(1000000, 0, true);
	uint64_t base = T0 + 1000 * US;

	FT_EQ_INT(calltree__push(ct, 1, base, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, base + 10 * US, 1, 2, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 20 * US, 2, 2, 2), 0);
	FT_EQ_INT(calltree__push(ct, 1, base + 30 * US, 3, 2, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 40 * US, 4, 2, 3), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 100 * US, 5, 1, 1), 0);
	calltree__finish(ct, base + 200 * US);

	const struct ft_node *a = calltree__thread_at(ct, 0)->first_root;
	const struct ft_node *b = a->first_child, *c = b->next;
	FT_EQ_U64(a->start_ns, 1000 * US - 500);
	FT_EQ_U64(a->raw_dur_ns, 100 * US);
	FT_EQ_U64(a->dur_ns, 95 * US);
	FT_EQ_U64(b->start_ns, 1010 * US - 1500);
	FT_EQ_U64(b->raw_dur_ns, 10 * US);
	FT_EQ_U64(b->dur_ns, 9 * US);
	FT_EQ_U64(c->start_ns, 1030 * US - 3500);
	FT_EQ_U64(c->dur_ns, 9 * US);
	/* the children still lie within their parent, in order */
	FT_TRUE(b->start_ns >= a->start_ns && c->start_ns >= b->start_ns + b->dur_ns);
	FT_TRUE(c->start_ns + c->dur_ns <= a->start_ns + a->dur_ns);
	FT_EQ_INT(a->flags & FT_NODE_DUR_UNCERTAIN, 0);
	calltree__free(ct);
}

/* A cost refined while the trace runs (calltree__set_cal, the BPF
 * programs' run time measured as they go) counts for the hits from then
 * on: A(B) with B's entry and return taken at 1 us a hit, then the cost
 * raised to 3 us before A's return. A loses B's two hits (1 us each),
 * half of its entry's (0.5 us) and half of its return's at the new cost
 * (1.5 us): 4 us of the 100 measured. */
FT_TEST(calltree_cal_refined_cost_counts_from_then_on)
{
	struct calltree *ct = cal_tree(1000000, 0, true);
	uint64_t base = T0 + 1000 * US;

	FT_EQ_INT(calltree__push(ct, 1, base, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, base + 10 * US, 1, 2, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 20 * US, 2, 2, 2), 0);
	calltree__set_cal(ct, &(struct calltree_cal){3000000, 0});
	FT_EQ_INT(calltree__pop(ct, 1, base + 100 * US, 3, 1, 1), 0);
	calltree__finish(ct, base + 200 * US);

	const struct ft_node *a = calltree__thread_at(ct, 0)->first_root;
	FT_EQ_U64(a->raw_dur_ns, 100 * US);
	FT_EQ_U64(a->dur_ns, 96 * US);
	FT_EQ_U64(a->first_child->dur_ns, 9 * US);
	calltree__free(ct);
}

/* A builder that corrects nothing (--raw-times) stays raw whatever cost a
 * recording brings. */
FT_TEST(calltree_cal_refined_cost_never_turns_correction_on)
{
	struct calltree *ct = cal_tree(0, 0, true);
	uint64_t base = T0 + 1000 * US;

	calltree__set_cal(ct, &(struct calltree_cal){3000000, 0});
	FT_EQ_INT(calltree__push(ct, 1, base, 0, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 100 * US, 1, 1, 1), 0);
	calltree__finish(ct, base + 200 * US);
	FT_EQ_U64(calltree__thread_at(ct, 0)->first_root->dur_ns, 100 * US);
	calltree__free(ct);
}

/* The same numbers when the nodes are recycled as they complete (jsonl). */
static uint64_t streamed[4];
static size_t nstreamed;

static void on_done(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	(void)ctx, (void)t, (void)depth;
	if (nstreamed < 4)
		streamed[nstreamed++] = n->dur_ns;
}

FT_TEST(calltree_cal_streaming)
{
	struct calltree_opts o = {
		.t0 = T0, .keep = false, .cal = {1000000, 0}, .on_complete = on_done};
	struct calltree *ct = calltree__new(&o);
	uint64_t base = T0 + 1000 * US;

	nstreamed = 0;
	FT_EQ_INT(calltree__push(ct, 1, base, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, base + 10 * US, 1, 2, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 20 * US, 2, 2, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 100 * US, 3, 1, 1), 0);
	FT_EQ_U64(nstreamed, 2);
	FT_EQ_U64(streamed[0], 9 * US);
	FT_EQ_U64(streamed[1], 97 * US);
	calltree__free(ct);
}

/* A call shorter than its own probes' inner halves: never negative, its
 * raw interval kept, and flagged as within the correction's error. */
FT_TEST(calltree_cal_never_negative_and_uncertain)
{
	struct calltree *ct = cal_tree(1000000, 100000, true);
	uint64_t base = T0 + 1000 * US;

	FT_EQ_INT(calltree__push(ct, 1, base, 0, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 800, 1, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, base + 50 * US, 2, 1, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 80 * US, 3, 1, 2), 0);
	calltree__finish(ct, base + 100 * US);

	const struct ft_node *a = calltree__thread_at(ct, 0)->first_root, *b = a->next;
	FT_EQ_U64(a->dur_ns, 0);
	FT_EQ_U64(a->raw_dur_ns, 800);
	FT_TRUE(a->flags & FT_NODE_DUR_UNCERTAIN);
	FT_TRUE(a->err_ns > 0);
	/* the clock stood still across it, and goes on from there */
	FT_EQ_U64(b->raw_dur_ns, 30 * US);
	FT_EQ_U64(b->dur_ns, 29 * US);
	FT_EQ_INT(b->flags & FT_NODE_DUR_UNCERTAIN, 0);
	FT_EQ_U64(b->err_ns, 100);
	calltree__free(ct);
}

/* Records lost in the ring were probe hits all the same. */
FT_TEST(calltree_cal_lost_records_are_hits)
{
	struct calltree *ct = cal_tree(1000000, 0, true);
	uint64_t base = T0 + 1000 * US;

	FT_EQ_INT(calltree__push(ct, 1, base, 0, 1, 1), 0);
	/* seq 1 and 2 (a child's entry and return) lost */
	FT_EQ_INT(calltree__pop(ct, 1, base + 100 * US, 3, 1, 1), 0);
	calltree__finish(ct, base + 200 * US);

	const struct ft_node *a = calltree__thread_at(ct, 0)->first_root;
	FT_TRUE(a->first_child && (a->first_child->flags & FT_NODE_LOST));
	FT_EQ_U64(a->raw_dur_ns, 100 * US);
	FT_EQ_U64(a->dur_ns, 97 * US);
	calltree__free(ct);
}

/* Frames still running at the end, and one from before the trace. */
FT_TEST(calltree_cal_unfinished_and_before_attach)
{
	struct calltree *ct = cal_tree(1000000, 0, true);
	uint64_t base = T0 + 1000 * US;

	FT_EQ_INT(calltree__push(ct, 1, base, 0, 2, 2), 0);
	FT_EQ_INT(calltree__pop(ct, 1, base + 10 * US, 1, 2, 2), 0);
	/* the frame running at attach returns: it wraps the roots */
	FT_EQ_INT(calltree__pop(ct, 1, base + 20 * US, 2, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, 1, base + 30 * US, 3, 1, 3), 0);
	calltree__finish(ct, base + 100 * US);

	const struct ft_thread *t = calltree__thread_at(ct, 0);
	const struct ft_node *pre = t->first_root, *open = pre->next;
	FT_TRUE(pre->flags & FT_NODE_BEFORE_ATTACH);
	FT_EQ_U64(pre->start_ns, 0);
	/* from the trace start: its return's first half and its child's two
	 * hits, 2.5 us of 1020 */
	FT_EQ_U64(pre->raw_dur_ns, 1020 * US);
	FT_EQ_U64(pre->dur_ns, 1020 * US - 2500);
	FT_TRUE(open->flags & FT_NODE_UNFINISHED);
	/* its entry's second half: 0.5 us of 70 */
	FT_EQ_U64(open->raw_dur_ns, 70 * US);
	FT_EQ_U64(open->dur_ns, 70 * US - 500);
	calltree__free(ct);
}

FT_TEST(calltree_cal_off_gives_raw_times)
{
	struct calltree *ct = cal_tree(0, 0, true);

	FT_EQ_INT(calltree__push(ct, 1, T0 + 100, 0, 1, 1), 0);
	FT_EQ_INT(calltree__pop(ct, 1, T0 + 900, 1, 1, 1), 0);
	calltree__finish(ct, T0 + 1000);

	const struct ft_node *a = calltree__thread_at(ct, 0)->first_root;
	FT_EQ_U64(a->start_ns, 100);
	FT_EQ_U64(a->dur_ns, 800);
	FT_EQ_U64(a->raw_dur_ns, 800);
	FT_EQ_INT(a->flags, 0);
	calltree__free(ct);
}

FT_TEST(calibrate_summary_median_and_error)
{
	int64_t c[] = {900, 1000, 1100, 1000, 50000, 1000, 1000, 950, 1050};
	uint64_t med, err;

	calibrate_summary(c, 9, &med, &err);
	FT_EQ_U64(med, 1000);
	/* sorted, the quartiles are the 3rd and 7th: IQR 1050 - 1000 = 50,
	 * 50 * 0.93 / sqrt(9) = 15, plus 5% of 1000; the preempted round
	 * moves neither */
	FT_EQ_U64(err, 15 + 50);
	int64_t neg[] = {-5, -3, -4};
	calibrate_summary(neg, 3, &med, &err);
	FT_EQ_U64(med, 0);
}

FT_TEST(calibrate_choose_median_hit)
{
	/* an emulated eval entry under a uprobe and a uretprobe (2 hits) and
	 * three single-stepped handlers: of the hits 500, 500, 4800, 5000,
	 * 5200 the middle one, a handler's */
	uint64_t hit[] = {500, 5000, 5200, 4800}, err[] = {10, 100, 120, 90};
	unsigned hits[] = {2, 1, 1, 1};
	uint64_t h, e;

	calibrate_choose(hit, err, hits, 4, &h, &e);
	FT_EQ_U64(h, 4800);
	FT_EQ_U64(e, 90);
	/* an even split: the mean of the two middle sites, their half
	 * difference in the error */
	unsigned even[] = {2, 2};
	calibrate_choose(hit, err, even, 2, &h, &e);
	FT_EQ_U64(h, 2750);
	FT_EQ_U64(e, 2250 + 100);
}

FT_TEST(calibrate_copies_instructions)
{
	uint8_t out[CALIBRATE_COPY_MAX];
	int stepped;
	size_t n;

	const uint8_t nop[] = {0x90};
	n = calibrate_copy_insn(nop, 1, out, &stepped);
	FT_EQ_U64(n, 1);
	FT_EQ_INT(stepped, 0);
	/* a jcc rel32 goes to the next instruction */
	const uint8_t jne[] = {0x0f, 0x85, 0x12, 0x34, 0x00, 0x00};
	n = calibrate_copy_insn(jne, sizeof(jne), out, &stepped);
	FT_EQ_U64(n, 7);
	FT_TRUE(!memcmp(out, (const uint8_t[]){0x0f, 0x85, 0, 0, 0, 0, 0xf8}, 7));
	/* push %r15 and its pop */
	const uint8_t push[] = {0x41, 0x57};
	n = calibrate_copy_insn(push, 2, out, &stepped);
	FT_TRUE(n == 4 && !memcmp(out, (const uint8_t[]){0x41, 0x57, 0x41, 0x5f}, 4));
	/* a load through %rbx: stood for by a load from the stack */
	const uint8_t load[] = {0x48, 0x8b, 0x43, 0x08};
	n = calibrate_copy_insn(load, 4, out, &stepped);
	FT_EQ_INT(stepped, 1);
	FT_TRUE(n == 4 && !memcmp(out, (const uint8_t[]){0x48, 0x8b, 0x04, 0x24}, 4));
	/* nothing readable: single-stepped */
	calibrate_copy_insn(load, 0, out, &stepped);
	FT_EQ_INT(stepped, 1);
}

/* The kernel once resumed a probed call at its last byte (docs/design.md,
 * "The copies' fault"). Every copy whose probed instruction ends in a zero
 * byte is followed by one that makes 00 xx a register-only add (ModRM mod
 * 3), a 1-byte instruction (clc) on the normal path too, so the copy runs
 * on as it should; a call's copy still drops exactly its pushed address. */
FT_TEST(calibrate_copies_survive_a_resume_at_their_last_byte)
{
	static const struct {
		uint8_t in[8];
		size_t len, copy; /* the instruction's length in the copy */
	} insns[] = {
		{{0xe8, 1, 2, 3, 4}, 5, 5},		/* call rel32 */
		{{0xe9, 1, 2, 3, 4}, 5, 5},		/* jmp rel32 */
		{{0xeb, 9}, 2, 2},			/* jmp rel8 */
		{{0x74, 9}, 2, 2},			/* je rel8 */
		{{0x0f, 0x8e, 1, 2, 3, 4}, 6, 6},	/* jle rel32 */
		{{0x0f, 0x1f, 0x44, 0x00, 0x00}, 5, 5}, /* nop5 */
		{{0x0f, 0x1f, 0x40, 0x00}, 4, 3},	/* another long nop */
	};
	uint8_t out[CALIBRATE_COPY_MAX];
	int stepped;

	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		size_t n = calibrate_copy_insn(insns[i].in, insns[i].len, out, &stepped);
		size_t k = insns[i].copy;

		FT_EQ_INT(stepped, 0);
		FT_TRUE(n > k);
		FT_EQ_INT(out[k - 1], 0);
		FT_EQ_INT(out[k], 0xf8); /* clc; as a ModRM: add %bh,%al */
	}
	const uint8_t call[] = {0xe8, 0x10, 0x20, 0x30, 0x40};
	const uint8_t want[] = {0xe8, 0, 0, 0, 0, 0xf8, 0x48, 0x8d, 0x64, 0x24, 0x08};
	size_t n = calibrate_copy_insn(call, sizeof(call), out, &stepped);

	FT_EQ_U64(n, sizeof(want));
	FT_TRUE(!memcmp(out, want, sizeof(want)));
	/* nothing else gains a byte */
	const uint8_t push[] = {0x55};
	FT_EQ_U64(calibrate_copy_insn(push, 1, out, &stepped), 2);
}

FT_TEST(calibrate_left_ms_rounds_up_and_stops_at_the_deadline)
{
	FT_EQ_INT(calibrate_left_ms(1000000000ULL, 1000000000ULL), 0);
	FT_EQ_INT(calibrate_left_ms(2000000000ULL, 1000000000ULL), 0);
	FT_EQ_INT(calibrate_left_ms(0, 1), 1);
	FT_EQ_INT(calibrate_left_ms(0, 5000000000ULL), 5000);
	FT_EQ_INT(calibrate_left_ms(1, 5000000000ULL), 5000);
	FT_EQ_INT(calibrate_left_ms(0, ~0ULL), INT_MAX);
}
