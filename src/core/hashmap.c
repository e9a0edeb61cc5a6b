// SPDX-License-Identifier: MIT
/* The hash map (see hashmap.h, which holds the lookup). Each slot keeps
 * its key's hash, so growing never calls back into the owner and most
 * mismatches cost one compare. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashmap.h"

#define MIN_CAP 16

void hashmap__init(struct hashmap *m, hashmap_hash_fn hash, hashmap_equal_fn equal, void *ctx)
{
	*m = (struct hashmap){.hash = hash, .equal = equal, .ctx = ctx};
}

void hashmap__fini(struct hashmap *m)
{
	free(m->slots);
	hashmap__init(m, m->hash, m->equal, m->ctx);
}

void hashmap__clear(struct hashmap *m)
{
	if (m->slots)
		memset(m->slots, 0, m->cap * sizeof(*m->slots));
	m->count = 0;
}

static int resize(struct hashmap *m, size_t cap)
{
	struct hashmap_slot *slots;
	unsigned int shift;

	if (cap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	shift = 64 - (unsigned int)__builtin_ctzll(cap);
	for (size_t i = 0; i < m->cap; i++) {
		const struct hashmap_slot *s = &m->slots[i];
		size_t j;

		if (!s->hash)
			continue;
		for (j = s->hash >> shift; slots[j].hash; j = (j + 1) & (cap - 1))
			;
		slots[j] = *s;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	m->shift = shift;
	return 0;
}

/* A free slot for h and key, which is not stored, once the map has grown
 * if it has to; NULL when there is no room. s is the free slot the probe
 * found. */
static struct hashmap_slot *room_for(struct hashmap *m, struct hashmap_slot *s, uint64_t h,
				     uint64_t key)
{
	if (!m->cap)
		return resize(m, MIN_CAP) ? NULL : hashmap__probe(m, h, key);
	if ((m->count + 1) * 2 <= m->cap)
		return s;
	if (!resize(m, m->cap * 2))
		return hashmap__probe(m, h, key);
	/* no memory to grow: fuller is still correct, up to a point */
	return (m->count + 1) * 4 <= m->cap * 3 ? s : NULL;
}

/* hashmap__add() and, with replace, hashmap__set(). */
static inline int insert(struct hashmap *m, uint64_t key, uint64_t value, uint64_t *old,
			 bool replace)
{
	uint64_t h = hashmap__hash_of(m, key);
	struct hashmap_slot *s = m->cap ? hashmap__probe(m, h, key) : NULL;

	if (s && s->hash) {
		if (replace) {
			s->value = value;
			return 0;
		}
		if (old)
			*old = s->value;
		return -EEXIST;
	}
	s = room_for(m, s, h, key);
	if (!s)
		return -ENOMEM;
	*s = (struct hashmap_slot){.hash = h, .key = key, .value = value};
	m->count++;
	return 0;
}

int hashmap__add(struct hashmap *m, uint64_t key, uint64_t value, uint64_t *old)
{
	return insert(m, key, value, old, false);
}

int hashmap__set(struct hashmap *m, uint64_t key, uint64_t value)
{
	return insert(m, key, value, NULL, true);
}

bool hashmap__next(const struct hashmap *m, size_t *pos, uint64_t *key, uint64_t *value)
{
	for (; *pos < m->cap; (*pos)++) {
		const struct hashmap_slot *s = &m->slots[*pos];

		if (!s->hash)
			continue;
		(*pos)++;
		if (key)
			*key = s->key;
		if (value)
			*value = s->value;
		return true;
	}
	return false;
}
