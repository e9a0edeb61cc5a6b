"""The C fixture (tests/fixtures/sdt_fixture.c) drives the BPF path with
trees known from its parameters: deep recursion, awkward names, threads
firing at once, and a flood that overruns a small ring buffer."""

from ftlib import trees
from ftlib.flows import attach, command, launch
from ftlib.harness import Fail, cfg, expect_rc, expect_trees, no_flags, tool
from ftlib.registry import case

CAP = 1024  # FT_FUNC_MAX: names up to CAP-1 bytes arrive whole


def chain(n, func, file, line):
    node = None
    for _ in range(n):
        node = trees.Node(func, file, line, children=[node] if node else [])
    return [node]


@case("fixture recurse 500 (-c): one 500-deep chain")
def recurse_launch():
    tr = launch([], command(cfg.fixture, "recurse", "500"))
    no_flags(tr.threads)
    want = [trees.Thread(0, None, chain(500, "f", "/fixture/recurse.py", 7))]
    expect_trees(want, trees.filter_threads(tr.threads, list), "a chain of 500 f() calls")


@case("fixture recurse 300 (-p at the gate): gate_wait entered before attach")
def recurse_attach():
    tr = attach([], [cfg.fixture, "--gate", "recurse", "300"])
    no_flags(tr.threads, allowed={"entered_before_attach"})
    gate = trees.Node("gate_wait", "/fixture/gate.py", None, ["entered_before_attach"])
    gate.ignore_line = True
    want = [trees.Thread(0, None, [gate] + chain(300, "f", "/fixture/recurse.py", 7))]
    expect_trees(want, trees.filter_threads(tr.threads, list),
                 "gate_wait (before attach), then a chain of 300 f() calls")


# Mirrors names() in sdt_fixture.c: (func as JSON shows it, how it is checked).
# "exact": func equal and no name_truncated flag; "cut": func starts with
# the first bytes of the name, is shorter, and name_truncated is set.
NAMES = [
    ("n300_" + "a" * 295, "exact"),
    ("n1023_" + "b" * 1017, "exact"),  # CAP-1 bytes: fits exactly
    ("n1024_" + "c" * 1018, "cut"),  # CAP bytes: one too many
    ("n5000_" + "d" * 4994, "cut"),
    ("naïve_ünïcode", "exact"),
    ("函数", "exact"),
    ("q\"uote'\\back\nnew\ttab", "exact"),
    ("bad\ufffd\ufffdutf8", "exact"),  # \xff \xfe: one U+FFFD each
    ("cut\ufffd", "exact"),  # \xe5\x87, a truncated sequence: one U+FFFD
    ("", "exact"),
    ("long_file", "file-cut"),  # its file path is 3000 bytes
    ("after", "exact"),
]
LONG_FILE_PREFIX = "/fixture/long_" + "x" * 1000


def check_name(i, n, want, how):
    flagged = "name_truncated" in n.flags
    if n.line != 100 + i:
        return "line %s, expected %d" % (n.line, 100 + i)
    if how == "exact":
        if n.func != want:
            return "func %r, expected %r" % (trees.shorten(n.func), trees.shorten(want))
        if flagged:
            return "flagged name_truncated, but %d bytes fit in the %d-byte cap" % (
                len(want.encode()), CAP)
        if n.file != "/fixture/names.py":
            return "file %r" % trees.shorten(n.file)
    elif how == "cut":
        keep = want[:CAP - 1 - 16]
        if not n.func.startswith(keep) or len(n.func) >= len(want) or not flagged:
            return ("expected the name cut near %d bytes and flagged name_truncated; got %d "
                    "chars %r, flags %s" % (CAP - 1, len(n.func), trees.shorten(n.func),
                                            sorted(n.flags)))
    elif how == "file-cut":
        if n.func != want or not n.file.startswith(LONG_FILE_PREFIX) or len(n.file) >= 3000 \
                or not flagged:
            return ("expected func %r with its 3000-byte file cut and flagged; got func %r, "
                    "file of %d chars, flags %s" % (want, n.func, len(n.file), sorted(n.flags)))
    return None


