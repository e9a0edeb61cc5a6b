# Workload: generators. A resume is an entry and a yield a return, so every
# next()/send()/throw()/close() shows up as a separate call of the generator.
import os
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def countdown(n):
    while n > 0:
        yield n
        n -= 1


def inner(n):
    for i in range(n):
        got = yield i
        note(got)
    return n * 10


def note(value):
    return value


def delegate(n):
    yield "start"
    result = yield from inner(n)
    yield result


def echo():
    received = []
    try:
        while True:
            try:
                x = yield len(received)
                received.append(x)
            except ValueError:
                received.append("err")
    finally:
        cleanup(received)


def cleanup(items):
    return len(items)


def squares(n):
    return sum(x * x for x in range(n))


def main():
    sum(countdown(3))
    list(delegate(2))

    d = delegate(2)
    next(d)
    next(d)
    d.send("hello")
    try:
        d.throw(KeyError("into the delegate"))
    except KeyError:
        pass

    e = echo()
    next(e)
    e.send(1)
    e.send(2)
    e.throw(ValueError)
    e.close()

    never_started = echo()
    never_started.close()

    squares(3)


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
