// SPDX-License-Identifier: MIT
/* USDT probe source: attaches flowtrace.bpf.c's programs to CPython's
 * python:function__entry/function__return markers of one process. libbpf
 * resolves the notes and raises the markers' semaphores (ref_ctr_offset);
 * the kernel lowers them again when the links go, however we exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "flowtrace.skel.h"
#include "probe.h"

struct probe {
	struct flowtrace_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[2];
};

static struct bpf_link *attach_one(struct bpf_program *prog, int pid, const char *binary,
				   const char *name, char *err, size_t errlen)
{
	struct bpf_link *link = bpf_program__attach_usdt(prog, pid, binary, "python", name, NULL);

	if (!link) {
		int e = errno;
		snprintf(err, errlen, "cannot attach to python:%s in %s: %s", name, binary,
			 strerror(e));
		errno = e;
	}
	return link;
}

struct probe *probe_usdt__open(const struct probe_opts *o, char *err, size_t errlen)
{
	struct probe *p = calloc(1, sizeof(*p));
	int e;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	p->skel = flowtrace_bpf__open();
	if (!p->skel) {
		e = errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(e));
		goto fail;
	}
	/* configure between open and load */
	/* wake the reader when an eighth of the ring is queued, not per record;
	 * a periodic consume picks up the rest */
	p->skel->rodata->wakeup_bytes = o->ring_size / 8;
	if (bpf_map__set_max_entries(p->skel->maps.events, o->ring_size)) {
		e = errno;
		snprintf(err, errlen, "cannot size the ring buffer to %llu bytes",
			 (unsigned long long)o->ring_size);
		goto fail;
	}
	if (flowtrace_bpf__load(p->skel)) {
		e = errno;
		snprintf(err, errlen, "cannot load the BPF programs: %s", strerror(e));
		goto fail;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), o->on_record, o->ctx, NULL);
	if (!p->rb) {
		e = errno;
		snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(e));
		goto fail;
	}
	struct bpf_program *entry = p->skel->progs.ft_usdt_entry;
	struct bpf_program *ret = p->skel->progs.ft_usdt_return;
	if (o->calibrate)
		entry = ret = p->skel->progs.ft_usdt_nop;
	p->links[0] = attach_one(entry, o->pid, o->binary, "function__entry", err, errlen);
	if (!p->links[0]) {
		e = errno;
		goto fail;
	}
	p->links[1] = attach_one(ret, o->pid, o->binary, "function__return", err, errlen);
	if (!p->links[1]) {
		e = errno;
		goto fail;
	}
	return p;
fail:
	probe__free(p);
	errno = e;
	return NULL;
}

int probe__fd(const struct probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int probe__consume(struct probe *p)
{
	return ring_buffer__consume(p->rb);
}

void probe__detach(struct probe *p)
{
	for (size_t i = 0; i < sizeof(p->links) / sizeof(p->links[0]); i++) {
		bpf_link__destroy(p->links[i]);
		p->links[i] = NULL;
	}
}

void probe__drops(const struct probe *p, uint64_t drops[FT_DROP_MAX])
{
	for (int i = 0; i < FT_DROP_MAX; i++)
		drops[i] = p->skel->bss->drops[i];
}

const char *probe__name(const struct probe *p)
{
	return "usdt";
}

void probe__free(struct probe *p)
{
	if (!p)
		return;
	probe__detach(p);
	ring_buffer__free(p->rb);
	flowtrace_bpf__destroy(p->skel);
	free(p);
}
