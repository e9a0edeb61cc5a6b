# Workload: one 300-frame recursion, then a second shallower one.
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def descend(n):
    if n == 0:
        return 0
    return descend(n - 1) + 1


def main():
    sys.setrecursionlimit(2000)
    descend(300)
    descend(3)


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
