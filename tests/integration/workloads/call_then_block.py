# Workload for the ring's wake-up guarantee: after the start gate, the main
# thread and a second thread each make one short call, then block in a C
# wait (no Python call, so no further record) until a second line arrives
# on stdin. The records of those calls are a few dozen bytes, far below the
# amount that wakes the tracer's reader: only its periodic drain can show
# them while the target blocks.
import os
import sys
import threading

released = threading.Event()


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def main_marked_call():
    return 1


def thread_marked_call():
    return 2


def worker():
    thread_marked_call()
    released.wait()


def main():
    t = threading.Thread(target=worker)
    t.start()
    main_marked_call()
    sys.stderr.write("FT_CALLS_DONE\n")
    sys.stderr.flush()
    sys.stdin.readline()  # blocks in C until the test has seen both calls
    released.set()
    t.join()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
