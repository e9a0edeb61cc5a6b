# Long-running target for the teardown tests: calls tick() about every 2 ms
# until stdin has a line (or reaches EOF). Announces FT_SERVE_READY on
# stderr once it is looping.
import os
import select
import sys


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


def tick(n):
    return n + 1


def main():
    sys.stderr.write("FT_SERVE_READY\n")
    sys.stderr.flush()
    n = 0
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], 0.002)
        if ready:
            break
        n = tick(n)


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
