# Workload: a class whose __getitem__ is Python code, subscripted in a hot
# loop, so 3.11+ specialise the subscript (BINARY_SUBSCR_GETITEM) and push
# the __getitem__ frame inline, without a C call; each __getitem__ calls
# a helper, whose parent must be that __getitem__. The start gate (-p)
# comes after the loop has warmed the call site, then it runs again.
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def scale(v):
    return v * 3


class Table:
    def __init__(self, n):
        self.rows = list(range(n))

    def __getitem__(self, i):
        return scale(self.rows[i % len(self.rows)])


def total(t, n):
    s = 0
    for i in range(n):
        s += t[i]
    return s


def main():
    t = Table(7)
    total(t, 200)
    if os.environ.get("FT_GATE"):
        gate()
    total(t, 4)


if __name__ == "__main__":
    main()
