// SPDX-License-Identifier: MIT
/* Checked number parsers: end pointer, units and range. */
#include <errno.h>

#include "sys/parse.h"
#include "test.h"

FT_TEST(parse_int_checked)
{
	long v;

	FT_EQ_INT(parse_int("42", 1, 100, &v), 0);
	FT_EQ_INT(v, 42);
	FT_EQ_INT(parse_int("0", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("101", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("12abc", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("abc", 1, 100, &v), -EINVAL);
	FT_EQ_INT(parse_int("99999999999999999999", 1, 0x7fffffff, &v), -EINVAL);
	FT_EQ_INT(parse_int("-3", 1, 100, &v), -EINVAL);
}

FT_TEST(parse_duration)
{
	uint64_t ns;

	FT_EQ_INT(parse_duration_ns("250", &ns), 0);
	FT_EQ_U64(ns, 250000); /* bare numbers are microseconds, as in uftrace */
	FT_EQ_INT(parse_duration_ns("10us", &ns), 0);
	FT_EQ_U64(ns, 10000);
	FT_EQ_INT(parse_duration_ns("1.5ms", &ns), 0);
	FT_EQ_U64(ns, 1500000);
	FT_EQ_INT(parse_duration_ns("2s", &ns), 0);
	FT_EQ_U64(ns, 2000000000ULL);
	FT_EQ_INT(parse_duration_ns("100ns", &ns), 0);
	FT_EQ_U64(ns, 100);
	FT_EQ_INT(parse_duration_ns("1m", &ns), 0);
	FT_EQ_U64(ns, 60000000000ULL);
	FT_EQ_INT(parse_duration_ns("5 ms", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("-5ms", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("5parsecs", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("0x10", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("1e3", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("nan", &ns), -EINVAL);
	FT_EQ_INT(parse_duration_ns("", &ns), -EINVAL);
}

FT_TEST(parse_seconds_and_size)
{
	double s;
	uint64_t b;

	FT_EQ_INT(parse_seconds("10", &s), 0);
	FT_TRUE(s == 10);
	FT_EQ_INT(parse_seconds("0.5", &s), 0);
	FT_TRUE(s == 0.5);
	FT_EQ_INT(parse_seconds("2m", &s), 0);
	FT_TRUE(s == 120);
	FT_EQ_INT(parse_seconds("0", &s), -EINVAL);
	FT_EQ_INT(parse_seconds("ten", &s), -EINVAL);
	FT_EQ_INT(parse_size("4096", &b), 0);
	FT_EQ_U64(b, 4096);
	FT_EQ_INT(parse_size("64K", &b), 0);
	FT_EQ_U64(b, 65536);
	FT_EQ_INT(parse_size("8M", &b), 0);
	FT_EQ_U64(b, 8 << 20);
	FT_EQ_INT(parse_size("1G", &b), 0);
	FT_EQ_U64(b, 1ULL << 30);
	FT_EQ_INT(parse_size("1.5K", &b), 0);
	FT_EQ_U64(b, 1536);
	FT_EQ_INT(parse_size("1.3", &b), -EINVAL);
	FT_EQ_INT(parse_size("8Q", &b), -EINVAL);
}
