# Attach target for the first view: a server loop that, once looping,
# writes the frames it runs in (traceback.extract_stack, outermost first,
# "function file" per line) to the file given, then announces
# FT_SERVE_READY on stderr, and handles a request about every 2 ms until
# stdin has a line (or reaches EOF).
import select
import sys
import traceback


def handle(n):
    return n + 1


def write_stack(path):
    frames = traceback.extract_stack()[:-1]  # not write_stack itself
    with open(path, "w") as f:
        for fr in frames:
            f.write("%s %s\n" % (fr.name, fr.filename))


def serve(path):
    n = 0
    while True:
        if n == 10:
            write_stack(path)
            sys.stderr.write("FT_SERVE_READY\n")
            sys.stderr.flush()
        ready, _, _ = select.select([sys.stdin], [], [], 0.002)
        if ready:
            break
        n = handle(n)


def main(path):
    serve(path)


if __name__ == "__main__":
    main(sys.argv[1])
