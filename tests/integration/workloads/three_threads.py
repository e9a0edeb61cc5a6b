# Workload: three threads with distinct call trees, started together and
# joined. Each thread's tree is deterministic on its own.
import os
import sys
import threading


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def alpha_leaf(i):
    return i * 2


def alpha(n):
    return [alpha_leaf(i) for i in range(n)]


def beta_inner(depth):
    if depth == 0:
        return 0
    return beta_inner(depth - 1) + 1


def beta():
    beta_inner(3)
    beta_inner(1)


def gamma_step(x):
    return gamma_twice(x) + 1


def gamma_twice(x):
    return x * 2


def gamma():
    total = 0
    for i in range(4):
        total += gamma_step(i)
    return total


def main():
    workers = [
        threading.Thread(target=alpha, args=(5,), name="alpha"),
        threading.Thread(target=beta, name="beta"),
        threading.Thread(target=gamma, name="gamma"),
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
