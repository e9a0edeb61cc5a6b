#!/usr/bin/env bash
# Builds and caches a CPython 3.9 with complete USDT (dtrace/stapsdt) markers,
# the traced interpreter for flowtrace-bpf's integration tests and benchmarks.
#
# Owns, and touches nothing else:
#   ${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}/python3.9-dtrace   install prefix (+ stamp file)
#   ${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}/python3.9-build    Debian source tree, build log
#   /etc/apt/sources.list.d/flowtrace-bullseye-src.sources          deb-src entry for bullseye
# plus the Debian build dependencies it installs when missing.
#
# Source: Debian bullseye's python3.9 (Debian patches applied), built with upstream
# configure/make (no dpkg-buildpackage, no PGO/LTO). Idempotent: once built, it only
# checks the cached build and prints its path.
# Usage: py=$(scripts/build-python39.sh | tail -n1)   # last stdout line: the interpreter
set -euo pipefail

me=build-python39
CACHE=$(realpath -m -- "${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}")
PREFIX=$CACHE/python3.9-dtrace
PY=$PREFIX/bin/python3.9
LIBPY=$PREFIX/lib/libpython3.9.so.1.0
STAMP=$PREFIX/.flowtrace-build-complete
STAMP_TAG="flowtrace-bpf python3.9-dtrace build v1"
WORK=$CACHE/python3.9-build
LOG=$WORK/build.log
SRC_LIST=/etc/apt/sources.list.d/flowtrace-bullseye-src.sources
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SUITE=bullseye

# Packages a working interpreter with json, threading, asyncio, re, ctypes, ... needs.
build_deps=(
	build-essential gcc make binutils pkg-config dpkg-dev
	systemtap-sdt-dev # dtrace(1) and <sys/sdt.h>
	libffi-dev libssl-dev zlib1g-dev libexpat1-dev libbz2-dev liblzma-dev
	libsqlite3-dev libreadline-dev libncurses-dev
)

t0=$SECONDS
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { # die MESSAGE HINT
	printf '%s: error: %s (hint: %s)\n' "$me" "$1" "$2" >&2
	exit 1
}
die_log() { # die_log STEP: show the end of the build log, then one error line
	if [[ -s $LOG ]]; then
		printf -- '--- last 40 lines of %s ---\n' "$LOG" >&2
		tail -n 40 -- "$LOG" >&2
		printf -- '---\n' >&2
	fi
	die "$1 failed" "full log in $LOG"
}
step() { # step NAME CMD...: run CMD with its output in the log
	local name=$1
	shift
	say "$name ($((SECONDS - t0))s elapsed)"
	printf '\n===== %s: %s\n' "$name" "$*" >>"$LOG"
	"$@" >>"$LOG" 2>&1 || die_log "$name"
}

# True when the library carries python:function__entry and python:function__return probes.
markers_ok() {
	local notes
	notes=$(readelf -n -- "$LIBPY" 2>/dev/null) || return 1
	awk '
		/^[ \t]*Provider:/ { prov = $2 }
		/^[ \t]*Name:/ && prov == "python" {
			if ($2 == "function__entry") e = 1
			if ($2 == "function__return") r = 1
		}
		END { exit !(e && r) }
	' <<<"$notes"
}

cached_ok() {
	[[ -x $PY && -f $STAMP ]] && [[ $(head -n1 -- "$STAMP") == "$STAMP_TAG" ]] && markers_ok
}

if cached_ok; then
	printf '%s\n' "$PY"
	exit 0
fi

# ---------------------------------------------------------------- build path
((EUID == 0)) || die "must run as root to install build dependencies and build into $PREFIX" \
	"run it with sudo, or as root once so later runs use the cached build"
for tool in apt-get dpkg-query flock readelf awk; do
	command -v "$tool" >/dev/null || die "$tool not found" "this script needs a Debian system with apt"
done

mkdir -p -- "$WORK"
exec 9>"$CACHE/.build-python39.lock"
flock 9 # another run may be building: wait for it, then re-check
if cached_ok; then
	printf '%s\n' "$PY"
	exit 0
fi
: >"$LOG"
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
	step "apt-get update" apt-get update -q
	updated=1
}

