/* SPDX-License-Identifier: MIT */
/* Display filters: --include/--exclude globs, --max-depth, --min-duration.
 * A frame hidden by a glob keeps its subtree: its children attach to the
 * nearest shown ancestor. --max-depth and --min-duration hide whole
 * subtrees. Pure. */
#ifndef FT_FILTER_H
#define FT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hashmap.h"

struct names;
struct ft_node;
struct ft_thread;

struct filter {
	const char **include; /* globs (fnmatch, no flags) on function name or file path */
	size_t ninclude;
	const char **exclude;
	size_t nexclude;
	int max_depth;	     /* shown levels, counted from 1; 0 = no limit */
	uint64_t min_dur_ns; /* 0 = no limit */
	/* private: shown/hidden per name id, 0 = not decided yet; ids far
	 * beyond the ids bound (a damaged file's) in far, id -> decision (a
	 * zeroed map is an empty one) */
	uint8_t *cache;
	size_t ncache;
	struct hashmap far;
};

/* Frees the decision cache (the globs belong to the caller). */
void filter__free(struct filter *f);

/* True when the globs show the function (depth and duration aside). */
bool filter__shows_name(struct filter *f, const struct names *names, uint32_t name_id);

/* True when any filter is set at all. */
bool filter__active(const struct filter *f);

/* Visits the shown nodes of a thread's forest in call order. depth is the
 * shown depth (0 for the outermost shown calls); has_children tells whether
 * any shown node will be visited below this one. Lost-record markers are
 * shown wherever their place is shown. */
struct filter_visit {
	void (*enter)(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		      bool has_children);
	void (*leave)(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
		      bool has_children);
	/* optional: a node filter__walk_node_cut leaves out, at the depth it
	 * would have had; set, the node counts as a shown child (a marker) */
	void (*cut)(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth);
};
void filter__walk(struct filter *f, const struct names *names, const struct ft_thread *t,
		  const struct filter_visit *v, void *ctx);
/* The same walk over node n of thread t and its subtree alone, n taken as
 * a root (depth 0): its siblings are not visited (the asyncio task view
 * walks each step's subtree; the first view a program's <module>). */
void filter__walk_node(struct filter *f, const struct names *names, const struct ft_thread *t,
		       const struct ft_node *n, const struct filter_visit *v, void *ctx);
/* filter__walk_node leaving out, with their subtrees, the nodes below n
 * that cut(cut_ctx, node) says (as --min-duration prunes, or in v->cut's
 * hands where set): the task view cuts an eager task's first step out of
 * its creator's step. */
struct filter_cut {
	bool (*cut)(const void *cut_ctx, const struct ft_node *n);
	const void *cut_ctx;
};
void filter__walk_node_cut(struct filter *f, const struct names *names, const struct ft_thread *t,
			   const struct ft_node *n, const struct filter_cut *cut,
			   const struct filter_visit *v, void *ctx);

#endif /* FT_FILTER_H */
