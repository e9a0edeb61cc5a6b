// SPDX-License-Identifier: MIT
/* The hash map (see hashmap.h). Each slot keeps its key's hash, so growing
 * never calls back into the owner and most mismatches cost one compare.
 * Hashes are spread by a Fibonacci multiply (an odd constant near 2^64 /
 * golden ratio) and a slot is picked by the product's top bits: tids and
 * ids that count up, and pointers whose low bits are all zero, land far
 * apart whatever the owner's hash is like. */
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

/* Never 0, which marks a free slot: the low bit is set (the slot comes
 * from the top bits, so it does not matter there). */
static inline uint64_t hash_of(const struct hashmap *m, uint64_t key)
{
	uint64_t h = m->hash ? m->hash(key, m->ctx) : key;

	return (h * 0x9e3779b97f4a7c15ULL) | 1;
}

static inline bool same_key(const struct hashmap *m, uint64_t a, uint64_t b)
{
	return m->equal ? m->equal(a, b, m->ctx) : a == b;
}

/* The slot holding key, or the free slot where it would go. There is
 * always a free slot: the map is never more than three quarters full. */
static inline struct hashmap_slot *probe(const struct hashmap *m, uint64_t h, uint64_t key)
{
	size_t mask = m->cap - 1;

	for (size_t i = h >> m->shift;; i = (i + 1) & mask) {
		struct hashmap_slot *s = &m->slots[i];

		if (!s->hash || (s->hash == h && same_key(m, s->key, key)))
			return s;
	}
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

bool hashmap__find(const struct hashmap *m, uint64_t key, uint64_t *value)
{
	const struct hashmap_slot *s;

	if (!m->count)
		return false;
	s = probe(m, hash_of(m, key), key);
	if (!s->hash)
		return false;
	if (value)
		*value = s->value;
	return true;
}

/* The slot for key: its own (hash set) or a free one it may take; NULL
 * when it is not stored and there is no room for it. */
static struct hashmap_slot *slot_for(struct hashmap *m, uint64_t key, uint64_t h)
{
	struct hashmap_slot *s;

	if (!m->cap && resize(m, MIN_CAP))
		return NULL;
	s = probe(m, h, key);
	if (s->hash || (m->count + 1) * 2 <= m->cap)
		return s;
	if (!resize(m, m->cap * 2))
		return probe(m, h, key);
	/* no memory to grow: fuller is still correct, up to a point */
	return (m->count + 1) * 4 <= m->cap * 3 ? s : NULL;
}

static void fill(struct hashmap *m, struct hashmap_slot *s, uint64_t h, uint64_t key,
		 uint64_t value)
{
	*s = (struct hashmap_slot){.hash = h, .key = key, .value = value};
	m->count++;
}

int hashmap__add(struct hashmap *m, uint64_t key, uint64_t value, uint64_t *old)
{
	uint64_t h = hash_of(m, key);
	struct hashmap_slot *s = slot_for(m, key, h);

	if (!s)
		return -ENOMEM;
	if (s->hash) {
		if (old)
			*old = s->value;
		return -EEXIST;
	}
	fill(m, s, h, key, value);
	return 0;
}

int hashmap__set(struct hashmap *m, uint64_t key, uint64_t value)
{
	uint64_t h = hash_of(m, key);
	struct hashmap_slot *s = slot_for(m, key, h);

	if (!s)
		return -ENOMEM;
	if (s->hash)
		s->value = value;
	else
		fill(m, s, h, key, value);
	return 0;
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
