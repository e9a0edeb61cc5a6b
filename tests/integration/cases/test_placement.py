"""Probe placement (issue 11, docs/interpreter-layout.md "Probe placement"):
on 3.11-3.13 the read-only frame method moves each handler probe from its
label (a mov or lea, which the kernel single-steps out of line) to the
first instruction on the handler's straight-line path that the kernel
emulates, where that is exact. -v names each probe's place and file offset.

The oracle for "emulated" is the kernel's own rule (arch/x86/kernel/
uprobes.c, 6.18: branch_setup_xol_ops and push_setup_xol_ops): jmp rel8/
rel32, call rel32, jcc rel8/rel32, the x86_nops and push of a register.
The bytes at each reported file offset are read from the file here and
checked against it. Exactness of the moved probes is the interpreter
matrix's job (every workload on these builds); the fallback cell below
runs one workload with every probe kept on its label."""

import functools
import re

from ftlib.flows import command
from ftlib.harness import Fail, child_env, expect_rc, tool
from ftlib.registry import add

from .test_interp_matrix import DISCOVERY, exact_cell

# The handlers every call passes through on the hot path that must leave
# their labels on each minor (RESUME on 3.13 cannot: RESUME_CHECK, which
# runs instead once specialised, jumps back into it). Where frames end at
# the frame-pop function (see POP), the return handlers take no probe.
MUST_MOVE = {
    (3, 11): ["RESUME", "RESUME_QUICK", "RETURN_VALUE"],
    (3, 12): ["RESUME", "RETURN_VALUE", "RETURN_CONST", "YIELD_VALUE"],
    (3, 13): ["RESUME_CHECK"],
    (3, 14): [],
}
# 3.12's YIELD_VALUE unlinks its frame before its first branch: it moves
# with the frame read from the register it clears the frame's previous
# through, which -v must say. 3.14's builds differ in that register (and
# the tail-calling one does not move it): any named register will do there.
VIA_REGISTER = {(3, 12): {"YIELD_VALUE": "rbp"}, (3, 14): {"YIELD_VALUE": "any"}}
# 3.13 and 3.14 pop every frame that returns or is unwound through the
# exported _PyEval_FrameClearAndPop, 3.12 through the static
# _PyEvalFrameClearAndPop, and 3.11 clears every frame that ends with
# _PyFrame_Clear (both found in .symtab: pyenv's builds keep it; Debian's
# stripped python3.11 does not, and keeps its return handlers): one probe
# on its first instruction replaces the return handlers, PUSH_EXC_INFO and
# the eval loop's uretprobe (one more trap on every call from C).
POP = re.compile(r"^flowtrace-bpf: probe (?:_PyEval_?FrameClearAndPop|_PyFrame_Clear) at file offset "
                 r"(0x[0-9a-f]+): every frame's end \(the return handlers call it\), "
                 r"no uretprobe on the eval loop$")
NOT_PROBED_WITH_POPS = ["RETURN_VALUE", "RETURN_CONST", "INSTRUMENTED_RETURN_VALUE",
                        "INSTRUMENTED_RETURN_CONST", "PUSH_EXC_INFO"]
MOVED = re.compile(r"^flowtrace-bpf: probe (\w+) moved to \+(\d+) at file offset (0x[0-9a-f]+) "
                   r"\((.*)\): emulated, not single-stepped"
                   r"(?:; the frame read from register (\w+))?$")
STAYS = re.compile(r"^flowtrace-bpf: probe (\w+) stays on its label at file offset "
                   r"(0x[0-9a-f]+)(?: \((.*)\): single-stepped; not moved: (.*)|: placement off)$")
METHOD = re.compile(r"^flowtrace-bpf: method frame: CPython \S+ in (.+?): ")
NOPS = [bytes.fromhex(h) for h in ("90", "6690", "0f1f00", "0f1f4000", "0f1f440000",
                                   "660f1f440000", "0f1f8000000000", "0f1f840000000000")]


def kernel_emulates(code):
    """Which encoding at the start of code the kernel emulates, or None."""
    for nop in NOPS:
        if code.startswith(nop):
            return "nop"
    b = code[0]
    if b in (0xeb, 0xe9):
        return "jmp"
    if b == 0xe8:
        return "call"
    if 0x70 <= b <= 0x7f or (b == 0x0f and 0x80 <= code[1] <= 0x8f):
        return "jcc"
    if 0x50 <= b <= 0x57 or (b == 0x41 and 0x50 <= code[1] <= 0x57):
        return "push"
    return None


