// SPDX-License-Identifier: MIT
/* Thread ids across PID namespaces; see nspid.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sys/nspid.h"

int nspid_parse(const char *text, size_t len, uint32_t *ids, int max)
{
	static const char key[] = "NSpid:";
	const char *p = text, *end = text + len;
	int n = 0;

	/* the line starts the text or follows a newline */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) >= sizeof(key) - 1 && !memcmp(p, key, sizeof(key) - 1)) {
			p += sizeof(key) - 1;
			while (p < eol) {
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
		p = eol + 1;
	}
	return -ENOENT;
}

/* The id thread host of pid has in its own namespace; -ENOENT when the
 * thread is gone. */
static int own_id(int pid, uint32_t host, uint32_t *own)
{
	char path[64], buf[4096];
	uint32_t ids[32];
	ssize_t len;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/task/%u/status", pid, host);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf));
	n = len < 0 ? -errno : 0;
	close(fd);
	if (n)
		return n;
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
	struct nspid_task *t = NULL;
	size_t cap = 0, count = 0;
	char path[64];
	struct dirent *d;
	DIR *dir;
	int err = 0;

	*tasks = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((d = readdir(dir))) {
		char *end;
		unsigned long host = strtoul(d->d_name, &end, 10);
		uint32_t own;
		int e;

		if (d->d_name[0] < '0' || d->d_name[0] > '9' || *end || host > UINT32_MAX)
			continue;
		e = own_id(pid, (uint32_t)host, &own);
		if (e == -ENOENT || e == -ESRCH)
			continue; /* the thread ended meanwhile */
		if (e) {
			err = e;
			break;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct nspid_task *nt = realloc(t, ncap * sizeof(*t));

			if (!nt) {
				err = -ENOMEM;
				break;
			}
			t = nt;
			cap = ncap;
		}
		t[count].host = (uint32_t)host;
		t[count++].own = own;
	}
	closedir(dir);
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
