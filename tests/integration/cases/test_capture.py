"""Capture windows on a long-running target (workloads/requests.py):
--trigger with --min-duration keeps exactly the slow requests, shaped as
the oracle's, with their callers as context; --flight 5 with SIGUSR1 sent
twice writes two files holding the calls the workload logged inside those
windows. Both read the tracer's VmHWM while it runs and check it stays
below a bound that keeping every call (or every record) would exceed: a
memory bound is a correctness property here, not a timing."""

import datetime
import functools
import os
import re
import signal
import stat
import time

from ftlib import interps, trees
from ftlib.flows import command, launch
from ftlib.harness import (Fail, Skip, cfg, expect_rc, expect_trees, need_py39, oracle,
                           parse_json, start_tool, tool, tool_threads, wait_ready, workload)
from ftlib.registry import add, case

SLOW_MS = 20  # --min-duration; slow_path() sleeps 30 ms, other requests take microseconds
NODE_BYTES = 64  # sizeof(struct ft_node): what keeping a call costs at the least
RECORD_BYTES = 32  # an ENTRY or RETURN record


def hwm_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_watching_memory(tracer, timeout, signals=()):
    """Waits for tracer, reading its VmHWM every 0.2 s (the last reading
    before it exits is the peak of its whole run but the final render);
    sends each (delay, signal) of signals that many seconds after the ready
    line. Returns the peak in kB."""
    wait_ready(tracer)
    start = time.monotonic()
    pending = sorted(signals)
    peak = 0
    while tracer.alive():
        if time.monotonic() - start > timeout:
            tracer.kill()
            raise Fail("flowtrace-bpf did not finish within %ss\n%s"
                       % (timeout, tracer.stderr_tail()))
        if pending and time.monotonic() - start >= pending[0][0]:
            tracer.signal(pending.pop(0)[1])
        h = hwm_kb(tracer.pid)
        if h:
            peak = max(peak, h)
        time.sleep(0.2)
    tracer.wait(30)
    if pending:
        raise Fail("the trace ended before every SIGUSR1 was sent:\n%s" % tracer.stderr_tail())
    return peak


def read_log(path):
    out = []
    with open(path) as f:
        for line in f:
            i, slow, t0, t1 = (int(x) for x in line.split())
            out.append((i, slow, t0, t1))
    if not out:
        raise Fail("the workload logged no request")
    return out


def slow_handlers(nodes):
    """handle_request calls of a forest that called slow_path."""
    return [n for n, _ in trees.walk(nodes) if n.func == "handle_request"
            and any(c.func == "slow_path" for c in n.children)]


def pyenv_312():
    builds = interps._pyenv_builds(interps.pyenv_root(), 3, 12)
    if not builds:
        raise Skip("no pyenv CPython 3.12 here")
    return builds[-1][1]


@case("capture --trigger 'handle_*' --min-duration: exactly the slow requests, as the oracle's")
def trigger_oracle():
    trigger_vs_oracle(need_py39(), False)


@case("capture --trigger on CPython 3.12 (frame method): the slow requests, as the oracle's")
def trigger_oracle_312():
    # what auto picks there, named so the generic meta check expects it
    trigger_vs_oracle(pyenv_312(), True, ["--method", "frame"])


