"""The interpreter matrix (issue 3): every CPython found (pyenv 3.8-3.13, the 3.14 builds
of scripts/build-python314.sh, free-threaded 3.14t included, Debian's python3.11, the
marker-complete 3.9) runs every workload under
flowtrace-bpf, launched (-c) and attached at a start gate (-p), with the
method auto picks and with each other method that must give complete
trees there. -v must name the expected method, and the tree, restricted
to the workload's frames, must equal the oracle's (sys.setprofile on the
same interpreter; for the interpreter uprobes, calls named by co_qualname
on 3.11+ and resumes lined at their code's first line, as they report
them). CPythons before 3.8 must be refused (exit 6).

Case names: "matrix INTERP MODE METHOD: WORKLOAD", e.g.
"matrix pyenv-3.12.1 -p auto(frame): generators"; select with -k.
FT_MATRIX_DUMP=DIR writes both trees of each case compared to DIR."""

import functools
import os
import re

from ftlib import interps, trees
from ftlib.flows import attach_raw, command, start_gated
from ftlib.harness import (INCLUDE, Fail, Skip, cfg, check_well_formed, child_env, expect_rc,
                           expect_trees, oracle, parse_json, tool, tool_threads, workload)
from ftlib.registry import add

# Every workload runs on every interpreter (monitoring_active: 3.12+).
WORKLOADS = [
    "fib",  # recursion
    "deep_recursion",  # 300 frames
    "deep_levels",  # 200 and 1000 frames, exceptions caught 1..200 frames up, finally
    "three_threads",
    "generators",  # yield from, send, throw, close
    "async_tasks",
    "exceptions_flow",
    "context_managers",
    "classes",
    "unicode_names",
    "long_names",  # non-ASCII, and names over the 1023-byte cap
    "settrace_active",
    "monitoring_active",
    "warm_attach",  # -p: call sites specialised before attach
    "getitem",  # a Python __getitem__ specialised (3.11+: BINARY_SUBSCR_GETITEM), with callees
    "midrun_attach",  # -p: 100 frames and a started generator on the stack at attach
    "finalizers",  # __del__ while a frame is cleared: next(), for, list(), close(), tasks
    "reused_code",  # code objects freed and their memory reused: every name its own
    "parallel_threads",  # 4 threads at once (3.14t: in parallel), 2 parked 30 deep at attach
    "yield_at_attach",  # -p: the thread's first event is a yield (placed past the unlink)
]
NEEDS = {"monitoring_active": (3, 12)}
# Traced without --include, comparing the subtree of this function of the
# workload, which calls only the workload's own functions: frames that are
# no Python call would hide behind the filter otherwise.
UNFILTERED = {"classes": "main", "reused_code": "main"}
# Names of frames that are no call of the program (3.12's entry frames run
# <interpreter trampoline>, 3.13's have no code object: <unknown>) or could
# not be read: the filter must not hide them, so every tree shows them if
# the tracer ever reports one (the oracle never has them).
PHANTOMS = ["<interpreter trampoline>", "<unknown>", "<unreadable>"]
NAME_CAP = 1023  # bytes of a name that arrive whole; longer ones are cut and flagged

DISCOVERY = interps.Discovery(cfg.py39, cfg.py314, cfg.py314_missing)


def only_workload_frames(threads):
    return trees.filter_threads(threads, lambda calls: trees.apply_globs(calls, [INCLUDE]))


# Workloads whose threads started by a call of root wait in a call of park
# while the main thread is at the gate: a tracer attaching then sees them
# from there (threads started after the gate are seen whole).
PARKED = {"parallel_threads": ("early", "park")}


def as_attached(threads, path):
    """The oracle's gated run as a tracer attached at the gate sees it
    (the gate may be deep in the main thread's stack; other threads may
    wait in a park call of their own)."""
    main = threads[0]
    calls = trees.attached_view(main.calls, lambda n: n.func == "gate" and n.file == path)
    if calls is None:
        raise Fail("the oracle's gated run of %s has no gate() call" % path)
    out = [trees.Thread(main.tid, main.name, calls)]
    root, park = PARKED.get(os.path.splitext(os.path.basename(path))[0], (None, None))
    for t in threads[1:]:
        view = None
        if root and t.calls and t.calls[0].func == root:
            view = trees.attached_view(t.calls, lambda n: n.func == park and n.file == path)
            if view is None:
                raise Fail("the oracle's thread %s of %s has no %s() call" % (t.tid, path, park))
        out.append(trees.Thread(t.tid, t.name, view) if view is not None else t)
    return out


