#!/usr/bin/env bash
# Integration tests: real BPF on real Python processes (and on the C
# fixture). Called by `make test-integration`, as root. Finds the tools,
# gets the marker-complete CPython 3.9 (building it once if needed) and the
# Debian trixie root of the container cases (debootstrap'd once), then
# hands over to driver.py, which prints one line per case and ends with
# "integration: N passed, N failed".
#
# Without root or usable BPF the run is skipped with the reason, except
# under CI=true, where that is a failure. Extra arguments go to the driver
# (-k SUBSTRING selects cases, --list lists them).
set -uo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd -- "$here/../.." && pwd)
PY=/usr/bin/python3.11 # absolute: `python3` on PATH may be a pyenv shim
tool=$repo/build/flowtrace-bpf
fixture=$repo/build/sdt-fixture
cached_py39=${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}/python3.9-dtrace/bin/python3.9

if [[ ! -x $PY ]]; then
	echo "FAIL integration: $PY is required to run the test driver"
	echo "integration: 0 passed, 1 failed"
	exit 1
fi

if ((EUID != 0)); then
	if [[ ${CI:-} == true ]]; then
		echo "FAIL integration: not root (CI=true: root and BPF are required)"
		echo "integration: 0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP integration: not root (BPF uprobes need root; run: sudo make test-integration)"
	exit 0
fi

# The marker-complete interpreter: build-python39.sh prints its path last
# (building and caching it on first use).
py39=""
py39_missing=""
if [[ -x $repo/scripts/build-python39.sh ]]; then
	py39=$("$repo/scripts/build-python39.sh" | tail -n1) || py39=""
	[[ -n $py39 && -x $py39 ]] || { py39_missing="scripts/build-python39.sh failed"; py39=""; }
else
	py39_missing="scripts/build-python39.sh not found"
fi
if [[ -z $py39 && -x $cached_py39 ]]; then
	py39=$cached_py39
	py39_missing=""
fi
[[ -n $py39 || -n $py39_missing ]] || py39_missing="no CPython 3.9 with markers"

# The CPython 3.14 builds (scripts/build-python314.sh: "VARIANT PATH" lines,
# built and cached on first use from the release tarball; exit 3 when the
# tarball is nowhere to be found).
py314=""
py314_missing=""
if out=$("$repo/scripts/build-python314.sh"); then
	py314=$(printf '%s\n' "$out" | awk 'NF == 2 { printf "%s%s=%s", sep, $1, $2; sep = "," }')
else
	py314_missing="scripts/build-python314.sh failed (exit $?; its message is above)"
fi

# The Debian trixie root (scripts/build-trixie-root.sh: "ROOT PYTHON", built
# with debootstrap and cached on first use): the container cases run its
# python3.13 chrooted in namespaces of its own.
trixie=""
trixie_missing=""
if out=$("$repo/scripts/build-trixie-root.sh"); then
	trixie=$(printf '%s\n' "$out" | awk 'NF == 2 { r = $1 } END { print r }')
else
	trixie_missing="scripts/build-trixie-root.sh failed (exit $?; its message is above)"
fi

exec "$PY" "$here/driver.py" --tool "$tool" --fixture "$fixture" \
	--python39 "$py39" --python39-missing "$py39_missing" \
	--python314 "$py314" --python314-missing "$py314_missing" \
	--trixie-root "$trixie" --trixie-missing "$trixie_missing" "$@"
