# Workload: the start gate is taken inside a generator's body, so with -p
# the first thing the traced thread does after attach is that generator's
# yield, and its callers then return with no call in between: only the
# stack snapshot taken at that yield can place them. Where the yield
# handler's probe reads the frame from a register past the point where the
# frame is unlinked from its caller (3.12, 3.14), the snapshot must still
# reach the callers (docs/design.md, "Interpreter probes"). Then the
# generator is resumed again, by a Python loop and by C (list()).
import os
import sys

GATED = bool(os.environ.get("FT_GATE"))
GENS = []


def leaf(i):
    return i


def gate():
    # no Python-level call before the yield: the gate blocks in C, and
    # reads bytes (a text stdin may decode the line in Python, whose call
    # would be the thread's first event)
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.buffer.readline()
    yield 1
    yield leaf(2)


def numbers(n):
    for i in range(n):
        yield leaf(i)


def consume():
    if GATED:
        g = gate()
        GENS.append(g)
        for x in g:
            return x
    return 0


def outer():
    return consume()


def main():
    v = outer()
    leaf(v)
    for g in GENS:
        for _ in g:
            pass
    return sum(list(numbers(2))) + sum(x for x in numbers(3))


if __name__ == "__main__":
    main()
