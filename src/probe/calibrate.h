/* SPDX-License-Identifier: MIT */
/* The calibration of the tracer's own cost: what one probe hit of this
 * trace costs the traced thread, measured on this machine, kernel and
 * probe kind by timing copies of the probed instructions under the same
 * kind of uprobe in flowtrace-bpf's own process. See docs/design.md,
 * "Durations corrected for the tracer's cost". */
#ifndef FT_CALIBRATE_H
#define FT_CALIBRATE_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct probe;

struct probe_cal {
	uint64_t hit_ps;   /* per probe hit, picoseconds: the median round */
	uint64_t err_ps;   /* its error bound */
	uint64_t empty_ps; /* of it, the empty BPF program's run time (0: not counted) */
	char how[160];	   /* how it was obtained, for the output's meta */
};

/* Longest copy calibrate_copy_insn() makes */
#define CALIBRATE_COPY_MAX 12

/* Pure. A copy of the instruction at insn (avail bytes of it readable)
 * that the kernel handles at a uprobe the same way (emulated or
 * single-stepped) and that is safe to run anywhere: nops and endbr64 as
 * they are; branches and calls to the next instruction (a call's pushed
 * address dropped after it); a push with its pop; every other instruction
 * (single-stepped by the kernel) stands for itself as a load from the
 * stack, which the kernel single-steps too. A copy whose last byte is
 * zero is followed by a clc, so that one resumed at that byte instead of
 * after it runs on harmlessly (calibrate.c). Writes out, returns its
 * length; *stepped tells which kind it stands for. */
size_t calibrate_copy_insn(const uint8_t *insn, size_t avail, uint8_t *out, int *stepped);

/* Pure. The median of n per-round costs (sorted in place) and its error
 * bound: the median's standard error (0.93 IQR / sqrt(n)) plus 5% of the
 * median, the room left for a hit in the target to differ from one in the
 * copy. */
void calibrate_summary(int64_t *cost_ps, size_t n, uint64_t *median_ps, uint64_t *err_ps);

/* Pure. The cost per hit of a trace whose n probed instructions cost
 * hit_ps[i] (+-err_ps[i]) per hit and take hits[i] hits per call (2 for a
 * uprobe and a uretprobe at one address): the median over the hits, so
 * the kind most of the probes are sets it. With an even split, the mean of
 * the two middle ones, whose half difference joins the error. */
void calibrate_choose(const uint64_t *hit_ps, const uint64_t *err_ps, const unsigned *hits,
		      size_t n, uint64_t *out_hit, uint64_t *out_err);

struct calibration;

/* Pure. Milliseconds from now_ns to deadline_ns for poll(), rounded up;
 * 0 once the deadline has passed. */
int calibrate_left_ms(uint64_t now_ns, uint64_t deadline_ns);

/* Measures the cost per hit of p's probes (attached, disarmed or not:
 * nothing of the target is touched) with empty BPF programs, in a child
 * process bounded in time: one that runs past its deadline is SIGKILLed
 * and tried once more, then -ETIMEDOUT; *stop (a stop signal's flag, NULL:
 * none) set while it waits ends it with -EINTR. Turns BPF's
 * run-time accounting on for as long as *keep lives, so that
 * calibration__refine() can put the trace's own programs' run time in the
 * empty ones' place. Returns 0 with *keep set, or -errno with err set. */
int probe__calibrate(struct probe *p, struct probe_cal *out, struct calibration **keep,
		     const volatile sig_atomic_t *stop, char *err, size_t errlen);
/* The cost per hit with the trace's programs' mean run time since the
 * calibration: 1 with out's hit_ps and err_ps set when it moved by more
 * than 1% since the last one given out, else 0 (also when the accounting
 * is unavailable, or c is NULL). */
int calibration__refine(struct calibration *c, struct probe_cal *out);
/* Turns the accounting off and closes the programs. NULL is fine. */
void calibration__free(struct calibration *c);

#endif /* FT_CALIBRATE_H */
