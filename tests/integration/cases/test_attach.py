"""Attaching to a process that is calling flat out (issue 14, defect 2):
the probes go in one after another, so nothing may be emitted before the
last one is in. Each of many short attaches must give the exact shape:
every f() of a flat loop at one level; every a() of an a(){leaf();leaf()}
loop with both leaves, except the first one, running when tracing started
(flagged entered_before_attach), and the last one, still running when it
stopped (flagged unfinished). The expected shape is a fact of the
workload (tests/integration/workloads/attach_loop.py), not a recording.

Always with --method: which method a marker Python gets by default is
another question. Both link kinds: the default (uprobe_multi where the
kernel has it) and FLOWTRACE_NO_UPROBE_MULTI=1 (a perf-event link per
uprobe, attached one by one). The USDT method takes perf-event links
either way (libbpf's USDT attach), so it runs once."""

import os
import signal
import subprocess

from ftlib import interps
from ftlib.harness import (Fail, Proc, Skip, cfg, child_env, need_py39, parse_json, tool,
                           tool_threads, workload)
from ftlib.registry import add

ATTACHES = 20
DURATION = "0.15"  # seconds per attach: a few thousand calls
EBA = "entered_before_attach"
UNF = "unfinished"
OUTER = ("<module>", "main", "flat", "pair")  # running before attach, never returning


def _flags_ok(n, first, last, what):
    """Flags a call may carry: entered_before_attach only on the first,
    unfinished only on the last of its kind."""
    allowed = set()
    if first:
        allowed.add(EBA)
    if last:
        allowed.add(UNF)
    extra = n.flags - allowed
    if extra:
        return "%s %s carries %s" % (what, n.label(), sorted(extra))
    return None


def _loop_calls(threads, pid, want_func):
    """The calls named want_func in the target's main thread, in call
    order, with their parents' names; or a message."""
    main = [t for t in threads if t.tid == pid]
    if len(main) != 1:
        return None, "expected the target's main thread %d, got threads %s" % (
            pid, [t.tid for t in threads])
    out = []

    def visit(nodes, parent):
        for n in nodes:
            if n.lost is not None:
                return "a lost-records marker %s" % n.label()
            if n.func in OUTER:
                if n.flags - {EBA, UNF} or EBA not in n.flags:
                    return "%s must be flagged entered_before_attach only, got %s" % (
                        n.func, sorted(n.flags))
            elif n.func == want_func:
                if parent not in (None, "main", "pair", "flat"):
                    return "%s nested under %s" % (n.label(), parent)
                out.append(n)
                continue
            elif n.func != "leaf":
                return "unexpected call %s" % n.label()
            else:
                return "leaf() outside a(): %s under %s" % (n.label(), parent)
            msg = visit(n.children, n.func)
            if msg:
                return msg
        return None

    msg = visit(main[0].calls, None)
    return out, msg


def check_flat(threads, pid):
    fs, msg = _loop_calls(threads, pid, "f")
    if msg:
        return msg
    for i, n in enumerate(fs):
        if n.children:
            return "f() #%d %s has calls under it: %s" % (
                i, sorted(n.flags), [c.label() for c in n.children][:4])
    if len(fs) < 10:
        return "only %d f() calls" % len(fs)
    for i, n in enumerate(fs):
        msg = _flags_ok(n, i == 0, i == len(fs) - 1, "f() #%d" % i)
        if msg:
            return msg
    return None


def check_pair(threads, pid):
    As, msg = _loop_calls(threads, pid, "a")
    if msg:
        return msg
    if len(As) < 5:
        return "only %d a() calls" % len(As)
    for i, n in enumerate(As):
        first, last = i == 0, i == len(As) - 1
        msg = _flags_ok(n, first, last, "a() #%d" % i)
        if msg:
            return msg
        leaves = n.children
        for k, c in enumerate(leaves):
            if c.func != "leaf" or c.children:
                return "a() #%d has %s under it" % (i, c.label())
            # the first leaf of an a() entered before attach may have been
            # running too; the last of an unfinished one may still run
            msg = _flags_ok(c, k == 0 and EBA in n.flags,
                            k == len(leaves) - 1 and UNF in n.flags,
                            "leaf() #%d of a() #%d" % (k, i))
            if msg:
                return msg
        partial = (EBA in n.flags) or (UNF in n.flags)
        if len(leaves) > 2 or (len(leaves) < 2 and not partial):
            return "a() #%d%s has %d leaf() calls, expected 2" % (
                i, "" if not n.flags else " %s" % sorted(n.flags), len(leaves))
    return None


