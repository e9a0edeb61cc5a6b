# Workload: a pre-fork server in miniature. After the gate (so after any
# attach) the master forks three workers one after the other; each handles
# two "requests" and leaves by os._exit; the master reaps them. Traced
# from the master with -p --follow, every worker's calls must show.
import os
import sys


def gate():
    # -p tests: announce that we are blocked, then wait for the runner.
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def respond(req):
    return "r%d" % req


def handle(req):
    return respond(req)


def worker(n):
    handle(n)
    handle(n + 10)
    os._exit(0)


def serve():
    pids = []
    for n in range(3):
        pid = os.fork()
        if pid == 0:
            worker(n)
        pids.append(pid)
    bad = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        bad += status != 0
    return bad


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    # a clean run ends <module> by returning: a frame from before attach
    # that an exception unwinds is not seen leaving (docs/compatibility.md)
    if serve():
        sys.exit(1)
