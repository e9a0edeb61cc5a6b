"""--follow (issue 12, item 1): the processes a traced one forks are traced
too, from their first instruction, and theirs (grandchildren), whenever
they are forked (a pre-fork server's workers started after attach).

Every case compares with the oracle (oracle.py), whose profile function a
forked child inherits, as it inherits the probes: the child's tree, from
the fork on, is written to a file of its own. The tracer's threads carry
"pid"; they are grouped into processes by it, and each process's trees are
compared with the oracle's process, ignoring pids and order. A frame that
is still running when its process leaves by os._exit is flagged
unfinished, as the oracle's open stack says.

Children that exec the same interpreter (multiprocessing's spawn and
forkserver, subprocess.run([sys.executable, ...]), through sh -c) are
traced afresh, and so are the processes they fork (the forkserver's
workers); the oracle follows them through oracle_site/sitecustomize.py.
A child that execs another CPython (another version or build) is traced
by a probe set of its own, made while it runs (it is never stopped): from
then on, with the frames it was running shown as entered before attach.
Its workload waits (exec_leaf.py, wait_attach) until the tracer says so,
so every later call is compared with the oracle's. A child that execs
another program (true, sh) is passed over, said under -v.

Case names: "follow INTERP MODE: WHAT"."""

import functools
import glob
import os
import re
import signal
import subprocess
import time

from ftlib import interps, trees
from ftlib.flows import attach_raw, command, start_gated
from ftlib.harness import (INCLUDE, Fail, Proc, Result, cfg, check_meta, check_well_formed,
                           child_env, expect_rc, expect_trees, oracle, parse_json,
                           start_tool, tool, tool_threads, wait_ready, workload)
from ftlib.registry import add

EXEC_NOTE = re.compile(r"^flowtrace-bpf: (?:warning: )?PID (\d+) exec'd (.*?)(?::|, the) "
                       r"(not the traced interpreter, passed over|traced interpreter: "
                       r"traced afresh|not followed)", re.M)


def mark_open(calls, n):
    """The oracle's open stack (n frames) is the chain of last roots: those
    frames never returned (os._exit), which the tracer flags unfinished."""
    while n > 0 and calls:
        last = calls[-1]
        last.flags = frozenset(set(last.flags) | {"unfinished"})
        calls = last.children
        n -= 1


def oracle_process(path, uprobes):
    doc = parse_json(open(path, "rb").read())
    out = []
    for raw, t in zip(doc["threads"], trees.threads_from_oracle(doc, uprobes)):
        mark_open(t.calls, raw.get("open", 0))
        out.append(t)
    return trees.filter_threads(out, lambda calls: trees.apply_globs(calls, [INCLUDE]))


def run_oracle(interp, name, args=(), gate=False, env=None):
    """(parent threads, [child process threads]) of the oracle's run."""
    out = os.path.join(cfg.tmp, "follow-oracle-%s-%s-%s.json"
                       % (interp.name, name, "-".join(args).replace("/", "_") or "x"))
    for f in glob.glob(out + "*"):
        os.unlink(f)
    extra = dict(env or {})
    if gate:
        extra["FT_GATE"] = "1"
    env = child_env(extra)
    p = Proc([interp.path, os.path.join(cfg.here, "oracle.py"), "-o", out, workload(name)]
             + list(args), env=env, stdin="pipe")
    p.send(b"go\n")
    p.close_stdin()
    rc = p.wait(120, "oracle on " + name)
    if rc != 0:
        raise Fail("the oracle failed on %s (status %s)\n%s" % (name, rc, p.stderr_tail()))
    parent = oracle_process(out, True)
    if gate:
        parent = [trees.Thread(t.tid, t.name, trees.attached_view(
            t.calls, lambda n: n.func == "gate") or t.calls) for t in parent]
    # processes started by exec end on their own (a forkserver when its
    # parent is gone): wait for each one's tree
    deadline = time.monotonic() + 60
    while True:
        started = [f[len(out + ".exec."):] for f in glob.glob(out + ".exec.*")]
        missing = [pid for pid in started if not os.path.exists(out + ".child." + pid)]
        if not missing:
            break
        if time.monotonic() > deadline:
            raise Fail("the oracle's exec'd processes %s never wrote their trees" % missing)
        time.sleep(0.1)
    # in the order they started (by PID)
    children = [oracle_process(f, True) for f in sorted(
        glob.glob(out + ".child.*"), key=lambda f: int(f.rsplit(".", 1)[1]))]
    return parent, [c for c in children if c]


