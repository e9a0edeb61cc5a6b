# Target for repeated attaches (-p): calls flat out, forever, so probes go
# in while calls are running. "flat": f() in a loop, every f at one level;
# "pair": a() in a loop, each a() calling leaf() twice. Announces
# FT_SERVE_READY on stderr once it is looping; ends when killed.
import sys


def f():
    pass


def leaf():
    pass


def a():
    leaf()
    leaf()


def flat():
    while True:
        f()


def pair():
    while True:
        a()


def main():
    loop = flat if sys.argv[1:] == ["flat"] else pair
    sys.stderr.write("FT_SERVE_READY\n")
    sys.stderr.flush()
    loop()


if __name__ == "__main__":
    main()
