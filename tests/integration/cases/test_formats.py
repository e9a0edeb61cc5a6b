"""The three output formats describe the same trace: jsonl records rebuild
the JSON tree, and the tree format shows the calls uftrace-style."""

import json

from ftlib import trees
from ftlib.flows import command, launch
from ftlib.harness import INCLUDE, Fail, expect_rc, need_py39, tool, workload
from ftlib.registry import case


def fib_args(fmt):
    py = need_py39()
    return ["-f", fmt, "--include", INCLUDE, "-c", command(py, workload("fib"))]


@case("format jsonl: every line parses, rebuilds the JSON tree, meta last")
def jsonl_matches_json():
    py = need_py39()
    ref = launch(["--include", INCLUDE], command(py, workload("fib")))
    res = tool(fib_args("jsonl"))
    expect_rc(res, 0)
    try:
        text = res.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("jsonl output is not UTF-8: %s" % e)
    if not text.endswith("\n"):
        raise Fail("jsonl output does not end with a newline")
    records = []
    for i, line in enumerate(text.splitlines()):
        try:
            records.append(json.loads(line))
        except ValueError as e:
            raise Fail("jsonl line %d does not parse: %s\n  %r" % (i + 1, e, line[:200]))
    try:
        threads, meta, lost = trees.threads_from_jsonl(records)
    except trees.FormatError as e:
        raise Fail("jsonl structure: %s" % e)
    if lost:
        raise Fail("unexpected lost records in jsonl: %s" % lost[:3])
    n_json = sum(trees.count_calls(t.calls) for t in ref.threads)
    n_jsonl = sum(1 for r in records if r.get("type") == "call")
    if n_json != n_jsonl:
        raise Fail("jsonl has %d calls, JSON has %d" % (n_jsonl, n_json))
    for key in ("pid", "python", "probe", "events", "lost"):
        if key not in meta:
            raise Fail("jsonl meta lacks %r: %s" % (key, meta))
    msg = trees.diff_threads(trees.filter_threads(ref.threads, list),
                             trees.filter_threads(threads, list))
    if msg:
        raise Fail("the tree rebuilt from jsonl differs from the JSON tree:\n  %s"
                   % msg.replace("\n", "\n  "))


@case("format tree: uftrace-style lines for fib")
def tree_lines():
    res = tool(fib_args("tree"))
    expect_rc(res, 0)
    try:
        text = res.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("tree output is not UTF-8: %s" % e)
    lines = text.splitlines()
    missing = [frag for frag in ("main() {", "fib() {", "fib();", "} /* fib */",
                                 "} /* main */", "<module>() {")
               if not any(frag in line for line in lines)]
    if missing:
        raise Fail("tree output lacks lines containing %s; it starts:\n    %s"
                   % (missing, "\n    ".join(lines[:25])))
    # fib(10) makes 177 fib calls: 89 leaves (fib(0) and fib(1)) and 88 with children
    leaves = sum(1 for line in lines if line.rstrip().endswith("fib();"))
    opens = sum(1 for line in lines if line.rstrip().endswith("fib() {"))
    closes = sum(1 for line in lines if line.rstrip().endswith("} /* fib */"))
    if (leaves, opens, closes) != (89, 88, 88):
        raise Fail("fib(10): expected 89 'fib();' leaves and 88 'fib() {' / '} /* fib */' "
                   "pairs, got %d leaves, %d opens, %d closes" % (leaves, opens, closes))
