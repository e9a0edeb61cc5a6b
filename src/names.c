// SPDX-License-Identifier: MIT
/* Name table: string interning (open-addressing hash set of arena strings)
 * and the dense id -> (function, file, line) array BPF's ids index. */
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
};

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

int names__bind(struct names *n, uint32_t id, const char *func, size_t func_len, const char *file,
		size_t file_len, uint32_t line, uint32_t flags)
{
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
	return &unknown_name;
}

size_t names__strings(const struct names *n)
{
	return n->nstrings;
}

size_t names__ids(const struct names *n)
{
	return n->nids;
}
