# Workload: exceptions raised and caught at several levels, and finally
# blocks. An exception unwinding a frame ends that call like a return.
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


class AppError(Exception):
    pass


def level3(n):
    if n % 2:
        raise AppError(n)
    return n


def tidy(n):
    return n


def level2(n):
    try:
        return level3(n)
    finally:
        tidy(n)


def recover(n):
    return -n


def level1(n):
    try:
        return level2(n)
    except AppError:
        return recover(n)


def deep_raise(n):
    if n == 0:
        raise KeyError("bottom")
    deep_raise(n - 1)


def handled():
    return True


def catcher():
    try:
        deep_raise(3)
    except KeyError:
        handled()
    try:
        {}["missing"]
    except KeyError:
        handled()


def main():
    for n in range(4):
        level1(n)
    catcher()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
