# Workload: threads started before the start gate and parked in a C wait
# inside park(); after the gate each wakes and calls the workload's
# functions. Attached at the gate, a parked thread's first events are its
# return from the wait and calls made inline: on 3.12+ no eval-loop entry
# names its thread state first, so the tracer finds it by its thread id.
import os
import sys
import threading

N = 3
parked = threading.Semaphore(0)
go = threading.Event()


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def leaf(i):
    return i * 2


def step(i):
    return leaf(i) + leaf(i + 1)


def park():
    parked.release()
    go.wait()


def worker(k):
    park()
    total = 0
    for i in range(k + 2):
        total += step(i)
    return total


def main():
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(N)]
    for t in threads:
        t.start()
    for _ in threads:
        parked.acquire()
    if os.environ.get("FT_GATE"):
        gate()
    step(0)
    go.set()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
