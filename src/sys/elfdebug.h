/* SPDX-License-Identifier: MIT */
/* An ELF file's separate debug file, found the way gdb and perf find it:
 * by build ID under /usr/lib/debug/.build-id/, then by the .gnu_debuglink
 * name beside the file, in its .debug/ folder and under /usr/lib/debug/,
 * all seen from a root (a target's /proc/PID/root). A candidate counts only
 * when it matches: the same build ID, and for a debuglink name the CRC the
 * link states. Opens files with elfimage__open; touches no process. */
#ifndef FT_ELFDEBUG_H
#define FT_ELFDEBUG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct elfimage;

#define ELFDEBUG_MAX_CANDIDATES 4

/* The debug file of img, which lives at path: its image (the caller frees
 * it) with the matching candidate's path copied to found, or NULL with
 * errno ENOENT when none matches. A path under /proc/PID/root is looked
 * up under that root. Its sections hold no code or data (NOBITS): read
 * those from img, at the same addresses. */
struct elfimage *elfdebug_open(const struct elfimage *img, const char *path, char *found,
			       size_t len);

/* The same with the root given apart ("" for ours), path in it. */
struct elfimage *elfdebug_open_in(const struct elfimage *img, const char *root, const char *path,
				  char *found, size_t len);

/* Pure helpers, exposed for the unit tests. */

/* Splits "/proc/PID/root/rest" into the root ("/proc/PID/root") and the
 * path in it ("/rest"); any other path has the root "". */
void elfdebug_split_root(const char *path, char *root, size_t rootlen, const char **rest);

/* Parses a .gnu_debuglink section: the file name (NUL-terminated, padded to
 * 4 bytes) and the CRC-32 after it. 0, or -EINVAL. */
int elfdebug_parse_link(const uint8_t *sec, size_t len, const char **name, uint32_t *crc);

/* The paths (in the root) where the debug file may be, in the order they
 * are tried: the build-ID path (when idlen > 0), then for a link name
 * dir/name, dir/.debug/name and /usr/lib/debug/dir/name, dir being path's
 * folder. Returns how many were written (at most ELFDEBUG_MAX_CANDIDATES). */
size_t elfdebug_candidates(const uint8_t *id, size_t idlen, const char *link, const char *path,
			   char out[][PATH_MAX], size_t max);

#endif /* FT_ELFDEBUG_H */
