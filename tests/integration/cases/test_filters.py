"""Display filters, each compared with the oracle's tree filtered the same
way: --include by function name, --exclude promoting the children of what
it hides, --max-depth, and --min-duration (checked against which calls are
known to be slow)."""

from ftlib import trees
from ftlib.flows import command, launch
from ftlib.harness import INCLUDE, Fail, expect_trees, need_py39, no_flags, oracle, workload
from ftlib.registry import case


def run(name, args):
    py = need_py39()
    path = workload(name)
    tr = launch(args, command(py, path))
    no_flags(tr.threads)
    return path, trees.filter_threads(tr.threads, list)


@case("filter --include by function name: only fib calls, nested in each other")
def include_name():
    path, got = run("fib", ["--include", "fib"])
    want = trees.filter_threads(oracle(path), lambda c: trees.apply_globs(c, ["fib"]))
    expect_trees(want, got, "oracle filtered with --include fib")


@case("filter --exclude hides a frame and promotes its children")
def exclude_promotes():
    path, got = run("exceptions_flow", ["--include", INCLUDE, "--exclude", "level2"])
    want = trees.filter_threads(
        oracle(path), lambda c: trees.apply_globs(c, [INCLUDE], ["level2"]))
    # the filter must actually have promoted something for this to test anything
    if not trees.find_first(want[0].calls, lambda n: n.func == "level1" and any(
            k.func == "tidy" for k in n.children)):
        raise Fail("test bug: the expected tree has no tidy() promoted under level1()")
    expect_trees(want, got, "oracle filtered with --exclude level2")


@case("filter --exclude with a wildcard name pattern, across threads")
def exclude_file():
    path, got = run("three_threads", ["--include", INCLUDE, "--exclude", "*alpha*"])
    want = trees.filter_threads(
        oracle(path), lambda c: trees.apply_globs(c, [INCLUDE], ["*alpha*"]))
    expect_trees(want, got, "oracle filtered with --exclude '*alpha*'")


@case("filter --max-depth 3 cuts deeper calls")
def max_depth():
    path, got = run("fib", ["--include", INCLUDE, "--max-depth", "3"])
    want = trees.filter_threads(
        oracle(path), lambda c: trees.cut_depth(trees.apply_globs(c, [INCLUDE]), 3))
    expect_trees(want, got, "oracle filtered, then cut below shown level 3")


@case("filter --min-duration 15ms keeps only the slow calls and their callers")
def min_duration():
    path, got = run("sleepy", ["--include", INCLUDE, "--min-duration", "15ms"])
    # slow_* calls sleep 60 ms, fast_* calls take microseconds: a margin for a busy machine
    want = trees.filter_threads(oracle(path), lambda c: trees.keep_if(
        trees.apply_globs(c, [INCLUDE]), lambda n: n.func.startswith("slow_")))
    expect_trees(want, got, "oracle keeping slow_* calls and their ancestors")
    for t in got:
        for n, _ in trees.walk(t.calls):
            if n.dur_ns < 15000000:
                raise Fail("%s lasted %d ns, under --min-duration 15ms" % (n.label(), n.dur_ns))