def trigger_vs_oracle(py, uprobes, method=()):
    path = workload("requests")
    tr = launch(list(method) + ["--trigger", "handle_*", "--min-duration", "%dms" % SLOW_MS],
                command(py, path, 60))
    want_threads = oracle(path, interp=py, uprobes=uprobes)
    # the oracle's slow requests, under their callers flagged as context
    main = [t for t in want_threads if t.calls][0]
    mod = trees.find_first(main.calls, lambda n: n.func == "<module>")
    mainfn = [c for c in mod.children if c.func == "main"][0]
    serve = [c for c in mainfn.children if c.func == "serve"][0]
    slow = [c for c in serve.children if c.func == "handle_request"
            and any(k.func == "slow_path" for k in c.children)]
    if len(slow) != 60 // 25 + (1 if 60 % 25 > 7 else 0):
        raise Fail("test bug: the oracle has %d slow requests" % len(slow))

    def ctx(n, children):
        c = n.copy(children)
        c.flags = frozenset(["context"])
        return c
    want = [trees.Thread(main.tid, None,
                         [ctx(mod, [ctx(mainfn, [ctx(serve, slow)])])])]
    got = tr.threads
    # a request that is not slow but lasted SLOW_MS on a busy machine is
    # kept by the rule: allowed, if it really lasted that long
    for t in got:
        for n, _ in trees.walk(t.calls):
            if n.func == "serve":
                extra = [c for c in n.children if c.func == "handle_request"
                         and not any(k.func == "slow_path" for k in c.children)]
                for c in extra:
                    if c.dur_ns < SLOW_MS * 1000000:
                        raise Fail("kept %s lasting %d ns, under --min-duration"
                                   % (c.label(), c.dur_ns))
                n.children = [c for c in n.children if c not in extra]
    expect_trees(want, got, "the oracle's slow handle_request calls under context callers")
    m = tr.meta.get("trigger")
    if not m or m["kept"] < len(slow) or m["kept"] + m["dropped"] != 60:
        raise Fail("meta.trigger: expected %d kept of 60 requests, got %r" % (len(slow), m))


@case("capture --trigger on a 25 s target: the slow requests, in flat memory")
def trigger_long():
    py = need_py39()
    log = os.path.join(cfg.tmp, "trigger-requests.log")
    out = os.path.join(cfg.tmp, "trigger-long.json")
    tracer = start_tool(["-f", "json", "-o", out, "--trigger", "handle_*", "--min-duration",
                         "%dms" % SLOW_MS, "-c", command(py, workload("requests"), 300, 25,
                                                         log)])
    peak = run_watching_memory(tracer, 240)
    expect_rc(tracer_result(tracer), 0)
    with open(out, "rb") as f:
        doc = parse_json(f.read())
    threads = tool_threads(doc)
    reqs = read_log(log)
    nslow = sum(1 for r in reqs if r[1])
    kept = [n for t in threads for n, _ in trees.walk(t.calls) if n.func == "handle_request"]
    got_slow = slow_handlers([n for t in threads for n in t.calls])
    if len(got_slow) != nslow:
        raise Fail("%d slow requests kept, the workload made %d" % (len(got_slow), nslow))
    # others kept only if they lasted that long: at most the requests the
    # workload saw last that long (its clock wraps the call)
    long_other = sum(1 for r in reqs if not r[1] and r[3] - r[2] >= SLOW_MS * 1000000)
    if len(kept) - nslow > long_other:
        raise Fail("%d fast requests kept; only %d lasted %d ms"
                   % (len(kept) - nslow, long_other, SLOW_MS))
    m = doc["meta"]
    if m["trigger"]["kept"] + m["trigger"]["dropped"] != len(reqs):
        raise Fail("meta.trigger %r, the workload made %d requests" % (m["trigger"], len(reqs)))
    check_memory(peak, m["calls"] * NODE_BYTES, "every call as a node")


def tracer_result(tracer):
    class R:
        pass
    r = R()
    r.rc = tracer.rc
    r.context = lambda: "command: %s\n%s" % (tracer.describe(), tracer.stderr_tail())
    return r


def check_memory(peak_kb, keep_all_bytes, what):
    bound = 64 << 20
    if keep_all_bytes < 2 * bound:
        raise Fail("test bug: keeping %s would take only %d MB, too little to tell"
                   % (what, keep_all_bytes >> 20))
    if peak_kb * 1024 > bound:
        raise Fail("the tracer's VmHWM reached %d MB, over the %d MB bound (keeping %s: "
                   "%d MB)" % (peak_kb >> 10, bound >> 20, what, keep_all_bytes >> 20))


def wall_ns(iso):
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{9})Z$", iso)
    if not m:
        raise Fail("start_wall %r is not RFC 3339 with nanoseconds" % iso)
    y, mo, d, h, mi, s, ns = (int(x) for x in m.groups())
    secs = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone.utc).timestamp()
    return int(secs) * 1000000000 + ns


