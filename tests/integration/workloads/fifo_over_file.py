# Hostile target for the file-opening tests: run unprivileged in a user
# and mount namespace of its own, it bind-mounts a FIFO over the file it
# maps ("lib": its libpython; "exe": its executable), as it sees it, then
# calls tick() until stdin has a line. A tracer that open()s that path
# without O_NONBLOCK waits for a writer for ever. Announces FT_SERVE_READY.
import os
import select
import subprocess
import sys
import tempfile


def tick(n):
    return n + 1


def mapped(what):
    if what == "exe":
        return os.readlink("/proc/self/exe")
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.rstrip("\n").split(None, 5)[-1]
            if "/libpython" in path:
                return path
    sys.exit("no libpython mapped")


def main():
    target = mapped(sys.argv[1])
    fifo = os.path.join(tempfile.mkdtemp(), "fifo")
    os.mkfifo(fifo)
    subprocess.run(["mount", "--bind", fifo, target], check=True)
    sys.stderr.write("FT_SERVE_READY %s\n" % target)
    sys.stderr.flush()
    n = 0
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], 0.002)
        if ready:
            break
        n = tick(n)


if __name__ == "__main__":
    main()
