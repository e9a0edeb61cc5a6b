/* SPDX-License-Identifier: MIT */
/* UTF-8 well-formedness, shared by the JSON writer (which replaces bad
 * bytes with U+FFFD) and the tree renderer (which shows them as \xNN).
 * Names come from the traced program's memory and may hold anything. */
#ifndef FT_UTF8_H
#define FT_UTF8_H

#include <stddef.h>

/* Returns the length (1..4) of the well-formed UTF-8 sequence at s, which
 * holds len >= 1 bytes, or 0 when s does not start one. On 0, *bad is the
 * length of the maximal ill-formed subpart (1..3), the span Unicode
 * recommends replacing by a single U+FFFD: overlongs, surrogates, code
 * points above U+10FFFF and truncated sequences are all ill-formed. */
static inline size_t utf8_seq(const unsigned char *s, size_t len, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		*bad = 1; /* continuation byte, C0/C1 overlong lead, F5..FF */
		return 0;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* True when the well-formed sequence of n bytes at s is a character that
 * changes how a terminal or a text view shows what follows, though it
 * shows nothing itself: a C1 control (U+0080..U+009F, some terminals obey
 * them) or a bidirectional control (U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069), which can make a name read as another (CVE-2021-42574,
 * "Trojan Source"). Text outputs escape them like C0 controls. */
static inline int utf8_is_invisible_control(const unsigned char *s, size_t n)
{
	if (n == 2)
		return (s[0] == 0xc2 && s[1] < 0xa0) || (s[0] == 0xd8 && s[1] == 0x9c);
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x80)
		return s[2] == 0x8e || s[2] == 0x8f || (s[2] >= 0xaa && s[2] <= 0xae);
	if (n == 3 && s[0] == 0xe2 && s[1] == 0x81)
		return s[2] >= 0xa6 && s[2] <= 0xa9;
	return 0;
}

/* The code point of the well-formed sequence of n (1..3) bytes at s. */
static inline unsigned int utf8_code_point(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0];
	if (n == 2)
		return (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
	return (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
}

#endif /* FT_UTF8_H */
