# Workload: a small asyncio service for attaching to: four named worker
# tasks, each handling a request per timer tick, until stdin closes (or 60
# seconds pass). Prints FT_SERVICE_READY on stderr once every worker runs.
import asyncio
import sys


def handle(i, n):
    return i * n


async def worker(i, started):
    started.append(i)
    n = 0
    while True:
        await asyncio.sleep(0.002)
        n = handle(i, n + 1)


async def main():
    loop = asyncio.get_running_loop()
    started = []
    tasks = [asyncio.create_task(worker(i, started), name="worker-%d" % i) for i in range(4)]
    while len(started) < 4:
        await asyncio.sleep(0)
    sys.stderr.write("FT_SERVICE_READY\n")
    sys.stderr.flush()
    done = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), lambda: done.done() or done.set_result(None))
    try:
        await asyncio.wait_for(done, 60)
    except asyncio.TimeoutError:
        pass
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
