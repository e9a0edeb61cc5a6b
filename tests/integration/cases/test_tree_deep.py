"""The tree format on deep recursion (docs/formats.md, "Deep trees"): the
text, read back with its folded recursion runs expanded and its depth
numbers honoured, must be the oracle's call tree; the runs the documented
rule folds, and only those, show as one line; no line is indented past
the limit."""

import os
import re

from ftlib import trees
from ftlib.harness import INCLUDE, Fail, expect_rc, expect_trees, need_py39, oracle, tool, \
    workload
from ftlib.flows import command
from ftlib.registry import case

LIMIT = 64  # --indent-max's default

FLAGS = r"(?P<flags>(?: \[[^\]]+\])*)"
LOC = r"  # (?P<file>.*):(?P<line>\d+)"
OPEN = re.compile(r"^(?P<func>\S+)\(\) \{"
                  r"(?: ×(?P<k>\d+) recursion, d=(?P<a>\d+)\.\.(?P<b>\d+))?" + LOC + FLAGS + "$")
LEAF = re.compile(r"^(?P<func>\S+)\(\);" + LOC + FLAGS + "$")
CLOSE = re.compile(r"^\} /\* (?P<func>\S+?)(?: ×(?P<k>\d+))? \*/" + FLAGS + "$")
DEPTH = re.compile(r"^\[d=(\d+)\] ")
THREAD = re.compile(r"^# thread (\d+)")


class Text:
    """The tree text read back: threads of trees.Node (folded runs
    expanded), the folded runs as (func, k, first depth), the largest
    indentation in levels."""

    def __init__(self):
        self.threads = []
        self.runs = []
        self.max_indent = 0
        self.lines = 0


