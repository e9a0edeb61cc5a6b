#!/usr/bin/env bash
# `make bench`: runs the benchmark suite and writes docs/performance.md.
# The Makefile has already installed the dependencies (bpftrace included)
# and built build/flowtrace-bpf. The per-method cost runs every method on
# every CPython it finds: the dtrace 3.9 below, pyenv's 3.8-3.13 (under
# $(pyenv root), else $PYENV_ROOT or ~/.pyenv) and /usr/bin/python3.11.
# BENCH_QUICK=1: 2 rounds (per-method: 2) and a 10-s memory run instead of
# 7 rounds (3) and 60 s, for a quick check (figures indicative), written
# to build/bench/performance-quick.md, not docs/performance.md.
# Raw measurements: build/bench/results.json; re-render the page with
#   /usr/bin/python3.11 scripts/bench/report.py build/bench/results.json docs/performance.md
set -euo pipefail
cd "$(dirname "$0")/.."

if ((EUID != 0)); then
	echo "bench: flowtrace-bpf and bpftrace need root; hint: run 'sudo make bench'" >&2
	exit 3
fi
tool=build/flowtrace-bpf
if [[ ! -x $tool ]]; then
	echo "bench: $tool is missing; hint: run 'make' first (or 'sudo make bench')" >&2
	exit 1
fi
driver_py=/usr/bin/python3.11
command -v "$driver_py" >/dev/null || driver_py=python3
bt=$(command -v bpftrace || true)
if [[ -z $bt ]]; then
	echo "bench: bpftrace missing: the peer is left out; hint: scripts/install-deps.sh --bench" >&2
fi
py=$(scripts/build-python39.sh | tail -n1)
pyenv_root=$(pyenv root 2>/dev/null || true)
pyenv_root=${pyenv_root:-${PYENV_ROOT:-$HOME/.pyenv}}
exec "$driver_py" scripts/bench/driver.py --python "$py" --tracer "$tool" \
	--pyenv-root "$pyenv_root" ${bt:+--bpftrace "$bt"}
