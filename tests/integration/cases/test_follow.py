"""--follow (issue 12, item 1): the processes a traced one forks are traced
too, from their first instruction, and theirs (grandchildren), whenever
they are forked (a pre-fork server's workers started after attach).

Every case compares with the oracle (oracle.py), whose profile function a
forked child inherits, as it inherits the probes: the child's tree, from
the fork on, is written to a file of its own. The tracer's threads carry
"pid"; they are grouped into processes by it, and each process's trees are
compared with the oracle's process, ignoring pids and order. A frame that
is still running when its process leaves by os._exit is flagged
unfinished, as the oracle's open stack says.

Children that exec a new program (multiprocessing's spawn and forkserver)
are not followed: the trace says so in one line, and holds the parent's
calls only (the oracle's new interpreters write nothing either).

Case names: "follow INTERP MODE: WHAT"."""

import functools
import glob
import os
import re
import signal
import time

from ftlib import interps, trees
from ftlib.flows import attach_raw, command, start_gated
from ftlib.harness import (INCLUDE, Fail, Proc, Result, cfg, check_meta, check_well_formed,
                           child_env, expect_rc, expect_trees, parse_json, start_tool,
                           tool, tool_threads, wait_ready, workload)
from ftlib.registry import add

EXEC_NOTE = re.compile(r"^flowtrace-bpf: warning: PID (\d+) exec'd (.*?): not followed", re.M)


def mark_open(calls, n):
    """The oracle's open stack (n frames) is the chain of last roots: those
    frames never returned (os._exit), which the tracer flags unfinished."""
    while n > 0 and calls:
        last = calls[-1]
        last.flags = frozenset(set(last.flags) | {"unfinished"})
        calls = last.children
        n -= 1


def oracle_process(path, uprobes):
    doc = parse_json(open(path, "rb").read())
    out = []
    for raw, t in zip(doc["threads"], trees.threads_from_oracle(doc, uprobes)):
        mark_open(t.calls, raw.get("open", 0))
        out.append(t)
    return trees.filter_threads(out, lambda calls: trees.apply_globs(calls, [INCLUDE]))


def run_oracle(interp, name, args=(), gate=False):
    """(parent threads, [child process threads]) of the oracle's run."""
    out = os.path.join(cfg.tmp, "follow-oracle-%s-%s-%s.json"
                       % (interp.name, name, "-".join(args) or "x"))
    for f in glob.glob(out + "*"):
        os.unlink(f)
    env = child_env({"FT_GATE": "1"} if gate else None)
    p = Proc([interp.path, os.path.join(cfg.here, "oracle.py"), "-o", out, workload(name)]
             + list(args), env=env, stdin="pipe")
    p.send(b"go\n")
    p.close_stdin()
    rc = p.wait(120, "oracle on " + name)
    if rc != 0:
        raise Fail("the oracle failed on %s (status %s)\n%s" % (name, rc, p.stderr_tail()))
    parent = oracle_process(out, True)
    if gate:
        parent = [trees.Thread(t.tid, t.name, trees.attached_view(
            t.calls, lambda n: n.func == "gate") or t.calls) for t in parent]
    children = [oracle_process(f, True) for f in sorted(glob.glob(out + ".child.*"))]
    return parent, [c for c in children if c]


def tool_processes(doc, res):
    """The tracer's threads with calls, grouped by "pid": (root's, [each
    other process's])."""
    root = doc["meta"]["pid"]
    if doc["meta"].get("follow") is not True:
        raise Fail("meta.follow: expected true, got %r" % doc["meta"].get("follow"))
    threads = tool_threads(doc)
    check_well_formed(threads)
    procs = {}
    for raw, t in zip(doc["threads"], threads):
        if not isinstance(raw.get("pid"), int):
            raise Fail("thread %s has no integer \"pid\"\n  %s" % (t.tid, res.context()))
        if t.calls:
            procs.setdefault(raw["pid"], []).append(t)
    return procs.pop(root, []), [procs[k] for k in sorted(procs)]


def merged(processes):
    """Every process's roots as one thread, sorted: which pool worker ran
    which item is the scheduler's choice."""
    calls = [n for threads in processes for t in threads for n in t.calls]
    calls.sort(key=lambda n: repr(trees.forest_key([n])))
    return [trees.Thread(0, None, calls)] if calls else []


