"""Teardown: however the tracer ends (SIGINT, SIGTERM, SIGKILL, or its
target exiting), the target keeps running as if it had never been traced:
with --method usdt its marker semaphores are back to 0 and its probe
sites hold their nop again; every address the tracer says it probed by
offset (the interpreter uprobes, and with markers the code objects'
tp_dealloc) holds the file's byte again, and under auto a CPython's
markers are never switched on at all. A second process running the same
interpreter never gets probes."""

import functools
import json
import os
import random
import re
import signal
import time

from ftlib import interps, probes, trees
from ftlib.harness import (Fail, Proc, Result, Skip, cfg, check_meta, child_env, expect_rc,
                           need_py39, parse_json, start_tool, tool_threads, wait_ready, workload)
from ftlib.registry import add


def start_serve(argv):
    p = Proc(argv, stdin="pipe")
    if not p.wait_stderr("FT_SERVE_READY", 30):
        p.kill()
        raise Fail("serve workload did not start: %s\n%s" % (p.describe(), p.stderr_tail()))
    return p


def state_or_fail(proc, binary, what):
    try:
        return probes.state(proc.pid, binary)
    except (probes.ProbeError, OSError) as e:
        raise Fail("cannot read the markers of %s (PID %d): %s" % (what, proc.pid, e))


def clean(st):
    return all(v[0] == probes.NOP and not v[1] for v in st.values())


def expect_clean(proc, binary, what, settle=3.0):
    """Probe sites nop and semaphores 0; the kernel may finish removing
    uprobes a moment after the tracer is gone, so poll briefly."""
    deadline = time.monotonic() + settle
    while True:
        st = state_or_fail(proc, binary, what)
        if clean(st):
            return st
        if time.monotonic() > deadline:
            raise Fail("%s (PID %d) still has probes %.0fs after the tracer ended: %s"
                       % (what, proc.pid, settle, probes.describe(st)))
        time.sleep(0.1)


def expect_probed(proc, binary, what):
    st = state_or_fail(proc, binary, what)
    entry = st.get("function__entry")
    ret = st.get("function__return")
    if not entry or not ret:
        raise Fail("%s: no function__entry/function__return notes in %s" % (what, binary))
    if entry[0] != probes.INT3 or ret[0] != probes.INT3 or not entry[1] or not ret[1]:
        raise Fail("%s (PID %d) is being traced but its markers are not armed: %s"
                   % (what, proc.pid, probes.describe(st)))


def finish(proc, what):
    """Lets a serve target go; it must still work normally."""
    if not proc.alive():
        raise Fail("%s (PID %d) died (status %s)\n%s" % (
            what, proc.pid, proc.p.poll(), proc.stderr_tail()))
    proc.send(b"stop\n")
    proc.close_stdin()
    rc = proc.wait(15, what)
    if rc != 0:
        raise Fail("%s exited with %s after the tracer left\n%s" % (what, rc, proc.stderr_tail()))


def check_output(tracer, pid, until_exit, probe="usdt"):
    res = Result(tracer)
    expect_rc(res, 0, "flowtrace-bpf ended by %s" % ("its target's exit" if until_exit
                                                     else "a signal or -d"))
    doc = parse_json(res.stdout, res)
    threads = tool_threads(doc)
    check_meta(doc, pid=pid, probe=probe)
    main = [t for t in threads if t.tid == pid]
    calls = main[0].calls if main else []
    if until_exit:
        # main() and <module> returned while traced: known, entered before
        # attach. After them come the interpreter's shutdown calls.
        calls = calls[:1]
        mod = calls[0] if calls else trees.Node("(nothing)")
        if mod.func != "<module>" or mod.flags != {"entered_before_attach"} or \
                [c.func for c in mod.children] != ["main"]:
            raise Fail("expected the first root <module> [entered_before_attach] with main() "
                       "under it, got %s with children %s"
                       % (mod.label(), [c.label() for c in mod.children][:5]))
    if not trees.find_first(calls, lambda n: n.func == "tick"):
        raise Fail("no tick() call in the main thread's output")
    for n, _ in trees.walk(calls):
        if n.lost is not None or n.func not in ("<module>", "main", "tick"):
            raise Fail("unexpected %s in the output" % n.label())


