// SPDX-License-Identifier: MIT
/* The hash map and the growth helper: integer keys, keys with callbacks,
 * collisions, growth, clearing, iteration, and running out of memory. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "core/grow.h"
#include "core/hashmap.h"
#include "test.h"

FT_TEST(hashmap_empty_finds_nothing)
{
	struct hashmap m;
	size_t pos = 0;

	hashmap__init(&m, NULL, NULL, NULL);
	FT_TRUE(!hashmap__find(&m, 0, NULL));
	FT_TRUE(!hashmap__find(&m, 42, NULL));
	FT_TRUE(!hashmap__next(&m, &pos, NULL, NULL));
	FT_EQ_INT(hashmap__count(&m), 0);
	hashmap__clear(&m); /* nothing allocated yet */
	hashmap__fini(&m);
	hashmap__fini(&m); /* twice is fine */
}

FT_TEST(hashmap_add_find_set)
{
	struct hashmap m;
	uint64_t v = 0;

	hashmap__init(&m, NULL, NULL, NULL);
	/* 0 and all-ones are keys like any other */
	FT_EQ_INT(hashmap__add(&m, 0, 10, NULL), 0);
	FT_EQ_INT(hashmap__add(&m, UINT64_MAX, 20, NULL), 0);
	FT_EQ_INT(hashmap__add(&m, 7, 0, NULL), 0);
	FT_EQ_INT(hashmap__count(&m), 3);
	FT_TRUE(hashmap__find(&m, 0, &v));
	FT_EQ_U64(v, 10);
	FT_TRUE(hashmap__find(&m, UINT64_MAX, &v));
	FT_EQ_U64(v, 20);
	FT_TRUE(hashmap__find(&m, 7, &v));
	FT_EQ_U64(v, 0);
	FT_TRUE(hashmap__find(&m, 7, NULL));
	FT_TRUE(!hashmap__find(&m, 1, &v));
	FT_EQ_U64(v, 0); /* untouched on a miss */

	/* adding a stored key changes nothing and tells its value */
	v = 99;
	FT_EQ_INT(hashmap__add(&m, 0, 11, &v), -EEXIST);
	FT_EQ_U64(v, 10);
	FT_EQ_INT(hashmap__add(&m, 0, 11, NULL), -EEXIST);
	FT_TRUE(hashmap__find(&m, 0, &v));
	FT_EQ_U64(v, 10);
	FT_EQ_INT(hashmap__count(&m), 3);

	/* set replaces, or adds */
	FT_EQ_INT(hashmap__set(&m, 0, 12), 0);
	FT_EQ_INT(hashmap__set(&m, 8, 80), 0);
	FT_EQ_INT(hashmap__count(&m), 4);
	FT_TRUE(hashmap__find(&m, 0, &v));
	FT_EQ_U64(v, 12);
	FT_TRUE(hashmap__find(&m, 8, &v));
	FT_EQ_U64(v, 80);
	hashmap__fini(&m);
	FT_EQ_INT(hashmap__count(&m), 0);
	FT_TRUE(!hashmap__find(&m, 8, NULL));
	/* usable again after fini */
	FT_EQ_INT(hashmap__add(&m, 8, 1, NULL), 0);
	FT_TRUE(hashmap__find(&m, 8, &v));
	FT_EQ_U64(v, 1);
	hashmap__fini(&m);
}

