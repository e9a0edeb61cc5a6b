"""Call trees for the integration tests: loading flowtrace-bpf's JSON/JSONL
and the oracle's JSON, the display filters re-implemented on the oracle's
side, normalisation (times and tids dropped) and a diff that names the
first differing place in the tree. Pure: no processes, no files."""

import fnmatch
import re

# Flags flowtrace-bpf sets (only when true) on a call.
FLAGS = ("unfinished", "entered_before_attach", "entry_lost", "return_lost", "spans_loss",
         "name_truncated", "name_unknown", "ended_by_exec", "context")


class Node:
    """A call, or a lost-records marker (lost is not None)."""

    __slots__ = ("func", "file", "line", "flags", "children", "lost", "start_ns", "dur_ns",
                 "ignore_line")

    def __init__(self, func=None, file=None, line=None, flags=(), children=None, lost=None,
                 start_ns=None, dur_ns=None):
        self.func = func
        self.file = file
        self.line = line
        self.flags = frozenset(flags)
        self.children = children if children is not None else []
        self.lost = lost
        self.start_ns = start_ns
        self.dur_ns = dur_ns
        self.ignore_line = False  # expected trees: the line cannot be known

    def copy(self, children=None):
        n = Node(self.func, self.file, self.line, self.flags,
                 children if children is not None else list(self.children), self.lost,
                 self.start_ns, self.dur_ns)
        n.ignore_line = self.ignore_line
        return n

    def label(self):
        if self.lost is not None:
            return "<lost %d>" % self.lost
        line = "?" if self.ignore_line else self.line
        s = "%s:%s" % (shorten(self.func), line)
        if self.flags:
            s += "[%s]" % ",".join(sorted(self.flags))
        return s


class Thread:
    __slots__ = ("tid", "name", "calls")

    def __init__(self, tid, name, calls):
        self.tid = tid
        self.name = name
        self.calls = calls


def shorten(s, n=60):
    if s is None:
        return "None"
    return s if len(s) <= n else "%s...(%d chars)" % (s[:n], len(s))


# ---------------------------------------------------------------- loading

class FormatError(Exception):
    pass


def _node_from_tool(obj, where):
    if not isinstance(obj, dict):
        raise FormatError("%s: not an object: %r" % (where, obj))
    if "lost" in obj and "func" not in obj:
        if not isinstance(obj["lost"], int) or obj["lost"] <= 0:
            raise FormatError("%s: bad lost marker %r" % (where, obj))
        return Node(lost=obj["lost"], start_ns=obj.get("start_ns"))
    for key, typ in (("func", str), ("file", str), ("line", int), ("start_ns", int),
                     ("dur_ns", int), ("children", list)):
        if not isinstance(obj.get(key), typ):
            raise FormatError("%s: call without a valid %r: %s" % (where, key, _brief(obj)))
    flags = []
    for key, value in obj.items():
        if key in FLAGS:
            if value is not True:
                raise FormatError("%s: flag %s must be true when present, got %r"
                                  % (where, key, value))
            flags.append(key)
        elif key == "dur_uncertain":
            # the correction for the tracer's cost: a remark on dur_ns, not
            # a flag of the call (docs/formats.md)
            if value is not True:
                raise FormatError("%s: dur_uncertain must be true when present, got %r"
                                  % (where, value))
        elif key not in ("func", "file", "line", "start_ns", "dur_ns", "raw_dur_ns",
                         "dur_max_ns", "children"):
            raise FormatError("%s: unknown key %r in a call" % (where, key))
    label = "%s > %s" % (where, shorten(obj["func"], 30))
    children = [_node_from_tool(c, "%s[%d]" % (label, i)) for i, c in enumerate(obj["children"])]
    return Node(obj["func"], obj["file"], obj["line"], flags, children,
                start_ns=obj["start_ns"], dur_ns=obj["dur_ns"])


def _brief(obj):
    return {k: (shorten(v) if isinstance(v, str) else v) for k, v in obj.items()
            if k != "children"}