def py39_teardown(how):
    py = need_py39()
    serve = workload("serve")
    a = start_serve([py, serve])
    b = start_serve([py, serve])
    binary = probes.marker_binary(a.pid)
    expect_clean(a, binary, "the target before tracing", settle=0)
    expect_clean(b, binary, "the second process before tracing", settle=0)

    duration = ["-d", "1"] if how == "duration" else []
    t0 = time.monotonic()
    tracer = start_tool(["-vv", "-f", "json", "--method", "usdt", "-p", str(a.pid)] + duration)
    wait_ready(tracer)
    expect_probed(a, binary, "the traced target")
    expect_clean(b, binary, "the untraced second process", settle=0)
    # the one uprobe beside the markers: code objects' tp_dealloc (name cache)
    ubinary, offsets = uprobe_sites(tracer)
    armed = uprobe_state(a, ubinary, offsets, "the traced target")
    if any(mem != probes.INT3 for mem, _ in armed):
        raise Fail("the traced target (PID %d) has no int3 at %s" % (a.pid, offsets))
    expect_unprobed(b, ubinary, offsets, "the untraced second process", settle=0)
    time.sleep(0.2)  # let some tick() calls through

    if how == "duration":
        tracer.wait(30, "flowtrace-bpf -d 1")
        took = time.monotonic() - t0
        if took < 1.0:
            raise Fail("flowtrace-bpf -d 1 ended after %.2fs" % took)
        check_output(tracer, a.pid, until_exit=False)
        expect_clean(a, binary, "the target after flowtrace-bpf -d 1 ended")
        expect_unprobed(a, ubinary, offsets, "the target after flowtrace-bpf -d 1 ended")
        finish(a, "the target after flowtrace-bpf -d 1 ended")
    elif how == "exit":
        finish(a, "the traced target")
        tracer.wait(30, "flowtrace-bpf after its target exited")
        check_output(tracer, a.pid, until_exit=True)
    else:
        sig = getattr(signal, how)
        tracer.signal(sig)
        rc = tracer.wait(30, "flowtrace-bpf after %s" % how)
        if how == "SIGKILL":
            if rc != -signal.SIGKILL:
                raise Fail("flowtrace-bpf: expected death by SIGKILL, got status %s" % rc)
        else:
            check_output(tracer, a.pid, until_exit=False)
        expect_clean(a, binary, "the target after flowtrace-bpf ended by %s" % how)
        expect_unprobed(a, ubinary, offsets, "the target after flowtrace-bpf ended by %s" % how)
        finish(a, "the target after flowtrace-bpf ended by %s" % how)
    expect_clean(b, binary, "the untraced second process", settle=0)
    expect_unprobed(b, ubinary, offsets, "the untraced second process", settle=0)
    finish(b, "the untraced second process")


ENDINGS = {"SIGINT": "SIGINT", "SIGTERM": "SIGTERM", "SIGKILL": "SIGKILL",
           "exit": "target exit", "duration": "-d 1"}
for _how, _shown in ENDINGS.items():
    add("teardown py3.9 --method usdt: tracer ended by %s; target unharmed, probes gone, "
        "second process never probed" % _shown, functools.partial(py39_teardown, _how))


def fixture_teardown():
    a = Proc([cfg.fixture, "--report-semaphore", "serve"], stdin="pipe")
    binary = cfg.fixture
    time.sleep(0.1)
    expect_clean(a, binary, "the fixture before tracing", settle=0)
    tracer = start_tool(["-f", "json", "-p", str(a.pid)])
    wait_ready(tracer)
    expect_probed(a, binary, "the traced fixture")
    before = probes.state(a.pid, binary)
    tracer.signal(signal.SIGINT)
    tracer.wait(30, "flowtrace-bpf after SIGINT")
    expect_rc(Result(tracer), 0)
    expect_clean(a, binary, "the fixture after SIGINT")
    finish(a, "the fixture after the tracer left")
    # the fixture's own view of its semaphores, at exit
    report = dict((m.group(1), (int(m.group(2), 16), int(m.group(3)))) for m in re.finditer(
        r"python_(function__\w+?)_semaphore (0x[0-9a-f]+) (\d+)", a.stdout.decode()))
    for name in ("function__entry", "function__return"):
        if name not in report:
            raise Fail("the fixture did not report its %s semaphore: %r" % (name, a.stdout))
        addr, value = report[name]
        if value != 0:
            raise Fail("the fixture saw its %s semaphore at %d after the tracer left"
                       % (name, value))
        if addr != before[name][3]:
            raise Fail("test bug: semaphore address from readelf/maps 0x%x, the fixture "
                       "says 0x%x" % (before[name][3], addr))


add("teardown fixture: SIGINT; semaphores 0 as the fixture itself sees them",
    fixture_teardown)


# ------------------------------------------------ interpreter uprobes

