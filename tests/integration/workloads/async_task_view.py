# Workload: several concurrent asyncio tasks, named and default-named, that
# await sleeps, futures and queues through nested coroutines, with gather, a
# task that raises and a task that is cancelled. Each task's own steps are
# deterministic: only sleep(0) decides the order (the one timer is
# cancelled), and the order between tasks does not matter to the view.
#
# Its own oracle: with FT_TASK_ORACLE=PATH it runs under sys.setprofile and
# writes, per task in the order of its first step, the task's name and its
# steps: each step the calls (depth, function) made inside one resume of the
# task's coroutine, from the coroutine's resume to its suspension, as seen
# in-process with asyncio.current_task(). Only this file's frames count, as
# the tracer shows them with --include '*/workloads/*'. Before the loop runs,
# plain code drives one coroutine by hand: resumed from C, but by no Task.
import asyncio
import json
import os
import sys

HERE = os.path.abspath(__file__)


def fname(code):
    return getattr(code, "co_qualname", code.co_name)


def plain(n):
    return n + 1


async def leaf(i):
    await asyncio.sleep(0)
    return plain(i)


async def middle(i):
    a = await leaf(i)
    b = await leaf(i + 1)
    return a + b


async def waits_future(fut):
    return await fut


async def producer(q, n):
    for i in range(n):
        await q.put(plain(i))
        await asyncio.sleep(0)
    await q.put(None)


async def consumer(q):
    total = 0
    while True:
        item = await q.get()
        if item is None:
            return total
        total += plain(item)


async def fails():
    await asyncio.sleep(0)
    raise ValueError("expected by the workload")


async def sleeper():
    await asyncio.sleep(0)
    await asyncio.sleep(30)  # a timer: cancelled long before it fires


async def setter(fut):
    # sleep(0) only: a timer here would race with the other tasks, and
    # the number of steps of main() would depend on the machine's speed
    for _ in range(4):
        await asyncio.sleep(0)
    fut.set_result(plain(41))


async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    q = asyncio.Queue()
    named = [
        asyncio.create_task(middle(1), name="mid-one"),
        asyncio.create_task(waits_future(fut), name="fut-waiter"),
        asyncio.create_task(setter(fut), name="fut-setter"),
        asyncio.create_task(producer(q, 3), name="producer"),
        asyncio.create_task(consumer(q), name="consumer"),
    ]
    bad = asyncio.create_task(fails(), name="failing")
    victim = asyncio.create_task(sleeper(), name="victim")
    # default names (Task-N) for gather's tasks
    got = await asyncio.gather(middle(2), middle(3))
    await asyncio.gather(*named)
    try:
        await bad
    except ValueError:
        pass
    await asyncio.sleep(0)
    victim.cancel()
    try:
        await victim
    except asyncio.CancelledError:
        pass
    return got


async def by_hand():
    return plain(0)


def drive_by_hand():
    """A coroutine resumed from C by plain code, not by a Task: no task."""
    c = by_hand()
    try:
        c.send(None)
    except StopIteration:
        pass


class Oracle:
    def __init__(self):
        self.tasks = []  # in the order of first steps
        self.by_id = {}
        self.open = {}  # task id -> [depth of the step's frames]

    def __call__(self, frame, event, arg):
        if event not in ("call", "return"):
            return
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return
        if task is None:
            return
        key = id(task)
        st = self.open.get(key)
        if st is None:
            if event != "call" or frame is not getattr(task.get_coro(), "cr_frame", None):
                return
            if key not in self.by_id:
                rec = {"name": task.get_name(), "steps": []}
                self.by_id[key] = rec
                self.tasks.append((task, rec))
            st = self.open[key] = {"frames": [], "calls": []}
            self.by_id[key]["steps"].append(st["calls"])
        mine = frame.f_code.co_filename == HERE
        if event == "call":
            if mine:
                st["calls"].append([len([f for f in st["frames"] if f]), fname(frame.f_code)])
            st["frames"].append(mine)
        else:
            st["frames"].pop()
            if not st["frames"]:
                del self.open[key]

    def dump(self, path):
        out = []
        for task, rec in self.tasks:
            coro = task.get_coro()
            code = getattr(coro, "cr_code", None)
            if code is None or code.co_filename != HERE:
                continue  # asyncio's own (shutdown) tasks
            out.append(rec)
        with open(path, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    drive_by_hand()
    path = os.environ.get("FT_TASK_ORACLE")
    if path:
        o = Oracle()
        sys.setprofile(o)
        asyncio.run(main())
        sys.setprofile(None)
        o.dump(path)
    else:
        asyncio.run(main())
