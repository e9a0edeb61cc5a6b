"""Launch mode when something happens to the tracer (issue 14, defects 4
and 9): killed with SIGKILL at any point of the command's start-up, the
command must run on unharmed, to its own exit status, never left stopped;
sent SIGTERM, SIGHUP or SIGINT by kill(2), the tracer passes the signal on
to the command, renders what it traced and exits with the command's status;
a terminal's Ctrl-C, which reaches the command directly, is not passed on a
second time.

Kill points. FLOWTRACE_TEST_PAUSE=STEP makes the tracer announce "test
pause at STEP, command PID N" on stderr and block at that start-up step
(src/launch.h lists the steps; the variable is for these tests only and
changes nothing when unset). The case SIGKILLs it there, which puts the
command deterministically in each state it can be in during start-up:
forked and waiting for the seize, seized before its exec, stopped at an
exec, at the syscall where the loader is done, running towards the stop
at its first eval-loop call, stopped there, and stopped with the probes
in. A second case kills the tracer at random moments of the start-up (a
seeded generator, so a failure names its seed and delay).

The command's status is observed directly: the case makes the test driver
a child subreaper (PR_SET_CHILD_SUBREAPER) for the duration, so the
command, orphaned by the tracer's death, becomes its child and can be
waited for; a command whose /proc/PID/stat state is T or t (stopped) after
the tracer is gone has nobody left to continue it and fails the case."""

import ctypes
import json
import os
import random
import re
import signal
import time
import uuid

from ftlib import interps
from ftlib.harness import (Fail, Skip, cfg, child_env, expect_rc, parse_json, start_tool,
                           tool_threads, wait_ready)
from ftlib.registry import add

PR_SET_CHILD_SUBREAPER = 36
EXIT = 7  # the command's own status when it ran to its end
# a short command with some Python calls that ends with EXIT only if it ran to its end
CODE = ("import sys\n"
        "def f(n):\n"
        "    return n + 1\n"
        "s = 0\n"
        "for i in range(2000):\n"
        "    s = f(s)\n"
        "sys.exit(%d if s == 2000 else 1)\n" % EXIT)

DISCOVERY = interps.Discovery(cfg.py39)


def _libc():
    return ctypes.CDLL(None, use_errno=True)


class Subreaper:
    """Orphans of our descendants become our children while inside."""

    def __enter__(self):
        if _libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise Skip("prctl(PR_SET_CHILD_SUBREAPER) failed: %s"
                       % os.strerror(ctypes.get_errno()))
        return self

    def __exit__(self, *exc):
        _libc().prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def describe_status(st):
    if os.WIFEXITED(st):
        return "exit status %d" % os.WEXITSTATUS(st)
    if os.WIFSIGNALED(st):
        sig = os.WTERMSIG(st)
        return "killed by %s" % signal.Signals(sig).name
    return "wait status %#x" % st


def wait_orphan(pid, timeout=60):
    """Waits for an orphaned command (our child through the subreaper).
    Returns a description of what went wrong, or None if it exited with
    EXIT. A stopped command with no tracer left is stopped for good: it is
    reported (and killed) at once."""
    deadline = time.monotonic() + timeout
    stopped_seen = 0
    while True:
        try:
            got, st = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return "PID %d is not our child (not reparented to the subreaper)" % pid
        if got == pid:
            if os.WIFEXITED(st) and os.WEXITSTATUS(st) == EXIT:
                return None
            return "the command ended with %s, expected exit status %d" % (
                describe_status(st), EXIT)
        state = proc_state(pid)
        if state in ("T", "t"):
            stopped_seen += 1
            # seen stopped twice, 0.5 s apart, with no tracer alive: for good
            if stopped_seen >= 2:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "the command was left stopped (state %s)" % state
        else:
            stopped_seen = 0
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "the command did not end within %ds (state %s)" % (timeout, state)
        time.sleep(0.5 if stopped_seen else 0.05)


