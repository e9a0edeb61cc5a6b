"""Targets in a PID namespace (a container): CPython 3.11+ stores each
thread's id as its own namespace numbers it (native_thread_id), while
/proc and BPF give the host's ids. The workload runs under `unshare --pid
--fork --mount-proc` (and with `--user --map-root-user` too: a user
namespace, as rootless containers have), the tracer attaches with -p and
the host PID at the start gate, and the tree must equal the oracle's, as
in the matrix; output keeps the host's ids. Threads parked before the
gate wake with no eval-loop entry to name their thread state, so on 3.12+
BPF must find it by the thread's id in the target's namespace.

Containers beyond that: the interpreter at a path the host does not have
(its prefix bind-mounted at a private path inside a mount namespace, the
original hidden), so the tracer must open it through the target's root;
a real distribution (a debootstrap'd Debian trixie, its own python3.13)
run chrooted in namespaces of its own, against an oracle run there too;
--follow of children forked inside the namespace. Every output states
the namespace ids beside the host's: meta.ns (checked against
/proc/PID/ns and NSpid), meta.cgroup (against /proc/PID/cgroup) and each
thread's ns_tid and ns_pid (against NSpid of the threads alive at the
gate; by the namespace's own numbering for the forked children)."""

import functools
import glob
import os
import shutil

from ftlib import trees
from ftlib.flows import start_gated
from ftlib.harness import (INCLUDE, Fail, Proc, Result, Skip, cfg, check_well_formed,
                           child_env, expect_rc, expect_trees, oracle, parse_json, start_tool,
                           tool, tool_threads, wait_ready, workload)
from ftlib.registry import add

from .test_follow import expect_processes, oracle_process, run_oracle, tool_processes
from .test_interp_matrix import DISCOVERY, check_flags, method_line

UNSHARE = "/usr/bin/unshare"
WORKLOADS = ["parked_threads", "three_threads"]
NAMESPACES = {"pid": ["--pid", "--fork", "--mount-proc"],
              "pid+user": ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc"],
              "private": ["--user", "--map-root-user", "--mount", "--pid", "--fork",
                          "--mount-proc"]}
# which namespaces each variant gives the target, as meta.ns.foreign lists them
# (--mount-proc implies a mount namespace)
FOREIGN = {"pid": ["pid", "mnt"], "pid+user": ["pid", "mnt", "user"],
           "private": ["pid", "mnt", "user"]}
PRIVATE = "/mnt/ftpriv"  # where the "private" variant's interpreter lives
# The "private" variant: inside its own mount namespace, the interpreter's
# prefix appears at PRIVATE (a tmpfs over /mnt, which the host does not
# see) and its own path is hidden under a tmpfs, so only the target's root
# reaches its files. Debian's /usr cannot be hidden; its executable (the
# whole interpreter: Debian links libpython in statically) is copied.
PRIVATE_SH = r"""
set -e
prefix=$1; exe=$2; shift 2
mount -t tmpfs ftpriv /mnt
mkdir /mnt/ftpriv
if [ "$prefix" = /usr ]; then
    mkdir -p "/mnt/ftpriv/${exe%/*}"
    cp "/usr/$exe" "/mnt/ftpriv/$exe"
else
    mount --bind "$prefix" /mnt/ftpriv
    mount -t tmpfs hidden "$prefix"
fi
LD_LIBRARY_PATH=/mnt/ftpriv/lib exec "/mnt/ftpriv/$exe" "$@"
"""
# The trixie root: a tmpfs over its /mnt (the cached root is never written)
# holds tests/integration at /mnt/ft and the run's temporary directory at
# /mnt/out (the oracle writes there); /proc is the PID namespace's own.
TRIXIE_SH = r"""
set -e
root=$1; here=$2; out=$3; shift 3
mount -t tmpfs ft "$root/mnt"
mkdir "$root/mnt/ft" "$root/mnt/out"
mount --bind "$here" "$root/mnt/ft"
mount --bind "$out" "$root/mnt/out"
mount -t proc proc "$root/proc"
exec chroot "$root" "$@"
"""
TRIXIE_PY = "/usr/bin/python3.13"
FOLLOWED = "prefork"  # the --follow workload, as test_follow.py traces it with -p


