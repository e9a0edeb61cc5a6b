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
 * claimed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/names.h"

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct names {
	/* interned strings */
	const char **slots;
	size_t nslots, nstrings;
	struct arena_chunk *chunks;
	/* ids: BPF hands them out densely from 1 */
	struct ft_name *ids;
	uint8_t *bound; /* BOUND_* per id */
	size_t nids_cap, nids;
	uint32_t top; /* the largest id bound, wire id or alias */
	/* wire id -> alias, open addressing; alias 0 marks a free slot */
	struct remap {
		uint32_t wire, alias;
	} * remap;
	size_t nremap, capremap;
	/* sparse ids: open addressing, key 0 is free (id 0 is never bound) */
	uint32_t *skeys;
	struct ft_name *svals;
	uint8_t *sbound;
	size_t scap, sn;
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

struct names *names__new(void)
{
	struct names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->nslots = 1024;
	n->slots = calloc(n->nslots, sizeof(*n->slots));
	if (!n->slots) {
		free(n);
		return NULL;
	}
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
	free(n->slots);
	free(n->ids);
	free(n->bound);
	free(n->remap);
	free(n->skeys);
	free(n->svals);
	free(n->sbound);
	free(n);
}

/* FNV-1a: short strings, no need for anything stronger */
static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
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

static int grow_slots(struct names *n)
{
	size_t nslots = n->nslots * 2;
	const char **slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < n->nslots; i++) {
		const char *s = n->slots[i];

		if (!s)
			continue;
		size_t j = hash_bytes(s, strlen(s)) & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = s;
	}
	free(n->slots);
	n->slots = slots;
	n->nslots = nslots;
	return 0;
}

static const char *insert_at(struct names *n, size_t i, const char *s, size_t len)
{
	char *copy = arena_alloc(n, len + 1);

	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, s, len);
	copy[len] = 0;
	n->slots[i] = copy;
	n->nstrings++;
	/* keep the load under one half so probing stays short; if growing
	 * fails the string is still interned, the table is only fuller */
	if (n->nstrings * 2 > n->nslots)
		grow_slots(n);
	return copy;
}

const char *names__intern(struct names *n, const char *s, size_t len)
{
	size_t mask = n->nslots - 1;

	/* strings from BPF carry no NUL inside; stop at one if a caller passes it */
	const char *nul = memchr(s, 0, len);
	if (nul)
		len = nul - s;
	for (size_t i = hash_bytes(s, len) & mask;; i = (i + 1) & mask) {
		const char *t = n->slots[i];

		if (!t)
			return insert_at(n, i, s, len);
		if (!strncmp(t, s, len) && t[len] == 0)
			return t;
	}
}