def placement_lines(interp, env=None):
    res = tool(["-v", "-o", "/dev/null", "-c", command(interp.path, "-c", "pass")],
               env=env)
    expect_rc(res, 0)
    lines = res.stderr.splitlines()
    binary = next((m.group(1) for m in map(METHOD.match, lines) if m), None)
    if not binary:
        raise Fail("no 'method frame: ... in FILE:' line under -v\n%s" % res.context())
    moved = {m.group(1): m for m in map(MOVED.match, lines) if m}
    stays = {m.group(1): m for m in map(STAYS.match, lines) if m}
    return res, binary, moved, stays


def run_moved(interp):
    res, binary, moved, stays = placement_lines(interp)
    with open(binary, "rb") as f:
        data = f.read()
    problems = []
    pops = any(map(POP.match, res.stderr.splitlines()))
    for op in MUST_MOVE[interp.minor]:
        if pops and op in NOT_PROBED_WITH_POPS:
            continue
        if op not in moved:
            why = stays[op].group(4) if op in stays else "no -v line"
            problems.append("%s not moved (%s)" % (op, why))
    for op, m in sorted(moved.items()):
        off = int(m.group(3), 16)
        kind = kernel_emulates(data[off:off + 8])
        if not kind:
            problems.append("%s at %#x holds %s, which the kernel single-steps"
                            % (op, off, data[off:off + 8].hex()))
        elif not m.group(4).startswith({"jcc": "j", "jmp": "jmp", "call": "call",
                                        "nop": "nop", "push": "push"}[kind]):
            problems.append("%s: -v says %r, the bytes are a %s" % (op, m.group(4), kind))
    via = VIA_REGISTER.get(interp.minor, {})
    for op, m in sorted(moved.items()):
        if via.get(op) == "any" and m.group(5):
            continue
        if m.group(5) != via.get(op):
            problems.append("%s: frame read from %s, expected %s" % (op, m.group(5), via.get(op)))
    for op, m in sorted(stays.items()):
        if not m.group(4):
            problems.append("%s stays without a reason: %s" % (op, m.group(0)))
    if problems:
        raise Fail("\n".join(problems) + "\n" + res.context())
    return "%d moved (%s), %d on their labels" % (len(moved), ", ".join(
        "%s +%s" % (op, m.group(2)) for op, m in sorted(moved.items())), len(stays))


def run_pops(interp):
    """pyenv 3.11 and 3.12, and 3.13+: the pop probe's place holds an instruction the kernel emulates
    (read from the file), and no return handler or PUSH_EXC_INFO is probed."""
    res, binary, moved, stays = placement_lines(interp)
    pop = [m for m in map(POP.match, res.stderr.splitlines()) if m]
    if len(pop) != 1:
        raise Fail("expected one line naming the frame-pop function's probe\n"
                   + res.context())
    with open(binary, "rb") as f:
        data = f.read()
    off = int(pop[0].group(1), 16)
    if not kernel_emulates(data[off:off + 8]):
        raise Fail("the frame-pop function at %#x holds %s, which the kernel single-steps\n"
                   % (off, data[off:off + 8].hex()) + res.context())
    probed = sorted(set(NOT_PROBED_WITH_POPS) & (set(moved) | set(stays)))
    if probed:
        raise Fail("probed although frames end at the pop: %s\n" % ", ".join(probed)
                   + res.context())
    return "pop at %#x (%s)" % (off, kernel_emulates(data[off:off + 8]))


def run_labels(interp):
    """FLOWTRACE_PROBE_LABELS=1: every probe on its label, -v says so, and
    the tree of a workload with starts, yields, returns and catches is still
    the oracle's."""
    env = {"FLOWTRACE_PROBE_LABELS": "1"}
    res, _, moved, stays = placement_lines(interp, env=child_env(env))
    if moved or not stays or any(not m.group(0).endswith("placement off")
                                 for m in stays.values()):
        raise Fail("expected every probe on its label with placement off\n" + res.context())
    return exact_cell(interp, "-p", (), "frame", "generators", env)


for _interp in DISCOVERY.interps:
    if _interp.minor >= (3, 13) or (_interp.minor in ((3, 11), (3, 12))
                                     and _interp.kind == "pyenv"):
        add("placement %s: frames end at the frame-pop function, emulated, no uretprobe"
            % _interp.name, functools.partial(run_pops, _interp))
    if _interp.minor not in MUST_MOVE:
        continue
    add("placement %s: handler probes on emulated instructions" % _interp.name,
        functools.partial(run_moved, _interp))
    if _interp.kind not in ("pyenv", "debian"):
        continue
    add("placement %s: fallback, FLOWTRACE_PROBE_LABELS=1: probes on labels, tree exact"
        % _interp.name, functools.partial(run_labels, _interp))