def child_of(pid):
    """The one child of pid (unshare --fork's), or None."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = f.read().split()
    except OSError:
        return None
    return int(kids[0]) if len(kids) == 1 else None


def nspid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return [int(x) for x in line.split()[1:]]
    raise Skip("the kernel has no NSpid in /proc/PID/status")


def target_argv(interp, ns, args):
    """The command that runs interp with args in the namespaces ns names."""
    if ns != "private":
        return [UNSHARE] + NAMESPACES[ns] + [interp.path] + list(args)
    prefix = os.path.dirname(os.path.dirname(interp.path))
    exe = os.path.relpath(interp.path, prefix)
    return ([UNSHARE] + NAMESPACES[ns] + ["/bin/sh", "-c", PRIVATE_SH, "sh", prefix, exe]
            + list(args))


def ns_inode(pid, kind):
    return os.stat("/proc/%d/ns/%s" % (pid, kind)).st_ino


def cgroup_of(pid):
    """The cgroup the docs promise meta.cgroup is: the unified hierarchy's
    path unless it is the root, else systemd's (v1), else the first v1
    controller's that is not the root, else "/"."""
    v2 = systemd = v1 = None
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f.read().splitlines():
            parts = line.split(":", 2)
            if len(parts) != 3 or not parts[2].startswith("/"):
                continue
            hid, ctrl, path = parts
            if path == "/":
                continue
            if hid == "0" and ctrl == "":
                v2 = v2 or path
            elif ctrl == "name=systemd":
                systemd = systemd or path
            else:
                v1 = v1 or path
    return v2 or systemd or v1 or "/"


def task_nspids(pid):
    """host tid -> its id in the target's own PID namespace, for every
    thread alive now."""
    out = {}
    for d in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, d)) as f:
                for line in f:
                    if line.startswith("NSpid:"):
                        out[int(d)] = int(line.split()[-1])
        except OSError:
            pass
    return out


def container_facts(pid):
    """What the tracer must say about pid's container, read now (the
    target is alive at its gate): meta.ns, meta.cgroup, thread ids."""
    ids = nspid(pid)
    return {"ns": {"pid": ids[-1], "pid_ns": ns_inode(pid, "pid"),
                   "mnt": ns_inode(pid, "mnt"), "user": ns_inode(pid, "user")},
            "cgroup": cgroup_of(pid), "tids": task_nspids(pid)}


def check_container(doc, facts, foreign, res):
    """meta.ns and meta.cgroup as /proc said them; every thread with its
    namespace ids: those alive at the gate as NSpid said, later ones
    distinct and in the namespace's own numbering."""
    meta = doc["meta"]
    ns = meta.get("ns")
    if not isinstance(ns, dict):
        raise Fail("meta.ns: expected an object, got %r\n  %s" % (ns, res.context()))
    want = dict(facts["ns"], foreign=foreign)
    if ns != want:
        raise Fail("meta.ns: expected %r (from /proc), got %r" % (want, ns))
    if meta.get("cgroup") != facts["cgroup"]:
        raise Fail("meta.cgroup: expected %r (from /proc/PID/cgroup), got %r"
                   % (facts["cgroup"], meta.get("cgroup")))
    seen = set()
    for t in doc["threads"]:
        if "calls" in t and not t["calls"]:
            continue
        if t.get("ns_pid") != facts["ns"]["pid"]:
            raise Fail("thread %s: expected \"ns_pid\": %d, got %r"
                       % (t["tid"], facts["ns"]["pid"], t.get("ns_pid")))
        nst = t.get("ns_tid")
        if t["tid"] in facts["tids"]:
            if nst != facts["tids"][t["tid"]]:
                raise Fail("thread %s: expected \"ns_tid\": %d (NSpid), got %r"
                           % (t["tid"], facts["tids"][t["tid"]], nst))
        elif not isinstance(nst, int) or nst <= 0 or nst == t["tid"]:
            raise Fail("thread %s (born after the gate): expected its own \"ns_tid\", got %r"
                       % (t["tid"], nst))
        if nst in seen:
            raise Fail("two threads with \"ns_tid\": %r" % nst)
        seen.add(nst)


