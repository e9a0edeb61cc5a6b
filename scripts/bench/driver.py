"""flowtrace-bpf benchmark driver (run by scripts/bench.sh, as root).

Runs every configuration of every workload side by side, in interleaved
rounds, so ratios hold on a noisy machine; then runs the long memory trace
and the launch-to-ready measurements; saves every raw measurement as JSON
and has report.py write docs/performance.md from it.

Every traced configuration uses one protocol (see workload.py): the workload
starts, warms up, counts its calls and waits at a gate; the tracer attaches
with -p; once the tracer says it is ready the driver opens the gate; the
workload times its own hot section and reports elapsed seconds and calls.
Start-up of any tracer is therefore never inside a measured time.

Then the per-method cost: every probe method (usdt, eval, frame) on every
interpreter present (the dtrace 3.9, pyenv 3.8-3.14, Debian's python3.11, the
3.14 builds of scripts/build-python314.sh), each against its own floor.

usage: driver.py --python PY --tracer FT [--bpftrace BT] [--rounds N]
                 [--long-seconds S] [--results FILE] [--out FILE]
                 [--pyenv-root DIR] [--method-rounds N] [--parts main,methods]
                 [--method-targets ID,...]
Standard library only; needs Python 3.9+ (run by /usr/bin/python3.11).
"""

import argparse
import ctypes
import glob
import hashlib
import json
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import durations  # noqa: E402
import report  # noqa: E402

WORKLOAD = os.path.join(HERE, "workload.py")
PEER_TEMPLATE = "uflow.bt.in"

# Sizes give about one second of traced hot loop each on the reference VM,
# where one traced call costs ~12 us (the uprobe trap dominates).
WORKLOADS = [
    ("fib", 23, "call-heavy recursion: fib(23), 92 735 calls"),
    ("mix", 700, "realistic mix: 700 rounds of re, classes, generators, exceptions, json"),
    ("threads", 22, "two busy threads at once, each running fib(22)"),
    ("deep", 25, "deep recursion: 25 descents to depth 3000"),
]

FORMATS = ("tree", "json", "jsonl")

READY_RE = re.compile(r"^flowtrace-bpf: tracing PID \d+")
SUMMARY_RE = re.compile(
    r"^flowtrace-bpf: (\d+) calls in (\d+) threads? \((\d+) events\), (\d+) lost, "
    r"(\d+) still running, ([\d.]+) s")
LOST_RE = re.compile(rb"^Lost (\d+) events")

TIMEOUT_READY = 30.0  # s, workload or tracer start-up
TIMEOUT_RUN = 600.0  # s, one hot section
TIMEOUT_EXIT = 120.0  # s, tracer exit after the target's (json renders at the end)


# The main section measures the markers against the peer, which uses them
# too; auto never switches a CPython's markers on (they can change what it
# does), so they are asked for.
USDT = ["--method", "usdt"]


def configs():
    """Every configuration run against every workload, in round-robin order."""
    out = [
        {"id": "untraced", "kind": "untraced", "label": "untraced"},
        {"id": "floor-usdt", "kind": "floor", "method": "usdt", "sink": "null",
         "args": USDT, "label": "floor: usdt probes, empty BPF programs (--calibrate)"},
    ]
    for fmt in FORMATS:
        for sink in ("null", "file"):
            out.append({"id": "ft-%s-%s" % (fmt, sink), "kind": "flowtrace", "method": "usdt",
                        "args": USDT, "format": fmt, "sink": sink,
                        "label": "flowtrace-bpf -f %s, %s" % (
                            fmt, "stdout to /dev/null" if sink == "null" else "-o FILE")})
    for sink in ("null", "file"):
        out.append({"id": "peer-%s" % sink, "kind": "peer", "sink": sink,
                    "label": "bpftrace uflow-like script, %s" % (
                        "stdout to a drained pipe" if sink == "null" else "stdout to a file")})
    out += inproc_configs(9)
    # only in the cost split: how far --calibrate is from a program doing nothing
    out.append({"id": "empty-bpftrace", "kind": "peer", "sink": "file", "split_only": True,
                "template": "empty.bt.in",
                "label": "truly empty programs (bpftrace, empty actions)"})
    return out


def inproc_configs(minor):
    """For scale: the in-process ways to trace a CPython 3.<minor> offers,
    run by the workload itself around its measured section (workload.py's
    INPROC), no tracer attached."""
    out = [{"id": "inproc-cprofile", "kind": "inproc", "inproc": "cprofile",
            "label": "in-process: cProfile"},
           {"id": "inproc-setprofile", "kind": "inproc", "inproc": "setprofile",
            "label": "in-process: sys.setprofile, a Python function doing nothing"}]
    if minor >= 12:
        out.append({"id": "inproc-monitoring", "kind": "inproc", "inproc": "monitoring",
                    "label": "in-process: sys.monitoring PY_START/PY_RETURN callbacks doing "
                    "nothing"})
    return out