def tool_processes(doc, res):
    """The tracer's threads with calls, grouped by "pid": (root's, [each
    other process's])."""
    root = doc["meta"]["pid"]
    if doc["meta"].get("follow") is not True:
        raise Fail("meta.follow: expected true, got %r" % doc["meta"].get("follow"))
    threads = tool_threads(doc)
    check_well_formed(threads)
    procs = {}
    for raw, t in zip(doc["threads"], threads):
        if not isinstance(raw.get("pid"), int):
            raise Fail("thread %s has no integer \"pid\"\n  %s" % (t.tid, res.context()))
        if t.calls:
            procs.setdefault(raw["pid"], []).append(t)
    return procs.pop(root, []), [procs[k] for k in sorted(procs)]


def merged(processes):
    """Every process's roots as one thread, sorted: which pool worker ran
    which item is the scheduler's choice."""
    calls = [n for threads in processes for t in threads for n in t.calls]
    calls.sort(key=lambda n: repr(trees.forest_key([n])))
    return [trees.Thread(0, None, calls)] if calls else []


def expect_processes(want, got, pooled):
    (wp, wc), (gp, gc) = want, got
    expect_trees(wp, gp, "the traced process")
    if pooled:
        expect_trees(merged(wc), merged(gc), "the children's calls, all together")
        return
    if len(wc) != len(gc):
        raise Fail("expected %d child processes with calls, got %d" % (len(wc), len(gc)))
    # each child has one thread here: compare them as threads, in any order
    expect_trees([t for p in wc for t in p], [t for p in gc for t in p], "the children")


def run_follow(interp, mode, name, args=(), pooled=False, execs=(), env=None,
               parent_only=False):
    """execs: under -v, the exec lines expected, as (file substring,
    "traced afresh" or "passed over"), in any order."""
    argv = [interp.path, workload(name)] + list(args)
    topts = ["-F", "-f", "json", "--include", INCLUDE] + (["-v"] if execs else [])
    if mode == "-c":
        res = tool(topts + ["-c", command(*argv)], env=child_env(env) if env else None)
        expect_rc(res, 0)
        pid = None
    elif mode == "record":
        # the trace file keeps the processes: replayed, the same checks
        out = os.path.join(cfg.tmp, "follow-%s-%s.ftrace" % (interp.name, name))
        rec = tool(["record", "-F", "-o", out, "-c", command(*argv)])
        expect_rc(rec, 0, "flowtrace-bpf record -F")
        res = tool(["replay"] + topts[1:] + [out])
        expect_rc(res, 0, "flowtrace-bpf replay")
        check_chrome_and_report(out, parse_json(res.stdout, res), res)
        res.stderr = rec.stderr + res.stderr
        mode, pid = "-c", None
    else:
        res, pid = attach_raw(topts, argv)
    doc = parse_json(res.stdout, res)
    check_meta(doc, pid=pid, probe=interp.auto_method(mode))
    got = tool_processes(doc, res)
    want = run_oracle(interp, name, args, gate=mode == "-p")
    check_exec_lines(EXEC_NOTE.findall(res.stderr), execs, res)
    if parent_only:
        # the child's own calls vary from run to run (how long it takes to
        # get an address back); the parent's must not
        if len(got[1]) != 1:
            raise Fail("expected one child process, got %d" % len(got[1]))
        expect_trees(want[0], got[0], "the parent, after its child reused its addresses")
        return "the parent's calls keep their own names"
    expect_processes(want, got, pooled)
    return "%d child processes" % len(got[1])


def check_exec_lines(notes, execs, res):
    """Every expected exec line once (file substring, verdict), no other."""
    got = sorted((f, v.split()[-1]) for _, f, v in notes)
    left = list(got)
    for sub, verdict in execs:
        hit = [g for g in left if sub in g[0] and verdict.endswith(g[1])]
        if not hit:
            raise Fail("no -v line: exec'd *%s*: %s; got %s\n  %s"
                       % (sub, verdict, got, res.context()))
        left.remove(hit[0])
    if left:
        raise Fail("unexpected exec lines %s\n  %s" % (left, res.context()))


