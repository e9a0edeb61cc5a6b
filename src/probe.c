// SPDX-License-Identifier: MIT
/* Dispatch to the probe source behind a struct probe. */
#include "probe.h"

int probe__fd(const struct probe *p)
{
	return p->ops->fd(p);
}

int probe__consume(struct probe *p)
{
	return p->ops->consume(p);
}

void probe__detach(struct probe *p)
{
	p->ops->detach(p);
}

void probe__drops(const struct probe *p, uint64_t drops[FT_DROP_MAX])
{
	p->ops->drops(p, drops);
}

const char *probe__name(const struct probe *p)
{
	return p->ops->name(p);
}

void probe__free(struct probe *p)
{
	if (p)
		p->ops->free(p);
}
