"""Self-tests of the harness pieces the other cases trust: the tree
filters, the attach view, the diff, the JSON/JSONL loaders, and the
oracle itself (on a tiny program whose true tree is written out here).
No tracer involved."""

import os
import sys

from ftlib import trees
from ftlib.harness import Fail, Proc, cfg, child_env
from ftlib.registry import case

N = trees.Node


def eq(got, want, what):
    if got != want:
        raise Fail("%s:\n  expected %r\n  got      %r" % (what, want, got))


def shape(nodes):
    """[(func, [children...])] for compact expectations."""
    return [(n.func if n.lost is None else "<lost>", shape(n.children)) for n in nodes]


def sample():
    return [N("<module>", "/w/workloads/a.py", 1, children=[
        N("helper", "/usr/lib/python3.9/x.py", 5, children=[
            N("cb", "/w/workloads/a.py", 9),
            N("inner", "/usr/lib/python3.9/x.py", 7, children=[N("cb", "/w/workloads/a.py", 9)]),
        ]),
        N("gate", "/w/workloads/a.py", 3, children=[N("decode", "/usr/lib/codecs.py", 319)]),
        N("main", "/w/workloads/a.py", 12, children=[N("leaf", "/w/workloads/a.py", 20)]),
    ])]


@case("harness: tree filters, attach view and diff")
def tree_logic():
    f = sample()
    eq(shape(trees.apply_globs(f, ["*/workloads/*"])),
       [("<module>", [("cb", []), ("cb", []), ("gate", []), ("main", [("leaf", [])])])],
       "--include promotes children of hidden calls")
    eq(shape(trees.apply_globs(f, [], ["helper"])),
       [("<module>", [("cb", []), ("inner", [("cb", [])]), ("gate", [("decode", [])]),
                      ("main", [("leaf", [])])])], "--exclude promotes")
    eq(shape(trees.apply_globs(f, ["cb", "main"])), [("cb", []), ("cb", []), ("main", [])],
       "--include by name")
    eq(shape(trees.cut_depth(f, 2)),
       [("<module>", [("helper", []), ("gate", []), ("main", [])])], "--max-depth 2")
    eq(shape(trees.keep_if(f, lambda n: n.func == "cb")),
       [("<module>", [("helper", [("cb", []), ("inner", [("cb", [])])])])], "keep_if")

    att = trees.attached_view(f, lambda n: n.func == "gate")
    eq(shape(att), [("<module>", [("gate", [("decode", [])]), ("main", [("leaf", [])])])],
       "attach view drops what finished before the gate")
    eq([sorted(att[0].flags), sorted(att[0].children[0].flags), sorted(att[0].children[1].flags)],
       [["entered_before_attach"], ["entered_before_attach"], []], "attach view flags")

    # the diff names the first differing place
    other = sample()
    other[0].children[2].children[0].line = 21
    msg = trees.diff_forest(f, other) or ""
    if "leaf:20" not in msg or "leaf:21" not in msg or "main:12" not in msg:
        raise Fail("diff should point at main > leaf:20 vs leaf:21, said:\n%s" % msg)
    eq(trees.diff_forest(f, sample()), None, "equal forests")
    fewer = sample()
    del fewer[0].children[1]
    if "missing" not in (trees.diff_forest(f, fewer) or "") and \
            "expected" not in (trees.diff_forest(f, fewer) or ""):
        raise Fail("a missing call is not reported")
    # ignore_line matches any line; flags must match
    loose = trees.attached_view(sample(), lambda n: n.func == "gate")
    got = trees.attached_view(sample(), lambda n: n.func == "gate")
    got[0].ignore_line = False
    got[0].line = 77
    eq(trees.diff_forest(loose, got), None, "ignore_line")
    got[0].flags = frozenset()
    if trees.diff_forest(loose, got) is None:
        raise Fail("a missing entered_before_attach flag is not reported")

    # threads compare regardless of order
    t1 = trees.Thread(1, None, [N("a", "f", 1)])
    t2 = trees.Thread(2, None, [N("b", "f", 2)])
    eq(trees.diff_threads([t1, t2], [t2, t1]), None, "thread order ignored")
    if trees.diff_threads([t1, t2], [t1, t1]) is None:
        raise Fail("a wrong thread tree is not reported")


