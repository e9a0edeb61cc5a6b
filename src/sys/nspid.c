// SPDX-License-Identifier: MIT
/* Thread ids across PID namespaces; see nspid.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "sys/nspid.h"
#include "sys/procfs.h"

int nspid_parse(const char *text, size_t len, uint32_t *ids, int max)
{
	const char *p, *eol;
	size_t vlen;
	int n = 0;

	if (procfs_status_field(text, len, "NSpid", &p, &vlen))
		return -ENOENT;
	for (eol = p + vlen; p < eol;) {
		uint64_t v = 0;
		const char *d;

		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p == eol)
			break;
		for (d = p; p < eol && *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > UINT32_MAX)
				return -EINVAL;
		}
		if (p == d || (p < eol && *p != ' ' && *p != '\t'))
			return -EINVAL;
		if (n < max)
			ids[n] = (uint32_t)v;
		n++;
	}
	return n ? n : -EINVAL;
}

/* The id thread host of pid has in its own namespace; -ENOENT when the
 * thread is gone. */
static int own_id(int pid, uint32_t host, uint32_t *own)
{
	char buf[4096];
	uint32_t ids[32];
	ssize_t len = procfs_read_status(pid, (int)host, buf, sizeof(buf));
	int n;

	if (len < 0)
		return (int)len;
	n = nspid_parse(buf, (size_t)len, ids, 32);
	if (n == -ENOENT) {
		*own = host; /* no namespaces to tell apart */
		return 0;
	}
	if (n < 0)
		return n;
	/* deeper than 32 levels cannot be: the kernel allows 32 */
	*own = ids[(n < 32 ? n : 32) - 1];
	return 0;
}

int nspid_tasks(int pid, struct nspid_task **tasks, size_t *n)
{
	struct nspid_task *t;
	uint32_t *tids;
	size_t ntids, count = 0;
	int err;

	*tasks = NULL;
	*n = 0;
	err = procfs_tasks(pid, &tids, &ntids);
	if (err)
		return err;
	t = calloc(ntids ? ntids : 1, sizeof(*t));
	if (!t) {
		free(tids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ntids; i++) {
		uint32_t own;
		int e = own_id(pid, tids[i], &own);

		if (e == -ENOENT || e == -ESRCH)
			continue; /* the thread ended meanwhile */
		if (e) {
			err = e;
			break;
		}
		t[count].host = tids[i];
		t[count++].own = own;
	}
	free(tids);
	if (err) {
		free(t);
		return err;
	}
	*tasks = t;
	*n = count;
	return 0;
}

int nspid_ns_of(int pid, uint64_t *dev, uint64_t *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	if (stat(path, &st))
		return -errno;
	*dev = ((uint64_t)major(st.st_dev) << 20) | minor(st.st_dev);
	*ino = st.st_ino;
	return 0;
}
