"""The two ways the cases run the tracer against a target: launch mode
(-c / --) and attach mode (-p, with the start gate), each returning the
parsed JSON output after the generic checks."""

import shlex

from . import trees
from .harness import (Fail, Proc, Result, cfg, check_meta, check_well_formed, child_env, expect_rc,
                      expected_probe, parse_json, start_tool, tool, tool_threads, wait_ready)


def command(*argv):
    """A -c command line for argv, quoted for /bin/sh."""
    return " ".join(shlex.quote(str(a)) for a in argv)


class Trace:
    def __init__(self, doc, threads, res, pid):
        self.doc = doc
        self.threads = threads
        self.res = res
        self.pid = pid  # the traced process

    @property
    def meta(self):
        return self.doc["meta"]

    def main_thread(self):
        for t in self.threads:
            if t.tid == self.pid:
                return t
        raise Fail("no thread with tid %d (the process's main thread) in the output; tids %s"
                   % (self.pid, [t.tid for t in self.threads]))


def launch(args, cmd, lost_ok=False, env=None, want_rc=0):
    """flowtrace-bpf -f json ARGS -c CMD (or -- CMD... when cmd is a list);
    checks the exit status, the JSON shape, meta (with the method the
    options and the target call for) and the time nesting."""
    target = ["--"] + list(cmd) if isinstance(cmd, list) else ["-c", cmd]
    res = tool(["-f", "json"] + list(args) + target, env=env)
    expect_rc(res, want_rc)
    doc = parse_json(res.stdout, res)
    threads = tool_threads(doc)
    check_meta(doc, lost_ok=lost_ok, probe=expected_probe(args, cmd, "-c"))
    check_well_formed(threads)
    return Trace(doc, threads, res, doc["meta"]["pid"])


def start_gated(argv, env_extra=None, ready="FT_GATE_READY"):
    """Starts a target that announces on stderr that it is blocked at its
    start gate, and waits for that."""
    extra = {"FT_GATE": "1"}
    extra.update(env_extra or {})
    target = Proc(argv, env=child_env(extra), stdin="pipe")
    if not target.wait_stderr(ready, 30):
        rc = target.p.poll()
        target.kill()
        raise Fail("the target never reached its gate (status %s): %s\n%s"
                   % (rc, target.describe(), target.stderr_tail()))
    return target


def attach_raw(args, target_argv, target_rc=0, on_ready=None, on_target_exit=None,
               tool_env=None):
    """Gated target, flowtrace-bpf ARGS -p PID, wait for the ready line,
    open the gate, let the target finish; the tracer must then finish by
    itself with status 0. on_ready(tracer) runs just before the gate
    opens, on_target_exit(tracer) once the target has exited. tool_env:
    extra environment for the tracer. Returns (Result, target pid)."""
    target = start_gated(target_argv)
    tracer = start_tool(list(args) + ["-p", str(target.pid)],
                        env=child_env(tool_env) if tool_env else None)
    wait_ready(tracer)
    if on_ready:
        on_ready(tracer)
    target.send(b"go\n")
    target.close_stdin()
    rc = target.wait(60, "the traced target")
    if on_target_exit:
        on_target_exit(tracer)
    if rc != target_rc:
        raise Fail("the traced target exited with %s, expected %s\n%s"
                   % (rc, target_rc, target.stderr_tail()))
    tracer.wait(30, "flowtrace-bpf after its target exited")
    res = Result(tracer)
    expect_rc(res, 0)
    return res, target.pid


def attach(args, target_argv, lost_ok=False, **kw):
    """attach_raw() with -f json; checks the JSON shape, meta (with the
    method the options and the target call for) and the time nesting."""
    res, pid = attach_raw(["-f", "json"] + list(args), target_argv, **kw)
    doc = parse_json(res.stdout, res)
    threads = tool_threads(doc)
    check_meta(doc, pid=pid, lost_ok=lost_ok, probe=expected_probe(args, target_argv, "-p"))
    check_well_formed(threads)
    return Trace(doc, threads, res, pid)


def module_subtree(trace, path):
    """The <module> call of the script at path in the traced process's main
    thread, as a one-element forest."""
    main = trace.main_thread()
    node = trees.find_first(main.calls, lambda n: n.func == "<module>" and n.file == path)
    if node is None:
        raise Fail("no <module> call of %s in the main thread; its roots: %s"
                   % (path, [n.label() for n in main.calls][:20]))
    return [node]


__all__ = ["command", "launch", "attach", "start_gated", "module_subtree", "Trace", "cfg"]
