"""Teardown: however the tracer ends (SIGINT, SIGTERM, SIGKILL, or its
target exiting), the target keeps running as if it had never been traced:
its marker semaphores are back to 0 and its probe sites hold their nop
again. A second process running the same interpreter never gets probes."""

import functools
import re
import signal
import time

from ftlib import probes, trees
from ftlib.harness import (Fail, Proc, Result, cfg, check_meta, expect_rc, need_py39, parse_json,
                           start_tool, tool_threads, wait_ready, workload)
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


def check_output(tracer, pid, until_exit):
    res = Result(tracer)
    expect_rc(res, 0, "flowtrace-bpf ended by %s" % ("its target's exit" if until_exit
                                                     else "a signal or -d"))
    doc = parse_json(res.stdout, res)
    threads = tool_threads(doc)
    check_meta(doc, pid=pid)
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
    tracer = start_tool(["-f", "json", "-p", str(a.pid)] + duration)
    wait_ready(tracer)
    expect_probed(a, binary, "the traced target")
    expect_clean(b, binary, "the untraced second process", settle=0)
    time.sleep(0.2)  # let some tick() calls through

    if how == "duration":
        tracer.wait(30, "flowtrace-bpf -d 1")
        took = time.monotonic() - t0
        if took < 1.0:
            raise Fail("flowtrace-bpf -d 1 ended after %.2fs" % took)
        check_output(tracer, a.pid, until_exit=False)
        expect_clean(a, binary, "the target after flowtrace-bpf -d 1 ended")
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
        finish(a, "the target after flowtrace-bpf ended by %s" % how)
    expect_clean(b, binary, "the untraced second process", settle=0)
    finish(b, "the untraced second process")


ENDINGS = {"SIGINT": "SIGINT", "SIGTERM": "SIGTERM", "SIGKILL": "SIGKILL",
           "exit": "target exit", "duration": "-d 1"}
for _how, _shown in ENDINGS.items():
    add("teardown py3.9: tracer ended by %s; target unharmed, probes gone, second process "
        "never probed" % _shown, functools.partial(py39_teardown, _how))


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
