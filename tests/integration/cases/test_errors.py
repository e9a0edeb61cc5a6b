"""Targets flowtrace-bpf must refuse, with the documented exit code and a
one-line diagnosis (plus an optional hint line): a method the CPython
cannot give exact trees with (markers on Debian's 3.11 or pyenv builds,
the eval hook on 3.11+, which the matrix also checks), CPythons too old for
interpreter uprobes, a process that is not Python, a PID that does not
exist, missing privileges (not root; no CAP_SYS_PTRACE for a non-dumpable
target), and bad options."""

import os
import shutil
import subprocess

from ftlib import probes
from ftlib.flows import command, start_gated
from ftlib.harness import Fail, Proc, Result, Skip, cfg, child_env, expect_rc, tool
from ftlib.registry import case

DEBIAN_311 = "/usr/bin/python3.11"
WAIT_AT_GATE = ("import sys; sys.stderr.write('FT_GATE_READY\\n'); sys.stderr.flush(); "
                "sys.stdin.readline()")


def expect_diagnosis(res, rc, mentions=()):
    """Exit status rc, nothing on stdout, stderr one 'flowtrace-bpf: ...'
    line (mentioning each of mentions) and at most hint lines after it."""
    expect_rc(res, rc)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    if not lines or not lines[0].startswith("flowtrace-bpf: "):
        raise Fail("expected stderr to start with 'flowtrace-bpf: ...', got:\n  %s"
                   % "\n  ".join(lines))
    extra = [l for l in lines[1:] if not l.lstrip().startswith("hint:")]
    if extra:
        raise Fail("expected one diagnosis line and hint lines, also got:\n  %s\n"
                   "  (whole stderr:\n  %s)" % ("\n  ".join(extra), "\n  ".join(lines)))
    for m in mentions:
        if m not in lines[0]:
            raise Fail("the diagnosis should mention %r: %s" % (m, lines[0]))
    if res.stdout:
        raise Fail("stdout should be empty, got %r" % res.stdout[:200])


def need(path):
    if not os.access(path, os.X_OK):
        raise Skip("%s is not installed" % path)


@case("refuse --method usdt on Debian python3.11 (-c): exit 6, diagnosis names 3.11")
def debian311_launch():
    need(DEBIAN_311)
    res = tool(["--method", "usdt", "-c", command(DEBIAN_311, "-c", "pass")])
    expect_diagnosis(res, 6, ["3.11", "only some calls"])


@case("refuse --method eval -p on Debian python3.11 (it needs the eval hook, refused there): "
      "exit 6, target untouched")
def debian311_attach():
    need(DEBIAN_311)
    target = start_gated([DEBIAN_311, "-c", WAIT_AT_GATE])
    res = tool(["--method", "eval", "-p", str(target.pid)])
    expect_diagnosis(res, 6, ["3.11", "eval hook"])
    if not target.alive():
        raise Fail("the refused target died")
    target.send(b"go\n")
    target.close_stdin()
    if target.wait(10) != 0:
        raise Fail("the refused target exited with %s" % target.rc)


@case("refuse --eval-hook=on on CPython 3.13 (not exact there): exit 6")
def hook_313():
    py = os.path.join(pyenv_root() or "/nonexistent", "versions", "3.13.0", "bin", "python3.13")
    if not os.access(py, os.X_OK):
        raise Skip("pyenv 3.13.0 is not installed")
    res = tool(["--eval-hook=on", "-c", command(py, "-c", "pass")])
    expect_diagnosis(res, 6, ["3.13", "eval hook"])


