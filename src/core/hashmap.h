/* SPDX-License-Identifier: MIT */
/* The one hash map of user space: 64-bit keys to 64-bit values, open
 * addressing with linear probing, at most half full. Pure.
 *
 * A key is an integer (a tid, a name id, a pair packed into 64 bits) or a
 * pointer compared by address; without callbacks it is hashed and compared
 * as such. A key whose meaning lies elsewhere (the contents of a string or
 * of a name, an index into the caller's array) gets a hash and an equal
 * callback, which see the key and ctx. To look such a key up, the caller
 * writes the candidate where the callbacks find it (the next free element
 * of its array, say) and adds it: hashmap__add() either keeps it or hands
 * back the value already stored, with one probe either way.
 *
 * The map sits inside its owner (hashmap__init(), hashmap__fini()) and
 * allocates only its slot array, on the first add. Nothing is ever deleted
 * one by one (no user needs it); hashmap__clear() forgets everything. */
#ifndef FT_HASHMAP_H
#define FT_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t (*hashmap_hash_fn)(uint64_t key, void *ctx);
typedef bool (*hashmap_equal_fn)(uint64_t a, uint64_t b, void *ctx);

struct hashmap_slot {
	uint64_t hash; /* 0: free; the key's hash otherwise (never 0, see hashmap.c) */
	uint64_t key;
	uint64_t value;
};

struct hashmap {
	struct hashmap_slot *slots;
	size_t cap;		/* a power of two, or 0 before the first add */
	size_t count;		/* keys stored */
	unsigned int shift;	/* 64 - log2(cap): a hash's top bits pick its slot */
	hashmap_hash_fn hash;	/* NULL: the key itself */
	hashmap_equal_fn equal; /* NULL: a == b */
	void *ctx;
};

/* An empty map; hash and equal both NULL (integer keys) or both set. A
 * zeroed struct hashmap is an empty map of integer keys too. */
void hashmap__init(struct hashmap *m, hashmap_hash_fn hash, hashmap_equal_fn equal, void *ctx);
/* Frees the slots; the map is empty and may be used again. */
void hashmap__fini(struct hashmap *m);
/* Forgets every key, keeping the slots for the keys to come. */
void hashmap__clear(struct hashmap *m);

/* Internal, inline for the users that look a key up per record. A hash
 * is spread by a Fibonacci multiply (2^64 / golden ratio, odd) and picks
 * its slot by the product's top bits: tids and ids that count up, and
 * pointers whose low bits are all zero, land far apart whatever the
 * owner's hash is like. The low bit is set: 0 marks a free slot. */
static inline uint64_t hashmap__hash_of(const struct hashmap *m, uint64_t key)
{
	uint64_t h = m->hash ? m->hash(key, m->ctx) : key;

	return (h * 0x9e3779b97f4a7c15ULL) | 1;
}

/* Internal: the slot holding key, or the free slot where it would go.
 * There is always a free slot: the map is never more than three quarters
 * full. */
static inline struct hashmap_slot *hashmap__probe(const struct hashmap *m, uint64_t h, uint64_t key)
{
	size_t mask = m->cap - 1;

	for (size_t i = h >> m->shift;; i = (i + 1) & mask) {
		struct hashmap_slot *s = &m->slots[i];

		if (!s->hash)
			return s;
		if (s->hash == h && (m->equal ? m->equal(s->key, key, m->ctx) : s->key == key))
			return s;
	}
}

/* Whether key is stored; its value goes to *value (when not NULL). */
static inline bool hashmap__find(const struct hashmap *m, uint64_t key, uint64_t *value)
{
	const struct hashmap_slot *s;

	if (!m->count)
		return false;
	s = hashmap__probe(m, hashmap__hash_of(m, key), key);
	if (!s->hash)
		return false;
	if (value)
		*value = s->value;
	return true;
}

/* Adds key -> value. Returns 0, -EEXIST when key is stored already (its
 * value then goes to *old when not NULL, and nothing changes), or -ENOMEM
 * (nothing changes). When the slots cannot grow, the map fills up to three
 * quarters before it refuses: probing gets longer, nothing is lost. */
int hashmap__add(struct hashmap *m, uint64_t key, uint64_t value, uint64_t *old);

/* Adds key -> value, or replaces the value of a stored key. Returns 0 or
 * -ENOMEM (nothing changes). */
int hashmap__set(struct hashmap *m, uint64_t key, uint64_t value);

/* Mixes v into h, for hash callbacks of keys made of several fields:
 * hashmap_mix(hashmap_mix(0, a), b). The map spreads the result itself. */
static inline uint64_t hashmap_mix(uint64_t h, uint64_t v)
{
	return ((h << 5 | h >> 59) ^ v) * 0x517cc1b727220a95ULL;
}

static inline size_t hashmap__count(const struct hashmap *m)
{
	return m->count;
}

/* Iterates in slot order (no particular order): *pos starts at 0. Returns
 * false once every key was seen. */
bool hashmap__next(const struct hashmap *m, size_t *pos, uint64_t *key, uint64_t *value);

#endif /* FT_HASHMAP_H */
