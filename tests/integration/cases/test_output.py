"""-o FILE: the trace goes to the file (written whole, then renamed into
place) and nothing to stdout; an output that cannot be written is exit 7."""

import json
import os

from ftlib.flows import command
from ftlib.harness import Fail, cfg, expect_rc, tool
from ftlib.registry import case


@case("output -o FILE: file holds the JSON, stdout empty, no temporary left")
def output_file():
    d = os.path.join(cfg.tmp, "out")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "trace.json")
    res = tool(["-f", "json", "-o", out, "-c", command(cfg.fixture, "recurse", "5")])
    expect_rc(res, 0)
    if res.stdout:
        raise Fail("stdout should be empty with -o, got %r" % res.stdout[:200])
    try:
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise Fail("%s: %s" % (out, e))
    calls = doc["threads"][0]["calls"] if doc.get("threads") else []
    depth = 0
    while calls:
        depth += 1
        calls = calls[0]["children"]
    if depth != 5:
        raise Fail("expected a 5-deep chain of f in %s, got depth %d" % (out, depth))
    left = sorted(set(os.listdir(d)) - {"trace.json"})
    if left:
        raise Fail("files left next to the output: %s" % left)


@case("output -o into a missing directory: exit 7, one-line error")
def output_unwritable():
    out = os.path.join(cfg.tmp, "no-such-dir", "trace.json")
    res = tool(["-f", "json", "-o", out, "-c", command(cfg.fixture, "recurse", "3")])
    expect_rc(res, 7)
    lines = res.stderr.splitlines()
    errs = [l for l in lines if l.startswith("flowtrace-bpf:")]
    if len(errs) != 1 or "no-such-dir" not in errs[0]:
        raise Fail("expected one 'flowtrace-bpf: ...' line naming the path, got:\n  %s"
                   % "\n  ".join(lines))
    if os.path.exists(os.path.dirname(out)):
        raise Fail("the missing directory was created")
