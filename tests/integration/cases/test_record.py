"""record, replay, report and diff end to end. A recording replays to the
tree a live trace of the same workload gives (and to the oracle's); every
format replays and matches its live output; damaged, cut and foreign files
are handled as documented; report and diff give the figures the replayed
tree implies and the sleeps of workloads/timed.py bound; and the formats
load in their real consumers: speedscope (Chrome trace JSON and folded
stacks, in headless Chromium), the html page's own self-test, and
Graphviz's dot."""

import base64
import collections
import decimal
import functools
import glob
import html
import json
import os
import re
import shutil
import signal
import struct
import tempfile
import time
import urllib.parse
import zlib
import xml.etree.ElementTree as ET

from ftlib import probes, trees
from ftlib.flows import (Trace, attach, attach_raw, command, launch, module_subtree,
                         start_gated)
from ftlib.harness import (INCLUDE, Fail, Proc, Result, Skip, cfg, check_meta, check_well_formed,
                           child_env, expect_rc, expect_trees, need_py39, no_flags, oracle, parse_json,
                           start_tool, tool, tool_threads, wait_ready, workload)
from ftlib.registry import add, case

FORMATS = ("tree", "json", "jsonl", "chrome", "folded", "plantuml", "dot", "html")
MS = 1000000
# a sleep lasts at least what it asks; the upper bound only catches a report
# that adds what it should not (the exact figures are checked against the
# replayed tree), so it is loose enough for a loaded machine
SLACK_NS = 150 * MS
SPEEDSCOPE_PIN = "1.25.0"  # tests/integration/consumers.sh installs this version


# ---------------------------------------------------------------- helpers

def rec_dir(name):
    d = os.path.join(cfg.tmp, "record", name)
    os.makedirs(d, exist_ok=True)
    return d


def record(out, cmd):
    """flowtrace-bpf record -o OUT -c CMD: exit 0, nothing on stdout, the
    file in place and no temporary left beside it."""
    res = tool(["record", "-o", out, "-c", cmd])
    expect_rc(res, 0)
    check_recorded(out, res)
    return res


def record_attached(out, argv):
    """record -o OUT -p PID of a gated target; returns the target's PID."""
    res, pid = attach_raw(["record", "-o", out], argv)
    check_recorded(out, res)
    return pid


def check_recorded(out, res=None):
    if res is not None and res.stdout:
        raise Fail("record wrote to stdout: %r" % res.stdout[:200])
    if not os.path.isfile(out) or os.path.getsize(out) < 16:
        raise Fail("record left no trace file at %s%s"
                   % (out, "\n  " + res.context() if res is not None else ""))
    left = [f for f in os.listdir(os.path.dirname(out)) if f.startswith(".")]
    if left:
        raise Fail("temporary files left next to %s: %s" % (out, left))


def replay(path, fmt="json", args=(), want_rc=0):
    res = tool(["replay", "-f", fmt] + list(args) + [path])
    expect_rc(res, want_rc)
    return res


def warnings_of(res):
    return [l for l in res.stderr.splitlines() if "warning" in l]


def no_warning(res):
    w = warnings_of(res)
    if w:
        raise Fail("unexpected warning: %s\n  %s" % (w[0], res.context()))


def replay_trace(path, args=(), warn=False, pid=None, probe=None):
    """replay -f json: exit 0, the documented shape, consistent times,
    meta.probe naming the method recorded: probe, or by default the one
    auto picks on the 3.9 build, eval for a -c recording and frame for a
    -p one (pid given). Returns (doc, threads, Result)."""
    res = replay(path, "json", args)
    if not warn:
        no_warning(res)
    doc = parse_json(res.stdout, res)
    threads = tool_threads(doc)
    check_meta(doc, pid=pid, probe=probe or ("eval" if pid is None else "frame"))
    check_well_formed(threads)
    return doc, threads, res


def only_workload_frames(threads):
    return trees.filter_threads(threads, lambda calls: trees.apply_globs(calls, [INCLUDE]))


def as_attached(threads, path):
    """The oracle's gated run as a tracer attached at the gate sees it."""
    main = threads[0]
    calls = trees.attached_view(main.calls, lambda n: n.func == "gate" and n.file == path)
    if calls is None:
        raise Fail("the oracle's gated run of %s has no gate() call" % path)
    return [trees.Thread(main.tid, main.name, calls)] + threads[1:]


def shown(threads):
    return trees.filter_threads(threads, list)


def text_of(res, what):
    try:
        return res.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("%s is not UTF-8: %s" % (what, e))


_recordings = {}


def recording(name, argv=()):
    """One recording of workloads/NAME.py with -c per test run, shared by
    the cases that only read it."""
    key = (cfg.token, name, tuple(argv))
    if key not in _recordings:
        py = need_py39()
        out = os.path.join(rec_dir("shared"), "%s%s.ftrace" % (name, "-".join(("",) + argv)))
        record(out, command(py, workload(name), *argv))
        _recordings[key] = out
    return _recordings[key]


# ---------------------------------------------------------------- same tree as live

def record_launch_matches(name, unfiltered):
    py = need_py39()
    path = workload(name)
    out = os.path.join(rec_dir("launch"), name + ".ftrace")
    record(out, command(py, path))
    _, rep, _ = replay_trace(out, ["--include", INCLUDE])
    no_flags(rep)
    live = launch(["--include", INCLUDE], command(py, path))
    expect_trees(shown(live.threads), shown(rep), "replay vs the live trace, --include")
    expect_trees(only_workload_frames(oracle(path)), shown(rep), "replay vs the oracle")
    if unfiltered:
        doc, rep_all, res = replay_trace(out)
        replayed = Trace(doc, rep_all, res, doc["meta"]["pid"])
        live_all = launch([], command(py, path))
        expect_trees([trees.Thread(0, None, module_subtree(live_all, path))],
                     [trees.Thread(0, None, module_subtree(replayed, path))],
                     "replay vs the live trace, unfiltered <module> subtree")


def record_attach_matches(name):
    py = need_py39()
    path = workload(name)
    out = os.path.join(rec_dir("attach"), name + ".ftrace")
    pid = record_attached(out, [py, path])
    _, rep, _ = replay_trace(out, ["--include", INCLUDE], pid=pid)
    no_flags(rep, allowed={"entered_before_attach"})
    live = attach(["--include", INCLUDE], [py, path])
    expect_trees(shown(live.threads), shown(rep), "replay vs the live attach, --include")
    expected = as_attached(only_workload_frames(oracle(path, gate=True)), path)
    expect_trees(expected, shown(rep), "replay vs the oracle's attached view")


add("record -c fib: replay equals the live trace (also unfiltered) and the oracle",
    functools.partial(record_launch_matches, "fib", True))
add("record -c three_threads: replay equals the live trace and the oracle",
    functools.partial(record_launch_matches, "three_threads", False))
add("record -p fib at the gate: replay equals the live attach and the oracle",
    functools.partial(record_attach_matches, "fib"))
add("record -p three_threads at the gate: replay equals the live attach and the oracle",
    functools.partial(record_attach_matches, "three_threads"))


# ---------------------------------------------------------------- every format

def norm_tree(res):
    """Thread blocks of call lines with durations and TIDs cut off."""
    blocks, cur = [], None
    for line in text_of(res, "tree output").splitlines():
        if line.startswith("# thread "):
            cur = []
            blocks.append(cur)
        elif "|" in line and cur is not None:
            cur.append(line.split("|", 1)[1])
        elif line.strip() and not line.startswith("#"):
            raise Fail("tree: unexpected line %r" % line)
    return sorted(tuple(b) for b in blocks)


def norm_json(res):
    return shown(tool_threads(parse_json(res.stdout, res)))


