// SPDX-License-Identifier: MIT
/* Reading /proc: one maps parser, the load bias, task listing, status
 * fields, the exit check; see procfs.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/procfs.h"

/* --- /proc/PID/maps ------------------------------------------------------ */

/* A run of hex digits (lowercase only when strict, as the kernel prints
 * addresses) ended by stop; the position after stop, or NULL. */
static char *hex_field(char *p, char stop, bool strict, uint64_t *v)
{
	char *start = p;

	*v = 0;
	for (; *p && *p != stop; p++) {
		int c = (unsigned char)*p, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (!strict && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return NULL;
		if (p - start == 16)
			return NULL; /* more than 64 bits */
		*v = *v << 4 | (uint64_t)d;
	}
	if (p == start || *p != stop)
		return NULL;
	return p + 1;
}

/* Skips one token of characters accepted by ok() and the single space after
 * it; NULL when the token is empty or not followed by a space. */
static char *skip_field(char *p, int (*ok)(int))
{
	char *start = p;

	while (*p && *p != ' ' && ok((unsigned char)*p))
		p++;
	if (p == start || *p != ' ')
		return NULL;
	return p + 1;
}

static int is_perm_char(int c)
{
	return c && strchr("rwxps-", c) != NULL;
}

static int is_dev_char(int c)
{
	return isxdigit(c) || c == ':';
}

int procfs_parse_maps_line(char *line, struct procfs_map *m)
{
	char *p = line, *perms, *nl;

	if (!line || !m)
		return -EINVAL;
	/* start-end perms offset dev inode [path]; the kernel pads before the path */
	if (!(p = hex_field(p, '-', true, &m->start)) || !(p = hex_field(p, ' ', true, &m->end)))
		return -EINVAL;
	if (m->end <= m->start)
		return -EINVAL;
	perms = p;
	if (!(p = skip_field(p, is_perm_char)) || p - perms != 5)
		return -EINVAL;
	if (!(p = hex_field(p, ' ', false, &m->offset)) || !(p = skip_field(p, is_dev_char)))
		return -EINVAL;
	/* the inode may end the line (anonymous mapping) */
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p && *p != ' ' && *p != '\n')
		return -EINVAL;
	while (*p == ' ')
		p++;
	nl = strchr(p, '\n');
	if (nl)
		*nl = '\0';
	m->exec = perms[2] == 'x';
	m->reserved = !strncmp(perms, "---p", 4);
	/* files are absolute; "[heap]", "[vdso]", "[anon:x]" and "" are not files */
	m->path = *p == '/' ? p : NULL;
	return 0;
}

int procfs_maps(int pid, int (*fn)(void *ctx, struct procfs_map *m), void *ctx)
{
	char file[64], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int err = 0;

	snprintf(file, sizeof(file), "/proc/%d/maps", pid);
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	errno = 0;
	while (!err && getline(&line, &cap, f) > 0) {
		struct procfs_map m;

		if (!procfs_parse_maps_line(line, &m))
			err = fn(ctx, &m);
	}
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	free(line);
	fclose(f);
	return err;
}

bool procfs_path_matches(const char *maps_path, const char *path)
{
	size_t n = strlen(path);

	if (!maps_path || strncmp(maps_path, path, n))
		return false;
	return !maps_path[n] || !strcmp(maps_path + n, PROCFS_DELETED_SUFFIX);
}

/* --- the load bias ------------------------------------------------------- */

/* The segment m belongs to under bias b, or NULL. */
static const struct procfs_load *segment_of(const struct procfs_map *m,
					    const struct procfs_load *loads, size_t nloads,
					    uint64_t page, uint64_t b)
{
	for (size_t i = 0; i < nloads; i++) {
		const struct procfs_load *p = &loads[i];
		uint64_t off0 = p->offset & ~(page - 1);

		if (!p->filesz || m->offset < off0 || m->offset >= p->offset + p->filesz)
			continue;
		if (m->start - m->offset - (p->vaddr - p->offset) == b)
			return p;
	}
	return NULL;
}