def threads_from_tool(doc):
    """flowtrace-bpf -f json document -> [Thread]. Raises FormatError."""
    if not isinstance(doc, dict) or not isinstance(doc.get("meta"), dict) \
            or not isinstance(doc.get("threads"), list):
        raise FormatError("top level must be {\"meta\": {...}, \"threads\": [...]}")
    out = []
    for i, t in enumerate(doc["threads"]):
        if not isinstance(t, dict) or not isinstance(t.get("tid"), int) \
                or not isinstance(t.get("calls"), list):
            raise FormatError("threads[%d]: needs integer tid and a calls list" % i)
        where = "threads[%d](tid %d)" % (i, t["tid"])
        calls = [_node_from_tool(c, "%s[%d]" % (where, j)) for j, c in enumerate(t["calls"])]
        out.append(Thread(t["tid"], t.get("name"), calls))
    return out


def _node_from_oracle(obj, interp):
    func = obj.get("qualname", obj["func"]) if interp else obj["func"]
    line = obj.get("first_line", obj["line"]) if interp else obj["line"]
    return Node(func, obj["file"], line, (),
                [_node_from_oracle(c, interp) for c in obj["children"]])


def threads_from_oracle(doc, interp=False):
    """interp: as the interpreter uprobes (eval, frame) report calls: named
    by co_qualname where the code object has one (3.11+), and with the
    code's first line also for a resumed generator or coroutine (the
    markers give the line it was suspended at)."""
    return [Thread(t["tid"], None, [_node_from_oracle(c, interp) for c in t["calls"]])
            for t in doc["threads"]]


def threads_from_jsonl(lines):
    """Rebuilds per-thread trees from -f jsonl records (children come before
    their parent, each with its depth). Returns ([Thread], meta, lost_records).
    Raises FormatError."""
    pending = {}  # tid -> [(depth, Node)] not yet claimed by a parent
    order = []
    meta = None
    lost = []
    for i, line in enumerate(lines):
        where = "line %d" % (i + 1)
        if meta is not None:
            raise FormatError("%s: a record after the meta line" % where)
        if not isinstance(line, dict) or "type" not in line:
            raise FormatError("%s: not an object with a type" % where)
        kind = line["type"]
        if kind == "meta":
            meta = line
            continue
        if kind == "lost":
            if not isinstance(line.get("count"), int) or line["count"] <= 0:
                raise FormatError("%s: lost record without a positive count" % where)
            lost.append(line)
            continue
        if kind != "call":
            raise FormatError("%s: unknown type %r" % (where, kind))
        for key, typ in (("tid", int), ("depth", int), ("func", str), ("file", str),
                         ("line", int), ("start_ns", int), ("dur_ns", int)):
            if not isinstance(line.get(key), typ):
                raise FormatError("%s: call without a valid %r" % (where, key))
        tid, depth = line["tid"], line["depth"]
        stack = pending.get(tid)
        if stack is None:
            stack = pending[tid] = []
            order.append(tid)
        children = []
        while stack and stack[-1][0] > depth:
            children.append(stack.pop()[1])
        children.reverse()
        flags = [k for k in FLAGS if line.get(k) is True]
        stack.append((depth, Node(line["func"], line["file"], line["line"], flags, children,
                                  start_ns=line["start_ns"], dur_ns=line["dur_ns"])))
    if meta is None:
        raise FormatError("no meta line at the end")
    threads = []
    for tid in order:
        roots = [n for _, n in pending[tid]]
        # roots of one thread come out in completion order, which is call order
        threads.append(Thread(tid, None, roots))
    return threads, meta, lost


# ---------------------------------------------------------------- walking

def walk(nodes, depth=0):
    """Yields (node, depth) in call order."""
    for n in nodes:
        yield n, depth
        yield from walk(n.children, depth + 1)


def count_calls(nodes):
    return sum(1 for n, _ in walk(nodes) if n.lost is None)


def lost_markers(nodes):
    return [n for n, _ in walk(nodes) if n.lost is not None]


def find_first(nodes, pred):
    for n, _ in walk(nodes):
        if n.lost is None and pred(n):
            return n
    return None


# ---------------------------------------------------------------- filters

def glob_shows(node, include, exclude):
    """flowtrace-bpf's --include/--exclude rule: fnmatch on the function name
    or the file path; shown when some include matches (or there is none)
    and no exclude matches."""
    def hit(pat):
        return fnmatch.fnmatchcase(node.func, pat) or fnmatch.fnmatchcase(node.file, pat)

    if include and not any(hit(p) for p in include):
        return False
    return not any(hit(p) for p in exclude)


