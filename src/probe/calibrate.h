/* SPDX-License-Identifier: MIT */
/* The calibration of the tracer's own cost: what one probe hit of this
 * trace costs the traced thread, measured on this machine, kernel and
 * probe kind by timing copies of the probed instructions under the same
 * kind of uprobe in flowtrace-bpf's own process. See docs/design.md,
 * "Durations corrected for the tracer's cost". */
#ifndef FT_CALIBRATE_H
#define FT_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probe;

struct probe_cal {
	uint64_t hit_ps; /* per probe hit, picoseconds: the median round */
	uint64_t err_ps; /* its error bound */
	char how[160];	 /* how it was obtained, for the output's meta */
};

/* Longest copy calibrate_copy_insn() makes */
#define CALIBRATE_COPY_MAX 12

/* Pure. A copy of the instruction at insn (avail bytes of it readable)
 * that the kernel handles at a uprobe the same way (emulated or
 * single-stepped) and that is safe to run anywhere: nops and endbr64 as
 * they are; branches and calls to the next instruction (a call's pushed
 * address dropped after it); a push with its pop; every other instruction
 * (single-stepped by the kernel) stands for itself as a load from the
 * stack, which the kernel single-steps too. Writes out, returns its
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

/* Measures the cost per hit of p's probes (attached, disarmed or not:
 * nothing of the target is touched). Returns 0 with *keep set, or -errno
 * with err set. */
int probe__calibrate(struct probe *p, struct probe_cal *out, struct calibration **keep, char *err,
		     size_t errlen);
/* Detaches what the measurement left attached in flowtrace-bpf's own
 * process: nothing today (its links go at once: it holds no uretprobe),
 * kept so a caller frees it after the trace's probes either way. NULL is
 * fine. */
void calibration__free(struct calibration *c);

#endif /* FT_CALIBRATE_H */