@case("harness: JSON and JSONL loaders, time checks")
def loaders():
    call = {"func": "f", "file": "x.py", "line": 1, "start_ns": 0, "dur_ns": 10, "children": [
        {"func": "g", "file": "x.py", "line": 2, "start_ns": 2, "dur_ns": 3, "children": []},
        {"lost": 4, "start_ns": 6}]}
    doc = {"meta": {}, "threads": [{"tid": 7, "name": "x", "calls": [call]}]}
    th = trees.threads_from_tool(doc)
    eq(shape(th[0].calls), [("f", [("g", []), ("<lost>", [])])], "JSON loader")
    eq(trees.check_times(th), None, "times nest")
    bad = {"meta": {}, "threads": [{"tid": 7, "calls": [dict(call, unfinished=False)]}]}
    try:
        trees.threads_from_tool(bad)
        raise Fail("a flag set to false was accepted")
    except trees.FormatError:
        pass
    late = {"meta": {}, "threads": [{"tid": 7, "calls": [dict(call, children=[
        dict(call["children"][0], start_ns=9)])]}]}
    if trees.check_times(trees.threads_from_tool(late)) is None:
        raise Fail("a child ending after its parent is not reported")

    rec = [
        {"type": "call", "tid": 7, "depth": 2, "func": "c", "file": "x", "line": 3,
         "start_ns": 2, "dur_ns": 1},
        {"type": "call", "tid": 7, "depth": 1, "func": "b", "file": "x", "line": 2,
         "start_ns": 1, "dur_ns": 3},
        {"type": "call", "tid": 8, "depth": 0, "func": "z", "file": "x", "line": 9,
         "start_ns": 1, "dur_ns": 3},
        {"type": "call", "tid": 7, "depth": 1, "func": "d", "file": "x", "line": 4,
         "start_ns": 5, "dur_ns": 1},
        {"type": "call", "tid": 7, "depth": 0, "func": "a", "file": "x", "line": 1,
         "start_ns": 0, "dur_ns": 9},
        {"type": "meta", "pid": 7},
    ]
    threads, meta, lost = trees.threads_from_jsonl(rec)
    eq([(t.tid, shape(t.calls)) for t in threads],
       [(7, [("a", [("b", [("c", [])]), ("d", [])])]), (8, [("z", [])])], "JSONL rebuild")


ORACLE_PROBE = '''\
import threading


def gen():
    yield 1
    yield 2


def fails():
    raise ValueError


def work():
    return 1


def main():
    for _ in gen():
        pass
    try:
        fails()
    except ValueError:
        pass
    for _ in range(2):
        t = threading.Thread(target=work)
        t.start()
        t.join()


main()
'''


@case("harness: the oracle's tree of a small program (resume lines, unwinds, threads)")
def oracle_probe():
    interp = cfg.py39 or sys.executable
    path = os.path.join(cfg.tmp, "workloads", "oracle_probe.py")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(ORACLE_PROBE)
    out = os.path.join(cfg.tmp, "oracle_probe.json")
    p = Proc([interp, os.path.join(cfg.here, "oracle.py"), "-o", out, path], env=child_env())
    if p.wait(60) != 0:
        raise Fail("oracle failed:\n%s" % p.stderr_tail())
    import json
    with open(out, encoding="utf-8") as f:
        threads = trees.threads_from_oracle(json.load(f))
    mine = trees.filter_threads(threads, lambda c: trees.apply_globs(c, ["*/workloads/*"]))
    main = [(n.func, n.line) for n, _ in trees.walk(mine[0].calls)]
    # gen: fresh at its def line (4), resumed at each yield (5, 6), then the
    # resume that ends it at line 6 too; fails() unwinds: one call.
    eq(main, [("<module>", 1), ("main", 17), ("gen", 4), ("gen", 5), ("gen", 6),
              ("fails", 9)], "oracle main thread (func, line) with %s" % interp)
    # two threads that may reuse one ident must still be two threads
    eq([shape(t.calls) for t in mine[1:]], [[("work", [])], [("work", [])]],
       "one entry per thread, even when a thread ident is reused")
