/* SPDX-License-Identifier: MIT */
/* A small unit-test harness in the uftrace style: FT_TEST(name) registers a
 * test in a linker section; the runner forks each test, so a crash fails
 * only that test; a failed check prints both operands and ends the test. */
#ifndef FT_TEST_H
#define FT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ft_test {
	const char *name;
	const char *file;
	void (*fn)(void);
};

#define FT_TEST(n)                                                                      \
	static void ft_test_##n(void);                                                  \
	static const struct ft_test ft_test_desc_##n                                    \
		__attribute__((used, section("ft_tests"), aligned(sizeof(void *)))) = { \
			#n, __FILE__, ft_test_##n};                                     \
	static void ft_test_##n(void)

#define FT_FAIL(...)                                              \
	do {                                                      \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                     \
		fputc('\n', stderr);                              \
		_exit(1);                                         \
	} while (0)

#define FT_TRUE(x)                                        \
	do {                                              \
		if (!(x))                                 \
			FT_FAIL("expected true: %s", #x); \
	} while (0)

#define FT_EQ_INT(a, b)                                                    \
	do {                                                               \
		long long _a = (long long)(a), _b = (long long)(b);        \
		if (_a != _b)                                              \
			FT_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b); \
	} while (0)

#define FT_EQ_U64(a, b)                                                               \
	do {                                                                          \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                      \
		if (_a != _b)                                                         \
			FT_FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, _a, _b); \
	} while (0)

#define FT_EQ_STR(a, b)                                                             \
	do {                                                                        \
		const char *_a = (a), *_b = (b);                                    \
		if (!_a || !_b || strcmp(_a, _b))                                   \
			FT_FAIL("%s == %s:\n--- got\n%s\n--- expected\n%s", #a, #b, \
				_a ? _a : "(null)", _b ? _b : "(null)");            \
	} while (0)

#endif /* FT_TEST_H */