def expect_processes(want, got, pooled):
    (wp, wc), (gp, gc) = want, got
    expect_trees(wp, gp, "the traced process")
    if pooled:
        expect_trees(merged(wc), merged(gc), "the children's calls, all together")
        return
    if len(wc) != len(gc):
        raise Fail("expected %d child processes with calls, got %d" % (len(wc), len(gc)))
    # each child has one thread here: compare them as threads, in any order
    expect_trees([t for p in wc for t in p], [t for p in gc for t in p], "the children")


def run_follow(interp, mode, name, args=(), pooled=False, execs=False):
    argv = [interp.path, workload(name)] + list(args)
    topts = ["-F", "-f", "json", "--include", INCLUDE]
    if mode == "-c":
        res = tool(topts + ["-c", command(*argv)])
        expect_rc(res, 0)
        pid = None
    else:
        res, pid = attach_raw(topts, argv)
    doc = parse_json(res.stdout, res)
    check_meta(doc, pid=pid, probe=interp.auto_method(mode))
    got = tool_processes(doc, res)
    want = run_oracle(interp, name, args, gate=mode == "-p")
    note = EXEC_NOTE.findall(res.stderr)
    if execs:
        if len(note) != 1:
            raise Fail("expected one line saying a child exec'd and is not followed, got "
                       "%d\n  %s" % (len(note), res.context()))
        if got[1]:
            raise Fail("processes after an exec were traced: %s" % [
                [n.label() for t in p for n in t.calls] for p in got[1]])
    elif note:
        raise Fail("unexpected exec note\n  %s" % res.context())
    expect_processes(want, got, pooled)
    return "%d child processes" % len(got[1])


def sigkill_unharmed(interp):
    """The tracer is SIGKILLed while two followed workers run: the master
    (which exits 0 only if both workers did) must exit 0."""
    target = start_gated([interp.path, workload("outlive")])
    tracer = start_tool(["-F", "-f", "json", "-p", str(target.pid)])
    wait_ready(tracer)
    target.send(b"go\n")
    target.close_stdin()
    if not target.wait_stderr("FT_CHILDREN_UP", 30):
        raise Fail("the workers never started\n%s" % target.stderr_tail())
    time.sleep(0.3)  # well inside the workers' 2 s of calls
    os.kill(tracer.pid, signal.SIGKILL)
    tracer.wait(30, "the SIGKILLed tracer")
    rc = target.wait(60, "the master after the tracer died")
    if rc != 0:
        raise Fail("the master exited %s: a worker was harmed\n%s" % (rc, target.stderr_tail()))
    return "workers exited normally"


def refusals():
    py = cfg.py39 or "/usr/bin/python3"
    res = tool(["-F", "--method", "usdt", "-c", command(py, "-c", "pass")])
    expect_rc(res, 2)
    if "--follow" not in res.stderr:
        raise Fail("the refusal does not name --follow\n  %s" % res.context())
    res = tool(["-p", "12,34"])
    expect_rc(res, 2)
    return "usdt and several PIDs refused"


def _register():
    found = []
    for interp in interps.Discovery(cfg.py39).interps:
        if interp.kind == "dtrace" or (interp.kind == "pyenv" and interp.minor == (3, 12)):
            found.append(interp)
    for interp in found:
        cells = [("-c", "fork_tree", (), False, False),
                 ("-c", "pool_map", ("fork",), True, False),
                 ("-c", "pool_map", ("spawn",), True, True),
                 ("-c", "pool_map", ("forkserver",), True, True),
                 ("-p", "prefork", (), False, False)]
        for mode, name, args, pooled, execs in cells:
            add("follow %s %s: %s%s" % (interp.name, mode, name,
                                        " " + " ".join(args) if args else ""),
                functools.partial(run_follow, interp, mode, name, args, pooled, execs))
        add("follow %s -p: workers unharmed when the tracer is SIGKILLed" % interp.name,
            functools.partial(sigkill_unharmed, interp))
    add("follow: refused with the markers and for several PIDs", refusals)


_register()
