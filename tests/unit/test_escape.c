// SPDX-License-Identifier: MIT
/* Escaping of what the traced program names: text outputs and messages
 * show C1 and Unicode bidirectional controls escaped, like C0 controls. */
#include <stdlib.h>

#include "sys/log.h"
#include "output/render_priv.h"
#include "test.h"

static char *put_text(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	render_put_text(f, s, strlen(s), NULL, NULL);
	fclose(f);
	return out;
}

FT_TEST(escape_text_bidi_controls)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"evil\xe2\x80\xaetxt.py", "evil\\xe2\\x80\\xaetxt.py"},	/* U+202E */
		{"\xe2\x80\xaa\xe2\x80\xad", "\\xe2\\x80\\xaa\\xe2\\x80\\xad"}, /* U+202A, U+202D */
		{"\xe2\x81\xa6x\xe2\x81\xa9",
		 "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9"},				/* U+2066, U+2069 */
		{"\xe2\x80\x8e\xe2\x80\x8f", "\\xe2\\x80\\x8e\\xe2\\x80\\x8f"}, /* U+200E, U+200F */
		{"a\xd8\x9c", "a\\xd8\\x9c"},					/* U+061C */
		{"\xc2\x9b", "\\xc2\\x9b"},					/* C1 CSI */
		/* neighbours that are ordinary characters stay as they are */
		{"\xe2\x80\xaf\xe2\x81\xaa\xd8\x9d\xe2\x80\x94",
		 "\xe2\x80\xaf\xe2\x81\xaa\xd8\x9d\xe2\x80\x94"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = put_text(cases[i].in);

		FT_EQ_STR(got, cases[i].want);
		free(got);
	}
}

FT_TEST(escape_log_line_controls)
{
	char buf[128];

	log_line(buf, sizeof(buf), "PID %d runs %s", 7, "/tmp/a\x1b[31m\xe2\x80\xae\xc2\x9bz");
	FT_EQ_STR(buf, "PID 7 runs /tmp/a?[31m?????z");
	/* ordinary UTF-8 and even ill-formed bytes pass: they steer nothing */
	log_line(buf, sizeof(buf), "%s", "na\xc3\xafve \xe5\x87\xbd \xff");
	FT_EQ_STR(buf, "na\xc3\xafve \xe5\x87\xbd \xff");
}