def uprobe_sites(tracer):
    """(binary, file offsets) from the tracer's -vv line."""
    m = re.search(r"uprobes at file offsets ((?:0x[0-9a-f]+ ?)+) of (\S+)", tracer.stderr)
    if not m:
        raise Fail("flowtrace-bpf -vv named no uprobe offsets\n%s" % tracer.stderr_tail())
    # the path goes through the target's root; this mount namespace is the same
    binary = re.sub(r"^/proc/\d+/root(?=/)", "", m.group(2))
    return binary, sorted({int(x, 16) for x in m.group(1).split()})


def uprobe_state(proc, binary, offsets, what):
    try:
        return probes.offset_bytes(proc.pid, binary, offsets)
    except (probes.ProbeError, OSError) as e:
        raise Fail("cannot read the probed addresses of %s (PID %d): %s" % (what, proc.pid, e))


def expect_unprobed(proc, binary, offsets, what, settle=3.0):
    deadline = time.monotonic() + settle
    while True:
        st = uprobe_state(proc, binary, offsets, what)
        left = ["0x%x" % off for off, (mem, file) in zip(offsets, st) if mem != file]
        if not left:
            return
        if time.monotonic() > deadline:
            raise Fail("%s (PID %d) still differs from its file at %s %.0fs after the tracer "
                       "ended" % (what, proc.pid, ", ".join(left), settle))
        time.sleep(0.1)


def interp_teardown(interp, how, env=None):
    serve = workload("serve")
    a = start_serve([interp.path, serve])
    b = start_serve([interp.path, serve])
    markers = probes.marker_binary(a.pid) if interp.kind != "pyenv" else None
    duration = ["-d", "1"] if how == "duration" else []
    tracer = start_tool(["-vv", "-f", "json", "-p", str(a.pid)] + duration,
                        env=child_env(env) if env else None)
    wait_ready(tracer)
    binary, offsets = uprobe_sites(tracer)
    if len(offsets) < 2:
        raise Fail("expected uprobes on the eval loop and its handlers, got %s" % offsets)
    armed = uprobe_state(a, binary, offsets, "the traced target")
    if any(mem != probes.INT3 for mem, _ in armed):
        raise Fail("the traced target (PID %d) has no int3 at %s"
                   % (a.pid, ["0x%x" % o for o, (m, _) in zip(offsets, armed) if m != probes.INT3]))
    expect_unprobed(b, binary, offsets, "the untraced second process", settle=0)
    time.sleep(0.2)  # let some tick() calls through
    if markers:
        # switching a CPython's markers on can make it raise SystemError:
        # auto must leave their sites and semaphores alone while tracing
        expect_clean(a, markers, "the target traced with interpreter uprobes: its markers",
                     settle=0)

    if how == "duration":
        tracer.wait(30, "flowtrace-bpf -d 1")
    else:
        tracer.signal(getattr(signal, how))
        rc = tracer.wait(30, "flowtrace-bpf after %s" % how)
        if how == "SIGKILL" and rc != -signal.SIGKILL:
            raise Fail("flowtrace-bpf: expected death by SIGKILL, got status %s" % rc)
    if how != "SIGKILL":
        check_output(tracer, a.pid, until_exit=False, probe="frame")
    expect_unprobed(a, binary, offsets, "the target after flowtrace-bpf ended by %s" % how)
    finish(a, "the target after flowtrace-bpf ended by %s" % how)
    expect_unprobed(b, binary, offsets, "the untraced second process", settle=0)
    finish(b, "the untraced second process")
    return "%d uprobes" % len(offsets)


def _teardown_interps():
    """The newest pyenv CPython (frame: RESUME and return handlers) and the
    oldest (3.8-3.10: the eval loop's entry and return too), by what the
    matrix found."""
    found = [i for i in interps.Discovery(cfg.py39).interps if i.kind == "pyenv"]
    found.sort(key=lambda i: i.minor)
    return [found[-1], found[0]] if len(found) > 1 else found


def _marker_interps():
    """The CPythons with markers, which auto traces with interpreter uprobes."""
    return [i for i in interps.Discovery(cfg.py39).interps if i.kind != "pyenv"]


for _interp in _marker_interps():
    add("teardown %s -p auto (interpreter uprobes): its markers never switched on; tracer "
        "ended by SIGINT; every probed address restored" % _interp.name,
        functools.partial(interp_teardown, _interp, "SIGINT"))

for _interp in _teardown_interps():
    for _how in ("SIGINT", "SIGKILL", "duration"):
        add("teardown %s -p (interpreter uprobes): tracer ended by %s; every probed address "
            "restored, second process never probed" % (_interp.name, ENDINGS[_how]),
            functools.partial(interp_teardown, _interp, _how))
    add("teardown %s -p (perf-event links): tracer ended by SIGKILL; every probed address "
        "restored" % _interp.name,
        functools.partial(interp_teardown, _interp, "SIGKILL", {"FLOWTRACE_NO_UPROBE_MULTI": "1"}))


