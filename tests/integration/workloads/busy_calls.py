# Calls that do real work, for the correction of durations for the tracer's
# cost (docs/design.md): leaf() is a busy loop of a fixed number of
# iterations (tens of microseconds, no call inside it), mid() calls leaf()
# ten times. The untraced time of the same work is measured in the same
# moments as the traced calls, so a loaded machine slows both alike: each
# traced call follows the same loop run inline (no call, so no probe
# fires; time.perf_counter_ns is a C function, which no method traces),
# and what the call itself adds untraced (its frame, its return) is
# measured before the gate, with nothing attached. The times go as JSON to
# $FT_UNTRACED_OUT at the end, in call order.
import json
import os
import sys
import time

N = int(os.environ.get("FT_BUSY_N", "600"))
# perf_counter_ns is 3.7+; on 3.6 the float clock, in ns
clock = getattr(time, "perf_counter_ns", None) or (lambda: int(time.perf_counter() * 1e9))


def leaf():
    x = 0
    for i in range(N):
        x += i
    return x


def mid():
    for _ in range(10):
        leaf()


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def inline_leaf():
    """leaf()'s loop, run inline: its time, untraced."""
    t = clock()
    x = 0
    for i in range(N):
        x += i
    return clock() - t


def inline_mid():
    """mid()'s work, every loop inline."""
    t = clock()
    for _ in range(10):
        x = 0
        for i in range(N):
            x += i
    return clock() - t


def call_time(fn):
    t = clock()
    fn()
    return clock() - t


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def overhead(fn, inline, k):
    """What calling fn adds to its work inline, untraced."""
    calls, inl = [], []
    for _ in range(k):
        inl.append(inline())
        calls.append(call_time(fn))
    return median(calls) - median(inl)


# warm up: 3.11+ specialise the loops after their first runs
for _ in range(100):
    leaf()
    inline_leaf()
    mid()
    inline_mid()
res = {"leaf_call_ns": overhead(leaf, inline_leaf, 300), "mid_call_ns": overhead(mid, inline_mid, 40)}
if os.environ.get("FT_GATE"):
    gate()
res["leaf_inline"] = []
res["mid_inline"] = []
for _ in range(20):
    res["mid_inline"].append(inline_mid())
    mid()
for _ in range(200):
    res["leaf_inline"].append(inline_leaf())
    leaf()
out = os.environ.get("FT_UNTRACED_OUT")
if out:
    with open(out, "w") as f:
        json.dump(res, f)
if os.environ.get("FT_HOLD"):
    # scripts/bench/durations.py reads the tracer's BPF counters while the
    # probes are still attached, then closes stdin
    sys.stderr.write("FT_DONE\n")
    sys.stderr.flush()
    sys.stdin.read()