def ns_target(argv):
    """A gated target started by argv (unshare ... python), and the PID of
    its python process (the host's id)."""
    if not os.access(UNSHARE, os.X_OK):
        raise Skip("no %s" % UNSHARE)
    target = start_gated(argv)
    pid = child_of(target.pid)
    if pid is None:
        raise Fail("cannot find the python process under unshare (PID %d)" % target.pid)
    return target, pid


def trace_released(target, args, what="flowtrace-bpf"):
    """Runs flowtrace-bpf with args until ready, releases the gated target,
    and waits for both; the target must succeed. Returns the tracer's
    Result."""
    tracer = start_tool(args)
    wait_ready(tracer)
    target.send(b"go\n")
    target.close_stdin()
    rc = target.wait(60, "the traced target")
    if rc != 0:
        raise Fail("the traced target exited with %s\n%s" % (rc, target.stderr_tail()))
    tracer.wait(30, "%s after its target exited" % what)
    return Result(tracer)


def parked_view(thread, path):
    """A thread parked in park() at the gate, as the tracer sees it."""
    calls = trees.attached_view(thread.calls, lambda n: n.func == "park" and n.file == path)
    return trees.Thread(thread.tid, thread.name, calls if calls is not None else thread.calls)


def expected_tree(interp, path, method):
    threads = oracle(path, gate=True, interp=interp.path, uprobes=method != "usdt")
    threads = trees.filter_threads(threads, lambda calls: trees.apply_globs(calls, [INCLUDE]))
    main = threads[0]
    calls = trees.attached_view(main.calls, lambda n: n.func == "gate" and n.file == path)
    if calls is None:
        raise Fail("the oracle's gated run of %s has no gate() call" % path)
    return [trees.Thread(main.tid, main.name, calls)] + [parked_view(t, path)
                                                          for t in threads[1:]]


def ns_cell(interp, opts, want, ns, name):
    path = workload(name)
    target, pid = ns_target(target_argv(interp, ns, [path]))
    ids = nspid(pid)
    if len(ids) < 2 or ids[0] != pid:
        raise Fail("PID %d is not in a PID namespace of its own: NSpid %s" % (pid, ids))
    facts = container_facts(pid)
    res = trace_released(target, ["-v", "-f", "json", "--include", INCLUDE] + list(opts) +
                         ["-p", str(pid)])
    expect_rc(res, 0)
    got, line = method_line(res.stderr)
    if got != want:
        raise Fail("expected -v to say 'method %s', got %r\n  %s" % (want, line, res.context()))
    doc = parse_json(res.stdout, res)
    meta = doc["meta"]
    if meta.get("pid") != pid:
        raise Fail("meta.pid: expected the host PID %d, got %r" % (pid, meta.get("pid")))
    if meta.get("lost") != 0 or meta.get("drops", {}).get("unplaced"):
        raise Fail("expected nothing lost or unplaced, got lost %r, drops %r"
                   % (meta.get("lost"), meta.get("drops")))
    threads = tool_threads(doc)
    check_well_formed(threads)
    # host ids: the main thread's is the host PID; the namespace numbers
    # threads from 1, which the host never gives a target's thread
    tids = sorted(t.tid for t in threads)
    if pid not in tids or min(tids) <= ids[-1] + len(threads):
        raise Fail("expected the host's thread ids (the main thread's is %d), got %s"
                   % (pid, tids))
    check_flags(threads, {"entered_before_attach"})
    check_container(doc, facts, FOREIGN[ns], res)
    if ns == "private" and not (meta.get("binary", "").startswith(PRIVATE + "/")
                                and not os.path.exists(meta["binary"])):
        raise Fail("meta.binary: expected the private path under %s the host does not have, "
                   "got %r" % (PRIVATE, meta.get("binary")))
    expected = expected_tree(interp, path, want)
    expect_trees(expected, trees.filter_threads(threads, list),
                 "the oracle on %s; method %s; %s namespace" % (interp.name, want, ns))
    return "%s, NSpid %s, %d threads" % (want, ids, len(threads))


