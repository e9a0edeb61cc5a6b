#!/usr/bin/env bash
# Builds and caches a Debian trixie root filesystem (debootstrap minbase plus python3.13),
# the "real distribution in a container" the namespace tests run chrooted in namespaces of
# its own: its python3.13 is Debian's own build, at a path the host does not have.
#
# Owns, and touches nothing else:
#   ${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}/trixie-root      the root (+ stamp)
#   ${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}/trixie-root.log  the last debootstrap's log
# plus the debootstrap package it installs when missing.
#
# The mirror is the one this machine's apt already uses (the first Debian "URIs:" or "deb"
# line of /etc/apt/sources.list*), else deb.debian.org; $FLOWTRACE_DEBIAN_MIRROR overrides.
# Idempotent: a complete root is only checked. A failed or interrupted run leaves only a
# temporary directory, removed by the next run.
#
# Usage: scripts/build-trixie-root.sh
# Prints on stdout, last line: "ROOT /usr/bin/python3.13" (the interpreter's path inside ROOT).
# Exit: 0 built/present, 1 build failure, 2 usage, 3 not root (debootstrap needs root).
set -euo pipefail

me=build-trixie-root
SUITE=trixie
PY=/usr/bin/python3.13
STAMP_TAG="flowtrace-bpf $SUITE minbase+python3.13 v1"
CACHE=$(realpath -m -- "${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}")
ROOT=$CACHE/trixie-root
STAMP=$ROOT/.flowtrace-build-complete
LOG=$CACHE/trixie-root.log

say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { # die STATUS MESSAGE HINT
	printf '%s: error: %s\nhint: %s\n' "$me" "$2" "$3" >&2
	exit "$1"
}

(($# == 0)) || die 2 "no arguments expected, got '$*'" "usage: scripts/build-trixie-root.sh"

# A root is usable when its stamp names this script's build and its python3.13 runs chrooted.
check_root() {
	[[ -f $STAMP && $(head -n1 -- "$STAMP") == "$STAMP_TAG" ]] || return 1
	[[ -x $ROOT$PY ]] || return 1
	chroot "$ROOT" "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null
}

if check_root; then
	printf '%s %s\n' "$ROOT" "$PY"
	exit 0
fi
((EUID == 0)) || die 3 "the $SUITE root at $ROOT is missing and debootstrap needs root" \
	"run as root once (sudo scripts/build-trixie-root.sh); later runs only check it"

mirror() {
	local m
	if [[ -n ${FLOWTRACE_DEBIAN_MIRROR:-} ]]; then
		printf '%s' "$FLOWTRACE_DEBIAN_MIRROR"
		return
	fi
	# deb822 "URIs:" lines and one-line "deb URI SUITE" entries; the security archive has
	# no trixie main suite of its own, so it is passed over.
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
		2>/dev/null | awk '
		/^[[:space:]]*URIs:/ { for (i = 2; i <= NF; i++) print $i }
		/^[[:space:]]*deb[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }' |
		grep -E '/debian/?$' | grep -v -- '-security' | head -n1 || true)
	printf '%s' "${m:-http://deb.debian.org/debian}"
}

if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap \
		>/dev/null || die 1 "cannot install debootstrap" "apt-get install debootstrap"
fi

MIRROR=$(mirror)
mkdir -p -- "$CACHE"
tmp=$ROOT.tmp
rm -rf --one-file-system -- "$tmp" "$ROOT"
t0=$SECONDS
say "debootstrap $SUITE minbase + python3.13 from $MIRROR into $ROOT (log: $LOG)"
if ! debootstrap --variant=minbase --include=python3.13 "$SUITE" "$tmp" "$MIRROR" >"$LOG" 2>&1; then
	tail -n5 -- "$LOG" >&2 || true
	rm -rf --one-file-system -- "$tmp"
	die 1 "debootstrap of $SUITE failed (log: $LOG)" \
		"check the mirror ($MIRROR) is reachable; FLOWTRACE_DEBIAN_MIRROR=URL picks another"
fi
# apt's caches are of no use to the tests and are most of the size
rm -rf --one-file-system -- "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
mv -- "$tmp" "$ROOT"
{
	echo "$STAMP_TAG"
	echo "mirror $MIRROR"
	# shellcheck disable=SC2016 # dpkg-query expands the fields, not the shell
	chroot "$ROOT" dpkg-query -W -f='${Package} ${Version}\n' python3.13 2>/dev/null || true
} >"$STAMP"
check_root || die 1 "the new $SUITE root's $PY does not run" "see $LOG"
say "built in $((SECONDS - t0)) s: $(sed -n 3p "$STAMP")"
printf '%s %s\n' "$ROOT" "$PY"
