"""The first view (docs/design.md, "The first view"): a launched program's
tree starts at its script's <module> (or the -m module's), the
interpreter's start-up is one line per phase and its shutdown one line.
Each case records one trace and replays it twice, so both views come from
the same calls: the folded view's program must be the oracle's
(sys.setprofile) <module> subtree, its phase lines must count what the
--startup view shows before and after the program (phases by the
documented rule), and every other thread must be the same in both."""

import os
import re

from ftlib import interps, trees
from ftlib.flows import command
from ftlib.harness import INCLUDE, Fail, Proc, Skip, cfg, child_env, expect_rc, expect_trees, \
    need_py39, oracle, parse_json, tool, tool_threads, workload
from ftlib.registry import add
from cases.test_tree_deep import read_tree

PHASE = re.compile(r"^# (?:start-up (\w+)|(shutdown)): (\d+) calls?, .* "
                   r"\(folded: --startup shows them\)$")
THREAD = re.compile(r"^# thread (\d+)")
TRACING = re.compile(r"tracing PID (\d+)")


def py312():
    builds = interps._pyenv_builds(interps.pyenv_root(), 3, 12)
    if not builds:
        raise Skip("no pyenv CPython 3.12 build")
    return builds[-1][1]


def py314():
    path = cfg.py314.get("dtrace")
    if not path:
        raise Skip("no CPython 3.14 dtrace build: %s" % cfg.py314_missing)
    return path


INTERPS = (("dtrace-3.9", need_py39), ("pyenv-3.12", py312), ("py3.14-dtrace", py314))


def phase_lines(text):
    """{tid: {phase: calls}} from the folded view's comment lines."""
    out, tid = {}, None
    for line in text.splitlines():
        m = THREAD.match(line)
        if m:
            tid = int(m.group(1))
            continue
        m = PHASE.match(line)
        if m:
            phase = m.group(1) or m.group(2)
            got = out.setdefault(tid, {})
            if phase in got:
                raise Fail("thread %s: two %s lines" % (tid, phase))
            got[phase] = int(m.group(3))
        elif line.startswith("# start-up") or line.startswith("# shutdown"):
            raise Fail("a folded line not in the documented form: %r" % line)
    return out


def phase_of(root):
    """The documented rule (docs/design.md): the phase of a start-up root is
    the one of its first <module>, or of its own file."""
    mod = next((n for n, _ in trees.walk([root]) if n.func == "<module>"), None)
    path = mod.file if mod else root.file
    base = os.path.basename(path)
    if base in ("site.py", "<frozen site>"):
        return "site"
    if "/encodings/" in path or base.startswith("<frozen encodings") or \
            base in ("codecs.py", "<frozen codecs>", "io.py", "<frozen io>", "_bootlocale.py"):
        return "encodings"
    if base in ("runpy.py", "<frozen runpy>"):
        return "runpy"
    return "importlib"


def count(nodes):
    return sum(1 for _ in trees.walk(nodes))


def expected_phases(roots, is_program):
    """{phase: calls} of the --startup view's main thread, and the index of
    the program's root."""
    at = next((i for i, r in enumerate(roots) if is_program(r)), None)
    if at is None:
        raise Fail("the --startup view has no program root among %s"
                   % [r.label() for r in roots][:40])
    want = {}
    for r in roots[:at]:
        want[phase_of(r)] = want.get(phase_of(r), 0) + count([r])
    if roots[at + 1:]:
        want["shutdown"] = count(roots[at + 1:])
    return want, at


