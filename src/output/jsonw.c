// SPDX-License-Identifier: MIT
/* Streaming JSON writer. It keeps one "has members" byte per open container
 * so it can place commas itself; call trees nest deeply (two levels per
 * call in the json format), so that stack grows on demand. Output gathers
 * in a buffer handed to stdio once per line: a jsonl line is some twenty
 * small pieces, and one stdio call per piece cost more than the rest. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/jsonw.h"
#include "sys/utf8.h"

#define JSONW_BUF 4096

struct jsonw {
	FILE *out;
	size_t used;
	uint8_t *has_members; /* per open container */
	size_t depth, cap;
	bool after_key; /* the next value completes a member: no comma */
	int err;
	char buf[JSONW_BUF];
};

struct jsonw *jsonw__new(FILE *out)
{
	struct jsonw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->out = out;
	w->cap = 64;
	w->has_members = malloc(w->cap);
	if (!w->has_members) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	return w;
}

void jsonw__free(struct jsonw *w)
{
	if (!w)
		return;
	jsonw__flush(w);
	free(w->has_members);
	free(w);
}

static void set_err(struct jsonw *w, int err)
{
	if (!w->err)
		w->err = err;
}

void jsonw__flush(struct jsonw *w)
{
	if (w->used && fwrite(w->buf, 1, w->used, w->out) != w->used)
		set_err(w, -EIO);
	w->used = 0;
}

static void put_raw(struct jsonw *w, const char *s, size_t len)
{
	if (len > JSONW_BUF - w->used) {
		jsonw__flush(w);
		if (len > JSONW_BUF) {
			if (fwrite(s, 1, len, w->out) != len)
				set_err(w, -EIO);
			return;
		}
	}
	memcpy(w->buf + w->used, s, len);
	w->used += len;
}

static void put_char(struct jsonw *w, char c)
{
	if (w->used == JSONW_BUF)
		jsonw__flush(w);
	w->buf[w->used++] = c;
}

/* Called before every value and key: the comma, unless the value completes
 * a member or opens its container. */
static void sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->depth)
		return;
	if (w->has_members[w->depth - 1])
		put_char(w, ',');
	else
		w->has_members[w->depth - 1] = 1;
}

static void open_container(struct jsonw *w, char c)
{
	sep(w);
	if (w->depth == w->cap) {
		size_t cap = w->cap * 2;
		uint8_t *p = realloc(w->has_members, cap);

		if (!p) {
			/* the output is broken from here on: say so once */
			set_err(w, -ENOMEM);
			return;
		}
		w->has_members = p;
		w->cap = cap;
	}
	w->has_members[w->depth++] = 0;
	put_char(w, c);
}

static void close_container(struct jsonw *w, char c)
{
	if (!w->depth) {
		set_err(w, -EINVAL);
		return;
	}
	w->depth--;
	w->after_key = false;
	put_char(w, c);
}

void jsonw__begin_object(struct jsonw *w)
{
	open_container(w, '{');
}

void jsonw__end_object(struct jsonw *w)
{
	close_container(w, '}');
}

void jsonw__begin_array(struct jsonw *w)
{
	open_container(w, '[');
}

void jsonw__end_array(struct jsonw *w)
{
	close_container(w, ']');
}

static void put_u_escape(struct jsonw *w, unsigned int cp)
{
	static const char hex[] = "0123456789abcdef";
	char buf[6] = {'\\', 'u'};

	for (int i = 0; i < 4; i++)
		buf[2 + i] = hex[cp >> (12 - 4 * i) & 0xf];
	put_raw(w, buf, sizeof(buf));
}

static void put_escape(struct jsonw *w, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char buf[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};

	switch (c) {
	case '"':
		put_raw(w, "\\\"", 2);
		break;
	case '\\':
		put_raw(w, "\\\\", 2);
		break;
	case '\b':
		put_raw(w, "\\b", 2);
		break;
	case '\f':
		put_raw(w, "\\f", 2);
		break;
	case '\n':
		put_raw(w, "\\n", 2);
		break;
	case '\r':
		put_raw(w, "\\r", 2);
		break;
	case '\t':
		put_raw(w, "\\t", 2);
		break;
	default:
		put_raw(w, buf, sizeof(buf));
	}
}

/* Copies runs of bytes that need nothing in one write; escapes '"', '\'
 * and control characters; replaces each ill-formed UTF-8 subpart with
 * U+FFFD, so whatever the target's memory held, the output parses. */
