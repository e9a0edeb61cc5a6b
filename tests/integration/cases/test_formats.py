"""The three output formats describe the same trace: jsonl records rebuild
the JSON tree, and the tree format shows the calls uftrace-style."""

import json
import re

from ftlib import trees
from ftlib.flows import attach, attach_raw, command, launch
from ftlib.harness import INCLUDE, Fail, expect_rc, need_py39, tool, workload
from ftlib.registry import case


def fib_args(fmt):
    py = need_py39()
    return ["-f", fmt, "--include", INCLUDE, "-c", command(py, workload("fib"))]


def jsonl_threads(res):
    """Parses -f jsonl output; returns (threads rebuilt from it, records)."""
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
    for key in ("pid", "python", "probe", "events", "lost"):
        if key not in meta:
            raise Fail("jsonl meta lacks %r: %s" % (key, meta))
    return trees.filter_threads(threads, list), records


def without_flags(threads):
    def strip(nodes):
        out = []
        for n in nodes:
            c = n.copy(strip(n.children))
            c.flags = frozenset()
            out.append(c)
        return out

    return trees.filter_threads(threads, strip)


def same_trace(ref, threads, records, what):
    n_json = sum(trees.count_calls(t.calls) for t in ref)
    n_jsonl = sum(1 for r in records if r.get("type") == "call")
    if n_json != n_jsonl:
        raise Fail("%s: jsonl has %d calls, JSON has %d" % (what, n_jsonl, n_json))
    # jsonl records carry no flags: compare the structure without them
    msg = trees.diff_threads(without_flags(ref), without_flags(threads))
    if msg:
        raise Fail("%s: the tree rebuilt from jsonl differs from the JSON tree:\n  %s"
                   % (what, msg.replace("\n", "\n  ")))


@case("format jsonl: every line parses, rebuilds the JSON tree, meta last")
def jsonl_matches_json():
    py = need_py39()
    ref = launch(["--include", INCLUDE], command(py, workload("fib")))
    res = tool(fib_args("jsonl"))
    expect_rc(res, 0)
    threads, records = jsonl_threads(res)
    same_trace(trees.filter_threads(ref.threads, list), threads, records, "-c")


@case("format jsonl in attach mode: frames entered before attach nest the same")
def jsonl_attach():
    py = need_py39()
    path = workload("fib")
    ref = attach(["--include", INCLUDE], [py, path])
    res, _ = attach_raw(["-f", "jsonl", "--include", INCLUDE], [py, path])
    threads, records = jsonl_threads(res)
    depths = [r["depth"] for r in records if r.get("type") == "call" and r["func"] == "<module>"
              and r["file"] == path]
    if len(depths) != 1:
        raise Fail("expected one <module> call of %s in jsonl, got %d" % (path, len(depths)))
    same_trace(trees.filter_threads(ref.threads, list), threads, records, "-p")


@case("format tree: uftrace-style lines for fib")
def tree_lines():
    res = tool(fib_args("tree"))
    expect_rc(res, 0)
    try:
        text = res.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("tree output is not UTF-8: %s" % e)
    lines = text.splitlines()
    # "| fib() {  # file:line", "| fib();  # file:line", "| } /* fib */"
    patterns = {
        "open": re.compile(r"\|\s+fib\(\) \{"),
        "leaf": re.compile(r"\|\s+fib\(\);"),
        "close": re.compile(r"\|\s+\} /\* fib \*/"),
        "main": re.compile(r"\|\s+main\(\) \{"),
        "module": re.compile(r"\|\s+<module>\(\) \{"),
    }
    counts = {k: sum(1 for line in lines if p.search(line)) for k, p in patterns.items()}
    # fib(10) makes 177 fib calls: 89 leaves (fib(0) and fib(1)) and 88 with children
    want = {"open": 88, "leaf": 89, "close": 88, "main": 1, "module": 1}
    if counts != want:
        raise Fail("expected lines %s, got %s; the output starts:\n    %s"
                   % (want, counts, "\n    ".join(lines[:25])))
