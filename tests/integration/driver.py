"""Integration test driver for flowtrace-bpf (run through run.sh).

Checks that this machine can run BPF at all, loads the case modules in
cases/, runs each case, prints one line per case (ok / FAIL / SKIP) and
finishes with "integration: N passed, N failed". Exits non-zero on any
failure. Every case ends with none of its processes left running.

usage: driver.py --tool T --fixture F [--python39 PY] [--python39-missing WHY]
                 [-k SUBSTRING]... [--list]
"""

import argparse
import ctypes
import importlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)

from ftlib import harness, registry  # noqa: E402

CASE_MODULES = [
    "test_harness",
    "test_workloads",
    "test_launch",
    "test_launch_faults",
    "test_formats",
    "test_tree_deep",
    "test_durations",
    "test_filters",
    "test_capture",
    "test_output",
    "test_output_safety",
    "test_errors",
    "test_unchanged",
    "test_fixture",
    "test_fixture_unwind",
    "test_attach",
    "test_wakeup",
    "test_teardown",
    "test_portability",
    "test_record",
    "test_interp_matrix",
    "test_placement",
    "test_py314",
    "test_exec",
    "test_namespaces",
    "test_follow",
    "test_async_tasks",
    "test_firstview",
]


def bpf_unusable():
    """Why BPF uprobes cannot work here, or None."""
    if os.geteuid() != 0:
        return "not root (BPF and uprobes need root)"
    if not os.path.exists("/sys/bus/event_source/devices/uprobe"):
        return "the kernel has no uprobe PMU (/sys/bus/event_source/devices/uprobe)"
    # BPF_PROG_LOAD of "r0 = 0; exit" as a socket filter: does bpf(2) work?
    insns = bytes([0xB7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0])
    lic = ctypes.create_string_buffer(b"GPL")
    ibuf = ctypes.create_string_buffer(insns, len(insns))
    attr = ctypes.create_string_buffer(128)
    ctypes.memmove(ctypes.byref(attr, 0), ctypes.byref(ctypes.c_uint32(1)), 4)  # prog_type
    ctypes.memmove(ctypes.byref(attr, 4), ctypes.byref(ctypes.c_uint32(2)), 4)  # insn_cnt
    ctypes.memmove(ctypes.byref(attr, 8), ctypes.byref(ctypes.c_uint64(
        ctypes.addressof(ibuf))), 8)
    ctypes.memmove(ctypes.byref(attr, 16), ctypes.byref(ctypes.c_uint64(
        ctypes.addressof(lic))), 8)
    libc = ctypes.CDLL(None, use_errno=True)
    nr_bpf = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine)
    if nr_bpf is None:
        return None  # unknown syscall number: let the tracer find out
    fd = libc.syscall(nr_bpf, 5, attr, 128)  # BPF_PROG_LOAD
    if fd < 0:
        err = ctypes.get_errno()
        return "bpf(BPF_PROG_LOAD) fails: %s" % os.strerror(err)
    os.close(fd)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--python39", default="")
    ap.add_argument("--python39-missing", default="")
    ap.add_argument("--python314", default="", help="VARIANT=PATH,... of the 3.14 builds")
    ap.add_argument("--python314-missing", default="")
    ap.add_argument("--trixie-root", default="", help="a Debian trixie root with python3.13")
    ap.add_argument("--trixie-missing", default="")
    ap.add_argument("-k", action="append", default=[], help="run cases whose name contains this")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()

    # the trees are walked recursively, and the 500-deep fixture chain is
    # a 1000-deep JSON document
    sys.setrecursionlimit(20000)
    cfg = harness.cfg
    cfg.here = HERE
    cfg.repo = os.path.dirname(os.path.dirname(HERE))
    cfg.tool = os.path.abspath(args.tool)
    cfg.fixture = os.path.abspath(args.fixture)
    cfg.py39 = args.python39 or None
    cfg.py39_missing = args.python39_missing or "no interpreter given"
    cfg.py314 = dict(kv.split("=", 1) for kv in args.python314.split(",") if "=" in kv)
    cfg.py314_missing = args.python314_missing or "no 3.14 builds given"
    cfg.trixie = args.trixie_root or None
    cfg.trixie_missing = args.trixie_missing or "no trixie root given"
    cfg.ci = os.environ.get("CI") == "true"

    for name in CASE_MODULES:
        importlib.import_module("cases." + name)
    cases = [(n, f) for n, f in registry.CASES if not args.k or any(k in n for k in args.k)]
    if args.list:
        for n, _ in cases:
            print(n)
        return 0

    for what, path in (("flowtrace-bpf", cfg.tool), ("sdt-fixture", cfg.fixture)):
        if not os.access(path, os.X_OK):
            print("FAIL integration: %s not built (%s): run make" % (what, path))
            print("integration: 0 passed, 1 failed")
            return 1
    why = bpf_unusable()
    if why:
        if cfg.ci:
            print("FAIL integration: %s (CI=true: BPF is required)" % why)
            print("integration: 0 passed, 1 failed")
            return 1
        print("SKIP integration: %s" % why)
        return 0

    def interrupted(signum, frame):
        raise KeyboardInterrupt  # unwinds into the cleanup below

    # Children run in their own sessions, so a terminal's Ctrl-C reaches
    # only us: we must take them down ourselves, on SIGTERM/SIGHUP too.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    cfg.tmp = tempfile.mkdtemp(prefix="flowtrace-itest.")
    cfg.token = uuid.uuid4().hex
    passed = failed = skipped = 0
    t_run = time.monotonic()
    try:
        for name, fn in cases:
            t0 = time.monotonic()
            status, detail, note = "ok", "", None
            try:
                note = fn()
            except harness.Skip as e:
                status, detail = "SKIP", str(e)
            except harness.Fail as e:
                status, detail = "FAIL", str(e)
            except Exception:
                status, detail = "FAIL", "the case itself crashed:\n" + traceback.format_exc()
            strays = harness.reap_all()
            if strays:
                status = "FAIL"
                detail = (detail + "\n" if detail else "") + \
                    "processes left running (killed now):\n  " + "\n  ".join(strays)
            took = time.monotonic() - t0
            if status == "ok":
                passed += 1
                print("ok   %s  (%.1fs)%s" % (name, took, ": " + note if note else ""))
            elif status == "SKIP":
                skipped += 1
                print("SKIP %s: %s" % (name, detail))
            else:
                failed += 1
                print("FAIL %s  (%.1fs)" % (name, took))
                print("    " + detail.rstrip().replace("\n", "\n    "))
            sys.stdout.flush()
    except KeyboardInterrupt:
        harness.reap_all()
        print("interrupted")
        failed += 1
    finally:
        try:
            harness.reap_all()
        finally:
            if os.environ.get("FT_KEEP_TMP"):
                print("temporary files kept in %s" % cfg.tmp)
            else:
                shutil.rmtree(cfg.tmp, ignore_errors=True)
    if skipped:
        print("(%d skipped; %.0fs)" % (skipped, time.monotonic() - t_run))
    else:
        print("(%.0fs)" % (time.monotonic() - t_run))
    print("integration: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
