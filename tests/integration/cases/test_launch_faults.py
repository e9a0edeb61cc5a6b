"""Launch mode when something happens to the tracer (issue 14, defects 4
and 9): killed with SIGKILL at any point of the command's start-up, the
command must run on unharmed, to its own exit status, never left stopped;
sent SIGTERM, SIGHUP or SIGINT by kill(2), the tracer passes the signal on
to the command, renders what it traced and exits with the command's status;
a terminal's Ctrl-C, which reaches the command directly, is not passed on a
second time.

Kill points. FLOWTRACE_TEST_PAUSE=STEP makes the tracer announce "test
pause at STEP, command PID N" on stderr and block at that start-up step
(src/app/launch.h lists the steps; the variable is for these tests only and
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
    """Our children (through the subreaper) whose environment has marker,
    but for the tracer's own detach child (probe.c forks one to take the
    probes out, which outlives a tracer killed meanwhile)."""
    needle = marker.encode()
    me = str(os.getpid())
    tool = os.path.realpath(cfg.tool)
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as f:
                ppid = [l.split()[1] for l in f if l.startswith("PPid:")]
            if ppid != [me]:
                continue
            if os.path.realpath("/proc/%s/exe" % d) == tool:
                os.waitpid(int(d), 0)  # ours to reap, the subreaper's child
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


# The command of the as_user cases: writes its uid to argv[1], exits EXIT
UID_CODE = ("import os, sys\n"
            "with open(sys.argv[1], 'w') as f:\n"
            "    f.write(str(os.getuid()))\n"
            "sys.exit(%d)\n" % EXIT)


def kill_at_steps(kind, minor, steps, as_user=False):
    """as_user: under a sudo environment; the command, orphaned at any
    step, must still run as the invoking user, never as root."""
    import shutil
    import tempfile
    py = interp(kind, minor).path
    harmed = []
    env = {}
    shared = None
    if as_user:
        pw = test_user()
        env = sudo_env(pw)
        shared = tempfile.mkdtemp(prefix="ftitest-uid.")  # the user must write there
        os.chmod(shared, 0o1777)
    try:
        with Subreaper():
            for step in steps:
                out = os.path.join(cfg.tmp, "killstep-%s.json" % step)
                uid_file = os.path.join(shared, step) if shared else None
                argv = (["--", py, "-c", UID_CODE, uid_file] if as_user
                        else launch_argv(py, False))
                env["FLOWTRACE_TEST_PAUSE"] = step
                tracer = start_tool(["-f", "json", "-o", out] + argv, env=child_env(env))
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
                elif as_user:
                    with open(uid_file) as f:
                        uid = f.read()
                    if uid != str(pw.pw_uid):
                        harmed.append("%s: the command ran as uid %s, not %d"
                                      % (step, uid, pw.pw_uid))
    finally:
        if shared:
            shutil.rmtree(shared, ignore_errors=True)
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
add("launch faults: tracer SIGKILLed at each start-up step under sudo (debian): the command "
    "still runs as the invoking user",
    lambda: kill_at_steps("debian", None, KILL_CASES[3][2], as_user=True))


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


# ---------------------------------------------------------------- signals

# Records every SIGTERM/SIGHUP/SIGINT it gets; after the first it waits a
# moment longer (a second delivery would show), writes them to argv[1] and
# exits 42.
SIGNAL_CODE = """import signal, sys, time
got = []
def on(sig, frame):
    got.append(sig)
for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(s, on)
def tick():
    time.sleep(0.01)
for _ in range(3):
    tick()
sys.stderr.write("FT_CMD_READY\\n")
sys.stderr.flush()
while not got:
    tick()
time.sleep(1.0)
with open(sys.argv[1], "w") as f:
    f.write(",".join(str(int(s)) for s in got))
