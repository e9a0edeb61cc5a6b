#!/usr/bin/env python3
"""A/B of BPF hot-path cost: several tracer binaries against one untraced run and one
floor per round, same workload, same interpreter, side by side (root; not part of make
bench). Prints per tracer (T0, T1, ...) BPF ns per event (run-time stats) and the
overhead per call over the floor's.
usage: ab.py ROUNDS TRACER_A TRACER_B [TRACER_C...]  (env WL=mix:700,fib:23)"""
import os, sys, json, tempfile, shutil, statistics as st, argparse
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import driver as d

rounds = int(sys.argv[1]); tracers = sys.argv[2:]
wls = [(w.split(":")[0], int(w.split(":")[1])) for w in os.environ.get("WL", "mix:700,fib:23").split(",")]
PY39 = "/var/cache/flowtrace-bpf/python3.9-dtrace/bin/python3.9"
PY312 = "/root/.pyenv/versions/3.12.1/bin/python3.12"
targets = [(PY39, ["--method", "usdt"], "3.9 usdt")] if os.environ.get("P39", "1") == "1" else []
if os.environ.get("P312", "1") == "1":
    targets.append((PY312, [], "3.12 auto"))
work = tempfile.mkdtemp(prefix="s7hot.", dir="/var/tmp")
copies = []
for i, t in enumerate(tracers):
    c = os.path.join(work, "t%d" % i); shutil.copy2(t, c); copies.append(c)
ns = argparse.Namespace(python=PY39, tracer=copies[0], bpftrace=None)
d.TIMEOUT_READY = 120.0
b = d.Bench(ns, work)
print(b.pin())
fd = d.enable_bpf_stats()
print("load:", open("/proc/loadavg").read().strip())
res = {}
for rnd in range(rounds):
    for py, margs, tname in targets:
        for wname, size in wls:
            cfgs = [("untraced", {"id": "untraced", "kind": "untraced"}, None),
                    ("floor", {"id": "floor", "kind": "floor", "args": margs, "sink": "null"}, copies[0])]
            for i, c in enumerate(copies):
                cfgs.append(("T%d" % i, {"id": "ft", "kind": "flowtrace", "args": margs,
                                        "format": "jsonl", "sink": "null"}, c))
            k = rnd % len(cfgs)
            for name, cfg, tr in cfgs[k:] + cfgs[:k]:
                if tr: b.tracer = tr
                try:
                    r = b.run(wname, size, cfg, prog_stats=True, py=py)
                except Exception as e:
                    print("skip", tname, wname, name, e, flush=True)
                    continue
                res.setdefault((tname, wname, name), []).append((rnd, r))
print("load after:", open("/proc/loadavg").read().strip())
for py, margs, tname in targets:
    for wname, size in wls:
        if not res.get((tname, wname, "untraced")) or not res.get((tname, wname, "floor")):
            continue
        base = st.median(r["elapsed_s"] for _, r in res[(tname, wname, "untraced")])
        fl = {rnd: r for rnd, r in res[(tname, wname, "floor")]}
        def ovh(r): return (r["elapsed_s"] - base) / r["calls"] * 1e6
        for name in ["floor"] + ["T%d" % i for i in range(len(copies))]:
            runs = res.get((tname, wname, name), [])
            runs = [(rnd, r) for rnd, r in runs if rnd in fl]
            if not runs:
                continue
            nse = [r["prog_run_ns"] / r["prog_run_cnt"] for _, r in runs if r.get("prog_run_cnt")]
            ratios = [ovh(r) / ovh(fl[rnd]) for rnd, r in runs if ovh(fl[rnd]) > 0]
            lost = [r.get("lost") for _, r in runs]
            print("%-10s %-5s %-6s ns/event med %6.1f min %4.0f [%s]  x floor med %5.2f [%s] ovh us/call %.2f lost %s" % (
                tname, wname, name, st.median(nse), min(nse), " ".join("%.0f" % x for x in nse),
                st.median(ratios) if ratios else 0, " ".join("%.2f" % x for x in ratios),
                st.median(ovh(r) for _, r in runs), lost))
shutil.rmtree(work, ignore_errors=True)
