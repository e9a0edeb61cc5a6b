#!/usr/bin/env bash
# Installs the third-party programs the integration tests hand flowtrace-bpf's
# output to, so formats are checked by their real consumers: speedscope
# (which reads Chrome trace JSON and folded stacks) from the npm registry, at
# a pinned version, into a cache outside the repository. Idempotent: does
# nothing when that version is already there. Prints the path of
# speedscope's index.html as its last line (progress goes to stderr).
#
# Env: FLOWTRACE_CACHE (default /var/cache/flowtrace-bpf): the cache root;
#      the packages go to $FLOWTRACE_CACHE/npm.
set -euo pipefail

SPEEDSCOPE_VERSION=1.25.0 # keep in step with SPEEDSCOPE_PIN in cases/test_record.py

cache=${FLOWTRACE_CACHE:-/var/cache/flowtrace-bpf}/npm
pkg=$cache/node_modules/speedscope
index=$pkg/dist/release/index.html

installed() {
	[[ -f $index && -f $pkg/package.json ]] &&
		grep -q "\"version\": *\"$SPEEDSCOPE_VERSION\"" "$pkg/package.json"
}

if ! installed; then
	if ! command -v npm >/dev/null; then
		echo "consumers: npm not found" >&2
		echo "hint: install Node.js and npm (Debian: apt-get install npm)" >&2
		exit 1
	fi
	echo "consumers: installing speedscope@$SPEEDSCOPE_VERSION into $cache" >&2
	mkdir -p "$cache"
	# --ignore-scripts: nothing from the registry runs here; speedscope's
	# release build is plain files
	npm install --prefix "$cache" --no-audit --no-fund --ignore-scripts --loglevel=error \
		"speedscope@$SPEEDSCOPE_VERSION" >&2
	if ! installed; then
		echo "consumers: speedscope@$SPEEDSCOPE_VERSION did not install into $pkg" >&2
		exit 1
	fi
fi
echo "$index"
