// SPDX-License-Identifier: MIT
/* What the probe sources share: the ring reader, the links, BPF's loss
 * counters; and dispatch to the source behind a struct probe. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "probe.h"

int probe__fd(const struct probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int probe__consume(struct probe *p)
{
	return ring_buffer__consume(p->rb);
}

void probe__stop(struct probe *p)
{
	if (p->stopped)
		*p->stopped = 1;
}

void probe__detach(struct probe *p)
{
	probe__stop(p);
	for (size_t i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	p->nlinks = 0;
}

void probe__drops(const struct probe *p, uint64_t drops[FT_DROP_MAX])
{
	for (int i = 0; i < FT_DROP_MAX; i++)
		drops[i] = p->drops ? p->drops[i] : 0;
	if (p->ops->add_drops)
		p->ops->add_drops(p, drops);
}

int probe__error(const struct probe *p)
{
	return p->error;
}

const char *probe__name(const struct probe *p)
{
	return p->ops->name(p);
}

void probe__free(struct probe *p)
{
	if (!p)
		return;
	probe__detach(p);
	ring_buffer__free(p->rb);
	p->ops->destroy(p);
}

int probe__size_ring(struct bpf_map *events, uint64_t ring_size, char *err, size_t errlen)
{
	if (!bpf_map__set_max_entries(events, ring_size))
		return 0;
	int e = errno;

	snprintf(err, errlen, "cannot size the ring buffer to %llu bytes",
		 (unsigned long long)ring_size);
	return -e;
}

int probe__open_ring(struct probe *p, struct bpf_map *events, probe_record_fn fn, void *ctx,
		     char *err, size_t errlen)
{
	p->rb = ring_buffer__new(bpf_map__fd(events), fn, ctx, NULL);
	if (p->rb)
		return 0;
	int e = errno;

	snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(e));
	return -e;
}

int probe__keep_link(struct probe *p, struct bpf_link *link)
{
	if (!link)
		return -errno;
	if (p->nlinks == PROBE_MAX_LINKS) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	p->links[p->nlinks++] = link;
	return 0;
}

int probe__attach_marker(struct probe *p, struct bpf_program *prog, int pid, const char *binary,
			 const char *name, char *err, size_t errlen)
{
	int e = probe__keep_link(p,
				 bpf_program__attach_usdt(prog, pid, binary, "python", name, NULL));

	if (e)
		snprintf(err, errlen, "cannot attach to python:%s in %s: %s", name, binary,
			 strerror(-e));
	return e;
}
