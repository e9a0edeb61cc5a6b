// SPDX-License-Identifier: MIT
/* Separate debug files (elfdebug.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sys/elfdebug.h"
#include "sys/elfimage.h"

#define DEBUG_DIR    "/usr/lib/debug"
#define BUILD_ID_MAX 64

void elfdebug_split_root(const char *path, char *root, size_t rootlen, const char **rest)
{
	const char *p = path + 6;

	*rest = path;
	if (rootlen)
		root[0] = '\0';
	if (strncmp(path, "/proc/", 6) != 0 || *p < '0' || *p > '9')
		return;
	while (*p >= '0' && *p <= '9')
		p++;
	if (strncmp(p, "/root/", 6) != 0)
		return;
	snprintf(root, rootlen, "%.*s", (int)(p + 5 - path), path);
	*rest = p + 5;
}

int elfdebug_parse_link(const uint8_t *sec, size_t len, const char **name, uint32_t *crc)
{
	const uint8_t *nul = sec ? memchr(sec, '\0', len) : NULL;
	size_t at;

	if (!nul || nul == sec)
		return -EINVAL;
	/* the CRC sits at the next 4-byte boundary after the name's NUL */
	at = ((size_t)(nul - sec) + 1 + 3) & ~(size_t)3;
	if (at + 4 > len)
		return -EINVAL;
	*name = (const char *)sec;
	*crc = (uint32_t)sec[at] | (uint32_t)sec[at + 1] << 8 | (uint32_t)sec[at + 2] << 16 |
	       (uint32_t)sec[at + 3] << 24;
	return 0;
}

size_t elfdebug_candidates(const uint8_t *id, size_t idlen, const char *link, const char *path,
			   char out[][PATH_MAX], size_t max)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = 0;

	if (idlen > 1 && n < max) {
		int o = snprintf(out[n], PATH_MAX, DEBUG_DIR "/.build-id/%02x/", id[0]);

		for (size_t i = 1; i < idlen && o + 3 < PATH_MAX; i++)
			o += snprintf(out[n] + o, PATH_MAX - (size_t)o, "%02x", id[i]);
		if (o + 7 < PATH_MAX) {
			snprintf(out[n] + o, PATH_MAX - (size_t)o, ".debug");
			n++;
		}
	}
	if (!link || !*link || strchr(link, '/') || !slash)
		return n;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (n < max && snprintf(out[n], PATH_MAX, "%s/%s", dir, link) < PATH_MAX)
		n++;
	if (n < max && snprintf(out[n], PATH_MAX, "%s/.debug/%s", dir, link) < PATH_MAX)
		n++;
	if (n < max && snprintf(out[n], PATH_MAX, DEBUG_DIR "%s/%s", dir, link) < PATH_MAX)
		n++;
	return n;
}

/* The CRC-32 of the whole file open at fd (zlib's, as .gnu_debuglink). */
static int file_crc(int fd, uint32_t *out)
{
	uint8_t buf[65536];
	uLong crc = crc32(0L, Z_NULL, 0);
	off_t at = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), at)) > 0) {
		crc = crc32(crc, buf, (uInt)n);
		at += n;
	}
	if (n < 0)
		return -errno;
	*out = (uint32_t)crc;
	return 0;
}

struct elfimage *elfdebug_open(const struct elfimage *img, const char *path, char *found,
			       size_t len)
{
	char root[PATH_MAX];
	const char *rest;

	elfdebug_split_root(path, root, sizeof(root), &rest);
	return elfdebug_open_in(img, root, rest, found, len);
}

struct elfimage *elfdebug_open_in(const struct elfimage *img, const char *root, const char *path,
				  char *found, size_t len)
{
	char cand[ELFDEBUG_MAX_CANDIDATES][PATH_MAX], full[2 * PATH_MAX];
	uint8_t id[BUILD_ID_MAX], did[BUILD_ID_MAX];
	const struct elfimage_section *ls = elfimage__section_by_name(img, ".gnu_debuglink");
	const uint8_t *lb = NULL;
	const char *link = NULL;
	uint32_t crc = 0;
	int idlen = elfimage__build_id(img, id, sizeof(id));
	size_t n;

	if (idlen < 0 || idlen > BUILD_ID_MAX)
		idlen = 0;
	if (ls && ls->size && (lb = elfimage__section_copy(img, ls)) &&
	    elfdebug_parse_link(lb, ls->size, &link, &crc))
		link = NULL;
	n = elfdebug_candidates(id, (size_t)idlen, link, path, cand, ELFDEBUG_MAX_CANDIDATES);
	free((void *)lb);
	link = NULL; /* pointed into lb */
	for (size_t i = 0; i < n; i++) {
		struct elfimage *d;
		bool by_id = idlen > 0 && i == 0;
		int dlen;
		uint32_t dcrc = 0;

		snprintf(full, sizeof(full), "%s%s", root, cand[i]);
		if (!strcmp(cand[i], path) || !(d = elfimage__open(full)))
			continue;
		dlen = elfimage__build_id(d, did, sizeof(did));
		/* a build ID, where both have one, must be the same; a file
		 * found by name must also have the CRC the link states */
		if ((idlen > 0 && dlen >= 0 && (dlen != idlen || memcmp(id, did, (size_t)idlen))) ||
		    (by_id && dlen < 0) ||
		    (!by_id && (file_crc(elfimage__fd(d), &dcrc) || dcrc != crc))) {
			elfimage__free(d);
			continue;
		}
		snprintf(found, len, "%s", full);
		return d;
	}
	errno = ENOENT;
	return NULL;
}
