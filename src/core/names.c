// SPDX-License-Identifier: MIT
/* Name table: string interning (open-addressing hash set of arena strings)
 * and the dense id -> (function, file, line) array BPF's ids index.
 *
 * Ids are bound once: calls keep their id and are named when rendered, so
 * an id bound again to another name would rename every call made before.
 * BPF never does that (every NAME record has a fresh id), but a damaged or
 * crafted trace file can; such a rebinding gets an id of its own (an
 * alias, above every id bound so far) and the wire id is remapped to it
 * for the records that follow.
 *
 * An id far beyond the ids bound so far (a damaged trace file, or ids spent
 * on names the ring had no room for) goes to a small hash instead of the
 * dense array, so memory follows the names bound, never the largest id
 * claimed. It stays there when the dense array later grows past it: an
 * id unbound in the dense array is looked up in the hash too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/hashmap.h"
#include "core/names.h"

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct sparse_name {
	struct ft_name nm;
	uint8_t bound; /* BOUND_* */
};

struct names {
	/* interned strings: a set of arena strings, by contents */
	struct hashmap strings;
	struct arena_chunk *chunks;
	/* ids: BPF hands them out densely from 1 */
	struct ft_name *ids;
	uint8_t *bound; /* BOUND_* per id */
	size_t nids_cap, nids;
	uint32_t top;	      /* the largest id bound, wire id or alias */
	struct hashmap remap; /* wire id -> alias */
	/* sparse ids: id -> index in sparse */
	struct hashmap sparse_ids;
	struct sparse_name *sparse;
	size_t nsparse, capsparse;
};

/* The dense array covers ids below 4 per id bound plus this. */
#define DENSE_SLACK (64 * 1024)

#define BOUND_WIRE  1 /* bound by a NAME record of that id */
#define BOUND_ALIAS 2 /* an alias: a wire id of this value was never bound */
/* The alias of wire ids rebound once every id is taken: never bound, so
 * named <unknown> (reachable only by a crafted file). */
#define ALIAS_NONE UINT32_MAX

static const struct ft_name unknown_name = {
	.func = "<unknown>",
	.file = "",
	.line = 0,
	.flags = FT_NAME_UNKNOWN,
};

/* FNV-1a: short strings, no need for anything stronger */
static uint64_t hash_string(uint64_t key, void *ctx)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *s = (const char *)(uintptr_t)key; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static bool same_string(uint64_t a, uint64_t b, void *ctx)
{
	return !strcmp((const char *)(uintptr_t)a, (const char *)(uintptr_t)b);
}

struct names *names__new(void)
{
	struct names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	hashmap__init(&n->strings, hash_string, same_string, NULL);
	hashmap__init(&n->remap, NULL, NULL, NULL);
	hashmap__init(&n->sparse_ids, NULL, NULL, NULL);
	return n;
}

void names__free(struct names *n)
{
	if (!n)
		return;
	for (struct arena_chunk *c = n->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	hashmap__fini(&n->strings);
	free(n->ids);
	free(n->bound);
	hashmap__fini(&n->remap);
	hashmap__fini(&n->sparse_ids);
	free(n->sparse);
	free(n);
}

static char *arena_alloc(struct names *n, size_t len)
{
	struct arena_chunk *c = n->chunks;

	if (!c || c->cap - c->used < len) {
		size_t cap = len > ARENA_CHUNK ? len : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = n->chunks;
		n->chunks = c;
	}
	char *p = c->data + c->used;
	c->used += len;
	return p;
}

const char *names__intern(struct names *n, const char *s, size_t len)
{
	/* strings from BPF carry no NUL inside; stop at one if a caller passes it */
	const char *nul = memchr(s, 0, len);
	char *copy;
	uint64_t old;
	int err;

	if (nul)
		len = nul - s;
	/* the candidate goes where it would stay; a string seen before gives
	 * the arena its bytes back */
	copy = arena_alloc(n, len + 1);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, s, len);
	copy[len] = 0;
	err = hashmap__add(&n->strings, (uintptr_t)copy, (uintptr_t)copy, &old);
	if (!err)
		return copy;
	n->chunks->used -= len + 1;
	if (err == -EEXIST)
		return (const char *)(uintptr_t)old;
	errno = ENOMEM;
	return NULL;
}

static int ensure_ids(struct names *n, uint32_t id)
{
	size_t cap = n->nids_cap, bcap = n->nids_cap;

	if (id < n->nids_cap)
		return 0;
	if (grow_array((void **)&n->ids, &cap, (size_t)id + 1, sizeof(*n->ids)) ||
	    grow_array((void **)&n->bound, &bcap, (size_t)id + 1, sizeof(*n->bound)))
		return -ENOMEM;
	memset(n->bound + n->nids_cap, 0, cap - n->nids_cap);
	n->nids_cap = cap;
	return 0;
}

