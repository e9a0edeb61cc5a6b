// SPDX-License-Identifier: MIT
/* Checked number parsers; see parse.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sys/parse.h"

int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A non-negative decimal number and its unit suffix. */
static int parse_number_unit(const char *s, double *v, const char **unit)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || !isfinite(*v) || *v < 0)
		return -EINVAL;
	/* strtod takes hex and exponents; accept only plain decimals */
	for (const char *p = s; p < end; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return -EINVAL;
	*unit = end;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t *out)
{
	static const struct {
		const char *name;
		double ns;
	} units[] = {{"", 1e3},	 {"ns", 1},   {"us", 1e3},  {"ms", 1e6},
		     {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	const char *unit;
	double v;

	if (parse_number_unit(s, &v, &unit))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].name))
			continue;
		double ns = v * units[i].ns;
		if (ns >= 1.8e19)
			return -EINVAL;
		*out = (uint64_t)ns;
		return 0;
	}
	return -EINVAL;
}

int parse_seconds(const char *s, double *out)
{
	uint64_t ns;
	const char *unit;
	double v;

	if (parse_number_unit(s, &v, &unit))
		return -EINVAL;
	/* a bare number is seconds here */
	if (!*unit) {
		if (v <= 0 || v > 1e9)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (parse_duration_ns(s, &ns) || ns == 0)
		return -EINVAL;
	*out = ns / 1e9;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	const char *unit;
	double v, mult;

	if (parse_number_unit(s, &v, &unit))
		return -EINVAL;
	if (!*unit)
		mult = 1;
	else if (!strcmp(unit, "K") || !strcmp(unit, "k") || !strcmp(unit, "KiB"))
		mult = 1024;
	else if (!strcmp(unit, "M") || !strcmp(unit, "MiB"))
		mult = 1024 * 1024;
	else if (!strcmp(unit, "G") || !strcmp(unit, "GiB"))
		mult = 1024.0 * 1024 * 1024;
	else
		return -EINVAL;
	v *= mult;
	if (v != floor(v) || v > 1e18)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}
