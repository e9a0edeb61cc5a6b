# Workload with known timings, for report and diff: every function spends
# its time in time.sleep (a C function, so no traced frame below it), and
# sleeps last at least what they ask for.
#   main thread: a() 2 x 50 ms; b() 3 x 20 ms (two direct, one from c());
#                c() 10 ms of its own around b(); rec(3): 4 nested calls
#                of 10 ms each (40 ms in all, not 100)
#   worker:      tick() 2 x 35 ms, while the main thread runs
import os
import sys
import threading
import time


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def a():
    time.sleep(0.050)


def b():
    time.sleep(0.020)


def c():
    b()
    time.sleep(0.010)


def rec(n):
    time.sleep(0.010)
    if n > 0:
        rec(n - 1)


def tick():
    time.sleep(0.035)


def worker():
    tick()
    tick()


def main():
    t = threading.Thread(target=worker, name="worker")
    t.start()
    a()
    a()
    b()
    b()
    c()
    rec(3)
    t.join()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