def kill_in_detach(interp, env=None, rounds=12):
    """SIGINT, then SIGKILL a moment later, while the tracer takes its
    probes out, round after round on one target. The kernel writes a
    probed instruction back with get_user_pages(), which gives up when the
    closing task has a fatal signal pending: it then keeps that uprobe and
    its int3 in the target for good ("leaking uprobe"), which traps on
    every pass from then on. The tracer's own closes must never be the
    ones that take a breakpoint out. Before the fix one round in three or
    so left int3s behind (pyenv 3.12)."""
    rnd = random.Random(1207)
    a = start_serve([interp.path, workload("serve")])
    binary, offsets = None, []
    for k in range(rounds):
        tracer = start_tool(["-vv", "-f", "json", "-o", os.devnull, "-p", str(a.pid)],
                            env=child_env(env) if env else None)
        wait_ready(tracer)
        binary, offsets = uprobe_sites(tracer)
        time.sleep(0.2)
        tracer.signal(signal.SIGINT)
        time.sleep(rnd.uniform(0, 0.03))
        tracer.signal(signal.SIGKILL)
        tracer.wait(60, "flowtrace-bpf, SIGKILLed in its detach")
        expect_unprobed(a, binary, offsets, "the target after round %d of %d (SIGINT, then "
                        "SIGKILL)" % (k + 1, rounds))
    finish(a, "the target after %d tracers SIGKILLed in their detach" % rounds)
    return "%d rounds, %d uprobes each time" % (rounds, len(offsets))


for _interp in _teardown_interps():
    add("teardown %s -p: tracer SIGKILLed while it takes its probes out, 12 rounds; every "
        "probed address restored each time" % _interp.name,
        functools.partial(kill_in_detach, _interp))
    add("teardown %s -p (perf-event links): tracer SIGKILLed while it takes its probes out, 12 "
        "rounds; every probed address restored each time" % _interp.name,
        functools.partial(kill_in_detach, _interp, {"FLOWTRACE_NO_UPROBE_MULTI": "1"}))


