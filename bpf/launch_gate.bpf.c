// SPDX-License-Identifier: GPL-2.0
/* Launch mode's stop at the command's first eval-loop call. A uprobe on
 * _PyEval_EvalFrameDefault sends the traced thread one signal the first
 * time it gets there; the tracer sees it as a ptrace signal-delivery-stop
 * and suppresses it. Nothing is written into the command's memory: the
 * kernel owns the uprobe's breakpoint and takes it out when the link's
 * file descriptor closes, which happens however flowtrace-bpf exits.
 * The signal is one whose delivery changes nothing (see launch.c), so a
 * tracer killed between the send and the suppression leaves no harm. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* set between open and load */
const volatile __u32 target_tid = 0; /* the one traced thread (the command's PID) */
const volatile __u32 gate_signal = 0;

/* read by user space: the signal was sent */
volatile __u32 fired = 0;

SEC("uprobe")
int ft_gate(void *ctx)
{
	/* only the traced thread: another one would get a signal no tracer
	 * suppresses (launch.c refuses commands that start threads first) */
	if ((__u32)bpf_get_current_pid_tgid() != target_tid || fired)
		return 0;
	fired = 1;
	bpf_send_signal_thread(gate_signal);
	return 0;
}