def cells():
    """3.11+ store native_thread_id: pyenv 3.11-3.13 and Debian's 3.11,
    each with its auto method (read-only uprobes); the marker-complete 3.9
    with every method exact in attach mode (auto, usdt)."""
    for interp in DISCOVERY.interps:
        if interp.minor >= (3, 11) and interp.kind in ("debian", "pyenv"):
            yield interp, (), interp.auto_method("-p")
        elif interp.kind == "dtrace":
            for mode, opts, want in interp.cells():
                if mode == "-p":
                    yield interp, opts, want


def private_wanted(interp):
    """The private-path variant: the 3.9 build, pyenv's 3.12 and Debian's
    3.11 (a prefix with libpython, one without, the distribution's)."""
    return interp.kind in ("dtrace", "debian") or (interp.kind == "pyenv"
                                                   and interp.minor == (3, 12))


def follow_cell(interp, want):
    """--follow inside a container: a pre-fork server's workers are forked
    inside the PID namespace; every process's tree is the oracle's, and
    each carries its own id there."""
    target, pid = ns_target(target_argv(interp, "pid+user", [workload(FOLLOWED)]))
    facts = container_facts(pid)
    res = trace_released(target, ["-v", "-F", "-f", "json", "--include", INCLUDE,
                                  "-p", str(pid)])
    expect_rc(res, 0)
    got_method, line = method_line(res.stderr)
    if got_method != want:
        raise Fail("expected -v to say 'method %s', got %r" % (want, line))
    doc = parse_json(res.stdout, res)
    got = tool_processes(doc, res)
    expect_processes(run_oracle(interp, FOLLOWED, gate=True), got, False)
    meta = doc["meta"]
    if meta.get("ns", {}).get("pid") != facts["ns"]["pid"]:
        raise Fail("meta.ns.pid: expected %r, got %r" % (facts["ns"]["pid"], meta.get("ns")))
    return check_follow_ids(doc, pid)


def check_follow_ids(doc, pid):
    """Each process's threads carry its id in the namespace: 1 for the
    target (the first process there), a distinct one for each worker it
    forked (threads take ids from the same numbering, so not 2, 3, 4)."""
    by_pid = {}
    for t in doc["threads"]:
        if not t["calls"]:
            continue
        if not isinstance(t.get("ns_pid"), int) or not isinstance(t.get("ns_tid"), int):
            raise Fail("thread %s of PID %s lacks its namespace ids: %r"
                       % (t["tid"], t.get("pid"), t))
        if t["tid"] == t["pid"] and t["ns_tid"] != t["ns_pid"]:
            raise Fail("main thread %s: ns_tid %d is not its process's ns_pid %d"
                       % (t["tid"], t["ns_tid"], t["ns_pid"]))
        by_pid.setdefault(t["pid"], set()).add(t["ns_pid"])
    if any(len(v) != 1 for v in by_pid.values()):
        raise Fail("a process's threads disagree on its ns_pid: %r" % by_pid)
    ids = {k: v.pop() for k, v in by_pid.items()}
    nspids = sorted(ids.values())
    if ids.get(pid) != 1 or len(set(nspids)) != len(nspids) or any(
            k == v for k, v in ids.items() if k != pid) or len(nspids) < 2:
        raise Fail("expected the target numbered 1 in the namespace and each worker a "
                   "number of its own there, got %r (host: ns)" % ids)
    return "%d processes, ns pids %s" % (len(nspids), nspids)