def first_view(py, argv, path, env=None, module=False, threads=False):
    rec = os.path.join(cfg.tmp, "firstview-%d.ftrace" % len(os.listdir(cfg.tmp)))
    res = tool(["record", "-o", rec, "-c", command(py, *argv)], env=env)
    expect_rc(res, 0, "record")
    m = TRACING.search(res.stderr)
    if not m:
        raise Fail("no ready line\n  %s" % res.context())
    pid = int(m.group(1))
    views = {}
    for name, extra in (("folded", []), ("startup", ["--startup"])):
        r = tool(["replay", "--indent-max", "0"] + extra + [rec])
        expect_rc(r, 0, "replay " + " ".join(extra))
        views[name] = r.stdout.decode("utf-8")
    folded, full = read_tree(views["folded"]), read_tree(views["startup"])
    lines = phase_lines(views["folded"])
    if list(lines) != [pid]:
        raise Fail("folded lines on threads %s, expected on the main thread %d only"
                   % (sorted(lines), pid))
    main_f = [t for t in folded.threads if t.tid == pid]
    main_s = [t for t in full.threads if t.tid == pid]
    if len(main_f) != 1 or len(main_s) != 1:
        raise Fail("no main thread %d in both views" % pid)

    # the program: the oracle's <module> subtree, as the folded view's one root
    true = oracle(path, interp=py, uprobes=True)
    tmod = [r for t in true for r in t.calls if r.func == "<module>" and r.file == path]
    if len(tmod) != 1:
        raise Fail("the oracle has %d <module> roots of %s" % (len(tmod), path))
    if threads:
        # the oracle imported threading before the workload ran, so the
        # workload's own imports are not calls there: its frames only
        def own(ts):
            return [trees.Thread(t.tid, None, trees.apply_globs(t.calls, [INCLUDE]))
                    for t in ts]
        expect_trees(own([trees.Thread(pid, None, tmod)]), own(main_f),
                     "the oracle's <module> of %s, its frames" % path)
    else:
        expect_trees([trees.Thread(pid, None, tmod)], main_f,
                     "the oracle's <module> of " + path)

    # the phases: what --startup shows around the program, by the rule
    if module:
        def is_program(r):
            return r.func == "_run_module_as_main"
    else:
        def is_program(r):
            return r.func == "<module>" and r.file == path
    want, at = expected_phases(main_s[0].calls, is_program)
    program = count(main_f[0].calls)  # the oracle's, above (threads: plus imports)
    if module:
        # runpy's calls but the module's own
        want["runpy"] = want.get("runpy", 0) + count([main_s[0].calls[at]]) - program
    if lines[pid] != want:
        raise Fail("folded lines %s, the --startup view by the documented rule %s"
                   % (lines[pid], want))
    need = {"importlib", "encodings", "site"} | ({"runpy"} if module else set())
    if not need <= set(want):
        raise Fail("start-up phases %s: expected at least %s" % (sorted(want), sorted(need)))
    total = count(main_s[0].calls)
    if sum(want.values()) + program != total:
        raise Fail("%d folded + %d program calls, the --startup view has %d"
                   % (sum(want.values()), program, total))

    # every other thread: the same in both views (and the oracle's)
    others_f = [t for t in folded.threads if t.tid != pid]
    others_s = [t for t in full.threads if t.tid != pid]
    expect_trees(others_s, others_f, "the --startup view's other threads")
    if threads:
        tothers = [t for t in true if not any(r.func == "<module>" for r in t.calls)]
        if len(tothers) < 2:
            raise Fail("the oracle has %d threads besides the main one" % len(tothers))
        expect_trees(own(tothers), own(others_f), "the oracle's threads, their workload frames")
    return "%d calls: %s, program %d" % (total, " ".join(
        "%s %d" % kv for kv in sorted(want.items())), program)


def script_case(get_py):
    def run():
        path = workload("five_lines")
        return first_view(get_py(), [path], path)
    return run


def module_case(get_py):
    def run():
        path = workload("five_lines")
        env = child_env({"PYTHONPATH": os.path.dirname(path)})
        return first_view(get_py(), ["-m", "five_lines"], path, env=env, module=True)
    return run


def threads_case(get_py):
    def run():
        path = workload("three_threads")
        return first_view(get_py(), [path], path, threads=True)
    return run