def check_window(path, reqs, seconds, running):
    """The window file at path (jsonl) against the workload's log: every
    request inside the window is there, none outside it, each call within
    the window's time. Only the lines of the functions counted are parsed:
    a window holds a million calls."""
    with open(path, "rb") as f:
        raw = f.read().splitlines()
    if not raw:
        raise Fail("%s is empty" % path)
    meta = parse_json(raw[-1])
    if meta.get("type") != "meta":
        raise Fail("%s: the last line is not the meta line" % path)
    w = meta.get("window")
    if not w or abs(w["seconds"] - seconds) > 1e-9:
        raise Fail("%s: meta.window %r, expected seconds %s" % (path, w, seconds))
    length = w["end_ns"] - w["start_ns"]
    if w["shortened"] != (length < seconds * 1e9 - 1) or length > seconds * 1e9:
        raise Fail("%s: window %r: its length %d ns and shortened disagree" % (path, w, length))
    if meta["lost"]:
        raise Fail("%s: %d records lost" % (path, meta["lost"]))
    ws = wall_ns(meta["start_wall"])
    we = ws + length
    delta = 2000000  # the two clocks are read at slightly different moments
    for want_slow, func in ((False, "handle_request"), (True, "slow_path")):
        needle = b'"func":"%s"' % func.encode()
        got = [parse_json(l) for l in raw if needle in l]
        rs = [r for r in reqs if r[1] or not want_slow]
        must = sum(1 for r in rs if r[2] >= ws + delta and r[3] <= we - delta)
        may = sum(1 for r in rs if r[3] >= ws - delta and r[2] <= we + delta)
        whole = [n for n in got if not n.get("entered_before_attach") and not n.get("unfinished")]
        if not must <= len(whole) <= len(got) <= may:
            raise Fail("%s: %d %s calls (%d whole); the workload made %d inside the window "
                       "and %d touching it" % (path, len(got), func, len(whole), must, may))
        for n in got:
            if n["start_ns"] + n["dur_ns"] > length + delta:
                raise Fail("%s: %r ends after the window" % (path, n))
            if n.get("entered_before_attach") and n["start_ns"] != 0:
                raise Fail("%s: %r entered before the window but does not start at 0"
                           % (path, n))
    if running:
        # serve() ran across the whole window: entered before it, unfinished
        # at its end, at the depth it has in the program, the requests below
        serve = [parse_json(l) for l in raw if b'"func":"serve"' in l]
        if len(serve) != 1 or serve[0]["depth"] != 2 or serve[0]["start_ns"] != 0 \
                or serve[0]["dur_ns"] != length \
                or not serve[0].get("entered_before_attach") or not serve[0].get("unfinished"):
            raise Fail("%s: expected one serve() entered before the window and unfinished at "
                       "its end, lasting %d ns, got %r" % (path, length, serve))
    return w


@case("capture --flight 5 on a 25 s target: two SIGUSR1 files and the exit's window")
def flight_long():
    py = need_py39()
    log = os.path.join(cfg.tmp, "flight-requests.log")
    d = os.path.join(cfg.tmp, "flight")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "trace.jsonl")
    # 16M holds half a million records, less than 5 s of this workload: the
    # windows come out shortened, and say so
    tracer = start_tool(["-f", "jsonl", "-o", out, "--flight", "5", "--flight-size", "16M", "-c",
                         command(py, workload("requests"), 300, 25, log)])
    peak = run_watching_memory(tracer, 240, [(8, signal.SIGUSR1), (16, signal.SIGUSR1)])
    expect_rc(tracer_result(tracer), 0)
    reqs = read_log(log)
    dumps = sorted(f for f in os.listdir(d) if f != "trace.jsonl")
    named = [f for f in dumps if re.match(r"trace\.\d{8}T\d{6}\.\d{3}Z\.jsonl$", f)]
    if len(named) != 2 or named != dumps:
        raise Fail("expected two files trace.STAMP.jsonl beside trace.jsonl, got %s" % dumps)
    said = [l for l in tracer.stderr_lines() if "flight: wrote" in l]
    if len(said) != 2:
        raise Fail("expected two 'flight: wrote' lines:\n%s" % tracer.stderr_tail())
    for f in named + ["trace.jsonl"]:
        p = os.path.join(d, f)
        mode = stat.S_IMODE(os.lstat(p).st_mode)
        if mode != 0o600:
            raise Fail("%s has mode %o, expected 600" % (p, mode))
        w = check_window(p, reqs, 5, running=f != "trace.jsonl")
        if not w["shortened"]:
            raise Fail("%s: 5 s of this workload need more than --flight-size 16M, yet the "
                       "window %r is not shortened" % (p, w))
    # a ring keeping every record of the run would hold this much: each
    # request makes handle_request, work, 4 parse, busy and 300 tick calls
    total_records = 2 * len(reqs) * (300 + 7)
    check_memory(peak, total_records * RECORD_BYTES, "every record")


