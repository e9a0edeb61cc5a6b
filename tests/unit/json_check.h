/* SPDX-License-Identifier: MIT */
/* Test helper: checks that text is valid UTF-8 and valid JSON (one
 * document, or one per line) with the system's Python, strictly decoding
 * UTF-8 first, since json.loads() alone would accept encoded surrogates. */
#ifndef FT_TEST_JSON_CHECK_H
#define FT_TEST_JSON_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FT_TEST_PYTHON "/usr/bin/python3.11"

/* Returns true when valid (lines: every line is a document). Without
 * Python it says so on stderr and returns true: the exact-string checks
 * still hold every test. */
static inline bool json_check_ex(const char *text, bool lines, bool quiet)
{
	static const char doc[] =
		FT_TEST_PYTHON " -c 'import json,sys; json.loads(sys.stdin.buffer.read()"
			       ".decode(\"utf-8\", \"strict\"))'";
	static const char jsonl[] = FT_TEST_PYTHON
		" -c 'import json,sys\n"
		"for l in sys.stdin.buffer.read().decode(\"utf-8\", \"strict\").splitlines():\n"
		"    json.loads(l)'";
	FILE *p;

	if (access(FT_TEST_PYTHON, X_OK)) {
		fprintf(stderr, "  note: no %s, JSON validity not checked\n", FT_TEST_PYTHON);
		return true;
	}
	fflush(NULL);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s%s", lines ? jsonl : doc, quiet ? " 2>/dev/null" : "");
	p = popen(cmd, "w");
	if (!p)
		return false;
	fwrite(text, 1, strlen(text), p);
	int st = pclose(p);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static inline bool json_check(const char *text, bool lines)
{
	return json_check_ex(text, lines, false);
}

#endif /* FT_TEST_JSON_CHECK_H */