@case("fixture names (JSON): long names whole up to the cap, cut and flagged beyond, "
      "UTF-8 intact, escapes, invalid bytes")
def names_json():
    tr = launch([], command(cfg.fixture, "names"))
    no_flags(tr.threads, allowed={"name_truncated"})
    calls = [n for t in tr.threads for n in t.calls]
    if [len(n.children) for n in calls] != [0] * len(calls) or len(calls) != len(NAMES):
        raise Fail("expected %d top-level calls without children, got %d: %s"
                   % (len(NAMES), len(calls), [n.label() for n in calls]))
    problems = []
    for i, ((want, how), n) in enumerate(zip(NAMES, calls)):
        msg = check_name(i, n, want, how)
        if msg:
            problems.append("call %d (%s): %s" % (i, trees.shorten(want, 30), msg))
    if problems:
        raise Fail("\n".join(problems))


@case("fixture names (tree): UTF-8 intact, control characters and bad bytes escaped")
def names_tree():
    res = tool(["-f", "tree", "-c", command(cfg.fixture, "names")])
    expect_rc(res, 0)
    try:
        text = res.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("tree output is not valid UTF-8: %s" % e)
    lines = text.splitlines()
    problems = []
    for frag in ("naïve_ünïcode()", "函数()", "after()", "n300_" + "a" * 295 + "()",
                 "n1023_" + "b" * 1017 + "()", "bad\\xff\\xfeutf8()"):
        if not any(frag in l for l in lines):
            problems.append("no line contains %r" % trees.shorten(frag))
    if "back\nnew" in text or "new\ttab" in text:
        problems.append("a raw newline or tab from a name reached the output")
    if problems:
        raise Fail("\n".join(problems) + "\n  output:\n    " + "\n    ".join(
            trees.shorten(l, 120) for l in lines[:30]))


@case("fixture threads 4 x 2000: per-thread trees and names")
def threads():
    k, n = 4, 2000
    tr = launch([], command(cfg.fixture, "threads", k, n))
    no_flags(tr.threads)
    want = []
    for i in range(k):
        pair = trees.Node("worker%d_outer" % i, "/fixture/threads.py", 20, children=[
            trees.Node("worker%d_inner" % i, "/fixture/threads.py", 30)])
        want.append(trees.Thread(i, None, [pair.copy() for _ in range(n)]))
    got = trees.filter_threads(tr.threads, list)
    expect_trees(want, got, "%d threads, each %d outer->inner pairs" % (k, n))
    names = sorted(t.name or "" for t in got)
    if names != ["ft-worker-%d" % i for i in range(k)]:
        raise Fail("thread names: expected ft-worker-0..%d, got %s" % (k - 1, names))


@case("fixture flood with the smallest ring: losses counted and shown, tree intact")
def flood():
    n = 300000
    tr = launch(["--ring-size", "16K"], command(cfg.fixture, "flood", n), lost_ok=True)
    lost = tr.meta["lost"]
    if not lost:
        raise Fail("meta.lost is %r after %d calls through a 16K ring: no losses forced?"
                   % (lost, n))
    markers = [m for t in tr.threads for m in trees.lost_markers(t.calls)]
    if not markers:
        raise Fail("meta.lost is %d but the tree has no lost-records marker" % lost)
    shown = sum(m.lost for m in markers)
    if shown > lost:
        raise Fail("the markers count %d lost records, meta.lost only %d" % (shown, lost))
    tiny = 0
    for t in tr.threads:
        for node, _ in trees.walk(t.calls):
            if node.lost is not None:
                continue
            if node.func not in ("flood", "tiny") or node.file != "/fixture/flood.py":
                raise Fail("a call that never happened: %s in %s" % (node.label(), node.file))
            if node.func == "tiny":
                tiny += 1
                if node.children and any(c.lost is None for c in node.children):
                    raise Fail("tiny() has calls under it: %s" % [
                        c.label() for c in node.children][:5])
    if not 0 < tiny < n:
        raise Fail("expected some but not all of the %d tiny() calls, got %d" % (n, tiny))
    return "%d of %d calls seen, %d records lost, %d markers" % (tiny, n, lost, len(markers))
