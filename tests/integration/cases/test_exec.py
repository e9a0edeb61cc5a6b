"""exec() mid-trace (issue 14): the traced process calls os.execve() from
inside go() (workloads/exec_into.py). The old program's frames must end
at the exec, flagged ended_by_exec, and nothing of the new program may
nest under them. The new program is traced afresh (threads with
"image": 1) when the probes still fit it: the markers (usdt) in a new run
of the same interpreter, compared with the oracle's run of that program.
Otherwise its trace ends at the exec with a one-line note: the
interpreter methods (their probes hold the old program's addresses: a
name read there would be wrong), another Python, a program that is not
Python. Under -c the tracer still waits for the command and passes its
exit status on.

A thread other than the main one calling exec ("same-from-thread") ends the
trace too: the markers' links were opened for the main thread, which the
exec replaced.

Case names: "exec INTERP MODE METHOD: into WHAT", MODE being -c, -p or
record (record -c, then replay), WHAT same, same-from-thread, other-python
or not-python."""

import functools
import os
import re
import signal

from ftlib import interps, trees
from ftlib.flows import attach_raw, command
from ftlib.harness import (INCLUDE, Fail, cfg, check_meta, check_well_formed, child_env,
                           expect_rc, expect_trees, oracle, parse_json, tool, tool_threads,
                           workload)
from ftlib.registry import add

EXEC_STATUS = 3  # what the other programs exit with: proof that -c waited for them
NOTE = re.compile(r"^flowtrace-bpf: PID (\d+) exec'd (.*?)"
                  r"(: its trace ends there"
                  r"|, not the traced interpreter: its trace ends there"
                  r"|, which could not be identified: its trace ends there"
                  r"| from thread \d+: its trace ends there)", re.M)


def def_line(path, func):
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if line.startswith("def %s(" % func):
                return i
    raise Fail("no def %s in %s" % (func, path))


def old_program(mode, pid, thread=False, method=None):
    """The old program's threads, stated from the workload's source: go()
    calls before(), which calls f() twice, then exec's; go() and <module>
    end at the exec. With --thread, go() runs in a second thread while the
    main one waits in in_thread(): both end at the exec. Attached at the gate (-p), gate() was running before
    attach, and so was <module>, which never returns: the interpreter
    methods read it from the stack at the thread's first event and show it
    as the ancestor of the rest, entered before attach (docs/design.md, the
    call-tree builder); with the markers (usdt) no probe names it, so it is
    not shown. The lines of <module> (the first statement's on 3.9)
    and of a frame from before attach (its return line with the markers)
    vary by method and version: not compared."""
    path = workload("exec_into")

    def n(func, flags=(), children=()):
        node = trees.Node(func, path, def_line(path, func) if func != "<module>" else 1, flags,
                          list(children))
        node.ignore_line = func in ("<module>", "gate")
        return node

    go = n("go", {"ended_by_exec"}, [n("before", (), [n("f"), n("f")])])
    caller = n("in_thread", {"ended_by_exec"}) if thread else go
    if mode == "-c":
        main = [n("<module>", {"ended_by_exec"}, [caller])]
    else:
        main = [n("gate", {"entered_before_attach"}), caller]
        if method != "usdt":
            main = [n("<module>", {"entered_before_attach", "ended_by_exec"}, main)]
    out = [trees.Thread(pid, None, main)]
    if thread:
        out.append(trees.Thread(None, None, [go]))
    return out


def other_python(interp):
    for cand in interps.Discovery(cfg.py39).interps:
        if cand.kind != interp.kind and os.path.realpath(cand.path) != \
                os.path.realpath(interp.path):
            return cand.path
    raise Fail("no second CPython to exec into")


def pause(tracer):
    os.kill(tracer.p.pid, signal.SIGSTOP)


def resume(tracer):
    os.kill(tracer.p.pid, signal.SIGCONT)


