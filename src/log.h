/* SPDX-License-Identifier: MIT */
/* Diagnostics on stderr: every error is one line naming the problem, then,
 * when the user can do something, one "hint:" line. */
#ifndef FT_LOG_H
#define FT_LOG_H

/* Prints "flowtrace-bpf: <fmt...>" and, unless hint is NULL or empty,
 * "hint: <hint>". */
void log_error(const char *hint, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* FT_LOG_H */
