# Workload: a master forks two workers, which block reading one byte each
# from stdin; the master announces "FT_GATE_READY pids W1 W2" and waits
# for them. Given its byte, a worker calls handle(), which calls respond(),
# and leaves by os._exit. The runner traces the workers alone (-p W1,W2).
import os
import sys


def respond(n):
    return "r%d" % n


def handle(n):
    return respond(n)


def wait_go():
    return os.read(0, 1)


def worker(n):
    wait_go()
    handle(n)
    os._exit(0)


def main():
    pids = []
    for n in range(2):
        pid = os.fork()
        if pid == 0:
            worker(n)
        pids.append(pid)
    sys.stderr.write("FT_GATE_READY pids %s\n" % " ".join(str(p) for p in pids))
    sys.stderr.flush()
    bad = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        bad += status != 0
    return bad


if __name__ == "__main__":
    if main():
        sys.exit(1)