def check_chrome_and_report(out, doc, res):
    """chrome: each process's events under its real pid; report --threads:
    each thread's table says its process."""
    pids = sorted({t["pid"] for t in doc["threads"] if t["calls"]})
    ch = tool(["replay", "-f", "chrome", "--include", INCLUDE, out])
    expect_rc(ch, 0, "flowtrace-bpf replay -f chrome")
    events = parse_json(ch.stdout, ch)["traceEvents"]
    got = sorted({e["pid"] for e in events if e.get("ph") == "X"})
    if got != pids:
        raise Fail("chrome: call events under pids %s, expected the processes' %s"
                   % (got, pids))
    rep = tool(["report", "--threads", "--include", INCLUDE, out])
    expect_rc(rep, 0, "flowtrace-bpf report --threads")
    text = rep.stdout.decode()
    for pid in pids:
        if not re.search(r"^# thread \d+ \(.*\) in PID %d$" % pid, text, re.M):
            raise Fail("report --threads: no table headed for PID %d\n%s" % (pid, text[:2000]))


LATE_NOTE = re.compile(r"^flowtrace-bpf: warning: PID (\d+) exec'd (.*) \(CPython ([^)]*)\): "
                       r"traced from \+(\d+) ms after its exec", re.M)


def wait_joined(tracer, what):
    """Waits for the tracer's line saying the exec'd child of another
    CPython is traced from now on."""
    if not tracer.wait_stderr("traced from +", 120):
        rc = tracer.p.poll()
        tracer.kill()
        raise Fail("no \"traced from\" line for %s (exit status %s)\n%s"
                   % (what, rc, tracer.stderr_tail()))


def run_follow_other(interp, mode, other, times=1):
    """A child execs another CPython (other, exec_child.py's "other"): it
    is traced by a probe set of its own, attached while it runs. Its
    workload waits in wait_attach() until the tracer's warning says so
    (a file the runner makes then), so its tree is the oracle's from
    wait_attach on, wait_attach and <module> entered before attach; the
    parent's is the oracle's whole. times=2: a second child runs the same
    interpreter after the first, with its probes in: traced whole, by the
    same set (-v says so)."""
    go = os.path.join(cfg.tmp, "follow-go-%s%s" % (interp.name, mode))
    if os.path.exists(go):
        os.unlink(go)
    argv = [interp.path, workload("exec_child"), "other", other.path, str(times)]
    topts = ["-F", "-f", "json", "--include", INCLUDE] + (["-v"] if times > 1 else [])
    env = {"FT_GO_FILE": go}
    if mode in ("-c", "record"):
        rec = os.path.join(cfg.tmp, "follow-other-%s.ftrace" % interp.name)
        tracer = start_tool((["record", "-F", "-o", rec] if mode == "record" else topts)
                            + ["-c", command(*argv)], env=child_env(env))
        wait_joined(tracer, other.path)
        open(go, "w").close()
        tracer.wait(120, "flowtrace-bpf -F -c")
        pid = None
    else:
        target = start_gated(argv, env_extra=env)
        pid = target.pid
        tracer = start_tool(topts + ["-p", str(pid)])
        wait_ready(tracer)
        target.send(b"go\n")
        target.close_stdin()
        wait_joined(tracer, other.path)
        open(go, "w").close()
        rc = target.wait(60, "the traced parent")
        if rc != 0:
            raise Fail("the parent exited %s\n%s" % (rc, target.stderr_tail()))
        tracer.wait(60, "flowtrace-bpf after its targets exited")
    res = Result(tracer)
    expect_rc(res, 0)
    if mode == "record":
        # the trace file keeps the second set's process: replayed, the same
        # checks, and chrome's pids and report's tables per process
        res = tool(["replay"] + topts[1:] + [rec])
        expect_rc(res, 0, "flowtrace-bpf replay")
        check_chrome_and_report(rec, parse_json(res.stdout, res), res)
        res.stderr = tracer.stderr + res.stderr
        mode = "-c"
    notes = LATE_NOTE.findall(res.stderr)
    if len(notes) != 1 or notes[0][1] != other.path:
        raise Fail("expected one \"traced from\" line for %s, got %s\n  %s"
                   % (other.path, notes, res.context()))
    doc = parse_json(res.stdout, res)
    check_meta(doc, pid=pid, probe=interp.auto_method(mode))
    got = tool_processes(doc, res)
    if [p[0].tid for p in got[1]][:1] != [int(notes[0][0])] or len(got[1]) != times:
        raise Fail("expected the calls of %d children, PID %s first, got PIDs %s"
                   % (times, notes[0][0], [p[0].tid for p in got[1]]))
    if times > 1:
        again = re.findall(r"^flowtrace-bpf: PID (\d+) exec'd %s, CPython [^ ]+ whose probes "
                           r"are in: traced afresh$" % re.escape(other.path), res.stderr, re.M)
        if again != [str(got[1][1][0].tid)]:
            raise Fail("expected -v to say PID %s was traced afresh, got %s\n  %s"
                       % (got[1][1][0].tid, again, res.context()))
    wp, wc = run_oracle(interp, "exec_child", ("other", other.path, str(times)),
                        gate=mode == "-p", env=env)
    # the first child (they run one after the other) as seen from its
    # attach; any later one whole
    wc = [[trees.Thread(t.tid, t.name, trees.attached_view(
        t.calls, lambda n: n.func == "wait_attach") or t.calls) for t in p] if i == 0 else p
        for i, p in enumerate(wc)]
    expect_processes((wp, wc), got, False)
    return "the child traced from +%s ms, by probes for CPython %s" % (notes[0][3], notes[0][2])