def long_names(expected, actual):
    """Names over the cap: expected calls get the name_truncated flag, and
    a flagged actual name that is a prefix of an expected long name, cut
    within a few bytes of the cap, is compared as that name. Returns a
    list of problems with the cut itself."""
    longs = set()
    for t in expected:
        for n, _ in trees.walk(t.calls):
            if n.lost is None and len(n.func.encode("utf-8")) > NAME_CAP:
                n.flags = n.flags | {"name_truncated"}
                longs.add(n.func)
    problems = []
    for t in actual:
        for n, _ in trees.walk(t.calls):
            if n.lost is not None or "name_truncated" not in n.flags:
                continue
            got = len(n.func.encode("utf-8"))
            full = [s for s in longs if s.startswith(n.func)]
            if not full:
                problems.append("flagged name_truncated but not a prefix of a long name: %s"
                                % n.label())
            elif not NAME_CAP - 4 <= got <= NAME_CAP:
                problems.append("%s cut to %d bytes, expected %d-%d (the cap, at a character "
                                "boundary)" % (n.label(), got, NAME_CAP - 3, NAME_CAP))
            else:
                n.func = full[0]
    return problems


def subtree_of(threads, func, path):
    """The first call of func in path and everything under it, as a forest
    of one thread."""
    for t in threads:
        n = trees.find_first(t.calls, lambda n: n.func == func and n.file == path)
        if n is not None:
            return [trees.Thread(t.tid, t.name, [n])]
    raise Fail("no call of %s() in %s" % (func, path))


def close_runs_no_frame(threads):
    """CPython 3.14's gen.close() of a generator suspended outside any try
    block does not run its frame when no tool listens for unwinding
    (genobject.c, _PyEval_NoToolsForUnwind): the untraced process, which
    flowtrace-bpf only reads, runs no Python code there. The oracle's
    sys.setprofile is such a tool, so in its run close() throws
    GeneratorExit into the frame, which shows as one more call. That call
    is the oracle's own doing (test_py314's "gen.close()" case shows the
    fact with a monitoring tool that does not listen for unwinding), so it
    is removed from the expected tree: finalizers' by_close() closes
    holder() suspended at its for loop's yield, so its second holder()
    child (the one close() ran) goes."""
    def fix(nodes):
        for n in nodes:
            if n.func == "by_close":
                holders = [c for c in n.children if c.func == "holder"]
                if len(holders) == 2:
                    n.children.remove(holders[1])
            fix(n.children)
    for t in threads:
        fix(t.calls)
    return threads


def links_line(stderr):
    """(uprobe_multi, perf-event) link counts from -v, or None."""
    m = re.search(r"probes held by (\d+) uprobe_multi and (\d+) perf-event links", stderr)
    return (int(m.group(1)), int(m.group(2))) if m else None


def method_line(stderr):
    """The method -v names: "flowtrace-bpf: method NAME: why"."""
    for line in stderr.splitlines():
        if line.startswith("flowtrace-bpf: method "):
            return line[len("flowtrace-bpf: method "):].split(":", 1)[0].strip(), line
    return None, None


def check_output(res, want_method, pid=None, perf_links=False):
    got, line = method_line(res.stderr)
    if got != want_method:
        raise Fail("expected -v to say 'method %s', got %s\n  %s" % (
            want_method, repr(line) if line else "no method line", res.context()))
    links = links_line(res.stderr)
    # this kernel has uprobe_multi links: the interpreter methods use them
    # unless told not to; markers always take perf-event links
    if links is None or (want_method != "usdt" and (links[0] == 0) != perf_links):
        raise Fail("expected -v to report %s links, got %s\n  %s" % (
            "only perf-event" if perf_links else "uprobe_multi", links, res.context()))
    doc = parse_json(res.stdout, res)
    threads = tool_threads(doc)
    meta = doc["meta"]
    if pid is not None and meta.get("pid") != pid:
        raise Fail("meta.pid: expected %d, got %r" % (pid, meta.get("pid")))
    if meta.get("lost") != 0:
        raise Fail("meta.lost: expected 0, got %r (drops %r)" % (meta.get("lost"),
                                                                meta.get("drops")))
    # frames leaving that no probe saw start: none, on every method
    if meta.get("drops", {}).get("unplaced"):
        raise Fail("meta.drops.unplaced: expected 0, got %r" % meta["drops"]["unplaced"])
    check_well_formed(threads)
    return doc, threads, line


