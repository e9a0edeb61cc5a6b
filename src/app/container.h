/* SPDX-License-Identifier: MIT */
/* Reads what container a process is in (core/procns.h) from /proc. */
#ifndef FT_CONTAINER_H
#define FT_CONTAINER_H

#include "core/procns.h"

/* Fills *ns for pid: its namespaces' inodes and which of them are not the
 * tracer's, its PID in its own PID namespace (the last NSpid id) and its
 * cgroup. What cannot be read stays 0 or empty (a kernel without NSpid, a
 * process that ended). Returns 0, or -errno when not even its PID
 * namespace could be read. */
int container_read(int pid, struct procns *ns);
/* path, one of pid's files as /proc/PID/maps names it, as pid sees it
 * (procns_path_in_root); the path as it is when pid's root cannot be read.
 * Returns 0, or -ENAMETOOLONG when it does not fit in size bytes. */
int container_path(int pid, const char *path, char *out, size_t size);

#endif
