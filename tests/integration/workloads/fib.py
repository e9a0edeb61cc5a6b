# Workload: plain recursion. Uses only modules the interpreter has already
# imported at startup, so its whole <module> subtree is deterministic and
# the runner can compare it unfiltered.
import os
import sys


def gate():
    # -p tests: announce that we are blocked, then wait for the runner.
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def main():
    return fib(10)


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
