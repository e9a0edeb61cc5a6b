"""Outputs and recordings are written safely (docs/formats.md, "Output
files"): a temporary file renamed into place only when complete, 0600 and
owned by the sudo user, never through another user's symbolic link, an
existing file never destroyed by a run that failed, stale temporaries of a
killed tracer recognised; a closed output pipe stops tracing; a trace that
ran out of memory says so; names that try to steer a terminal are escaped
in every human-facing format."""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from ftlib import probes
from ftlib.flows import command
from ftlib.harness import Fail, Proc, Skip, cfg, child_env, expect_rc, parse_json, tool, \
    start_tool, wait_ready
from ftlib.registry import case

TEMP_RE = re.compile(r"^\.(.+)\.flowtrace-(out|rec)\.(\d+)\.[A-Za-z0-9]{6}$")


def fresh_dir(name):
    d = os.path.join(cfg.tmp, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def read(path):
    with open(path, "rb") as f:
        return f.read()


def dead_pid():
    p = subprocess.Popen(["/bin/true"])
    p.wait()
    return p.pid


def serve_target():
    """The fixture calling tick() about every millisecond until a line on
    stdin: a long-running process to attach to."""
    return Proc([cfg.fixture, "serve"], stdin="pipe")


def stop_target(t, what="the fixture"):
    if not t.alive():
        raise Fail("%s (PID %d) died while traced (status %s)" % (what, t.pid, t.p.poll()))
    t.send(b"stop\n")
    t.close_stdin()
    rc = t.wait(15, what)
    if rc != 0:
        raise Fail("%s exited with status %s after tracing" % (what, rc))


def expect_unprobed(t, settle=5.0):
    """The fixture's markers hold their nop again and the semaphores are 0."""
    deadline = time.monotonic() + settle
    while True:
        st = probes.state(t.pid, cfg.fixture)
        if all(v[0] == probes.NOP and not v[1] for v in st.values()):
            return
        if time.monotonic() > deadline:
            raise Fail("PID %d still has probes after the tracer ended: %s"
                       % (t.pid, probes.describe(st)))
        time.sleep(0.1)


def small_recording(path):
    res = tool(["record", "-o", path, "-c", command(cfg.fixture, "recurse", "3")])
    expect_rc(res, 0, "record")
    return read(path)


# ---------------------------------------------------------------- -o FILE

@case("output safety: -o naming another user's symbolic link is refused; its target is "
      "untouched (record and render)")
def output_symlink_refused():
    d = fresh_dir("symlink")
    victim = os.path.join(d, "victim")
    with open(victim, "wb") as f:
        f.write(b"root's secret\n")
    os.chmod(victim, 0o600)
    problems = []
    for args in (["record"], ["-f", "json"]):
        link = os.path.join(d, "out-%s" % args[-1])
        os.symlink("victim", link)
        os.lchown(link, 65534, 65534)  # put there by "nobody"
        res = tool(args + ["-o", link, "-c", command(cfg.fixture, "recurse", "3")])
        if res.rc != 7:
            problems.append("%s: expected exit status 7, got %s" % (" ".join(args), res.rc))
        if "symbolic link" not in res.stderr:
            problems.append("%s: no error naming the symbolic link:\n  %s"
                            % (" ".join(args), res.stderr.replace("\n", "\n  ")))
        if not os.path.islink(link):
            problems.append("%s: the link was replaced" % " ".join(args))
    if read(victim) != b"root's secret\n":
        problems.append("the link's target was written: %r" % read(victim)[:80])
    if os.stat(victim).st_mode & 0o777 != 0o600:
        problems.append("the link's target changed mode: %o" % os.stat(victim).st_mode)
    if problems:
        raise Fail("\n".join(problems))


@case("output safety: a record that fails before tracing (no such PID) leaves the existing "
      "recording untouched")
def record_failure_keeps_file():
    d = fresh_dir("recfail")
    path = os.path.join(d, "app.ftrace")
    before = small_recording(path)
    res = tool(["record", "-o", path, "-p", str(dead_pid())])
    expect_rc(res, 4, "record -p <dead PID>")
    if not os.path.exists(path):
        raise Fail("the existing recording was deleted by a record that never started")
    if read(path) != before:
        raise Fail("the existing recording was changed by a record that never started")
    left = sorted(set(os.listdir(d)) - {"app.ftrace"})
    if left:
        raise Fail("files left next to the recording: %s" % left)


@case("output safety: outputs and recordings are 0600 whatever the umask, owned by SUDO_UID "
      "under sudo in that user's directory (root's elsewhere); -o /dev/null keeps its owner "
      "and mode")
def output_permissions():
    d = fresh_dir("perms")
    os.chmod(d, 0o755)
    os.chown(d, 65534, 65534)  # the sudo user's own directory
    env = child_env({"SUDO_UID": "65534", "SUDO_GID": "65533", "SUDO_USER": "nobody"})
    problems = []
    for args, name in ((["-f", "json"], "t.json"), (["record"], "t.ftrace"),
                       (["-f", "tree"], "t.txt")):
        path = os.path.join(d, name)
        old = os.umask(0)
        try:
            res = tool(args + ["-o", path, "-c", command(cfg.fixture, "recurse", "3")],
                       env=env)
        finally:
            os.umask(old)
        expect_rc(res, 0, " ".join(args))
        st = os.stat(path)
        if st.st_mode & 0o7777 != 0o600:
            problems.append("%s: mode %o, expected 600" % (name, st.st_mode & 0o7777))
        if (st.st_uid, st.st_gid) != (65534, 65533):
            problems.append("%s: owned by %d:%d, expected SUDO_UID:SUDO_GID 65534:65533"
                            % (name, st.st_uid, st.st_gid))
    # a directory the sudo user could not write: the file stays root's
    rootdir = fresh_dir("perms-root")
    os.chmod(rootdir, 0o755)
    path = os.path.join(rootdir, "t.json")
    res = tool(["-f", "json", "-o", path, "-c", command(cfg.fixture, "recurse", "3")], env=env)
    expect_rc(res, 0, "-o in root's directory")
    st = os.stat(path)
    if (st.st_mode & 0o7777, st.st_uid) != (0o600, 0):
        problems.append("in a root-only directory: mode %o owner %d, expected 600 root"
                        % (st.st_mode & 0o7777, st.st_uid))
    before = os.stat("/dev/null")
    res = tool(["-f", "json", "-o", "/dev/null", "-c", command(cfg.fixture, "recurse", "3")],
               env=env)
    expect_rc(res, 0, "-o /dev/null")
    after = os.stat("/dev/null")
    if (after.st_mode, after.st_uid, after.st_gid) != (before.st_mode, before.st_uid,
                                                       before.st_gid):
        problems.append("/dev/null changed: mode %o -> %o, owner %d -> %d" % (
            before.st_mode, after.st_mode, before.st_uid, after.st_uid))
    if problems:
        raise Fail("\n".join(problems))


@case("output safety: SIGKILL mid-record keeps the old recording and leaves a replayable "
      "temporary naming the PID, reported (not deleted) at the next run; a killed render's "
      "temporary is removed at the next run")
def killed_temporaries():
    d = fresh_dir("killed")
    rec = os.path.join(d, "app.ftrace")
    before = small_recording(rec)
    target = serve_target()
    problems = []
    for args, keep in ((["record", "-o", rec], True),
                       (["-f", "json", "-o", os.path.join(d, "t.json")], False)):
        tracer = start_tool(args + ["-p", str(target.pid)])
        wait_ready(tracer)
        # a recording writes a block at least every 100 ms drain: wait for data
        deadline = time.monotonic() + 30
        temps = []
        while time.monotonic() < deadline:
            temps = [n for n in os.listdir(d) if TEMP_RE.match(n)
                     and int(TEMP_RE.match(n).group(3)) == tracer.pid]
            if temps and (not keep or os.path.getsize(os.path.join(d, temps[0])) > 4096):
                break
            time.sleep(0.2)
        tracer.signal(signal.SIGKILL)
        tracer.wait(15)
        if len(temps) != 1:
            problems.append("%s: expected one temporary naming PID %d, found %s"
                            % (" ".join(args), tracer.pid, os.listdir(d)))
            continue
        tmp = os.path.join(d, temps[0])
        if read(rec) != before:
            problems.append("%s: the existing recording changed" % " ".join(args))
        if keep:
            res = tool(["replay", "-f", "json", tmp])
            expect_rc(res, 0, "replay of the killed recording")
            doc = parse_json(res.stdout, res)
            calls = sum(len(t["calls"]) for t in doc["threads"])
            if not calls or "cut short" not in res.stderr:
                problems.append("the killed recording did not replay as cut short with its "
                                "calls (%d calls):\n  %s" % (calls, res.stderr))
        # the next run into that directory
        res = tool(["record", "-o", rec, "-p", str(dead_pid())])
        expect_rc(res, 4, "record -p <dead PID>")
        if keep:
            if not os.path.exists(tmp):
                problems.append("the killed recording's data was deleted by the next run")
            elif temps[0] not in res.stderr:
                problems.append("the next run did not name the killed recording:\n  %s"
                                % res.stderr)
        elif os.path.exists(tmp):
            problems.append("the killed render's temporary %s outlived the next run" % temps[0])
    stop_target(target)
    if problems:
        raise Fail("\n".join(problems))


# ---------------------------------------------------------------- a closed pipe

def pipe_closed(fmt, read_first):
    """-p on the fixture with stdout into a FIFO we read; after reading
    read_first bytes (0: nothing), the reader closes."""
    d = fresh_dir("pipe-" + fmt)
    fifo = os.path.join(d, "out")
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    target = serve_target()
    try:
        tracer = Proc([cfg.tool, "-f", fmt, "-p", str(target.pid)], stdout_file=fifo)
        wait_ready(tracer)
        got = b""
        deadline = time.monotonic() + 60
        while len(got) < read_first and time.monotonic() < deadline:
            try:
                got += os.read(rfd, 65536)
            except BlockingIOError:
                time.sleep(0.05)
        if len(got) < read_first:
            raise Fail("read only %d bytes of -f %s in 60 s" % (len(got), fmt))
    finally:
        os.close(rfd)
    # liveness only: without the fix the tracer runs until a signal
    rc = tracer.wait(60, "flowtrace-bpf -f %s after its reader closed" % fmt)
    if rc != 7:
        raise Fail("expected exit status 7 (output cannot be written), got %s\n%s"
                   % (rc, tracer.stderr_tail()))
    err = tracer.stderr
    if "went away" not in err or "Broken pipe" in err:
        raise Fail("expected one quiet line saying the reader went away, got:\n%s"
                   % tracer.stderr_tail())
    expect_unprobed(target)
    stop_target(target)


@case("output: jsonl into a pipe whose reader closes (| head) stops tracing, detaches, "
      "exit 7 with a quiet line")
def pipe_closed_jsonl():
    pipe_closed("jsonl", 2000)


@case("output: tree into a pipe whose reader closes before the end stops tracing at once")
def pipe_closed_tree():
    pipe_closed("tree", 0)


@case("output: replay -f jsonl into a pipe whose reader closes stops reading the file, "
      "exit 7 with a quiet line")
def pipe_closed_replay():
    d = fresh_dir("pipe-replay")
    rec = os.path.join(d, "flood.ftrace")
    res = tool(["record", "-o", rec, "--", cfg.fixture, "flood", "300000"])
    expect_rc(res, 0, "record flood")
    fifo = os.path.join(d, "out")
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        p = Proc([cfg.tool, "replay", "-f", "jsonl", rec], stdout_file=fifo)
        got = b""
        deadline = time.monotonic() + 60
        while len(got) < 1000 and time.monotonic() < deadline:
            try:
                got += os.read(rfd, 1000 - len(got))
            except BlockingIOError:
                time.sleep(0.02)
    finally:
        os.close(rfd)
    rc = p.wait(60, "replay after its reader closed")
    err = p.stderr
    if rc != 7 or "went away" not in err or "Broken pipe" in err:
        raise Fail("expected exit status 7 and one quiet line, got %s:\n%s" % (rc, err))
    m = re.search(r"(\d+) calls in", err)
    if not m or int(m.group(1)) >= 300000:
        raise Fail("replay went on through the whole file after its reader left:\n%s" % err)


# ---------------------------------------------------------------- memory

@case("output: a json trace that runs out of memory says meta.incomplete and exits 1; "
      "the tree says INCOMPLETE")
def out_of_memory():
    if not shutil.which("prlimit"):
        raise Skip("no prlimit (util-linux)")
    n = 3000000
    problems = []
    for fmt in ("json", "tree"):
        out = os.path.join(cfg.tmp, "oom." + fmt)
        # 200 MiB of address space: enough to load BPF and map the 8 MiB
        # ring, far from the ~190 MB three million kept calls need
        p = Proc(["prlimit", "--as=%d" % (200 << 20), cfg.tool, "-f", fmt, "-o", out, "--",
                  cfg.fixture, "flood", str(n)])
        rc = p.wait(300, "flowtrace-bpf -f %s under prlimit --as" % fmt)
        if rc < 0 and "AddressSanitizer" in p.stderr:
            raise Skip("an ASan build cannot run under an address-space limit")
        if rc != 1:
            problems.append("-f %s: expected exit status 1, got %s\n%s"
                            % (fmt, rc, p.stderr_tail()))
        if "out of memory" not in p.stderr:
            problems.append("-f %s: stderr does not say out of memory" % fmt)
        if not os.path.exists(out):
            problems.append("-f %s: no output written" % fmt)
            continue
        if fmt == "json":
            with open(out, "rb") as f:
                doc = parse_json(f.read())
            meta = doc["meta"]
            inc = meta.get("incomplete")
            if not inc or inc.get("reason") != "out of memory" or \
                    not inc.get("records_not_applied"):
                problems.append("meta.incomplete: expected the reason and a count, got %r "
                                "(meta %s)" % (inc, meta))
            if meta["calls"] >= n:
                problems.append("meta.calls %d: the limit did not bite" % meta["calls"])
        else:
            with open(out, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
            if not lines or not lines[0].startswith("# INCOMPLETE: out of memory") or \
                    not lines[-1].startswith("# INCOMPLETE: out of memory"):
                problems.append("the tree does not begin and end with '# INCOMPLETE': %r ... %r"
                                % (lines[:1], lines[-1:]))
    if problems:
        raise Fail("\n".join(problems))


@case("output: a json trace past a million calls warns once on stderr, pointing to "
      "record/jsonl; jsonl does not")
def big_trace_warning():
    n = 1100000
    problems = []
    for fmt, want in (("json", 1), ("jsonl", 0)):
        res = tool(["-f", fmt, "-o", "/dev/null", "--", cfg.fixture, "flood", str(n)],
                   timeout=300)
        expect_rc(res, 0, "-f %s flood %d" % (fmt, n))
        warn = [l for l in res.stderr.splitlines() if "in memory" in l]
        if len(warn) != want:
            problems.append("-f %s: expected %d 'in memory' warning, got %d:\n  %s"
                            % (fmt, want, len(warn), res.stderr.replace("\n", "\n  ")))
        elif want and not ("record" in res.stderr and "jsonl" in res.stderr):
            problems.append("the warning does not point to record or jsonl:\n  %s"
                            % res.stderr)
    if problems:
        raise Fail("\n".join(problems))


# ---------------------------------------------------------------- hostile names

EVIL_FUNC = "evil\x1b[31m\u202egnp.exe\x07"
EVIL_FILE = "/tmp/hostile\x1b]0;pwned\x07\u2066\u200f\u061c.py"
HOSTILE = """
import sys
src = "def victim():\\n    return 1\\n"
ns = {}
exec(compile(src, %r, "exec"), ns)
victim = ns["victim"]
kw = {"co_name": %r}
if sys.version_info >= (3, 11):
    kw["co_qualname"] = %r
victim.__code__ = victim.__code__.replace(**kw)
victim()
victim()
""" % (EVIL_FILE, EVIL_FUNC, EVIL_FUNC)

RAW_BAD = [b"\x1b", b"\x07", "\u202e".encode(), "\u2066".encode(), "\u200f".encode(),
           "\u061c".encode()]


def json_strings(v):
    """Every string value in a JSON document."""
    if isinstance(v, str):
        return {v}
    items = v.values() if isinstance(v, dict) else v if isinstance(v, list) else ()
    out = set()
    for x in items:
        out |= json_strings(x)
    return out


def hostile_python():
    return "/usr/bin/python3.11" if os.path.exists("/usr/bin/python3.11") else None


@case("output: names with ESC sequences and bidirectional controls are escaped in tree, "
      "folded, plantuml, dot, html and report; json keeps them exact")
def hostile_names():
    py = hostile_python()
    if not py:
        raise Skip("no /usr/bin/python3.11")
    d = fresh_dir("hostile")
    script = os.path.join(d, "hostile.py")
    with open(script, "w", encoding="utf-8") as f:
        f.write(HOSTILE)
    rec = os.path.join(d, "h.ftrace")
    # the argument (ignored by the script) puts the same bytes into meta.command,
    # which the html page has in its <title>
    res = tool(["record", "-o", rec, "--", py, "-I", script, EVIL_FUNC])
    expect_rc(res, 0, "record")
    problems = []
    outs = {}
    for fmt in ("tree", "folded", "plantuml", "dot", "html", "json", "jsonl", "chrome"):
        # plantuml shows the first 500 calls: the start-up's imports would fill them
        res = tool(["replay", "-f", fmt, "--include", "*hostile*", rec])
        expect_rc(res, 0, "replay -f " + fmt)
        outs[fmt] = res.stdout
    res = tool(["report", rec])
    expect_rc(res, 0, "report")
    outs["report"] = res.stdout
    for fmt, data in sorted(outs.items()):
        bad = [b for b in RAW_BAD if b in data]
        if bad:
            problems.append("-f %s: raw %s in the output" % (fmt, bad))
        if fmt in ("tree", "folded", "plantuml", "dot", "report") and \
                b"evil\\x1b" not in data.replace(b"\\\\", b"\\"):
            problems.append("-f %s: the name is not shown with its escapes" % fmt)
    for fmt in ("json", "chrome", "jsonl"):
        strings = set()
        for line in outs[fmt].decode("utf-8").splitlines():
            strings |= json_strings(json.loads(line)) if line.strip() else set()
        if EVIL_FUNC not in strings or EVIL_FILE not in strings:
            problems.append("-f %s does not hold the exact names" % fmt)
    # the page's own escaping, as the browser would run it
    m = re.search(rb"function visible\(s\) \{.*?\n\}\n", outs["html"], re.S)
    node = shutil.which("node") or shutil.which("nodejs")
    if not m:
        problems.append("-f html: no visible() in the page's script")
    elif node:
        js = m.group(0).decode() + "process.stdout.write(visible(%s) + '|' + visible(%s));" % (
            json.dumps(EVIL_FUNC), json.dumps(EVIL_FILE))
        out = subprocess.run([node, "-e", js], stdout=subprocess.PIPE, check=True).stdout
        want = ("evil\\x1b[31m\\u202egnp.exe\\x07|/tmp/hostile\\x1b]0;pwned\\x07"
                "\\u2066\\u200f\\u061c.py").encode()
        if out != want:
            problems.append("-f html: the page shows %r, expected %r" % (out, want))
    if problems:
        raise Fail("\n".join(problems))


@case("output: -v and the ready line show an executable path with ESC sequences and "
      "bidirectional controls escaped")
def hostile_exe_path():
    py = hostile_python()
    if not py:
        raise Skip("no /usr/bin/python3.11")
    d = fresh_dir("hostile-exe")
    evil_dir = os.path.join(d, "bin\x1b[2J\x1b]0;pwned\x07\u202e")
    os.makedirs(evil_dir)
    exe = os.path.join(evil_dir, "python3.11")
    shutil.copy2(py, exe)
    res = tool(["-v", "-f", "json", "--", exe, "-I", "-c", "pass"])
    expect_rc(res, 0)
    bad = [c for c in ("\x1b", "\x07", "\u202e") if c in res.stderr]
    if bad:
        raise Fail("stderr carries raw %r:\n%s" % (bad, res.stderr))
    if "runs " + d not in res.stderr:
        raise Fail("-v does not name the executable:\n%s" % res.stderr)
