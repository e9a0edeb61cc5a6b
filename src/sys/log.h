/* SPDX-License-Identifier: MIT */
/* Diagnostics on stderr: every error is one line naming the problem, then,
 * when the user can do something, one "hint:" line. */
#ifndef FT_LOG_H
#define FT_LOG_H

#include <stdarg.h>
#include <stddef.h>

/* Prints "flowtrace-bpf: <fmt...>" and, unless hint is NULL or empty,
 * "hint: <hint>", each escaped as log_line() does. */
void log_error(const char *hint, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Formats into buf (len bytes) and turns control characters (C0, DEL, C1)
 * and Unicode bidirectional controls, which a file name can carry, into
 * '?', one per byte: the result is one line that cannot drive a terminal. */
void log_line(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_vline(char *buf, size_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif /* FT_LOG_H */