/* A deterministic scramble, so the keys are not only counting up. */
static uint64_t scramble(uint64_t x)
{
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

FT_TEST(hashmap_many_keys_grow)
{
	enum { N = 200000 };
	struct hashmap m;
	uint64_t v;

	hashmap__init(&m, NULL, NULL, NULL);
	for (uint64_t i = 0; i < N; i++) {
		FT_EQ_INT(hashmap__add(&m, i, i * 3, NULL), 0);
		/* like pointers: the low bits are all zero */
		FT_EQ_INT(hashmap__add(&m, (i + 1) << 32, i, NULL), 0);
		FT_EQ_INT(hashmap__add(&m, scramble(i) | 1ULL << 63, ~i, NULL), 0);
		/* never more than half full, a power of two */
		FT_TRUE(hashmap__count(&m) * 2 <= m.cap);
		FT_EQ_U64(m.cap & (m.cap - 1), 0);
	}
	FT_EQ_INT(hashmap__count(&m), 3 * N);
	for (uint64_t i = 0; i < N; i++) {
		FT_TRUE(hashmap__find(&m, i, &v));
		FT_EQ_U64(v, i * 3);
		FT_TRUE(hashmap__find(&m, (i + 1) << 32, &v));
		FT_EQ_U64(v, i);
		FT_TRUE(hashmap__find(&m, scramble(i) | 1ULL << 63, &v));
		FT_EQ_U64(v, ~i);
	}
	/* misses: keys near the stored ones */
	FT_TRUE(!hashmap__find(&m, N, NULL));
	FT_TRUE(!hashmap__find(&m, (N + 1ULL) << 32, NULL));
	FT_TRUE(!hashmap__find(&m, ((N + 1ULL) << 32) + 1, NULL));
	hashmap__fini(&m);
}

static uint64_t same_hash(uint64_t key, void *ctx)
{
	return *(const uint64_t *)ctx;
}

static bool int_equal(uint64_t a, uint64_t b, void *ctx)
{
	return a == b;
}

FT_TEST(hashmap_collisions_all_in_one_chain)
{
	uint64_t h = 12345, v;
	struct hashmap m;

	hashmap__init(&m, same_hash, int_equal, &h);
	for (uint64_t i = 0; i < 3000; i++)
		FT_EQ_INT(hashmap__add(&m, i * 7, i, NULL), 0);
	for (uint64_t i = 0; i < 3000; i++) {
		FT_TRUE(hashmap__find(&m, i * 7, &v));
		FT_EQ_U64(v, i);
		FT_TRUE(!hashmap__find(&m, i * 7 + 1, NULL));
		FT_EQ_INT(hashmap__add(&m, i * 7, 0, &v), -EEXIST);
		FT_EQ_U64(v, i);
	}
	FT_EQ_INT(hashmap__count(&m), 3000);
	hashmap__fini(&m);
}

/* Where the first key of a map landed: hashmap__next's position is one
 * past its slot. */
static size_t slot_of_only_key(struct hashmap *m)
{
	size_t pos = 0;

	FT_TRUE(hashmap__next(m, &pos, NULL, NULL));
	return pos - 1;
}

FT_TEST(hashmap_probing_wraps_around)
{
	struct hashmap m;
	uint64_t h, v;

	/* a hash whose slot is the last of the first table */
	for (h = 0;; h++) {
		hashmap__init(&m, same_hash, int_equal, &h);
		FT_EQ_INT(hashmap__add(&m, 100, 0, NULL), 0);
		if (slot_of_only_key(&m) == m.cap - 1)
			break;
		hashmap__fini(&m);
		FT_TRUE(h < 100000);
	}
	FT_EQ_INT(hashmap__add(&m, 101, 1, NULL), 0);
	FT_EQ_INT(hashmap__add(&m, 102, 2, NULL), 0);
	/* the chain goes on at slot 0 */
	size_t pos = 0;
	uint64_t k;
	FT_TRUE(hashmap__next(&m, &pos, &k, &v));
	FT_EQ_U64(pos, 1);
	FT_EQ_U64(k, 101);
	for (uint64_t i = 0; i < 3; i++) {
		FT_TRUE(hashmap__find(&m, 100 + i, &v));
		FT_EQ_U64(v, i);
	}
	FT_TRUE(!hashmap__find(&m, 103, NULL));
	hashmap__fini(&m);
}

/* Keys that are indexes into an array of strings, compared by contents:
 * the owner's usual pattern (a candidate in the next free element). */
struct strings {
	const char *s[8];
};

static uint64_t str_hash(uint64_t key, void *ctx)
{
	const struct strings *t = ctx;
	uint64_t h = 0;

	for (const char *p = t->s[key]; *p; p++)
		h = h * 31 + (unsigned char)*p;
	return h;
}

static bool str_equal(uint64_t a, uint64_t b, void *ctx)
{
	const struct strings *t = ctx;

	return !strcmp(t->s[a], t->s[b]);
}

FT_TEST(hashmap_keys_with_callbacks)
{
	static const char *const words[] = {"fib", "main", "fib", "run", "main", "fib"};
	struct strings t = {{0}};
	size_t n = 0;
	struct hashmap m;
	uint64_t first[6];

	hashmap__init(&m, str_hash, str_equal, &t);
	for (size_t i = 0; i < 6; i++) {
		uint64_t old;
		int err;

		t.s[n] = words[i]; /* the candidate */
		err = hashmap__add(&m, n, n, &old);
		if (!err) {
			first[i] = n++;
		} else {
			FT_EQ_INT(err, -EEXIST);
			first[i] = old;
		}
	}
	FT_EQ_INT(n, 3);
	FT_EQ_INT(hashmap__count(&m), 3);
	FT_EQ_U64(first[0], 0);
	FT_EQ_U64(first[1], 1);
	FT_EQ_U64(first[2], 0);
	FT_EQ_U64(first[3], 2);
	FT_EQ_U64(first[4], 1);
	FT_EQ_U64(first[5], 0);
	hashmap__fini(&m);
}

FT_TEST(hashmap_clear_forgets_and_keeps_room)
{
	struct hashmap m;
	size_t cap;
	uint64_t v;

	hashmap__init(&m, NULL, NULL, NULL);
	for (uint64_t i = 0; i < 1000; i++)
		FT_EQ_INT(hashmap__add(&m, i, i, NULL), 0);
	cap = m.cap;
	hashmap__clear(&m);
	FT_EQ_INT(hashmap__count(&m), 0);
	FT_EQ_U64(m.cap, cap);
	for (uint64_t i = 0; i < 1000; i++)
		FT_TRUE(!hashmap__find(&m, i, NULL));
	FT_EQ_INT(hashmap__add(&m, 5, 50, NULL), 0);
	FT_TRUE(hashmap__find(&m, 5, &v));
	FT_EQ_U64(v, 50);
	FT_EQ_INT(hashmap__count(&m), 1);
	hashmap__fini(&m);
}

FT_TEST(hashmap_next_visits_each_key_once)
{
	enum { N = 5000 };
	static uint8_t seen[N];
	struct hashmap m;
	size_t pos = 0, n = 0;
	uint64_t k, v;

	hashmap__init(&m, NULL, NULL, NULL);
	for (uint64_t i = 0; i < N; i++)
		FT_EQ_INT(hashmap__add(&m, i, i + 1, NULL), 0);
	while (hashmap__next(&m, &pos, &k, &v)) {
		FT_TRUE(k < N);
		FT_EQ_U64(v, k + 1);
		FT_EQ_INT(seen[k]++, 0);
		n++;
	}
	FT_EQ_INT(n, N);
	FT_TRUE(!hashmap__next(&m, &pos, &k, &v)); /* stays at the end */
	hashmap__fini(&m);
}

/* Lowers the address-space limit to what is mapped now plus room bytes.
 * ASan reserves terabytes of shadow memory up front and aborts on a failed
 * allocation, so there the limit cannot make one allocation fail. */
static bool limit_memory(size_t room, struct rlimit *old)
{
#if defined(__SANITIZE_ADDRESS__)
	return false;
#else
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	struct rlimit lim;

	FT_TRUE(f);
	FT_EQ_INT(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	FT_EQ_INT(getrlimit(RLIMIT_AS, old), 0);
	lim = *old;
	lim.rlim_cur = pages * (size_t)sysconf(_SC_PAGESIZE) + room;
	FT_EQ_INT(setrlimit(RLIMIT_AS, &lim), 0);
	return true;
#endif
}

FT_TEST(hashmap_out_of_memory_keeps_every_key)
{
	struct hashmap m;
	struct rlimit old;
	uint64_t k = 0, v;
	size_t cap;
	int err;

	hashmap__init(&m, NULL, NULL, NULL);
	/* 64K slots of 24 bytes; growing needs 3 MB more at once */
	for (; m.cap < 65536; k++)
		FT_EQ_INT(hashmap__add(&m, k, ~k, NULL), 0);
	cap = m.cap;
	if (!limit_memory(1 << 20, &old))
		return;
	while ((err = hashmap__add(&m, k, ~k, NULL)) == 0)
		k++;
	FT_EQ_INT(err, -ENOMEM);
	/* it could not grow, and filled up to three quarters instead */
	FT_EQ_U64(m.cap, cap);
	FT_EQ_U64(hashmap__count(&m), cap / 4 * 3);
	FT_EQ_U64(hashmap__count(&m), k);
	for (uint64_t i = 0; i < k; i++) {
		FT_TRUE(hashmap__find(&m, i, &v));
		FT_EQ_U64(v, ~i);
	}
	FT_TRUE(!hashmap__find(&m, k, NULL));
	/* a stored key needs no room */
	FT_EQ_INT(hashmap__add(&m, 3, 0, &v), -EEXIST);
	FT_EQ_U64(v, ~3ULL);
	FT_EQ_INT(hashmap__set(&m, 3, 33), 0);
	FT_EQ_INT(hashmap__set(&m, k, 33), -ENOMEM);
	FT_TRUE(!hashmap__find(&m, k, NULL));
	/* memory back: it grows again */
	FT_EQ_INT(setrlimit(RLIMIT_AS, &old), 0);
	FT_EQ_INT(hashmap__add(&m, k, ~k, NULL), 0);
	FT_EQ_U64(m.cap, cap * 2);
	FT_TRUE(hashmap__find(&m, 3, &v));
	FT_EQ_U64(v, 33);
	hashmap__fini(&m);
}

FT_TEST(hashmap_no_memory_for_the_first_slots)
{
	struct hashmap m;
	struct rlimit old;
	void *hog;

	hashmap__init(&m, NULL, NULL, NULL);
	if (!limit_memory(1 << 20, &old))
		return;
	/* use up what is left, so the first slot array cannot come */
	for (size_t size = 1 << 20; size; size /= 2)
		while ((hog = malloc(size)))
			;
	FT_EQ_INT(hashmap__add(&m, 1, 1, NULL), -ENOMEM);
	FT_EQ_INT(hashmap__set(&m, 1, 1), -ENOMEM);
	FT_EQ_INT(hashmap__count(&m), 0);
	FT_TRUE(!hashmap__find(&m, 1, NULL));
}

FT_TEST(grow_array_doubles_and_keeps_contents)
{
	uint32_t *a = NULL;
	size_t cap = 0;

	FT_EQ_INT(grow_array((void **)&a, &cap, 0, sizeof(*a)), 0);
	FT_TRUE(!a); /* nothing needed, nothing allocated */
	for (uint32_t i = 0; i < 10000; i++) {
		size_t before = cap;

		FT_EQ_INT(grow_array((void **)&a, &cap, i + 1, sizeof(*a)), 0);
		FT_TRUE(cap >= i + 1);
		FT_TRUE(cap == before || cap == (before ? before * 2 : 16));
		a[i] = i;
	}
	for (uint32_t i = 0; i < 10000; i++)
		FT_EQ_INT(a[i], i);
	/* a jump: doubles until it fits */
	FT_EQ_INT(grow_array((void **)&a, &cap, 100000, sizeof(*a)), 0);
	FT_EQ_U64(cap, 131072);
	FT_EQ_INT(a[9999], 9999);
	free(a);
}

FT_TEST(grow_array_overflow_and_no_memory_change_nothing)
{
	uint64_t *a = NULL;
	size_t cap = 0;
	struct rlimit old;

	FT_EQ_INT(grow_array((void **)&a, &cap, 4, sizeof(*a)), 0);
	a[3] = 42;
	FT_EQ_INT(grow_array((void **)&a, &cap, SIZE_MAX, sizeof(*a)), -ENOMEM);
	FT_EQ_INT(grow_array((void **)&a, &cap, SIZE_MAX / 4, sizeof(*a)), -ENOMEM);
	FT_EQ_U64(cap, 16);
	FT_EQ_U64(a[3], 42);
	if (!limit_memory(1 << 20, &old))
		goto out;
	FT_EQ_INT(grow_array((void **)&a, &cap, 1 << 20, sizeof(*a)), -ENOMEM);
	FT_EQ_U64(cap, 16);
	FT_EQ_U64(a[3], 42);
out:
	free(a);
}

FT_TEST(hashmap_mix_tells_fields_apart)
{
	struct hashmap m;

	/* every (a, b) of small fields, in either order, is another hash */
	hashmap__init(&m, NULL, NULL, NULL);
	for (uint64_t a = 0; a < 300; a++)
		for (uint64_t b = 0; b < 300; b++)
			FT_EQ_INT(hashmap__add(&m, hashmap_mix(hashmap_mix(0, a), b), 0, NULL), 0);
	FT_EQ_INT(hashmap__count(&m), 300 * 300);
	hashmap__fini(&m);
}