# ---------------------------------------------------------------- per-method cost
#
# Every probe method on every interpreter it applies to, with the same
# protocol (attach with -p at the gate). Per interpreter: its untraced run,
# and per method the floor (--calibrate: the method's own probes with
# programs that return at once) and flowtrace-bpf -f jsonl to /dev/null.
# The eval hook is refused on 3.11+ (it misses calls or changes what the
# target does there), so it is not measured.

METHOD_WORKLOADS = [
    ("fib", 20, "fib(20), 21 891 calls: nothing but Python-to-Python calls"),
    ("mix", 100, "mix, 100 rounds (~11 900 calls): re, classes, generators, exceptions, json"),
]
METHOD_MINORS = range(8, 15)  # interpreter uprobes: CPython 3.8 to 3.14
DEBIAN_PY = "/usr/bin/python3.11"
# scripts/build-python314.sh's builds: python3.14-<variant>/bin/python3.14
PY314_GLOB = "/var/cache/flowtrace-bpf/python3.14-*/bin/python3.14"
PY314_VARIANTS = ("dtrace", "tailcall", "dtrace-strip", "tailcall-strip", "ft")


def method_list(t):
    """(id, name, tracer options) of the methods measured on target t."""
    if t["kind"] == "dtrace":
        return [("usdt", "usdt", USDT),
                ("eval", "eval", ["--method", "eval"]),
                ("frame", "frame", ["--method", "frame"])]
    if t["minor"] <= 10:
        return [("eval", "eval", ["--method", "eval"]),
                ("frame", "frame", ["--method", "frame"])]
    return [("frame-ro", "frame, read-only", ["--method", "frame"])]


def method_configs(t):
    out = [{"id": "untraced", "kind": "untraced", "label": "untraced"}]
    for mid, label, args in method_list(t):
        out.append({"id": "floor-" + mid, "kind": "floor", "method": mid, "args": args,
                    "sink": "null", "label": "floor: %s, empty BPF programs" % label})
        out.append({"id": "ft-" + mid, "kind": "flowtrace", "method": mid, "args": args,
                    "name": label, "format": "jsonl", "sink": "null",
                    "label": "%s, flowtrace-bpf -f jsonl to /dev/null" % label})
    return out + inproc_configs(t["minor"])


def py_version(py):
    return cmd_out([py, "-c", "import sys; print(sys.version.split()[0])"])


def method_targets(dtrace_py, pyenv_root):
    """The interpreters of the per-method section, and those left out (why)."""
    targets = [{"id": "dtrace-3.9", "kind": "dtrace", "minor": 9, "python": dtrace_py,
                "label": "dtrace %s"}]
    skipped = []
    found = {}
    pattern = os.path.join(pyenv_root, "versions", "3.*", "bin", "python3.*")
    for path in glob.glob(pattern):
        ver = path.split(os.sep)[-3]
        m = re.fullmatch(r"3\.(\d+)\.(\d+)", ver)  # not 3.13.0t, 3.12-dev, ...
        if not m or os.path.basename(path) != "python3.%s" % m.group(1):
            continue
        minor, patch = int(m.group(1)), int(m.group(2))
        if minor not in METHOD_MINORS:
            skipped.append("pyenv %s (%s): interpreter uprobes support 3.8-3.14" % (ver, path))
            continue
        if minor not in found or patch > found[minor][0]:
            found[minor] = (patch, path, ver)
    for minor in METHOD_MINORS:
        if minor in found:
            _, path, ver = found[minor]
            targets.append({"id": "pyenv-3.%d" % minor, "kind": "pyenv", "minor": minor,
                            "python": path, "label": "pyenv %s"})
        else:
            skipped.append("pyenv 3.%d: absent (nothing matches %s)" % (minor, os.path.join(
                pyenv_root, "versions", "3.%d.*" % minor, "bin", "python3.%d" % minor)))
    if os.access(DEBIAN_PY, os.X_OK):
        targets.append({"id": "debian-3.11", "kind": "debian", "minor": 11, "python": DEBIAN_PY,
                        "label": "Debian %s"})
    else:
        skipped.append("Debian %s: absent" % DEBIAN_PY)
    # the 3.14 builds, in build-python314.sh's order; the frame method
    # (read-only) on each, markers or not, as on the other 3.11+ builds
    found14 = {path.split(os.sep)[-3][len("python3.14-"):]: path
               for path in glob.glob(PY314_GLOB) if os.access(path, os.X_OK)}
    for variant in sorted(found14, key=lambda v: (PY314_VARIANTS.index(v)
                                                  if v in PY314_VARIANTS else 99, v)):
        targets.append({"id": "py314-" + variant, "kind": "py314", "minor": 14,
                        "python": found14[variant], "label": "3.14 " + variant + " %s"})
    if not found14:
        skipped.append("3.14 builds: absent (nothing matches %s; scripts/build-python314.sh)"
                       % PY314_GLOB)
    for t in targets:
        t["version"] = py_version(t["python"])
        t["label"] = t["label"] % t["version"]
        t["configs"] = method_configs(t)
    return targets, sorted(skipped)


