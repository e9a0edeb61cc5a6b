// SPDX-License-Identifier: MIT
/* Python str data (Latin-1, UCS-2, UCS-4) to UTF-8. */
#include <string.h>

#include "cpython/pystr.h"
#include "test.h"

FT_TEST(pystr_kinds)
{
	char out[64];
	bool cut;
	const uint8_t latin1[] = {'g', 'r', 0xfc, 0xdf, 'e'};
	const uint16_t ucs2[] = {0x540d, 0x524d};
	const uint32_t ucs4[] = {'f', 0x1f600};

	FT_EQ_INT(pystr_to_utf8(latin1, sizeof(latin1), 1, out, sizeof(out), &cut), 7);
	FT_EQ_STR(out, "gr\xc3\xbc\xc3\x9f"
		       "e");
	FT_TRUE(!cut);
	FT_EQ_INT(pystr_to_utf8(ucs2, sizeof(ucs2), 2, out, sizeof(out), &cut), 6);
	FT_EQ_STR(out, "\xe5\x90\x8d\xe5\x89\x8d");
	FT_EQ_INT(pystr_to_utf8(ucs4, sizeof(ucs4), 4, out, sizeof(out), &cut), 5);
	FT_EQ_STR(out, "f\xf0\x9f\x98\x80");
}

FT_TEST(pystr_cut_on_character_boundary)
{
	char out[6];
	bool cut;
	const uint16_t ucs2[] = {0x540d, 0x524d};

	/* 5 bytes of room: one 3-byte character fits, the second does not */
	FT_EQ_INT(pystr_to_utf8(ucs2, sizeof(ucs2), 2, out, sizeof(out), &cut), 3);
	FT_TRUE(cut);
	FT_EQ_STR(out, "\xe5\x90\x8d");
}

FT_TEST(pystr_unencodable_and_bad_input)
{
	char out[16];
	bool cut;
	const uint16_t lone[] = {0xd800};
	const uint8_t odd[] = {1, 2, 3};

	FT_EQ_INT(pystr_to_utf8(lone, sizeof(lone), 2, out, sizeof(out), &cut), 3);
	FT_EQ_STR(out, "\xef\xbf\xbd");
	FT_EQ_INT(pystr_to_utf8(odd, sizeof(odd), 2, out, sizeof(out), &cut), -1);
	FT_EQ_INT(pystr_to_utf8(odd, sizeof(odd), 3, out, sizeof(out), &cut), -1);
	FT_EQ_INT(pystr_to_utf8(odd, 0, 1, out, sizeof(out), &cut), 0);
	FT_EQ_STR(out, "");
}
