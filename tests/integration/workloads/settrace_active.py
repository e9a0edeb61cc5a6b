# Workload: runs with sys.settrace active (global and local trace
# functions, so line events too), installed before the start gate, in the
# main thread and, through threading.settrace, in a worker thread. The
# trace functions are compiled from a string with the file name
# "<trace-helper>", so --include '*/workloads/*' hides their calls on both
# sides: the tracer sees them, sys.setprofile (the oracle) does not.
import os
import sys
import threading

HELPER = """
hits = [0]

def global_trace(frame, event, arg):
    hits[0] += 1
    return local_trace

def local_trace(frame, event, arg):
    hits[0] += 1
    return local_trace
"""
helper = {}
exec(compile(HELPER, "<trace-helper>", "exec"), helper)


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def leaf(i):
    return i + 1


def recurse(n):
    if n == 0:
        return leaf(0)
    return recurse(n - 1) + 1


def gen(n):
    for i in range(n):
        yield leaf(i)


def fails(n):
    if n:
        raise ValueError(n)


def work():
    recurse(5)
    sum(gen(3))
    try:
        fails(1)
    except ValueError:
        leaf(-1)


def worker():
    work()


def main():
    work()
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    sys.settrace(None)
    threading.settrace(None)
    leaf(99)


if __name__ == "__main__":
    sys.settrace(helper["global_trace"])
    threading.settrace(helper["global_trace"])
    if os.environ.get("FT_GATE"):
        gate()
    main()
