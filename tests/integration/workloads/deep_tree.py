# Workload: deep trees for the tree format's layout. Plain recursions 500
# and 3000 deep (each call's only call is the next), one 3 deep, one 700
# deep whose innermost call does work of its own, and a recursion through
# two functions (ping, pong) 1200 deep that no rule folds.
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


def work(n):
    return n * 2


def climb(n):
    if n == 0:
        return work(1) + work(2)
    return climb(n - 1) + 1


def ping(n):
    if n == 0:
        return 0
    return pong(n - 1) + 1


def pong(n):
    if n == 0:
        return 0
    return ping(n - 1) + 1


def main():
    sys.setrecursionlimit(10000)
    descend(500)
    descend(3000)
    descend(3)
    climb(700)
    ping(1200)


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
