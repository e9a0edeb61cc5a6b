# Workload: asyncio coroutines awaiting each other, asyncio.sleep(0) and
# gathered tasks. Scheduling is FIFO with no timers, so it is deterministic.
# Written for 3.6+: no asyncio.run().
import asyncio
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


async def leaf(i):
    await asyncio.sleep(0)
    return i * 2


async def middle(i):
    a = await leaf(i)
    b = await leaf(i + 1)
    return a + b


async def no_suspend(i):
    return i


async def top():
    first = await middle(1)
    await no_suspend(first)
    results = await asyncio.gather(middle(2), middle(3))
    return first + sum(results)


def main():
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(top())
    finally:
        loop.close()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
