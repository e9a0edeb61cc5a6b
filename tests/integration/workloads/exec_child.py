# Workload: the parent starts a child that execs, the way argv[1] says
# (python when not given):
#   python  subprocess.run([sys.executable, exec_leaf.py])
#   sh      through sh -c, which forks the Python (more commands follow)
#   true    a program that is no Python (true)
#   other   another Python (argv[2]) running exec_leaf.py, argv[3] times
#           one after the other (once when not given)
# then calls after() itself; exit 0 only when the child did.
import os
import subprocess
import sys

LEAF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exec_leaf.py")


def gate():
    # -p tests: announce that we are blocked, then wait for the runner.
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def after():
    return 1


def start(how, other, times):
    if how == "python":
        argv = [sys.executable, LEAF]
    elif how == "sh":
        argv = ["sh", "-c", '"$0" "$1"; status=$?; true; exit $status', sys.executable, LEAF]
    elif how == "true":
        argv = ["true"]
    else:
        return max(subprocess.run([other, LEAF]).returncode for _ in range(int(times)))
    return subprocess.run(argv).returncode


def main(how, other=None, times=1):
    rc = start(how, other, times)
    after()
    return rc


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    sys.exit(main(*(sys.argv[1:] or ["python"])))
