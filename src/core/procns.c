// SPDX-License-Identifier: MIT
/* The cgroup path of a /proc/PID/cgroup text, and a path as a chrooted
 * process sees it (see procns.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/procns.h"

/* the ranks of a line, best first: what a user calls "the container's
 * cgroup" is the unified one, or systemd's on a v1 host */
enum { RANK_V2, RANK_SYSTEMD, RANK_V1, RANK_ROOT, RANK_NONE };

int procns_cgroup_parse(const char *text, size_t len, char *out, size_t size)
{
	const char *end = text + len, *line = text;
	const char *best = NULL;
	size_t best_len = 0;
	int best_rank = RANK_NONE;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		/* "ID:CONTROLLERS:PATH"; the path may itself hold colons */
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;

		if (c2 && c2 + 1 < eol && c2[1] == '/') {
			const char *path = c2 + 1;
			size_t plen = (size_t)(eol - path);
			bool v2 = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
			bool systemd = (size_t)(c2 - c1 - 1) == strlen("name=systemd") &&
				       !memcmp(c1 + 1, "name=systemd", strlen("name=systemd"));
			int rank = plen == 1 ? RANK_ROOT
				   : v2	     ? RANK_V2
				   : systemd ? RANK_SYSTEMD
					     : RANK_V1;

			if (rank < best_rank) {
				best = path;
				best_len = plen;
				best_rank = rank;
			}
		}
		line = eol + 1;
	}
	if (!best)
		return -ENOENT;
	if (size) {
		if (best_len >= size)
			best_len = size - 1;
		memcpy(out, best, best_len);
		out[best_len] = 0;
	}
	return 0;
}

int procns_path_in_root(const char *root, const char *path, char *out, size_t size)
{
	size_t rl = strlen(root);

	/* a root of "/" or "" keeps the path; "/a/b" takes "/a/b/x" to "/x",
	 * not "/a/bc" */
	while (rl && root[rl - 1] == '/')
		rl--;
	if (rl && !strncmp(path, root, rl) && path[rl] == '/')
		path += rl;
	if ((size_t)snprintf(out, size, "%s", path) >= size)
		return -ENAMETOOLONG;
	return 0;
}
