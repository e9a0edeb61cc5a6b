#!/usr/bin/env bash
# The html page's flag check (scripts/embed-html.sh) catches a page and C
# that disagree: copies of src/core/*.h and src/output/html/ are changed on
# one side only, and the header must then fail to generate or to compile;
# unchanged, it must compile.
#
# Usage: tests/unit/embed_html.sh     (no root needed; make test-unit runs it)
# Exit:  0 all passed, 1 a check failed. Last line: "embed-html: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

CC=${CC:-gcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }

# fresh: pristine copies of the C flags and the assets
fresh() {
	rm -rf "$tmp/core" "$tmp/html"
	mkdir -p "$tmp/core" "$tmp/html"
	cp src/core/*.h "$tmp/core/"
	cp src/output/html/* "$tmp/html/"
}

# build: generate the header from the copies and compile it; the output of
# both steps in $tmp/log
build() {
	scripts/embed-html.sh "$tmp/html" "$tmp/core" "$tmp/page.h" >"$tmp/log" 2>&1 &&
		$CC -std=gnu11 -fsyntax-only -D_GNU_SOURCE -Iinclude -x c "$tmp/page.h" >>"$tmp/log" 2>&1
}

# refused NAME PATTERN: the build must fail and say PATTERN
refused() {
	if build; then
		fail "$1" "the build passed"
	elif grep -q -- "$2" "$tmp/log"; then
		pass "$1"
	else
		fail "$1" "failed without saying '$2': $(head -c 300 "$tmp/log")"
	fi
}

fresh
if build; then
	pass "the page and C agree: the header compiles"
else
	fail "the page and C agree" "$(head -c 300 "$tmp/log")"
fi
fresh
sed -i 's/^#define FT_NODE_END_LOST\([[:space:]]*\)0x10/#define FT_NODE_END_LOST\10x80/' "$tmp/core/calltree.h"
refused "FT_NODE_END_LOST changed in C only" "F_END_LOST = 16, which is not FT_NODE_END_LOST"

fresh
sed -i 's/^#define FT_NODE_EXEC\([[:space:]]*\)0x40/#define FT_NODE_EXEC\10x08/' "$tmp/core/calltree.h"
refused "FT_NODE_EXEC moved onto a bit the page reads, in C only" "FT_NODE_EXEC overlaps a flag page.js reads"

fresh
sed -i 's/^#define FT_NAME_FILE_CUT 0x4/#define FT_NAME_FILE_CUT 0x100/' "$tmp/core/names.h"
refused "FT_NAME_FILE_CUT moved onto the page's own NAME_THREAD bit" "NAME_THREAD = 256 overlaps"

fresh
sed -i 's/^#define FT_NODE_EXEC/#define FT_NODE_NEW 0x80\n&/' "$tmp/core/calltree.h"
refused "a flag added in C only" "calltree.h defines FT_NODE_NEW but page.js does not say"

fresh
sed -i 's/F_END_LOST = 16/F_END_LOST = 32/' "$tmp/html/page.js"
refused "F_END_LOST changed in page.js only" "F_END_LOST = 32, which is not FT_NODE_END_LOST"

fresh
sed -i 's/^var F_UNFINISHED = 1,/var F_EXEC = 64;\n&/' "$tmp/html/page.js"
refused "a flag constant added in page.js without naming its C flag" "page.js declares F_EXEC = 64 but names no C constant"

echo "embed-html: $passed passed, $failed failed"
((failed == 0))