@case("capture --trigger with every format: the slow requests and nothing else")
def trigger_formats():
    py = need_py39()
    path = workload("requests")
    nslow = sum(1 for i in range(60) if i % 25 == 7)
    args = ["--trigger", "handle_*", "--min-duration", "%dms" % SLOW_MS, "-c",
            command(py, path, 60)]
    # how each format shows one call of slow_path (calls, not a summary)
    per_call = {
        "tree": lambda out: out.count(b"slow_path();"),
        "jsonl": lambda out: out.count(b'"func":"slow_path"'),
        "chrome": lambda out: out.count(b'"func":"slow_path"'),
    }
    for fmt in ("tree", "jsonl", "chrome", "plantuml", "folded", "dot", "html"):
        res = tool(["-f", fmt] + args)
        expect_rc(res, 0, "flowtrace-bpf -f %s --trigger" % fmt)
        # plantuml escapes the underscore
        out = res.stdout.replace(b"&#95;", b"_")
        if b"handle_request" not in out or b"slow_path" not in out:
            raise Fail("-f %s: no slow_path or handle_request in the output:\n%r"
                       % (fmt, out[:400]))
        # html's page has the words in its code; its data has names quoted
        if re.search(rb'"busy"|"tick"' if fmt == "html" else rb"\bbusy\b|\btick\b", out):
            raise Fail("-f %s: calls outside any trigger call are in the output" % fmt)
        if fmt in per_call:
            got = per_call[fmt](out)
            # a fast request that lasted SLOW_MS on a busy machine adds none
            if got != nslow:
                raise Fail("-f %s: %d slow_path calls, the workload made %d"
                           % (fmt, got, nslow))


@case("capture --flight 4 --trigger on a 12 s target: windows of slow requests only")
def flight_trigger():
    py = need_py39()
    log = os.path.join(cfg.tmp, "flight-trigger.log")
    d = os.path.join(cfg.tmp, "flight-trigger")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "w.jsonl")
    tracer = start_tool(["-f", "jsonl", "-o", out, "--flight", "4", "--trigger", "handle_*",
                         "--min-duration", "%dms" % SLOW_MS, "-c",
                         command(py, workload("requests"), 300, 12, log)])
    run_watching_memory(tracer, 180, [(7, signal.SIGUSR1)])
    expect_rc(tracer_result(tracer), 0)
    reqs = read_log(log)
    files = sorted(os.listdir(d))
    if len(files) != 2:
        raise Fail("expected w.jsonl and one window file, got %s" % files)
    for f in files:
        p = os.path.join(d, f)
        with open(p, "rb") as fh:
            raw = fh.read().splitlines()
        meta = parse_json(raw[-1])
        w = meta["window"]
        length = w["end_ns"] - w["start_ns"]
        ws = wall_ns(meta["start_wall"])
        we = ws + length
        delta = 2000000
        slow = [r for r in reqs if r[1]]
        must = sum(1 for r in slow if r[2] >= ws + delta and r[3] <= we - delta)
        may = sum(1 for r in slow if r[3] >= ws - delta and r[2] <= we + delta)
        got = [parse_json(l) for l in raw if b'"func":"slow_path"' in l]
        if not must <= len(got) <= may:
            raise Fail("%s: %d slow_path calls; the workload made %d inside the window and "
                       "%d touching it" % (p, len(got), must, may))
        serve = [parse_json(l) for l in raw if b'"func":"serve"' in l]
        if len(serve) != 1 or not serve[0].get("context") \
                or not serve[0].get("entered_before_attach"):
            raise Fail("%s: expected serve() as context entered before the window, got %r"
                       % (p, serve))
        if any(b'"func":"busy"' in l or b'"func":"tick"' in l for l in raw):
            raise Fail("%s: calls outside any trigger call are in the window" % p)