def follow_other_quick(interp, other):
    """A child execs another CPython that ends at once (exec_leaf.py with
    no wait: some 50 ms, less than making its probe set takes): never a
    silent loss. Its exec is said in exactly one line, either traced from
    some time on (its calls then are the oracle's suffix, not checked
    here) or not traced (its exit came first), and then no call of its
    is in the output."""
    res = tool(["-F", "-f", "json", "--include", INCLUDE, "-c",
                command(interp.path, workload("exec_child"), "other", other.path)])
    expect_rc(res, 0)
    lines = [l for l in res.stderr.splitlines()
             if "exec'd %s" % other.path in l]
    if len(lines) != 1 or not ("traced from +" in lines[0] or "not traced" in lines[0]):
        raise Fail("expected one line saying whether the exec'd %s was traced, got %s\n  %s"
                   % (other.path, lines, res.context()))
    root, others = tool_processes(parse_json(res.stdout, res), res)
    if "not traced" in lines[0] and others:
        raise Fail("said not traced, yet %d other processes have calls" % len(others))
    return lines[0].split(": ", 2)[-1][:60]


def sigkill_unharmed(interp):
    """The tracer is SIGKILLed while two followed workers run: the master
    (which exits 0 only if both workers did) must exit 0."""
    target = start_gated([interp.path, workload("outlive")])
    tracer = start_tool(["-F", "-f", "json", "-p", str(target.pid)])
    wait_ready(tracer)
    target.send(b"go\n")
    target.close_stdin()
    if not target.wait_stderr("FT_CHILDREN_UP", 30):
        raise Fail("the workers never started\n%s" % target.stderr_tail())
    time.sleep(0.3)  # well inside the workers' 2 s of calls
    os.kill(tracer.pid, signal.SIGKILL)
    tracer.wait(30, "the SIGKILLed tracer")
    rc = target.wait(60, "the master after the tracer died")
    if rc != 0:
        raise Fail("the master exited %s: a worker was harmed\n%s" % (rc, target.stderr_tail()))
    return "workers exited normally"


def exec_reuse(interp):
    """In a child that exec'd the interpreter, a code object's file name
    string freed and its address taken by another file's (stated by the
    workload, FT_REUSED FILE): the second outer() call must be named after
    FILE, which needs the code-death probe to see deaths in a process that
    loaded the interpreter elsewhere."""
    res = tool(["-F", "-f", "json", "--include", "*/reuse_*",
                "-c", command(interp.path, workload("exec_reuse"))])
    expect_rc(res, 0)
    m = re.search(r"^FT_REUSED (.*)$", res.stderr, re.M)
    if not m:
        raise Fail("the child never got the address back: the case proves nothing\n  %s"
                   % res.context())
    doc = parse_json(res.stdout, res)
    root, others = tool_processes(doc, res)
    outers = [n for p in others for t in p for n in t.calls if n.func == "outer"]
    got = [os.path.basename(n.file) for n in outers]
    want = ["reuse_aaaa.py", os.path.basename(m.group(1))]
    if got != want:
        raise Fail("the exec'd child's outer() calls are named after %s, expected %s"
                   % (got, want))
    return "the second call named after %s" % want[1]


