#!/usr/bin/env bash
# Builds and caches the CPython 3.14 test interpreters, in the shapes users run:
#   dtrace         gcc, --enable-shared --with-dtrace (what distributions build)
#   tailcall       clang-19, --enable-shared --with-tail-call-interp (uv's standalone builds)
#   ft             gcc, --enable-shared --disable-gil (free-threaded 3.14t)
#   dtrace-strip   a copy of dtrace with libpython stripped (strip --strip-all)
#   tailcall-strip a copy of tailcall with libpython stripped
#
# Owns, and touches nothing else:
#   ${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}/python3.14-<variant>   install prefixes (+ stamps)
#   ${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}/python3.14-build       source trees, build logs
# plus the Debian build dependencies it installs when missing (clang-19 among them).
#
# Source: the official release tarball, checked against its SHA-256 before use. It is looked
# for at $FLOWTRACE_PY314_TARBALL, then beside the repository (../shared/cpython/), then in the
# cache. Nothing here downloads it: without it the script says where to put it and exits 3.
# Idempotent: a built variant is only checked. Executables find their own libpython through
# an $ORIGIN-relative rpath, so the stripped copies use their own library.
#
# Usage: scripts/build-python314.sh [VARIANT...]   (default: all five)
# Prints one line per variant on stdout, last: "VARIANT PATH-TO-python3.14[t]".
# Exit: 0 built/present, 1 build failure, 2 usage, 3 source tarball missing.
set -euo pipefail

me=build-python314
VERSION=3.14.7
TARBALL_NAME=Python-$VERSION.tar.xz
SHA256=332e9120b15b0d9ef5c3edcf5792e7a2961a4bc9d6361616350478fd3ca53f8f
STAMP_TAG="flowtrace-bpf python$VERSION build v1"
CACHE=$(realpath -m -- "${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}")
WORK=$CACHE/python3.14-build
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/.." && pwd)
ALL=(dtrace tailcall ft dtrace-strip tailcall-strip)

build_deps=(
	build-essential gcc make binutils pkg-config
	clang-19 lld-19   # the tail-calling interpreter needs clang >= 19
	patchelf          # an $ORIGIN-relative rpath, set after the install
	systemtap-sdt-dev # dtrace(1) and <sys/sdt.h>
	libffi-dev libssl-dev zlib1g-dev libexpat1-dev libbz2-dev liblzma-dev
	libsqlite3-dev libreadline-dev libncurses-dev
)

t0=$SECONDS
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { # die STATUS MESSAGE HINT
	printf '%s: error: %s\nhint: %s\n' "$me" "$2" "$3" >&2
	exit "$1"
}

variants=("$@")
((${#variants[@]})) || variants=("${ALL[@]}")
for v in "${variants[@]}"; do
	[[ " ${ALL[*]} " == *" $v "* ]] || die 2 "unknown variant '$v'" "variants: ${ALL[*]}"
done

prefix_of() { printf '%s/python3.14-%s' "$CACHE" "$1"; }
exe_of() { # the interpreter a variant installs
	case $1 in
	ft) printf '%s/bin/python3.14t' "$(prefix_of "$1")" ;;
	*) printf '%s/bin/python3.14' "$(prefix_of "$1")" ;;
	esac
}
libpy_of() {
	case $1 in
	ft) printf '%s/lib/libpython3.14t.so.1.0' "$(prefix_of "$1")" ;;
	*) printf '%s/lib/libpython3.14.so.1.0' "$(prefix_of "$1")" ;;
	esac
}
stamp_of() { printf '%s/.flowtrace-build-complete' "$(prefix_of "$1")"; }

# A variant is usable when its stamp names this script's build and the interpreter runs
# and reports the expected shape.
check_variant() {
	local v=$1 exe want got
	exe=$(exe_of "$v")
	[[ -x $exe && -f $(stamp_of "$v") ]] || return 1
	[[ $(head -n1 -- "$(stamp_of "$v")") == "$STAMP_TAG" ]] || return 1
	case $v in
	ft) want="$VERSION gil=0" ;;
	*) want="$VERSION gil=1" ;;
	esac
	got=$("$exe" -c 'import sys, sysconfig
print(sys.version.split()[0], "gil=%d" % (0 if sysconfig.get_config_var("Py_GIL_DISABLED") else 1))' 2>/dev/null) ||
		return 1
	[[ $got == "$want" ]] || return 1
	case $v in
	*-strip)
		# stripped: no .symtab left in libpython
		! readelf -S -W -- "$(libpy_of "$v")" 2>/dev/null | grep -q ' \.symtab ' || return 1
		;;
	esac
}

need=()
for v in "${variants[@]}"; do
	check_variant "$v" || need+=("$v")
