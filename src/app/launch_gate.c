// SPDX-License-Identifier: MIT
/* The gate's skeleton lifecycle: open, set the thread and the signal, load,
 * attach one uprobe with a PID filter; destroy takes the uprobe out. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "app/launch_gate.h"
#include "launch_gate.skel.h"

struct launch_gate {
	struct launch_gate_bpf *skel;
	struct bpf_link *link;
};

struct launch_gate *launch_gate__open(pid_t pid, const char *binary, uint64_t offset, int sig,
				      char *err, size_t errlen)
{
	struct launch_gate *g = calloc(1, sizeof(*g));
	int e;

	if (!g) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	g->skel = launch_gate_bpf__open();
	if (!g->skel) {
		e = errno;
		snprintf(err, errlen, "cannot open the gate's BPF object: %s", strerror(e));
		goto fail;
	}
	g->skel->rodata->target_tid = (__u32)pid;
	g->skel->rodata->gate_signal = (__u32)sig;
	if (launch_gate_bpf__load(g->skel)) {
		e = errno;
		snprintf(err, errlen, "cannot load the gate's BPF program: %s", strerror(e));
		goto fail;
	}
	g->link = bpf_program__attach_uprobe(g->skel->progs.ft_gate, false, pid, binary,
					     (size_t)offset);
	if (!g->link) {
		e = errno;
		snprintf(err, errlen, "cannot attach the gate's uprobe to %s: %s", binary,
			 strerror(e));
		goto fail;
	}
	return g;
fail:
	launch_gate__free(g);
	errno = e;
	return NULL;
}

bool launch_gate__fired(const struct launch_gate *g)
{
	return g && g->skel->bss->fired;
}

void launch_gate__free(struct launch_gate *g)
{
	if (!g)
		return;
	bpf_link__destroy(g->link);
	launch_gate_bpf__destroy(g->skel);
	free(g);
}

static void *free_thread(void *g)
{
	launch_gate__free(g);
	return NULL;
}

static pthread_t reaper;
static bool reaping;

void launch_gate__free_async(struct launch_gate *g)
{
	if (!g)
		return;
	launch_gate__join();
	reaping = !pthread_create(&reaper, NULL, free_thread, g);
	if (!reaping)
		launch_gate__free(g);
}

void launch_gate__join(void)
{
	if (reaping)
		pthread_join(reaper, NULL);
	reaping = false;
}