def read_tree(text):
    out = Text()
    stack = None  # [(node or None, depth of its children, func, k, depth)]
    for no, raw in enumerate(text.splitlines(), 1):
        def bad(why):
            raise Fail("tree line %d: %s:\n    %r" % (no, why, raw[:200]))

        m = THREAD.match(raw)
        if m:
            if stack and len(stack) > 1:
                bad("a thread starts while %d calls are open" % (len(stack) - 1))
            roots = []
            out.threads.append(trees.Thread(int(m.group(1)), None, roots))
            stack = [(None, 0, None, None, -1, roots)]
            continue
        if raw.startswith("#"):
            continue
        if " | " not in raw or stack is None:
            bad("not a call line")
        out.lines += 1
        body = raw.split(" | ", 1)[1]
        content = body.lstrip(" ")
        spaces = len(body) - len(content)
        if spaces % 2:
            bad("odd indentation")
        out.max_indent = max(out.max_indent, spaces // 2)
        m = DEPTH.match(content)
        depth = int(m.group(1)) if m else spaces // 2
        if m:
            content = content[m.end():]
        parent = stack[-1]
        for rx in (OPEN, LEAF, CLOSE):
            m = rx.match(content)
            if m:
                break
        else:
            bad("neither an opening, a leaf nor a closing line")
        if m.group("flags"):
            bad("unexpected flags %s" % m.group("flags"))
        if rx is CLOSE:
            top = stack.pop()
            if len(stack) == 0 or top[2] != m.group("func") or top[3] != m.group("k") \
                    or top[4] != depth:
                bad("closes %s (depth %s) but %s at depth %s is open"
                    % (m.group("func"), depth, top[2], top[4]))
            continue
        if depth != parent[1]:
            bad("at depth %d where its caller's calls are at depth %d" % (depth, parent[1]))
        path = m.group("file")
        if not os.path.isabs(path):
            path = os.path.join(os.getcwd(), path)  # shown relative to our (its) cwd
        k = int(m.group("k")) if rx is OPEN and m.group("k") else 1
        node = trees.Node(m.group("func"), path, int(m.group("line")))
        parent[5].append(node)
        inner = node
        for _ in range(k - 1):
            inner.children.append(trees.Node(node.func, node.file, node.line))
            inner = inner.children[0]
        if rx is OPEN:
            if m.group("k"):
                a, b = int(m.group("a")), int(m.group("b"))
                if a != depth or b != depth + k - 1:
                    bad("a run of %d at depth %d says d=%d..%d" % (k, depth, a, b))
                out.runs.append((node.func, k, depth))
            stack.append((inner, depth + k, node.func, m.group("k"), depth, inner.children))
    if stack and len(stack) > 1:
        raise Fail("the tree ends with %d calls open" % (len(stack) - 1))
    return out


def foldable_runs(nodes, depth=0):
    """The documented rule on the oracle's tree: a maximal chain of calls
    of one function, each the only call of the one before, folds its calls
    above the innermost when there are at least LIMIT of them."""
    runs = []
    for n in nodes:
        # n starts a chain unless it is its caller's only call of the same function
        k, inner = 0, n
        while len(inner.children) == 1 and same(inner.children[0], n):
            inner = inner.children[0]
            k += 1
        if k >= LIMIT:
            runs.append((n.func, k, depth))
            runs.extend(foldable_runs(inner.children, depth + k + 1))
        else:
            runs.extend(foldable_runs(n.children, depth + 1))
    return runs


def same(a, b):
    return a.func == b.func and a.file == b.file and a.line == b.line


def count(nodes, func):
    return sum(1 for n, _ in trees.walk(nodes) if n.func == func)


def max_depth(nodes):
    return max((d for _, d in trees.walk(nodes)), default=-1)


@case("tree deep: recursions 500 and 3000 deep fold, 1200 of ping/pong stay bounded, "
      "the text is the oracle's tree")
def tree_deep_layout():
    py = need_py39()
    path = workload("deep_tree")
    res = tool(["-f", "tree", "--include", INCLUDE, "-c", command(py, path)])
    expect_rc(res, 0)
    try:
        text = res.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("tree output is not UTF-8: %s" % e)
    got = read_tree(text)
    expected = trees.filter_threads(oracle(path, uprobes=True),
                                    lambda calls: trees.apply_globs(calls, [INCLUDE]))
    expected = [t for t in expected if t.calls]
    if len(expected) != 1 or len(got.threads) != 1:
        raise Fail("expected one thread in the oracle and the tree, got %d and %d"
                   % (len(expected), len(got.threads)))
    want, have = expected[0].calls, got.threads[0].calls
    # the oracle's facts first, so a failure says what is off in plain terms
    facts = [("descend calls", count(want, "descend"), count(have, "descend")),
             ("climb calls", count(want, "climb"), count(have, "climb")),
             ("ping calls", count(want, "ping"), count(have, "ping")),
             ("deepest call", max_depth(want), max_depth(have))]
    if count(want, "descend") != 3 + 500 + 3000 + 3 or max_depth(want) < 3000:
        raise Fail("test bug: the oracle's tree is not the workload's: %s" % facts)
    off = [f for f in facts if f[1] != f[2]]
    if off:
        raise Fail("the tree text disagrees with the oracle (what, oracle, tree): %s" % off)
    expect_trees(expected, got.threads, "oracle, folded runs expanded")
    runs = foldable_runs(want)
    if sorted(runs) != sorted(got.runs):
        raise Fail("folded runs (func, calls, depth): the rule gives %s, the tree shows %s"
                   % (runs, got.runs))
    # descend 500 and 3000, climb 700: ping/pong alternate and never fold
    if sorted(f for f, _, _ in runs) != ["climb", "descend", "descend"]:
        raise Fail("test bug: expected three foldable runs in the oracle, got %s" % runs)
    if got.max_indent > LIMIT:
        raise Fail("a line is indented %d levels, past the limit of %d"
                   % (got.max_indent, LIMIT))
    # ping/pong alone are 1201 calls of which 1200 have children: unfolded
    # they take about 2400 lines, the rest only a few dozen
    if got.lines > 2 * 1201 + 100:
        raise Fail("the tree has %d call lines: the recursions were not folded" % got.lines)