done
if ((${#need[@]} == 0)); then
	for v in "${variants[@]}"; do printf '%s %s\n' "$v" "$(exe_of "$v")"; done
	exit 0
fi

# ---------------------------------------------------------------- build path
((EUID == 0)) || die 1 "must run as root to install build dependencies and build into $CACHE" \
	"run it with sudo, or as root once so later runs use the cached builds"

find_tarball() {
	local c
	for c in "${FLOWTRACE_PY314_TARBALL:-}" "$repo/../shared/cpython/$TARBALL_NAME" \
		"$CACHE/$TARBALL_NAME"; do
		[[ -n $c && -f $c ]] && { realpath -- "$c"; return 0; }
	done
	return 1
}
tarball=$(find_tarball) ||
	die 3 "the CPython $VERSION source release ($TARBALL_NAME) was not found" \
		"put the official tarball at $CACHE/$TARBALL_NAME (or set FLOWTRACE_PY314_TARBALL); its SHA-256 is $SHA256"
sum=$(sha256sum -- "$tarball" | cut -d' ' -f1)
[[ $sum == "$SHA256" ]] ||
	die 1 "$tarball has SHA-256 $sum, not the release's $SHA256" \
		"replace it with the official $TARBALL_NAME"

mkdir -p -- "$WORK"
exec 9>"$CACHE/.build-python314.lock"
flock 9 # another run may be building: wait for it, then re-check
need2=()
for v in "${need[@]}"; do
	check_variant "$v" || need2+=("$v")
done
need=("${need2[@]}")

LOG=$WORK/build.log
: >>"$LOG"
die_log() { # die_log STEP LOG
	if [[ -s $2 ]]; then
		printf -- '--- last 40 lines of %s ---\n' "$2" >&2
		tail -n 40 -- "$2" >&2
		printf -- '---\n' >&2
	fi
	die 1 "$1 failed" "full log in $2"
}
step() { # step LOG NAME CMD...: run CMD with its output in LOG
	local log=$1 name=$2
	shift 2
	say "$name ($((SECONDS - t0))s elapsed)"
	printf '\n===== %s: %s\n' "$name" "$*" >>"$log"
	"$@" >>"$log" 2>&1 || die_log "$name" "$log"
}

missing=()
for p in "${build_deps[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
if ((${#missing[@]} > 0)); then
	export DEBIAN_FRONTEND=noninteractive
	say "installing ${missing[*]}"
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1; then
		step "$LOG" "apt-get update" apt-get update -q
		step "$LOG" "apt-get install" apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi

# One extracted tree per built variant (out-of-tree builds of one tree would share
# generated files between compilers).
build_variant() {
	local v=$1 src=$WORK/$v prefix log cc args
	prefix=$(prefix_of "$v")
	log=$WORK/$v.log
	: >"$log"
	rm -rf -- "$src" "$prefix"
	mkdir -p -- "$src"
	step "$log" "$v: extract" tar -xf "$tarball" -C "$src" --strip-components=1
	args=(--prefix="$prefix" --enable-shared --without-ensurepip
		--with-system-expat --with-system-ffi)
	cc=gcc
	case $v in
	dtrace) args+=(--with-dtrace) ;;
	tailcall) args+=(--with-tail-call-interp) cc=clang-19 ;;
	ft) args+=(--disable-gil) ;;
	esac
	(cd -- "$src" && step "$log" "$v: configure" env CC="$cc" ./configure "${args[@]}")
	(cd -- "$src" && step "$log" "$v: make -j$(nproc)" make -j"$(nproc)")
	(cd -- "$src" && step "$log" "$v: make altinstall" make altinstall)
	# set here rather than through LDFLAGS, where make and the shell would each
	# want their own escaping of the $
	step "$log" "$v: rpath" patchelf --set-rpath '$ORIGIN/../lib' "$(exe_of "$v")"
	rm -rf -- "$src" # the install is what the tests use; the tree is 500+ MB
}

# A stripped copy of a built variant: same install, libpython without .symtab.
strip_variant() {
	local v=$1 base=${1%-strip} prefix
	prefix=$(prefix_of "$v")
	check_variant "$base" || build_one "$base"
	rm -rf -- "$prefix"
	cp -a -- "$(prefix_of "$base")" "$prefix"
	rm -f -- "$(stamp_of "$v")"
	strip --strip-all -- "$(libpy_of "$v")"
}

build_one() {
	local v=$1
	case $v in
	*-strip) strip_variant "$v" ;;
	*) build_variant "$v" ;;
	esac
	printf '%s\n' "$STAMP_TAG" "variant=$v" "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		"seconds=$((SECONDS - t0))" >"$(stamp_of "$v")"
	check_variant "$v" ||
		die 1 "the $v build of $VERSION does not run as expected ($(exe_of "$v"))" \
			"see $WORK/$v.log"
	say "$v: done ($((SECONDS - t0))s elapsed)"
}

for v in "${need[@]}"; do
	check_variant "$v" || build_one "$v"
done
for v in "${variants[@]}"; do printf '%s %s\n' "$v" "$(exe_of "$v")"; done
