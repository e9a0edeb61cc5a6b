# Workload: the start gate is taken 100 frames deep (-p attaches with all
# of them on the stack, deeper than the kernel's 64 uretprobes), with a
# generator started before the gate and resumed after it. After the gate
# an exception unwinds 10 of the frames entered before attach, and the
# other frames return normally after making calls of their own.
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


class Unwind(Exception):
    pass


def leaf(i):
    return i


def numbers(n):
    for i in range(n):
        yield leaf(i)


def descend(n, g):
    if n == 0:
        next(g)
        if os.environ.get("FT_GATE"):
            gate()
        for _ in g:
            pass
        raise Unwind()
    if n == 10:
        try:
            descend(n - 1, g)
        except Unwind:
            leaf(-n)
        return n
    r = descend(n - 1, g)
    if n % 20 == 0:
        leaf(n)
    return r


def main():
    sys.setrecursionlimit(2000)
    g = numbers(3)
    descend(100, g)
    leaf(1000)


if __name__ == "__main__":
    main()
