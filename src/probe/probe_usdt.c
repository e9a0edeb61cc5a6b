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
#include "probe/probe.h"
#include "cpython/pylayout.h"

struct usdt_probe {
	struct probe base;
	struct flowtrace_bpf *skel;
};

static const struct probe_ops usdt_ops;

struct probe *probe_usdt__open(const struct probe_opts *o, char *err, size_t errlen)
{
	struct usdt_probe *p = calloc(1, sizeof(*p));
	struct bpf_program *entry, *ret;
	bool cached;
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
	p->skel->rodata->target_tgid = o->pid;
	if (o->code_death && o->code_death->dealloc_offset) {
		p->skel->rodata->co_filename = o->code_death->filename;
		p->skel->rodata->co_name = o->code_death->name;
		p->skel->rodata->u_state = o->code_death->state;
		p->skel->rodata->u_compact_bit = o->code_death->compact_bit;
		p->skel->rodata->u_ascii_bit = o->code_death->ascii_bit;
		p->skel->rodata->u_ascii_size = o->code_death->ascii_size;
		p->skel->rodata->u_utf8 = o->code_death->utf8;
	}
	e = -probe__size_ring(p->skel->maps.events, o->ring_size, err, errlen);
	if (e)
		goto fail;
	if (flowtrace_bpf__load(p->skel)) {
		e = errno;
		snprintf(err, errlen, "cannot load the BPF programs: %s", strerror(e));
		goto fail;
	}
	p->base.drops = p->skel->bss->drops;
	p->base.armed = &p->skel->bss->armed;
	e = -probe__open_ring(&p->base, p->skel->maps.events, o->on_record, o->ctx, err, errlen);
	if (e)
		goto fail;
	/* code objects' deaths are watched before anything names: see
	 * common.bpf.h */
	e = -probe__attach_code_death(&p->base, p->skel->progs.ft_code_dealloc, o, &cached, err,
				      errlen);
	if (e)
		goto fail;
	p->skel->bss->names_cached = cached;
	entry = p->skel->progs.ft_usdt_entry;
	ret = p->skel->progs.ft_usdt_return;
	if (o->calibrate)
		entry = ret = p->skel->progs.ft_usdt_nop;
	e = -probe__attach_exec(&p->base, p->skel->progs.ft_exec, err, errlen);
	if (!e)
		e = -probe__attach_marker(&p->base, entry, o->pid, o->binary, "function__entry",
					  err, errlen);
	if (!e)
		e = -probe__attach_marker(&p->base, ret, o->pid, o->binary, "function__return", err,
					  errlen);
	if (e)
		goto fail;
	return &p->base;
fail:
	probe__free(&p->base);
	errno = e;
	return NULL;
}

static const char *usdt_name(const struct probe *p)
{
	return "usdt";
}

static uint64_t usdt_null_names(const struct probe *pp)
{
	const struct usdt_probe *p = (const struct usdt_probe *)pp;

	return p->skel->bss->null_names;
}

static void usdt_destroy(struct probe *pp)
{
	struct usdt_probe *p = (struct usdt_probe *)pp;

	flowtrace_bpf__destroy(p->skel);
	free(p);
}

static const struct probe_ops usdt_ops = {
	.name = usdt_name,
	.destroy = usdt_destroy,
	.null_names = usdt_null_names,
};