def attach_many(py, method, shape, env_extra=None, probe=None):
    target = Proc([py, workload("attach_loop"), shape])
    if not target.wait_stderr("FT_SERVE_READY", 30):
        target.kill()
        raise Fail("attach_loop did not start: %s\n%s" % (target.describe(),
                                                          target.stderr_tail()))
    check = check_flat if shape == "flat" else check_pair
    env = child_env(env_extra)
    bad = []
    try:
        for i in range(ATTACHES):
            res = tool(["-f", "json", "--method", method, "--include", "*/workloads/*",
                        "-d", DURATION, "-p", str(target.pid)], env=env, timeout=120)
            if res.rc != 0:
                raise Fail("attach %d: exit status %s\n  %s" % (i, res.rc, res.context()))
            doc = parse_json(res.stdout, res)
            meta = doc["meta"]
            if probe and meta["probe"] not in probe:
                raise Fail("meta.probe: expected one of %s, got %r" % (probe, meta["probe"]))
            msg = None
            if meta["lost"] != 0 or any(meta["drops"].values()):
                msg = "lost %r, drops %r" % (meta["lost"], meta["drops"])
            msg = msg or check(tool_threads(doc), target.pid)
            if msg:
                bad.append("attach %d: %s" % (i, msg))
        if not target.alive():
            raise Fail("the target died (status %s)\n%s" % (target.p.poll(),
                                                            target.stderr_tail()))
    finally:
        target.kill()
    if bad:
        raise Fail("%d of %d attaches gave a wrong tree:\n  %s" % (
            len(bad), ATTACHES, "\n  ".join(bad[:6])))
    return "%d attaches exact" % ATTACHES


def debian():
    if not os.access(interps.DEBIAN_311, os.X_OK):
        if cfg.ci:
            raise Fail("no %s" % interps.DEBIAN_311)
        raise Skip("no %s" % interps.DEBIAN_311)
    return interps.DEBIAN_311


NO_MULTI = {"FLOWTRACE_NO_UPROBE_MULTI": "1"}


def _register():
    for shape in ("flat", "pair"):
        add("attach arming: dtrace-3.9 usdt, %s loop, %d attaches" % (shape, ATTACHES),
            lambda shape=shape: attach_many(need_py39(), "usdt", shape, probe=("usdt",)))
        for links, env in (("uprobe_multi", None), ("perf-event links", NO_MULTI)):
            add("attach arming: debian-3.11 frame, %s loop, %s" % (shape, links),
                lambda shape=shape, env=env: attach_many(
                    debian(), "frame", shape, env, probe=("frame",)))
    # the interpreter source where every frame starts at the eval loop
    # (3.8-3.10): exact before arming too, kept as a guard
    add("attach arming: dtrace-3.9 frame, pair loop, perf-event links",
        lambda: attach_many(need_py39(), "frame", "pair", NO_MULTI, probe=("frame",)))


_register()


# ------------------------------------------------ the target's files (defect 10)

def fifo_target(py, what):
    """An unprivileged py (nobody, in a user and mount namespace of its
    own) with a FIFO bind-mounted over its libpython or executable."""
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
            "unshare", "--user", "--map-root-user", "--mount", "--",
            py, "-B", workload("fifo_over_file"), what]
    p = Proc(argv, stdin="pipe")
    if not p.wait_stderr("FT_SERVE_READY", 30):
        p.kill()
        raise Fail("the FIFO target did not start: %s\n%s" % (p.describe(), p.stderr_tail()))
    return p