def run_methods(bench, targets, rounds, results):
    """Every configuration of every target on every method workload, once a
    round; the configurations of one target in a rotated order."""
    for rnd in range(rounds):
        for wi, (wname, size, _) in enumerate(METHOD_WORKLOADS):
            for ti, t in enumerate(targets):
                cfgs = t["configs"]
                k = (rnd + wi + ti) % len(cfgs)
                for cfg in [c for c in cfgs[k:] + cfgs[:k] for _ in range(c.get("repeat", 1))]:
                    try:
                        r = bench.run(wname, cfg.get("sizes", {}).get(wname, size), cfg,
                                      py=t["python"])
                    except RuntimeError as e:
                        # one method failing on one interpreter is a finding, not a crash
                        r = {"workload": wname, "config": cfg["id"], "error": str(e)[-600:],
                             "refused": isinstance(e, Refused)}
                        log("method run failed: %s %s %s: %s" % (t["id"], wname, cfg["id"],
                                                               str(e).splitlines()[0:1]))
                    r["round"] = rnd
                    r["target"] = t["id"]
                    results["runs"].append(r)
                    if "error" not in r:
                        log("methods %d/%d %-6s %-11s %-15s %7.3f s  %s" % (
                            rnd + 1, rounds, wname, t["id"], cfg["id"], r["elapsed_s"],
                            "lost %s, %s calls" % (r.get("lost"), r.get("tracer_calls"))
                            if cfg["kind"] == "flowtrace" else ""))


# ---------------------------------------------------------------- helpers


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def proc_cpu_ns(pid):
    """CPU time of every thread of pid so far, in ns (schedstat: exact)."""
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return None
    for tid in tids:
        s = read_text("/proc/%d/task/%s/schedstat" % (pid, tid)).split()
        if s:
            total += int(s[0])
    return total


def proc_status_kib(pid, field):
    for line in read_text("/proc/%d/status" % pid).splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


class Refused(RuntimeError):
    """flowtrace-bpf exited before it was ready, saying why."""


def signal_child(proc, sig):
    """os.kill, not Popen.send_signal: that polls first, and a child it
    reaps is lost to wait4 (and to its rusage)."""
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        pass


def wait_child(proc, timeout):
    """Reaps proc with wait4; returns (exit code, rusage). SIGINT, then
    SIGKILL, if it outlives timeout. rusage is None when something else
    reaped it already."""
    deadline = time.monotonic() + timeout
    sent = None
    while True:
        try:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        except ChildProcessError:
            return proc.returncode, None
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru
        now = time.monotonic()
        if now > deadline:
            if sent is None:
                log("PID %d did not exit in %.0f s: SIGINT" % (proc.pid, timeout))
                signal_child(proc, signal.SIGINT)
                sent = signal.SIGINT
                deadline = now + 10
            else:
                signal_child(proc, signal.SIGKILL)
                sent = signal.SIGKILL
                deadline = now + 3600
        time.sleep(0.002)


class LineReader:
    """Reads a text stream in a thread, keeps its lines, and notes the
    monotonic time at which the first line matching `ready` arrived."""

    def __init__(self, stream, ready=None):
        self.lines = []
        self.ready_at = None
        self.ready = threading.Event()
        self._pat = ready
        self._t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._t.start()

    def _run(self, stream):
        for line in stream:
            if isinstance(line, bytes):
                line = line.decode(errors="replace")
            if self._pat and self.ready_at is None and self._pat.search(line):
                self.ready_at = time.monotonic()
                self.ready.set()
            self.lines.append(line.rstrip("\n"))
        self.ready.set()  # EOF: wake a waiter, ready_at stays None

    def join(self, timeout=None):
        self._t.join(timeout)


class PeerCounter:
    """Drains bpftrace's stdout (the "null" sink of the peer): counts event
    lines and the "Lost N events" notices, keeps nothing else."""

    def __init__(self, stream):
        self.events = 0
        self.lost = 0
        self.bytes = 0
        self.ready_at = None
        self.ready = threading.Event()
        self._t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._t.start()

    def _run(self, stream):
        for line in stream:
            self.bytes += len(line)
            if b" -> " in line or b" <- " in line:
                self.events += 1
            elif self.ready_at is None and line.startswith(b"READY"):
                self.ready_at = time.monotonic()
                self.ready.set()
            else:
                m = LOST_RE.match(line)
                if m:
                    self.lost += int(m.group(1))
        self.ready.set()

    def join(self, timeout=None):
        self._t.join(timeout)


def result_ready(w):
    """True once the workload has printed its result (or died)."""
    if w.poll() is not None:
        return True
    r, _, _ = select.select([w.stdout], [], [], 0)
    return bool(r)


