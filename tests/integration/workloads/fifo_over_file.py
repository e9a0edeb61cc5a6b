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


def own_user_namespace():
    """True when this process is in a user namespace of its own (the
    initial one maps every uid): the mount then hides the file only from
    this process's own mount namespace, never from the host."""
    with open("/proc/self/uid_map") as f:
        return f.read().split() != ["0", "0", "4294967295"]


def main():
    if sys.argv[1:] not in (["lib"], ["exe"]) or not own_user_namespace():
        sys.exit("usage: unshare --user --map-root-user --mount python fifo_over_file.py "
                 "lib|exe")
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
