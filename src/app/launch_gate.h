/* SPDX-License-Identifier: MIT */
/* The gate of launch mode: a BPF uprobe that stops the command at the first
 * execution of one instruction by sending its traced thread a signal, with
 * nothing written into the command's memory (bpf/launch_gate.bpf.c). */
#ifndef FT_LAUNCH_GATE_H
#define FT_LAUNCH_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct launch_gate;

/* Puts a uprobe at file offset `offset` of binary (as mapped by pid) that,
 * the first time thread pid executes it, sends that thread signal sig.
 * Returns the gate, or NULL with errno set and err filled. */
struct launch_gate *launch_gate__open(pid_t pid, const char *binary, uint64_t offset, int sig,
				      char *err, size_t errlen);
/* Whether the gate has sent its signal. */
bool launch_gate__fired(const struct launch_gate *g);
/* Takes the uprobe out and frees the gate. NULL is fine. */
void launch_gate__free(struct launch_gate *g);

/* The same in a thread of its own: when a uprobe goes, the kernel waits
 * for an RCU grace period (a quarter of a second here), which the command
 * need not wait for. Until then the fired gate does nothing. */
void launch_gate__free_async(struct launch_gate *g);
/* Waits for the thread of launch_gate__free_async, if any. */
void launch_gate__join(void);

#endif /* FT_LAUNCH_GATE_H */