def check_flags(threads, allowed_flags):
    for t in threads:
        for n, _ in trees.walk(t.calls):
            if n.lost is not None:
                raise Fail("lost-records marker %s in thread %s" % (n.label(), t.tid))
            extra = n.flags - set(allowed_flags)
            if extra:
                raise Fail("unexpected flags %s on %s in thread %s" % (
                    sorted(extra), n.label(), t.tid))


def run_cell(interp, mode, opts, want, name, env=None):
    return exact_cell(interp, mode, opts, want, name, env)


def exact_cell(interp, mode, opts, want, name, env=None):
    if interp.minor < NEEDS.get(name, (0, 0)):
        raise Skip("%s needs %d.%d+" % ((name,) + NEEDS[name]))
    path = workload(name)
    root = UNFILTERED.get(name)
    view = functools.partial(subtree_of, func=root, path=path) if root else only_workload_frames
    shown = [INCLUDE] + PHANTOMS
    args = ["-v", "-f", "json"] + ([] if root else [a for g in shown for a in ("--include", g)]) \
        + list(opts)
    allowed = {"name_truncated"} if name == "long_names" else set()
    perf = bool((env or {}).get("FLOWTRACE_NO_UPROBE_MULTI"))  # env may set other knobs
    if mode == "-c":
        res = tool(args + ["-c", command(interp.path, path)], timeout=120,
                   env=child_env(env) if env else None)
        expect_rc(res, 0)
        doc, threads, line = check_output(res, want, perf_links=perf)
        expected = view(oracle(path, interp=interp.path, uprobes=interp.uprobes(want)))
    else:
        allowed.add("entered_before_attach")
        res, pid = attach_raw(args, [interp.path, path], tool_env=env)
        doc, threads, line = check_output(res, want, pid, perf_links=perf)
        expected = oracle(path, gate=True, interp=interp.path, uprobes=interp.uprobes(want))
        expected = view(expected) if root else as_attached(view(expected), path)
    if root:
        threads = subtree_of(threads, root, path)
    if name == "finalizers" and interp.minor >= (3, 14):
        expected = close_runs_no_frame(expected)
    n = sum(trees.count_calls(t.calls) for t in expected)
    if n < 5:
        raise Fail("test bug: the expected tree of %s has only %d calls" % (name, n))
    actual = trees.filter_threads(threads, list)
    problems = long_names(expected, actual)
    if problems:
        raise Fail("\n".join(problems))
    dump = os.environ.get("FT_MATRIX_DUMP")
    if dump:  # both trees as indented text, to diff by hand
        os.makedirs(dump, exist_ok=True)
        stem = os.path.join(dump, "%s%s%s-%s" % (interp.name, mode, "".join(opts), name))
        for suffix, threads_ in ((".expected", expected), (".got", actual)):
            with open(stem + suffix, "w", encoding="utf-8") as f:
                for t in threads_:
                    f.write("thread\n%s\n" % trees.render_text(t.calls, 1, 100000))
    check_flags(actual, allowed)
    context = "the oracle on %s; method %s" % (interp.name, want)
    expect_trees(expected, actual, context)
    note = "%s, %d calls" % (doc["meta"].get("probe"), n)
    return note


def present():
    missing_required = []
    if not any(i.kind == "debian" for i in DISCOVERY.interps):
        missing_required.append(interps.DEBIAN_311)
    if not any(i.kind == "dtrace" for i in DISCOVERY.interps):
        missing_required.append("the marker-complete 3.9 (%s)" % cfg.py39_missing)
    for variant in interps.PY314:
        if not any(i.name == "py3.14-" + variant for i in DISCOVERY.interps):
            missing_required.append("CPython 3.14 %s (%s)" % (variant, cfg.py314_missing))
    if missing_required and cfg.ci:
        raise Fail("%s\n  CI=true: %s required" % (DISCOVERY.summary(),
                                                   " and ".join(missing_required)))
    # absent pyenv builds are stated, not failed: the machine may lack them
    return DISCOVERY.summary()


