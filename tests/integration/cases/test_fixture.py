"""The C fixture (tests/fixtures/sdt_fixture.c) drives the BPF path with
trees known from its parameters: deep recursion, awkward names, threads
firing at once, and a flood that overruns a small ring buffer."""

import os
import re
import signal
import subprocess
import time

from ftlib import trees
from ftlib.flows import Trace, attach, command, launch, start_gated
from ftlib.harness import (Fail, Result, cfg, check_meta, check_well_formed, expect_rc,
                           expect_trees, no_flags, parse_json, start_tool, tool, tool_threads,
                           wait_ready)
from ftlib.registry import case

CAP = 1024  # FT_FUNC_MAX: names up to CAP-1 bytes arrive whole


def chain(n, func, file, line):
    node = None
    for _ in range(n):
        node = trees.Node(func, file, line, children=[node] if node else [])
    return [node]


@case("fixture recurse 500 (-c): one 500-deep chain")
def recurse_launch():
    tr = launch([], command(cfg.fixture, "recurse", "500"))
    no_flags(tr.threads)
    want = [trees.Thread(0, None, chain(500, "f", "/fixture/recurse.py", 7))]
    expect_trees(want, trees.filter_threads(tr.threads, list), "a chain of 500 f() calls")


@case("fixture recurse 300 (-p at the gate): gate_wait entered before attach")
def recurse_attach():
    tr = attach([], [cfg.fixture, "--gate", "recurse", "300"])
    no_flags(tr.threads, allowed={"entered_before_attach"})
    gate = trees.Node("gate_wait", "/fixture/gate.py", None, ["entered_before_attach"])
    gate.ignore_line = True
    want = [trees.Thread(0, None, [gate] + chain(300, "f", "/fixture/recurse.py", 7))]
    expect_trees(want, trees.filter_threads(tr.threads, list),
                 "gate_wait (before attach), then a chain of 300 f() calls")


# Mirrors names() in sdt_fixture.c: (func as JSON shows it, how it is checked).
# "exact": func equal and no name_truncated flag; "cut": func starts with
# the first bytes of the name, is shorter, and name_truncated is set.
NAMES = [
    ("n300_" + "a" * 295, "exact"),
    ("n1023_" + "b" * 1017, "exact"),  # CAP-1 bytes: fits exactly
    ("n1024_" + "c" * 1018, "cut"),  # CAP bytes: one too many
    ("n5000_" + "d" * 4994, "cut"),
    ("naïve_ünïcode", "exact"),
    ("函数", "exact"),
    ("q\"uote'\\back\nnew\ttab", "exact"),
    ("bad\ufffd\ufffdutf8", "exact"),  # \xff \xfe: one U+FFFD each
    ("cut\ufffd", "exact"),  # \xe5\x87, a truncated sequence: one U+FFFD
    ("", "exact"),
    ("long_file", "file-cut"),  # its file path is 3000 bytes
    ("after", "exact"),
]
LONG_FILE_PREFIX = "/fixture/long_" + "x" * 1000


def check_name(i, n, want, how):
    flagged = "name_truncated" in n.flags
    if n.line != 100 + i:
        return "line %s, expected %d" % (n.line, 100 + i)
    if how == "exact":
        if n.func != want:
            return "func %r, expected %r" % (trees.shorten(n.func), trees.shorten(want))
        if flagged:
            return "flagged name_truncated, but %d bytes fit in the %d-byte cap" % (
                len(want.encode()), CAP)
        if n.file != "/fixture/names.py":
            return "file %r" % trees.shorten(n.file)
    elif how == "cut":
        keep = want[:CAP - 1 - 16]
        if not n.func.startswith(keep) or len(n.func) >= len(want) or not flagged:
            return ("expected the name cut near %d bytes and flagged name_truncated; got %d "
                    "chars %r, flags %s" % (CAP - 1, len(n.func), trees.shorten(n.func),
                                            sorted(n.flags)))
    elif how == "file-cut":
        if n.func != want or not n.file.startswith(LONG_FILE_PREFIX) or len(n.file) >= 3000 \
                or not flagged:
            return ("expected func %r with its 3000-byte file cut and flagged; got func %r, "
                    "file of %d chars, flags %s" % (want, n.func, len(n.file), sorted(n.flags)))
    return None


