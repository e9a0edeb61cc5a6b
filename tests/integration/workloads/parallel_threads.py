# Workload: four threads running Python at once (on a free-threaded
# build truly in parallel: no GIL), each with its own deterministic tree:
# 300 functions each called first by all four at once, recursion 30+ deep, generators (yield from, send), an exception caught
# four frames up, and functions compiled fresh in the thread whose code
# objects die while the others run (names by address must stay right).
# Two threads start before the start gate and wait at park() (-p attaches
# with their stacks 30 deep), two start after it; a barrier then releases
# all four together.
import os
import sys
import threading

DEPTH = 30
ROUNDS = 12
EARLY = 2
LATE = 2

start = threading.Barrier(EARLY + LATE + 1)

# Functions every thread calls for its first time right after the barrier,
# all four at about once: a 3.14t thread's first run of a code object runs
# its RESUME twice (switching to the thread's own copy of the bytecode)
# while other threads name the same code.
FIRSTS_SRC = "".join("def first_%d():\n    return %d\n" % (i, i) for i in range(300))
_firsts = {}
exec(compile(FIRSTS_SRC, __file__, "exec"), _firsts)
FIRSTS = [_firsts["first_%d" % i] for i in range(300)]


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


class Bump(Exception):
    pass


def leaf(i):
    return i + 1


def numbers(n):
    for i in range(n):
        yield leaf(i)


def relay(n):
    total = yield from numbers(n)
    return total


def echo():
    # ends by returning: a close() of a suspended generator runs its frame
    # under the oracle's profiler only (3.14, test_py314's gen.close())
    got = 0
    while True:
        x = yield got
        if x is None:
            return got
        got = leaf(x)


def boom(n):
    if n == 0:
        raise Bump()
    boom(n - 1)


def fresh(k, r):
    # a new code object per call: dies once its function goes
    src = "def made_%d_%d(x):\n    return leaf(x)\n" % (k, r)
    ns = {"leaf": leaf}
    exec(compile(src, __file__, "exec"), ns)
    return ns["made_%d_%d" % (k, r)](r)


def descend(n, k, r):
    if n == 0:
        total = sum(relay(k + 2))
        e = echo()
        next(e)
        e.send(k)
        try:
            e.send(None)
        except StopIteration:
            pass
        return total
    if n == 5:
        try:
            boom(3)
        except Bump:
            leaf(n)
    return descend(n - 1, k, r) + 1


def work(k):
    total = 0
    for f in FIRSTS:
        total += f()
    for r in range(ROUNDS):
        total += descend(DEPTH + k, k, r)
        total += fresh(k, r)
    return total


def park(k, ready):
    ready.set()
    start.wait()


def early(k, ready, n):
    # entered before attach: park() waits n frames deep
    if n == 0:
        park(k, ready)
        return work(k)
    return early(k, ready, n - 1)


def late(k):
    park(k, threading.Event())
    return work(k)


def main():
    readies = [threading.Event() for _ in range(EARLY)]
    threads = [threading.Thread(target=early, args=(k, readies[k], DEPTH))
               for k in range(EARLY)]
    for t in threads:
        t.start()
    for ev in readies:
        ev.wait()
    if os.environ.get("FT_GATE"):
        gate()
    for k in range(EARLY, EARLY + LATE):
        t = threading.Thread(target=late, args=(k,))
        t.start()
        threads.append(t)
    start.wait()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