missing=()
for p in "${build_deps[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
if ((${#missing[@]} > 0)); then
	say "installing ${missing[*]}"
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1; then
		apt_update
		step "apt-get install" apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi

# Prints the archive URI of the machine's main Debian suite (not -security), from
# deb822 debian.sources first, else from the one-line sources.list.
debian_uri() {
	local codename=""
	# shellcheck disable=SC1091
	codename=$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}") || true
	local f=/etc/apt/sources.list.d/debian.sources uri=""
	if [[ -r $f ]]; then
		uri=$(awk -v cn="$codename" '
			function flush() {
				if (!done && types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++)
						if ((cn != "" && s[i] == cn) || (cn == "" && s[i] !~ /-/)) {
							split(uris, u, " "); print u[1]; done = 1; break
						}
				}
				types = suites = uris = enabled = ""; key = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (key == "uris") uris = uris " " $0; if (key == "suites") suites = suites " " $0; next }
			{
				c = index($0, ":"); key = tolower(substr($0, 1, c - 1)); val = substr($0, c + 1)
				gsub(/^[ \t]+|[ \t]+$/, "", val)
				if (key == "types") types = val
				else if (key == "suites") suites = val
				else if (key == "uris") uris = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { flush() }
		' "$f")
	fi
	if [[ -z $uri && -r /etc/apt/sources.list ]]; then
		uri=$(awk -v cn="$codename" '
			$1 == "deb" {
				i = 2
				if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if (first == "") first = $i
				if (main == "" && $(i + 1) !~ /-security/ && (cn == "" || $(i + 1) == cn)) main = $i
			}
			END { if (main != "") print main; else if (first != "") print first }
		' /etc/apt/sources.list)
	fi
	printf '%s' "$uri"
}

# Adds (or refreshes) the bullseye deb-src entry; apt-get update only when it changed.
ensure_src_entry() {
	local uri
	uri=$(debian_uri)
	[[ -n $uri ]] || die "no Debian archive URI found in the apt configuration" \
		"expected a 'Types: deb' stanza in /etc/apt/sources.list.d/debian.sources or a 'deb' line in /etc/apt/sources.list"
	[[ -r $KEYRING ]] || die "$KEYRING missing" "apt-get install debian-archive-keyring"
	local want
	want=$(printf '%s\n' \
		"# Added by flowtrace-bpf scripts/build-python39.sh: sources of $SUITE's python3.9." \
		"Types: deb-src" "URIs: $uri" "Suites: $SUITE" "Components: main" "Signed-By: $KEYRING")
	if [[ ! -f $SRC_LIST ]] || [[ $(<"$SRC_LIST") != "$want" ]]; then
		say "adding deb-src entry for $SUITE ($SRC_LIST)"
		printf '%s\n' "$want" >"$SRC_LIST"
		apt_update
	fi
}

# Finds the extracted source tree, fetching it with apt-get source if needed.
src_dir=""
find_src() {
	local d
	src_dir=""
	shopt -s nullglob
	for d in "$WORK"/python3.9-3.9*/; do
		[[ -f $d/.flowtrace-extracted ]] && src_dir=${d%/}
	done
	shopt -u nullglob
	[[ -n $src_dir ]]
}
if ! find_src; then
	ensure_src_entry
	# A half-extracted tree from an interrupted run is useless: start over.
	rm -rf -- "$WORK"/python3.9-3.9*/ "$WORK"/python3.9_*
	fetch() { (cd -- "$WORK" && apt-get source -q "python3.9/$SUITE"); }
	say "fetching python3.9 source from $SUITE ($((SECONDS - t0))s elapsed)"
	if ! fetch >>"$LOG" 2>&1; then
		((updated)) && die_log "apt-get source python3.9"
		apt_update
		step "apt-get source python3.9 (retry)" fetch
	fi
	shopt -s nullglob
	trees=("$WORK"/python3.9-3.9*/)
	shopt -u nullglob
	((${#trees[@]} == 1)) || die_log "locating the extracted python3.9 tree"
	touch -- "${trees[0]}/.flowtrace-extracted"
	find_src
fi
say "source tree: $src_dir"

cd -- "$src_dir"
configure_args=(
	--prefix="$PREFIX"
	--with-dtrace
	--enable-shared
	--without-ensurepip
	--with-system-expat
	--with-system-ffi
	LDFLAGS="-Wl,-rpath,$PREFIX/lib"
)
# Remove any stale (possibly broken) install before installing over it.
rm -rf -- "$PREFIX"
step "configure" ./configure "${configure_args[@]}"
step "make -j$(nproc)" make -j"$(nproc)"
step "make altinstall" make altinstall

# ---------------------------------------------------------------- verify
markers_ok || die "$LIBPY lacks stapsdt python:function__entry/function__return notes" \
	"check that configure found dtrace (systemtap-sdt-dev) in $LOG"
out=$("$PY" -c 'import json, threading, asyncio, re; print("ok")' 2>&1) || true
[[ $out == ok ]] ||
	die "the new interpreter cannot import json/threading/asyncio/re: ${out//$'\n'/ }" "see $LOG"
if "$PY" -c 'import ssl' >/dev/null 2>&1; then
	ssl_state="built"
else
	ssl_state="not built (ok: asyncio works without it)"
fi
version=$("$PY" -c 'import sys; print(sys.version.split()[0])')
printf '%s\n' "$STAMP_TAG" "version=$version" "source=${src_dir##*/}" "ssl=$ssl_state" \
	"built=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "seconds=$((SECONDS - t0))" >"$STAMP"
say "done in $((SECONDS - t0))s: Python $version, _ssl $ssl_state"
printf '%s\n' "$PY"