def tracefs_uprobe_events():
    """The text of uprobe_events (probes made through tracefs, libbpf's
    legacy way), from a tracefs mounted for the purpose when none is."""
    for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        f = os.path.join(d, "uprobe_events")
        if os.path.exists(f):
            with open(f) as fh:
                return fh.read()
    mnt = os.path.join(cfg.tmp, "tracefs")
    os.makedirs(mnt, exist_ok=True)
    if subprocess.run(["mount", "-t", "tracefs", "nodev", mnt]).returncode != 0:
        raise Fail("no tracefs, and none could be mounted at %s" % mnt)
    try:
        with open(os.path.join(mnt, "uprobe_events")) as fh:
            return fh.read()
    finally:
        subprocess.run(["umount", mnt])


def link_ids_of(pid):
    """The ids of the BPF links process pid holds (its fds' fdinfo)."""
    ids = set()
    d = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as fh:
                m = re.search(r"^link_id:\s*(\d+)", fh.read(), re.M)
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    return ids


def sigkill_exec_unharmed(interp, other=None):
    """The tracer is SIGKILLed while two children it follows after their
    exec of the interpreter (subprocess.Popen([sys.executable, ...])) make
    calls: both must finish with their right result (the master exits 0
    only then), and nothing of the tracer stays in the kernel: none of its
    links, the same uprobe_events as before. With other: the children
    exec that CPython, and the tracer dies once their own probe set is in
    (its links are among those checked)."""
    events = tracefs_uprobe_events()
    target = start_gated([interp.path, workload("exec_outlive")]
                         + (["other", other.path] if other else []))
    tracer = start_tool(["-F", "-f", "json", "-p", str(target.pid)])
    wait_ready(tracer)
    links = link_ids_of(tracer.pid)
    if not links:
        raise Fail("the tracer holds no BPF links: nothing to check")
    target.send(b"go\n")
    target.close_stdin()
    if not target.wait_stderr("FT_CHILDREN_UP", 30):
        raise Fail("the children never started\n%s" % target.stderr_tail())
    if other:
        # inside the children's 8 s of calls, their probes in
        wait_joined(tracer, other.path)
        more = link_ids_of(tracer.pid)
        if not more > links:
            raise Fail("no more links after the second probe set went in")
        links = more
    time.sleep(0.3)  # well inside the children's 2 s of calls
    os.kill(tracer.pid, signal.SIGKILL)
    tracer.wait(30, "the SIGKILLed tracer")
    rc = target.wait(60, "the master after the tracer died")
    if rc != 0:
        raise Fail("the master exited %s: a child was harmed\n%s" % (rc, target.stderr_tail()))
    out = subprocess.run(["bpftool", "-j", "link", "list"], stdout=subprocess.PIPE)
    left = links & {l["id"] for l in parse_json(out.stdout)}
    if left:
        raise Fail("links of the dead tracer remain: %s" % sorted(left))
    if tracefs_uprobe_events() != events:
        raise Fail("uprobe_events changed")
    return "children exited normally, %d links gone" % len(links)


def def_line(path, func):
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if line.startswith("def %s(" % func):
                return i
    raise Fail("no def %s in %s" % (func, path))


