"""Tracing never changes what the target does (issue 14, defect 1). With
CPython's markers switched on, the interpreter encodes each traced code
object's file and function name as UTF-8 for them and leaves the exception
set when one cannot be encoded: a module imported from a directory named
in Latin-1 (its path holds a lone surrogate) made the target raise
SystemError under the tracer and run fine untraced. --method auto must
trace such a program on the interpreters with markers (the dtrace 3.9,
Debian's 3.11) with its exit status and output exactly as untraced, and
the trace must hold the module's g(); --method usdt keeps the markers,
says the hazard in a warning, and counts the marker events that came
without a name (the failure's signature) in another."""

import functools
import json
import os

from ftlib import interps, trees
from ftlib.flows import command, start_gated
from ftlib.harness import (Fail, Proc, Skip, cfg, child_env, need_py39, start_tool, tool,
                           tool_threads, wait_ready)
from ftlib.registry import add

MAIN = r'''import os, sys
here = os.path.dirname(os.path.abspath(__file__))
# the directory's name is Latin-1 bytes: not UTF-8, so Python names it with
# a lone surrogate (surrogateescape), as it does any such path
sys.path.insert(0, os.fsdecode(os.path.join(os.fsencode(here), b"lat\xe9")))
if os.environ.get("FT_GATE"):
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()
import mod
for _ in range(3):
    mod.g()
print("done")
'''


def program():
    """main.py beside the directory lat\\xe9 holding mod.py; returns main.py."""
    d = os.path.join(cfg.tmp, "latin1")
    sub = os.path.join(os.fsencode(d), b"lat\xe9")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, b"mod.py"), "w") as f:
        f.write("def g():\n    pass\n")
    main = os.path.join(d, "main.py")
    with open(main, "w") as f:
        f.write(MAIN)
    return main


def untraced(py, main, gated):
    p = Proc([py, "-B", main], env=child_env({"FT_GATE": "1"} if gated else None),
             stdin="pipe")
    p.send(b"go\n")
    p.close_stdin()
    rc = p.wait(60, "the untraced program")
    return rc, p.stdout


def g_calls(out):
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    return sum(1 for t in tool_threads(doc) for n, _ in trees.walk(t.calls) if n.func == "g")


def same_as_untraced(py, mode):
    main = program()
    want_rc, want_out = untraced(py, main, mode == "-p")
    if want_rc != 0 or want_out != b"done\n":
        raise Fail("test bug: untraced, the program gave status %s and %r" % (want_rc, want_out))
    out = os.path.join(cfg.tmp, "latin1", "trace%s.json" % mode)
    if mode == "-c":
        # -o: stdout carries only the command's own output
        res = tool(["-f", "json", "-o", out, "-c", command(py, "-B", main)])
        got_rc, got_out, stderr = res.rc, res.stdout, res.stderr
    else:
        target = start_gated([py, "-B", main])
        tracer = start_tool(["-f", "json", "-o", out, "-p", str(target.pid)])
        wait_ready(tracer)
        target.send(b"go\n")
        target.close_stdin()
        got_rc, got_out = target.wait(60, "the traced program"), target.stdout
        tracer.wait(30, "flowtrace-bpf after its target exited")
        stderr = tracer.stderr
        if tracer.rc != 0:
            raise Fail("flowtrace-bpf exited with %s\n%s" % (tracer.rc, tracer.stderr_tail()))
    if (got_rc, got_out) != (want_rc, want_out):
        raise Fail("traced, the program gave status %s and %r; untraced %s and %r\n  "
                   "tracer stderr:\n  %s" % (got_rc, got_out, want_rc, want_out,
                                             stderr.replace("\n", "\n  ")))
    n = g_calls(out)
    if n != 3:
        raise Fail("expected the 3 calls of mod.g() in the trace, got %d" % n)
    return "status %s, output %r, 3 g() calls" % (got_rc, got_out)


def usdt_warns(py):
    main = program()
    out = os.path.join(cfg.tmp, "latin1", "usdt.json")
    res = tool(["--method", "usdt", "-f", "json", "-o", out, "-c", command(py, "-B", main)])
    warn = [l for l in res.stderr.splitlines() if l.startswith("flowtrace-bpf: warning: ")]
    if not warn or "--method usdt" not in warn[0] or "SystemError" not in warn[0]:
        raise Fail("expected a first warning line naming --method usdt and SystemError, got "
                   "%r\n  %s" % (warn, res.context()))
    # the hazard is real on this build: the target fails as documented, and
    # the summary's warning counts the marker events that carried no name
    if res.rc == 0:
        raise Fail("test bug: under the markers the program did not fail, so this case shows "
                   "nothing\n  %s" % res.context())
    nulls = [l for l in warn[1:] if "came without a file or function name" in l]
    if len(warn) != 2 or len(nulls) != 1:
        raise Fail("expected a second warning counting marker events without a name, got "
                   "%r\n  %s" % (warn, res.context()))
    return "warned; the program then failed with status %s; %s" % (
        res.rc, nulls[0].split("warning: ", 1)[1].split(":")[0])


def py39():
    return need_py39()


def debian311():
    if not os.access(interps.DEBIAN_311, os.X_OK):
        if cfg.ci:
            raise Fail("CI=true: %s required" % interps.DEBIAN_311)
        raise Skip("%s is not installed" % interps.DEBIAN_311)
    return interps.DEBIAN_311


for _name, _py in (("dtrace-3.9", py39), ("debian-3.11", debian311)):
    for _mode in ("-c", "-p"):
        add("unchanged %s %s auto: a module under a Latin-1 directory runs as untraced, "
            "its g() traced" % (_name, _mode),
            functools.partial(lambda get, mode: same_as_untraced(get(), mode), _py, _mode))
add("unchanged dtrace-3.9 -c --method usdt: a warning names the hazard, another counts the "
    "marker events without a name",
    lambda: usdt_warns(py39()))
