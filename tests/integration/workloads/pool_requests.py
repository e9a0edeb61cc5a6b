"""Requests served by a fork pool, for --trigger and --flight with --follow:
the master maps N requests over two forked workers; every fifth (i % 5 == 2)
waits 30 ms in slow_path(). Each worker appends to LOG one line per request
it handled: its PID, the request's index and whether it was slow.
  pool_requests.py [N [LOG]]   (10 requests, no log by default)"""
import multiprocessing
import os
import sys
import time

SLOW_EVERY = 5
SLOW_AT = 2


def parse(i):
    return i & 7


def slow_path(i):
    time.sleep(0.03)


def handle_request(i):
    parse(i)
    slow = i % SLOW_EVERY == SLOW_AT
    if slow:
        slow_path(i)
    with open(LOG, "a") as f:
        f.write("%d %d %d\n" % (os.getpid(), i, slow))
    return i


def main(n):
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(handle_request, range(n), chunksize=1)


if __name__ == "__main__":
    LOG = sys.argv[2] if len(sys.argv) > 2 else os.devnull
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
