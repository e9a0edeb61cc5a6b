/* SPDX-License-Identifier: MIT */
/* Name table: interns strings and maps the name ids BPF hands out to
 * (function, file, line) triples. Pure: no BPF, no /proc. */
#ifndef FT_NAMES_H
#define FT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_NAME_FUNC_CUT 0x1 /* the function name was longer than BPF copies: shown with "..." */
#define FT_NAME_UNKNOWN	 0x2 /* the id was never bound: its NAME record was lost */
#define FT_NAME_FILE_CUT 0x4 /* the file path was longer than BPF copies */
#define FT_NAME_CUT	 (FT_NAME_FUNC_CUT | FT_NAME_FILE_CUT) /* either */

/* One resolved name. func and file are interned: equal strings share one
 * pointer, so callers may compare them by address. */
struct ft_name {
	const char *func;
	const char *file;
	uint32_t line;
	uint32_t flags; /* FT_NAME_* */
};

struct names;

struct names *names__new(void);
void names__free(struct names *n);

/* Returns the interned copy of s (len bytes, no NUL needed), or NULL with
 * errno set on allocation failure. */
const char *names__intern(struct names *n, const char *s, size_t len);

/* Binds id (as BPF or a trace file sends it) to (func, file, line). An id
 * is never renamed: binding it again to the same name changes nothing; to
 * another name, the new name gets an id of its own that names__id() gives
 * for id from then on, so the calls made before keep theirs. Returns 0 or
 * -ENOMEM. */
int names__bind(struct names *n, uint32_t id, const char *func, size_t func_len, const char *file,
		size_t file_len, uint32_t line, uint32_t flags);

/* The id a record's name id stands for now (itself unless rebound); 0 for
 * an id never bound where another name's alias lives. */
uint32_t names__id(const struct names *n, uint32_t id);

/* Returns the name bound to id. An unbound id yields a shared placeholder
 * with FT_NAME_UNKNOWN set, never NULL. */
const struct ft_name *names__get(const struct names *n, uint32_t id);

/* Number of distinct interned strings and bound ids (for the summary). */
size_t names__strings(const struct names *n);
size_t names__ids(const struct names *n);

#endif /* FT_NAMES_H */
