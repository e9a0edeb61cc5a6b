// SPDX-License-Identifier: MIT
/* Python str data to UTF-8; see pystr.h. */
#include <string.h>

#include "cpython/pystr.h"

static size_t encode(uint32_t c, char out[4])
{
	if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

long pystr_to_utf8(const void *src, size_t n, int kind, char *dst, size_t max, bool *cut)
{
	const uint8_t *s = src;
	size_t out = 0;

	*cut = false;
	if ((kind != 1 && kind != 2 && kind != 4) || n % kind || !max)
		return -1;
	for (size_t i = 0; i < n; i += kind) {
		uint32_t c;
		char buf[4];
		size_t len;

		if (kind == 1) {
			c = s[i];
		} else if (kind == 2) {
			c = s[i] | (uint32_t)s[i + 1] << 8;
		} else {
			c = s[i] | (uint32_t)s[i + 1] << 8 | (uint32_t)s[i + 2] << 16 |
			    (uint32_t)s[i + 3] << 24;
		}
		len = encode(c, buf);
		if (out + len > max - 1) {
			*cut = true;
			break;
		}
		memcpy(dst + out, buf, len);
		out += len;
	}
	dst[out] = 0;
	return (long)out;
}