/* Rebound and far ids are rare: their lookups stay out of line (noinline
 * here and below), so the per-record names__id() and names__get() stay
 * small. */
static __attribute__((noinline)) uint32_t remap_get(const struct names *n, uint32_t wire)
{
	uint64_t alias = 0;

	hashmap__find(&n->remap, wire, &alias);
	return (uint32_t)alias;
}

/* The sparse entry of id, or NULL. */
static __attribute__((noinline)) struct sparse_name *sparse_find(const struct names *n, uint32_t id)
{
	uint64_t i;

	return hashmap__find(&n->sparse_ids, id, &i) ? &n->sparse[i] : NULL;
}

/* The sparse entry for id, added (unbound) if new; NULL without memory. */
static struct sparse_name *sparse_add(struct names *n, uint32_t id)
{
	uint64_t i = n->nsparse;
	int err;

	if (grow_array((void **)&n->sparse, &n->capsparse, n->nsparse + 1, sizeof(*n->sparse)))
		return NULL;
	err = hashmap__add(&n->sparse_ids, id, i, &i);
	if (err == -ENOMEM)
		return NULL;
	if (!err)
		n->sparse[n->nsparse++] = (struct sparse_name){0};
	return &n->sparse[i];
}

/* BOUND_* of id, 0 when unbound. */
static uint8_t bound_of(const struct names *n, uint32_t id)
{
	const struct sparse_name *sp;

	if (id < n->nids_cap && n->bound[id])
		return n->bound[id];
	sp = sparse_find(n, id);
	return sp ? sp->bound : 0;
}

static const struct ft_name *name_of(const struct names *n, uint32_t id)
{
	const struct sparse_name *sp;

	if (id < n->nids_cap && n->bound[id])
		return &n->ids[id];
	sp = sparse_find(n, id);
	return sp && sp->bound ? &sp->nm : NULL;
}

static int set_id(struct names *n, uint32_t id, uint8_t how, const struct ft_name *nm)
{
	/* the dense array reaches only as far as the ids bound justify */
	if (id >= n->nids_cap && id >= 4 * n->nids + DENSE_SLACK) {
		struct sparse_name *sp = sparse_add(n, id);

		if (!sp)
			return -ENOMEM;
		sp->bound = how;
		sp->nm = *nm;
	} else {
		int err = ensure_ids(n, id);

		if (err)
			return err;
		n->bound[id] = how;
		n->ids[id] = *nm;
	}
	n->nids++;
	if (id > n->top)
		n->top = id;
	return 0;
}

int names__bind(struct names *n, uint32_t id, const char *func, size_t func_len, const char *file,
		size_t file_len, uint32_t line, uint32_t flags)
{
	const char *f = names__intern(n, func, func_len);
	const char *p = names__intern(n, file, file_len);
	uint32_t cur = remap_get(n, id), alias;

	if (!f || !p)
		return -ENOMEM;
	struct ft_name nm = {.func = f, .file = p, .line = line, .flags = flags};
	uint8_t how = bound_of(n, id);
	if (!cur && !how)
		return set_id(n, id, BOUND_WIRE, &nm);
	if (!cur && how == BOUND_WIRE)
		cur = id;
	/* the same name again changes nothing (strings are interned) */
	if (cur && cur != ALIAS_NONE && !memcmp(name_of(n, cur), &nm, sizeof(nm)))
		return 0;
	/* another name, or an id an alias holds: an alias of its own */
	alias = n->top < ALIAS_NONE - 1 ? n->top + 1 : ALIAS_NONE;
	if (alias != ALIAS_NONE) {
		int err = set_id(n, alias, BOUND_ALIAS, &nm);

		if (err)
			return err;
	}
	return hashmap__set(&n->remap, id, alias);
}

static __attribute__((noinline)) uint32_t remapped_id(const struct names *n, uint32_t id)
{
	uint32_t alias = remap_get(n, id);

	if (alias)
		return alias;
	/* an id of the wire that was never bound, where an alias lives: unknown */
	if (bound_of(n, id) == BOUND_ALIAS)
		return 0;
	return id;
}

uint32_t names__id(const struct names *n, uint32_t id)
{
	/* per record: nothing but this test unless some id was rebound */
	return hashmap__count(&n->remap) ? remapped_id(n, id) : id;
}

const struct ft_name *names__get(const struct names *n, uint32_t id)
{
	const struct ft_name *nm = name_of(n, id);

	return nm ? nm : &unknown_name;
}

size_t names__strings(const struct names *n)
{
	return hashmap__count(&n->strings);
}

size_t names__ids(const struct names *n)
{
	return n->nids;
}