def record_cell(interp):
    """A trace file keeps the container: recorded from a namespaced target,
    replayed after the container is gone, json says the same meta.ns,
    meta.cgroup and thread ids as /proc said of the live target."""
    path = workload("three_threads")
    target, pid = ns_target(target_argv(interp, "private", [path]))
    facts = container_facts(pid)
    out = os.path.join(cfg.tmp, "namespaces-%s.ftrace" % interp.name)
    res = trace_released(target, ["record", "-o", out, "-p", str(pid)],
                         "flowtrace-bpf record")
    expect_rc(res, 0, "flowtrace-bpf record")
    res = tool(["replay", "-f", "json", "--include", INCLUDE, out])
    expect_rc(res, 0, "flowtrace-bpf replay")
    doc = parse_json(res.stdout, res)
    check_container(doc, facts, FOREIGN["private"], res)
    threads = tool_threads(doc)
    expect_trees(expected_tree(interp, path, interp.auto_method("-p")),
                 trees.filter_threads(threads, list), "the oracle, through a trace file")
    res = tool(["replay", "-f", "tree", "--include", INCLUDE, out])
    expect_rc(res, 0, "flowtrace-bpf replay -f tree")
    head = "# PID %d (ns %d) in its own pid, mnt, user namespaces [cgroup %s]\n" % (
        pid, facts["ns"]["pid"], facts["cgroup"])
    text = res.stdout.decode()
    if not text.startswith(head):
        raise Fail("expected the tree to open with %r, got %r" % (head, text[:200]))
    return "replayed: meta.ns, cgroup and %d threads' ids kept" % len(threads)


def need_trixie():
    if not cfg.trixie:
        if cfg.ci:
            raise Fail("no Debian trixie root: %s" % cfg.trixie_missing)
        raise Skip("no Debian trixie root: %s" % cfg.trixie_missing)
    return cfg.trixie


def trixie_argv(argv):
    return ([UNSHARE, "--user", "--map-root-user", "--mount", "--pid", "--fork", "/bin/sh",
             "-c", TRIXIE_SH, "sh", need_trixie(), cfg.here, cfg.tmp] + list(argv))


def trixie_oracle(name, stem):
    """The oracle (sys.setprofile) run by trixie's own python3.13 in the
    same kind of container, gated; its output read back through the bind
    of the run's directory. Returns the host path of its output."""
    out = os.path.join(cfg.tmp, stem + ".json")
    for f in glob.glob(out + "*"):
        os.unlink(f)
    p = Proc(trixie_argv([TRIXIE_PY, "/mnt/ft/oracle.py", "-o", "/mnt/out/%s.json" % stem,
                          "/mnt/ft/workloads/%s.py" % name]),
             env=child_env({"FT_GATE": "1"}), stdin="pipe")
    p.send(b"go\n")
    p.close_stdin()
    rc = p.wait(120, "the oracle in the trixie root")
    if rc != 0:
        raise Fail("the oracle in the trixie root failed on %s (status %s)\n%s"
                   % (name, rc, p.stderr_tail()))
    return out