for _name, _get in INTERPS:
    add("first view %s: -c five-line script, one line per start-up phase, counts as --startup"
        % _name, script_case(_get))
    add("first view %s: -m module from runpy's <module>, counts as --startup" % _name,
        module_case(_get))
    add("first view %s: a program's threads unaffected" % _name, threads_case(_get))


# ------------------------------------------------ attached: the running stack

EBA, UNF = "entered_before_attach", "unfinished"


def py38():
    builds = interps._pyenv_builds(interps.pyenv_root(), 3, 8)
    if not builds:
        raise Skip("no pyenv CPython 3.8 build")
    return builds[-1][1]


def attach_ancestors(get_py, method=None):
    """Attach to a server loop: the frames it was in (it wrote them with
    traceback.extract_stack when ready) are the main thread's ancestors,
    flagged entered_before_attach and unfinished, with its handle() calls
    under the innermost. The markers (usdt) cannot know frames that do
    not return: there the handle() calls are the roots."""
    py = get_py()
    stack_file = os.path.join(cfg.tmp, "serve_loop-stack-%d.txt" % len(os.listdir(cfg.tmp)))
    target = Proc([py, workload("serve_loop"), stack_file], env=child_env(), stdin="pipe")
    try:
        if not target.wait_stderr("FT_SERVE_READY", 60):
            raise Fail("serve_loop did not start: %s\n%s"
                       % (target.describe(), target.stderr_tail()))
        with open(stack_file) as f:
            stack = [tuple(line.rstrip("\n").split(" ", 1)) for line in f if line.strip()]
        args = ["-f", "json", "--include", INCLUDE, "-d", "0.3", "-p", str(target.pid)]
        if method:
            args[:0] = ["--method", method]
        res = tool(args)
        expect_rc(res, 0)
        if not target.alive():
            raise Fail("the target died\n%s" % target.stderr_tail())
    finally:
        target.close_stdin()
        target.wait(30, "serve_loop")
    main = [t for t in tool_threads(parse_json(res.stdout, res)) if t.tid == target.pid]
    if len(main) != 1:
        raise Fail("no main thread %d in the trace" % target.pid)
    nodes, chain = main[0].calls, []
    if method != "usdt":
        for func, path in stack:
            if len(nodes) != 1 or (nodes[0].func, nodes[0].file) != (func, path):
                raise Fail("ancestor %d: expected %s (%s), as the target's own stack says, "
                           "got %s" % (len(chain), func, path, [n.label() for n in nodes][:5]))
            if set(nodes[0].flags) != {EBA, UNF}:
                raise Fail("ancestor %s: flags %s, expected %s"
                           % (func, sorted(nodes[0].flags), [EBA, UNF]))
            chain.append(func)
            nodes = nodes[0].children
    if len(nodes) < 10:
        raise Fail("only %d calls under %s" % (len(nodes), chain or "the roots"))
    for i, n in enumerate(nodes):
        allowed = ({EBA} if i == 0 else set()) | ({UNF} if i == len(nodes) - 1 else set())
        if n.func != "handle" or n.children or set(n.flags) - allowed:
            raise Fail("call %d under the ancestors: %s %s, expected handle()"
                       % (i, n.label(), sorted(n.flags)))
    return "%s, then %d handle() calls" % (" > ".join(chain) or "no ancestors (usdt)",
                                           len(nodes))


add("first view attach dtrace-3.9 (auto): the running stack as ancestors",
    lambda: attach_ancestors(need_py39))
add("first view attach dtrace-3.9 usdt: handle() calls as roots, the markers cannot know "
    "the running stack", lambda: attach_ancestors(need_py39, "usdt"))
add("first view attach pyenv-3.12 frame: the running stack as ancestors",
    lambda: attach_ancestors(py312, "frame"))
add("first view attach pyenv-3.8 (auto): the running stack as ancestors",
    lambda: attach_ancestors(py38))
add("first view attach py3.14-dtrace (auto): the running stack as ancestors",
    lambda: attach_ancestors(py314))