# ------------------------------------------------ with --follow

POOL_N = 30  # requests; pool_requests.py makes every fifth slow (30 ms)


def pool_log(path):
    """{worker PID: [(request, slow)]} as the workers logged them."""
    per = {}
    with open(path) as f:
        for line in f:
            pid, i, slow = (int(x) for x in line.split())
            per.setdefault(pid, []).append((i, slow))
    if sum(len(v) for v in per.values()) != POOL_N or len(per) < 2:
        raise Fail("test bug: the pool's workers logged %r" % per)
    return per


def pool_interp(name):
    return need_py39() if name == "dtrace-3.9" else pyenv_312()


def follow_trigger(name):
    """-F --trigger on a fork pool: each worker's slow requests, from the
    workers' own log, and no fast one unless it really lasted that long."""
    py = pool_interp(name)
    log = os.path.join(cfg.tmp, "pool-trigger-%s.log" % name)
    if os.path.exists(log):
        os.unlink(log)
    # 3.12: what auto picks there, named so the generic meta check expects it
    method = ["--method", "frame"] if name == "pyenv-3.12" else []
    tr = launch(method + ["-F", "--trigger", "handle_request", "--min-duration",
                          "%dms" % SLOW_MS], command(py, workload("pool_requests"), POOL_N, log))
    per = pool_log(log)
    got = {}
    for raw, t in zip(tr.doc["threads"], tr.threads):
        for n, _ in trees.walk(t.calls):
            if n.func != "handle_request" or "context" in n.flags:
                continue
            slow = any(c.func == "slow_path" for c in n.children)
            if not slow and n.dur_ns < SLOW_MS * 1000000:
                raise Fail("kept a fast handle_request of PID %s lasting %d ns, under "
                           "--min-duration" % (raw.get("pid"), n.dur_ns))
            if slow:
                got[raw.get("pid")] = got.get(raw.get("pid"), 0) + 1
    want = {pid: sum(s for _, s in reqs) for pid, reqs in per.items()}
    want = {k: v for k, v in want.items() if v}
    if got != want:
        raise Fail("slow requests per worker PID: traced %r, the workers logged %r"
                   % (got, want))
    return "slow requests per worker %s" % sorted(want.values())


def follow_flight(name):
    """-F --flight: the window written at exit holds every worker's
    requests (the run is shorter than the window), as the workers logged
    them, each on its worker's thread."""
    py = pool_interp(name)
    log = os.path.join(cfg.tmp, "pool-flight-%s.log" % name)
    out = os.path.join(cfg.tmp, "pool-flight-%s.jsonl" % name)
    for f in (log, out):
        if os.path.exists(f):
            os.unlink(f)
    res = tool(["-F", "--flight", "60", "-f", "jsonl", "-o", out, "-c",
                command(py, workload("pool_requests"), POOL_N, log)])
    expect_rc(res, 0)
    per = pool_log(log)
    with open(out, "rb") as f:
        lines = [parse_json(l) for l in f.read().splitlines()]
    meta = lines[-1]
    if meta.get("type") != "meta" or meta.get("follow") is not True or meta.get("lost"):
        raise Fail("expected a closing meta line with follow true and nothing lost, got %r"
                   % meta)
    got = {}
    for r in lines:
        if r.get("type") == "call" and r.get("func") == "handle_request":
            got[r["tid"]] = got.get(r["tid"], 0) + 1
    # a pool worker is one thread: its tid is its PID
    want = {pid: len(reqs) for pid, reqs in per.items()}
    if got != want:
        raise Fail("handle_request calls per worker in the exit's window: %r, the workers "
                   "logged %r" % (got, want))
    return "requests per worker %s" % sorted(want.values())


for _name in ("dtrace-3.9", "pyenv-3.12"):
    add("capture -F --trigger on a fork pool (%s): each worker's slow requests, as they "
        "logged them" % _name, functools.partial(follow_trigger, _name))
    add("capture -F --flight on a fork pool (%s): the exit's window holds each worker's "
        "requests" % _name, functools.partial(follow_flight, _name))
