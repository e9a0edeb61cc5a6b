# Workload: __del__ run while a frame is being cleared after it finished.
# When a frame's last local with a __del__ dies as the frame is cleared,
# 3.12+ runs the __del__ with the frame's own caller not yet current again
# when the frame was resumed or called from C (next(), list(), close(),
# map(), asyncio's C task step), and below a specialised __init__ on 3.13.
# Each __del__ (and what it calls) must sit under the Python caller the
# oracle sees, never under a frame that is no call (the matrix shows such
# frames through its filter).
import asyncio
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def finalized(tag):
    return tag


class Res:
    def __init__(self, tag):
        self.tag = tag

    def __del__(self):
        finalized(self.tag)


class Nested:
    # its __del__ drops a Res as its own frame is cleared: finalisers
    # nested two deep
    def __del__(self):
        inner = Res("nested")
        finalized(inner.tag)


def holder(n):
    r = Res("gen")
    for i in range(n):
        yield i
    finalized(r.tag)


def nested_holder():
    n = Nested()
    yield 1
    finalized(n)


def plain(i):
    r = Res("plain")
    return i + len(r.tag)


class Owner:
    # called often enough for 3.13 to specialise the class call: its
    # __init__ then runs above a frame of the interpreter's own
    def __init__(self, i):
        r = Res("init")
        self.i = i + len(r.tag)


def by_next():
    g = holder(2)
    next(g)
    next(g)
    try:
        next(g)  # returns: the frame is cleared, Res dies
    except StopIteration:
        pass


def by_for():
    total = 0
    for i in holder(3):
        total += i
    return total


def by_list():
    return list(holder(2))


def by_close():
    g = holder(5)
    next(g)
    g.close()


def by_nested():
    g = nested_holder()
    next(g)
    try:
        next(g)
    except StopIteration:
        pass


def by_map():
    return list(map(plain, range(3)))


def by_init():
    return [Owner(i).i for i in range(40)]


async def task_body(i):
    r = Res("task")
    await asyncio.sleep(0)
    return i + len(r.tag)


async def tasks():
    first = await task_body(0)
    results = await asyncio.gather(task_body(1), task_body(2))
    return first + sum(results)


def by_tasks():
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(tasks())
    finally:
        loop.close()


def main():
    by_next()
    by_for()
    by_list()
    by_close()
    by_nested()
    by_map()
    by_init()
    by_tasks()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
