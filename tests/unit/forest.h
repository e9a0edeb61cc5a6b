/* SPDX-License-Identifier: MIT */
/* Test helper: call forests built by hand, so filter and renderer tests
 * control every node, flag and duration exactly. */
#ifndef FT_TEST_FOREST_H
#define FT_TEST_FOREST_H

#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/names.h"
#include "test.h"

struct forest {
	struct names *names;
	struct ft_node *pool; /* nodes never move: links stay valid */
	size_t used, cap;
};

static inline void forest_init(struct forest *fo, size_t cap)
{
	fo->names = names__new();
	fo->pool = calloc(cap, sizeof(*fo->pool));
	fo->used = 0;
	fo->cap = cap;
	FT_TRUE(fo->names && fo->pool);
}

static inline void forest_free(struct forest *fo)
{
	names__free(fo->names);
	free(fo->pool);
}

static inline void forest_name(struct forest *fo, uint32_t id, const char *func, const char *file,
			       uint32_t line, uint32_t flags)
{
	FT_EQ_INT(names__bind(fo->names, id, func, strlen(func), file, strlen(file), line, flags),
		  0);
}

/* Appends a node under parent (NULL: a root of t). */
static inline struct ft_node *forest_add(struct forest *fo, struct ft_thread *t,
					 struct ft_node *parent, uint32_t name, uint64_t start,
					 uint64_t dur, uint32_t flags)
{
	struct ft_node *n;

	FT_TRUE(fo->used < fo->cap);
	n = &fo->pool[fo->used++];
	n->parent = parent;
	n->name = name;
	n->start_ns = start;
	n->dur_ns = dur;
	n->raw_dur_ns = dur;
	n->flags = flags;
	n->level = parent ? parent->level + 1 : 1;
	if (parent) {
		if (parent->last_child)
			parent->last_child->next = n;
		else
			parent->first_child = n;
		parent->last_child = n;
	} else {
		if (t->last_root)
			t->last_root->next = n;
		else
			t->first_root = n;
		t->last_root = n;
	}
	return n;
}

static inline struct ft_node *forest_lost(struct forest *fo, struct ft_thread *t,
					  struct ft_node *parent, uint32_t count, uint64_t at)
{
	struct ft_node *n = forest_add(fo, t, parent, 0, at, 0, FT_NODE_LOST);

	n->lost = count;
	return n;
}

#endif /* FT_TEST_FOREST_H */
