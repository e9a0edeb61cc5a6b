/* SPDX-License-Identifier: MIT */
/* Checked number parsers: every number a user or a file gives goes through
 * one of these (end pointer and range checked). Pure. Each returns 0 or
 * -EINVAL (garbage, trailing characters, out of range). */
#ifndef FT_PARSE_H
#define FT_PARSE_H

#include <stdint.h>

/* a decimal integer in [min, max] */
int parse_int(const char *s, long min, long max, long *out);
/* "250", "10us", "5ms", "1.5s", "2m": nanoseconds; a bare number is in us */
int parse_duration_ns(const char *s, uint64_t *out);
/* "4096", "64K", "8M", "1G": bytes */
int parse_size(const char *s, uint64_t *out);
/* "30", "0.5", "2m": seconds, > 0 */
int parse_seconds(const char *s, double *out);

#endif /* FT_PARSE_H */
