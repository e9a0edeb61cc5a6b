"""Request-like calls for --trigger and --flight: serve() handles requests
one after the other; every 25th (i % 25 == 7) waits 30 ms in slow_path();
between requests busy() makes tiny calls, a high call rate.
  requests.py N            N requests (for the oracle)
  requests.py N SECONDS LOG  requests until SECONDS have passed (N is the
                           busy() count per request), then writes to LOG
                           one line per request: index, slow (0/1), start
                           and end (CLOCK_REALTIME ns)"""
import sys
import time

# time_ns is 3.7+; on 3.6 the float clock, in ns
time_ns = getattr(time, "time_ns", None) or (lambda: int(time.time() * 1e9))

SLOW_EVERY = 25
SLOW_AT = 7


def parse(i):
    return i & 7


def work(i):
    s = 0
    for k in range(4):
        s += parse(k + i)
    return s


def slow_path(i):
    time.sleep(0.03)


def handle_request(i):
    work(i)
    if i % SLOW_EVERY == SLOW_AT:
        slow_path(i)


def tick():
    return 1


def busy(n):
    for _ in range(n):
        tick()


def serve(n, seconds, log):
    end = time.monotonic() + seconds
    i = 0
    while (i < n) if not seconds else (time.monotonic() < end):
        t0 = time_ns()
        handle_request(i)
        t1 = time_ns()
        if log is not None:
            log.append((i, int(i % SLOW_EVERY == SLOW_AT), t0, t1))
        busy(n if seconds else 3)
        i += 1


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    log = [] if len(sys.argv) > 3 else None
    serve(n, seconds, log)
    if log is not None:
        with open(sys.argv[3], "w") as f:
            for rec in log:
                f.write("%d %d %d %d\n" % rec)


main()
