# Workload: call sites the interpreter specialises (3.11+: adaptive
# opcodes; 3.12+ also property getters, __getitem__, __init__ and
# generator iteration pushed inline) are warmed in a loop, then the start
# gate is taken in the middle of main() (-p attaches there), then the same
# call sites run a few more times. The tree must be exact from the gate on.
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


class Point:
    def __init__(self, x):
        self.x = x

    def norm(self):
        return abs(self.x)

    @property
    def double(self):
        return self.x * 2

    def __getitem__(self, i):
        return self.x + i


def add(a, b):
    return a + b


def with_defaults(a, b=1, c=2):
    return a + b + c


def gen(n):
    for i in range(n):
        yield i


def step(i):
    p = Point(i)
    add(i, 1)
    with_defaults(i)
    p.norm()
    p.double
    p[1]
    for _ in gen(2):
        pass
    return p


def main():
    for i in range(300):
        step(i)
    if os.environ.get("FT_GATE"):
        gate()
    for i in range(5):
        step(i)


if __name__ == "__main__":
    main()
