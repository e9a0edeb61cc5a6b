"""The asyncio task view (--by-task, docs/design.md "asyncio tasks").
workloads/async_task_view.py runs several concurrent tasks (named and
default-named) that await sleeps, a future and a queue through nested
coroutines, with gather, a task that raises and one that is cancelled. Its
own oracle records in-process, under sys.setprofile with
asyncio.current_task(), each task's steps: the calls made inside each resume
of the task's coroutine. The tracer's tasks must match it task by task:
order of first steps, name (3.14: published by the interpreter; 3.8-3.13:
read at _asyncio's task_step_impl, found by the module's symbols, its debug
file's, or its code where it is stripped, as Debian's is; else "Task-?",
docs/compatibility.md says where), each step's calls in order and depth,
and gaps that are the time between steps."""

import glob
import json
import os
import re
import shutil
import subprocess

from ftlib import interps
from ftlib.harness import (INCLUDE, Fail, Result, Skip, cfg, child_env, expect_rc, need_py39,
                           parse_json, tool)
from ftlib.registry import add, case

DISCOVERY = interps.Discovery(cfg.py39, cfg.py314, cfg.py314_missing)
WORKLOAD = "async_task_view"


def find(name):
    for i in DISCOVERY.interps:
        if i.name == name or i.name.startswith(name + "."):
            return i.path
    if name == "dtrace-3.9":
        return need_py39()
    raise Skip("no %s interpreter here (%s)" % (name, DISCOVERY.summary()))


def wl(workload=WORKLOAD):
    return os.path.join(cfg.here, "workloads", workload + ".py")