def run_exec(interp, mode, opts, method, into, env=None, paused=False):
    """paused (-p): the tracer is stopped from the gate until the target
    has exited, so every record, the new program's too, is in the ring
    before it reads the exec: only BPF can have kept the new program's
    calls out."""
    py = interp.path
    if into in ("same", "same-from-thread"):
        new_argv = [py, workload("fib")]
        status = 0
    elif into == "other-python":
        new_argv = [other_python(interp), "-c", "import sys; sys.exit(%d)" % EXEC_STATUS]
        status = EXEC_STATUS
    else:
        new_argv = ["/bin/sh", "-c", "exit %d" % EXEC_STATUS]
        status = EXEC_STATUS
    args = ["-f", "json", "--include", INCLUDE] + list(opts)
    thread = into == "same-from-thread"
    argv = [py, workload("exec_into")] + (["--thread"] if thread else []) + new_argv
    pid = None
    if mode == "-c":
        res = tool(args + ["-c", command(*argv)], env=child_env(env) if env else None)
        expect_rc(res, status, "flowtrace-bpf -c (the command's exit status)")
    elif mode == "record":
        # the trace file replays to what the live trace shows: the same checks
        out = os.path.join(cfg.tmp, "exec-%s-%s.ftrace" % (interp.name, into))
        res = tool(["record", "-o", out] + list(opts) + ["-c", command(*argv)])
        expect_rc(res, status, "flowtrace-bpf record -c (the command's exit status)")
        rec = res
        res = tool(["replay"] + args + [out])
        expect_rc(res, 0, "flowtrace-bpf replay")
        res.stderr = rec.stderr + res.stderr
    else:
        hooks = {"on_ready": pause, "on_target_exit": resume} if paused else {}
        res, pid = attach_raw(args, argv, target_rc=status, tool_env=env, **hooks)
    doc = parse_json(res.stdout, res)
    check_meta(doc, pid=pid, probe=method)
    pid = doc["meta"]["pid"]
    if doc["meta"]["drops"].get("read"):
        raise Fail("names were unreadable (drops.read %s): the old program's addresses were "
                   "read in the new one\n  %s" % (doc["meta"]["drops"], res.context()))
    threads = tool_threads(doc)
    check_well_formed(threads)

    old, new = [], []
    for t, raw in zip(threads, doc["threads"]):
        image = raw.get("image", 0)
        if image not in (0, 1) or (image and t.tid != pid):
            raise Fail("thread %s: image %r; expected 0, or 1 for the new program's main "
                       "thread (tid %d)" % (t.tid, image, pid))
        (new if image else old).append(t)
    want_old = old_program("-c" if mode == "record" else mode, pid, thread, method)
    expect_trees(want_old, old, "the old program, ended at the exec")

    follows = into == "same" and method == "usdt"
    note = NOTE.search(res.stderr)
    if follows:
        if note:
            raise Fail("the tracer ended the trace at an exec it can follow:\n  %s"
                       % res.context())
        want = trees.filter_threads(oracle(workload("fib"), interp=py),
                                    lambda calls: trees.apply_globs(calls, [INCLUDE]))
        expect_trees(want, new, "the new program: the oracle's run of fib.py")
        return "new program traced afresh"
    if not note or int(note.group(1)) != pid or note.group(2) != new_argv[0]:
        raise Fail("expected one line saying that PID %d exec'd %s and its trace ends "
                   "there\n  %s" % (pid, new_argv[0], res.context()))
    if new:
        raise Fail("calls after an exec the tracer does not follow: %s"
                   % [n.label() for n in new[0].calls])
    return note.group(0)


# Kernels before 6.6 have no uprobe_multi links; the interpreter methods'
# BPF must stop at the exec with perf-event links too.
PERF_LINKS = {"FLOWTRACE_NO_UPROBE_MULTI": "1"}
# the markers are used only when asked for (auto never switches them on)
USDT = ("--method", "usdt")
CELLS = []
for _interp in interps.Discovery(cfg.py39).interps:
    if _interp.kind == "dtrace":
        for _mode in ("-c", "-p"):
            for _into in ("same", "other-python", "not-python"):
                CELLS.append((_interp, _mode, USDT, "usdt", _into))
            CELLS.append((_interp, _mode, ("--method", "frame"), "frame", "same"))
        CELLS.append((_interp, "-c", USDT, "usdt", "same-from-thread"))
        CELLS.append((_interp, "-p", USDT, "usdt", "same-from-thread"))
        CELLS.append((_interp, "record", USDT, "usdt", "same"))
        CELLS.append((_interp, "record", ("--method", "frame"), "frame", "same"))
        CELLS.append((_interp, "-c", (), "eval", "same"))
        CELLS.append((_interp, "-p", ("--method", "frame"), "frame", "same", None, True))
        CELLS.append((_interp, "-p", USDT, "usdt", "same", None, True))
    elif _interp.kind == "pyenv" and _interp.minor == (3, 12):
        for _mode in ("-c", "-p"):
            CELLS.append((_interp, _mode, (), "frame", "same"))
        CELLS.append((_interp, "-p", (), "frame", "same", None, True))
        CELLS.append((_interp, "-c", (), "frame", "other-python"))
        CELLS.append((_interp, "-c", (), "frame", "not-python"))
        CELLS.append((_interp, "-c", (), "frame", "same-from-thread"))
        CELLS.append((_interp, "-c", (), "frame", "same", PERF_LINKS))
    elif _interp.kind == "debian":
        CELLS.append((_interp, "-c", (), "frame", "same"))

for _cell in CELLS:
    add("exec %s %s %s: into %s%s%s" % (
        _cell[0].name, _cell[1], _cell[3], _cell[4],
        ", perf-event links" if len(_cell) > 5 and _cell[5] else "",
        ", tracer paused until the target exits" if len(_cell) > 6 else ""),
        functools.partial(run_exec, *_cell))