@case("fixture names (JSON): long names whole up to the cap, cut and flagged beyond, "
      "UTF-8 intact, escapes, invalid bytes")
def names_json():
    check_names(cfg.fixture)


def check_names(fixture):
    tr = launch([], command(fixture, "names"))
    no_flags(tr.threads, allowed={"name_truncated"})
    calls = [n for t in tr.threads for n in t.calls]
    if [len(n.children) for n in calls] != [0] * len(calls) or len(calls) != len(NAMES):
        raise Fail("expected %d top-level calls without children, got %d: %s"
                   % (len(NAMES), len(calls), [n.label() for n in calls]))
    problems = []
    for i, ((want, how), n) in enumerate(zip(NAMES, calls)):
        msg = check_name(i, n, want, how)
        if msg:
            problems.append("call %d (%s): %s" % (i, trees.shorten(want, 30), msg))
    if problems:
        raise Fail("\n".join(problems))


def stack_fixture():
    """build/sdt-fixture-stackargs (the fixture at -O0), after checking what
    makes it worth a case: every marker argument is a memory operand in its
    stack frame ("8@-8(%rbp)"), which a USDT program reads from the target,
    where the -O1 fixture and every CPython here pass registers."""
    path = cfg.fixture + "-stackargs"
    if not os.path.exists(path):
        raise Fail("%s is missing: `make all` builds it" % path)
    notes = subprocess.run(["readelf", "-n", path], capture_output=True, text=True,
                           check=True).stdout
    args = re.findall(r"Name: function__(?:entry|return)\n.*\n\s*Arguments: (.*)", notes)
    if len(args) != 2 or not all(re.fullmatch(r"(-?\d+@-?\d+\(%\w+\) ?){3}", a.strip())
                                 for a in args):
        raise Fail("expected both markers' three arguments as memory operands, readelf shows %s"
                   % args)
    return path


@case("fixture stack arguments: marker arguments read from the target's stack, "
      "names, lines and a 200-deep chain exact")
def stack_args():
    path = stack_fixture()
    check_names(path)
    tr = launch([], command(path, "recurse", "200"))
    no_flags(tr.threads)
    want = [trees.Thread(0, None, chain(200, "f", "/fixture/recurse.py", 7))]
    expect_trees(want, trees.filter_threads(tr.threads, list), "a chain of 200 f() calls")


@case("fixture names (tree): UTF-8 intact, control characters and bad bytes escaped")
def names_tree():
    res = tool(["-f", "tree", "-c", command(cfg.fixture, "names")])
    expect_rc(res, 0)
    try:
        text = res.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("tree output is not valid UTF-8: %s" % e)
    lines = text.splitlines()
    problems = []
    for frag in ("naïve_ünïcode()", "函数()", "after()", "n300_" + "a" * 295 + "()",
                 "n1023_" + "b" * 1017 + "()", "bad\\xff\\xfeutf8()"):
        if not any(frag in l for l in lines):
            near = [l for l in lines if frag[:12] in l]
            problems.append("no line contains %r%s" % (
                trees.shorten(frag), "; the line with its start ends %r" % near[0][-60:]
                if near else ""))
    for prefix in ("n1024_ccc", "n5000_ddd"):
        if not any(prefix in l and "...()" in l for l in lines):
            problems.append("the cut name %s... is not shown with a visible '...'" % prefix)
    if "back\nnew" in text or "new\ttab" in text:
        problems.append("a raw newline or tab from a name reached the output")
    if problems:
        raise Fail("\n".join(problems) + "\n  output:\n    " + "\n    ".join(
            trees.shorten(l, 120) for l in lines[:30]))


