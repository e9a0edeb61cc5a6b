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
