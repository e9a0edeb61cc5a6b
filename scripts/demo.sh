#!/usr/bin/env bash
# `make demo`: traces scripts/demo_app.py under a CPython whose USDT markers
# are complete (built once and cached by scripts/build-python39.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if ((EUID != 0)); then
	echo "demo: flowtrace-bpf needs root; hint: run 'sudo make demo'" >&2
	exit 3
fi
py=$(scripts/build-python39.sh | tail -n1)
set -x
build/flowtrace-bpf --include '*/demo_app.py' -c "$py scripts/demo_app.py"
