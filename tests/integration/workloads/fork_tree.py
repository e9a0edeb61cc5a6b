# Workload: os.fork() twice deep. The parent forks a child and waits; the
# child forks a grandchild and waits; each process does work of its own,
# and the children leave by os._exit (no frame from before the fork
# returns in them). --follow must show all three processes, each with its
# own calls; the oracle writes each child's tree to a file of its own.
import os
import sys


def gate():
    # -p tests: announce that we are blocked, then wait for the runner.
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def leaf(i):
    return i * 2


def parent_work():
    return leaf(1) + leaf(2)


def child_work(n):
    return sum([leaf(i) for i in range(n)])


def grandchild_work():
    return leaf(7)


def in_grandchild():
    grandchild_work()
    os._exit(0)


def in_child():
    pid = os.fork()
    if pid == 0:
        in_grandchild()
    child_work(3)
    os.waitpid(pid, 0)
    os._exit(0)


def main():
    pid = os.fork()
    if pid == 0:
        in_child()
    parent_work()
    _, status = os.waitpid(pid, 0)
    return status


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    sys.exit(1 if main() else 0)
