// SPDX-License-Identifier: MIT
/* What container a target is in, from /proc/PID/{ns,status,cgroup}: read
 * once at attach, so a trace file holds it after the container is gone. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/container.h"
#include "sys/nspid.h"
#include "sys/procfs.h"

/* The inode of /proc/PID/ns/NAME (pid 0: the tracer's own); 0 when it
 * cannot be read. */
static uint64_t ns_inode(int pid, const char *name)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

static void read_cgroup(int pid, struct procns *ns)
{
	char buf[8192];
	ssize_t n = procfs_read(pid, 0, "cgroup", buf, sizeof(buf));

	if (n <= 0 || procns_cgroup_parse(buf, (size_t)n, ns->cgroup, sizeof(ns->cgroup)))
		ns->cgroup[0] = 0;
}

int container_read(int pid, struct procns *ns)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} kinds[] = {{"pid", PROCNS_PID}, {"mnt", PROCNS_MNT}, {"user", PROCNS_USER}};
	char status[4096];
	uint32_t ids[32];
	ssize_t len;

	memset(ns, 0, sizeof(*ns));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		uint64_t ino = ns_inode(pid, kinds[i].name);
		uint64_t own = ns_inode(0, kinds[i].name);

		if (i == 0 && !ino)
			return -ESRCH; /* no PID namespace: no process to describe */
		if (ino && own && ino != own)
			ns->foreign |= kinds[i].bit;
		if (kinds[i].bit == PROCNS_PID)
			ns->pid_ns = ino;
		else if (kinds[i].bit == PROCNS_MNT)
			ns->mnt_ns = ino;
		else
			ns->user_ns = ino;
	}
	len = procfs_read_status(pid, 0, status, sizeof(status));
	if (len > 0) {
		int n = nspid_parse(status, (size_t)len, ids, 32);

		/* the last id is the one the process sees itself by */
		if (n > 0 && n <= 32)
			ns->ns_pid = ids[n - 1];
	}
	read_cgroup(pid, ns);
	return 0;
}

int container_path(int pid, const char *path, char *out, size_t size)
{
	char link[64], root[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/root", pid);
	n = readlink(link, root, sizeof(root) - 1);
	root[n > 0 ? n : 0] = 0;
	return procns_path_in_root(root, path, out, size);
}
