"""CPython 3.14, in the shapes users run (scripts/build-python314.sh: gcc
--with-dtrace, clang-19 tail-calling, free-threaded 3.14t, and the first two
with libpython stripped). The four GIL builds are traced by the read-only
frame method: their exact trees are the interpreter matrix's cells
("matrix py3.14-VARIANT ..."). Here: the free-threaded build, which has no
exact method yet, is refused with exit 6 in one line and a hint, under -c
(the command is not run on) and -p (the target runs on untouched); and the
fact behind the one place where the oracle and an untraced 3.14 differ
(gen.close()). Under CI=true every variant is required; elsewhere an
absent build is stated."""

import functools
import subprocess
import time

from ftlib.harness import Fail, Proc, Skip, cfg, expect_rc, tool
from ftlib.registry import add

VARIANTS = ("dtrace", "tailcall", "ft", "dtrace-strip", "tailcall-strip")
GIL = ("dtrace", "tailcall", "dtrace-strip", "tailcall-strip")
REFUSED = ("ft",)

SLEEPER = "import sys, time\nsys.stderr.write('FT_READY\\n'); sys.stderr.flush()\ntime.sleep(60)\n"


def need(variant):
    path = cfg.py314.get(variant)
    if path:
        return path
    why = "no CPython 3.14 %s build: %s" % (variant, cfg.py314_missing)
    if cfg.ci:
        raise Fail(why + " (CI=true: every 3.14 variant is required)")
    raise Skip(why)


def expect_refusal(res, py):
    expect_rc(res, 6)
    lines = [ln for ln in res.stderr.splitlines() if ln]
    if len(lines) != 2 or not lines[0].startswith("flowtrace-bpf: ") or \
            not lines[1].startswith("hint: "):
        raise Fail("expected one error line and one hint line, got:\n  %s" % res.context())
    if "3.14" not in lines[0] or "free-threaded" not in lines[0]:
        raise Fail("the refusal does not name the version and the build: %r" % lines[0])
    if res.stdout:
        raise Fail("a refusal wrote trace data to stdout: %r" % res.stdout[:200])


def refused_launch(variant):
    py = need(variant)
    res = tool(["-f", "json", "--", py, "-c", "print('RAN')"])
    expect_refusal(res, py)
    if b"RAN" in res.stdout or "RAN" in res.stderr:
        raise Fail("the command ran on after a refusal:\n  %s" % res.context())
    return res.stderr.splitlines()[0]


def refused_attach(variant):
    py = need(variant)
    target = Proc([py, "-c", SLEEPER])
    try:
        if not target.wait_stderr("FT_READY", 30):
            raise Fail("the 3.14 target did not start\n%s" % target.stderr_tail())
        res = tool(["-f", "json", "-p", str(target.pid)])
        expect_refusal(res, py)
        time.sleep(0.1)
        if target.p.poll() is not None:
            raise Fail("the target ended (status %s) after the refusal" % target.p.returncode)
    finally:
        target.kill()
    return "target untouched"


# gen.close() of a generator suspended outside any try block: 3.14 runs
# its frame (throws GeneratorExit in) only when a tool listens for
# unwinding (genobject.c, _PyEval_NoToolsForUnwind). sys.setprofile (the
# matrix's oracle) is one; a sys.monitoring tool that listens for starts
# and resumes only is not, and sees what an untraced process does. Prints
# the starts and resumes of holder() seen.
CLOSE_FACT = r'''
import sys
def holder(n):
    for i in range(n):
        yield i
def by_close():
    g = holder(5)
    next(g)
    g.close()
seen = []
if sys.argv[1] == "profile":
    def prof(frame, event, arg):
        if event == "call" and frame.f_code is holder.__code__:
            seen.append(1)
    sys.setprofile(prof)
    by_close()
    sys.setprofile(None)
else:
    M = sys.monitoring
    M.use_tool_id(3, "fact")
    def cb(code, off):
        if code is holder.__code__:
            seen.append(1)
    M.register_callback(3, M.events.PY_START, cb)
    M.register_callback(3, M.events.PY_RESUME, cb)
    M.set_events(3, M.events.PY_START | M.events.PY_RESUME)
    by_close()
    M.set_events(3, 0)
print(len(seen))
'''


def close_fact(variant):
    py = need(variant)
    got = {}
    for mode in ("profile", "monitor"):
        out = subprocess.run([py, "-c", CLOSE_FACT, mode], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        if out.returncode != 0:
            raise Fail("the fact script failed under %s: %s" % (mode, out.stderr[-500:]))
        got[mode] = int(out.stdout.strip())
    # setprofile: next() and close() start/resume holder; without an
    # unwind tool only next() does
    if got != {"profile": 2, "monitor": 1}:
        raise Fail("expected holder() run twice under sys.setprofile and once without an "
                   "unwind tool, got %r: the matrix's finalizers adjustment is wrong" % got)
    return "close() runs the frame under sys.setprofile only"


def stated():
    """The first case says which builds were found."""
    found = [v for v in VARIANTS if v in cfg.py314]
    missing = [v for v in VARIANTS if v not in cfg.py314]
    if missing and cfg.ci:
        raise Fail("CPython 3.14 builds missing under CI=true: %s (%s)"
                   % (", ".join(missing), cfg.py314_missing))
    return "found: %s; absent: %s" % (", ".join(found) or "none",
                                      (", ".join(missing) + " (" + cfg.py314_missing + ")")
                                      if missing else "none")


add("py3.14: the builds found", stated)
for _v in REFUSED:
    add("py3.14 %s -c: refused, exit 6, one line and a hint; the command not run" % _v,
        functools.partial(refused_launch, _v))
    add("py3.14 %s -p: refused, exit 6, one line and a hint; the target untouched" % _v,
        functools.partial(refused_attach, _v))
for _v in GIL:
    add("py3.14 %s: gen.close() runs the frame under sys.setprofile, not untraced" % _v,
        functools.partial(close_fact, _v))
