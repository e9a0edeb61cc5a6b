# Workload (3.12+): runs with a sys.monitoring tool active, registered
# before the start gate: callbacks on PY_START, PY_RESUME, PY_RETURN,
# PY_YIELD, CALL, LINE, RAISE and EXCEPTION_HANDLED, which also keeps the
# interpreter on its instrumented opcodes. The callbacks are compiled from
# a string with the file name "<monitoring-helper>", so --include
# '*/workloads/*' hides them on both sides.
import os
import sys

HELPER = """
hits = [0]

def callback(*args):
    hits[0] += 1
"""
helper = {}
exec(compile(HELPER, "<monitoring-helper>", "exec"), helper)
TOOL = 3


def install():
    mon = sys.monitoring
    mon.use_tool_id(TOOL, "flowtrace-itest")
    ev = mon.events
    wanted = (ev.PY_START, ev.PY_RESUME, ev.PY_RETURN, ev.PY_YIELD, ev.CALL, ev.LINE,
              ev.RAISE, ev.EXCEPTION_HANDLED)
    mask = 0
    for e in wanted:
        mon.register_callback(TOOL, e, helper["callback"])
        mask |= e
    mon.set_events(TOOL, mask)


def uninstall():
    if sys.version_info < (3, 12):
        return
    sys.monitoring.set_events(TOOL, 0)
    sys.monitoring.free_tool_id(TOOL)


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def leaf(i):
    return i + 1


def recurse(n):
    if n == 0:
        return leaf(0)
    return recurse(n - 1) + 1


def gen(n):
    for i in range(n):
        yield leaf(i)


def fails(n):
    if n:
        raise ValueError(n)


def work():
    recurse(5)
    sum(gen(3))
    try:
        fails(1)
    except ValueError:
        leaf(-1)


def main():
    work()
    work()
    uninstall()
    leaf(99)


if __name__ == "__main__":
    # before 3.12 (no sys.monitoring) it runs untouched, to stay portable
    if sys.version_info >= (3, 12):
        install()
    if os.environ.get("FT_GATE"):
        gate()
    main()
