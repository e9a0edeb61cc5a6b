"""CPython 3.15's markers, modelled by the C fixture (`sdt-fixture unwind`):
an entry for every frame, a return only for a normal return, none for a
frame left by an exception. flowtrace-bpf refuses those markers on a real
3.15 (docs/compatibility.md); this checks what the call-tree builder makes
of such a stream. The fixture states the truth on stderr ("oracle: enter F",
"oracle: return F", "oracle: unwind F" for a frame left with no marker).

What the builder can and cannot do: a call made after frames were unwound
arrives one level too deep, and nothing tells it apart from a call the
unwound frame made itself, so it is placed under the unwound frame. The
next return that names a frame below the top proves the frames above that
one gone: they close flagged return_lost, the return closes its own frame,
and later calls nest where they ran. A recursion unwound by one of its own
frames is not told from a normal one until such a return comes."""

from ftlib.flows import command, launch
from ftlib.harness import Fail, cfg
from ftlib.registry import case


class Truth:
    def __init__(self, func):
        self.func = func
        self.children = []


def oracle_tree(stderr):
    """The true tree from the fixture's oracle lines, and the number of
    frames it left with no marker."""
    root, stack, unwound = Truth(None), [], 0
    stack.append(root)
    for line in stderr.splitlines():
        if not line.startswith("oracle: "):
            continue
        what, func = line[len("oracle: "):].split(" ", 1)
        if what == "enter":
            n = Truth(func)
            stack[-1].children.append(n)
            stack.append(n)
        else:
            if stack[-1].func != func:
                raise Fail("the fixture's oracle is inconsistent at %r" % line)
            stack.pop()
            unwound += what == "unwind"
    if len(stack) != 1 or not root.children:
        raise Fail("the fixture printed no complete oracle:\n%s" % stderr)
    return root.children, unwound


def preorder(nodes, path=()):
    """(func, path of the callers' names, node) in entry order."""
    for n in nodes:
        yield n.func, path, n
        yield from preorder(n.children, path + (n.func,))


@case("fixture unwind (3.15's markers): calls after an exception are placed or flagged, "
      "never silently mis-nested")
def unwind_markers():
    tr = launch([], command(cfg.fixture, "unwind"))
    truth, unwound = oracle_tree(tr.res.stderr)
    got = [n for t in tr.threads for n in t.calls]
    want_calls = list(preorder(truth))
    got_calls = list(preorder(got))
    # every entry arrives, in order: the k-th call of each tree is the same call
    if [f for f, _, _ in got_calls] != [f for f, _, _ in want_calls]:
        raise Fail("calls in entry order differ:\n  want %s\n  got  %s" % (
            [f for f, _, _ in want_calls], [n.label() for _, _, n in got_calls]))
    problems = []
    flagged = set()
    for (func, want_path, _), (_, got_path, node) in zip(want_calls, got_calls):
        if "entry_lost" in node.flags or node.lost is not None:
            problems.append("%s: flagged as if records were lost" % node.label())
        if "return_lost" in node.flags:
            flagged.add(id(node))
        if got_path == want_path:
            continue
        # misplaced: only inside a frame whose end is flagged unknown
        if not any("return_lost" in a.flags for a in ancestors_of(got, node)):
            problems.append("%s sits under %s, but ran under %s, and no frame above it is "
                            "flagged return_lost" % (node.label(), " > ".join(got_path),
                                                     " > ".join(want_path)))
    # the frames whose return a later return proved missing, and nothing else
    want_flagged = {"fail", "middle", "outer", "rec"}
    got_flagged = {n.func for _, _, n in got_calls if "return_lost" in n.flags}
    if got_flagged != want_flagged:
        problems.append("frames flagged return_lost: %s, expected %s (left by the exceptions, "
                        "the innermost rec not told from its caller)"
                        % (sorted(got_flagged), sorted(want_flagged)))
    main = got[0] if got else None
    if main is None or len(got) != 1 or main.flags - {"spans_loss"}:
        problems.append("main must be the one root, ended by its own return: got %s"
                        % [n.label() for n in got])
    elif [c.func for c in main.children] != ["handler", "next", "again", "last"] or any(
            c.flags - {"spans_loss"} for c in main.children):
        problems.append("main's calls must be handler, next, again, last, each ended by "
                        "its own return: got %s" % [c.label() for c in main.children])
    said = "flowtrace-bpf: 4 frames ended with no return record"
    if said not in tr.res.stderr:
        problems.append("the summary does not say %r" % said)
    if problems:
        raise Fail("\n".join(problems) + "\n  tree: %s" % render(got))
    return "%d frames unwound with no marker; %d flagged return_lost" % (unwound, len(flagged))


def ancestors_of(roots, target):
    """The nodes above target, itself included."""
    def find(nodes, path):
        for n in nodes:
            if n is target:
                return path + [n]
            r = find(n.children, path + [n])
            if r:
                return r
        return None
    return find(roots, []) or []


def render(nodes):
    return ", ".join("%s%s" % (n.label(), "{%s}" % render(n.children) if n.children else "")
                     for n in nodes)
