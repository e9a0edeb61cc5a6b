# Workload: classes: class bodies, __init__, methods, super(), property,
# staticmethod, classmethod, a decorated method (its call line is the
# decorator's), a lambda, a comprehension and a generator expression, and
# a class call made often enough for 3.13 to specialise it (it then runs
# __init__ above a frame of its own that is no call). main() calls only
# the workload's functions, so its subtree is compared unfiltered too.
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def traced(fn):
    def wrapper(*args):
        return fn(*args)

    return wrapper


class Shape:
    sides = 4

    def __init__(self, w, h):
        self.w = w
        self.h = h

    def area(self):
        return self.w * self.h

    @property
    def perimeter(self):
        return 2 * (self.w + self.h)

    @staticmethod
    def unit():
        return Shape(1, 1)

    @classmethod
    def square(cls, s):
        return cls(s, s)

    def __repr__(self):
        return "Shape(%d, %d)" % (self.w, self.h)


class Square(Shape):
    def __init__(self, s):
        super().__init__(s, s)

    @traced
    def area(self):
        return super().area()


def build(n):
    out = []
    for i in range(n):
        out.append(Shape(i, 1))
    return out


def main():
    build(8)
    shapes = [Shape(2, 3), Square(4), Shape.unit(), Shape.square(5)]
    sum(s.area() for s in shapes)
    [s.perimeter for s in shapes]
    sorted(shapes, key=lambda s: s.area())
    repr(shapes[0])


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
