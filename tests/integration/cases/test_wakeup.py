"""The ring's wake-up guarantee: BPF wakes the reader only once a CPU has
submitted a share of the ring (bpf/emit.bpf.h, wakeup_flag), so a thread
that makes one call and then blocks leaves a few dozen bytes that never
wake it. The reader's periodic drain must still show them while the thread
blocks: with -f jsonl each call is written as it completes, so both calls
of workloads/call_then_block.py (one on the main thread, one on a second
thread, each followed by a C wait) must appear in the live output while
the target is still blocked. A liveness check with a generous deadline,
not a timing: the target blocks until the test has seen both lines (or
gives up), so a record left unwoken fails it whatever the machine's
load."""

import json
import time

from ftlib import interps
from ftlib.flows import start_gated
from ftlib.harness import Fail, cfg, start_tool, wait_ready, workload
from ftlib.registry import add

DEADLINE_S = 30  # generous: the drain interval is 100 ms
WANT = ("main_marked_call", "thread_marked_call")


def _seen(tracer):
    funcs = set()
    for line in tracer.stdout.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("type") == "call":
            funcs.add(rec.get("func"))
    return funcs


def _run(interp, method):
    target = start_gated([interp.path, workload("call_then_block")])
    tracer = start_tool(["--method", method, "-f", "jsonl", "-p", str(target.pid)])
    try:
        wait_ready(tracer)
        target.send(b"go\n")
        if not target.wait_stderr("FT_CALLS_DONE", 60):
            raise Fail("the target never made its calls\n%s" % target.stderr_tail())
        deadline = time.monotonic() + DEADLINE_S
        while True:
            seen = _seen(tracer)
            if all(w in seen for w in WANT):
                break
            if time.monotonic() > deadline or not tracer.alive():
                raise Fail("while the target blocked, -f jsonl showed %s of the calls %s "
                           "within %d s: records left in the ring unwoken\n%s" % (
                               sorted(seen & set(WANT)), list(WANT), DEADLINE_S,
                               tracer.stderr_tail()))
            time.sleep(0.1)
        target.send(b"done\n")
        target.close_stdin()
        rc = target.wait(60, "the traced target")
        if rc != 0:
            raise Fail("the target exited %s\n%s" % (rc, target.stderr_tail()))
        rc = tracer.wait(60)
        if rc != 0:
            raise Fail("flowtrace-bpf exited %s\n%s" % (rc, tracer.stderr_tail()))
    finally:
        target.kill()
        tracer.kill()
    return "%s %s: both calls shown while the target blocked" % (interp.name, method)


def _register():
    disc = interps.Discovery(cfg.py39, cfg.py314, cfg.py314_missing)
    for interp in disc.interps:
        if interp.kind == "dtrace":
            add("wakeup %s usdt: a blocked thread's calls are shown live" % interp.name,
                lambda i=interp: _run(i, "usdt"))
        if interp.kind == "pyenv" and interp.minor == (3, 12):
            add("wakeup %s frame: a blocked thread's calls are shown live" % interp.name,
                lambda i=interp: _run(i, "frame"))


_register()
