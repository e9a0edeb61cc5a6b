#!/usr/bin/env bash
# `make demo`: traces scripts/demo_app.py under the CPython 3.9 built with its
# USDT markers (built once and cached by scripts/build-python39.sh); auto
# traces it through the eval loop's entry and return and leaves the markers
# off, as it does on every CPython.
set -euo pipefail
cd "$(dirname "$0")/.."

if ((EUID != 0)); then
	echo "demo: flowtrace-bpf needs root; hint: run 'sudo make demo'" >&2
	exit 3
fi
py=$(scripts/build-python39.sh | tail -n1)
set -x
build/flowtrace-bpf --include '*/demo_app.py' -c "$py scripts/demo_app.py"
