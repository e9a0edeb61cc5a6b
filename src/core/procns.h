/* SPDX-License-Identifier: MIT */
/* What container a process is in: its namespaces and cgroup as the tracer
 * read them at attach, carried by trace files and written into every
 * output's metadata (docs/formats.md, "Containers"). Pure: the cgroup file
 * parser is tested with tables; app/container.c reads /proc. */
#ifndef FT_PROCNS_H
#define FT_PROCNS_H

#include <stddef.h>
#include <stdint.h>

/* procns.foreign: the namespaces of the target that are not the tracer's */
#define PROCNS_PID  0x1
#define PROCNS_MNT  0x2
#define PROCNS_USER 0x4

struct procns {
	uint32_t ns_pid;  /* the target's PID in its own PID namespace; 0: unknown */
	uint32_t foreign; /* PROCNS_*: namespaces that differ from the tracer's */
	/* inodes of /proc/PID/ns/{pid,mnt,user}; 0: unknown (pid_ns 0: none of
	 * this was read, an older trace file) */
	uint64_t pid_ns, mnt_ns, user_ns;
	char cgroup[512]; /* "/system.slice/x.service"; empty: unknown */
};

/* Pure: the cgroup path of a /proc/PID/cgroup text (len bytes, need not end
 * in NUL): the unified hierarchy's ("0::PATH") when it is not the root;
 * else, on a v1 or hybrid host, the name=systemd hierarchy's, else the
 * first controller's that is not the root; else the root "/". A path too
 * long for size is cut. Returns 0, or -ENOENT when no line parses. */
int procns_cgroup_parse(const char *text, size_t len, char *out, size_t size);

/* Pure: path, a file of a process as /proc/PID/maps and the exe link show
 * it to the tracer, as the process itself sees it, given its root (the
 * /proc/PID/root link as the tracer reads it). A chrooted process's files
 * show as host paths under its root, which comes off; any other path is
 * already its own (root "/", or a container's own mount tree that the host
 * does not reach: the kernel shows those as the container sees them).
 * Returns 0, or -ENAMETOOLONG when the result does not fit in size bytes. */
int procns_path_in_root(const char *root, const char *path, char *out, size_t size);

#endif
