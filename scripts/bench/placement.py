#!/usr/bin/env python3
"""Probe placement side by side (docs/interpreter-layout.md, "Probe placement"):
the read-only frame method on pyenv 3.11-3.13 and Debian's python3.11 with the
handler probes where placement puts them and with FLOWTRACE_PROBE_LABELS=1 (on
the labels), each with its floor (--calibrate), against the USDT floor of the
dtrace 3.9. Uses driver.py's Bench (same workloads, gate, attach and pinning).

The time per call is the target's CPU time (user + system, where uprobe traps
are charged) over the untraced run's, not wall time: the figures hold on a
loaded machine. usage: sudo scripts/bench/placement.py [ROUNDS [ONLY]]  (root: BPF)
ONLY: run only the targets whose name contains it (e.g. "3.13").
PLACEMENT_BASELINE=FILE adds, per target, a "baseline" column: the same
placed run with another flowtrace-bpf binary (say, the last release's), so
a change is measured side by side with what it replaces."""
import os
import shutil
import statistics
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import driver  # noqa: E402

WORKLOADS = [("fib", 20), ("mix", 100)]
DTRACE = "/var/cache/flowtrace-bpf/python3.9-dtrace/bin/python3.9"
PYENV = os.environ.get("PYENV_ROOT") or "/root/.pyenv"
TARGETS = [("pyenv 3.11.7", PYENV + "/versions/3.11.7/bin/python3.11"),
           ("Debian 3.11", "/usr/bin/python3.11"),
           ("pyenv 3.12.1", PYENV + "/versions/3.12.1/bin/python3.12"),
           ("pyenv 3.13.0", PYENV + "/versions/3.13.0/bin/python3.13")]
FRAME = ["--method", "frame"]


def cpu_workload(workdir):
    """driver's workload.py, timing its measured section in CPU time."""
    with open(driver.WORKLOAD) as f:
        src = f.read()
    for old in ("    t0 = time.perf_counter()\n", "    elapsed = time.perf_counter() - t0\n"):
        if old not in src:
            sys.exit("placement: workload.py changed; update %s" % __file__)
        src = src.replace(old, old.replace("perf_counter", "process_time"))
    path = os.path.join(workdir, "workload_cpu.py")
    with open(path, "w") as f:
        f.write(src)
    return path


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    only = sys.argv[2] if len(sys.argv) > 2 else ""
    repo = os.path.dirname(os.path.dirname(HERE))
    workdir = tempfile.mkdtemp(prefix="flowtrace-placement.", dir="/var/tmp")
    tracer = os.path.join(workdir, "flowtrace-bpf")
    shutil.copy2(os.path.join(repo, "build", "flowtrace-bpf"), tracer)
    baseline = None
    if os.environ.get("PLACEMENT_BASELINE"):
        baseline = os.path.join(workdir, "flowtrace-bpf.baseline")
        shutil.copy2(os.environ["PLACEMENT_BASELINE"], baseline)
    driver.WORKLOAD = cpu_workload(workdir)
    bench = driver.Bench(types.SimpleNamespace(python=DTRACE, tracer=tracer, bpftrace=None),
                         workdir)
    bench.pin()
    targets = [("dtrace 3.9", DTRACE, [{"id": "untraced", "kind": "untraced"},
                                      {"id": "usdt floor", "kind": "floor", "args": driver.USDT,
                                       "sink": "null"}])]
    for name, py in TARGETS:
        if only not in name:
            continue
        if not os.access(py, os.X_OK):
            driver.log("placement: %s absent, skipped" % py)
            continue
        targets.append((name, py, [
            {"id": "untraced", "kind": "untraced"},
            {"id": "placed", "kind": "flowtrace", "args": FRAME, "format": "jsonl",
             "sink": "null"}] + ([
            {"id": "baseline", "kind": "flowtrace", "args": FRAME, "format": "jsonl",
             "sink": "null", "tracer": baseline}] if baseline else []) + [
            {"id": "labels", "kind": "flowtrace", "args": FRAME, "format": "jsonl",
             "sink": "null", "labels": True},
            {"id": "floor placed", "kind": "floor", "args": FRAME, "sink": "null"},
            {"id": "floor labels", "kind": "floor", "args": FRAME, "sink": "null",
             "labels": True}]))
    runs = []
    try:
        for rnd in range(rounds):
            for wname, size in WORKLOADS:
                for name, py, cfgs in targets:
                    k = rnd % len(cfgs)
                    for cfg in cfgs[k:] + cfgs[:k]:
                        env = os.environ.pop("FLOWTRACE_PROBE_LABELS", None)
                        if cfg.get("labels"):
                            os.environ["FLOWTRACE_PROBE_LABELS"] = "1"
                        bench.tracer = cfg.get("tracer", tracer)
                        try:
                            r = bench.run(wname, size, cfg, py=py)
                        except RuntimeError as e:
                            driver.log("placement: %s %s failed: %s" % (name, cfg["id"],
                                                                         str(e)[:200]))
                            continue
                        finally:
                            os.environ.pop("FLOWTRACE_PROBE_LABELS", None)
                            if env is not None:
                                os.environ["FLOWTRACE_PROBE_LABELS"] = env
                        r.update(target=name, round=rnd)
                        runs.append(r)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    def per_call(target, cfg, w):
        base = [r["elapsed_s"] for r in runs if (r["target"], r["config"], r["workload"])
                == (target, "untraced", w)]
        vals = [(r["elapsed_s"] - statistics.median(base)) / r["calls"] * 1e6 for r in runs
                if (r["target"], r["config"], r["workload"]) == (target, cfg, w)]
        return statistics.median(vals) if vals and base else float("nan")

    print("CPU µs per call over untraced, median of %d rounds; × = over the USDT floor"
          % rounds)
    for w, _ in WORKLOADS:
        floor = per_call("dtrace 3.9", "usdt floor", w)
        print("%s: USDT floor (dtrace 3.9) %.2f" % (w, floor))
        for name, _, cfgs in targets[1:]:
            print("  %-13s " % name + "  ".join(
                "%s %.2f (%.2f×)" % (c["id"], per_call(name, c["id"], w),
                                     per_call(name, c["id"], w) / floor) for c in cfgs[1:]))
    return 0


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("placement: must run as root (BPF)")
    sys.exit(main())