def prog_run_stats(pid):
    """(run_time_ns, run_cnt) summed over the BPF programs pid holds open."""
    t = n = 0
    fddir = "/proc/%d/fdinfo" % pid
    try:
        fds = os.listdir(fddir)
    except OSError:
        return 0, 0
    for fd in fds:
        info = read_text(os.path.join(fddir, fd))
        if "prog_type:" not in info:
            continue
        for line in info.splitlines():
            if line.startswith("run_time_ns:"):
                t += int(line.split()[1])
            elif line.startswith("run_cnt:"):
                n += int(line.split()[1])
    return t, n


def method_line(lines):
    """"METHOD: why" from flowtrace-bpf -v's "flowtrace-bpf: method METHOD: why"."""
    for l in lines:
        if l.startswith("flowtrace-bpf: method "):
            return l[len("flowtrace-bpf: method "):]
    return None


def count_peer_file(path):
    events = lost = 0
    with open(path, "rb") as f:
        for line in f:
            if b" -> " in line or b" <- " in line:
                events += 1
            else:
                m = LOST_RE.match(line)
                if m:
                    lost += int(m.group(1))
    return events, lost


# ---------------------------------------------------------------- one run


class Bench:
    def __init__(self, args, workdir):
        self.py = args.python
        self.tracer = args.tracer
        self.bpftrace = args.bpftrace
        self.workdir = workdir
        self.target_cpu = None
        self.other_cpus = None
        self.all_cpus = None

    def pin(self):
        """With 2+ CPUs: the workload gets the last CPU to itself; the driver,
        and each tracer once it is ready, the others, so no tracer takes CPU
        from the traced thread. Returns a description for the report."""
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return "not pinned (one CPU)"
        self.all_cpus = set(cpus)
        self.target_cpu = cpus[-1]
        self.other_cpus = set(cpus[:-1])
        os.sched_setaffinity(0, self.other_cpus)
        return ("workload on CPU %d; driver and tracers on CPU %s once the tracer is "
                "ready (unpinned before: the ready time is measured as scheduled "
                "normally)" % (cpus[-1], ",".join(str(c) for c in cpus[:-1])))

    def _pin_target(self):
        if self.target_cpu is not None:
            os.sched_setaffinity(0, {self.target_cpu})

    def _unpin(self):
        if self.all_cpus is not None:
            os.sched_setaffinity(0, self.all_cpus)

    def pin_tracer(self, pid):
        """Every thread of the tracer to the CPUs the workload does not use."""
        if self.other_cpus is None:
            return
        try:
            tids = os.listdir("/proc/%d/task" % pid)
        except OSError:
            return
        for tid in tids:
            try:
                os.sched_setaffinity(int(tid), self.other_cpus)
            except OSError:
                pass

    def start_workload(self, name, size, py=None, inproc=None):
        """inproc: the in-process tracer the workload runs its measured
        section under (workload.py's INPROC), or None."""
        env = dict(os.environ)
        env.pop("FT_INPROC", None)
        if inproc:
            env["FT_INPROC"] = inproc
        w = subprocess.Popen([py or self.py, WORKLOAD, name, str(size)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=self.workdir, preexec_fn=self._pin_target, env=env)
        t_end = time.monotonic() + TIMEOUT_READY
        line = w.stdout.readline()
        if line.strip() != "ready" or time.monotonic() > t_end:
            w.kill()
            raise RuntimeError("workload %s did not start: %r %s" % (name, line,
                                                                    w.stderr.read()))
        return w

    def libpython_of(self, pid):
        """The libpython mapped by pid (the peer's USDT path)."""
        for line in read_text("/proc/%d/maps" % pid).splitlines():
            parts = line.split()
            if len(parts) >= 6 and "/libpython" in parts[5]:
                return parts[5]
        return os.path.realpath(self.py)

    def peer_script_for(self, pid, template=PEER_TEMPLATE):
        lib = self.libpython_of(pid)
        path = os.path.join(self.workdir, template.replace(".in", ""))
        with open(os.path.join(HERE, template)) as f:
            text = f.read().replace("@LIBPYTHON@", lib)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run(self, wname, size, cfg, prog_stats=False, py=None):
        """One workload under one configuration; returns the measurements.
        prog_stats: also read the run time of the tracer's BPF programs
        (counted only while enable_bpf_stats()'s fd is open). py: the
        interpreter running the workload (default: --python).
        cfg["args"]: extra tracer options (--method, --eval-hook); a "hook"
        configuration attaches with --calibrate and is SIGKILLed once ready,
        which leaves the eval hook written and removes every probe (see
        method_configs)."""
        r = {"workload": wname, "config": cfg["id"]}
        w = self.start_workload(wname, size, py, cfg.get("inproc"))
        tr = None
        out_path = None
        out_f = None
        errs = peer = None
        try:
            if cfg["kind"] not in ("untraced", "inproc"):
                out_path = os.path.join(self.workdir, "out-%s-%s" % (wname, cfg["id"]))
                if cfg["kind"] == "peer":
                    argv = [self.bpftrace, "-p", str(w.pid),
                            self.peer_script_for(w.pid, cfg.get("template", PEER_TEMPLATE))]
                else:
                    argv = [self.tracer, "-p", str(w.pid)] + cfg.get("args", [])
                    if cfg.get("args"):
                        argv.append("-v")  # its "method NAME: why" line goes in the results
                    if cfg["kind"] in ("floor", "hook"):
                        argv.append("--calibrate")
                    else:
                        argv += ["-f", cfg["format"]]
                    if cfg["sink"] == "file":
                        argv += ["-o", out_path]
                # stdout: /dev/null for flowtrace's null sink; never "-o /dev/null"
                if cfg["kind"] == "peer":
                    if cfg["sink"] == "file":
                        out_f = open(out_path, "wb")
                        stdout = out_f
                    else:
                        stdout = subprocess.PIPE
                else:
                    stdout = subprocess.DEVNULL
                t_launch = time.monotonic()
                tr = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                                      stderr=subprocess.PIPE, text=cfg["kind"] != "peer",
                                      preexec_fn=self._unpin)
                if cfg["kind"] == "peer":
                    errs = LineReader(tr.stderr)
                    if cfg["sink"] == "null":
                        peer = PeerCounter(tr.stdout)
                        ready_at = self._await(peer.ready, TIMEOUT_READY) and peer.ready_at
                    else:
                        ready_at = self._poll_file_ready(out_path, tr)
                else:
                    errs = LineReader(tr.stderr, READY_RE)
                    ready_at = self._await(errs.ready, TIMEOUT_READY) and errs.ready_at
                if not ready_at:
                    if cfg["kind"] != "peer" and errs.lines:
                        # its stderr ended before a ready line: it is exiting
                        try:
                            code = tr.wait(timeout=5)
                        except subprocess.TimeoutExpired:
                            code = None
                        if code is not None:
                            raise Refused("exit %d: %s" % (code, " / ".join(errs.lines)))
                    raise RuntimeError("%s never became ready: %s" % (
                        argv[0], "\n".join(errs.lines[-5:]) if errs else ""))
                r["ready_ms"] = (ready_at - t_launch) * 1e3
                self.pin_tracer(tr.pid)
                r["cpu_at_ready_ns"] = proc_cpu_ns(tr.pid)
                if prog_stats:
                    st0 = prog_run_stats(tr.pid)
                if cfg["kind"] == "hook":
                    # SIGKILL: no chance to restore the slot; its BPF links
                    # (so its uprobes) go with its file descriptors, before
                    # the driver can reap it
                    signal_child(tr, signal.SIGKILL)
                    r["exit"], _ = wait_child(tr, 10)
                    errs.join(5)
                    r["method_line"] = method_line(errs.lines)
                    tr = None

            w.stdin.write("\n")
            w.stdin.flush()
            line = w.stdout.readline()
            if prog_stats and tr is not None:
                # the workload holds until stdin closes: the probes are still attached
                st1 = prog_run_stats(tr.pid)
                r["prog_run_ns"] = st1[0] - st0[0]
                r["prog_run_cnt"] = st1[1] - st0[1]
            w.stdin.close()
            rc = w.wait(timeout=TIMEOUT_RUN)
            t_exit = time.monotonic()
            if not line:
                raise RuntimeError("workload %s gave no result (status %d): %s" % (
                    wname, rc, w.stderr.read()))
            res = json.loads(line)
            r["elapsed_s"] = res["elapsed"]
            r["calls"] = res["calls"]
            if "warning" in res:
                r["warning"] = res["warning"]

            if tr is not None:
                code, ru = wait_child(tr, TIMEOUT_EXIT)
                r["exit_ms"] = (time.monotonic() - t_exit) * 1e3  # after the target's exit
                r["exit"] = code
                r["cpu_total_ns"] = int((ru.ru_utime + ru.ru_stime) * 1e9)
                r["maxrss_kib"] = ru.ru_maxrss
                errs.join(5)
                if out_f:
                    out_f.close()
                    out_f = None
                if cfg["kind"] == "peer":
                    if peer:
                        peer.join(5)
                        r["events"], r["lost"], r["out_bytes"] = peer.events, peer.lost, None
                    else:
                        r["events"], r["lost"] = count_peer_file(out_path)
                        r["out_bytes"] = os.path.getsize(out_path)
                    r["stderr_tail"] = [
                        l for l in errs.lines
                        if "RLIMIT_MEMLOCK" not in l and "detach probe" not in l
                        and "uprobe_events" not in l][-3:]
                else:
                    m = None
                    for l in errs.lines:
                        m = SUMMARY_RE.match(l) or m
                    if not m:
                        raise RuntimeError("no summary line from %s: %s" % (
                            self.tracer, "\n".join(errs.lines[-5:])))
                    r["tracer_calls"] = int(m.group(1))
                    r["method_line"] = method_line(errs.lines)
                    r["threads"] = int(m.group(2))
                    r["events"] = int(m.group(3))
                    r["lost"] = int(m.group(4))
                    r["unfinished"] = int(m.group(5))
                    if cfg.get("sink") == "file":
                        r["out_bytes"] = os.path.getsize(out_path)
                    if code != 0:
                        r["stderr_tail"] = errs.lines[-3:]
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
            if tr is not None and tr.returncode is None:
                signal_child(tr, signal.SIGKILL)
                wait_child(tr, 10)
            if out_f:
                out_f.close()
            if out_path and os.path.exists(out_path):
                os.unlink(out_path)
        return r

    @staticmethod
    def _await(event, timeout):
        return event.wait(timeout)

    @staticmethod
    def _poll_file_ready(path, proc):
        deadline = time.monotonic() + TIMEOUT_READY
        while time.monotonic() < deadline and proc.poll() is None:
            with open(path, "rb") as f:
                if b"READY\n" in f.read(4096):
                    return time.monotonic()
            time.sleep(0.002)
        return None

    # ------------------------------------------------------------ launch mode

    def ready_launch(self):
        """Time from fork/exec of `flowtrace-bpf -c CMD` to its ready line."""
        cmd = "%s %s noop" % (self.py, WORKLOAD)
        t0 = time.monotonic()
        tr = subprocess.Popen([self.tracer, "-f", "jsonl", "-c", cmd], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              cwd=self.workdir, preexec_fn=self._unpin)
        errs = LineReader(tr.stderr, READY_RE)
        errs.ready.wait(TIMEOUT_READY)
        r = {"config": "launch"}
        if errs.ready_at:
            r["ready_ms"] = (errs.ready_at - t0) * 1e3
        try:
            tr.stdin.write("\n")  # the command inherited the tracer's stdin: its gate
            tr.stdin.close()
        except OSError:
            pass
        code, _ = wait_child(tr, TIMEOUT_EXIT)
        r["exit"] = code
        if "ready_ms" not in r:
            raise RuntimeError("flowtrace-bpf -c never became ready: %s" % errs.lines[-5:])
        return r

    # ------------------------------------------------------------ memory run

    def run_long(self, seconds):
        """jsonl to a file for `seconds` of the mix workload; samples the
        tracer's RSS every second."""
        w = self.start_workload("long", seconds)
        out_path = os.path.join(self.workdir, "out-long.jsonl")
        tr = None
        try:
            t_launch = time.monotonic()
            tr = subprocess.Popen([self.tracer, "-p", str(w.pid), "-f", "jsonl", "-o", out_path],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, preexec_fn=self._unpin)
            errs = LineReader(tr.stderr, READY_RE)
            if not errs.ready.wait(TIMEOUT_READY) or not errs.ready_at:
                raise RuntimeError("tracer never became ready: %s" % errs.lines[-5:])
            self.pin_tracer(tr.pid)
            r = {"config": "long-jsonl-file", "ready_ms": (errs.ready_at - t_launch) * 1e3,
                 "cpu_at_ready_ns": proc_cpu_ns(tr.pid)}
            samples = []
            t0 = time.monotonic()
            w.stdin.write("\n")
            w.stdin.flush()
            # sample once a second while the workload runs
            next_t = t0 + 1.0
            while not result_ready(w):
                now = time.monotonic()
                if now >= next_t:
                    rss = proc_status_kib(tr.pid, "VmRSS")
                    if rss is not None:
                        samples.append([round(now - t0, 2), rss])
                    next_t += 1.0
                time.sleep(min(0.05, max(0.0, next_t - time.monotonic())))
            hwm = proc_status_kib(tr.pid, "VmHWM")
            line = w.stdout.readline()
            w.stdin.close()
            res = json.loads(line)
            code, ru = wait_child(tr, TIMEOUT_EXIT)
            errs.join(5)
            r.update({"elapsed_s": res["elapsed"], "calls": res["calls"],
                      "rounds": res.get("rounds"), "rss_samples": samples,
                      "hwm_kib_before_exit": hwm, "maxrss_kib": ru.ru_maxrss, "exit": code,
                      "cpu_total_ns": int((ru.ru_utime + ru.ru_stime) * 1e9),
                      "out_bytes": os.path.getsize(out_path) if os.path.exists(out_path) else None})
            m = None
            for l in errs.lines:
                m = SUMMARY_RE.match(l) or m
            if m:
                r.update({"tracer_calls": int(m.group(1)), "threads": int(m.group(2)),
                          "events": int(m.group(3)), "lost": int(m.group(4)),
                          "unfinished": int(m.group(5))})
            if "warning" in res:
                r["warning"] = res["warning"]
            return r
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
            if tr is not None and tr.returncode is None:
                signal_child(tr, signal.SIGKILL)
                wait_child(tr, 10)
            if os.path.exists(out_path):
                os.unlink(out_path)