def norm_jsonl(res):
    records = []
    for i, line in enumerate(text_of(res, "jsonl output").splitlines()):
        try:
            records.append(json.loads(line))
        except ValueError as e:
            raise Fail("jsonl line %d does not parse: %s: %r" % (i + 1, e, line[:200]))
    try:
        threads, meta, lost = trees.threads_from_jsonl(records)
    except trees.FormatError as e:
        raise Fail("jsonl structure: %s" % e)
    calls = sorted((r["func"], r["file"], r["line"], r["depth"]) for r in records
                   if r.get("type") == "call")
    return shown(threads), calls, len(lost)


def chrome_doc(res):
    try:
        return json.loads(text_of(res, "chrome output"), parse_float=decimal.Decimal)
    except ValueError as e:
        raise Fail("chrome output is not JSON: %s" % e)


def norm_chrome(res):
    doc = chrome_doc(res)
    per_tid = collections.defaultdict(list)
    named = 0
    for ev in doc.get("traceEvents", []):
        if ev.get("ph") == "X":
            per_tid[ev["tid"]].append((ev["ts"], ev["name"], json.dumps(ev.get("args"),
                                                                          sort_keys=True)))
        elif ev.get("ph") == "M" and ev.get("name") == "thread_name":
            named += 1
    seqs = sorted(tuple((n, a) for _, n, a in sorted(evs)) for evs in per_tid.values())
    return seqs, named


def norm_folded(res):
    per_thread = collections.defaultdict(set)
    for line in text_of(res, "folded output").splitlines():
        stack, _, weight = line.rpartition(" ")
        if not stack or not weight.isdigit():
            raise Fail("folded: malformed line %r" % line)
        frames = stack.split(";")
        per_thread[frames[0]].add(tuple(frames[1:]))
    return sorted(tuple(sorted(s)) for s in per_thread.values())


def norm_plantuml(res):
    text = text_of(res, "plantuml output")
    lines = text.splitlines()
    if not lines or lines[0] != "@startuml" or lines[-1] != "@enduml":
        raise Fail("plantuml: not between @startuml and @enduml: %r ... %r"
                   % (lines[:1], lines[-1:]))
    names = dict((m.group(2), m.group(1)) for m in
                 re.finditer(r'^participant "(.*)" as (p\d+)$', text, re.M))
    blocks, cur = [], None
    for line in lines[1:-1]:
        if line.startswith("participant "):
            continue
        if line.startswith("== thread "):
            cur = []
            blocks.append(cur)
            continue
        if cur is None:
            continue
        line = re.sub(r"\bp\d+\b", lambda m: names.get(m.group(0), m.group(0)), line)
        line = re.sub(r"-- : [\d.]+ \S+$", "--", line)  # a return arrow's duration
        cur.append(line)
    return sorted(names.values()), sorted(tuple(b) for b in blocks)


