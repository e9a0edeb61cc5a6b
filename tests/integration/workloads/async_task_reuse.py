# Workload: eight tasks of one coroutine function, run one after the other
# (each awaited before the next is made), named seq-0 .. seq-7. The Tasks
# stay alive (kept in a list), so each has an address of its own, but a
# finished coroutine's frame is freed, and the next coroutine's may take
# its address (3.8-3.10 reuse the code object's spare frame), which is the
# address the tracer keys a task by. Facts: eight tasks in that order,
# each two steps, each step unit() calling plain() once.
import asyncio


def plain(n):
    return n + 1


async def unit(i):
    plain(i)
    await asyncio.sleep(0)
    return plain(i)


async def main():
    keep = []
    for i in range(8):
        t = asyncio.create_task(unit(i), name="seq-%d" % i)
        keep.append(t)
        await t
    return len(keep)


asyncio.run(main())
