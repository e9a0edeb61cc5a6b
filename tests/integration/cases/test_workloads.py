"""Every workload on the marker-complete CPython 3.9 with the method auto
picks there (eval when launched, frame when attached: its markers stay
off), traced from launch (-c) and by attaching at its start gate (-p);
the trees must equal the oracle's (sys.setprofile on the same
interpreter, a resume lined at its code's first line as the interpreter
uprobes report it), both restricted to the workload's own frames with
--include. fib is also compared unfiltered. The markers themselves run
every workload in the interpreter matrix (--method usdt)."""

import functools

from ftlib import trees
from ftlib.flows import attach, command, launch, module_subtree
from ftlib.harness import INCLUDE, Fail, expect_trees, need_py39, no_flags, oracle, workload
from ftlib.registry import add, case

WORKLOADS = [
    "fib",
    "deep_recursion",
    "three_threads",
    "generators",
    "async_tasks",
    "exceptions_flow",
    "context_managers",
    "classes",
    "unicode_names",
]


def only_workload_frames(threads):
    return trees.filter_threads(threads, lambda calls: trees.apply_globs(calls, [INCLUDE]))


def as_attached(threads, path):
    """The oracle's view of a gated run, as a tracer attached at the gate
    sees it: the main thread (the oracle's first) starts inside gate()."""
    main = threads[0]
    calls = trees.attached_view(main.calls, lambda n: n.func == "gate" and n.file == path)
    if calls is None:
        raise Fail("the oracle's gated run of %s has no gate() call" % path)
    return [trees.Thread(main.tid, main.name, calls)] + threads[1:]


def nontrivial(expected, what):
    n = sum(trees.count_calls(t.calls) for t in expected)
    if n < 5:
        raise Fail("test bug: the expected tree for %s has only %d calls" % (what, n))
    return expected


def traced_launch(name):
    py = need_py39()
    path = workload(name)
    tr = launch(["--include", INCLUDE], command(py, path))
    no_flags(tr.threads)
    expected = nontrivial(only_workload_frames(oracle(path, uprobes=True)), name)
    expect_trees(expected, trees.filter_threads(tr.threads, list))


def traced_attach(name):
    py = need_py39()
    path = workload(name)
    tr = attach(["--include", INCLUDE], [py, path])
    no_flags(tr.threads, allowed={"entered_before_attach"})
    expected = nontrivial(as_attached(only_workload_frames(oracle(path, gate=True, uprobes=True)),
                                      path), name)
    expect_trees(expected, trees.filter_threads(tr.threads, list))


for _name in WORKLOADS:
    add("workload %s: -c, --include workload frames" % _name,
        functools.partial(traced_launch, _name))
    add("workload %s: -p at the gate, --include workload frames" % _name,
        functools.partial(traced_attach, _name))


@case("workload fib: -c unfiltered, traced from the interpreter's first frame")
def fib_launch_unfiltered():
    py = need_py39()
    path = workload("fib")
    tr = launch([], command(py, path))
    no_flags(tr.threads)
    main = tr.main_thread()
    # Launch mode must attach before any Python code runs: the first frame
    # CPython 3.9 evaluates is importlib's bootstrap module.
    first = main.calls[0] if main.calls else None
    if first is None or first.func != "<module>" or first.file != "<frozen importlib._bootstrap>":
        raise Fail("the main thread's first call is %s (file %s), expected <module> of "
                   "<frozen importlib._bootstrap>: tracing started late?"
                   % (first.label() if first else None, first.file if first else None))
    expect_trees(oracle(path, uprobes=True)[:1],
                 [trees.Thread(main.tid, None, module_subtree(tr, path))],
                 "oracle, whole <module> subtree, unfiltered")


@case("workload fib: -p unfiltered, the <module> subtree")
def fib_attach_unfiltered():
    py = need_py39()
    path = workload("fib")
    tr = attach([], [py, path])
    no_flags(tr.threads, allowed={"entered_before_attach"})
    expected = as_attached(oracle(path, gate=True, uprobes=True)[:1], path)
    main = tr.main_thread()
    expect_trees(expected, [trees.Thread(main.tid, None, module_subtree(tr, path))],
                 "oracle, whole <module> subtree, unfiltered")
