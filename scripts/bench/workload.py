"""Benchmark workloads, run by the traced interpreter (the dtrace CPython 3.9,
and for the per-method cost every CPython 3.8 to 3.13 present).

Protocol with scripts/bench/driver.py, the same for every configuration:
  1. set up and warm up (imports, caches), then count the Python calls the
     measured section makes, exactly, by running it once under
     sys.setprofile (a "call" profile event fires where CPython's
     function__entry marker does: every frame start or generator resume);
  2. print one line "ready" and wait for one line on stdin: the gate;
  3. run the measured section, timed with time.perf_counter();
  4. print one JSON line {"elapsed": s, "calls": n, ...}, wait for stdin to
     close (so the driver can read counters while the probes are still
     attached), and exit.
The driver attaches the tracer while the workload waits at the gate, so no
tracer's start-up is ever inside the measured time.

The count is exact but for one thing: a new thread runs about a dozen calls
of threading's start-up before it installs the profile hook, so "threads"
undercounts by ~24 of its ~115 000 calls (0.02 %).

usage: workload.py NAME [SIZE]      NAME: fib, mix, threads, deep, long, noop
  fib SIZE        fib(SIZE), recursive
  mix SIZE        SIZE rounds of json, re, classes, generators, exceptions
  threads SIZE    two threads running fib(SIZE) at once
  deep SIZE       SIZE descents to a depth of DEEP_DEPTH
  long SECONDS    mix rounds until SECONDS have passed (memory run)
  noop            nothing (launch-to-ready measurement)
Standard library only; runs on CPython 3.8 to 3.13.

With FT_INPROC set, the measured section runs under one of the in-process
ways a user could trace instead of flowtrace-bpf, installed just before the
timer starts and removed just after it stops (see INPROC below):
  cprofile    cProfile.Profile().enable()
  setprofile  sys.setprofile and threading.setprofile with a Python
              function that does nothing
  monitoring  sys.monitoring (3.12+): PY_START and PY_RETURN callbacks
              that do nothing
"""

import itertools
import json
import os
import re
import sys
import threading
import time

DEEP_DEPTH = 3000


# ---------------------------------------------------------------- call-heavy


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def run_fib(size):
    fib(size)


