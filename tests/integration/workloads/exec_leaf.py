# Workload: the program a child execs (exec_child.py): a few calls, its
# result checked, exit 0 only when right.
import sys


def leaf(i):
    return i * 3


def branch(n):
    return sum(leaf(i) for i in range(n))


def main():
    return branch(4) + leaf(5)


if __name__ == "__main__":
    sys.exit(0 if main() == 33 else 3)