def several_pids(interp):
    """-p W1,W2: two workers forked from one master, traced without it.
    Stated from the source: each worker was in <module> > main() >
    worker() > wait_go() at attach (the frames a thread was running are
    shown as its ancestors, flagged entered_before_attach: docs/design.md,
    the call-tree builder), then calls handle(), which calls respond();
    worker() and its callers never return (os._exit): unfinished."""
    path = workload("workers_idle")
    master = start_gated([interp.path, path])
    line = [l for l in master.stderr.splitlines() if l.startswith("FT_GATE_READY pids ")][0]
    pids = [int(p) for p in line.split()[2:]]
    tracer = start_tool(["-f", "json", "--include", INCLUDE, "-p",
                         ",".join(str(p) for p in pids)])
    wait_ready(tracer)
    master.send(b"xx")
    master.close_stdin()
    rc = master.wait(60, "the master")
    if rc != 0:
        raise Fail("the master exited %s\n%s" % (rc, master.stderr_tail()))
    tracer.wait(30, "flowtrace-bpf after the workers exited")
    res = Result(tracer)
    expect_rc(res, 0)
    doc = parse_json(res.stdout, res)
    check_meta(doc, pid=pids[0], probe=interp.auto_method("-p"))
    root, others = tool_processes(doc, res)

    def n(func, flags=(), children=()):
        line = 1 if func == "<module>" else def_line(path, func)
        node = trees.Node(func, path, line, flags, list(children))
        node.ignore_line = "entered_before_attach" in flags
        return node

    running = {"entered_before_attach", "unfinished"}
    want = [n("<module>", running, [n("main", running, [n("worker", running, [
        n("wait_go", {"entered_before_attach"}), n("handle", (), [n("respond")])])])])]
    got = root + [t for p in others for t in p]
    expect_trees([trees.Thread(p, None, want) for p in pids], got, "the two workers")
    return "both workers traced"


def apart_pids(interp):
    """-p A,B: two processes of one interpreter started apart, which load it
    at different addresses (ASLR; BPF places its addresses per process):
    each one's main() after the attach, exactly as the oracle's gated run."""
    path = workload("fib")
    a = start_gated([interp.path, path])
    b = start_gated([interp.path, path])
    tracer = start_tool(["-f", "json", "-p", "%d,%d" % (a.pid, b.pid)])
    wait_ready(tracer)
    for t in (a, b):
        t.send(b"go\n")
        t.close_stdin()
        if t.wait(60, "a traced fib") != 0:
            raise Fail("a traced target did not exit 0\n%s" % t.stderr_tail())
    tracer.wait(30, "flowtrace-bpf after both targets exited")
    res = Result(tracer)
    expect_rc(res, 0)
    doc = parse_json(res.stdout, res)
    check_meta(doc, pid=a.pid, probe=interp.auto_method("-p"))
    threads = tool_threads(doc)
    check_well_formed(threads)
    want = oracle(path, gate=True, interp=interp.path, uprobes=True)
    want_main = trees.find_first(want[0].calls, lambda n: n.func == "main" and n.file == path)
    if want_main is None or trees.count_calls([want_main]) < 100:
        raise Fail("test bug: the oracle's main() of fib: %r" % want_main)
    for pid in (a.pid, b.pid):
        got = [t for t, raw in zip(threads, doc["threads"])
               if raw.get("pid") == pid and t.tid == pid]
        node = trees.find_first(got[0].calls, lambda n: n.func == "main" and n.file == path) \
            if got else None
        if node is None:
            raise Fail("no main() of PID %d in the trace\n  %s" % (pid, res.context()))
        expect_trees([trees.Thread(pid, None, [want_main])], [trees.Thread(pid, None, [node])],
                     "the oracle's main() of fib, PID %d" % pid)
    return "both processes exact"


def refusals():
    py = cfg.py39 or "/usr/bin/python3"
    res = tool(["-F", "--method", "usdt", "-c", command(py, "-c", "pass")])
    expect_rc(res, 2)
    if "--follow" not in res.stderr:
        raise Fail("the refusal does not name --follow\n  %s" % res.context())
    # not kin: another interpreter's process
    a = start_gated([py, workload("fib")])
    other = [i for i in interps.Discovery(cfg.py39).interps
             if i.kind == "pyenv" and os.path.realpath(i.path) != os.path.realpath(py)]
    if not other:
        raise Fail("no second interpreter for the refusal: %s" % cfg.py39)
    b = start_gated([other[0].path, workload("fib")])
    res = tool(["-p", "%d,%d" % (a.pid, b.pid)])
    expect_rc(res, 6)
    if "PID %d does not run PID %d's interpreter" % (b.pid, a.pid) not in res.stderr:
        raise Fail("the refusal does not say why\n  %s" % res.context())
    for t in (a, b):
        t.send(b"go\n")
        t.close_stdin()
        if t.wait(30, "an untraced fib") != 0:
            raise Fail("a refused target did not exit 0\n%s" % t.stderr_tail())
    return "usdt refused, another interpreter's PID refused"


