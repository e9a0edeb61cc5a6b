# Workload for --min-duration: slow_* calls sleep 60 ms, fast_* calls take
# microseconds.
import os
import sys
import time


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def fast_a():
    return 1


def fast_b(n):
    return [fast_a() for _ in range(n)]


def slow_inner():
    fast_a()
    time.sleep(0.06)


def slow_outer():
    fast_a()
    slow_inner()
    fast_b(3)


def main():
    fast_b(2)
    slow_outer()
    fast_a()
    slow_inner()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