static int ensure_ids(struct names *n, uint32_t id)
{
	size_t cap = n->nids_cap ? n->nids_cap : 1024;

	if (id < n->nids_cap)
		return 0;
	while (cap <= id)
		cap *= 2;
	struct ft_name *ids = realloc(n->ids, cap * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	n->ids = ids;
	uint8_t *bound = realloc(n->bound, cap);
	if (!bound)
		return -ENOMEM;
	memset(bound + n->nids_cap, 0, cap - n->nids_cap);
	n->bound = bound;
	n->nids_cap = cap;
	return 0;
}

static uint32_t remap_hash(uint32_t wire, size_t cap)
{
	return (uint32_t)((wire * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static uint32_t remap_get(const struct names *n, uint32_t wire)
{
	if (!n->nremap)
		return 0;
	for (size_t i = remap_hash(wire, n->capremap);; i = (i + 1) & (n->capremap - 1)) {
		if (!n->remap[i].alias)
			return 0;
		if (n->remap[i].wire == wire)
			return n->remap[i].alias;
	}
}

static int remap_put(struct names *n, uint32_t wire, uint32_t alias)
{
	if ((n->nremap + 1) * 2 > n->capremap) {
		size_t cap = n->capremap ? n->capremap * 2 : 16;
		struct remap *t = calloc(cap, sizeof(*t));

		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < n->capremap; i++) {
			if (!n->remap[i].alias)
				continue;
			size_t j = remap_hash(n->remap[i].wire, cap);
			while (t[j].alias)
				j = (j + 1) & (cap - 1);
			t[j] = n->remap[i];
		}
		free(n->remap);
		n->remap = t;
		n->capremap = cap;
	}
	size_t i = remap_hash(wire, n->capremap);
	while (n->remap[i].alias && n->remap[i].wire != wire)
		i = (i + 1) & (n->capremap - 1);
	if (!n->remap[i].alias)
		n->nremap++;
	n->remap[i] = (struct remap){.wire = wire, .alias = alias};
	return 0;
}

static size_t sparse_slot(const struct names *n, uint32_t id)
{
	size_t i = (id * 2654435761u) & (n->scap - 1);

	while (n->skeys[i] && n->skeys[i] != id)
		i = (i + 1) & (n->scap - 1);
	return i;
}

/* The sparse slot of id, or -1. */
static ssize_t sparse_find(const struct names *n, uint32_t id)
{
	if (!n->scap || !id)
		return -1;
	size_t i = sparse_slot(n, id);
	return n->skeys[i] ? (ssize_t)i : -1;
}

/* The sparse slot for id, added if new; -ENOMEM. */
static ssize_t sparse_add(struct names *n, uint32_t id)
{
	if ((n->sn + 1) * 2 > n->scap) {
		size_t cap = n->scap ? n->scap * 2 : 64;
		uint32_t *keys = calloc(cap, sizeof(*keys));
		struct ft_name *vals = calloc(cap, sizeof(*vals));
		uint8_t *bound = calloc(cap, 1);

		if (!keys || !vals || !bound) {
			free(keys);
			free(vals);
			free(bound);
			return -ENOMEM;
		}
		struct names old = {
			.skeys = n->skeys, .svals = n->svals, .sbound = n->sbound, .scap = n->scap};
		n->skeys = keys;
		n->svals = vals;
		n->sbound = bound;
		n->scap = cap;
		for (size_t i = 0; i < old.scap; i++) {
			if (!old.skeys[i])
				continue;
			size_t j = sparse_slot(n, old.skeys[i]);
			n->skeys[j] = old.skeys[i];
			n->svals[j] = old.svals[i];
			n->sbound[j] = old.sbound[i];
		}
		free(old.skeys);
		free(old.svals);
		free(old.sbound);
	}
	size_t i = sparse_slot(n, id);
	if (!n->skeys[i]) {
		n->skeys[i] = id;
		n->sn++;
	}
	return (ssize_t)i;
}

/* BOUND_* of id, 0 when unbound. */
static uint8_t bound_of(const struct names *n, uint32_t id)
{
	ssize_t i;

	if (id < n->nids_cap)
		return n->bound[id];
	i = sparse_find(n, id);
	return i < 0 ? 0 : n->sbound[i];
}

static const struct ft_name *name_of(const struct names *n, uint32_t id)
{
	ssize_t i;

	if (id < n->nids_cap)
		return n->bound[id] ? &n->ids[id] : NULL;
	i = sparse_find(n, id);
	return i < 0 || !n->sbound[i] ? NULL : &n->svals[i];
}

static int set_id(struct names *n, uint32_t id, uint8_t how, const struct ft_name *nm)
{
	/* the dense array reaches only as far as the ids bound justify */
	if (id >= n->nids_cap && id >= 4 * n->nids + DENSE_SLACK) {
		ssize_t i = sparse_add(n, id);

		if (i < 0)
			return (int)i;
		n->sbound[i] = how;
		n->svals[i] = *nm;
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
	return remap_put(n, id, alias);
}

uint32_t names__id(const struct names *n, uint32_t id)
{
	uint32_t alias;

	if (!n->nremap)
		return id;
	alias = remap_get(n, id);
	if (alias)
		return alias;
	/* an id of the wire that was never bound, where an alias lives: unknown */
	if (bound_of(n, id) == BOUND_ALIAS)
		return 0;
	return id;
}

const struct ft_name *names__get(const struct names *n, uint32_t id)
{
	const struct ft_name *nm = name_of(n, id);

	return nm ? nm : &unknown_name;
}

size_t names__strings(const struct names *n)
{
	return n->nstrings;
}

size_t names__ids(const struct names *n)
{
	return n->nids;
}
