#!/usr/bin/env bash
# The fault cases of the integration suite, and the unit tests, with the
# AddressSanitizer/UBSan build (`make test-asan`, part of `make test`):
# bad options and PIDs, refused targets, damaged, cut and crafted trace
# files and their replay/report/diff, losses, SIGKILL and teardown. Every
# sanitizer report fails the run, whatever the case itself concluded: the
# reports go to files (log_path), so one from a process whose exit status
# nobody looks at (a tracer killed by a signal, a child) still counts.
#
# LeakSanitizer is on for the tool too. It stops the threads of the
# process it checks with ptrace at exit, so it cannot check a process that
# is itself being traced; flowtrace-bpf is the tracer, never the traced:
# its -c child carries PTRACE_TRACEME only until it execs the command
# (uninstrumented), and leaves through _exit() when the exec fails, so no
# leak check runs under ptrace. libbpf's and libelf's objects are freed at
# teardown (skeleton destroy, elf_end), so BPF runs report nothing either
# (these cases give none): a leak report here is a real leak.
# FT_ASAN_LEAKS=0 turns it off for the tool, to tell a leak from another
# finding.
#
# Usage: tests/integration/asan.sh BUILD_DIR [extra driver arguments]
set -uo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build=$(cd -- "${1:?usage: asan.sh BUILD_DIR}" && pwd) || exit 1
shift
tool=$build/flowtrace-bpf
unit=$build/unit-tests

if ! grep -q __asan_init "$tool" 2>/dev/null; then
	echo "FAIL asan: $tool is not an ASan build (make BUILD=$build ASAN=1)"
	echo "asan: 0 passed, 1 failed"
	exit 1
fi

logs=$(mktemp -d /tmp/flowtrace-asan.XXXXXX)
# the unprivileged cases run the tool as nobody: it must be able to write here
chmod 1777 "$logs"
trap 'rm -rf "$logs"' EXIT
common=halt_on_error=1:print_stacktrace=1
export UBSAN_OPTIONS=$common:log_path=$logs/ubsan
failed=0

echo "asan: unit tests"
if ! ASAN_OPTIONS=$common:detect_leaks=1:log_path=$logs/asan-unit "$unit" >"$logs/unit.out" 2>&1; then
	tail -20 "$logs/unit.out"
	failed=1
fi
tail -1 "$logs/unit.out"

# The selection: every case whose name holds one of these. About two minutes.
cases=(
	"bad options"
	"refuse a PID that does not exist"
	"refuse a process that is not Python"
	"refuse to trace without root"
	"refuse pyenv CPythons without markers"
	"launch: command not found"
	"launch: command not executable"
	"launch: a command killed by SIGTERM"
	"output -o into a missing directory"
	"record -o into a missing directory"
	"record without -o"
	"record killed by SIGKILL"
	"replay of a file"
	"replay of a non-trace"
	"replay and report work for an unprivileged user"
	"one depth edited"
	"teardown py3.9"
	"teardown fixture"
	"teardown pyenv"
	"keeps calling"
	"attach race"
	"output safety"
	"fixture flood"
)
args=()
for c in "${cases[@]}"; do
	args+=(-k "$c")
done
echo "asan: integration fault cases with $tool"
ASAN_OPTIONS=$common:detect_leaks=${FT_ASAN_LEAKS:-1}:log_path=$logs/asan \
	"$here/run.sh" --tool "$tool" "${args[@]}" "$@"
rc=$?
((rc == 0)) || failed=1

reports=("$logs"/asan* "$logs"/ubsan*)
shown=0
for f in "${reports[@]}"; do
	[[ -e $f ]] || continue
	echo "FAIL asan: sanitizer report $f:"
	head -40 "$f"
	shown=1
done
((shown)) && failed=1
if ((failed)); then
	echo "asan: 0 passed, 1 failed"
	exit 1
fi
echo "asan: 1 passed, 0 failed (no sanitizer report)"
