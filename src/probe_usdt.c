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

struct usdt_probe {
	struct probe base;
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

static const struct probe_ops usdt_ops;

struct probe *probe_usdt__open(const struct probe_opts *o, char *err, size_t errlen)
{
	struct usdt_probe *p = calloc(1, sizeof(*p));
	int e;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	p->base.ops = &usdt_ops;
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
	return &p->base;
fail:
	probe__free(&p->base);
	errno = e;
	return NULL;
}

static struct usdt_probe *usdt(const struct probe *p)
{
	return (struct usdt_probe *)p;
}

static int usdt_fd(const struct probe *p)
{
	return ring_buffer__epoll_fd(usdt(p)->rb);
}

static int usdt_consume(struct probe *p)
{
	return ring_buffer__consume(usdt(p)->rb);
}

static void usdt_detach(struct probe *pp)
{
	struct usdt_probe *p = usdt(pp);

	for (size_t i = 0; i < sizeof(p->links) / sizeof(p->links[0]); i++) {
		bpf_link__destroy(p->links[i]);
		p->links[i] = NULL;
	}
}

static void usdt_drops(const struct probe *p, uint64_t drops[FT_DROP_MAX])
{
	for (int i = 0; i < FT_DROP_MAX; i++)
		drops[i] = usdt(p)->skel->bss->drops[i];
}

static const char *usdt_name(const struct probe *p)
{
	return "usdt";
}

static void usdt_free(struct probe *pp)
{
	struct usdt_probe *p = usdt(pp);

	usdt_detach(pp);
	ring_buffer__free(p->rb);
	flowtrace_bpf__destroy(p->skel);
	free(p);
}

static const struct probe_ops usdt_ops = {
	.fd = usdt_fd,
	.consume = usdt_consume,
	.detach = usdt_detach,
	.drops = usdt_drops,
	.name = usdt_name,
	.free = usdt_free,
};
