"""Process plumbing for the integration tests: children in their own
process groups with their output drained in the background, a registry
so every case ends with no process of ours left running, tracer and
oracle invocations, and the assertion helpers the cases share."""

import json
import os
import signal
import subprocess
import threading
import time

from . import trees


class Fail(Exception):
    """The case failed; the message says expected vs got."""


class Skip(Exception):
    """The case cannot run here; the message says why."""


class Config:
    """Set once by the driver."""

    tool = None  # build/flowtrace-bpf
    fixture = None  # build/sdt-fixture
    py39 = None  # CPython 3.9 with complete markers, or None
    py39_missing = ""  # why py39 is None
    py314 = {}  # CPython 3.14 builds: variant -> interpreter path
    py314_missing = ""  # why py314 is empty
    trixie = None  # a Debian trixie root with python3.13 (scripts/build-trixie-root.sh)
    trixie_missing = ""  # why trixie is None
    repo = None
    here = None  # tests/integration
    tmp = None  # per-run temporary directory
    token = None  # marks the environment of every process we start
    ci = False


cfg = Config()

INCLUDE = "*/workloads/*"  # the tracer's and the oracle's filter for workload frames


def workload(name):
    return os.path.join(cfg.here, "workloads", name + ".py")


def need_py39():
    if not cfg.py39:
        if cfg.ci:
            raise Fail("no CPython 3.9 with markers: %s" % cfg.py39_missing)
        raise Skip("no CPython 3.9 with markers: %s" % cfg.py39_missing)
    return cfg.py39


def child_env(extra=None):
    env = dict(os.environ)
    env["FT_ITEST_TOKEN"] = cfg.token
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("FT_GATE", None)
    env.pop("PYTHONPATH", None)
    if extra:
        env.update(extra)
    return env


# ---------------------------------------------------------------- processes

_live = []  # every Proc started during the current case


