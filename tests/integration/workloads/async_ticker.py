# Workload for teardown tests: an asyncio program that keeps stepping its
# tasks until killed. Two named worker tasks each sleep 10 ms per step,
# N times (argv[1], default 100); the main coroutine writes "FT_TICK i" to
# stderr after each of its own 10 ms sleeps. asyncio.run(), the event
# loop's run_forever and the main coroutine never return while it runs.
import asyncio
import sys


def handle(i, n):
    return i + n


async def worker(i, n):
    for k in range(n):
        await asyncio.sleep(0.010)
        handle(i, k)


async def main(n):
    tasks = [asyncio.create_task(worker(i, n), name="ticker-%d" % i) for i in range(2)]
    for i in range(n):
        await asyncio.sleep(0.010)
        sys.stderr.write("FT_TICK %d\n" % i)
        sys.stderr.flush()
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
