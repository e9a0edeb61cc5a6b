#!/usr/bin/env bash
# Browser check of the html format: pages of known forests (tests/browser/
# gen_page.c, through the real builder and renderer) and, as root, of a real
# trace are opened in headless Chromium. The page writes "ok: N boxes drawn"
# into #status after drawing and any exception into #error; "#selftest" in
# the URL makes it drive its own hover, click-zoom, fold, reset, search,
# flame graph and table and report in #selftest. Screenshots are decoded and
# must show coloured boxes in the flame area.
#
# Usage: tests/browser/run.sh      (from anywhere; builds what it needs)
# Env:   CHROMIUM=path  BUILD=dir  KEEP=1 (keep pages and screenshots)
# Exit:  0 all passed (or skipped with a reason), 1 a check failed,
#        2 the check itself could not run (build failed, no browser in CI).
# Last line: "browser: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
OUT=$BUILD/browser
PY=/usr/bin/python3.11
[[ -x $PY ]] || PY=$(command -v python3 || true)
passed=0
failed=0

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; }
finish() {
	echo "browser: $passed passed, $failed failed"
	((failed == 0)) || exit 1
	exit 0
}
broken() {
	echo "browser: $1" >&2
	[[ -n ${2:-} ]] && echo "hint: $2" >&2
	echo "browser: $passed passed, $((failed + 1)) failed"
	exit 2
}

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z $CHROMIUM ]]; then
	if [[ ${CI:-} == true ]]; then
		broken "no chromium" "scripts/install-deps.sh --browser installs it"
	fi
	skip "all" "no chromium; scripts/install-deps.sh --browser installs it"
	finish
fi
[[ -n $PY ]] || broken "no python3 to decode screenshots"

mkdir -p "$OUT"