def dot_graph(text):
    """({node id: (func, file:line, "N calls")}, {(from, to, "N calls")})."""
    nodes = {}
    for m in re.finditer(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"', text, re.M):
        parts = m.group(2).split("\\n")
        calls = re.search(r"(\d+) calls?$", parts[-1])
        nodes[m.group(1)] = (parts[0], parts[1] if len(parts) > 2 else "",
                             calls.group(1) if calls else parts[-1])
    edges = set()
    for m in re.finditer(r'^\s*(n\d+) -> (n\d+) \[label="(\d+) calls?', text, re.M):
        edges.add((nodes.get(m.group(1)), nodes.get(m.group(2)), m.group(3)))
    return nodes, edges


def norm_dot(res):
    text = text_of(res, "dot output")
    if not text.startswith("digraph ") or not text.rstrip().endswith("}"):
        raise Fail("dot: not a digraph: %r" % text[:100])
    nodes, edges = dot_graph(text)
    return sorted(nodes.values()), sorted(edges, key=repr)


def html_data(text):
    m = re.search(r'<script type="application/json" id="ft-data">(.*?)</script>', text, re.S)
    if not m:
        raise Fail("html: no ft-data block")
    try:
        return json.loads(m.group(1))
    except ValueError as e:
        raise Fail("html: ft-data is not JSON: %s" % e)


def norm_html(res):
    data = html_data(text_of(res, "html output"))
    names = data["names"]
    seqs = []
    for t in data["threads"]:
        c = t["calls"]
        if len(c) % 5:
            raise Fail("html: thread %s has %d numbers in calls, not groups of 5"
                       % (t["tid"], len(c)))
        seqs.append(tuple((tuple(names[c[i]][:3]), c[i + 3], c[i + 4])
                          for i in range(0, len(c), 5)))
    return sorted(seqs)


NORMALISERS = {"tree": norm_tree, "json": norm_json, "jsonl": norm_jsonl,
               "chrome": norm_chrome, "folded": norm_folded, "plantuml": norm_plantuml,
               "dot": norm_dot, "html": norm_html}


def replay_format_matches_live(fmt):
    py = need_py39()
    rec = recording("three_threads")
    # the shape, not the times: whether a call is flagged dur_uncertain
    # (shorter than the correction's error) depends on its own run's times
    filt = ["--include", INCLUDE, "--raw-times"]
    rep = replay(rec, fmt, filt)
    no_warning(rep)
    if not rep.stdout:
        raise Fail("replay -f %s wrote nothing" % fmt)
    res = tool(["-f", fmt] + filt + ["-c", command(py, workload("three_threads"))])
    expect_rc(res, 0)
    got, want = NORMALISERS[fmt](rep), NORMALISERS[fmt](res)
    if fmt == "json":
        expect_trees(want, got, "replay -f json vs live -f json")
        n = sum(trees.count_calls(t.calls) for t in got)
    elif fmt == "jsonl":
        expect_trees(want[0], got[0], "trees rebuilt from replay vs live -f jsonl")
        if got[1] != want[1] or got[2] != want[2]:
            raise Fail("jsonl: replay has %d calls and %d lost records, live %d and %d"
                       % (len(got[1]), got[2], len(want[1]), want[2]))
        n = len(got[1])
    elif got != want:
        raise Fail("replay -f %s and live -f %s differ once times and ids are dropped:\n"
                   "  replay: %s\n  live:   %s" % (fmt, fmt, trees.shorten(repr(got), 600),
                                                   trees.shorten(repr(want), 600)))
    else:
        n = len(rep.stdout)
    return "%s items compared" % n if fmt in ("json", "jsonl") else "%d bytes" % n


for _fmt in FORMATS:
    add("replay -f %s: succeeds on one recording and matches live -f %s" % (_fmt, _fmt),
        functools.partial(replay_format_matches_live, _fmt))


# ---------------------------------------------------------------- damaged files

def blocks_of(data):
    """[(offset, type, total length)] of a trace file's blocks."""
    out, pos = [], 16
    while pos + 20 <= len(data):
        magic, typ, _, zlen, _ = struct.unpack_from("<4sIIII", data, pos)
        if magic != b"FTB1":
            raise Fail("test bug: no block magic at offset %d" % pos)
        out.append((pos, typ, 20 + zlen))
        pos += 20 + zlen
    return out


def prefix_msg(cut, full, where):
    """None when the forest cut is what replaying a prefix of the records
    of full gives: the same calls in the same places with the same times,
    except that the last call on each level may be unfinished (and then
    holds a prefix of its children)."""
    if len(cut) > len(full):
        return "%s: %d calls where the whole file has %d" % (where, len(cut), len(full))
    for i, c in enumerate(cut):
        f = full[i]
        here = "%s[%d]" % (where, i)
        if (c.lost is None) != (f.lost is None):
            return "%s: %s where the whole file has %s" % (here, c.label(), f.label())
        if c.lost is not None:
            continue
        if (c.func, c.file, c.line, c.start_ns) != (f.func, f.file, f.line, f.start_ns):
            return "%s: %s at %d where the whole file has %s at %d" % (
                here, c.label(), c.start_ns, f.label(), f.start_ns)
        if c.flags - {"unfinished"} != f.flags:
            return "%s: flags %s, whole file %s" % (here, sorted(c.flags), sorted(f.flags))
        if "unfinished" in c.flags and "unfinished" not in f.flags:
            if i != len(cut) - 1:
                return "%s: %s is unfinished but has a later sibling" % (here, c.label())
            msg = prefix_msg(c.children, f.children, "%s %s" % (here, c.label()))
            if msg:
                return msg
        else:
            if c.dur_ns != f.dur_ns or len(c.children) != len(f.children):
                return ("%s: %s complete but differs from the whole file's (%d ns, %d "
                        "children vs %d ns, %d children)" % (here, c.label(), c.dur_ns,
                                                             len(c.children), f.dur_ns,
                                                             len(f.children)))
            msg = prefix_msg(c.children, f.children, "%s %s" % (here, c.label()))
            if msg:
                return msg
    return None


def expect_prefix(cut, full, what):
    by_tid = dict((t.tid, t) for t in full)
    for t in cut:
        if t.tid not in by_tid:
            raise Fail("%s: thread %d is not in the whole file's replay" % (what, t.tid))
        msg = prefix_msg(t.calls, by_tid[t.tid].calls, "thread %d" % t.tid)
        if msg:
            raise Fail("%s: not a prefix of the whole file's tree:\n  %s" % (what, msg))


def expect_damage_warning(res, path, words):
    w = warnings_of(res)
    if len(w) != 1 or path not in w[0] or not any(x in w[0] for x in words):
        raise Fail("expected one warning naming %s and saying %s, got:\n  %s"
                   % (path, " or ".join(repr(x) for x in words), "\n  ".join(
                       res.stderr.splitlines()) or "(stderr empty)"))


def replay_damaged(path, full, what, words):
    """Replays a damaged copy: exit 0, one warning, a well-formed prefix of
    the whole file's tree. Returns the number of calls replayed."""
    _, threads, res = replay_trace(path, warn=True)
    expect_damage_warning(res, path, words)
    expect_prefix(threads, full, what)
    return sum(trees.count_calls(t.calls) for t in threads)


CUT_WORDS = ("cut short",)


@case("replay of a file cut short (mid-block, after META, before END): exit 0, warning, prefix")
def replay_cut():
    src = recording("ticker", ("40",))
    with open(src, "rb") as f:
        data = f.read()
    _, full, _ = replay_trace(src)
    n_full = sum(trees.count_calls(t.calls) for t in full)
    blocks = blocks_of(data)
    types = [b[1] for b in blocks]
    if types[0] != 1 or types[-1] != 3 or types.count(2) < 4:
        raise Fail("test bug: expected META, at least 4 RECORDS blocks and END, got types %s"
                   % types)
    recs = [b for b in blocks if b[1] == 2]
    meta_end = blocks[0][0] + blocks[0][2]
    end_block = blocks[-1][0]
    cuts = [
        ("right after the META block", meta_end, 0),
        ("in the middle of the first RECORDS block", recs[0][0] + recs[0][2] // 2, 0),
        ("inside the header of a later block", recs[2][0] + 10, 1),
        ("in the middle of the last RECORDS block", recs[-1][0] + recs[-1][2] // 2, 1),
        ("right before the END block", end_block, 1),
    ]
    d = rec_dir("cut")
    seen = []
    for what, at, min_calls in cuts:
        path = os.path.join(d, "cut-%d.ftrace" % at)
        with open(path, "wb") as f:
            f.write(data[:at])
        n = replay_damaged(path, full, "cut %s (%d of %d bytes)" % (what, at, len(data)),
                           CUT_WORDS)
        if n < min_calls:
            raise Fail("cut %s: %d calls replayed, expected some" % (what, n))
        seen.append(n)
    if seen != sorted(seen) or seen[-1] != n_full:
        raise Fail("calls replayed should grow with the cut point up to the whole file's %d "
                   "(cut before END): %s" % (n_full, seen))
    return "calls replayed per cut: %s of %d" % (seen, n_full)


@case("replay of a file cut right after its 16-byte header: nothing to replay, exit 8")
def replay_cut_header():
    src = recording("ticker", ("40",))
    path = os.path.join(rec_dir("cut"), "header-only.ftrace")
    with open(src, "rb") as f:
        head = f.read(16)
    with open(path, "wb") as f:
        f.write(head)
    res = replay(path, "json", want_rc=8)
    if "no metadata block" not in res.stderr or res.stdout:
        raise Fail("expected one error naming the missing metadata and no output; got "
                   "stdout %r stderr %r" % (res.stdout[:200], res.stderr))


@case("replay of a file with a corrupted byte: exit 0, warning, prefix up to the damage")
def replay_corrupt():
    src = recording("ticker", ("40",))
    with open(src, "rb") as f:
        data = bytearray(f.read())
    _, full, _ = replay_trace(src)
    n_full = sum(trees.count_calls(t.calls) for t in full)
    # Only blocks that start calls: dropping one of cost, return or
    # thread-end records alone (the last block often is) loses no call.
    recs = [b for b in blocks_of(data) if b[1] == 2 and block_has_entries(data, b)]
    if len(recs) < 2:
        raise Fail("test bug: fewer than 2 RECORDS blocks start calls")
    d = rec_dir("corrupt")
    notes = []
    for what, at in (("the compressed data of a middle RECORDS block",
                      recs[len(recs) // 2][0] + 20 + recs[len(recs) // 2][2] // 3),
                     ("the CRC field of the last RECORDS block starting calls",
                      recs[-1][0] + 16)):
        bad = bytearray(data)
        bad[at] ^= 0x5A
        path = os.path.join(d, "corrupt-%d.ftrace" % at)
        with open(path, "wb") as f:
            f.write(bad)
        n = replay_damaged(path, full, "byte %d flipped (%s)" % (at, what), ("damaged",))
        if n >= n_full:
            raise Fail("byte %d flipped (%s): all %d calls replayed" % (at, what, n))
        notes.append(n)
    return "calls replayed: %s of %d" % (notes, n_full)


# ---------------------------------------------------------------- crafted files

REC_HDR = struct.Struct("<QIIIiHHI")  # ft_rec_hdr: ts tgid tid seq depth type flags arg
ENTRY, RETURN = 1, 2
MEM_LIMIT = 1 << 30  # far above what replaying these recordings takes


def record_items(raw):
    """[(offset of the record, size)] of a RECORDS block's inflated items."""
    out, pos = [], 0
    while pos + 8 <= len(raw):
        size, zero = struct.unpack_from("<II", raw, pos)
        if zero:
            raise Fail("test bug: damaged item at %d" % pos)
        out.append((pos + 8, size))
        pos += 8 + ((size + 7) & ~7)
    return out


def block_has_entries(data, block):
    """Whether a RECORDS block (pos, type, total) holds an ENTRY record."""
    pos = block[0]
    zlen = struct.unpack_from("<4sIIII", data, pos)[3]
    raw = zlib.decompress(bytes(data[pos + 20:pos + 20 + zlen]))
    return any(size >= REC_HDR.size and REC_HDR.unpack_from(raw, off)[5] == ENTRY
               for off, size in record_items(raw))


def edit_record(data, rec_type, edit):
    """A copy of the trace file data whose middle record of rec_type, in
    the middle RECORDS block holding some, is changed by edit(fields) ->
    fields, and the block written back compressed with a valid CRC, as an
    editor would."""
    found = []
    for pos, typ, total in blocks_of(data):
        if typ != 2:
            continue
        _, _, raw_len, zlen, _ = struct.unpack_from("<4sIIII", data, pos)
        raw = bytearray(zlib.decompress(bytes(data[pos + 20:pos + 20 + zlen])))
        if len(raw) != raw_len:
            raise Fail("test bug: block at %d inflates to %d bytes, not %d"
                       % (pos, len(raw), raw_len))
        picks = [off for off, size in record_items(raw) if size == REC_HDR.size
                 and REC_HDR.unpack_from(raw, off)[5] == rec_type]
        if len(picks) >= 3:
            found.append((pos, total, raw, picks))
    if not found:
        raise Fail("test bug: no RECORDS block holds records of type %d" % rec_type)
    pos, total, raw, picks = found[len(found) // 2]
    off = picks[len(picks) // 2]
    REC_HDR.pack_into(raw, off, *edit(list(REC_HDR.unpack_from(raw, off))))
    z = zlib.compress(bytes(raw), 1)
    head = struct.pack("<4sIIII", b"FTB1", 2, len(raw), len(z), zlib.crc32(bytes(raw)))
    return bytes(data[:pos]) + head + z + bytes(data[pos + total:])


def asan_tool():
    with open(cfg.tool, "rb") as f:
        return b"__asan_init" in f.read()


def tool_limited(args):
    """flowtrace-bpf with its memory limited: a run that tries to take
    more fails instead of taking the machine. An ASan build reserves its
    shadow memory up front, so there ASan's own RSS limit stands in."""
    if asan_tool():
        opts = os.environ.get("ASAN_OPTIONS", "")
        env = child_env({"ASAN_OPTIONS": "%s%shard_rss_limit_mb=%d" % (
            opts, ":" if opts else "", MEM_LIMIT >> 20)})
        return tool(args, env=env)
    p = Proc(["prlimit", "--as=%d" % MEM_LIMIT, "--", cfg.tool] + list(args))
    p.wait(90, "flowtrace-bpf " + " ".join(args))
    return Result(p)


CRAFTED_DEPTHS = (
    # what, record type, edit of (ts, tgid, tid, seq, depth, type, flags, arg)
    ("an entry's depth set to 2147483642", ENTRY, lambda f: f[:4] + [2147483642] + f[5:]),
    ("an entry's depth raised by 100000", ENTRY, lambda f: f[:4] + [f[4] + 100000] + f[5:]),
    ("a return's depth set to -2147483648", RETURN, lambda f: f[:4] + [-2 ** 31] + f[5:]),
    ("a return's depth lowered by 5000", RETURN, lambda f: f[:4] + [f[4] - 5000] + f[5:]),
)


@case("replay/report/diff of a recording with one depth edited (valid CRC): warning, prefix, "
      "bounded memory")
def replay_crafted_depth():
    src = recording("ticker", ("40",))
    with open(src, "rb") as f:
        data = f.read()
    _, full, _ = replay_trace(src)
    n_full = sum(trees.count_calls(t.calls) for t in full)
    d = rec_dir("crafted")
    seen = []
    for i, (what, typ, edit) in enumerate(CRAFTED_DEPTHS):
        path = os.path.join(d, "depth-%d.ftrace" % i)
        with open(path, "wb") as f:
            f.write(edit_record(data, typ, edit))
        res = tool_limited(["replay", "-f", "json", path])
        expect_rc(res, 0, "replay of a file with %s" % what)
        expect_damage_warning(res, path, ("claims depth",))
        doc = parse_json(res.stdout, res)
        threads = tool_threads(doc)
        check_well_formed(threads)
        expect_prefix(threads, full, "a file with %s" % what)
        n = sum(trees.count_calls(t.calls) for t in threads)
        if n >= n_full:
            raise Fail("%s: all %d calls replayed past the damage" % (what, n))
        seen.append(n)
        for sub in (["report", path], ["report", "-f", "json", path], ["diff", src, path]):
            res = tool_limited(sub)
            expect_rc(res, 0, "%s of a file with %s" % (sub[0], what))
            expect_damage_warning(res, path, ("claims depth",))
    return "calls replayed before the damage: %s of %d" % (seen, n_full)


def expect_diagnosis(res, rc, mentions=()):
    """Exit status rc, nothing on stdout, one 'flowtrace-bpf: ...' line
    (mentioning each of mentions), then only hint lines."""
    expect_rc(res, rc)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    if not lines or not lines[0].startswith("flowtrace-bpf: "):
        raise Fail("expected stderr to start with 'flowtrace-bpf: ...', got:\n  %s"
                   % "\n  ".join(lines))
    extra = [l for l in lines[1:] if not l.lstrip().startswith("hint:")]
    if extra:
        raise Fail("expected one diagnosis line and hint lines, also got:\n  %s"
                   % "\n  ".join(extra))
    for m in mentions:
        if m not in lines[0]:
            raise Fail("the diagnosis should mention %r: %s" % (m, lines[0]))
    if res.stdout:
        raise Fail("stdout should be empty, got %r" % res.stdout[:200])


@case("replay of a non-trace, an empty and a missing file: exit 8, one-line error")
def replay_unreadable():
    d = rec_dir("unreadable")
    with open(cfg.tool, "rb") as f:
        elf = f.read(4096)
    files = {"text.ftrace": b"this is not a trace file\n", "empty.ftrace": b"",
             "elf.ftrace": elf}
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    for name in sorted(files) + ["missing.ftrace"]:
        path = os.path.join(d, name)
        for sub in (["replay", "-f", "json"], ["report"]):
            expect_diagnosis(tool(sub + [path]), 8, [path])
    real = recording("ticker", ("40",))
    expect_diagnosis(tool(["diff", real, os.path.join(d, "missing.ftrace")]), 8,
                     ["missing.ftrace"])


@case("record -o into a missing directory: exit 7 before the command runs or the PID is probed")
def record_unwritable():
    py = need_py39()
    out = os.path.join(cfg.tmp, "no-such-dir", "x.ftrace")
    marker = os.path.join(rec_dir("unwritable"), "ran")
    res = tool(["record", "-o", out, "-c", command(py, "-c", "open(%r, 'w')" % marker)])
    expect_diagnosis(res, 7, [out])
    if os.path.exists(marker):
        raise Fail("the command ran although the trace file could not be created")
    target = start_gated([py, workload("fib")])
    res = tool(["record", "-o", out, "-p", str(target.pid)])
    expect_diagnosis(res, 7, [out])
    if any("tracing" in l for l in res.stderr.splitlines()):
        raise Fail("record attached before finding the output unwritable:\n  %s" % res.stderr)
    binary = probes.marker_binary(target.pid)
    st = probes.state(target.pid, binary)
    if not all(v[0] == probes.NOP and not v[1] for v in st.values()):
        raise Fail("the target has probes after a refused record: %s" % probes.describe(st))
    target.send(b"go\n")
    target.close_stdin()
    if target.wait(30, "the target after a refused record") != 0:
        raise Fail("the target failed after a refused record\n%s" % target.stderr_tail())
    if os.path.exists(os.path.dirname(out)):
        raise Fail("the missing directory was created")


@case("record without -o, and record -f json: exit 2, the command never runs")
def record_bad_options():
    py = need_py39()
    d = rec_dir("badopts")
    marker = os.path.join(d, "ran")
    cmd = command(py, "-c", "open(%r, 'w')" % marker)
    expect_diagnosis(tool(["record", "-c", cmd]), 2, ["-o"])
    expect_diagnosis(tool(["record", "-f", "json", "-o", os.path.join(d, "x.ftrace"),
                           "-c", cmd]), 2)
    if os.path.exists(marker):
        raise Fail("the command ran despite the bad options")
    if os.path.exists(os.path.join(d, "x.ftrace")):
        raise Fail("record -f json created the trace file")


@case("replay and report work for an unprivileged user (nobody)")
def replay_unprivileged():
    setpriv = shutil.which("setpriv")
    if not setpriv:
        raise Fail("setpriv (util-linux) not found") if cfg.ci else Skip("no setpriv")
    src = recording("timed")
    pub = tempfile.mkdtemp(prefix="flowtrace-itest-public.")
    try:
        os.chmod(pub, 0o755)
        path = os.path.join(pub, "timed.ftrace")
        shutil.copyfile(src, path)
        os.chmod(path, 0o644)
        drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", cfg.tool]
        for sub in (["replay", "-f", "json"], ["report", "-f", "json"]):
            p = Proc(drop + sub + [path])
            p.wait(60, "flowtrace-bpf %s as nobody" % sub[0])
            mine = tool(sub + [path])
            expect_rc(mine, 0)
            if p.rc != 0 or p.stdout != mine.stdout:
                raise Fail("%s as nobody: exit %s, %d bytes; as root %d bytes\n%s"
                           % (" ".join(sub), p.rc, len(p.stdout), len(mine.stdout),
                              p.stderr_tail()))
    finally:
        shutil.rmtree(pub, ignore_errors=True)


def wait_clean(pid, binary, settle=3.0):
    deadline = time.monotonic() + settle
    while True:
        st = probes.state(pid, binary)
        if all(v[0] == probes.NOP and not v[1] for v in st.values()):
            return
        if time.monotonic() > deadline:
            raise Fail("the target still has probes %.0fs after record was killed: %s"
                       % (settle, probes.describe(st)))
        time.sleep(0.1)


def ticks_done(proc):
    return sum(1 for l in proc.stderr_lines() if l.startswith("FT_TICK "))


@case("record killed by SIGKILL: the file replays up to the kill with a warning; target lives")
def record_sigkill():
    py = need_py39()
    path = workload("ticker")
    out = os.path.join(rec_dir("sigkill"), "killed.ftrace")
    target = start_gated([py, path, "150"])
    binary = probes.marker_binary(target.pid)
    # the markers: their semaphores must be back to 0 after the SIGKILL too
    tracer = start_tool(["record", "--method", "usdt", "-o", out, "-p", str(target.pid)])
    wait_ready(tracer)
    target.send(b"go\n")
    target.close_stdin()
    if not target.wait_stderr("FT_TICK 10", 30):
        raise Fail("the target never reached its 11th tick\n%s" % target.stderr_tail())
    before = ticks_done(target)
    time.sleep(0.3)  # records are written at least every 100 ms
    tracer.signal(signal.SIGKILL)
    rc = tracer.wait(10, "flowtrace-bpf record after SIGKILL")
    at_kill = ticks_done(target)
    if rc != -signal.SIGKILL:
        raise Fail("record: expected death by SIGKILL, got status %s" % rc)
    if not target.alive():
        raise Fail("the target died with the tracer (status %s)\n%s"
                   % (target.p.poll(), target.stderr_tail()))
    wait_clean(target.pid, binary)
    if target.wait(30, "the target after record was killed") != 0:
        raise Fail("the target failed after record was killed\n%s" % target.stderr_tail())
    # a recording is renamed into place only when complete (docs/formats.md):
    # what was recorded is in the temporary file that names the tracer's PID
    if os.path.exists(out):
        raise Fail("%s exists: a killed recording was renamed into place" % out)
    temps = glob.glob(os.path.join(os.path.dirname(out), ".killed.ftrace.flowtrace-rec.%d.*"
                                   % tracer.pid))
    if len(temps) != 1:
        raise Fail("expected one .killed.ftrace.flowtrace-rec.%d.XXXXXX next to %s, found %s"
                   % (tracer.pid, out, os.listdir(os.path.dirname(out))))
    out = temps[0]
    if os.path.getsize(out) < 16:
        raise Fail("the killed recording %s holds no header" % out)
    _, threads, res = replay_trace(out, ["--include", INCLUDE], warn=True, pid=target.pid,
                                   probe="usdt")
    expect_damage_warning(res, out, CUT_WORDS)
    main = [t for t in threads if t.tid == target.pid]
    if len(main) != 1:
        raise Fail("expected the main thread %d in the replay, got tids %s"
                   % (target.pid, [t.tid for t in threads]))
    # <module> was entered before the attach and never returned while
    # recorded, so nothing in the file shows it: the roots are gate(),
    # which returned, and main(), entered after the attach and cut short
    calls = main[0].calls
    roots = [(n.func, sorted(n.flags)) for n in calls]
    if roots != [("gate", ["entered_before_attach"]), ("main", ["unfinished"])]:
        raise Fail("expected the roots gate() [entered_before_attach] and main() [unfinished], "
                   "got %s" % [n.label() for n in calls])
    ticks = [n for n, _ in trees.walk(calls) if n.func == "tick"]
    done = [n for n in ticks if "unfinished" not in n.flags]
    if not before <= len(done) <= at_kill + 1:
        raise Fail("expected between %d (done 0.3 s before the kill) and %d (done at the kill) "
                   "finished tick() calls in the file, got %d" % (before, at_kill + 1,
                                                                   len(done)))
    return "%d of 150 ticks recorded before the kill" % len(done)


# ---------------------------------------------------------------- report and diff

def func_key(n):
    return (n.func, n.file)


def expected_report(threads):
    """What report must say, computed from the replayed tree: per (func,
    file) calls, total (calls with no call of the same function above
    them), self (duration less the shown children's) and max."""
    rows = {}

    def visit(nodes, active):
        for n in nodes:
            if n.lost is not None:
                continue
            k = func_key(n)
            r = rows.setdefault(k, {"calls": 0, "total_ns": 0, "self_ns": 0, "max_ns": 0,
                                    "line": n.line})
            r["calls"] += 1
            if k not in active:
                r["total_ns"] += n.dur_ns
            r["self_ns"] += n.dur_ns - sum(c.dur_ns for c in n.children if c.lost is None)
            r["max_ns"] = max(r["max_ns"], n.dur_ns)
            r["line"] = min(r["line"], n.line)
            visit(n.children, active | {k})

    for t in threads:
        visit(t.calls, frozenset())
    return rows


def report_json(path, args=()):
    res = tool(["report", "-f", "json"] + list(args) + [path])
    expect_rc(res, 0)
    rows = parse_json(res.stdout, res)
    if not isinstance(rows, list):
        raise Fail("report -f json: expected a list of rows, got %s" % type(rows).__name__)
    return rows


def rows_by_func(rows):
    return dict(((r["func"], r["file"]), r) for r in rows)


TIMED = {  # func: (calls, lower bound of total, of self) in ns, from the sleeps
    "a": (2, 100 * MS, 100 * MS),
    "b": (3, 60 * MS, 60 * MS),
    "c": (1, 30 * MS, 10 * MS),
    "rec": (4, 40 * MS, 40 * MS),
    "tick": (2, 70 * MS, 70 * MS),
    "worker": (1, 70 * MS, 0),
    "main": (1, 210 * MS, 0),
}


@case("report: figures equal the replayed tree's; known sleeps; recursion counted once")
def report_figures():
    src = recording("timed")
    path = workload("timed")
    filt = ["--include", INCLUDE]
    _, threads, _ = replay_trace(src, filt)
    want = expected_report(threads)
    got = rows_by_func(report_json(src, filt))
    if set(got) != set(want):
        raise Fail("report lists %s, the tree has %s" % (sorted(got), sorted(want)))
    for k, w in want.items():
        g = got[k]
        for field in ("calls", "total_ns", "self_ns", "max_ns", "line"):
            if g[field] != w[field]:
                raise Fail("report %s %s: expected %d (from the replayed tree), got %d"
                           % (k[0], field, w[field], g[field]))
        if g["avg_ns"] != g["total_ns"] // g["calls"]:
            raise Fail("report %s avg_ns %d is not total/calls (%d/%d)"
                       % (k[0], g["avg_ns"], g["total_ns"], g["calls"]))
    notes = []
    for func, (calls, total, self_) in sorted(TIMED.items()):
        g = got.get((func, path))
        if g is None:
            raise Fail("report has no row for %s() of %s" % (func, path))
        if g["calls"] != calls:
            raise Fail("%s(): expected %d calls, got %d" % (func, calls, g["calls"]))
        if not total <= g["total_ns"] <= total + SLACK_NS:
            raise Fail("%s(): total %.3f ms, expected %.0f..%.0f ms"
                       % (func, g["total_ns"] / MS, total / MS, (total + SLACK_NS) / MS))
        if not self_ <= g["self_ns"] <= max(self_, 1 * MS) + SLACK_NS:
            raise Fail("%s(): self %.3f ms, expected %.0f..%.0f ms"
                       % (func, g["self_ns"] / MS, self_ / MS,
                          (max(self_, MS) + SLACK_NS) / MS))
        notes.append("%s %.1f" % (func, g["total_ns"] / MS))
    # rec: 4 nested calls; its total is the outermost call's duration, not
    # the 100 ms that adding every level would give
    outer = None
    for t in threads:
        outer = outer or trees.find_first(t.calls, lambda n: n.func == "rec")
    r = got[("rec", path)]
    if outer is None or r["total_ns"] != outer.dur_ns or r["max_ns"] != outer.dur_ns:
        raise Fail("rec(): total %d and max %d should both be the outermost call's %s ns"
                   % (r["total_ns"], r["max_ns"], outer.dur_ns if outer else "?"))
    return "totals (ms): " + ", ".join(notes)


def text_rows(res):
    """(func, line, file basename) of a text table's rows, in order: the
    rows are the lines ending in a "func (file:line)" column."""
    out = []
    for line in text_of(res, "report text").splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^(\S.*) \((.+):(\d+)\)$", line.rsplit("  ", 1)[-1])
        if m:
            out.append((m.group(1), int(m.group(3)), os.path.basename(m.group(2))))
    return out


SORT_KEYS = {"total": "total_ns", "self": "self_ns", "calls": "calls", "avg": "avg_ns",
             "max": "max_ns"}


@case("report --sort total|self|calls|avg|max|name: rows in order; text rows match JSON")
def report_sorting():
    src = recording("timed")
    filt = ["--include", INCLUDE]
    for key in ("total", "self", "calls", "avg", "max", "name"):
        rows = report_json(src, filt + ["--sort", key])
        if key == "name":
            want = sorted(rows, key=lambda r: (r["func"], r["file"]))
        else:
            f = SORT_KEYS[key]
            want = sorted(rows, key=lambda r: (-r[f], r["func"], r["file"]))
        if rows != want:
            raise Fail("report --sort %s: rows out of order: %s" % (
                key, [(r["func"], r.get(SORT_KEYS.get(key, "func"))) for r in rows]))
        res = tool(["report", "--sort", key] + filt + [src])
        expect_rc(res, 0)
        text = text_rows(res)
        as_json = [(r["func"], r["line"], os.path.basename(r["file"])) for r in rows]
        if text != as_json:
            raise Fail("report --sort %s: text rows %s, JSON rows %s" % (key, text, as_json))
    bad = tool(["report", "--sort", "nonsense", src])
    expect_diagnosis(bad, 2, ["nonsense"])


@case("report --threads: one table per thread, each with its own functions")
def report_threads():
    src = recording("timed")
    path = workload("timed")
    filt = ["--include", INCLUDE]
    doc, threads, _ = replay_trace(src, filt)
    pid = doc["meta"]["pid"]
    rows = report_json(src, filt + ["--threads"])
    per = collections.defaultdict(dict)
    for r in rows:
        per[r["tid"]][(r["func"], r["file"])] = r
    if sorted(per) != sorted(t.tid for t in threads):
        raise Fail("report --threads has tids %s, the replay %s"
                   % (sorted(per), sorted(t.tid for t in threads)))
    for t in threads:
        want = expected_report([t])
        got = per[t.tid]
        if set(got) != set(want):
            raise Fail("thread %d: report lists %s, its tree has %s"
                       % (t.tid, sorted(k[0] for k in got), sorted(k[0] for k in want)))
        for k, w in want.items():
            for field in ("calls", "total_ns", "self_ns"):
                if got[k][field] != w[field]:
                    raise Fail("thread %d %s %s: expected %d, got %d"
                               % (t.tid, k[0], field, w[field], got[k][field]))
    main = set(f for f, _ in per[pid])
    if not {"a", "b", "c", "rec", "main"} <= main or "tick" in main:
        raise Fail("main thread %d's table: %s" % (pid, sorted(main)))
    others = [tid for tid in per if tid != pid]
    if len(others) != 1 or set(f for f, _ in per[others[0]]) != {"worker", "tick"}:
        raise Fail("expected one other thread with worker() and tick(), got %s"
                   % {tid: sorted(f for f, _ in per[tid]) for tid in others})
    tick = per[others[0]][("tick", path)]
    if tick["calls"] != 2 or tick["total_ns"] < 70 * MS:
        raise Fail("worker thread tick(): %s" % tick)
    res = tool(["report", "--threads"] + filt + [src])
    expect_rc(res, 0)
    heads = re.findall(r"^# thread (\d+) ", text_of(res, "report text"), re.M)
    if sorted(int(h) for h in heads) != sorted(per):
        raise Fail("report --threads text: thread headers %s, expected %s"
                   % (heads, sorted(per)))


EDITED_V1 = """\
import time


def slow():
    time.sleep(0.010)


def fast():
    return 1


def gone():
    return 2


def main():
    for _ in range(2):
        slow()
    for _ in range(5):
        fast()
    gone()


main()
"""

EDITED_V2 = """\
import time
# edited: slow() runs six times now, gone() became added()


def slow():
    time.sleep(0.010)


def fast():
    return 1


def added():
    return 3


def main():
    for _ in range(6):
        slow()
    for _ in range(5):
        fast()
    added()


main()
"""


@case("diff of a workload edited between two recordings: regression first, call deltas")
def diff_edited():
    py = need_py39()
    d = rec_dir("edited")
    src = os.path.join(d, "app.py")
    recs = []
    for i, text in enumerate((EDITED_V1, EDITED_V2)):
        with open(src, "w") as f:
            f.write(text)
        out = os.path.join(d, "v%d.ftrace" % (i + 1))
        record(out, command(py, src))
        recs.append(out)
    filt = ["--include", "*/edited/*"]
    res = tool(["diff", "-f", "json", "--sort", "self"] + filt + recs)
    expect_rc(res, 0)
    rows = parse_json(res.stdout, res)
    by = dict((r["func"], r) for r in rows)
    first = rows[0] if rows else {}
    if first.get("func") != "slow" or first.get("status") != "changed" or \
            first["delta"]["calls"] != 4:
        raise Fail("diff --sort self: expected slow() first, changed, +4 calls; got %s"
                   % trees.shorten(json.dumps(rows[:2]), 400))
    slow = by["slow"]
    if (slow["before"]["calls"], slow["after"]["calls"]) != (2, 6) or \
            slow["delta"]["self_ns"] < 40 * MS - SLACK_NS or slow["after"]["self_ns"] < 60 * MS:
        raise Fail("slow(): expected 2 -> 6 calls and about +40 ms self, got %s" % slow)
    want = {"fast": (None, 0), "gone": ("gone", -1), "added": ("new", 1), "main": (None, 0),
            "<module>": (None, 0)}
    for func, (status, dcalls) in want.items():
        r = by.get(func)
        if r is None or r["delta"]["calls"] != dcalls or (status and r["status"] != status):
            raise Fail("%s: expected status %s and %+d calls, got %s"
                       % (func, status or "any", dcalls, r))
    for r in rows:
        dd = r["delta"]
        a, b = r.get("before") or {}, r.get("after") or {}
        for f in ("calls", "total_ns", "self_ns"):
            if dd[f] != b.get(f, 0) - a.get(f, 0):
                raise Fail("%s: delta %s %d is not after - before (%s - %s)"
                           % (r["func"], f, dd[f], b.get(f, 0), a.get(f, 0)))
    # default order: total delta, largest first; <module> and main carry
    # slow()'s regression too, so the three lead (their order is noise)
    res = tool(["diff", "-f", "json"] + filt + recs)
    expect_rc(res, 0)
    rows = parse_json(res.stdout, res)
    deltas = [r["delta"]["total_ns"] for r in rows]
    if deltas != sorted(deltas, reverse=True):
        raise Fail("diff: rows not ordered by total delta: %s"
                   % [(r["func"], r["delta"]["total_ns"]) for r in rows])
    if set(r["func"] for r in rows[:3]) != {"<module>", "main", "slow"}:
        raise Fail("diff: expected <module>, main and slow() first (in some order), got %s"
                   % [(r["func"], r["delta"]["total_ns"]) for r in rows])
    res = tool(["diff", "--sort", "calls"] + filt + recs)
    expect_rc(res, 0)
    text = text_of(res, "diff text")
    order = [r[0] for r in text_rows(res)]
    if not order or order[0] != "slow" or "# before: %s" % recs[0] not in text or \
            "# after:  %s" % recs[1] not in text:
        raise Fail("diff --sort calls (text): expected the before/after header and slow() "
                   "first, got:\n  %s" % "\n  ".join(text.splitlines()[:12]))


# ---------------------------------------------------------------- folded and chrome

def folded_weights(text):
    per = collections.Counter()
    for line in text.splitlines():
        stack, _, weight = line.rpartition(" ")
        m = re.match(r"^thread (\d+) \(", stack)
        if not m or not weight.isdigit():
            raise Fail("folded: malformed line %r" % line)
        per[int(m.group(1))] += int(weight)
    return per


@case("folded: each thread's weights sum to its root calls' time (unfiltered and --include)")
def folded_weights_sum():
    src = recording("timed")
    notes = []
    for filt in ([], ["--include", INCLUDE]):
        _, threads, _ = replay_trace(src, filt)
        want = dict((t.tid, sum(n.dur_ns for n in t.calls if n.lost is None))
                    for t in threads if t.calls)
        res = replay(src, "folded", filt)
        got = folded_weights(text_of(res, "folded output"))
        if dict(got) != want:
            raise Fail("folded%s: weights per thread %s, root call time per thread %s"
                       % (" " + " ".join(filt) if filt else "", dict(got), want))
        notes.append("%.1f ms" % (sum(want.values()) / MS))
    return "weights: " + " / ".join(notes)


def ns_of(us):
    """A chrome ts/dur (microseconds, at most three decimals) in ns, exactly."""
    if not isinstance(us, (decimal.Decimal, int)) or \
            (isinstance(us, decimal.Decimal) and us.as_tuple().exponent < -3):
        raise Fail("chrome: %r is not microseconds with at most three decimals" % us)
    return int(us * 1000)


@case("chrome: trace-event JSON, one X event per call with exact times, nested per tid")
def chrome_events():
    src = recording("timed")
    _, threads, _ = replay_trace(src)
    doc = chrome_doc(replay(src, "chrome"))
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        raise Fail("chrome: expected an object with a traceEvents list")
    if doc.get("displayTimeUnit") not in ("ns", "ms"):
        raise Fail("chrome: displayTimeUnit %r" % doc.get("displayTimeUnit"))
    want = collections.Counter()
    for t in threads:
        for n, _ in trees.walk(t.calls):
            if n.lost is None:
                want[(t.tid, n.func, n.file, n.line, n.start_ns, n.dur_ns)] += 1
    got = collections.Counter()
    spans = collections.defaultdict(list)
    named = set()
    for ev in doc["traceEvents"]:
        ph = ev.get("ph")
        for k in ("name", "ph", "pid", "tid"):
            if k not in ev:
                raise Fail("chrome: event without %r: %s" % (k, trees.shorten(repr(ev), 200)))
        if ph == "M":
            if ev["name"] == "thread_name":
                named.add(ev["tid"])
            continue
        if ph != "X":
            raise Fail("chrome: unexpected event phase %r in a trace without losses" % ph)
        a = ev.get("args") or {}
        if ev.get("cat") != "python" or ev["name"] != "%s (%s:%d)" % (
                a.get("func"), a.get("file"), a.get("line", -1)):
            raise Fail("chrome: X event name/args disagree: %s" % trees.shorten(repr(ev), 300))
        ts, dur = ns_of(ev["ts"]), ns_of(ev["dur"])
        got[(ev["tid"], a["func"], a["file"], a["line"], ts, dur)] += 1
        spans[ev["tid"]].append((ts, -dur, ev["name"]))
    if got != want:
        diff = list((want - got).elements())[:3] + list((got - want).elements())[:3]
        raise Fail("chrome X events (tid, func, file, line, start, dur) differ from the JSON "
                   "replay's calls: %d vs %d; e.g. %s" % (sum(got.values()),
                                                          sum(want.values()), diff))
    if named != set(spans):
        raise Fail("chrome: thread_name for tids %s, X events on %s"
                   % (sorted(named), sorted(spans)))
    for tid, evs in spans.items():
        stack = []
        for ts, neg, name in sorted(evs):
            end = ts - neg
            while stack and stack[-1][0] <= ts:
                stack.pop()
            if stack and end > stack[-1][0]:
                raise Fail("chrome tid %d: %s [%d, %d] overlaps its enclosing %s ending at %d"
                           % (tid, name, ts, end, stack[-1][1], stack[-1][0]))
            stack.append((end, name))
    return "%d X events on %d threads" % (sum(got.values()), len(spans))


# ---------------------------------------------------------------- real consumers

def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    why = "no chromium (scripts/install-deps.sh --test installs it)"
    if cfg.ci:
        raise Fail(why)
    raise Skip(why)


def speedscope_index():
    """tests/integration/consumers.sh installs the pinned speedscope (once)
    and prints the path of its index.html last."""
    script = os.path.join(cfg.here, "consumers.sh")
    p = Proc(["bash", script])
    rc = p.wait(300, "tests/integration/consumers.sh")
    lines = p.stdout.decode("utf-8", "replace").split()
    if rc != 0 or not lines or not os.path.isfile(lines[-1]):
        why = "consumers.sh could not install speedscope %s (status %s)\n%s" % (
            SPEEDSCOPE_PIN, rc, p.stderr_tail())
        if cfg.ci:
            raise Fail(why)
        raise Skip(why)
    return lines[-1]


def browse_dom(url, what):
    """Loads url in headless Chromium and returns the DOM once the page has
    settled (a fresh profile, no network)."""
    profile = tempfile.mkdtemp(prefix="chromium.", dir=cfg.tmp)
    try:
        p = Proc([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--user-data-dir=" + profile, "--allow-file-access-from-files",
                  "--window-size=1200,800", "--virtual-time-budget=5000", "--dump-dom", url])
        rc = p.wait(90, "chromium on " + what)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    dom = p.stdout.decode("utf-8", "replace")
    if rc != 0 or "</html>" not in dom:
        raise Fail("chromium wrote no DOM for %s (status %s)\n%s" % (what, rc, p.stderr_tail()))
    return dom


def speedscope_load(path, view="sandwich"):
    """Opens path in speedscope the way its own command-line launcher does
    (a script calling speedscope.loadFileFromBase64, named in the URL's
    #localProfilePath). alert() is how speedscope reports an import error;
    it would block the headless browser, so it is turned into an attribute
    the test reads. Returns the DOM."""
    index = speedscope_index()
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    name = os.path.basename(path)
    loader = path + ".speedscope.js"
    with open(loader, "w") as f:
        f.write("window.alert = function (m) { document.body.setAttribute('data-ft-alert', "
                "String(m)); };\nspeedscope.loadFileFromBase64(%s, %s);\n"
                % (json.dumps(name), json.dumps(data)))
    url = "file://%s#localProfilePath=%s&view=%s" % (
        urllib.parse.quote(index), urllib.parse.quote(loader, safe="/"), view)
    dom = browse_dom(url, "speedscope with " + name)
    alert = re.search(r'data-ft-alert="([^"]*)"', dom)
    if alert:
        raise Fail("speedscope could not import %s: %s" % (name, html.unescape(alert.group(1))))
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    if not title or html.unescape(title.group(1)) != "%s - speedscope" % name:
        raise Fail("speedscope did not load %s (title %r)" % (
            name, title and html.unescape(title.group(1))))
    return dom


def sandwich_rows(dom):
    """{symbol: (total, self)} of speedscope's sandwich table, as shown."""
    rows = {}
    for tr in re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", dom, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", td))
                 for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        if len(cells) == 3:
            rows[cells[2]] = (cells[0].split(" (")[0], cells[1].split(" (")[0])
    if not rows:
        raise Fail("speedscope's sandwich view shows no rows")
    return rows


UNITS = {"ns": 1, "µs": 1000, "us": 1000, "ms": MS, "s": 1000 * MS, "min": 60000 * MS}


def shown_ns(s):
    m = re.match(r"^([\d.]+)\s*(ns|µs|us|ms|s|min)$", s.strip())
    if not m:
        raise Fail("speedscope shows a time %r this test cannot read" % s)
    return float(m.group(1)) * UNITS[m.group(2)]


def close(seen, exact):
    return abs(seen - exact) <= max(0.01 * exact, 10)  # three significant digits shown


def label(r):
    return "%s (%s:%d)" % (r["func"], r["file"], r["line"])


@case("consumer speedscope: imports the folded stacks; totals and self times exactly report's")
def speedscope_folded():
    src = recording("timed")
    filt = ["--include", INCLUDE]
    out = os.path.join(rec_dir("speedscope"), "timed.folded")
    expect_rc(tool(["replay", "-f", "folded", "-o", out] + filt + [src]), 0)
    rows = sandwich_rows(speedscope_load(out))
    want = report_json(src, filt)
    for r in want:
        got = rows.get(label(r))
        if got is None:
            raise Fail("speedscope's table lacks %s; it shows %s" % (label(r), sorted(rows)))
        exact = ("{:,}".format(r["total_ns"]), "{:,}".format(r["self_ns"]))
        if got != exact:
            raise Fail("speedscope: %s total/self %s, report says %s" % (label(r), got, exact))
    return "%d functions match" % len(want)


@case("consumer speedscope: imports the Chrome trace; one profile per thread, report's figures")
def speedscope_chrome():
    src = recording("timed")
    filt = ["--include", INCLUDE]
    out = os.path.join(rec_dir("speedscope"), "timed.json")
    expect_rc(tool(["replay", "-f", "chrome", "-o", out] + filt + [src]), 0)
    dom = speedscope_load(out)
    _, threads, _ = replay_trace(src, filt)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", dom))
    tids = [int(t) for t in re.findall(r"\(tid (\d+)\)", text)]
    if not tids or sorted(set(tids)) != sorted(t.tid for t in threads):
        raise Fail("speedscope names profiles for tids %s, the trace has threads %s"
                   % (sorted(set(tids)), sorted(t.tid for t in threads)))
    m = re.search(r"\((\d+)/(\d+)\)", text)
    if not m or int(m.group(2)) != len(threads):
        raise Fail("speedscope should offer %d profiles (one per thread), shows %r"
                   % (len(threads), m and m.group(0)))
    shown_tid = tids[0]
    per = collections.defaultdict(dict)
    for r in report_json(src, filt + ["--threads"]):
        per[r["tid"]][label(r)] = r
    rows = sandwich_rows(dom)
    got = {}
    for sym, vals in rows.items():
        got[sym.split(" {", 1)[0]] = vals  # speedscope appends the args to the name
    for lab, r in per[shown_tid].items():
        g = got.get(lab)
        if g is None:
            raise Fail("speedscope's table for tid %d lacks %s; it shows %s"
                       % (shown_tid, lab, sorted(got)))
        if not close(shown_ns(g[0]), r["total_ns"]) or not close(shown_ns(g[1]), r["self_ns"]):
            raise Fail("speedscope: %s total/self %s, report says %d / %d ns"
                       % (lab, g, r["total_ns"], r["self_ns"]))
    return "tid %d: %d functions match" % (shown_tid, len(per[shown_tid]))


@case("consumer chromium: the replayed html page draws its flame chart and passes its self-test")
def html_page():
    src = recording("timed")
    out = os.path.join(rec_dir("html"), "timed.html")
    expect_rc(tool(["replay", "-f", "html", "-o", out, src]), 0)
    dom = browse_dom("file://%s#selftest" % urllib.parse.quote(out), "the html page")

    def element(eid):
        m = re.search(r'id="%s"[^>]*>([^<]*)' % eid, dom)
        return html.unescape(m.group(1)) if m else None

    status, err, st = element("status"), element("error"), element("selftest")
    if err or '<div id="error" hidden="">' not in dom:
        raise Fail("the page shows an error: %r" % err)
    if not status or not re.match(r"^ok: [1-9]\d* boxes drawn", status):
        raise Fail("the page's status is %r" % status)
    if not st or not re.match(r"^selftest: [1-9]\d* passed, 0 failed", st):
        raise Fail("the page's self-test: %r" % st)
    return "%s; %s" % (status, st)


@case("consumer graphviz: dot -Tsvg renders the replayed call graph, a node per function")
def dot_renders():
    dot = shutil.which("dot")
    if not dot:
        why = "no Graphviz dot (Debian package graphviz)"
        if cfg.ci:
            raise Fail(why)
        raise Skip(why)
    src = recording("timed")
    filt = ["--include", INCLUDE]
    d = rec_dir("dot")
    gv, svg = os.path.join(d, "timed.dot"), os.path.join(d, "timed.svg")
    expect_rc(tool(["replay", "-f", "dot", "-o", gv] + filt + [src]), 0)
    p = Proc([dot, "-Tsvg", "-o", svg, gv])
    if p.wait(60, "dot -Tsvg") != 0 or p.stderr.strip():
        raise Fail("dot -Tsvg failed on our output (status %s)\n%s" % (p.rc, p.stderr_tail()))
    try:
        root = ET.parse(svg).getroot()
    except ET.ParseError as e:
        raise Fail("dot's SVG does not parse: %s" % e)
    ns = "{http://www.w3.org/2000/svg}"
    kinds = collections.Counter(g.get("class") for g in root.iter(ns + "g"))
    with open(gv, encoding="utf-8") as f:
        nodes, edges = dot_graph(f.read())
    funcs = report_json(src, filt)
    if kinds["node"] != len(funcs) or len(nodes) != len(funcs) or kinds["edge"] != len(edges):
        raise Fail("dot: %d nodes and %d edges drawn, %d nodes and %d edges in our file, "
                   "%d functions in the report" % (kinds["node"], kinds["edge"], len(nodes),
                                                   len(edges), len(funcs)))
    calls = dict((r["func"], r["calls"]) for r in funcs)
    for func, _, n in nodes.values():
        if calls.get(func) != int(n):
            raise Fail("dot: node %s says %s calls, report %s" % (func, n, calls.get(func)))
    return "%d nodes, %d edges" % (kinds["node"], kinds["edge"])
