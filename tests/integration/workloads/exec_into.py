# Workload: a few calls, then os.execve() of the program given as its
# arguments, from inside go() (run bare, it only calls). The traced process
# becomes that program: go() and <module> never return. With --thread first,
# go() runs in a second thread, which the kernel makes the main one at the
# exec. FT_GATE is not passed on, so a gated run's new program does not wait
# at a gate of its own.
import os
import sys
import threading


def gate():
    # -p tests: announce that we are blocked, then wait for the runner.
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def f(n):
    return n + 1


def before():
    f(1)
    f(2)


def go(argv):
    before()
    if not argv:  # run bare (the portability check): nothing to exec
        return
    env = dict(os.environ)
    env.pop("FT_GATE", None)
    os.execve(argv[0], argv, env)


def in_thread(argv):
    t = threading.Thread(target=go, args=(argv,))
    t.start()
    t.join()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    if sys.argv[1:2] == ["--thread"]:
        in_thread(sys.argv[2:])
    else:
        go(sys.argv[1:])