@case("fixture unreadable: a name that cannot be read is said, with no hint of lost records")
def unreadable_hint():
    """A name BPF cannot read is counted in drops.read; the summary says
    "0 lost" then, so no line may say that records were lost."""
    tr = launch([], command(cfg.fixture, "unreadable"))
    drops = tr.meta["drops"]
    if tr.meta["lost"] != 0 or not drops.get("read") or drops.get("name") \
            or drops.get("ringbuf"):
        raise Fail("expected lost 0, drops.read > 0 and nothing else, got lost %r, drops %r"
                   % (tr.meta["lost"], drops))
    err = tr.res.stderr
    if ", 0 lost," not in err:
        raise Fail("the summary does not say 0 lost:\n%s" % err)
    if "lost" in err.replace(", 0 lost,", ""):
        raise Fail("a line beside '0 lost' speaks of lost records:\n%s" % err)
    said = "a name could not be read from the target %d time" % drops["read"]
    if said not in err:
        raise Fail("stderr does not say %r:\n%s" % (said, err))
    got = [n.func for t in tr.threads for n, _ in trees.walk(t.calls)]
    if got != ["<unreadable>", "ok"]:
        raise Fail("expected the calls <unreadable>, ok; got %s" % got)


@case("fixture threads 4 x 2000: per-thread trees and names")
def threads():
    k, n = 4, 2000
    tr = launch([], command(cfg.fixture, "threads", k, n))
    no_flags(tr.threads)
    want = []
    for i in range(k):
        pair = trees.Node("worker%d_outer" % i, "/fixture/threads.py", 20, children=[
            trees.Node("worker%d_inner" % i, "/fixture/threads.py", 30)])
        want.append(trees.Thread(i, None, [pair.copy() for _ in range(n)]))
    got = trees.filter_threads(tr.threads, list)
    expect_trees(want, got, "%d threads, each %d outer->inner pairs" % (k, n))
    names = sorted(t.name or "" for t in got)
    if names != ["ft-worker-%d" % i for i in range(k)]:
        raise Fail("thread names: expected ft-worker-0..%d, got %s" % (k - 1, names))


def check_flood(tr, n, fired):
    """The flood's tree holds only flood/tiny calls and lost markers, tiny
    calls have no calls under them, and every fired record is either
    received or counted lost. Returns (tiny calls seen, markers)."""
    meta = tr.meta
    markers = [m for t in tr.threads for m in trees.lost_markers(t.calls)]
    shown = sum(m.lost for m in markers)
    if shown > meta["lost"]:
        raise Fail("the markers count %d lost records, meta.lost only %d" % (shown, meta["lost"]))
    if meta["events"] + meta["lost"] < fired:
        raise Fail("%d ENTRY/RETURN records fired, but only %d received + %d lost"
                   % (fired, meta["events"], meta["lost"]))
    tiny = 0
    for t in tr.threads:
        for node, _ in trees.walk(t.calls):
            if node.lost is not None:
                continue
            known = ("flood", "tiny", "gate_wait", "gate_after", "done")
            if "name_unknown" in node.flags:
                # its NAME record was lost with the ring full: honest, if counted
                if not meta["lost"] and not any(meta["drops"].values()):
                    raise Fail("%s: a name unknown, yet nothing counted lost" % node.label())
                continue
            if node.func not in known or not node.file.startswith("/fixture/"):
                raise Fail("a call that never happened: %s in %s" % (node.label(), node.file))
            if node.func == "tiny":
                tiny += 1
                if any(c.lost is None for c in node.children):
                    raise Fail("tiny() has calls under it: %s"
                               % [c.label() for c in node.children][:5])
    if tiny > n:
        raise Fail("%d tiny() calls shown, only %d made" % (tiny, n))
    return tiny, markers


