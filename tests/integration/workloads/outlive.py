# Workload: the master forks two workers that keep calling for a while
# (2 s), each checking its own arithmetic at the end, and announces
# FT_CHILDREN_UP once both run; it exits 0 only if both workers exit 0.
# The runner SIGKILLs the tracer (--follow) while the workers run: they
# must go on unharmed (no stray breakpoint, no signal, not stopped).
import os
import sys
import time


def gate():
    # -p tests: announce that we are blocked, then wait for the runner.
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def step(i):
    return i % 7


def worker(seconds):
    end = time.monotonic() + seconds
    total = count = 0
    while time.monotonic() < end:
        for i in range(100):
            total += step(i)
            count += 1
    # every 100 calls of step add the same sum
    ok = total == count // 100 * sum(i % 7 for i in range(100))
    os._exit(0 if ok else 3)


def main():
    r, w = os.pipe()
    pids = []
    for _ in range(2):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.write(w, b"x")
            worker(2.0)
        pids.append(pid)
    os.close(w)
    got = b""
    while len(got) < 2:
        got += os.read(r, 2)
    sys.stderr.write("FT_CHILDREN_UP\n")
    sys.stderr.flush()
    bad = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if status:
            sys.stderr.write("worker %d: wait status %#x\n" % (pid, status))
            bad += 1
    return bad


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    sys.exit(1 if main() else 0)