# ---- build the page generator against the tool's own objects ----
objs=()
for f in src/*/*.c; do
	[[ $f == src/app/main.c ]] && continue
	f=${f#src/}
	objs+=("$BUILD/obj/${f%.c}.o")
done
make -s --no-print-directory "${objs[@]}" >"$OUT/build.log" 2>&1 ||
	broken "building the tool's objects failed (see $OUT/build.log)"
${CC:-gcc} -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
	-Iinclude -Isrc -I"$BUILD" tests/browser/gen_page.c "${objs[@]}" \
	${LDFLAGS:-} -lbpf -lelf -lz -lcapstone -o "$OUT/gen-page" >>"$OUT/build.log" 2>&1 ||
	broken "building gen-page failed (see $OUT/build.log)"

# ---- the browser ----
# browse MODE URL OUTFILE: MODE dom writes the DOM after load, png a
# 1200x800 screenshot. A fresh profile each time; nothing from the network.
browse() {
	local mode=$1 url=$2 out=$3 profile rc
	profile=$(mktemp -d)
	local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
		--disable-background-networking --disable-component-update --disable-sync
		--user-data-dir="$profile" --window-size=1200,800)
	if [[ $mode == dom ]]; then
		timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "$url" >"$out" 2>>"$OUT/chromium.log"
	else
		rm -f "$out"
		timeout 120 "$CHROMIUM" "${flags[@]}" --screenshot="$out" "$url" \
			>>"$OUT/chromium.log" 2>&1
	fi
	rc=$?
	rm -rf "$profile"
	return $rc
}

url() { echo "file://$(realpath "$1")${2:+#$2}"; }

# the text of the element with this id in a dumped DOM
element() {
	grep -o "id=\"$2\"[^>]*>[^<]*" "$1" | head -n1 | sed 's/^[^>]*>//'
}

# check_page NAME DOMFILE MIN_BOXES MAX_BOXES [SELFTEST_MIN]: the page ran
# without an error, drew between MIN and MAX boxes, and its self-test passed
check_page() {
	local name=$1 dom=$2 min=$3 max=$4 stmin=${5:-0} status err st boxes
	status=$(element "$dom" status)
	err=$(element "$dom" error)
	if [[ ! -s $dom ]]; then
		fail "$name" "the browser wrote no DOM (see $OUT/chromium.log)"
		return
	fi
	if [[ -n $err ]] || ! grep -q '<div id="error" hidden="">' "$dom"; then
		fail "$name" "page error: ${err:-#error shown}"
		return
	fi
	if [[ ! $status =~ ^ok:\ ([0-9]+)\ boxes\ drawn ]]; then
		fail "$name" "status is '$status'"
		return
	fi
	boxes=${BASH_REMATCH[1]}
	if ((boxes < min || boxes > max)); then
		fail "$name" "$boxes boxes drawn, expected $min..$max"
		return
	fi
	if ((stmin)); then
		st=$(element "$dom" selftest)
		if [[ ! $st =~ ^selftest:\ ([0-9]+)\ passed,\ 0\ failed ]] ||
			((BASH_REMATCH[1] < stmin)); then
			fail "$name" "self-test: ${st:-no result}"
			return
		fi
	fi
	pass "$name ($status${st:+; $st})"
}

check_png() {
	local name=$1 png=$2
	shift 2
	local line
	if [[ ! -s $png ]]; then
		fail "$name" "no screenshot (see $OUT/chromium.log)"
		return
	fi
	if line=$("$PY" tests/browser/png_check.py "$png" "$@"); then
		pass "$name (${line#png_check: })"
	else
		fail "$name" "${line#png_check: }"
	fi
}

gen() {
	local n
	n=$("$OUT/gen-page" "$@") || broken "gen-page $* failed"
	echo "$n"
}

# ---- a known forest: two threads, recursion, losses, unfinished calls ----
calls=$(gen sample "$OUT/sample.html")
browse dom "$(url "$OUT/sample.html" selftest)" "$OUT/sample.dom"
check_page "sample page runs, draws and passes its self-test" "$OUT/sample.dom" 10 "$calls" 15
browse png "$(url "$OUT/sample.html")" "$OUT/sample.png"
check_png "sample timeline screenshot shows the flame chart" "$OUT/sample.png"
browse png "$(url "$OUT/sample.html" view=flame)" "$OUT/sample-flame.png"
check_png "sample flame graph screenshot" "$OUT/sample-flame.png"

browse dom "$(url "$OUT/sample.html" q=price)" "$OUT/sample-search.dom"
m=$(element "$OUT/sample-search.dom" matches)
if [[ $m == "15 calls · "* ]]; then
	pass "search from the URL finds the 15 price calls ($m)"
else
	fail "search from the URL" "matches shows '$m'"
fi

browse dom "$(url "$OUT/sample.html" view=table)" "$OUT/sample-table.dom"
rows=$(grep -o '<tr>' "$OUT/sample-table.dom" | wc -l)
# 18 functions (items_of's resumes fold into one) and the header row
if ((rows == 19)); then
	pass "functions table lists 18 functions"
else
	fail "functions table" "$rows rows, expected 19"
fi

# ---- names that try to break out of the page ----
gen hostile "$OUT/hostile.html" >/dev/null
browse dom "$(url "$OUT/hostile.html" selftest)" "$OUT/hostile.dom"
check_page "hostile names: page still runs" "$OUT/hostile.dom" 1 7 15
scripts=$(grep -o '<script' "$OUT/hostile.dom" | wc -l)
imgs=$(grep -o '<img' "$OUT/hostile.dom" | wc -l)
title=$(grep -o '<title>[^<]*' "$OUT/hostile.dom" | sed 's/<title>//')
if ((scripts == 2 && imgs == 0)) && [[ $title == "flowtrace: python3 &lt;/script&gt;"* ]]; then
	pass "hostile names: no element injected, title is text"
else
	fail "hostile names" "$scripts scripts, $imgs images, title '$title'"
fi

# ---- nothing traced: a message, no boxes; the screenshot check must fail ----
gen empty "$OUT/empty.html" >/dev/null
browse dom "$(url "$OUT/empty.html" selftest)" "$OUT/empty.dom"
check_page "empty trace page runs" "$OUT/empty.dom" 0 0 1
browse png "$(url "$OUT/empty.html")" "$OUT/empty.png"
if [[ -s $OUT/empty.png ]] && ! "$PY" tests/browser/png_check.py "$OUT/empty.png" >/dev/null; then
	pass "empty trace screenshot has no boxes (the picture check can fail)"
else
	fail "empty trace screenshot" "png_check passed on a page without boxes"
fi

# ---- the error path: broken data must show in #error ----
sed 's/"threads":\[/"threads":[nope/' "$OUT/sample.html" >"$OUT/broken.html"
browse dom "$(url "$OUT/broken.html")" "$OUT/broken.dom"
if grep -q '<div id="error">This page failed: ' "$OUT/broken.dom" &&
	[[ $(element "$OUT/broken.dom" status) == error:* ]]; then
	pass "a script error shows in #error and #status"
else
	fail "error reporting" "broken data did not show as an error"
fi

# ---- 100k calls: still draws, quickly ----
calls=$(gen big "$OUT/big.html" 100000)
browse dom "$(url "$OUT/big.html" selftest)" "$OUT/big.dom"
check_page "100k calls: page runs and passes its self-test" "$OUT/big.dom" 1000 "$calls" 15
ms=$(element "$OUT/big.dom" status | sed -n 's/.* in \([0-9]*\)\.[0-9]* ms$/\1/p')
if [[ -n $ms ]] && ((ms < 2000)); then
	pass "100k calls: first frame in $ms ms"
else
	fail "100k calls: first frame" "took ${ms:-?} ms"
fi
browse png "$(url "$OUT/big.html")" "$OUT/big.png"
check_png "100k calls screenshot" "$OUT/big.png" --bottom 240

# ---- a real trace, when this machine can take one ----
py=/var/cache/flowtrace-bpf/python3.9-dtrace/bin/python3.9
[[ -x $py ]] || py=/usr/bin/python3.11
if ((EUID != 0)); then
	if [[ ${CI:-} == true ]]; then
		fail "real trace" "needs root, and CI runs as root"
	else
		skip "real trace" "tracing needs root"
	fi
elif [[ ! -x $BUILD/flowtrace-bpf ]]; then
	fail "real trace" "no $BUILD/flowtrace-bpf: run make first"
else
	rm -f "$OUT/real.html"
	if timeout 120 "$BUILD/flowtrace-bpf" -f html -o "$OUT/real.html" \
		-c "$py scripts/demo_app.py" >/dev/null 2>"$OUT/real.log"; then
		browse dom "$(url "$OUT/real.html" selftest)" "$OUT/real.dom"
		check_page "real trace of scripts/demo_app.py (${py##*/})" "$OUT/real.dom" 10 10000000 15
		browse png "$(url "$OUT/real.html")" "$OUT/real.png"
		check_png "real trace screenshot" "$OUT/real.png"
	else
		fail "real trace" "flowtrace-bpf failed: $(tail -n1 "$OUT/real.log")"
	fi
fi

[[ ${KEEP:-} == 1 ]] || rm -f "$OUT"/*.dom "$OUT/broken.html"
finish
