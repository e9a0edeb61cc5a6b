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
#include "cpython/pylayout.h"
#include "cpython/target.h"
#include "probe/probe_priv.h"

struct usdt_probe {
	struct probe base;
	struct flowtrace_bpf *skel;
};

static const struct probe_ops usdt_ops;

int probe_usdt__open(const struct target *t, const struct probe_opts *o, struct probe **out,
		     struct probe_error *e)
{
	struct usdt_probe *p = calloc(1, sizeof(*p));

	*out = &p->base;
	if (!p)
		return probe__fail(e, PROBE_FAULT_FAILED, ENOMEM, NULL, "out of memory");
	p->base.ops = &usdt_ops;
	p->base.target = t;
	p->base.opts = *o;
	return 0;
}

static int usdt_attach(struct probe *pp, struct probe_error *pe)
{
	struct usdt_probe *p = (struct usdt_probe *)pp;
	const struct probe_opts *o = &pp->opts;
	const struct target *t = pp->target;
	const char *binary = t->attach_path;
	struct pylayout_code_death cd = {0};
	struct bpf_program *entry, *ret;
	char why[256], err[512];
	bool cached;
	int e;

	/* where code objects die, so BPF may cache names (docs/design.md,
	 * "Name ids"); without it every event sends its name: exact, dearer */
	if (!o->calibrate && pylayout_code_death(t->img, t->elf.minor, &cd, why, sizeof(why))) {
		cd.dealloc_offset = 0;
		probe__warn_uncached(pp, why);
	}
	p->skel = flowtrace_bpf__open();
	if (!p->skel) {
		e = errno;
		snprintf(err, sizeof(err), "cannot open the BPF object: %s", strerror(e));
		goto fail;
	}
	/* configure between open and load */
	/* wake the reader when an eighth of the ring is queued, not per record;
	 * a periodic consume picks up the rest */
	p->skel->rodata->wakeup_bytes = probe__wakeup_bytes(o->ring_size);
	p->skel->rodata->target_tgid = t->pid;
	if (cd.dealloc_offset) {
		p->skel->rodata->co_filename = cd.filename;
		p->skel->rodata->co_name = cd.name;
		p->skel->rodata->u_state = cd.state;
		p->skel->rodata->u_compact_bit = cd.compact_bit;
		p->skel->rodata->u_ascii_bit = cd.ascii_bit;
		p->skel->rodata->u_ascii_size = cd.ascii_size;
		p->skel->rodata->u_utf8 = cd.utf8;
	}
	e = -probe__size_ring(p->skel->maps.events, o->ring_size, err, sizeof(err));
	if (e)
		goto fail;
	if (flowtrace_bpf__load(p->skel)) {
		e = errno;
		snprintf(err, sizeof(err), "cannot load the BPF programs: %s", strerror(e));
		goto fail;
	}
	p->base.drops = p->skel->bss->drops;
	p->base.armed = &p->skel->bss->armed;
	e = -probe__open_ring(&p->base, p->skel->maps.events, o->on_record, o->ctx, err,
			      sizeof(err));
	if (e)
		goto fail;
	/* code objects' deaths are watched before anything names: see
	 * common.bpf.h */
	e = -probe__attach_code_death(&p->base, p->skel->progs.ft_code_dealloc, cd.dealloc_offset,
				      &cached, err, sizeof(err));
	if (e)
		goto fail;
	p->skel->bss->names_cached = cached;
	entry = p->skel->progs.ft_usdt_entry;
	ret = p->skel->progs.ft_usdt_return;
	if (o->calibrate)
		entry = ret = p->skel->progs.ft_usdt_nop;
	e = -probe__attach_exec(&p->base, p->skel->progs.ft_exec, err, sizeof(err));
	if (!e)
		e = -probe__attach_marker(&p->base, entry, t->pid, binary, "function__entry", err,
					  sizeof(err));
	if (!e)
		e = -probe__attach_marker(&p->base, ret, t->pid, binary, "function__return", err,
					  sizeof(err));
	if (e)
		goto fail;
	return 0;
fail:
	return probe__attach_failed(pp, pe, e, err);
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
	.attach = usdt_attach,
	.destroy = usdt_destroy,
	.null_names = usdt_null_names,
};
