# Workload for crash tests: tick() sleeps 10 ms, N times (argv[1], default
# 100); after each tick the main loop writes "FT_TICK i" to stderr, so the
# runner knows how far the program got when it acts.
import os
import sys
import time


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def tick(i):
    time.sleep(0.010)
    return i


def main(n):
    for i in range(n):
        tick(i)
        sys.stderr.write("FT_TICK %d\n" % i)
        sys.stderr.flush()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
