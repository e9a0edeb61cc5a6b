# Workload: a forked child frees the code (and its file name string) its
# parent still runs, and makes new code whose file name string takes the
# same address; the parent then calls its own code again. A name cache
# shared by the processes, keyed by string addresses, would name the
# parent's second call after the child's file. Exits 0 only if the child
# got the address back (else the case proves nothing).
import gc
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = "def work():\n    return 1\n\n\ndef outer():\n    return work()\n"
STORE = {}


def load(tag):
    ns = {}
    exec(compile(SRC, os.path.join(HERE, "reuse_%s.py" % tag), "exec"), ns)
    return ns


def child(fid):
    STORE.clear()
    gc.collect()
    kept = []
    for i in range(2000):
        ns = load("b%03d" % (i % 1000))
        if id(ns["work"].__code__.co_filename) == fid:
            ns["outer"]()
            os._exit(0)
        kept.append(ns)
    os._exit(7)


def main():
    STORE["a"] = load("aaaa")
    STORE["a"]["outer"]()
    fid = id(STORE["a"]["work"].__code__.co_filename)
    pid = os.fork()
    if pid == 0:
        child(fid)
    _, status = os.waitpid(pid, 0)
    STORE["a"]["outer"]()
    return status


if __name__ == "__main__":
    if main():
        sys.exit(1)