def run_threads(size):
    workers = [threading.Thread(target=fib, args=(size,), name="busy%d" % i) for i in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


# ---------------------------------------------------------------- deep


def descend(n):
    if n == 0:
        return 0
    return descend(n - 1) + 1


def run_deep(size):
    for _ in range(size):
        descend(DEEP_DEPTH)


# ---------------------------------------------------------------- realistic mix

ORDER_LINE = re.compile(r"(?P<sku>[A-Z]{3}-\d{4})\s+x(?P<qty>\d+)\s+@(?P<price>\d+\.\d{2})")
TEXT = "\n".join(
    "%s-%04d x%d @%d.%02d" % ("ABCDEFG"[i % 7] * 3, i * 37 % 10000, i % 5 + 1, i % 90 + 1, i % 100)
    for i in range(12)
)


class Money:
    __slots__ = ("cents",)

    def __init__(self, cents):
        self.cents = cents

    def __add__(self, other):
        return Money(self.cents + other.cents)

    def times(self, n):
        return Money(self.cents * n)

    @property
    def text(self):
        return "%d.%02d" % divmod(self.cents, 100)


class Line:
    def __init__(self, sku, qty, price):
        self.sku = sku
        self.qty = qty
        self.price = price

    def total(self):
        return self.price.times(self.qty)


class OutOfStock(Exception):
    pass


class Stock:
    def __init__(self):
        self.levels = {}

    def take(self, sku, qty):
        have = self.levels.get(sku, 3)
        if have < qty:
            raise OutOfStock(sku)
        self.levels[sku] = have - qty


def parse_lines(text):
    for m in ORDER_LINE.finditer(text):
        whole, frac = m.group("price").split(".")
        yield Line(m.group("sku"), int(m.group("qty")), Money(int(whole) * 100 + int(frac)))


def priced(lines, stock):
    for line in lines:
        try:
            stock.take(line.sku, line.qty)
        except OutOfStock:
            continue
        yield line


def order_total(lines):
    total = Money(0)
    for line in lines:
        total = total + line.total()
    return total


def mix_round():
    stock = Stock()
    kept = list(priced(parse_lines(TEXT), stock))
    doc = {"lines": [{"sku": l.sku, "qty": l.qty, "price": l.price.text} for l in kept],
           "total": order_total(kept).text}
    back = json.loads(json.dumps(doc, sort_keys=True))
    return len(back["lines"])


def run_mix(size):
    for _ in range(size):
        mix_round()


def run_long(seconds):
    """Mix rounds until `seconds` have passed; returns the number of rounds."""
    end = time.perf_counter() + seconds
    rounds = 0
    while time.perf_counter() < end:
        mix_round()
        rounds += 1
    return rounds


def run_noop(size):
    pass


# ---------------------------------------------------------------- in-process tracers
#
# For scale: what a user pays tracing from inside the process. The two
# Python-level ones do nothing in their callbacks, so they are the least any
# Python-level tracer costs; cProfile does its real work (in C). Each returns
# (start, stop).


def _noop_profile(frame, event, arg):
    pass


def inproc_cprofile():
    import cProfile

    prof = cProfile.Profile()
    # cProfile hooks the thread that enables it (3.12+: every thread, through
    # sys.monitoring)
    return prof.enable, prof.disable


def inproc_setprofile():
    def start():
        threading.setprofile(_noop_profile)
        sys.setprofile(_noop_profile)

    def stop():
        sys.setprofile(None)
        threading.setprofile(None)

    return start, stop


def inproc_monitoring():
    mon = sys.monitoring  # AttributeError before 3.12: the driver asks only 3.12+
    tool = mon.PROFILER_ID
    ev = mon.events

    def on_start(code, offset):
        pass

    def on_return(code, offset, retval):
        pass

    def start():
        mon.use_tool_id(tool, "flowtrace-bench")
        mon.register_callback(tool, ev.PY_START, on_start)
        mon.register_callback(tool, ev.PY_RETURN, on_return)
        # global events: every code object, every thread
        mon.set_events(tool, ev.PY_START | ev.PY_RETURN)

    def stop():
        mon.set_events(tool, 0)
        mon.register_callback(tool, ev.PY_START, None)
        mon.register_callback(tool, ev.PY_RETURN, None)
        mon.free_tool_id(tool)

    return start, stop


INPROC = {
    "cprofile": inproc_cprofile,
    "setprofile": inproc_setprofile,
    "monitoring": inproc_monitoring,
}


# ---------------------------------------------------------------- harness

RUNNERS = {
    "fib": run_fib,
    "mix": run_mix,
    "threads": run_threads,
    "deep": run_deep,
    "noop": run_noop,
}


def count_calls(fn, *args):
    """Python calls made by fn(*args) in every thread, fn's own call included."""
    # next() on itertools.count is one C call: atomic under the GIL, where
    # "n += 1" in two threads would lose increments
    counter = itertools.count()

    def prof(frame, event, arg):
        if event == "call":
            next(counter)

    threading.setprofile(prof)
    sys.setprofile(prof)
    try:
        fn(*args)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    # the "call" event of fn itself was seen; setprofile's own return is not a call
    return next(counter)


def main():
    name = sys.argv[1]
    size = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    if name == "deep":
        sys.setrecursionlimit(DEEP_DEPTH + 1000)
    result = {"workload": name, "size": size}

    if name == "long":
        mix_round()  # warm-up: imports, re and json caches
        per_round = count_calls(mix_round)
        if count_calls(run_mix, 2) != 2 * per_round + 1:
            result["warning"] = "mix rounds differ in call count"
        fn, arg = run_long, size
    else:
        fn, arg = RUNNERS[name], int(size)
        if name == "mix":
            fn(1)  # warm-up
        calls = count_calls(fn, arg)

    inproc = os.environ.get("FT_INPROC")
    start, stop = INPROC[inproc]() if inproc else (None, None)
    print("ready", flush=True)
    if not sys.stdin.readline():
        return 1  # the driver went away
    if start:
        start()
    t0 = time.perf_counter()
    ret = fn(arg)
    elapsed = time.perf_counter() - t0
    if stop:
        stop()

    if name == "long":
        # run_long's own call, its loop's mix rounds
        calls = 1 + ret * per_round
        result["rounds"] = ret
    result["elapsed"] = elapsed
    result["calls"] = calls
    print(json.dumps(result), flush=True)
    while sys.stdin.readline():
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