def _register():
    found = []
    disc = interps.Discovery(cfg.py39, cfg.py314, cfg.py314_missing)
    for interp in disc.interps:
        if interp.kind == "dtrace" or (interp.kind == "pyenv" and interp.minor == (3, 12)):
            found.append(interp)
    # another Python for a child to exec: traced by a probe set of its own
    pyenv = {i.minor: i for i in disc.interps if i.kind == "pyenv"}
    for interp in found:
        other = pyenv.get((3, 11) if interp.kind == "pyenv" else (3, 12))
        me = os.path.basename(interp.path)
        cells = [("-c", "fork_tree", (), False, ()),
                 ("-c", "pool_map", ("fork",), True, ()),
                 ("-c", "pool_map", ("spawn",), True, ()),
                 ("-c", "pool_map", ("forkserver",), True, ()),
                 ("-p", "pool_map", ("spawn",), True, ()),
                 ("-p", "pool_map", ("forkserver",), True, ()),
                 ("-c", "exec_child", ("python",), False, ((me, "traced afresh"),)),
                 ("-p", "exec_child", ("python",), False, ((me, "traced afresh"),)),
                 ("-c", "exec_child", ("sh",), False,
                  (("/sh", "passed over"), (me, "traced afresh"))),
                 ("-c", "exec_child", ("true",), False, (("/true", "passed over"),)),
                 ("-p", "prefork", (), False, ()),
                 ("record", "fork_tree", (), False, ()),
                 ("record", "pool_map", ("spawn",), True, ())]
        for mode, name, args, pooled, execs in cells:
            add("follow %s %s: %s%s" % (interp.name, mode, name,
                                        " " + " ".join(args) if args else ""),
                functools.partial(run_follow, interp, mode, name, args, pooled, execs))
        # names are per process: a child reusing the parent's string addresses
        add("follow %s -c: fork_reuse (a child reuses its parent's name addresses)"
            % interp.name,
            functools.partial(run_follow, interp, "-c", "fork_reuse", parent_only=True))
        # kernels before 6.6: perf-event links, attached for every process (pid -1)
        add("follow %s -c: fork_tree, perf-event links" % interp.name,
            functools.partial(run_follow, interp, "-c", "fork_tree",
                              env={"FLOWTRACE_NO_UPROBE_MULTI": "1"}))
        add("follow %s -p: workers unharmed when the tracer is SIGKILLed" % interp.name,
            functools.partial(sigkill_unharmed, interp))
        add("follow %s -c: exec_reuse (an exec'd child reuses a dead code's name addresses)"
            % interp.name, functools.partial(exec_reuse, interp))
        add("follow %s -p: exec'd children unharmed when the tracer is SIGKILLed"
            % interp.name, functools.partial(sigkill_exec_unharmed, interp))
        if other:
            for mode in ("-c", "-p", "record"):
                add("follow %s %s: exec_child other %s (its own probe set)"
                    % (interp.name, mode, other.name),
                    functools.partial(run_follow_other, interp, mode, other))
            add("follow %s -c: exec_child other %s twice (the second by the same set, whole)"
                % (interp.name, other.name),
                functools.partial(run_follow_other, interp, "-c", other, 2))
            add("follow %s -c: exec_child other %s, ending at once (said, never silent)"
                % (interp.name, other.name),
                functools.partial(follow_other_quick, interp, other))
            add("follow %s -p: children exec'ing %s unharmed when the tracer is SIGKILLed"
                % (interp.name, other.name),
                functools.partial(sigkill_exec_unharmed, interp, other))
        add("follow %s -p W1,W2: two workers of one master" % interp.name,
            functools.partial(several_pids, interp))
        add("follow %s -p A,B: two processes started apart (the interpreter at two "
            "addresses)" % interp.name, functools.partial(apart_pids, interp))
    # 3.14's default start method on Linux: forkserver
    for interp in disc.interps:
        if interp.name == "py3.14-dtrace":
            add("follow %s -c: pool_map default (forkserver)" % interp.name,
                functools.partial(run_follow, interp, "-c", "pool_map", ("default",), True))
    add("follow: refused with the markers, and for unrelated PIDs", refusals)


_register()
