#!/usr/bin/env bash
# Installs the Debian packages flowtrace-bpf needs to build, test and benchmark.
# Idempotent: packages already present are not touched, and apt is not asked twice.
set -euo pipefail

pkgs=(
	make gcc clang llvm pkg-config       # user space and BPF compilers
	libbpf-dev bpftool libelf-dev zlib1g-dev   # libbpf, skeleton generator, ELF parsing
	systemtap-sdt-dev                    # <sys/sdt.h> for the test fixture, dtrace(1) for the 3.9 build
	libcapstone-dev                      # x86-64 decoding: where uprobes go in the eval loop
)
case "${1:-}" in
--bench) pkgs+=(bpftrace) ;;              # the peer the benchmarks compare against
--test) pkgs+=(chromium libclang-rt-14-dev graphviz debootstrap) ;; # browser test, libFuzzer, dot consumer, trixie root
--browser) pkgs+=(chromium) ;;            # headless browser for tests/browser/run.sh alone
"") ;;
*)
	echo "install-deps: unknown option '$1'; hint: --bench, --test or --browser" >&2
	exit 2
	;;
esac

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	echo "install-deps: all ${#pkgs[@]} packages present"
	exit 0
fi
if ((EUID != 0)); then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "hint: run as root (sudo make ...) so they can be installed" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