def stalled_flood(n, resume_before_end):
    """-p on a gated fixture flooding n calls into a 16K ring while the
    tracer is stopped (SIGSTOP): losses are certain, not a matter of
    timing. With resume_before_end the tracer resumes and drains while the
    fixture waits in gate_after, so records arrive after the gap; without,
    the losses run to the end of the process."""
    argv = [cfg.fixture, "--gate"] + (["--gate-after"] if resume_before_end else []) + [
        "flood", str(n)]
    target = start_gated(argv)
    tracer = start_tool(["-f", "json", "--ring-size", "16K", "-p", str(target.pid)])
    wait_ready(tracer)
    tracer.signal(signal.SIGSTOP)
    try:
        target.send(b"go\n")
        if resume_before_end:
            if not target.wait_stderr("FT_GATE_AFTER_READY", 60):
                raise Fail("the fixture did not finish its flood\n%s" % target.stderr_tail())
            tracer.signal(signal.SIGCONT)
            time.sleep(0.5)  # let it drain the ring before more records come
            target.send(b"go\n")
        target.close_stdin()
        if target.wait(60, "the flooding fixture") != 0:
            raise Fail("the fixture failed\n%s" % target.stderr_tail())
    finally:
        tracer.signal(signal.SIGCONT)
    tracer.wait(30, "flowtrace-bpf after its target exited")
    res = Result(tracer)
    expect_rc(res, 0)
    doc = parse_json(res.stdout, res)
    tr = Trace(doc, tool_threads(doc), res, target.pid)
    check_meta(doc, pid=target.pid, lost_ok=True)
    check_well_formed(tr.threads)
    if not tr.meta["lost"]:
        raise Fail("meta.lost is %r after %d calls into a 16K ring nobody read"
                   % (tr.meta["lost"], n))
    # fired while traced: gate_wait's return, flood's entry and return, 2n for
    # tiny, and with --gate-after 2 for gate_after and 2 for done
    tiny, markers = check_flood(tr, n, 2 * n + 3 + (4 if resume_before_end else 0))
    if tiny >= n:
        raise Fail("all %d tiny() calls shown although %d records were lost"
                   % (n, tr.meta["lost"]))
    unfinished = [nd.label() for t in tr.threads for nd, _ in trees.walk(t.calls)
                  if "unfinished" in nd.flags]
    return tr, tiny, markers, unfinished


@case("fixture flood, consumer stalled mid-run, smallest ring: a lost marker at the gap")
def flood_stalled():
    n = 20000
    tr, tiny, markers, unfinished = stalled_flood(n, resume_before_end=True)
    if not markers:
        raise Fail("meta.lost is %d but the tree has no lost-records marker" % tr.meta["lost"])
    if unfinished:
        raise Fail("calls flagged unfinished although the target exited: %s" % unfinished)
    # Lost: the rest of the tiny calls, flood's return and gate_after's
    # entry. Received after the gap: gate_after's return, then done. So
    # flood ended at an unknown time (return_lost), gate_after started at
    # one (entry_lost; its name may be unknown if its NAME record was lost
    # too), and done is whole.
    roots = [nd for t in tr.threads for nd in t.calls if nd.lost is None]
    got = [nd.label() for nd in roots]
    problems = []
    if [nd.func for nd in roots[:2]] != ["gate_wait", "flood"] or roots[-1].func != "done" \
            or roots[-1].flags:
        problems.append("expected roots gate_wait, flood, ..., done")
    flood = roots[1] if len(roots) > 1 else None
    if flood is not None and "return_lost" not in flood.flags:
        problems.append("flood's return was lost (and the process exited long after), but "
                        "flood is not flagged return_lost")
    middle = roots[2:-1]
    if len(middle) != 1 or "entry_lost" not in middle[0].flags:
        problems.append("expected one call between flood and done flagged entry_lost: "
                        "gate_after (its name may be unknown), whose RETURN record arrived "
                        "after the gap")
    if problems:
        raise Fail("%s\n  roots: %s" % ("\n".join(problems), got))
    return "%d of %d calls seen, %d records lost, %d markers" % (
        tiny, n, tr.meta["lost"], len(markers))