sys.exit(42)
"""


def read_got(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    return [int(x) for x in text.split(",") if x]


def signal_passed_on(signame, after_duration=False):
    """kill(2) of the tracer alone: the command must get the signal once,
    the tracer must render what it traced and exit with the command's
    status, and nothing may be left running (the harness fails a case
    that leaves a process of ours behind). after_duration: the signal
    comes once -d has ended the trace and the tracer waits for the
    command."""
    py = interp("dtrace").path
    sig = getattr(signal, signame)
    got = os.path.join(cfg.tmp, "got-%s" % signame)
    out = os.path.join(cfg.tmp, "signal-%s.json" % signame)
    for p in (got, out):
        if os.path.exists(p):
            os.unlink(p)
    duration = ["-d", "0.5"] if after_duration else []
    tracer = start_tool(["-f", "json", "-o", out] + duration + ["--", py, "-c", SIGNAL_CODE,
                                                                got])
    wait_ready(tracer)
    if not tracer.wait_stderr("FT_CMD_READY", 60):
        tracer.kill()
        raise Fail("the command never said it was ready\n%s" % tracer.stderr_tail())
    # after -d: the summary line says the trace has ended
    if after_duration and not tracer.wait_stderr(" calls in ", 60):
        tracer.kill()
        raise Fail("no summary line after -d 0.5\n%s" % tracer.stderr_tail())
    cmd_pid = None
    m = re.search(r"tracing PID (\d+)", tracer.stderr)
    if m:
        cmd_pid = int(m.group(1))
    os.kill(tracer.pid, sig)  # the tracer only, as kill(1) or a supervisor would
    rc = tracer.wait(60, "flowtrace-bpf after %s" % signame)
    signals = read_got(got)
    if signals != [int(sig)]:
        raise Fail("the command should have received %s once; it recorded %s (rc %s)\n%s"
                   % (signame, signals, rc, tracer.stderr_tail()))
    if rc != 42:
        raise Fail("flowtrace-bpf: expected the command's exit status 42, got %s\n%s"
                   % (rc, tracer.stderr_tail()))
    if cmd_pid and proc_state(cmd_pid) is not None:
        raise Fail("the command (PID %d) is still there (state %s)"
                   % (cmd_pid, proc_state(cmd_pid)))
    with open(out, "rb") as f:
        doc = parse_json(f.read())
    names = set()
    stack = [c for t in tool_threads(doc) for c in t.calls]
    while stack:
        n = stack.pop()
        names.add(n.func)
        stack.extend(n.children)
    if "tick" not in names:
        raise Fail("the trace lacks the command's tick() calls; it has %s" % sorted(names)[:20])
    return "command got %s once, exit 42, trace rendered" % signame


for _sig in ("SIGTERM", "SIGHUP", "SIGINT"):
    add("launch faults: %s sent to the tracer alone is passed on to the command, the trace "
        "is rendered, the command's status returned" % _sig,
        lambda s=_sig: signal_passed_on(s))
add("launch faults: SIGTERM after -d ended the trace is passed on; the tracer waits for the "
    "command's status", lambda: signal_passed_on("SIGTERM", True))


def ctrl_c_once():
    """A terminal's Ctrl-C goes to the whole foreground process group, the
    command included: the tracer must not pass it on a second time. The
    tracer runs as the session leader of a pseudo-terminal; ^C written to
    the master is the terminal's SIGINT. (A guard for the forwarding of
    the case above, which must tell the two apart.)"""
    import fcntl
    import subprocess
    import termios
    py = interp("dtrace").path
    got = os.path.join(cfg.tmp, "got-ctrl-c")
    out = os.path.join(cfg.tmp, "ctrl-c.json")
    err = os.path.join(cfg.tmp, "ctrl-c.stderr")
    for p in (got, out):
        if os.path.exists(p):
            os.unlink(p)
    master, slave = os.openpty()

    def controlling_tty():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    with open(err, "wb") as errf:
        p = subprocess.Popen([cfg.tool, "-f", "json", "-o", out, "--", py, "-c", SIGNAL_CODE,
                              got], stdin=slave, stdout=subprocess.DEVNULL, stderr=errf,
                             env=child_env(), preexec_fn=controlling_tty, close_fds=True)
    os.close(slave)
    try:
        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline:
            with open(err, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if "FT_CMD_READY" in text and "tracing PID" in text:
                break
            if p.poll() is not None:
                break
            time.sleep(0.05)
        else:
            raise Fail("no ready line and command start within 60s:\n%s" % text[-2000:])
        os.write(master, b"\x03")
        rc = p.wait(60)
        signals = read_got(got)
        if signals != [int(signal.SIGINT)]:
            with open(err, encoding="utf-8", errors="replace") as f:
                text = f.read()
            raise Fail("the command should have received SIGINT once (from the terminal); it "
                       "recorded %s (rc %s)\n%s" % (signals, rc, text[-2000:]))
        if rc != 42:
            raise Fail("flowtrace-bpf: expected the command's exit status 42, got %s" % rc)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)
        os.close(master)
    return "SIGINT once"


add("launch faults: a terminal's Ctrl-C reaches the command once, not passed on again",
    ctrl_c_once)


# ---------------------------------------------------------------- the user

TEST_USER = "ftitest"  # created once if absent, with a supplementary group
TEST_GROUP = "ftitestgrp"
ID_CODE = """import json, os
print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
                  "egid": os.getegid(), "groups": sorted(set(os.getgroups())),
                  "HOME": os.environ.get("HOME"), "USER": os.environ.get("USER"),
                  "LOGNAME": os.environ.get("LOGNAME")}))
