/* SPDX-License-Identifier: MIT */
/* Reading /proc: a process's mappings (/proc/PID/maps) and the load bias
 * of a file mapped there, its threads (/proc/PID/task), the fields of its
 * status files and whether it has exited. The parsers are pure (tables in
 * the unit tests); the readers around them are thin. */
#ifndef FT_PROCFS_H
#define FT_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What /proc/PID/maps appends to the path of a file deleted since it was mapped. */
#define PROCFS_DELETED_SUFFIX " (deleted)"

/* One line of /proc/PID/maps. */
struct procfs_map {
	uint64_t start, end, offset;
	bool reserved; /* "---p": a hole of the loader's reservation, not a segment */
	bool exec;     /* the mapping is executable */
	char *path;    /* the mapped file, " (deleted)" kept; NULL when not a file */
};

/* Pure: parses one line of /proc/PID/maps ("start-end perms offset dev
 * inode [path]"). path is NULL for anonymous and pseudo mappings ("[heap]",
 * "[vdso]", "[anon:x]"): files are absolute. Returns 0 or -EINVAL. The
 * line is modified (the path is NUL-terminated). */
int procfs_parse_maps_line(char *line, struct procfs_map *m);

/* Calls fn(ctx, m) for every line of /proc/PID/maps, in order, until it
 * returns non-zero (that value is returned). Lines that do not parse are
 * skipped. Returns 0 or -errno: -ESRCH when there is no such process,
 * -EACCES/-EPERM when it cannot be read. */
int procfs_maps(int pid, int (*fn)(void *ctx, struct procfs_map *m), void *ctx);

/* Pure: true when a maps path names path (also when it is the same path
 * with " (deleted)" appended). */
bool procfs_path_matches(const char *maps_path, const char *path);

/* One PT_LOAD program header of a file. */
struct procfs_load {
	uint64_t vaddr, offset, filesz, memsz;
};

/* Pure: the load bias of a file from its mappings (in any order) and its
 * PT_LOAD headers: a mapping at start with file offset off belongs to
 * segment p when off lies in p's file range (page-rounded down at the
 * start), and then bias = start - off - (p.vaddr - p.offset). The bias must
 * explain every mapping that is not a reservation hole, and exactly one
 * bias may do so. Returns 0, -ENOENT (no mapping that fits a segment),
 * -ENOTSUP (mappings that no single bias explains) or -EINVAL (page is not
 * a power of two). */
int procfs_load_bias(const struct procfs_map *maps, size_t nmaps, const struct procfs_load *loads,
		     size_t nloads, uint64_t page, uint64_t *bias);

/* The thread ids of pid (the entries of /proc/PID/task) in *tids, n of
 * them (the caller frees *tids). Returns 0 or -errno (-ESRCH: no such
 * process). */
int procfs_tasks(int pid, uint32_t **tids, size_t *n);

/* Pure: the value of field key ("NSpid", "SigBlk") in the text of a status
 * file (len bytes, need not end in NUL): the line must start with key and
 * a colon; *val points past the blanks after it, *vlen runs to the end of
 * the line. Returns 0 or -ENOENT. */
int procfs_status_field(const char *text, size_t len, const char *key, const char **val,
			size_t *vlen);

/* Pure: the hexadecimal value of field key (the signal and capability
 * masks: "SigBlk", "CapEff"). Returns 0, -ENOENT or -EINVAL. */
int procfs_status_hex(const char *text, size_t len, const char *key, uint64_t *v);

/* Reads the small proc file name ("status", "cgroup") of pid
 * (/proc/self/NAME when pid is 0), or of its thread tid when tid is not 0,
 * into buf (NUL-terminated, cut at len - 1 bytes). Returns the length or
 * -errno. */
ssize_t procfs_read(int pid, int tid, const char *name, char *buf, size_t len);

/* Reads the status file of pid (/proc/self/status when pid is 0), or of
 * its thread tid when tid is not 0, into buf (NUL-terminated, cut at len
 * - 1 bytes). Returns the length or -errno. */
ssize_t procfs_read_status(int pid, int tid, char *buf, size_t len);

/* Pure: the state letter of a /proc/PID/stat text ("pid (comm) S ..."; the
 * comm may hold anything, the state follows its last ')'), or 0. */
/* The flags word (field 9) of a /proc/PID/stat text, 0 when absent. */
#define PROCFS_PF_EXITING 0x4UL
unsigned long procfs_stat_flags(const char *text);
char procfs_stat_state(const char *text);

/* Whether process pid has exited: /proc/PID is gone, it is a zombie (Z)
 * or dead (X), or it is exiting (PF_EXITING: its mappings may be gone
 * before it is a zombie). */
bool procfs_exited(int pid);

#endif /* FT_PROCFS_H */
