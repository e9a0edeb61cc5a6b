// SPDX-License-Identifier: GPL-2.0
/* The calibration of the tracer's own cost (src/probe/calibrate.c): empty
 * programs attached, in flowtrace-bpf's own process, to copies of the
 * instructions the trace's probes sit on, so that timing a loop over them
 * measures what one probe hit costs on this machine, kernel and probe kind.
 * One program for perf-event links, one loaded for uprobe_multi links: the
 * two paths into a program differ in cost, and the copy takes the one the
 * method takes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int ft_cal_hit(void *ctx)
{
	return 0;
}

SEC("uprobe")
int ft_cal_hit_multi(void *ctx)
{
	return 0;
}