add("matrix: interpreters present", present)


def cell_label(opts, want):
    if "--method" in opts:
        return " ".join(opts)
    return " ".join(["auto(%s)" % want] + list(opts))


for _interp in DISCOVERY.interps:
    for _mode, _opts, _want in _interp.cells():
        for _name in WORKLOADS:
            if _interp.minor < NEEDS.get(_name, (0, 0)):
                continue
            add("matrix %s %s %s: %s" % (_interp.name, _mode, cell_label(_opts, _want), _name),
                functools.partial(run_cell, _interp, _mode, _opts, _want, _name))


# Kernels before 6.6 have no uprobe_multi links: each uprobe gets a
# perf-event link of its own. FLOWTRACE_NO_UPROBE_MULTI=1 takes that path
# here, for each interpreter's auto method, on a workload with starts,
# yields, returns and catches.
PERF_LINKS = {"FLOWTRACE_NO_UPROBE_MULTI": "1"}
for _interp in DISCOVERY.interps:
    for _mode, _opts, _want in _interp.cells():
        if "--method" in _opts or _opts or _want == "usdt":
            continue
        add("matrix %s %s %s, perf-event links: generators"
            % (_interp.name, _mode, cell_label(_opts, _want)),
            functools.partial(run_cell, _interp, _mode, _opts, _want, "generators", PERF_LINKS))


# ---------------------------------------------------------------- refusals

WAIT_AT_GATE = ("import sys; sys.stderr.write('FT_GATE_READY\\n'); sys.stderr.flush(); "
                "sys.stdin.readline()")


def refuse_old(version, path, mode):
    from cases.test_errors import expect_diagnosis  # one definition of "one line + hints"
    short = ".".join(version.split(".")[:2])
    if mode == "-c":
        res = tool(["-c", command(path, "-c", "pass")])
        expect_diagnosis(res, 6, [short])
        return
    target = start_gated([path, "-c", WAIT_AT_GATE])
    res = tool(["-p", str(target.pid)])
    expect_diagnosis(res, 6, [short])
    if not target.alive():
        raise Fail("the refused target died")
    target.send(b"go\n")
    target.close_stdin()
    if target.wait(10) != 0:
        raise Fail("the refused target exited with %s" % target.rc)


def refuse_hook(interp, mode):
    """--eval-hook=on on 3.11-3.13: refused in one line, the target
    untouched. Each would change the target or miss calls there (src/
    method.c): 3.11 before 3.11.4 runs a Python __getitem__ inline under
    PEP 523, unseen (the getitem workload under the old acceptance: 4 of
    its calls missing); 3.11.4+ crashed (SIGSEGV) on a recursion 60000
    deep that runs untraced; 3.12 raised RecursionError at depth 900; 3.13
    runs __init__ of a called class inline."""
    from cases.test_errors import expect_diagnosis
    short = ".".join(interp.version.split(".")[:2])
    if mode == "-c":
        res = tool(["--eval-hook=on", "-c", command(interp.path, "-c", "print('ran')")])
        expect_diagnosis(res, 6, [short, "eval hook"])
        return
    target = start_gated([interp.path, "-c", WAIT_AT_GATE])
    res = tool(["--eval-hook=on", "-p", str(target.pid)])
    expect_diagnosis(res, 6, [short, "eval hook"])
    if not target.alive():
        raise Fail("the refused target died")
    target.send(b"go\n")
    target.close_stdin()
    if target.wait(10) != 0:
        raise Fail("the refused target exited with %s" % target.rc)


for _interp in DISCOVERY.interps:
    if _interp.minor >= (3, 11):
        for _mode in ("-c", "-p"):
            add("matrix %s %s --eval-hook=on: refused, exit 6, one line, target untouched"
                % (_interp.name, _mode), functools.partial(refuse_hook, _interp, _mode))


for _version, _path in DISCOVERY.old:
    for _mode in ("-c", "-p"):
        add("matrix pyenv-%s %s: refused, exit 6, one line" % (_version, _mode),
            functools.partial(refuse_old, _version, _path, _mode))