# ---------------------------------------------------------------- BPF run-time stats


def enable_bpf_stats():
    """Turns on the kernel's BPF program run-time accounting for as long as
    the returned fd is open (BPF_ENABLE_STATS: nothing global is left behind
    if the driver dies). Returns the fd, or None when unavailable."""
    nr = {"x86_64": 321, "aarch64": 280}.get(platform.machine())
    if nr is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(16)  # union bpf_attr: enable_stats.type = 0 (RUN_TIME)
    fd = libc.syscall(nr, 32, attr, ctypes.c_uint(len(attr)))  # BPF_ENABLE_STATS
    return fd if fd >= 0 else None


# ---------------------------------------------------------------- the machine


def cmd_out(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30,
                              cwd=REPO).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine_info(args):
    cpu = ""
    for line in read_text("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = proc_status_kib_file("/proc/meminfo", "MemTotal")
    pyver = cmd_out([args.python, "-c", "import sys; print(sys.version.split()[0])"])
    git = cmd_out(["git", "rev-parse", "--short", "HEAD"])
    dirty = cmd_out(["git", "status", "--porcelain", "--", "src", "bpf", "include"])
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(mem_kib / 1048576, 1) if mem_kib else None,
        "kernel": platform.release(),
        "os": dict(l.split("=", 1) for l in read_text("/etc/os-release").splitlines()
                   if "=" in l).get("PRETTY_NAME", "").strip('"'),
        "virt": cmd_out(["systemd-detect-virt"]) or "unknown",
        "meltdown": read_text("/sys/devices/system/cpu/vulnerabilities/meltdown").strip(),
        "python": args.python,
        "python_version": pyver,
        "driver_python": sys.version.split()[0],
        "tracer_version": cmd_out([args.tracer, "--version"]).splitlines()[0:1],
        "bpftrace_version": cmd_out([args.bpftrace, "--version"]) if args.bpftrace else None,
        "loadavg_start": read_text("/proc/loadavg").split()[:3],
        "git": git + (" (with uncommitted changes in src/, bpf/ or include/)" if dirty else ""),
    }