@case("fixture flood, records lost up to the target's exit: the loss still shows in the tree")
def flood_lost_to_the_end():
    n = 20000
    tr, tiny, markers, unfinished = stalled_flood(n, resume_before_end=False)
    flagged = [nd.label() for t in tr.threads for nd, _ in trees.walk(t.calls)
               if "return_lost" in nd.flags]
    if not markers and not flagged:
        raise Fail("meta.lost is %d, but the tree shows no lost-records marker and no "
                   "return_lost call: the loss is invisible in the tree" % tr.meta["lost"])
    if unfinished:
        raise Fail("calls flagged unfinished although the target exited (their returns were "
                   "lost): %s" % unfinished)


@case("fixture flood, free-running, smallest ring: whatever is lost is accounted for")
def flood_free():
    n = 100000
    tr = launch(["--ring-size", "16K"], command(cfg.fixture, "flood", n), lost_ok=True)
    tiny, markers = check_flood(tr, n, 2 * n + 2)
    if tr.meta["lost"] and not markers:
        raise Fail("meta.lost is %d but the tree has no lost-records marker" % tr.meta["lost"])
    if not tr.meta["lost"] and tiny != n:
        raise Fail("no losses, but %d of %d tiny() calls shown" % (tiny, n))
    return "%d of %d calls seen, %d records lost" % (tiny, n, tr.meta["lost"])


def spans_loss_mismatches(threads):
    """Calls whose spans_loss flag disagrees with their subtree: set exactly
    when a lost-records marker, or a call flagged entry_lost or
    return_lost, lies below the call. Returns (mismatches, flagged)."""
    bad, flagged = [], [0]

    def visit(nodes, path):
        """True when nodes hold a loss."""
        any_loss = False
        for n in nodes:
            if n.lost is not None:
                any_loss = True
                continue
            here = "%s > %s" % (path, n.label())
            below = visit(n.children, here)
            if ("spans_loss" in n.flags) != below:
                bad.append("%s: spans_loss %s, but %s below it" % (
                    here, "set" if "spans_loss" in n.flags else "missing",
                    "a loss lies" if below else "no loss lies"))
            flagged[0] += "spans_loss" in n.flags
            any_loss = any_loss or below or bool(n.flags & {"entry_lost", "return_lost"})
        return any_loss

    for t in threads:
        visit(t.calls, "thread %s" % t.tid)
    return bad, flagged[0]


@case("fixture flood into a 16K ring: every call whose subtree holds a loss is flagged spans_loss")
def flood_spans_loss():
    n = 20000
    # stalled mid-run (losses certain, records after the gap), then to the end
    notes = []
    for resume in (True, False):
        tr, tiny, markers, _ = stalled_flood(n, resume_before_end=resume)
        bad, flagged = spans_loss_mismatches(tr.threads)
        if bad:
            raise Fail("%d calls flagged wrongly (%d records lost):\n  %s"
                       % (len(bad), tr.meta["lost"], "\n  ".join(bad[:10])))
        if not flagged:
            raise Fail("%d records lost, yet no call is flagged spans_loss" % tr.meta["lost"])
        notes.append("%d lost, %d flagged" % (tr.meta["lost"], flagged))
    # free-running: whatever it loses
    tr = launch(["--ring-size", "16K"], command(cfg.fixture, "flood", 100000), lost_ok=True)
    bad, flagged = spans_loss_mismatches(tr.threads)
    if bad:
        raise Fail("free-running flood, %d records lost: %d calls flagged wrongly:\n  %s"
                   % (tr.meta["lost"], len(bad), "\n  ".join(bad[:10])))
    notes.append("free: %d lost, %d flagged" % (tr.meta["lost"], flagged))
    return "; ".join(notes)
