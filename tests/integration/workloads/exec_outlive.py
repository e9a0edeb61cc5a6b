# Workload: the master starts two children by exec of its own interpreter
# (subprocess), which keep calling for a while (2 s), each checking its own
# arithmetic at the end, and announces FT_CHILDREN_UP once both run; it
# exits 0 only if both children exit 0. The runner SIGKILLs the tracer
# (--follow) while the children run: they must go on unharmed. With
# "other PATH", the children run that interpreter (another CPython, which
# --follow traces by a probe set of its own, made while they run) for 8 s.
import os
import subprocess
import sys
import time


def gate():
    # -p tests: announce that we are blocked, then wait for the runner.
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def step(i):
    return i % 7


def child(seconds):
    sys.stdout.write("up\n")
    sys.stdout.flush()
    end = time.monotonic() + seconds
    total = count = 0
    while time.monotonic() < end:
        for i in range(100):
            total += step(i)
            count += 1
    # every 100 calls of step add the same sum
    return total == count // 100 * sum(i % 7 for i in range(100))


def main(exe):
    kids = [subprocess.Popen([exe, os.path.abspath(__file__), "child"],
                             stdout=subprocess.PIPE) for _ in range(2)]
    for k in kids:
        k.stdout.readline()
    sys.stderr.write("FT_CHILDREN_UP\n")
    sys.stderr.flush()
    bad = 0
    for k in kids:
        k.stdout.read()
        if k.wait():
            sys.stderr.write("child %d: status %s\n" % (k.pid, k.returncode))
            bad += 1
    return bad


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        sys.exit(0 if child(float(os.environ.get("FT_CHILD_SECONDS", "2"))) else 3)
    other = len(sys.argv) > 2 and sys.argv[1] == "other"
    if other:
        os.environ["FT_CHILD_SECONDS"] = "8"
    if os.environ.get("FT_GATE"):
        gate()
    sys.exit(1 if main(sys.argv[2] if other else sys.executable) else 0)