static void put_string(struct jsonw *w, const unsigned char *s, size_t len)
{
	/* bytes copied as they are: printable ASCII but '"' and '\\' */
	static const uint8_t plain[256] = {
		[0x20 ... 0x21] = 1,
		[0x23 ... 0x5b] = 1,
		[0x5d ... 0x7f] = 1,
	};
	size_t i = 0, start = 0;

	put_char(w, '"');
	while (i < len) {
		unsigned char c = s[i];
		size_t n, bad;

		if (plain[c]) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			n = utf8_seq(s + i, len - i, &bad);
			if (n && !utf8_is_invisible_control(s + i, n)) {
				i += n;
				continue;
			}
			if (n) {
				/* C1 and bidirectional controls as \uXXXX: the same
				 * string, but a terminal or editor showing the
				 * JSON cannot be steered by it */
				put_raw(w, (const char *)s + start, i - start);
				put_u_escape(w, utf8_code_point(s + i, n));
				i += n;
				start = i;
				continue;
			}
			put_raw(w, (const char *)s + start, i - start);
			put_raw(w, "\xef\xbf\xbd", 3);
			i += bad;
		} else {
			put_raw(w, (const char *)s + start, i - start);
			put_escape(w, c);
			i++;
		}
		start = i;
	}
	put_raw(w, (const char *)s + start, i - start);
	put_char(w, '"');
}

void jsonw__key(struct jsonw *w, const char *key)
{
	sep(w);
	put_string(w, (const unsigned char *)key, strlen(key));
	put_char(w, ':');
	w->after_key = true;
}

void jsonw__string_len(struct jsonw *w, const char *s, size_t len)
{
	sep(w);
	put_string(w, (const unsigned char *)s, len);
}

void jsonw__string(struct jsonw *w, const char *s)
{
	jsonw__string_len(w, s, strlen(s));
}

/* printf would parse a format for every number of every call */
static void put_u64(struct jsonw *w, uint64_t v, bool neg)
{
	char buf[24];
	char *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	if (neg)
		*--p = '-';
	put_raw(w, p, buf + sizeof(buf) - p);
}

void jsonw__uint(struct jsonw *w, uint64_t v)
{
	sep(w);
	put_u64(w, v, false);
}

void jsonw__int(struct jsonw *w, int64_t v)
{
	sep(w);
	/* negate in unsigned arithmetic: INT64_MIN has no positive twin */
	put_u64(w, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
}

void jsonw__fixed(struct jsonw *w, uint64_t v, unsigned int places)
{
	char buf[48];
	char *p = buf + sizeof(buf);

	sep(w);
	if (places > 19)
		places = 19;
	for (unsigned int i = 0; i < places; i++) {
		*--p = '0' + v % 10;
		v /= 10;
	}
	if (places)
		*--p = '.';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	put_raw(w, p, buf + sizeof(buf) - p);
}

void jsonw__bool(struct jsonw *w, bool v)
{
	sep(w);
	if (v)
		put_raw(w, "true", 4);
	else
		put_raw(w, "false", 5);
}

void jsonw__null(struct jsonw *w)
{
	sep(w);
	put_raw(w, "null", 4);
}

void jsonw__key_string(struct jsonw *w, const char *key, const char *s)
{
	jsonw__key(w, key);
	jsonw__string(w, s);
}

void jsonw__key_int(struct jsonw *w, const char *key, int64_t v)
{
	jsonw__key(w, key);
	jsonw__int(w, v);
}

void jsonw__key_uint(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw__key(w, key);
	jsonw__uint(w, v);
}

void jsonw__key_bool(struct jsonw *w, const char *key, bool v)
{
	jsonw__key(w, key);
	jsonw__bool(w, v);
}

void jsonw__key_fixed(struct jsonw *w, const char *key, uint64_t v, unsigned int places)
{
	jsonw__key(w, key);
	jsonw__fixed(w, v, places);
}

void jsonw__newline(struct jsonw *w)
{
	if (w->depth)
		set_err(w, -EINVAL);
	w->after_key = false;
	put_char(w, '\n');
	jsonw__flush(w);
}

int jsonw__error(const struct jsonw *w)
{
	if (w->err)
		return w->err;
	return ferror(w->out) ? -EIO : 0;
}
