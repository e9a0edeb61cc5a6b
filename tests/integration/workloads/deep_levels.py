# Workload: recursion past the kernel's 64-deep uretprobe limit (200 and
# 1000 frames), exceptions caught 1, 2, 5, 70 and 200 frames above where
# they are raised, and finally blocks running while an exception unwinds
# 100 frames.
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


class Boom(Exception):
    pass


def descend(n):
    if n == 0:
        return 0
    return descend(n - 1) + 1


def raiser(n):
    if n == 0:
        raise Boom(n)
    raiser(n - 1)


def caught(k):
    return k


def catch_at(k):
    # raiser(k - 1) is k frames deep: the exception is caught k frames up
    try:
        raiser(k - 1)
    except Boom:
        caught(k)


def tidy(n):
    return n


def with_finally(n):
    try:
        if n == 0:
            raise Boom(n)
        with_finally(n - 1)
    finally:
        if n % 10 == 0:
            tidy(n)


def main():
    sys.setrecursionlimit(5000)
    descend(200)
    descend(1000)
    for k in (1, 2, 5, 70, 200):
        catch_at(k)
    try:
        with_finally(100)
    except Boom:
        caught(-1)
    descend(3)


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