def fifo_refused(py, what, method):
    target = fifo_target(py, what)
    # the tracer as a test user would run it: from a shell, signals unblocked
    tracer = Proc([cfg.tool, "--method", method, "-d", "2", "-p", str(target.pid)])
    try:
        tracer.p.wait(60)  # liveness only: it must end by itself
    except subprocess.TimeoutExpired:
        tracer.signal(signal.SIGTERM)
        try:
            rc = tracer.p.wait(10)
        except subprocess.TimeoutExpired:
            tracer.kill()
            raise Fail("flowtrace-bpf hung on the FIFO for 60s and ignored SIGTERM\n%s"
                       % tracer.stderr_tail())
        raise Fail("flowtrace-bpf hung on the FIFO for 60s; SIGTERM ended it (status %s)\n%s"
                   % (rc, tracer.stderr_tail()))
    rc = tracer.wait(10)
    err = tracer.stderr
    if rc != 3 or "not a regular file" not in err or "hint:" not in err:
        raise Fail("expected exit status 3 and a one-line 'not a regular file' error with a "
                   "hint, got %s\n%s" % (rc, tracer.stderr_tail()))
    if not target.alive():
        raise Fail("the target died (status %s)\n%s" % (target.p.poll(), target.stderr_tail()))
    target.send(b"stop\n")
    target.close_stdin()
    target.wait(15, "the FIFO target")
    return err.splitlines()[0]


add("target files: a FIFO over the mapped libpython (unprivileged namespace) is refused",
    lambda: fifo_refused(need_py39(), "lib", "usdt"))
add("target files: a FIFO over the executable (unprivileged namespace) is refused",
    lambda: fifo_refused(debian(), "exe", "frame"))


# ------------------------------------------------ the target exits during attach

EXIT_STEPS = 24


def exits_during_attach(py, method):
    """Targets that exit at staggered moments of the tracer's set-up: each
    attach either traces (status 0, the ready line) or says the process
    exited (status 4), never another error. The targets stay zombies until
    reaped, as a busy parent leaves them."""
    seen = {}
    for i in range(EXIT_STEPS):
        delay = "%.3f" % (i * 0.02)
        target = Proc([py, "-c", "import sys, time\nsys.stderr.write('FT_SERVE_READY\\n')\n"
                       "sys.stderr.flush()\ntime.sleep(%s)" % delay])
        if not target.wait_stderr("FT_SERVE_READY", 30):
            target.kill()
            raise Fail("the short-lived target did not start\n%s" % target.stderr_tail())
        res = tool(["--method", method, "-f", "json", "-d", "10", "-p", str(target.pid)])
        target.wait(30, "the short-lived target")
        # the first line that is not --method usdt's warning about the markers
        first = ([ln for ln in res.stderr.splitlines() if ": warning: " not in ln]
                 or ["(no stderr)"])[0]
        if res.rc == 0 and "tracing PID" in res.stderr:
            seen["traced"] = seen.get("traced", 0) + 1
        elif res.rc == 4 and ("exited during attach" in first or "no process" in first):
            seen["exited"] = seen.get("exited", 0) + 1
        else:
            raise Fail("target sleeping %ss: expected status 0 (traced) or 4 (exited during "
                       "attach), got %s: %s\n  %s" % (delay, res.rc, first, res.context()))
    return ", ".join("%s %d" % kv for kv in sorted(seen.items()))


add("attach race: dtrace-3.9 usdt targets exiting during attach give status 0 or 4",
    lambda: exits_during_attach(need_py39(), "usdt"))
add("attach race: debian-3.11 frame targets exiting during attach give status 0 or 4",
    lambda: exits_during_attach(debian(), "frame"))



# --method eval attached: frames running at attach are placed when a later
# event reveals them (docs/compatibility.md); the loop's shape is exact
add("attach arming: dtrace-3.9 eval, pair loop, uprobe_multi",
    lambda: attach_many(need_py39(), "eval", "pair", probe=("eval",)))
