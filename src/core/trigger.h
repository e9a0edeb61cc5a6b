/* SPDX-License-Identifier: MIT */
/* --trigger: of every call the builder completes, keeps only those inside
 * a call whose function or file matches a glob (the trigger call and its
 * whole subtree), with the trigger's open ancestors as context. It sits on
 * a builder that keeps nothing (calltree_opts.keep false, on_complete =
 * trigger__complete), so calls outside a trigger are recycled at once and
 * memory follows threads x depth plus the trigger subtrees being built.
 * Pure: the tests feed it builders fed with tables of records. */
#ifndef FT_TRIGGER_H
#define FT_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/calltree.h"

struct names;

struct trigger_opts {
	const char **globs; /* fnmatch globs on function name or file path */
	size_t nglobs;
	const struct names *names;
	/* a trigger call shorter than this is dropped with its subtree */
	uint64_t min_dur_ns;
	/* true: assemble the kept subtrees and their context into a forest
	 * (trigger__forest()) for formats that render at the end; false: hand
	 * each kept call to emit and forget it */
	bool keep;
	/* streaming: each call kept, children before parents, once the
	 * trigger call completes; a context ancestor (FT_NODE_CONTEXT) when
	 * it completes. depth is level - 1, as from the builder. */
	calltree_complete_fn emit;
	void *ctx;
};

struct trigger_stats {
	uint64_t kept;	  /* trigger calls kept */
	uint64_t dropped; /* trigger calls shorter than min_dur_ns */
	uint64_t nodes;	  /* copies alive: the forest, context, calls waiting */
};

struct trigger;

/* NULL with errno set on failure. */
struct trigger *trigger__new(const struct trigger_opts *opts);
void trigger__free(struct trigger *tr);
/* The builder's on_complete (ctx is the trigger). Without memory the call
 * is dropped and counted in trigger__error(). */
void trigger__complete(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth);
/* The kept subtrees with their context (keep true); never NULL. */
const struct calltree *trigger__forest(const struct trigger *tr);
void trigger__stats(const struct trigger *tr, struct trigger_stats *st);
/* 0, or -ENOMEM once a call could not be kept. */
int trigger__error(const struct trigger *tr);

#endif /* FT_TRIGGER_H */