class Proc:
    """A child in its own session (so the whole group can be killed) whose
    stdout is collected and whose stderr is collected line by line."""

    def __init__(self, argv, env=None, stdin=None, cwd=None, stdout_file=None):
        self.argv = [str(a) for a in argv]
        self._out = bytearray()
        self._err_lines = []
        self._cond = threading.Condition()
        self._eof = False
        self.rc = None
        self._stdout_file = stdout_file
        out = open(stdout_file, "wb") if stdout_file else subprocess.PIPE
        try:
            self.p = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE if stdin == "pipe" else subprocess.DEVNULL,
                stdout=out, stderr=subprocess.PIPE, env=env or child_env(), cwd=cwd,
                start_new_session=True)
        finally:
            if stdout_file:
                out.close()
        self.pid = self.p.pid
        _live.append(self)
        self._readers = [threading.Thread(target=self._read_err, daemon=True)]
        if not stdout_file:
            self._readers.append(threading.Thread(target=self._read_out, daemon=True))
        for t in self._readers:
            t.start()

    def _read_out(self):
        while True:
            chunk = self.p.stdout.read1(65536) if hasattr(self.p.stdout, "read1") \
                else self.p.stdout.read(65536)
            if not chunk:
                break
            self._out.extend(chunk)

    def _read_err(self):
        for raw in iter(self.p.stderr.readline, b""):
            with self._cond:
                self._err_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def wait_stderr(self, needle, timeout):
        """True once a stderr line contains needle; False if the process
        closes stderr (exits) or the timeout passes first."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._err_lines[seen:]:
                    if needle in line:
                        return True
                seen = len(self._err_lines)
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def close_stdin(self):
        if self.p.stdin is None:
            return
        try:
            self.p.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def wait(self, timeout, what=None):
        """Returns the exit status (negative: killed by that signal). On
        timeout kills the group and raises Fail."""
        try:
            self.rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Fail("%s did not finish within %ss\n%s" % (
                what or self.describe(), timeout, self.stderr_tail()))
        for t in self._readers:
            t.join(10)
        return self.rc

    def kill(self):
        """SIGKILL to the whole process group, then reap."""
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.close_stdin()

    @property
    def stdout(self):
        if self._stdout_file:
            with open(self._stdout_file, "rb") as f:
                return f.read()
        return bytes(self._out)

    @property
    def stderr(self):
        with self._cond:
            return "\n".join(self._err_lines)

    def stderr_lines(self):
        with self._cond:
            return list(self._err_lines)

    def stderr_tail(self, n=12):
        lines = self.stderr_lines()
        if not lines:
            return "  (stderr empty)"
        tail = lines[-n:]
        return "\n".join("  stderr: " + l for l in tail)

    def describe(self):
        s = " ".join(self.argv)
        return s if len(s) < 200 else s[:200] + "..."


def reap_all():
    """Kills whatever the case left running (its own processes first, then
    any process carrying our token: e.g. a command the tracer launched and
    abandoned). Returns descriptions of the strays found by token."""
    for p in _live:
        if p.alive():
            p.kill()
        else:
            p.close_stdin()
    del _live[:]
    strays = []
    # what a kill of the case's own already hit is dying, not a stray:
    # wait for it (an exit can take a while, e.g. freeing uprobe state);
    # so is the tracer's detach child, which outlives a tracer killed
    # meanwhile while it takes the probes out (src/probe/probe.c)
    deadline = time.monotonic() + 30
    while _token_pids(dying=True) and time.monotonic() < deadline:
        time.sleep(0.05)
    for _ in range(3):
        found = _token_pids()
        if not found:
            break
        for pid, cmd in found:
            strays.append("pid %d: %s" % (pid, cmd))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    return strays


def _dying(pid):
    """Whether pid is exiting (PF_EXITING) or has a SIGKILL pending, or
    is a tracer's detach child (named ft-detach) finishing its work."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            if f.read().strip() == "ft-detach":
                return True
        with open("/proc/%d/stat" % pid) as f:
            flags = int(f.read().rsplit(")", 1)[1].split()[6])
        if flags & 0x4:
            return True
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("ShdPnd:", "SigPnd:")) and int(line.split()[1], 16) & (1 << 8):
                    return True
    except (OSError, IndexError, ValueError):
        return False
    return False


def _token_pids(dying=False):
    """[(pid, command)] of the live processes carrying our token; with
    dying, only those being killed."""
    needle = ("FT_ITEST_TOKEN=%s" % cfg.token).encode()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read()
            if needle not in env.split(b"\0"):
                continue
            with open("/proc/%s/stat" % d) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue  # a zombie is its parent's business, and harmless
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, IndexError):
            continue
        if dying and not _dying(int(d)):
            continue
        out.append((int(d), cmd))
    return out


# ---------------------------------------------------------------- the tracer

class Result:
    def __init__(self, proc):
        self.rc = proc.rc
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.argv = proc.argv
        self.proc = proc

    def context(self):
        return "command: %s\n  exit status: %s\n%s" % (
            self.proc.describe(), self.rc, self.proc.stderr_tail())


def tool(args, timeout=90, env=None, stdin=None):
    """Runs flowtrace-bpf to completion."""
    p = Proc([cfg.tool] + list(args), env=env, stdin=stdin)
    p.wait(timeout, "flowtrace-bpf " + " ".join(str(a) for a in args))
    return Result(p)


def start_tool(args, env=None):
    return Proc([cfg.tool] + list(args), env=env)


def wait_ready(tracer, timeout=60):
    """Waits for the tracer's "tracing ..." ready line."""
    if not tracer.wait_stderr("tracing", timeout):
        rc = tracer.p.poll()
        tracer.kill()
        raise Fail("flowtrace-bpf printed no ready line within %ss (exit status %s)\n  %s\n%s"
                   % (timeout, rc, tracer.describe(), tracer.stderr_tail()))


def expect_rc(res, want, what="flowtrace-bpf"):
    if res.rc != want:
        raise Fail("%s: expected exit status %s, got %s\n  %s" % (
            what, want, res.rc, res.context()))


