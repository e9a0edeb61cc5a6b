# Workload: a multiprocessing Pool of two workers mapping work() over six
# items, with the start method given as the first argument (fork, spawn,
# forkserver, or default). close() and join(): the workers leave by os._exit after their
# task loop ends, none is killed. Which worker runs which item is up to the
# scheduler: compare the workers' calls together, not worker by worker.
import multiprocessing
import os
import sys


def gate():
    # -p tests: announce that we are blocked, then wait for the runner.
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def leaf(i):
    return i + 1


def work(x):
    return leaf(x) * 2


def main(method):
    # "default": the version's own (3.14 on Linux: forkserver)
    ctx = multiprocessing.get_context(None if method == "default" else method)
    pool = ctx.Pool(2)
    try:
        out = pool.map(work, range(6))
    finally:
        pool.close()
        pool.join()
    return out


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main(sys.argv[1] if len(sys.argv) > 1 else "fork")
