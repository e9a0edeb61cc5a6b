/* SPDX-License-Identifier: MIT */
/* Streaming JSON writer: compact output straight to a FILE *, commas placed
 * by the writer, strings escaped per RFC 8259 and always valid UTF-8. Every
 * byte of JSON the tool writes goes through here. */
#ifndef FT_JSONW_H
#define FT_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jsonw;

/* Returns a writer over out (which stays the caller's), or NULL with errno
 * set. Output is buffered inside the writer: see jsonw__flush(). */
struct jsonw *jsonw__new(FILE *out);
void jsonw__free(struct jsonw *w);

/* Containers. Inside an object every value must follow jsonw__key(). */
void jsonw__begin_object(struct jsonw *w);
void jsonw__end_object(struct jsonw *w);
void jsonw__begin_array(struct jsonw *w);
void jsonw__end_array(struct jsonw *w);
void jsonw__key(struct jsonw *w, const char *key);

/* Values. Strings need not be valid UTF-8: ill-formed bytes are written as
 * U+FFFD. */
void jsonw__string(struct jsonw *w, const char *s);
void jsonw__string_len(struct jsonw *w, const char *s, size_t len);
void jsonw__int(struct jsonw *w, int64_t v);
void jsonw__uint(struct jsonw *w, uint64_t v);
void jsonw__bool(struct jsonw *w, bool v);
void jsonw__null(struct jsonw *w);
/* v / 10^places with exactly places digits after the point (at most 19):
 * jsonw__fixed(w, 1200, 3) writes 1.200. Exact where a double would round:
 * nanoseconds written as microseconds keep every digit. */
void jsonw__fixed(struct jsonw *w, uint64_t v, unsigned int places);

/* Key and value in one call, for the common object members. */
void jsonw__key_string(struct jsonw *w, const char *key, const char *s);
void jsonw__key_int(struct jsonw *w, const char *key, int64_t v);
void jsonw__key_uint(struct jsonw *w, const char *key, uint64_t v);
void jsonw__key_bool(struct jsonw *w, const char *key, bool v);
void jsonw__key_fixed(struct jsonw *w, const char *key, uint64_t v, unsigned int places);

/* Writes '\n' after a complete top-level value; the next value starts a
 * new document (JSON Lines). Hands everything so far to the stream. */
void jsonw__newline(struct jsonw *w);

/* Hands buffered output to the stream (the writer buffers until a newline,
 * a full buffer, or jsonw__free()). */
void jsonw__flush(struct jsonw *w);

/* 0, or the first error: -ENOMEM (nesting could not grow), -EINVAL (calls
 * out of order: a container closed that was not open), -EIO (the stream
 * failed). */
int jsonw__error(const struct jsonw *w);

#endif /* FT_JSONW_H */