def apply_globs(nodes, include=(), exclude=()):
    """Hidden calls vanish and their children attach to the nearest shown
    ancestor. Lost markers stay where they are."""
    out = []
    for n in nodes:
        kids = apply_globs(n.children, include, exclude)
        if n.lost is not None or glob_shows(n, include, exclude):
            out.append(n.copy(kids))
        else:
            out.extend(kids)
    return out


def cut_depth(nodes, max_depth, depth=1):
    """--max-depth N: shown levels 1..N, deeper subtrees hidden."""
    if depth > max_depth:
        return []
    return [n.copy(cut_depth(n.children, max_depth, depth + 1)) for n in nodes]


def keep_if(nodes, pred):
    """Keeps the calls for which pred holds and their ancestors; everything
    else goes with its subtree."""
    out = []
    for n in nodes:
        kids = keep_if(n.children, pred)
        if kids or pred(n):
            out.append(n.copy(kids))
    return out


def filter_threads(threads, fn):
    """Applies fn to every thread's calls; drops threads left empty."""
    out = []
    for t in threads:
        calls = fn(t.calls)
        if calls:
            out.append(Thread(t.tid, t.name, calls))
    return out


def attached_view(nodes, gate_pred):
    """What a tracer attaching while the program is blocked in the gate
    call can see: the gate and its ancestors were entered before attach
    (flagged, line unknowable), and the calls that completed before the
    gate was entered are invisible. The gate's own children stay: a gate
    makes no Python-level call before it blocks, so whatever runs inside
    it (e.g. the stdin decoder once the line arrives) runs after attach.
    Returns None when there is no gate."""
    for i, n in enumerate(nodes):
        if n.lost is not None:
            continue
        if gate_pred(n):
            gate = n.copy()
            gate.flags = frozenset(["entered_before_attach"])
            gate.ignore_line = True
            return [gate] + list(nodes[i + 1:])
        below = attached_view(n.children, gate_pred)
        if below is not None:
            anc = n.copy(below)
            anc.flags = frozenset(["entered_before_attach"])
            anc.ignore_line = True
            return [anc] + list(nodes[i + 1:])
    return None


# ---------------------------------------------------------------- comparing

def _same(e, a):
    if (e.lost is None) != (a.lost is None):
        return False
    if e.lost is not None:
        return True
    return (e.func == a.func and e.file == a.file and e.flags == a.flags
            and (e.ignore_line or e.line == a.line))


def _labels(nodes, focus, width=4):
    lo = max(0, focus - width)
    hi = min(len(nodes), focus + width + 1)
    s = ", ".join(n.label() for n in nodes[lo:hi])
    if lo > 0:
        s = "... " + s
    if hi < len(nodes):
        s += " ..."
    return "[%s] (%d)" % (s, len(nodes))


def _short_path(path):
    """A diff path with runs of identical steps (deep recursion) folded:
    "[0] f:3[0] f:3[0] f:3" -> "([0] f:3) x3"."""
    steps = re.findall(r"\[\d+\] ?.*?(?=\[\d+\]|$)", path)
    if "".join(steps) != path:
        return path
    out = []
    i = 0
    while i < len(steps):
        j = i
        while j < len(steps) and steps[j].rstrip() == steps[i].rstrip():
            j += 1
        if j - i >= 3:
            out.append("(%s) x%d " % (steps[i].rstrip(), j - i))
        else:
            out.extend(steps[i:j])
        i = j
    return "".join(out)


