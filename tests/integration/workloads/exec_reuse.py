# Workload: a child started by exec of the same interpreter (subprocess)
# runs code from one file, frees it (its file name string too), and makes
# new code until a file name string takes the freed address, then calls
# that. The name cache is keyed by string addresses, valid only while the
# code object lives: the code-death probe must see deaths in the exec'd
# process (which loaded the interpreter elsewhere), or the second call is
# named after the first file. The child says which file took the address
# (FT_REUSED FILE on stderr); the parent exits with the child's status.
import gc
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = "def work():\n    return 1\n\n\ndef outer():\n    return work()\n"
STORE = {}


def load(tag):
    ns = {}
    exec(compile(SRC, os.path.join(HERE, "reuse_%s.py" % tag), "exec"), ns)
    return ns


def child():
    STORE["a"] = load("aaaa")
    STORE["a"]["outer"]()
    fid = id(STORE["a"]["work"].__code__.co_filename)
    STORE.clear()
    gc.collect()
    kept = []
    for i in range(2000):
        ns = load("b%03d" % (i % 1000))
        if id(ns["work"].__code__.co_filename) == fid:
            ns["outer"]()
            sys.stderr.write("FT_REUSED %s\n" % ns["work"].__code__.co_filename)
            return 0
        kept.append(ns)
    sys.stderr.write("FT_NOT_REUSED\n")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        sys.exit(child())
    sys.exit(subprocess.run([sys.executable, os.path.abspath(__file__), "child"]).returncode)
