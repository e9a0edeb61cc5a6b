# Workload: the program a child execs (exec_child.py): a few calls, its
# result checked, exit 0 only when right. With FT_GO_FILE set it first
# waits in wait_attach() until that file exists: a runner creates it once
# the tracer says its probes for this interpreter are in, so every call
# after is seen whatever attaching took.
import os
import sys
import time


def wait_attach(go):
    deadline = time.monotonic() + 120
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.02)


def leaf(i):
    return i * 3


def branch(n):
    return sum(leaf(i) for i in range(n))


def main():
    return branch(4) + leaf(5)


if __name__ == "__main__":
    if os.environ.get("FT_GO_FILE"):
        wait_attach(os.environ["FT_GO_FILE"])
    # when right, <module> returns rather than unwinds (SystemExit): an
    # unwinding frame entered before attach is seen ending by no probe on
    # 3.12 (flagged unfinished, as with -p)
    if main() != 33:
        sys.exit(3)