"""


def test_user():
    """The unprivileged user of these cases: TEST_USER (made with useradd
    when absent, in its own group and TEST_GROUP), else nobody."""
    import pwd
    import subprocess
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        pass
    try:
        subprocess.run(["groupadd", "-f", TEST_GROUP], check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        subprocess.run(["useradd", "-M", "-d", "/nonexistent/" + TEST_USER, "-s",
                        "/usr/sbin/nologin", "-U", "-G", TEST_GROUP, TEST_USER], check=True,
                       timeout=30, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return pwd.getpwnam(TEST_USER)
    except (OSError, subprocess.SubprocessError, KeyError):
        return pwd.getpwnam("nobody")


def sudo_env(pw):
    return {"SUDO_UID": str(pw.pw_uid), "SUDO_GID": str(pw.pw_gid), "SUDO_USER": pw.pw_name,
            "SUDO_COMMAND": "/bin/true"}


def expect_identity(res, pw):
    expect_rc(res, 0)
    try:
        ids = json.loads(res.stdout.decode())
    except ValueError:
        raise Fail("the command printed no JSON: %r\n  %s" % (res.stdout[:300], res.context()))
    want = {"uid": pw.pw_uid, "euid": pw.pw_uid, "gid": pw.pw_gid, "egid": pw.pw_gid,
            "groups": sorted(set(os.getgrouplist(pw.pw_name, pw.pw_gid))),
            "HOME": pw.pw_dir, "USER": pw.pw_name, "LOGNAME": pw.pw_name}
    if ids != want:
        raise Fail("the command ran as %s\n  expected %s" % (ids, want))


def run_as(kind, args, env_extra, who):
    py = interp(kind).path
    out = os.path.join(cfg.tmp, "user-%s.json" % kind)
    res = tool_run(["-f", "json", "-o", out] + args + ["--", py, "-c", ID_CODE],
                   env=child_env(env_extra))
    expect_identity(res, who)
    with open(out, "rb") as f:
        doc = parse_json(f.read())
    if not any(t.calls for t in tool_threads(doc)):
        raise Fail("the trace of the command is empty")
    return res


def tool_run(args, env=None):
    from ftlib.harness import tool
    return tool(args, env=env)


def user_sudo(kind):
    pw = test_user()
    run_as(kind, [], sudo_env(pw), pw)
    return "ran as %s (uid %d) with its groups and HOME" % (pw.pw_name, pw.pw_uid)


def user_option(kind, numeric):
    pw = test_user()
    spec = str(pw.pw_uid) if numeric else pw.pw_name
    env = {"SUDO_UID": "", "SUDO_GID": "", "SUDO_USER": ""}
    run_as(kind, ["--user", spec], env, pw)
    return "--user %s" % spec


def user_root_asked():
    import pwd
    pw = test_user()
    run_as("dtrace", ["--user", "root"], sudo_env(pw), pwd.getpwnam("root"))
    return "root only when asked"


def user_exact(kind):
    """The trace is still exact when the command runs as another user: fib
    under a sudo environment against the oracle (run as root: the same
    tree), as the interpreter matrix compares it."""
    from cases.test_interp_matrix import check_output, only_workload_frames
    from ftlib import trees
    from ftlib.flows import command
    from ftlib.harness import INCLUDE, expect_trees, oracle, workload
    it = interp(kind)
    want = it.auto_method("-c")
    path = workload("fib")
    res = tool_run(["-v", "-f", "json", "--include", INCLUDE, "-c", command(it.path, path)],
                   env=child_env(sudo_env(test_user())))
    expect_rc(res, 0)
    if "the command runs as user %s" % test_user().pw_name not in res.stderr:
        raise Fail("-v does not say the command ran as %s\n  %s"
                   % (test_user().pw_name, res.context()))
    doc, threads, _ = check_output(res, want)
    expected = only_workload_frames(oracle(path, interp=it.path, uprobes=it.uprobes(want)))
    actual = trees.filter_threads(threads, list)
    expect_trees(expected, actual, "the oracle on %s; method %s" % (it.name, want))
    return "%s, %d calls" % (want, sum(trees.count_calls(t.calls) for t in expected))


def user_bad():
    py = interp("dtrace").path
    notes = []
    for args, what in ((["--user", "ftitest-no-such-user"], "an unknown user name"),
                       (["--user", "4000000000"], "a uid out of range"),
                       (["--user", "-p", "1"], "--user with -p")):
        target = [] if "-p" in args else ["--", py, "-c", "pass"]
        res = tool_run(args + target)
        expect_rc(res, 2, "flowtrace-bpf %s (%s)" % (" ".join(args), what))
        lines = res.stderr.splitlines()
        if not lines or not lines[0].startswith("flowtrace-bpf: ") or len(lines) != 2 \
                or not lines[1].startswith("hint: "):
            raise Fail("%s: expected one error line and a hint, got %r" % (what, lines))
        notes.append(what)
    env = child_env({"SUDO_UID": "3999999", "SUDO_GID": "3999999"})
    res = tool_run(["--", py, "-c", "pass"], env=env)
    expect_rc(res, 2, "flowtrace-bpf under sudo from a uid with no passwd entry")
    return "exit 2 for: %s, a SUDO_UID naming no user" % ", ".join(notes)


for _kind in ("dtrace", "debian"):
    add("launch user: under sudo the command runs as the invoking user: uid, gid, groups, "
        "HOME/USER/LOGNAME (%s)" % _kind, lambda k=_kind: user_sudo(k))
    add("launch user: --user NAME (%s)" % _kind, lambda k=_kind: user_option(k, False))
    add("launch user: under sudo the trace is exact (%s, fib, oracle)" % _kind,
        lambda k=_kind: user_exact(k))
add("launch user: --user UID (dtrace)", lambda: user_option("dtrace", True))
add("launch user: under sudo, --user root runs the command as root", user_root_asked)
add("launch user: a bad --user, --user with -p, an unknown SUDO_UID: exit 2, one line and "
    "a hint", user_bad)


def signal_while_starting():
    """SIGTERM while the command is still starting (a wrapper that has not
    exec'd Python yet): passed on at once, and the tracer exits with the
    command's status, instead of waiting for the wrapper to get to Python."""
    got = os.path.join(cfg.tmp, "got-starting")
    if os.path.exists(got):
        os.unlink(got)
    script = ('trap \'kill $! 2>/dev/null; echo TERM > "$0"; exit 42\' TERM; '
              'echo FT_CMD_READY >&2; sleep 20 & wait')
    tracer = start_tool(["-f", "json", "-o", os.path.join(cfg.tmp, "starting.json"), "--",
                         "/bin/sh", "-c", script, got])
    if not tracer.wait_stderr("FT_CMD_READY", 60):
        tracer.kill()
        raise Fail("the wrapper never started\n%s" % tracer.stderr_tail())
    os.kill(tracer.pid, signal.SIGTERM)
    rc = tracer.wait(60, "flowtrace-bpf after SIGTERM while the command started")
    try:
        with open(got) as f:
            text = f.read().strip()
    except OSError:
        text = None
    if text != "TERM":
        raise Fail("the command did not get SIGTERM (recorded %r; rc %s)\n%s"
                   % (text, rc, tracer.stderr_tail()))
    if rc != 42:
        raise Fail("flowtrace-bpf: expected the command's exit status 42, got %s\n%s"
                   % (rc, tracer.stderr_tail()))
    return "passed on while starting, exit 42"


add("launch faults: SIGTERM while the command is still starting is passed on; its status is "
    "the tracer's", signal_while_starting)