def parse_json(data, res=None):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("output is not valid UTF-8: %s (bytes %r)" % (
            e, data[max(0, e.start - 20):e.end + 20]))
    try:
        return json.loads(text)
    except ValueError as e:
        raise Fail("output is not valid JSON: %s\n  output starts: %r%s" % (
            e, text[:300], "\n  " + res.context() if res else ""))


def tool_threads(doc):
    try:
        return trees.threads_from_tool(doc)
    except trees.FormatError as e:
        raise Fail("JSON does not have the documented shape: %s" % e)


def expected_probe(args, target, mode):
    """The method meta.probe must name for a trace made with args of
    target (a -c command line or an argv) in mode ("-c" or "-p"): the one
    --method names, else the one auto picks for the targets the cases
    trace: the markers of the C fixture, which is no CPython; for the
    marker-complete 3.9, whose markers auto never switches on (they can
    change what a CPython does), eval when launched and frame when
    attached."""
    args = list(args)
    if "--method" in args:
        return args[args.index("--method") + 1]
    text = target if isinstance(target, str) else " ".join(str(a) for a in target)
    if cfg.fixture and cfg.fixture in text:
        return "usdt"
    return "eval" if mode == "-c" else "frame"


def check_meta(doc, pid=None, lost_ok=False, probe="usdt"):
    meta = doc["meta"]
    for key in ("pid", "python", "probe", "events", "lost", "drops"):
        if key not in meta:
            raise Fail("meta lacks %r: %s" % (key, meta))
    if meta["probe"] != probe:
        raise Fail("meta.probe: expected %r, got %r" % (probe, meta["probe"]))
    if pid is not None and meta["pid"] != pid:
        raise Fail("meta.pid: expected %d, got %r" % (pid, meta["pid"]))
    if not lost_ok and meta["lost"] != 0:
        raise Fail("meta.lost: expected 0, got %r (drops %r)" % (meta["lost"], meta["drops"]))


def check_well_formed(threads):
    msg = trees.check_times(threads)
    if msg:
        raise Fail("times are inconsistent: %s" % msg)


def expect_trees(expected, actual, context=""):
    msg = trees.diff_threads(expected, actual)
    if msg:
        raise Fail("call tree differs from the expected one (%s):\n  %s"
                   % (context or "oracle", msg.replace("\n", "\n  ")))


def no_flags(threads, allowed=()):
    for t in threads:
        for n, _ in trees.walk(t.calls):
            if n.lost is not None:
                raise Fail("unexpected lost-records marker %s in thread %s" % (n.label(), t.tid))
            extra = n.flags - set(allowed)
            if extra:
                raise Fail("unexpected flags %s on %s in thread %s" % (
                    sorted(extra), n.label(), t.tid))


# ---------------------------------------------------------------- the oracle

_oracle_cache = {}


def oracle(path, gate=False, interp=None, uprobes=False):
    """The true call tree of running path on interp (default: the 3.9
    build), as [trees.Thread]; cached per run. uprobes: named and lined as
    the interpreter uprobes report calls (trees.threads_from_oracle)."""
    return trees.threads_from_oracle(oracle_doc(path, gate, interp), uprobes)


def oracle_doc(path, gate=False, interp=None):
    """The oracle's JSON document for running path on interp; cached."""
    interp = interp or need_py39()
    key = (path, gate, interp)
    if key in _oracle_cache:
        return _oracle_cache[key]
    out = os.path.join(cfg.tmp, "oracle-%d.json" % len(_oracle_cache))
    env = child_env({"FT_GATE": "1"} if gate else None)
    p = Proc([interp, os.path.join(cfg.here, "oracle.py"), "-o", out, path], env=env,
             stdin="pipe")
    p.send(b"go\n")
    p.close_stdin()
    rc = p.wait(120, "oracle on " + path)
    if rc != 0:
        raise Fail("the oracle failed on %s (status %s)\n%s" % (path, rc, p.stderr_tail()))
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    _oracle_cache[key] = doc
    return doc


