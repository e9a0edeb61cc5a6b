// SPDX-License-Identifier: MIT
/* Name table: string interning (open-addressing hash set of arena strings)
 * and the dense id -> (function, file, line) array BPF's ids index. An id
 * far beyond the ids bound so far (a damaged trace file, or ids spent on
 * names the ring had no room for) goes to a small hash instead, so memory
 * follows the names bound, never the largest id claimed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

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
	uint8_t *bound;
	size_t nids_cap, nids;
	/* sparse ids: open addressing, key 0 is free (id 0 is never bound) */
	uint32_t *skeys;
	struct ft_name *svals;
	size_t scap, sn;
};

/* The dense array covers ids below 4 per id bound plus this. */
#define DENSE_SLACK (64 * 1024)

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
	free(n->skeys);
	free(n->svals);
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

static size_t sparse_slot(const struct names *n, uint32_t id)
{
	size_t i = (id * 2654435761u) & (n->scap - 1);

	while (n->skeys[i] && n->skeys[i] != id)
		i = (i + 1) & (n->scap - 1);
	return i;
}

static struct ft_name *sparse_get(const struct names *n, uint32_t id)
{
	if (!n->scap || !id)
		return NULL;
	size_t i = sparse_slot(n, id);
	return n->skeys[i] ? &n->svals[i] : NULL;
}

/* The entry for id in the sparse hash, added if new; NULL when out of memory. */
static struct ft_name *sparse_add(struct names *n, uint32_t id)
{
	if ((n->sn + 1) * 2 > n->scap) {
		size_t cap = n->scap ? n->scap * 2 : 64;
		uint32_t *keys = calloc(cap, sizeof(*keys));
		struct ft_name *vals = calloc(cap, sizeof(*vals));

		if (!keys || !vals) {
			free(keys);
			free(vals);
			return NULL;
		}
		struct names old = {.skeys = n->skeys, .svals = n->svals, .scap = n->scap};
		n->skeys = keys;
		n->svals = vals;
		n->scap = cap;
		for (size_t i = 0; i < old.scap; i++) {
			if (!old.skeys[i])
				continue;
			size_t j = sparse_slot(n, old.skeys[i]);
			n->skeys[j] = old.skeys[i];
			n->svals[j] = old.svals[i];
		}
		free(old.skeys);
		free(old.svals);
	}
	size_t i = sparse_slot(n, id);
	if (!n->skeys[i]) {
		n->skeys[i] = id;
		n->sn++;
		n->nids++;
	}
	return &n->svals[i];
}

int names__bind(struct names *n, uint32_t id, const char *func, size_t func_len, const char *file,
		size_t file_len, uint32_t line, uint32_t flags)
{
	struct ft_name *slot = sparse_get(n, id);

	/* the dense array reaches only as far as the ids bound justify */
	if (!slot && id >= n->nids_cap && id >= 4 * n->nids + DENSE_SLACK) {
		slot = sparse_add(n, id);
		if (!slot)
			return -ENOMEM;
	}
	if (slot) {
		const char *f = names__intern(n, func, func_len);
		const char *p = names__intern(n, file, file_len);

		if (!f || !p)
			return -ENOMEM;
		*slot = (struct ft_name){.func = f, .file = p, .line = line, .flags = flags};
		return 0;
	}
	if (id >= n->nids_cap) {
		size_t cap = n->nids_cap ? n->nids_cap : 1024;

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
	}
	const char *f = names__intern(n, func, func_len);
	const char *p = names__intern(n, file, file_len);
	if (!f || !p)
		return -ENOMEM;
	if (!n->bound[id])
		n->nids++;
	n->bound[id] = 1;
	n->ids[id] = (struct ft_name){.func = f, .file = p, .line = line, .flags = flags};
	return 0;
}

const struct ft_name *names__get(const struct names *n, uint32_t id)
{
	if (id < n->nids_cap && n->bound[id])
		return &n->ids[id];
	const struct ft_name *s = sparse_get(n, id);
	return s ? s : &unknown_name;
}

size_t names__strings(const struct names *n)
{
	return n->nstrings;
}

size_t names__ids(const struct names *n)
{
	return n->nids;
}
