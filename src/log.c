// SPDX-License-Identifier: MIT
/* Diagnostics on stderr. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void log_error(const char *hint, const char *fmt, ...)
{
	va_list ap;

	fputs("flowtrace-bpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (hint && *hint)
		fprintf(stderr, "hint: %s\n", hint);
}

void log_vline(char *buf, size_t len, const char *fmt, va_list ap)
{
	if (!len)
		return;
	vsnprintf(buf, len, fmt, ap);
	for (; *buf; buf++) {
		if ((unsigned char)*buf < 0x20 || *buf == 0x7f)
			*buf = '?';
	}
}

void log_line(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(buf, len, fmt, ap);
	va_end(ap);
}
