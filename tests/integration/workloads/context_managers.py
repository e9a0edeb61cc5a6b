# Workload: a context manager class and a @contextlib.contextmanager one,
# with and without an exception passing through.
import contextlib
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


class Resource:
    def __init__(self, name):
        self.name = name
        self.opened = False

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False

    def open(self):
        self.opened = True

    def close(self):
        self.opened = False

    def use(self):
        return self.name


def prepare(tag):
    return tag


def release(tag):
    return tag


@contextlib.contextmanager
def managed(tag):
    prepare(tag)
    try:
        yield tag
    finally:
        release(tag)


def work():
    return 42


def main():
    with Resource("a") as r:
        r.use()
    with managed("b"):
        work()
    try:
        with managed("c"):
            raise ValueError("through the manager")
    except ValueError:
        pass
    with Resource("d"), managed("e"):
        work()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