def pyenv_root():
    try:
        out = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, universal_newlines=True, timeout=10)
        if out.returncode == 0 and os.path.isdir(out.stdout.strip()):
            return out.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    for d in (os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")):
        if d and os.path.isdir(d):
            return d
    return None


def has_markers(interp):
    """True when the interpreter or its libpython carries function markers."""
    cands = [os.path.realpath(interp)]
    libdir = os.path.join(os.path.dirname(os.path.dirname(cands[0])), "lib")
    if os.path.isdir(libdir):
        cands += [os.path.join(libdir, f) for f in os.listdir(libdir)
                  if f.startswith("libpython") and ".so" in f]
    for c in cands:
        try:
            if any(n["name"] == "function__entry" for n in probes.notes(c)):
                return True
        except probes.ProbeError:
            pass
    return False


def pyenv_pythons():
    """(version, interpreter) of every CPython under pyenv, 2.7 included."""
    root = pyenv_root()
    if not root:
        return None, []
    found = []
    vdir = os.path.join(root, "versions")
    for v in sorted(os.listdir(vdir)) if os.path.isdir(vdir) else []:
        parts = v.split(".")
        if len(parts) < 2 or parts[0] not in ("2", "3") or not parts[1].isdigit():
            continue  # not a CPython (pypy, conda, ...)
        py = os.path.join(vdir, v, "bin", "python%s.%s" % (parts[0], parts[1]))
        if os.access(py, os.X_OK):
            found.append((v, py))
    return root, found


def minor_of(version):
    parts = version.split(".")
    return int(parts[0]), int(parts[1])


@case("refuse pyenv CPythons without markers: --method usdt, and versions before 3.8: exit 6")
def pyenv_no_markers():
    root, found = pyenv_pythons()
    if not root:
        raise Skip("no pyenv installation (`pyenv root`, $PYENV_ROOT, ~/.pyenv)")
    tested, failures = [], []
    for version, py in found:
        if has_markers(py):
            continue  # a dtrace build: it would be traced, not refused
        old = minor_of(version) < (3, 8)
        tested.append(version + (" (auto)" if old else " (usdt)"))
        args = ([] if old else ["--method", "usdt"]) + ["-c", command(py, "-c", "pass")]
        res = tool(args)
        try:
            expect_diagnosis(res, 6, [".".join(version.split(".")[:2])])
        except Fail as e:
            failures.append("pyenv %s: %s" % (version, e))
    if not tested:
        raise Skip("pyenv at %s has no CPython without markers" % root)
    if failures:
        raise Fail("\n".join(failures))
    return "tested %s" % ", ".join(tested)


@case("refuse a process that is not Python (-p of sleep): exit 5")
def not_python():
    target = Proc(["sleep", "60"])
    res = tool(["-p", str(target.pid)])
    expect_diagnosis(res, 5)
    target.kill()


@case("refuse a PID that does not exist: exit 4")
def no_process():
    gone = Proc(["true"])
    gone.wait(10)  # reaped: the PID names no process now
    for pid in (str(gone.pid), "999999999"):
        res = tool(["-p", pid])
        expect_diagnosis(res, 4)


BAD_OPTIONS = [
    ["--format", "nope", "-c", "CMD"],
    ["--max-depth", "-3", "-c", "CMD"],
    ["--min-duration", "5parsecs", "-c", "CMD"],
    ["--ring-size", "1000", "-c", "CMD"],
    ["--no-such-option", "-c", "CMD"],
    ["-p", "abc"],
    ["-p", "PID", "-c", "CMD"],
    ["-f", "json"],
]


@case("bad options: exit 2, the command never runs")
def bad_options():
    ran = os.path.join(cfg.tmp, "bad-options-ran")
    cmd = command("touch", ran)
    failures = []
    for opts in BAD_OPTIONS:
        args = [cmd if a == "CMD" else str(os.getpid()) if a == "PID" else a for a in opts]
        res = tool(args, env=child_env())
        shown = " ".join(opts)
        if res.rc != 2:
            failures.append("%s: expected exit status 2, got %s\n%s"
                            % (shown, res.rc, res.proc.stderr_tail(4)))
        elif not res.stderr.startswith("flowtrace-bpf:"):
            failures.append("%s: stderr should start with 'flowtrace-bpf:', got %r"
                            % (shown, res.stderr[:200]))
        if os.path.exists(ran):
            failures.append("%s: the command ran" % shown)
            os.unlink(ran)
    if failures:
        raise Fail("\n".join(failures))


def setpriv_or_fail():
    path = shutil.which("setpriv")
    if not path:
        raise Fail("setpriv (util-linux) not found") if cfg.ci else Skip("no setpriv")
    return path


def tool_as(setpriv_args, args):
    """flowtrace-bpf ARGS run through setpriv SETPRIV_ARGS."""
    p = Proc([setpriv_or_fail()] + setpriv_args + [cfg.tool] + list(args), env=child_env())
    p.wait(60, "setpriv %s flowtrace-bpf %s" % (" ".join(setpriv_args), " ".join(args)))
    return Result(p)


# a Python target that calls tick() until stdin closes; non-dumpable when asked
TICKER = ("import ctypes, sys, select\n"
          "if sys.argv[1:] == ['nodump']: ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)\n"
          "def tick(): return 1\n"
          "sys.stderr.write('FT_GATE_READY\\n'); sys.stderr.flush()\n"
          "while not select.select([sys.stdin], [], [], 0.005)[0]: tick()\n")


def ticker(*args):
    return start_gated([DEBIAN_311, "-c", TICKER] + list(args))


def let_go(target):
    if not target.alive():
        raise Fail("the refused target died")
    target.close_stdin()
    if target.wait(10) != 0:
        raise Fail("the refused target exited with %s" % target.rc)


@case("refuse to trace without root (nobody, -p and -c): exit 3, the command never runs")
def not_root():
    need(DEBIAN_311)
    nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]
    target = ticker()
    res = tool_as(nobody, ["-p", str(target.pid)])
    expect_diagnosis(res, 3, ["root"])
    let_go(target)
    ran = os.path.join(cfg.tmp, "not-root-ran")
    res = tool_as(nobody, ["-c", command("touch", ran)])
    expect_diagnosis(res, 3, ["root"])
    if os.path.exists(ran):
        raise Fail("the command ran")


@case("refuse a non-dumpable target when flowtrace-bpf lacks CAP_SYS_PTRACE: exit 3, "
      "the hint names the capability")
def no_ptrace_capability():
    need(DEBIAN_311)
    target = ticker("nodump")
    res = tool_as(["--inh-caps=-sys_ptrace", "--bounding-set=-sys_ptrace"],
                  ["-p", str(target.pid)])
    expect_diagnosis(res, 3, ["cannot read"])
    if "CAP_SYS_PTRACE" not in res.stderr:
        raise Fail("the hint should name CAP_SYS_PTRACE:\n%s" % res.stderr)
    let_go(target)