def oracle_tasks(py, workload=WORKLOAD):
    out = os.path.join(cfg.tmp, "task-oracle-%d.json" % os.getpid())
    env = child_env({"FT_TASK_ORACLE": out})
    import subprocess
    subprocess.run([py, wl(workload)], env=env, check=True, timeout=120,
                   stdin=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


def step_calls(calls, depth=0, out=None):
    """A step's calls, pre-order: [depth, func]."""
    out = [] if out is None else out
    for c in calls:
        if "func" not in c:
            raise Fail("a step holds a lost-record marker: %s" % c)
        out.append([depth, c["func"]])
        step_calls(c.get("children", []), depth + 1, out)
    return out


def traced_tasks(doc, workload=WORKLOAD):
    """The workload's tasks of a --by-task json document, as the oracle
    writes them; checks each task's gaps on the way."""
    got = []
    for t in doc.get("tasks", []):
        if not t["coro_file"].endswith("/workloads/%s.py" % workload):
            continue
        if t["coro"] == "by_hand" and not t["name_known"]:
            continue  # no Task: check_interp says where it may be shown
        steps, prev_end, total = [], None, 0
        for i, s in enumerate(t["steps"]):
            if i == 0 and s["suspended_before_ns"] != 0:
                raise Fail("task %s: a first step suspended before it: %s" % (t["id"], s))
            if prev_end is not None and s["start_ns"] < prev_end:
                raise Fail("task %s: step %d starts before the one before it ended" % (
                    t["id"], i))
            if prev_end is not None and s["suspended_before_ns"] != s["start_ns"] - prev_end:
                raise Fail("task %s step %d: gap %d, but the steps are %d ns apart" % (
                    t["id"], i, s["suspended_before_ns"], s["start_ns"] - prev_end))
            total += s["suspended_before_ns"]
            prev_end = s["start_ns"] + s["dur_ns"]
            steps.append(step_calls(s["calls"]))
        if total != t["suspended_ns"]:
            raise Fail("task %s: suspended_ns %d, its gaps add up to %d" % (
                t["id"], t["suspended_ns"], total))
        got.append({"name": t["name"], "name_known": t["name_known"], "steps": steps,
                    "id": t["id"], "inside": [s.get("inside_task") for s in t["steps"]]})
    return got


def compare(expected, got, context):
    if len(expected) != len(got):
        raise Fail("%s: %d tasks expected, %d traced\n  expected: %s\n  traced: %s" % (
            context, len(expected), len(got), [e["name"] for e in expected],
            [(g["name"], len(g["steps"])) for g in got]))
    ids = [g["id"] for g in got]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        raise Fail("%s: task ids not in the order of first steps: %s" % (context, ids))
    for e, g in zip(expected, got):
        if g["name_known"] and g["name"] != e["name"]:
            raise Fail("%s: task %d named %r, the oracle says %r" % (
                context, g["id"], g["name"], e["name"]))
        if not g["name_known"] and g["name"] != "Task-?":
            raise Fail("%s: task %d: an unknown name shown as %r" % (context, g["id"], g["name"]))
        if e["steps"] != g["steps"]:
            raise Fail("%s: task %r (%d): steps differ\n  expected: %s\n  traced:   %s" % (
                context, e["name"], g["id"], e["steps"], g["steps"]))


def run_by_task(py, fmt="json", extra=()):
    res = tool(["-f", fmt, "--by-task", "--include", INCLUDE] + list(extra) + ["--", py, wl()],
               timeout=180)
    expect_rc(res, 0)
    return res


def names_expected(kind):
    """Whether a build's task names are read (docs/compatibility.md): 3.14
    publishes them; the pyenv and dtrace builds (3.8-3.13) keep
    task_step_impl in their _asyncio module's .symtab; in Debian's stripped
    module the function is found by its code. Every matrix build."""
    return True


def check_interp(py, want_names):
    expected = oracle_tasks(py)
    res = run_by_task(py)
    doc = parse_json(res.stdout, res)
    if not doc.get("threads"):
        raise Fail("no per-thread trees beside the tasks")
    got = traced_tasks(doc)
    compare(expected, got, py)
    named = sum(1 for g in got if g["name_known"])
    if want_names and named != len(got):
        raise Fail("%s: names known for %d of %d tasks, all expected" % (py, named, len(got)))
    # where Tasks are read, a coroutine resumed from C by no Task (the
    # workload's by_hand(), those _collections_abc and types close at
    # import) is no task; without names the view cannot tell
    stray = ["%s()" % t["coro"] for t in doc["tasks"] if not t["name_known"]]
    if want_names and stray:
        raise Fail("%s: coroutines run by no Task shown as tasks: %s" % (py, ", ".join(stray)))
    if not want_names and named:
        raise Fail("%s: names known for %d tasks, none expected" % (py, named))
    return "%d tasks, %d steps, names known for %d" % (
        len(got), sum(len(g["steps"]) for g in got), named)


# interpreter -> whether every task's name must be known (docs/compatibility.md)
MAIN = (("dtrace-3.9", True), ("pyenv-3.8", True), ("pyenv-3.12", True),
        ("pyenv-3.13", True), ("debian-3.11", True), ("py3.14-dtrace", True))

for _name, _names in MAIN:
    add("asyncio by-task %s" % _name,
        (lambda n, w: lambda: check_interp(find(n), w))(_name, _names))


@case("asyncio by-task sweep: every matrix interpreter")
def sweep():
    done, failed = [], []
    for i in DISCOVERY.interps:
        try:
            check_interp(i.path, names_expected(i.kind))
            done.append(i.name)
        except Fail as e:
            failed.append("%s: %s" % (i.name, e))
    if failed:
        raise Fail("\n  ".join(failed))
    return "matched on " + " ".join(done)


@case("asyncio by-task: tree and chrome show the json's tasks")
def tree_chrome():
    py = find("pyenv-3.12")
    doc = parse_json(run_by_task(py).stdout)
    tasks = doc["tasks"]
    tree = run_by_task(py, "tree").stdout.decode()
    if ("# asyncio tasks: %d\n" % len(tasks)) not in tree:
        raise Fail("tree: no '# asyncio tasks: %d' line\n%s" % (len(tasks), tree[-2000:]))
    for t in tasks:
        head = "# task %d \"%s\" (coroutine %s() at %s): %d steps" % (
            t["id"], t["name"], t["coro"], t["coro_addr"], len(t["steps"]))
        # addresses differ between runs: compare up to the address
        if head.split(" at 0x")[0] not in tree:
            raise Fail("tree: no header for task %d (%s)" % (t["id"], head))
    gaps = sum(len(t["steps"]) - 1 for t in tasks)
    if tree.count(" suspended\n") != gaps:
        raise Fail("tree: %d 'suspended' lines, the json has %d gaps" % (
            tree.count(" suspended\n"), gaps))
    ch = parse_json(run_by_task(py, "chrome").stdout)
    tracks = {}
    for ev in ch["traceEvents"]:
        if ev["tid"] >= 1000000000 and ev.get("ph") == "X":
            tracks[ev["tid"] - 1000000000] = tracks.get(ev["tid"] - 1000000000, 0) + 1
    want = {t["id"]: sum(len(step_calls(s["calls"])) for s in t["steps"]) for t in tasks}
    want = {k: v for k, v in want.items() if v}  # asyncio's own tasks: all calls hidden
    if tracks != want:
        raise Fail("chrome: calls per task track %s, the json's tasks %s" % (tracks, want))
    names = [ev["args"]["name"] for ev in ch["traceEvents"]
             if ev.get("ph") == "M" and ev["name"] == "thread_name" and ev["tid"] >= 1000000000]
    if len(names) != len(tasks):
        raise Fail("chrome: %d task tracks named, %d tasks" % (len(names), len(tasks)))
    return "%d tasks in tree, json and chrome" % len(tasks)


@case("asyncio by-task: a recording replays the same tasks")
def replay_tasks():
    py = find("pyenv-3.12")
    path = os.path.join(cfg.tmp, "tasks.ftrace")
    res = tool(["record", "-o", path, "--", py, wl()], timeout=180)
    expect_rc(res, 0, "record")
    res = tool(["replay", "-f", "json", "--by-task", "--include", INCLUDE, path])
    expect_rc(res, 0, "replay")
    got = traced_tasks(parse_json(res.stdout, res))
    compare(oracle_tasks(py), got, "replay")
    return "%d tasks replayed" % len(got)


@case("asyncio by-task: refused with formats and windows that cannot show it")
def by_task_refused():
    for args in (["-f", "jsonl"], ["-f", "folded"], ["--trigger", "main"]):
        res = tool(["--by-task"] + args + ["-c", "true"])
        expect_rc(res, 2, "--by-task " + " ".join(args))
        if "--by-task" not in res.stderr:
            raise Fail("the refusal does not name --by-task: %r" % res.stderr)
    return "refused: jsonl, folded, --trigger"


def check_attach(py, want_names, argv=None, verbose_has=(), pid_of=None):
    """workloads/async_service.py (four named workers, a request per timer
    tick) attached for a second: its facts are the workload's code. Every
    worker is a task of its own, each step after the first handles one
    request (worker, then handle), the last may be cut by the detach.
    argv: the target's command, if not py and the workload; verbose_has:
    strings the -v output must hold; pid_of: the python's PID from the
    command's."""
    from ftlib.flows import start_gated
    argv = argv or [py, os.path.join(cfg.here, "workloads", "async_service.py")]
    target = start_gated(argv, ready="FT_SERVICE_READY")
    try:
        pid = pid_of(target.pid) if pid_of else target.pid
        if pid is None:
            raise Fail("no python process under PID %d" % target.pid)
        res = tool(["-f", "json", "--by-task", "--include", INCLUDE, "-d", "1", "-v", "-p",
                    str(pid)], timeout=120)
    finally:
        target.close_stdin()
        target.wait(60, "the service after its stdin closed")
    expect_rc(res, 0)
    doc = parse_json(res.stdout, res)
    workers = [t for t in doc.get("tasks", []) if t["coro"] == "worker"]
    if len(workers) != 4:
        raise Fail("%d worker tasks traced, 4 expected: %s" % (
            len(workers), [(t["name"], t["coro"]) for t in doc.get("tasks", [])]))
    names = sorted(t["name"] for t in workers)
    if want_names and names != ["worker-%d" % i for i in range(4)]:
        raise Fail("worker names %s" % names)
    if not want_names and names != ["Task-?"] * 4:
        raise Fail("unknown names shown as %s" % names)
    for t in workers:
        steps = [step_calls(s["calls"]) for s in t["steps"]]
        if len(steps) < 10:
            raise Fail("task %s: %d steps in a second of 2 ms ticks" % (t["name"], len(steps)))
        for i, s in enumerate(steps):
            full = [[0, "worker"], [1, "handle"]]
            if s != full and not (i == len(steps) - 1 and s == full[:len(s)]):
                raise Fail("task %s step %d: %s" % (t["name"], i, s))
        if any(s["suspended_before_ns"] <= 0 for s in t["steps"][1:]):
            raise Fail("task %s: a step not suspended before it" % t["name"])
    for v in verbose_has:
        if v not in res.stderr:
            raise Fail("-v does not say %r:\n%s" % (v, res.stderr[-2000:]))
    return "4 workers, %s steps" % "/".join(str(len(t["steps"])) for t in workers)


for _name, _names in (("pyenv-3.12", True), ("dtrace-3.9", True), ("py3.14-dtrace", True),
                      ("debian-3.11", True)):
    add("asyncio by-task -p %s: a service's workers" % _name,
        (lambda n, w: lambda: check_attach(find(n), w))(_name, _names))


# the one string of _asyncio's task_step_impl its search by code looks for
MARKER = b"_step(): already done: %R %R"


def run_ok(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if p.returncode:
        raise Fail("%s: status %d\n%s" % (" ".join(argv), p.returncode, p.stdout.decode()))
    return p.stdout.decode()


def stripped_module_target(kind):
    """pyenv 3.12's async_service.py with a private lib-dynload whose _asyncio
    is stripped (objcopy --strip-all --add-gnu-debuglink) and cannot be found
    by its code either: MARKER is altered in it, which changes only an error
    message's text. kind says where the module's debug file (objcopy
    --only-keep-debug) goes: "build-id" (a .build-id tree over
    /usr/lib/debug), "debuglink" (lib-dynload/.debug/) or "none". The
    folders are bind-mounted in a mount namespace of the target's own:
    nothing changes outside it, and the tracer sees them only through
    /proc/PID/root. Returns (interpreter, argv)."""
    py = find("pyenv-3.12")
    if not shutil.which("objcopy") or not shutil.which("unshare"):
        raise Skip("no objcopy or unshare here")
    dyn = os.path.realpath(os.path.join(os.path.dirname(py), "..", "lib", "python3.12",
                                        "lib-dynload"))
    mod = glob.glob(os.path.join(dyn, "_asyncio.cpython-312*.so"))[0]
    base = os.path.join(cfg.tmp, "debugfile-%s-%d" % (kind, os.getpid()))
    shutil.rmtree(base, ignore_errors=True)
    copy = os.path.join(base, "lib-dynload")
    shutil.copytree(dyn, copy, symlinks=True)
    dbg = os.path.join(base, "asyncio312.debug")
    stripped = os.path.join(copy, os.path.basename(mod))
    run_ok(["objcopy", "--only-keep-debug", mod, dbg])
    run_ok(["objcopy", "--strip-all", "--add-gnu-debuglink=" + dbg, mod, stripped])
    with open(stripped, "rb") as f:
        data = f.read()
    if data.count(MARKER) != 1:
        raise Fail("%s holds %r %d times" % (mod, MARKER, data.count(MARKER)))
    with open(stripped, "wb") as f:
        f.write(data.replace(MARKER, MARKER.upper()))
    mounts = [(copy, dyn)]
    if kind == "build-id":
        bid = re.search(r"Build ID: ([0-9a-f]+)", run_ok(["readelf", "-n", stripped])).group(1)
        at = os.path.join(base, "debug", ".build-id", bid[:2], bid[2:] + ".debug")
        os.makedirs(os.path.dirname(at))
        shutil.copy(dbg, at)
        mounts.append((os.path.join(base, "debug"), "/usr/lib/debug"))
    elif kind == "debuglink":
        os.makedirs(os.path.join(copy, ".debug"))
        shutil.copy(dbg, os.path.join(copy, ".debug"))
    script = " && ".join("mount --bind %s %s" % m for m in mounts) + ' && exec "$@"'
    return py, ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", py,
                os.path.join(cfg.here, "workloads", "async_service.py")]


@case("asyncio by-task -p pyenv-3.12: names through a debug file found by build ID")
def debug_file_build_id():
    py, argv = stripped_module_target("build-id")
    return check_attach(py, True, argv, ("found by the debug file /proc/", "/usr/lib/debug/.build-id/"))


@case("asyncio by-task -p pyenv-3.12: names through a debug file found by debuglink")
def debug_file_link():
    py, argv = stripped_module_target("debuglink")
    return check_attach(py, True, argv, ("found by the debug file /proc/",
                                         "/lib-dynload/.debug/asyncio312.debug"))


@case("asyncio by-task -p pyenv-3.12: a stripped module with no debug file the code cannot tell")
def debug_file_none():
    """The control of the two cases before: without its debug file the
    altered module's tasks are Task-?, so their names come from the file."""
    py, argv = stripped_module_target("none")
    return check_attach(py, False, argv, ("no debug file for it",
                                          "did not show the function"))


@case("asyncio by-task -p trixie python3.13 chroot: a service's workers, names by code")
def trixie_service():
    """Debian trixie's python3.13 (its _asyncio stripped, no debug file in
    the root), chrooted in its own user, mount and PID namespaces as
    test_namespaces.py runs it: the module is read through /proc/PID/root
    and task_step_impl found by its code."""
    from cases.test_namespaces import TRIXIE_PY, child_of, trixie_argv
    argv = trixie_argv([TRIXIE_PY, "/mnt/ft/workloads/async_service.py"])
    return check_attach(TRIXIE_PY, True, argv, ("found by its code",), pid_of=child_of)


def check_reuse(py):
    """workloads/async_task_reuse.py: eight tasks of unit(), one after the
    other, named seq-0 .. seq-7, two steps each, unit() calling plain()
    once per step (the workload's code). On 3.8-3.10 their coroutines'
    frames take one another's address, which the tracer keys tasks by:
    the Task's address, read with the name, tells them apart."""
    res = tool(["-f", "json", "--by-task", "--include", INCLUDE, "--", py,
                os.path.join(cfg.here, "workloads", "async_task_reuse.py")], timeout=180)
    expect_rc(res, 0)
    got = [t for t in parse_json(res.stdout, res).get("tasks", []) if t["coro"] == "unit"]
    names = [t["name"] for t in got]
    if names != ["seq-%d" % i for i in range(8)]:
        raise Fail("tasks %s, seq-0 .. seq-7 expected" % [
            (t["name"], t["coro_addr"], len(t["steps"])) for t in got])
    step = [[0, "unit"], [1, "plain"]]
    for t in got:
        steps = [step_calls(s["calls"]) for s in t["steps"]]
        if steps != [step, step]:
            raise Fail("task %s: steps %s, two of %s expected" % (t["name"], steps, step))
    reused = len(got) - len(set(t["coro_addr"] for t in got))
    if not reused:
        raise Fail("no coroutine frame address was reused: the case tests nothing here")
    return "8 tasks apart, %d of them at a reused coroutine frame address" % reused


for _name in ("pyenv-3.8", "pyenv-3.10"):
    add("asyncio by-task %s: tasks whose coroutines reuse one address" % _name,
        (lambda n: lambda: check_reuse(find(n)))(_name))


def count_calls(calls, skip=()):
    return sum((c.get("func") not in skip) + count_calls(c.get("children", []), skip)
               for c in calls)


def check_eager(py, method):
    """workloads/async_eager.py: tasks started eagerly (3.12+) from plain
    code and from inside tasks, some finishing without suspending, some
    suspending, one eager inside another's eager start, two made by Task()
    right in a coroutine. Against the workload's own oracle
    (asyncio.current_task() per call): every task with each step's calls,
    the task whose step each eager start ran inside, and each call in the
    task view once, as often as in the thread's tree (not also in the
    creator's step)."""
    expected = oracle_tasks(py, "async_eager")
    extra = [] if method == "auto" else ["--method", method]
    res = tool(["-f", "json", "--by-task", "--include", INCLUDE] + extra +
               ["--", py, wl("async_eager")], timeout=180)
    expect_rc(res, 0)
    doc = parse_json(res.stdout, res)
    got = traced_tasks(doc, "async_eager")
    compare(expected, got, "%s --method %s" % (py, method))
    pos = {g["id"]: i for i, g in enumerate(got)}
    for e, g in zip(expected, got):
        inside = [pos.get(i) if i else None for i in g["inside"]]
        if inside != e["inside"]:
            raise Fail("task %r: started inside the steps of tasks %s, the oracle says %s" % (
                e["name"], inside, e["inside"]))
    mine = "/workloads/async_eager.py"
    in_tasks = sum(count_calls(s["calls"]) for t in doc["tasks"] for s in t["steps"]
                   if t["coro_file"].endswith(mine))
    # the workload's calls outside any task: its module, run() and the
    # Oracle class's body
    in_threads = count_calls([c for th in doc["threads"] for c in th["calls"]],
                             ("<module>", "run", "Oracle"))
    want = sum(len(s) for e in expected for s in e["steps"])
    if in_tasks != want or in_threads != want:
        raise Fail("calls: %d in the task view, %d in the threads, the oracle %d" % (
            in_tasks, in_threads, want))
    eager = sum(1 for g in got if g["inside"][0])
    return "%d tasks, %d started eagerly inside another's step, %d calls once each" % (
        len(got), eager, want)


# 3.12+ take no eval-loop method (--method eval is refused there): frame is
# the default; usdt sees no tasks
for _name, _method in (("pyenv-3.12", "auto"), ("pyenv-3.12", "frame"), ("pyenv-3.13", "auto"),
                       ("pyenv-3.13", "frame"), ("py3.14-dtrace", "auto"),
                       ("py3.14-dtrace", "frame"), ("py3.14-tailcall-strip", "auto"),
                       ("py3.14-ft", "auto")):
    add("asyncio by-task eager %s --method %s" % (_name, _method),
        (lambda n, m: lambda: check_eager(find(n), m))(_name, _method))


@case("asyncio by-task eager: replay, tree and chrome show the same eager starts")
def eager_views():
    """The recording of workloads/async_eager.py replays to the tasks its
    oracle has, eager starts included; tree and chrome show those tasks
    with each eager start under its own task only."""
    py = find("pyenv-3.12")
    path = os.path.join(cfg.tmp, "eager.ftrace")
    res = tool(["record", "-o", path, "--", py, wl("async_eager")], timeout=180)
    expect_rc(res, 0, "record")
    res = tool(["replay", "-f", "json", "--by-task", "--include", INCLUDE, path])
    expect_rc(res, 0, "replay")
    doc = parse_json(res.stdout, res)
    expected = oracle_tasks(py, "async_eager")
    got = traced_tasks(doc, "async_eager")
    compare(expected, got, "replay")
    if doc.get("tasks_eager_seen") is not True:
        raise Fail("replay: tasks_eager_seen is %r, every Task was read" % (
            doc.get("tasks_eager_seen"),))
    eager = [t for t in doc["tasks"] if t["steps"] and t["steps"][0].get("inside_task")]
    tree = tool(["replay", "-f", "tree", "--by-task", "--include", INCLUDE, path])
    expect_rc(tree, 0, "replay -f tree")
    out = tree.stdout.decode()
    for t in eager:
        line = "# eager start: ran inside task %d's step\n" % (
            t["steps"][0]["inside_task"])
        head = "# task %d \"%s\"" % (t["id"], t["name"])
        at = out.find(head)
        if at < 0 or not out[at:].split("\n", 1)[1].startswith(line):
            raise Fail("tree: task %d's header is not followed by %r" % (t["id"], line))
        # and where it ran, in the creator's step, one line
        mark = "[eager start of task %d \"%s\": shown under that task]\n" % (t["id"], t["name"])
        if out.count(mark) != 1:
            raise Fail("tree: %d lines %r, one expected" % (out.count(mark), mark))
    if "are not seen" in out:
        raise Fail("tree: says eager starts are not seen, every Task was read")
    ch = tool(["replay", "-f", "chrome", "--by-task", "--include", INCLUDE, path])
    expect_rc(ch, 0, "replay -f chrome")
    tracks = {}
    chdoc = parse_json(ch.stdout, ch)
    if chdoc.get("otherData", {}).get("tasks_eager_seen") is not True:
        raise Fail("chrome: otherData.tasks_eager_seen is not true: %s" % chdoc.get("otherData"))
    for ev in chdoc["traceEvents"]:
        if ev["tid"] >= 1000000000 and ev.get("ph") == "X":
            tracks[ev["tid"] - 1000000000] = tracks.get(ev["tid"] - 1000000000, 0) + 1
    want = {t["id"]: sum(count_calls(s["calls"]) for s in t["steps"]) for t in doc["tasks"]}
    want = {k: v for k, v in want.items() if v}
    if tracks != want:
        raise Fail("chrome: calls per task track %s, the json's tasks %s" % (tracks, want))
    return "%d tasks replayed, %d eager starts, tree and chrome agree" % (len(got), len(eager))
