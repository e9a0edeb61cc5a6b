/* SPDX-License-Identifier: MIT */
/* Output sink: stdout, or a file written under a temporary name in the same
 * directory and renamed into place only when complete (-o FILE); a device
 * or FIFO given to -o is written in place. */
#ifndef FT_SINK_H
#define FT_SINK_H

#include <stdbool.h>
#include <stdio.h>

struct sink {
	FILE *fp;
	char *path; /* NULL: stdout or a device written in place */
	char *tmp;
	char *buf;   /* stdio buffer of a file sink */
	bool direct; /* not a regular file: written in place, no rename */
};

/* Opens the sink; path NULL means stdout. Returns 0 or -errno. */
int sink__open(struct sink *s, const char *path);
/* Flushes and, for a file, renames it into place. Returns 0 or -errno (the
 * temporary file is removed then). */
int sink__commit(struct sink *s);
/* Drops a file sink's temporary file; stdout is only flushed. */
void sink__abort(struct sink *s);

#endif /* FT_SINK_H */
