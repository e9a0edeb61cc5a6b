"""CPython 3.14, in the shapes users run (scripts/build-python314.sh: gcc
--with-dtrace, clang-19 tail-calling, free-threaded 3.14t, and the first two
with libpython stripped). All five are traced by the read-only frame
method: their exact trees are the interpreter matrix's cells ("matrix
py3.14-VARIANT ..."; the free-threaded one's "parallel_threads" runs four
threads at once, two of them parked 30 frames deep at attach). Here: the
fact behind the one place where the oracle and an untraced 3.14 differ
(gen.close()), on every build. Under CI=true every variant is required;
elsewhere an absent build is stated."""

import functools
import subprocess

from ftlib.harness import Fail, Skip, cfg
from ftlib.registry import add

VARIANTS = ("dtrace", "tailcall", "ft", "dtrace-strip", "tailcall-strip")


def need(variant):
    path = cfg.py314.get(variant)
    if path:
        return path
    why = "no CPython 3.14 %s build: %s" % (variant, cfg.py314_missing)
    if cfg.ci:
        raise Fail(why + " (CI=true: every 3.14 variant is required)")
    raise Skip(why)


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
for _v in VARIANTS:
    add("py3.14 %s: gen.close() runs the frame under sys.setprofile, not untraced" % _v,
        functools.partial(close_fact, _v))
