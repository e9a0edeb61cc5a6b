/* SPDX-License-Identifier: MIT */
/* Output sink: stdout, or a file written under a temporary name in the same
 * directory and renamed into place only when complete (-o FILE); a device
 * or FIFO given to -o is written in place.
 *
 * Guarantees (docs/formats.md, "Output files"): a file is created 0600 and,
 * under sudo, owned by the invoking user (SUDO_UID/SUDO_GID) when made in a
 * directory of theirs or a sticky world-writable one; an existing
 * file is replaced only by a complete one; a symbolic link named by -o is
 * never written through (refused, -ELOOP), except a root- or user-owned
 * link to a character device, FIFO or socket such as /dev/stdout; nothing
 * pre-existing is chmod-ed or chown-ed. A temporary file carries the PID
 * that made it and is locked while that process runs, so a later run can
 * tell it is stale: ".NAME.flowtrace-out.PID.XXXXXX" (rendered output) or
 * ".NAME.flowtrace-rec.PID.XXXXXX" (a recording). */
#ifndef FT_SINK_H
#define FT_SINK_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum sink_kind {
	SINK_OUTPUT,	/* a rendered output: a stale temporary is deleted */
	SINK_RECORDING, /* a trace file: a stale temporary holds a replayable
			 * recording cut short, so it is reported, never deleted */
};

struct sink {
	FILE *fp;
	char *path; /* NULL: stdout or a device written in place */
	char *tmp;
	char *buf;   /* stdio buffer of a file sink */
	bool direct; /* not a regular file: written in place, no rename */
	int poll_fd; /* a pipe, FIFO or socket written to (-1: none): its
		      * reader's going away shows as EPOLLERR on it */
};

/* Opens the sink; path NULL means stdout. Returns 0 or -errno: -ELOOP when
 * path is a symbolic link that is not written through, -EINVAL when it is
 * neither a regular file nor a character device, FIFO or socket. */
int sink__open(struct sink *s, const char *path);
int sink__open_as(struct sink *s, const char *path, enum sink_kind kind);
/* Flushes and, for a file, renames it into place. Returns 0 or -errno (the
 * temporary file is removed then). */
int sink__commit(struct sink *s);
/* Drops a file sink's temporary file; stdout is only flushed. */
void sink__abort(struct sink *s);
/* Closes a file sink but keeps its temporary file, whose name it returns
 * (the caller frees it; NULL when written in place): an incomplete
 * recording must not replace a complete one, nor be thrown away. */
char *sink__keep(struct sink *s);

/* Parses a temporary name of ours, "." NAME ".flowtrace-" TAG "." PID "."
 * six characters, where TAG is "out" or "rec". Returns the PID (> 0) and
 * sets *kind, or 0 when name is not one of ours. Pure. */
pid_t sink_temp_owner(const char *name, enum sink_kind *kind);

#endif /* FT_SINK_H */
