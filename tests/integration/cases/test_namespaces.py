"""Targets in a PID namespace (a container): CPython 3.11+ stores each
thread's id as its own namespace numbers it (native_thread_id), while
/proc and BPF give the host's ids. The workload runs under `unshare --pid
--fork --mount-proc` (and with `--user --map-root-user` too: a user
namespace, as rootless containers have), the tracer attaches with -p and
the host PID at the start gate, and the tree must equal the oracle's, as
in the matrix; output keeps the host's ids. Threads parked before the
gate wake with no eval-loop entry to name their thread state, so on 3.12+
BPF must find it by the thread's id in the target's namespace."""

import functools
import os

from ftlib import trees
from ftlib.flows import start_gated
from ftlib.harness import (INCLUDE, Fail, Result, Skip, check_well_formed, expect_rc,
                           expect_trees, oracle, parse_json, start_tool, tool_threads,
                           wait_ready, workload)
from ftlib.registry import add

from .test_interp_matrix import DISCOVERY, check_flags, method_line

UNSHARE = "/usr/bin/unshare"
WORKLOADS = ["parked_threads", "three_threads"]
NAMESPACES = {"pid": ["--pid", "--fork", "--mount-proc"],
              "pid+user": ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc"]}


def child_of(pid):
    """The one child of pid (unshare --fork's), or None."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = f.read().split()
    except OSError:
        return None
    return int(kids[0]) if len(kids) == 1 else None


def nspid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    raise Skip("the kernel has no NSpid in /proc/PID/status")


def parked_view(thread, path):
    """A thread parked in park() at the gate, as the tracer sees it."""
    calls = trees.attached_view(thread.calls, lambda n: n.func == "park" and n.file == path)
    return trees.Thread(thread.tid, thread.name, calls if calls is not None else thread.calls)


def expected_tree(interp, path, method):
    threads = oracle(path, gate=True, interp=interp.path, uprobes=method != "usdt")
    threads = trees.filter_threads(threads, lambda calls: trees.apply_globs(calls, [INCLUDE]))
    main = threads[0]
    calls = trees.attached_view(main.calls, lambda n: n.func == "gate" and n.file == path)
    if calls is None:
        raise Fail("the oracle's gated run of %s has no gate() call" % path)
    return [trees.Thread(main.tid, main.name, calls)] + [parked_view(t, path)
                                                          for t in threads[1:]]


def ns_cell(interp, opts, want, ns, name):
    if not os.access(UNSHARE, os.X_OK):
        raise Skip("no %s" % UNSHARE)
    path = workload(name)
    target = start_gated([UNSHARE] + NAMESPACES[ns] + [interp.path, path])
    pid = child_of(target.pid)
    if pid is None:
        raise Fail("cannot find the python process under unshare (PID %d)" % target.pid)
    ids = nspid(pid)
    if len(ids) < 2 or ids[0] != pid:
        raise Fail("PID %d is not in a PID namespace of its own: NSpid %s" % (pid, ids))
    tracer = start_tool(["-v", "-f", "json", "--include", INCLUDE] + list(opts) +
                        ["-p", str(pid)])
    wait_ready(tracer)
    target.send(b"go\n")
    target.close_stdin()
    rc = target.wait(60, "the traced target")
    if rc != 0:
        raise Fail("the traced target exited with %s\n%s" % (rc, target.stderr_tail()))
    tracer.wait(30, "flowtrace-bpf after its target exited")
    res = Result(tracer)
    expect_rc(res, 0)
    got, line = method_line(res.stderr)
    if got != want:
        raise Fail("expected -v to say 'method %s', got %r\n  %s" % (want, line, res.context()))
    doc = parse_json(res.stdout, res)
    meta = doc["meta"]
    if meta.get("pid") != pid:
        raise Fail("meta.pid: expected the host PID %d, got %r" % (pid, meta.get("pid")))
    if meta.get("lost") != 0 or meta.get("drops", {}).get("unplaced"):
        raise Fail("expected nothing lost or unplaced, got lost %r, drops %r"
                   % (meta.get("lost"), meta.get("drops")))
    threads = tool_threads(doc)
    check_well_formed(threads)
    # host ids: the main thread's is the host PID; the namespace numbers
    # threads from 1, which the host never gives a target's thread
    tids = sorted(t.tid for t in threads)
    if pid not in tids or min(tids) <= ids[-1] + len(threads):
        raise Fail("expected the host's thread ids (the main thread's is %d), got %s"
                   % (pid, tids))
    check_flags(threads, {"entered_before_attach"})
    expected = expected_tree(interp, path, want)
    expect_trees(expected, trees.filter_threads(threads, list),
                 "the oracle on %s; method %s; %s namespace" % (interp.name, want, ns))
    return "%s, NSpid %s, %d threads" % (want, ids, len(threads))


def cells():
    """3.11+ store native_thread_id: pyenv 3.11-3.13 and Debian's 3.11,
    each with its auto method (read-only uprobes)."""
    for interp in DISCOVERY.interps:
        if interp.minor >= (3, 11) and interp.kind in ("debian", "pyenv"):
            yield interp, (), interp.auto_method("-p")


for _interp, _opts, _want in cells():
    for _ns in NAMESPACES:
        for _name in WORKLOADS:
            add("namespaces %s %s -p %s: %s" % (_interp.name, _ns, " ".join(_opts) or
                                                "auto(%s)" % _want, _name),
                functools.partial(ns_cell, _interp, _opts, _want, _ns, _name))