def diff_forest(expected, actual, path="", compare_file=True):
    """None when equal (func, file, line, flags and children, recursively;
    times ignored), else a message naming the first differing place."""
    for i in range(max(len(expected), len(actual))):
        here = "%s[%d]" % (path, i)
        shown = _short_path(here)
        if i >= len(actual):
            return ("%s: missing call %s\n  expected siblings: %s\n  got siblings:      %s"
                    % (shown or "/", expected[i].label(), _labels(expected, i),
                       _labels(actual, i)))
        if i >= len(expected):
            return ("%s: unexpected call %s\n  expected siblings: %s\n  got siblings:      %s"
                    % (shown or "/", actual[i].label(), _labels(expected, i),
                       _labels(actual, i)))
        e, a = expected[i], actual[i]
        if not _same(e, a):
            msg = "%s: expected %s, got %s" % (shown, e.label(), a.label())
            if e.lost is None and a.lost is None and e.file != a.file:
                msg += "\n  expected file %s\n  got file      %s" % (e.file, a.file)
            return msg + "\n  expected siblings: %s\n  got siblings:      %s" % (
                _labels(expected, i), _labels(actual, i))
        if e.lost is None:
            sub = diff_forest(e.children, a.children, "%s %s" % (here, e.label()))
            if sub:
                return sub
    return None


def forest_key(nodes):
    """A hashable, order-preserving form of a forest (for matching threads)."""
    return tuple((n.lost is not None, n.func, n.file, None if n.ignore_line else n.line,
                  tuple(sorted(n.flags)), forest_key(n.children)) for n in nodes)


def diff_threads(expected, actual):
    """Compares per-thread forests ignoring tids and thread order (the
    order in which threads first run is up to the scheduler). Returns None
    or a message."""
    if len(expected) != len(actual):
        return ("expected %d threads with calls, got %d\n  expected roots: %s\n  got roots:      %s"
                % (len(expected), len(actual),
                   [_labels(t.calls, 0, 2) for t in expected],
                   [_labels(t.calls, 0, 2) for t in actual]))
    # Matching is strict except for ignore_line nodes, which only expected
    # trees have: try exact pairing first, then diff what is left in order.
    left = list(actual)
    unmatched = []
    for e in expected:
        for j, a in enumerate(left):
            if diff_forest(e.calls, a.calls) is None:
                del left[j]
                break
        else:
            unmatched.append(e)
    if not unmatched:
        return None
    e, a = unmatched[0], left[0]
    if len(expected) == 1:
        return diff_forest(e.calls, a.calls)
    # pair the unmatched expected thread with the actual one sharing its first root
    for cand in left:
        if cand.calls and e.calls and _same(e.calls[0], cand.calls[0]):
            a = cand
            break
    return "thread tid %s (expected thread %d of %d): %s" % (
        a.tid, expected.index(e), len(expected), diff_forest(e.calls, a.calls))


# ---------------------------------------------------------------- checks

def check_times(threads):
    """Every call lies within its parent's time span and siblings start in
    order. Calls whose entry or return was lost only bound their times, so
    they are left out. Returns None or a message."""
    for t in threads:

        def visit(nodes, parent, where):
            last_start = None
            for i, n in enumerate(nodes):
                here = "%s[%d]" % (where, i)
                if n.start_ns is not None and last_start is not None \
                        and n.start_ns < last_start:
                    return "%s: starts at %d before its previous sibling (%d)" % (
                        here, n.start_ns, last_start)
                if n.start_ns is not None:
                    last_start = n.start_ns
                if n.lost is not None:
                    continue
                if n.dur_ns < 0 or n.start_ns < 0:
                    return "%s %s: negative time" % (here, n.label())
                inexact = n.flags & {"entry_lost", "return_lost", "entered_before_attach",
                                     "unfinished"}
                if parent is not None and not inexact and not (
                        parent.flags & {"entry_lost", "return_lost"}):
                    if n.start_ns < parent.start_ns or \
                            n.start_ns + n.dur_ns > parent.start_ns + parent.dur_ns:
                        return ("%s %s: [%d, +%d] not within its parent %s [%d, +%d]"
                                % (here, n.label(), n.start_ns, n.dur_ns, parent.label(),
                                   parent.start_ns, parent.dur_ns))
                msg = visit(n.children, n, "%s %s" % (here, n.label()))
                if msg:
                    return msg
            return None

        msg = visit(t.calls, None, "thread %s" % t.tid)
        if msg:
            return msg
    return None


def render_text(nodes, indent=0, limit=200):
    """A plain indented listing, for failure reports and debugging."""
    lines = []
    for n, d in walk(nodes):
        if len(lines) >= limit:
            lines.append("  " * indent + "...")
            break
        lines.append("  " * (indent + d) + n.label())
    return "\n".join(lines)