def orphans(marker):
    """Our children (through the subreaper) whose environment has marker."""
    needle = marker.encode()
    me = str(os.getpid())
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                ppid = [l.split()[1] for l in f if l.startswith("PPid:")]
            if ppid != [me]:
                continue
            with open("/proc/%s/environ" % d, "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
        except OSError:
            continue
        out.append(int(d))
    return out


def interp(kind, minor=None):
    for i in DISCOVERY.interps:
        if i.kind == kind and (minor is None or i.minor == minor):
            return i
    raise Skip("no %s interpreter%s here: %s" % (
        kind, " 3.%d" % minor[1] if minor else "", DISCOVERY.summary()))


def launch_argv(py, shell):
    if shell:
        return ["-c", "%s -c %s" % (py, "'%s'" % CODE)]
    return ["--", py, "-c", CODE]


PAUSE_RE = re.compile(r"test pause at (\S+), command PID (\d+)")


def kill_at_steps(kind, minor, steps):
    py = interp(kind, minor).path
    harmed = []
    with Subreaper():
        for step in steps:
            out = os.path.join(cfg.tmp, "killstep-%s.json" % step)
            tracer = start_tool(["-f", "json", "-o", out] + launch_argv(py, False),
                                env=child_env({"FLOWTRACE_TEST_PAUSE": step}))
            if not tracer.wait_stderr("test pause at %s," % step, 60):
                rc = tracer.p.poll()
                tracer.kill()
                harmed.append("%s: the tracer never paused there (exit status %s)\n%s"
                              % (step, rc, tracer.stderr_tail(4)))
                continue
            m = [PAUSE_RE.search(l) for l in tracer.stderr_lines()]
            pid = int([x for x in m if x][0].group(2))
            tracer.signal(signal.SIGKILL)
            tracer.p.wait(30)  # once it is dead, the command is ours
            why = wait_orphan(pid)
            tracer.wait(30)
            if why:
                harmed.append("%s: %s" % (step, why))
    if harmed:
        raise Fail("tracer SIGKILLed during start-up harmed the command:\n  %s"
                   % "\n  ".join(harmed))
    return "%d steps" % len(steps)


# Which steps each kind of start-up goes through: a libpython build stops
# where the loader is done (libs); interpreter uprobes run to the first
# eval-loop call through the gate (running, gate); Debian's 3.11 carries
# markers in its executable and is ready at its exec.
COMMON = ["fork", "seized", "exec"]
KILL_CASES = [
    ("pyenv", (3, 12), COMMON + ["libs", "running", "gate", "ready"]),
    ("pyenv", (3, 9), COMMON + ["libs", "running", "gate", "ready"]),
    ("dtrace", None, COMMON + ["libs", "ready"]),
    ("debian", None, COMMON + ["running", "gate", "ready"]),
]
for _kind, _minor, _steps in KILL_CASES:
    add("launch faults: tracer SIGKILLed at each start-up step (%s%s): the command runs on "
        "unharmed" % (_kind, " 3.%d" % _minor[1] if _minor else ""),
        lambda k=_kind, m=_minor, s=_steps: kill_at_steps(k, m, s))


def kill_randomly(kind, minor, runs=12, seed=1414):
    """SIGKILL at a random moment between the tracer's start and a little
    after its ready line, through /bin/sh -c (one exec more)."""
    py = interp(kind, minor).path
    rng = random.Random(seed)
    # how long a start-up takes here: the ready line of one full run
    t0 = time.monotonic()
    probe = start_tool(["-f", "json", "-o", os.path.join(cfg.tmp, "killrand-0.json")]
                       + launch_argv(py, True))
    wait_ready(probe)
    span = (time.monotonic() - t0) * 1.2
    rc = probe.wait(60)
    if rc != EXIT:
        raise Fail("an untroubled run exited with %s, expected %d\n%s"
                   % (rc, EXIT, probe.stderr_tail()))
    harmed, killed_running = [], 0
    with Subreaper():
        for i in range(runs):
            delay = rng.uniform(0, span)
            marker = "FT_KILLRAND=%s" % uuid.uuid4().hex
            key, val = marker.split("=")
            tracer = start_tool(["-f", "json", "-o", os.path.join(cfg.tmp, "killrand.json")]
                                + launch_argv(py, True), env=child_env({key: val}))
            time.sleep(delay)
            tracer.signal(signal.SIGKILL)
            rc = tracer.p.wait(30)
            if rc != -signal.SIGKILL:
                tracer.wait(30)
                if rc != EXIT:
                    harmed.append("run %d (delay %.3fs): the tracer ended with %s before the "
                                  "kill, expected %d" % (i, delay, rc, EXIT))
                continue
            for pid in orphans(marker):
                killed_running += 1
                why = wait_orphan(pid)
                if why:
                    harmed.append("run %d (delay %.3fs): %s" % (i, delay, why))
            tracer.wait(30)
    if harmed:
        raise Fail("seed %d, start-up %.3fs: the tracer's death harmed the command:\n  %s"
                   % (seed, span, "\n  ".join(harmed)))
    return "%d runs, %d killed with the command alive" % (runs, killed_running)


for _kind, _minor, _ in KILL_CASES:
    add("launch faults: tracer SIGKILLed at random start-up moments (%s%s): the command runs "
        "on unharmed" % (_kind, " 3.%d" % _minor[1] if _minor else ""),
        lambda k=_kind, m=_minor: kill_randomly(k, m))
