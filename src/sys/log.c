// SPDX-License-Identifier: MIT
/* Diagnostics on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sys/log.h"
#include "sys/utf8.h"

/* one line of an error: paths and names are at most PATH_MAX each */
#define LOG_LINE_MAX 8192

void log_error(const char *hint, const char *fmt, ...)
{
	static char line[LOG_LINE_MAX];
	va_list ap;

	/* messages name paths and commands from the target and the command
	 * line: they reach the terminal escaped, never as control sequences */
	va_start(ap, fmt);
	log_vline(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "flowtrace-bpf: %s\n", line);
	if (hint && *hint) {
		log_line(line, sizeof(line), "%s", hint);
		fprintf(stderr, "hint: %s\n", line);
	}
}

void log_vline(char *buf, size_t len, const char *fmt, va_list ap)
{
	unsigned char *s = (unsigned char *)buf;
	size_t n, bad, left;

	if (!len)
		return;
	vsnprintf(buf, len, fmt, ap);
	left = strlen(buf);
	while (left) {
		if (*s < 0x20 || *s == 0x7f) {
			*s = '?';
			n = 1;
		} else if ((n = utf8_seq(s, left, &bad))) {
			if (utf8_is_invisible_control(s, n))
				memset(s, '?', n);
		} else {
			n = bad; /* ill-formed bytes cannot drive a terminal: kept */
		}
		s += n;
		left -= n;
	}
}

void log_line(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(buf, len, fmt, ap);
	va_end(ap);
}