def trixie_cell(name, follow):
    """Debian trixie's python3.13, chrooted in its own user, mount and PID
    namespaces: auto picks frame (its markers are gc, import and audit
    only: no function markers since 3.12), and the trees are exact."""
    root = need_trixie()
    target, pid = ns_target(trixie_argv([TRIXIE_PY, "/mnt/ft/workloads/%s.py" % name]))
    facts = container_facts(pid)
    exe = os.readlink("/proc/%d/exe" % pid)
    if exe != root + TRIXIE_PY:
        raise Fail("PID %d runs %s, not the trixie root's %s" % (pid, exe, TRIXIE_PY))
    opts = ["-F"] if follow else []
    res = trace_released(target, ["-v", "-f", "json", "--include", INCLUDE] + opts +
                         ["-p", str(pid)])
    expect_rc(res, 0)
    got, line = method_line(res.stderr)
    if got != "frame":
        raise Fail("expected -v to say 'method frame', got %r\n  %s" % (line, res.context()))
    doc = parse_json(res.stdout, res)
    meta = doc["meta"]
    if meta.get("pid") != pid or meta.get("python", "")[:5] != "3.13.":
        raise Fail("meta: expected PID %d running 3.13, got %r, %r"
                   % (pid, meta.get("pid"), meta.get("python")))
    if meta.get("lost") != 0 or meta.get("drops", {}).get("unplaced"):
        raise Fail("expected nothing lost or unplaced, got lost %r, drops %r"
                   % (meta.get("lost"), meta.get("drops")))
    # the interpreter as the chrooted target sees it: its exe link (the
    # host's path) checked above, less the root
    if meta.get("binary") != TRIXIE_PY:
        raise Fail("meta.binary: expected %s, as the container sees it, got %r"
                   % (TRIXIE_PY, meta.get("binary")))
    out = trixie_oracle(name, "trixie-oracle-%s" % name)
    if follow:
        got = tool_processes(doc, res)
        parent = oracle_process(out, True)
        parent = [trees.Thread(t.tid, t.name, trees.attached_view(
            t.calls, lambda n: n.func == "gate") or t.calls) for t in parent]
        children = [oracle_process(f, True) for f in sorted(glob.glob(out + ".child.*"))]
        expect_processes((parent, [c for c in children if c]), got, False)
        return "frame, " + check_follow_ids(doc, pid)
    threads = tool_threads(doc)
    check_well_formed(threads)
    check_flags(threads, {"entered_before_attach"})
    check_container(doc, facts, FOREIGN["private"], res)
    path = "/mnt/ft/workloads/%s.py" % name
    want = trees.threads_from_oracle(parse_json(open(out, "rb").read()), True)
    want = trees.filter_threads(want, lambda calls: trees.apply_globs(calls, [INCLUDE]))
    main = want[0]
    calls = trees.attached_view(main.calls, lambda n: n.func == "gate" and n.file == path)
    if calls is None:
        raise Fail("the oracle's gated run of %s has no gate() call" % path)
    want = [trees.Thread(main.tid, main.name, calls)] + [parked_view(t, path) for t in want[1:]]
    expect_trees(want, trees.filter_threads(threads, list),
                 "the oracle in the trixie root; method frame")
    return "frame, CPython %s, NSpid %s, %d threads" % (meta["python"], nspid_str(facts),
                                                         len(threads))


def nspid_str(facts):
    return "ns pid %d" % facts["ns"]["pid"]


def trixie_usdt_refused():
    """Its python3.13 has markers, but not the function ones: --method usdt
    is refused with the reason (docs/compatibility.md)."""
    target, pid = ns_target(trixie_argv([TRIXIE_PY, "/mnt/ft/workloads/parked_threads.py"]))
    try:
        res = tool(["--method", "usdt", "-p", str(pid)])
    finally:
        target.send(b"go\n")
        target.close_stdin()
        target.wait(60, "the target")
    if res.rc != 6 or "has no python:function__entry/function__return markers" not in res.stderr:
        raise Fail("expected exit 6 and 'has no python:function__entry/function__return "
                   "markers'\n  %s" % res.context())
    return "refused: no function markers"


for _interp, _opts, _want in cells():
    for _ns in NAMESPACES:
        if _ns == "private" and not private_wanted(_interp):
            continue
        for _name in WORKLOADS:
            add("namespaces %s %s -p %s: %s" % (_interp.name, _ns, " ".join(_opts) or
                                                "auto(%s)" % _want, _name),
                functools.partial(ns_cell, _interp, _opts, _want, _ns, _name))
for _interp in DISCOVERY.interps:
    if _interp.kind == "dtrace" or (_interp.kind == "pyenv" and _interp.minor == (3, 12)):
        add("namespaces %s pid+user -F -p: %s (workers forked in the namespace)"
            % (_interp.name, FOLLOWED),
            functools.partial(follow_cell, _interp, _interp.auto_method("-p")))
        add("namespaces %s private record + replay: the container kept" % _interp.name,
            functools.partial(record_cell, _interp))
for _name in WORKLOADS:
    add("namespaces trixie python3.13 chroot -p auto(frame): %s" % _name,
        functools.partial(trixie_cell, _name, False))
add("namespaces trixie python3.13 chroot -F -p auto(frame): %s" % FOLLOWED,
    functools.partial(trixie_cell, FOLLOWED, True))
add("namespaces trixie python3.13: --method usdt refused (no function markers)",
    trixie_usdt_refused)
