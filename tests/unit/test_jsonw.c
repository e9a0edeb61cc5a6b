// SPDX-License-Identifier: MIT
/* JSON writer: commas, numbers, escaping, UTF-8 repair, deep nesting. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "output/jsonw.h"
#include "json_check.h"
#include "test.h"

struct mem {
	FILE *f;
	char *buf;
	size_t len;
	struct jsonw *w;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	FT_TRUE(m->f);
	m->w = jsonw__new(m->f);
	FT_TRUE(m->w);
}

/* Closes the stream; returns the text (owned by m). */
static const char *mem_text(struct mem *m)
{
	fclose(m->f);
	return m->buf;
}

/* One string value, as the writer writes it. */
static const char *str_json(const char *s, size_t len)
{
	struct mem m;

	mem_open(&m);
	jsonw__string_len(m.w, s, len);
	FT_EQ_INT(jsonw__error(m.w), 0);
	jsonw__free(m.w);
	return mem_text(&m);
}

#define FT_EQ_JSTR(in, expected) FT_EQ_STR(str_json(in, sizeof(in) - 1), expected)

FT_TEST(jsonw_commas_and_values)
{
	struct mem m;

	mem_open(&m);
	jsonw__begin_object(m.w);
	jsonw__key_uint(m.w, "a", 1);
	jsonw__key(m.w, "b");
	jsonw__begin_array(m.w);
	jsonw__uint(m.w, 1);
	jsonw__int(m.w, -2);
	jsonw__bool(m.w, true);
	jsonw__bool(m.w, false);
	jsonw__null(m.w);
	jsonw__string(m.w, "s");
	jsonw__begin_object(m.w);
	jsonw__end_object(m.w);
	jsonw__begin_array(m.w);
	jsonw__end_array(m.w);
	jsonw__end_array(m.w);
	jsonw__key(m.w, "c");
	jsonw__begin_object(m.w);
	jsonw__key(m.w, "d");
	jsonw__begin_array(m.w);
	jsonw__end_array(m.w);
	jsonw__key_bool(m.w, "e", false);
	jsonw__key_int(m.w, "f", 0);
	jsonw__key_string(m.w, "g", "");
	jsonw__end_object(m.w);
	jsonw__end_object(m.w);
	jsonw__newline(m.w);
	FT_EQ_INT(jsonw__error(m.w), 0);
	jsonw__free(m.w);
	const char *s = mem_text(&m);
	FT_EQ_STR(s, "{\"a\":1,\"b\":[1,-2,true,false,null,\"s\",{},[]],"
		     "\"c\":{\"d\":[],\"e\":false,\"f\":0,\"g\":\"\"}}\n");
	FT_TRUE(json_check(s, false));
	free(m.buf);
}

FT_TEST(jsonw_integer_limits)
{
	struct mem m;

	mem_open(&m);
	jsonw__begin_array(m.w);
	jsonw__int(m.w, INT64_MIN);
	jsonw__int(m.w, INT64_MAX);
	jsonw__int(m.w, -1);
	jsonw__uint(m.w, UINT64_MAX);
	jsonw__uint(m.w, 0);
	jsonw__uint(m.w, 10);
	jsonw__end_array(m.w);
	jsonw__free(m.w);
	FT_EQ_STR(mem_text(&m), "[-9223372036854775808,9223372036854775807,-1,"
				"18446744073709551615,0,10]");
	free(m.buf);
}