def task_state(pid):
    """State and kernel wait channel of a process, for a failure message."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/wchan" % pid) as f:
            return "state %s in %s" % (state, f.read().strip() or "-")
    except OSError as e:
        return "unknown (%s)" % e


def expect_summary_after_d(tracer):
    """The summary line of a -d 0.5 trace: it comes once the probes are out
    (liveness, not speed)."""
    if not tracer.wait_stderr(" calls in ", 60):
        raise Fail("no summary line 60 s after -d 0.5 ended the trace (the tracer is "
                   "stuck detaching: %s)\n%s" % (task_state(tracer.pid), tracer.stderr_tail()))


def eval_detach_busy(interp, env=None):
    """-c with the eval method (a uretprobe on the eval loop) ended by -d
    while the command keeps calling: main() and <module> never return, so
    the kernel holds their return instances, and closing a uprobe link
    waits for those to be released. Before the fix the tracer sat in an
    uninterruptible sleep (no summary, SIGKILL ignored) for as long as the
    command ran, and so did every other uprobe attach on the machine."""
    ticks = 1000000  # ~3 hours of 10 ms ticks: it only ends when killed
    tracer = start_tool(["-f", "json", "-d", "0.5", "--", interp.path, workload("ticker"),
                         str(ticks)], env=child_env(env) if env else None)
    try:
        wait_ready(tracer)
        expect_summary_after_d(tracer)
        m = re.search(r"tracing PID (\d+)", tracer.stderr)
        if not m:
            raise Fail("no ready line naming the command\n%s" % tracer.stderr_tail())
        cmd = int(m.group(1))
        if "eval in " not in tracer.stderr:
            raise Fail("expected the eval method (the uretprobe case)\n%s"
                       % tracer.stderr_tail())
    finally:
        # the tracer waits for the command, which ticks on: end both (one
        # process group), as a user would
        tracer.kill()
    return "summary after -d, command %d still ticking until killed" % cmd


def eval_kill_busy(interp):
    """The same command, the tracer killed by SIGKILL mid-trace: the kernel
    closes its links, and must not wait in that close (an unkillable
    zombie holding every uprobe attach on the machine) for the command's
    outermost frames to return; the command ticks on, untraced."""
    tracer = start_tool(["-f", "json", "--", interp.path, workload("ticker"), "1000000"])
    try:
        wait_ready(tracer)
        m = re.search(r"tracing PID (\d+)", tracer.stderr)
        if not m:
            raise Fail("no ready line naming the command\n%s" % tracer.stderr_tail())
        cmd = int(m.group(1))
        time.sleep(0.5)  # let the command call through the probes
        os.kill(tracer.pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while tracer.p.poll() is None:
            if time.monotonic() > deadline:
                raise Fail("flowtrace-bpf, killed by SIGKILL, is still there 60 s later (%s)"
                           % task_state(tracer.pid))
            time.sleep(0.05)
        before = tracer.stderr.count("FT_TICK")
        tracer.wait_stderr("FT_TICK %d" % (before + 5), 30)
        if task_state(cmd).startswith("unknown"):
            raise Fail("the command (PID %d) did not survive the tracer's SIGKILL" % cmd)
    finally:
        tracer.kill()
    return "tracer reaped; command ticking on"


for _interp in [i for i in interps.Discovery(cfg.py39).interps
                if i.auto_method("-c") == "eval"][:2]:
    add("teardown %s -c auto(eval), tracer killed by SIGKILL while the command keeps calling: "
        "the tracer is gone, the command runs on" % _interp.name,
        functools.partial(eval_kill_busy, _interp))
    add("teardown %s -c auto(eval) -d 0.5 on a command that keeps calling: the tracer "
        "detaches and ends" % _interp.name, functools.partial(eval_detach_busy, _interp))
    add("teardown %s -c auto(eval) -d 0.5 on a command that keeps calling, perf-event links: "
        "the tracer detaches and ends" % _interp.name,
        functools.partial(eval_detach_busy, _interp, {"FLOWTRACE_NO_UPROBE_MULTI": "1"}))


def detach_busy(interp, method, env, workload_name, by_task=False):
    """-c with a method that keeps the eval loop's uretprobe, plus entry
    uprobes attached after it (frame: the return and yield handlers;
    3.8-3.13 with --by-task: _asyncio's task_step_impl), ended by -d while
    the command keeps calling. Closing any uprobe link waits for the
    kernel's uretprobe leases (one SRCU domain for the machine), and a
    busy command renews the lease of its never-returning frames at every
    call while a uretprobe stays: an entry uprobe's link closed before the
    uretprobe's left the tracer in __synchronize_srcu until the command
    ended (docs/design.md "Exit and teardown")."""
    args = ["-v", "-f", "json", "-d", "0.5", "--method", method]
    if by_task:
        args.append("--by-task")
    tracer = start_tool(args + ["--", interp.path, workload(workload_name), "1000000"],
                        env=child_env(env))
    try:
        wait_ready(tracer)
        expect_summary_after_d(tracer)
        if not by_task:
            return "summary after -d"
        if "asyncio task names read" not in tracer.stderr:
            raise Fail("expected the task-step uprobe in _asyncio (-v says where)\n%s"
                       % tracer.stderr_tail())
        # the tracer's output is complete once it waits for the command
        deadline = time.monotonic() + 30
        doc = None
        while doc is None and time.monotonic() < deadline:
            try:
                doc = json.loads(tracer.stdout.decode("utf-8"))
            except ValueError:
                time.sleep(0.1)
        if doc is None:
            raise Fail("no complete json document after the summary\n%s"
                       % tracer.stderr_tail())
        names = sorted({t.get("name") for t in doc.get("tasks", [])})
        if "ticker-0" not in names or "ticker-1" not in names:
            raise Fail("the workers' names were not read at task_step_impl: tasks %s\n%s"
                       % (names, tracer.stderr_tail()))
        return "summary after -d; tasks %s" % names
    finally:
        tracer.kill()


_LINKS = (("perf-event links", {"FLOWTRACE_NO_UPROBE_MULTI": "1"}), ("uprobe_multi links", {}))
for _interp in [i for i in interps.Discovery(cfg.py39).interps
                if i.auto_method("-c") == "eval"][:2]:
    for _links, _env in _LINKS:
        add("teardown %s -c --method frame -d 0.5 on a command that keeps calling, %s: the "
            "handlers' uprobes and the eval loop's uretprobe come out, the tracer ends"
            % (_interp.name, _links),
            functools.partial(detach_busy, _interp, "frame", _env, "ticker"))
        add("teardown %s -c auto(eval) --by-task -d 0.5 on an asyncio command that keeps "
            "stepping, %s: the task-step uprobe comes out, the tracer ends, tasks named"
            % (_interp.name, _links),
            functools.partial(detach_busy, _interp, "eval", _env, "async_ticker", True))