def cpu_snapshot():
    """(busy s, steal s) of the whole machine, and the CPU s of this driver
    and every child it has reaped (the workloads and tracers)."""
    f = read_text("/proc/stat").splitlines()[0].split()[1:]
    hz = os.sysconf("SC_CLK_TCK")
    v = [int(x) / hz for x in f]
    busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
    steal = v[7] if len(v) > 7 else 0.0
    t = os.times()
    return busy, steal, t.user + t.system + t.children_user + t.children_system


def interference(before, after, wall):
    """CPU the rest of the machine used while the benchmark ran: a noise
    indicator for the report."""
    busy = after[0] - before[0]
    ours = after[2] - before[2]
    return {"other_cpus": max(0.0, busy - ours) / wall, "steal_pct": 100.0 * (
        after[1] - before[1]) / wall / (os.cpu_count() or 1), "wall_s": wall,
        "loadavg_end": read_text("/proc/loadavg").split()[:3]}


def proc_status_kib_file(path, field):
    for line in read_text(path).splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


# ---------------------------------------------------------------- main


def main():
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", required=True, help="the traced CPython (with markers)")
    ap.add_argument("--tracer", required=True, help="build/flowtrace-bpf")
    ap.add_argument("--bpftrace", default=shutil.which("bpftrace"))
    ap.add_argument("--rounds", type=int, default=2 if quick else 7)
    ap.add_argument("--long-seconds", type=float, default=10.0 if quick else 60.0)
    ap.add_argument("--results", default=os.path.join(
        REPO, "build", "bench", "results-quick.json" if quick else "results.json"))
    # a quick check must not replace the published figures
    ap.add_argument("--out", default=os.path.join(REPO, "build", "bench", "performance-quick.md")
                    if quick else os.path.join(REPO, "docs", "performance.md"))
    ap.add_argument("--only", help="comma-separated workloads (testing the driver)")
    ap.add_argument("--pyenv-root", default=os.environ.get("PYENV_ROOT") or os.path.expanduser(
        "~/.pyenv"), help="where pyenv's versions/3.X.Y are")
    ap.add_argument("--method-rounds", type=int, default=2 if quick else 3)
    ap.add_argument("--method-targets", help="comma-separated per-method interpreter ids, "
                    "e.g. py314-dtrace,debian-3.11 (testing the driver)")
    ap.add_argument("--parts", default="main,methods,durations",
                    help="main (usdt, peer, memory, ready), methods and/or durations "
                    "(corrected against untraced; testing the driver)")
    ap.add_argument("--duration-rounds", type=int, default=2 if quick else 5)
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    args.tracer = os.path.abspath(args.tracer)

    if os.geteuid() != 0:
        log("must run as root (BPF); hint: sudo make bench")
        return 3
    cfgs = configs()
    split_cfgs = {c["id"]: c for c in cfgs}
    cfgs = [c for c in cfgs if not c.get("split_only")]
    if not args.bpftrace:
        log("bpftrace not found: the peer is skipped (scripts/install-deps.sh --bench)")
        cfgs = [c for c in cfgs if c["kind"] != "peer"]
    workloads = WORKLOADS
    if args.only:
        keep = args.only.split(",")
        workloads = [w for w in WORKLOADS if w[0] in keep]

    t_start = time.monotonic()
    snap0 = cpu_snapshot()
    load1 = float(read_text("/proc/loadavg").split()[0])
    if load1 > 0.5:
        log("load average %.2f: other work is running; figures will be noisier" % load1)
    workdir = tempfile.mkdtemp(prefix="flowtrace-bench.", dir="/var/tmp")
    # one binary for the whole run, whatever a rebuild does to build/ meanwhile
    copy = os.path.join(workdir, "flowtrace-bpf")
    shutil.copy2(args.tracer, copy)
    with open(copy, "rb") as f:
        tracer_sha = hashlib.sha256(f.read()).hexdigest()[:12]
    args.tracer = copy
    bench = Bench(args, workdir)
    pinning = bench.pin()
    mtargets, mskipped = method_targets(args.python, args.pyenv_root)
    if args.method_targets:
        keep = args.method_targets.split(",")
        unknown = [k for k in keep if k not in [t["id"] for t in mtargets]]
        if unknown:
            log("unknown --method-targets %s; present: %s" % (
                ",".join(unknown), ",".join(t["id"] for t in mtargets)))
            shutil.rmtree(workdir, ignore_errors=True)
            return 2
        mtargets = [t for t in mtargets if t["id"] in keep]
    results = {"machine": dict(machine_info(args), tracer_sha256=tracer_sha), "pinning": pinning, "prog_stats": [], "quick": quick, "rounds": args.rounds,
               "long_seconds": args.long_seconds,
               "workloads": [{"name": n, "size": s, "title": t} for n, s, t in workloads],
               "configs": cfgs + [c for c in split_cfgs.values() if c.get("split_only")],
               "runs": [], "launch": [], "long": None,
               "methods": {"rounds": args.method_rounds, "pyenv_root": args.pyenv_root,
                           "workloads": [{"name": n, "size": s, "title": t}
                                         for n, s, t in METHOD_WORKLOADS],
                           "targets": mtargets, "skipped": mskipped, "runs": []}
               if "methods" in parts else None,
               "command": "sudo BENCH_QUICK=1 make bench" if quick else "sudo make bench"}
    if "main" not in parts:
        args.rounds = 0
        results["rounds"] = 0
    try:
        for rnd in range(args.rounds):
            for wi, (wname, size, _) in enumerate(workloads):
                # rotate the order each round so no configuration always runs first
                k = (rnd + wi) % len(cfgs)
                for cfg in cfgs[k:] + cfgs[:k]:
                    r = bench.run(wname, size, cfg)
                    r["round"] = rnd
                    results["runs"].append(r)
                    log("round %d/%d %-8s %-12s %7.3f s  %s" % (
                        rnd + 1, args.rounds, wname, cfg["id"], r["elapsed_s"],
                        "" if cfg["kind"] in ("untraced", "inproc") else
                        "ready %.0f ms, lost %s" % (r["ready_ms"], r.get("lost", "-"))))
            for _ in range(3):
                r = bench.ready_launch()
                r["round"] = rnd
                results["launch"].append(r)
            log("round %d/%d launch ready %s ms" % (rnd + 1, args.rounds, ", ".join(
                "%.0f" % r["ready_ms"] for r in results["launch"][-3:])))
        fd = enable_bpf_stats() if "main" in parts else None
        if fd is None:
            if "main" in parts:
                log("BPF_ENABLE_STATS unavailable: no per-program cost split")
        else:
            try:
                wname, size, _ = workloads[0]
                for rnd in range(2):
                    for cid in ("floor-usdt", "ft-jsonl-file", "peer-file", "empty-bpftrace"):
                        if split_cfgs[cid]["kind"] == "peer" and not args.bpftrace:
                            continue
                        r = bench.run(wname, size, split_cfgs[cid], prog_stats=True)
                        r["round"] = rnd
                        results["prog_stats"].append(r)
                        log("cost split %-13s %.0f ns per program run" % (
                            cid, r["prog_run_ns"] / max(1, r["prog_run_cnt"])))
            finally:
                os.close(fd)
        if "main" in parts:
            log("memory run: jsonl to a file for %.0f s" % args.long_seconds)
            results["long"] = bench.run_long(args.long_seconds)
        if "methods" in parts:
            for m in mskipped:
                log("per-method cost: left out: %s" % m)
            t_m = time.monotonic()
            run_methods(bench, mtargets, args.method_rounds, results["methods"])
            results["methods"]["seconds"] = time.monotonic() - t_m
        if "durations" in parts:
            results["durations"] = durations.run(args.tracer, args.python, args.pyenv_root,
                                                 args.duration_rounds, log=log)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["bench_seconds"] = time.monotonic() - t_start
    results["interference"] = interference(snap0, cpu_snapshot(), results["bench_seconds"])

    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as f:
        json.dump(results, f, indent=1)
    log("raw results in %s" % os.path.relpath(args.results, REPO))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(report.render(results))
    log("wrote %s in %.0f s" % (os.path.relpath(args.out, REPO), results["bench_seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
