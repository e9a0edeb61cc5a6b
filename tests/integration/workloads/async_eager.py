# Workload: eager asyncio tasks (3.12+, asyncio.eager_task_factory and
# Task(..., eager_start=True)): a task's first step runs synchronously inside
# its creation. The loop runs with the eager factory, so main() itself starts
# eagerly from plain code (run_until_complete). From inside main() it creates
# tasks that finish without ever suspending, tasks that suspend (sleep(0), an
# event), a task created by a plain function, an eager task that creates
# another eagerly inside its own first step, and one made by calling Task()
# right in the coroutine (its coroutine's caller is then a coroutine). A second
# loop without the factory mixes a lazy task with Task(..., eager_start=True)
# and, on 3.14, create_task(..., eager_start=True).
#
# Its own oracle: with FT_TASK_ORACLE=PATH it runs under sys.setprofile and
# writes, per task in the order of its first step, the task's name (as it was
# when its last step started: 3.12's create_task names a task only after the
# factory ran its eager step) and its steps, each the calls (depth, function)
# of this file made while asyncio.current_task() is that task, from the
# resume of its coroutine to its suspension, and per step the task (its
# place in that order) whose step it started inside of, if any.
import asyncio
import json
import os
import sys

HERE = os.path.abspath(__file__)


def fname(code):
    return getattr(code, "co_qualname", code.co_name)


def plain(n):
    return n + 1


async def quick(i):
    return plain(i)


async def sleeps(i):
    plain(i)
    await asyncio.sleep(0)
    return plain(i + 1)


async def waits(ev):
    plain(0)
    await ev.wait()
    return plain(1)


async def inner_quick():
    return plain(7)


async def spawner():
    # an eager task created inside an eager task's first step
    t = asyncio.create_task(inner_quick(), name="inner-quick")
    plain(5)
    await asyncio.sleep(0)
    return await t


def spawn_from_plain():
    # a plain function (no coroutine) between the creator and the task
    return asyncio.create_task(quick(3), name="from-plain")


async def main():
    ev = asyncio.Event()
    loop = asyncio.get_running_loop()
    tasks = [
        asyncio.create_task(quick(1), name="quick-1"),
        asyncio.create_task(sleeps(2), name="sleeps-2"),
        asyncio.create_task(waits(ev), name="waits"),
        asyncio.create_task(quick(2)),  # a default name
        asyncio.create_task(spawner(), name="spawner"),
        spawn_from_plain(),
        # the coroutine's caller is this coroutine itself
        asyncio.Task(sleeps(4), loop=loop, name="direct", eager_start=True),
        asyncio.Task(quick(4), loop=loop, name="direct-quick", eager_start=True),
    ]
    plain(10)
    await asyncio.sleep(0)
    ev.set()
    await asyncio.gather(*tasks)
    plain(11)
    return tasks


async def lazy_main():
    # no eager factory: tasks are lazy unless asked to start eagerly
    loop = asyncio.get_running_loop()
    tasks = [asyncio.create_task(quick(20), name="lazy"),
             asyncio.Task(sleeps(21), loop=loop, name="asked", eager_start=True)]
    if sys.version_info >= (3, 14):
        # 3.14: create_task passes eager_start on to the Task
        tasks.append(asyncio.create_task(quick(22), name="kw", eager_start=True))
    await asyncio.gather(*tasks)


def run():
    loop = asyncio.new_event_loop()
    loop.set_task_factory(asyncio.eager_task_factory)
    try:
        # kept alive to the end: a Task's memory reused by a later Task of
        # the same coroutine function at a reused coroutine address would
        # read as one task (docs/design.md "Grouping")
        kept = loop.run_until_complete(main())
    finally:
        loop.close()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(lazy_main())
    finally:
        loop.close()
    return kept


class Oracle:
    def __init__(self):
        self.tasks = []  # in the order of first steps
        self.by_id = {}
        self.open = {}  # task id -> the open step, in the order they opened
        self.order = {}  # task id -> its place in tasks

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
                # the coroutine's file now: 3.12+ drop a done Task's coroutine
                rec = {"steps": [], "inside": [], "mine": frame.f_code.co_filename == HERE}
                self.by_id[key] = rec
                self.order[key] = len(self.tasks)
                self.tasks.append((task, rec))
            # the step of another task this one starts inside (an eager
            # start): the innermost open one, by its place in the order
            outer = [k for k in self.open if k != key]
            rec = self.by_id[key]
            rec["inside"].append(self.order[outer[-1]] if outer else None)
            st = self.open[key] = {"frames": [], "calls": []}
            rec["steps"].append(st["calls"])
            self.by_id[key]["name"] = task.get_name()
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
            if rec.pop("mine"):
                out.append(rec)  # not asyncio's own (shutdown) tasks
        with open(path, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    path = os.environ.get("FT_TASK_ORACLE")
    if path:
        o = Oracle()
        sys.setprofile(o)
        run()
        sys.setprofile(None)
        o.dump(path)
    else:
        run()