FT_TEST(jsonw_lines)
{
	struct mem m;

	mem_open(&m);
	for (int i = 0; i < 3; i++) {
		jsonw__begin_object(m.w);
		jsonw__key_int(m.w, "i", i);
		jsonw__end_object(m.w);
		jsonw__newline(m.w);
	}
	jsonw__uint(m.w, 7);
	jsonw__newline(m.w);
	FT_EQ_INT(jsonw__error(m.w), 0);
	jsonw__free(m.w);
	const char *s = mem_text(&m);
	FT_EQ_STR(s, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n7\n");
	FT_TRUE(json_check(s, true));
	free(m.buf);
}

FT_TEST(jsonw_escapes)
{
	FT_EQ_JSTR("plain text / ok", "\"plain text / ok\"");
	FT_EQ_JSTR("q\"b\\", "\"q\\\"b\\\\\"");
	FT_EQ_JSTR("\n\t\r\b\f", "\"\\n\\t\\r\\b\\f\"");
	FT_EQ_JSTR("\x01\x1f\x1b[31m", "\"\\u0001\\u001f\\u001b[31m\"");
	/* DEL needs no escape in JSON */
	FT_EQ_JSTR("a\x7f", "\"a\x7f\"");
	/* an embedded NUL through the length form */
	FT_EQ_JSTR("a\0b", "\"a\\u0000b\"");
	FT_EQ_JSTR("", "\"\"");
}

FT_TEST(jsonw_utf8_passes_through)
{
	FT_EQ_JSTR("naïve_ünïcode", "\"naïve_ünïcode\"");
	FT_EQ_JSTR("函数", "\"函数\"");
	FT_EQ_JSTR("\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbd \xc2\xa0",
		   "\"\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbd \xc2\xa0\"");
	FT_EQ_JSTR("\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80",
		   "\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80\"");
}

/* The same string, but C1 and bidirectional controls (which steer a
 * terminal or reorder what follows) are written as \u escapes. */
FT_TEST(jsonw_invisible_controls_escaped)
{
	FT_EQ_JSTR("a\xc2\x80\xc2\x9b", "\"a\\u0080\\u009b\"");
	FT_EQ_JSTR("x\xe2\x80\xaeyz", "\"x\\u202eyz\"");
	FT_EQ_JSTR("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
		   "\"\\u202a\\u202b\\u202c\\u202d\"");
	FT_EQ_JSTR("\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c",
		   "\"\\u2066\\u2069\\u200e\\u200f\\u061c\"");
	/* neighbours that are not controls stay as they are */
	FT_EQ_JSTR("\xe2\x80\xaf\xe2\x81\xaa\xd8\x9d\xe2\x80\x8d",
		   "\"\xe2\x80\xaf\xe2\x81\xaa\xd8\x9d\xe2\x80\x8d\"");
}

#define R "\xef\xbf\xbd" /* U+FFFD */

FT_TEST(jsonw_invalid_utf8_replaced)
{
	/* stray continuation bytes, bytes that never occur */
	FT_EQ_JSTR("a\x80z", "\"a" R "z\"");
	FT_EQ_JSTR("\xbf\xfe\xff", "\"" R R R "\"");
	FT_EQ_JSTR("\xf5\x80", "\"" R R "\"");
	/* overlongs: C0/C1 leads, E0 and F0 with too small a second byte */
	FT_EQ_JSTR("\xc0\xaf", "\"" R R "\"");
	FT_EQ_JSTR("\xc1\xbf", "\"" R R "\"");
	FT_EQ_JSTR("\xe0\x80\xaf", "\"" R R R "\"");
	FT_EQ_JSTR("\xf0\x80\x80\xaf", "\"" R R R R "\"");
	/* surrogates, and beyond U+10FFFF */
	FT_EQ_JSTR("\xed\xa0\x80", "\"" R R R "\"");
	FT_EQ_JSTR("\xed\xbf\xbf", "\"" R R R "\"");
	FT_EQ_JSTR("\xf4\x90\x80\x80", "\"" R R R R "\"");
	/* truncated sequences: one U+FFFD per maximal subpart */
	FT_EQ_JSTR("\xe5\x87", "\"" R "\"");
	FT_EQ_JSTR("\xe5\x87"
		   "A",
		   "\"" R "A\"");
	FT_EQ_JSTR("\xf0\x9f\x98", "\"" R "\"");
	FT_EQ_JSTR("\xf0\x9f\x98"
		   "\xf0\x9f\x98\x80",
		   "\"" R "\xf0\x9f\x98\x80\"");
	FT_EQ_JSTR("\xc3", "\"" R "\"");
	FT_EQ_JSTR("\xc3(", "\"" R "(\"");
	/* mixed with escapes */
	FT_EQ_JSTR("\"\xff\n", "\"\\\"" R "\\n\"");
}

FT_TEST(jsonw_hostile_strings_stay_valid)
{
	struct mem m;
	char all[512];
	size_t n = 0;

	/* every byte value, then every byte after every lead byte */
	for (int i = 1; i < 256; i++)
		all[n++] = (char)i;
	for (int i = 0xc0; i < 0x100 && n + 2 < sizeof(all); i += 3) {
		all[n++] = (char)i;
		all[n++] = (char)(0x80 + (i & 0x3f));
	}
	mem_open(&m);
	jsonw__begin_object(m.w);
	jsonw__key(m.w, all);
	jsonw__string_len(m.w, all, n);
	jsonw__end_object(m.w);
	jsonw__free(m.w);
	const char *s = mem_text(&m);
	FT_TRUE(json_check(s, false));
	free(m.buf);
}

FT_TEST(jsonw_deep_nesting)
{
	enum { DEPTH = 20000 };
	struct mem m;

	mem_open(&m);
	for (int i = 0; i < DEPTH; i++) {
		jsonw__begin_array(m.w);
		jsonw__uint(m.w, i % 10);
	}
	for (int i = 0; i < DEPTH; i++)
		jsonw__end_array(m.w);
	FT_EQ_INT(jsonw__error(m.w), 0);
	jsonw__free(m.w);
	const char *s = mem_text(&m);
	FT_EQ_U64(m.len, DEPTH * 4 - 1);
	FT_TRUE(!strncmp(s, "[0,[1,[2,", 9));
	FT_EQ_INT(s[m.len - DEPTH - 1], '9');
	FT_EQ_U64(strspn(s + m.len - DEPTH, "]"), DEPTH);
	FT_EQ_U64(strstr(s, "[9,[0,[") - s, 27);
	free(m.buf);
}

FT_TEST(jsonw_misuse_is_reported)
{
	struct mem m;

	mem_open(&m);
	jsonw__end_object(m.w);
	FT_EQ_INT(jsonw__error(m.w), -EINVAL);
	jsonw__free(m.w);
	mem_text(&m);
	free(m.buf);

	mem_open(&m);
	jsonw__begin_array(m.w);
	jsonw__newline(m.w);
	FT_EQ_INT(jsonw__error(m.w), -EINVAL);
	jsonw__free(m.w);
	mem_text(&m);
	free(m.buf);
}

/* the checker the JSON tests lean on must itself reject bad input */
FT_TEST(jsonw_checker_rejects_invalid)
{
	if (access(FT_TEST_PYTHON, X_OK))
		return;
	FT_TRUE(json_check("{\"a\":[1,2]}", false));
	FT_TRUE(!json_check_ex("{\"a\":[1,2}", false, true));
	FT_TRUE(!json_check_ex("\"\xff\"", false, true));
	FT_TRUE(!json_check_ex("\"\xed\xa0\x80\"", false, true));
	FT_TRUE(!json_check_ex("\"a\nb\"", false, true));
	FT_TRUE(json_check("{}\n[]\n", true));
	FT_TRUE(!json_check_ex("{}\n[\n", true, true));
}

/* the writer buffers: a line must reach the stream at its newline, and
 * strings longer than the buffer must come out whole and in order */
FT_TEST(jsonw_buffering)
{
	enum { LONG = 10000 };
	struct mem m;
	char *big = malloc(LONG + 1), *expected = malloc(3 * LONG);

	FT_TRUE(big && expected);
	memset(big, 'a', LONG);
	big[LONG] = 0;
	big[5000] = '\n';
	mem_open(&m);
	jsonw__begin_array(m.w);
	jsonw__uint(m.w, 1);
	jsonw__end_array(m.w);
	jsonw__newline(m.w);
	fflush(m.f);
	FT_EQ_STR(m.buf, "[1]\n");
	jsonw__begin_array(m.w);
	jsonw__string(m.w, big);
	jsonw__string(m.w, big + 4000);
	jsonw__end_array(m.w);
	jsonw__newline(m.w);
	fflush(m.f);
	big[5000] = 0;
	snprintf(expected, 3 * LONG, "[1]\n[\"%s\\n%s\",\"%s\\n%s\"]\n", big, big + 5001,
		 big + 4000, big + 5001);
	FT_EQ_STR(m.buf, expected);
	FT_EQ_INT(jsonw__error(m.w), 0);
	jsonw__free(m.w);
	mem_text(&m);
	free(m.buf);
	free(big);
	free(expected);
}
