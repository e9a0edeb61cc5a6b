#!/usr/bin/env bash
# Builds the C header that embeds the html page's assets (page.css,
# page.html, page.js in ASSETS) for src/output/render_html.c, and checks
# that the flag bits page.js reads are the ones C writes.
#
# Whole-line comments are dropped from the assets (// in page.js, /* */ in
# page.css, <!-- --> in page.html), so the files can explain themselves
# without growing every page. The bytes go in as arrays, which need no
# escaping and take any character.
#
# The flag check: page.js names, in comment lines, what each of its F_* and
# NAME_* constants copies from C (see the block above their declarations):
#   flag JS C       JS's value must equal C's constant C
#   page JS FAMILY  a bit of the page's own: clear of every C FAMILY_* flag
#   unread C        a C flag the page does not read: clear of the bits it reads
#   mask C          a C union of flags the page reads: no other bit
# Every F_/NAME_ constant page.js declares and every FT_NODE_*/FT_NAME_*
# macro in CORE/*.h must be named there, or this script fails. Values are
# compared by the compiler: the header carries one _Static_assert each, so
# render_html.c does not build while the page and C disagree.
#
# Usage: scripts/embed-html.sh ASSETS CORE OUT.h
#        (make runs: scripts/embed-html.sh src/output/html src/core $(BUILD)/output/html_page.h)
# Exit:  0 written, 1 the assets and C disagree (or an asset is missing).
set -euo pipefail

if (($# != 3)); then
	echo "usage: $0 ASSETS CORE OUT.h" >&2
	exit 2
fi
assets=$1 core=$2 out=$3
js=$assets/page.js

die() {
	echo "embed-html: $1" >&2
	[[ -n ${2:-} ]] && echo "hint: $2" >&2
	exit 1
}

for f in page.css page.html page.js; do
	[[ -s $assets/$f ]] || die "$assets/$f is missing or empty"
done

# strip EXT: the asset on stdin without its whole-line comments
strip() {
	case $1 in
	js) awk '!/^[ \t]*\/\//' ;;
	css) awk '/^[ \t]*\/\*/ { c = 1 } c { if (/\*\/[ \t]*$/) c = 0; next } { print }' ;;
	html) awk '/^[ \t]*<!--/ { c = 1 } c { if (/-->[ \t]*$/) c = 0; next } { print }' ;;
	esac
}

# array NAME FILE EXT: the stripped asset as a C array of bytes (no NUL)
array() {
	echo "static const char $1[] = {"
	strip "$3" <"$2" | od -An -v -tx1 | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g; s/^/\t/'
	echo "};"
}

# ---- the flag check ----
# JS declarations "F_X = 16" / "NAME_X = 0x4" outside comments: NAME VALUE
declared=$(strip js <"$js" | grep -oE '\b(F|NAME)_[A-Z0-9_]+ *= *(0x[0-9a-fA-F]+|[0-9]+)\b' |
	sed 's/ *= */ /' || true)
# the annotations: KIND ARG [ARG] (anything after a colon is prose)
notes=$(grep -E '^[ \t]*//[ \t]*(flag|page|unread|mask) [A-Z]' "$js" |
	sed -E 's,^[ \t]*//[ \t]*,,; s/:.*//' | awk '{ print $1, $2 ($3 == "" ? "" : " " $3) }' || true)
# C's flags: HEADER NAME
cflags=$(grep -oE '^#define FT_(NODE|NAME)_[A-Z0-9_]+' "$core"/*.h |
	sed 's,^.*/\([^/]*\.h\):#define ,\1 ,' || true)

jsval() { awk -v n="$1" '$1 == n { print $2 }' <<<"$declared"; }
family() { sed -E 's/^(FT_[A-Z]+)_.*/\1/' <<<"$1"; }

problems=()
while read -r name val; do
	[[ -n $name ]] || continue
	n=$(grep -cE "^(flag|page) $name( |$)" <<<"$notes" || true)
	((n == 1)) || problems+=("page.js declares $name = $val but names no C constant for it (add a '// flag $name FT_...' or '// page $name FAMILY' line)")
	(($(awk -v n="$name" '$1 == n' <<<"$declared" | wc -l) == 1)) ||
		problems+=("page.js declares $name more than once")
done <<<"$declared"
while read -r hdr name; do
	[[ -n $name ]] || continue
	grep -qE "^(flag [A-Z0-9_]+|unread|mask) $name$" <<<"$notes" ||
		problems+=("$hdr defines $name but page.js does not say whether it reads it (add a '// flag JS $name' or '// unread $name' line)")
done <<<"$cflags"

asserts=()
declare -A readmask=()
while read -r kind a b; do
	[[ $kind == flag ]] || continue
	v=$(jsval "$a")
	[[ -n $v ]] || {
		problems+=("page.js names $a as a copy of $b but does not declare it")
		continue
	}
	grep -q " $b$" <<<"$cflags" || problems+=("page.js copies $b into $a, but C has no $b")
	fam=$(family "$b")
	readmask[$fam]="${readmask[$fam]:+${readmask[$fam]} | }$v"
	asserts+=("_Static_assert($b == $v, \"page.js has $a = $v, which is not $b: the page misreads the data\");")
done <<<"$notes"
while read -r kind a b; do
	case $kind in
	page)
		v=$(jsval "$a")
		[[ -n $v ]] || {
			problems+=("page.js names $a as its own flag but does not declare it")
			continue
		}
		all=$(awk -v f="${b}_" 'index($2, f) == 1 { printf "%s%s", s, $2; s = " | " }' <<<"$cflags")
		[[ -n $all ]] || {
			problems+=("page.js keeps $a clear of $b flags, but C has no ${b}_* flag")
			continue
		}
		asserts+=("_Static_assert(($v & ($all)) == 0, \"page.js's own flag $a = $v overlaps C's ${b}_* flags\");")
		;;
	unread | mask)
		fam=$(family "$a")
		m=${readmask[$fam]:-0}
		if [[ $kind == unread ]]; then
			asserts+=("_Static_assert(($a & ($m)) == 0, \"$a overlaps a flag page.js reads: the page would misread it\");")
		else
			asserts+=("_Static_assert(($a & ~($m)) == 0, \"$a has a bit page.js does not read\");")
		fi
		;;
	esac
done <<<"$notes"

if ((${#problems[@]})); then
	for p in "${problems[@]}"; do
		echo "embed-html: $p" >&2
	done
	die "$js and C's flags (${core}/*.h) disagree" "see the flag block in $js"
fi

tmp=$out.tmp
{
	echo "/* Generated by scripts/embed-html.sh from $assets: edit those files, not this one. */"
	echo "#ifndef FT_HTML_PAGE_H"
	echo "#define FT_HTML_PAGE_H"
	echo
	awk '{ print $1 }' <<<"$cflags" | sort -u | sed "s,.*,#include \"${core##*/}/&\","
	echo
	echo "/* page.js reads these flag bits of the data: they must be C's */"
	printf '%s\n' "${asserts[@]}"
	echo
	array html_page_css "$assets/page.css" css
	array html_page_body "$assets/page.html" html
	array html_page_js "$assets/page.js" js
	echo
	echo "#endif"
} >"$tmp"
mv "$tmp" "$out"