int procfs_load_bias(const struct procfs_map *maps, size_t nmaps, const struct procfs_load *loads,
		     size_t nloads, uint64_t page, uint64_t *bias)
{
	bool found = false, candidates = false;
	uint64_t best = 0;

	if (!page || (page & (page - 1)))
		return -EINVAL;
	/* every (mapping, segment) pair that fits proposes a bias; a bias
	 * counts when it explains every mapping that is not a hole */
	for (size_t i = 0; i < nmaps; i++) {
		if (maps[i].reserved)
			continue;
		for (size_t j = 0; j < nloads; j++) {
			const struct procfs_load *p = &loads[j];
			uint64_t off0 = p->offset & ~(page - 1);

			if (!p->filesz || maps[i].offset < off0 ||
			    maps[i].offset >= p->offset + p->filesz)
				continue;
			candidates = true;
			uint64_t b = maps[i].start - maps[i].offset - (p->vaddr - p->offset);
			if (found && b == best)
				continue;
			bool all = (b & (page - 1)) == 0;
			for (size_t k = 0; all && k < nmaps; k++)
				all = maps[k].reserved ||
				      segment_of(&maps[k], loads, nloads, page, b);
			if (!all)
				continue;
			if (found)
				return -ENOTSUP; /* two biases explain everything */
			found = true;
			best = b;
		}
	}
	if (!found)
		return candidates ? -ENOTSUP : -ENOENT;
	*bias = best;
	return 0;
}

/* --- /proc/PID/task -------------------------------------------------------- */

int procfs_tasks(int pid, uint32_t **tids, size_t *n)
{
	uint32_t *t = NULL;
	size_t cap = 0, count = 0;
	char path[64];
	struct dirent *d;
	DIR *dir;
	int err = 0;

	*tids = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((d = readdir(dir))) {
		char *end;
		unsigned long tid = strtoul(d->d_name, &end, 10);

		if (d->d_name[0] < '0' || d->d_name[0] > '9' || *end || tid > UINT32_MAX)
			continue; /* "." and ".." */
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			uint32_t *nt = realloc(t, ncap * sizeof(*t));

			if (!nt) {
				err = -ENOMEM;
				break;
			}
			t = nt;
			cap = ncap;
		}
		t[count++] = (uint32_t)tid;
	}
	closedir(dir);
	if (err) {
		free(t);
		return err;
	}
	*tids = t;
	*n = count;
	return 0;
}

/* --- status files ---------------------------------------------------------- */

int procfs_status_field(const char *text, size_t len, const char *key, const char **val,
			size_t *vlen)
{
	size_t k = strlen(key);
	const char *p = text, *end = text + len;

	/* the field starts the text or follows a newline */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > k && !memcmp(p, key, k) && p[k] == ':') {
			p += k + 1;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			*val = p;
			*vlen = (size_t)(eol - p);
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

int procfs_status_hex(const char *text, size_t len, const char *key, uint64_t *v)
{
	const char *val;
	size_t n;
	int err = procfs_status_field(text, len, key, &val, &n);

	if (err)
		return err;
	while (n && (val[n - 1] == ' ' || val[n - 1] == '\t'))
		n--;
	if (!n || n > 16)
		return -EINVAL;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)val[i];

		if (!isxdigit(c))
			return -EINVAL;
		*v = *v << 4 | (uint64_t)(isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return 0;
}

ssize_t procfs_read(int pid, int tid, const char *name, char *buf, size_t len)
{
	char path[96];
	size_t n = 0;
	int fd;

	if (!len)
		return -EINVAL;
	if (pid <= 0)
		snprintf(path, sizeof(path), "/proc/self/%s", name);
	else if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, name);
	else
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a proc file may come in several reads; read to its end */
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, len - 1 - n);

		if (r < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return -e;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	return (ssize_t)n;
}

ssize_t procfs_read_status(int pid, int tid, char *buf, size_t len)
{
	return procfs_read(pid, tid, "status", buf, len);
}

/* --- /proc/PID/stat -------------------------------------------------------- */

char procfs_stat_state(const char *text)
{
	const char *paren = strrchr(text, ')');

	return paren && paren[1] == ' ' ? paren[2] : 0;
}

unsigned long procfs_stat_flags(const char *text)
{
	const char *p = strrchr(text, ')');
	int field = 2;

	/* fields after the comm: 3 state, 4 ppid, ... 9 flags */
	while (p && *p && field < 9) {
		p = strchr(p + 1, ' ');
		field++;
	}
	return p ? strtoul(p + 1, NULL, 10) : 0;
}

bool procfs_exited(int pid)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	int e = n < 0 ? errno : 0;
	close(fd);
	if (n <= 0)
		return e == ESRCH;
	buf[n] = 0;
	char state = procfs_stat_state(buf);
	if (state == 'Z' || state == 'X')
		return true;
	/* exiting but not yet a zombie: its mappings may already be gone, so
	 * what it maps says nothing (the kernel's PF_EXITING in field 9) */
	return procfs_stat_flags(buf) & PROCFS_PF_EXITING;
}
