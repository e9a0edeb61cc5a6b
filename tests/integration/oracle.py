"""Ground truth for the integration tests: runs a workload under
sys.setprofile on the interpreter it is started with, and writes the
program's true Python-level call tree as JSON in flowtrace-bpf's shape:

  {"python": "3.9.2", "threads": [{"tid": N, "calls": [CALL, ...]}]}
  CALL = {"func", "file", "line", "children": [CALL, ...]}
  (3.11+ also "qualname": co_qualname, the name interpreter uprobes report;
  a resume also has "first_line": co_firstlineno, the line they report)

Only 'call' and 'return' events count (not c_call/c_return), which is
exactly the set of frames CPython's function__entry/function__return
markers fire for: both hooks sit at the same two places of the
interpreter loop. Like the markers, a generator or coroutine resume is a
call, a yield or await-suspend is a return, and an exception unwinding a
frame is a return.

line mirrors the marker's lineno argument. For a fresh frame that is the
first line of the code object (co_firstlineno: the decorator line of a
decorated function). For a resumed generator or coroutine frame the
markers report PyCode_Addr2Line(f_lasti), the line where it was
suspended, which is frame.f_lineno at the 'call' event.

A forked child (os.fork, multiprocessing's fork start method) inherits
the profile function, as --follow inherits the probes. Its tree starts at
the fork: the frames running then never return in the child (it leaves
by os._exit, as multiprocessing's children do), so its calls are roots,
written at its exit to OUT.json.child.PID (os._exit is wrapped for that;
the wrapper lives in this file, outside every workload filter).

A child that execs a CPython (the same interpreter, as multiprocessing's
spawn and forkserver and subprocess do, or another) is traced by
--follow; here its
interpreter imports oracle_site/sitecustomize.py (on PYTHONPATH for the
workload's children), which starts a profile function of its own from
there and writes OUT.json.child.PID when the process exits (normally or
by os._exit), its forked children likewise. Each such process first
leaves OUT.json.exec.PID, so the runner waits for its tree.

Runs on CPython 3.6 to 3.13; keep the syntax 3.6-compatible.

usage: oracle.py -o OUT.json WORKLOAD.py [ARGS...]
"""

import _thread
import atexit
import dis
import json
import os
import sys
import threading
import types

# Code flags of frames that can be suspended and resumed.
CO_GENERATOR = 0x20
CO_COROUTINE = 0x80
CO_ITERABLE_COROUTINE = 0x100
CO_ASYNC_GENERATOR = 0x200
RESUMABLE = CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR

# Up to 3.10, f_lasti is -1 until a frame has run an instruction, which tells
# a fresh generator frame from a resumed one. 3.11+ run instructions
# (RETURN_GENERATOR, RESUME) before the first event; there the 'call' event
# of a fresh frame is at its RESUME with oparg 0 (the function's start; a
# resume is at a RESUME after a yield or await, or at the YIELD_VALUE that
# throw() or close() resumes). Nothing may hold a frame to remember it:
# a frame object kept alive keeps its locals alive, so their finalisers
# would not run when the program's do.
LASTI_MARKS_FRESH = sys.version_info < (3, 11)
RESUME = dis.opmap.get("RESUME")
# Code objects carry their qualified name from 3.11 on: the USDT markers
# report co_name, the interpreter uprobes (eval, frame) co_qualname.
HAS_QUALNAME = sys.version_info >= (3, 11)


class Recorder:
    def __init__(self):
        # Per-thread [ident, roots, stack]. Thread-local, not keyed by
        # ident: CPython reuses the ident of a finished thread.
        self.local = _thread._local()
        self.states = []  # in order of each thread's first event

    def _line(self, frame):
        code = frame.f_code
        if not code.co_flags & RESUMABLE:
            return code.co_firstlineno
        i = frame.f_lasti
        if LASTI_MARKS_FRESH:
            return code.co_firstlineno if i < 0 else frame.f_lineno
        raw = code.co_code
        if 0 <= i < len(raw) - 1 and raw[i] == RESUME and raw[i + 1] & 3 == 0:
            return code.co_firstlineno
        return frame.f_lineno

    def profile(self, frame, event, arg):
        if event == "call":
            try:
                state = self.local.state
            except AttributeError:
                state = self.local.state = [_thread.get_ident(), [], []]
                self.states.append(state)
            roots, stack = state[1], state[2]
            code = frame.f_code
            node = {"func": code.co_name, "file": code.co_filename,
                    "line": self._line(frame), "children": []}
            if HAS_QUALNAME:
                node["qualname"] = code.co_qualname
            if node["line"] != code.co_firstlineno:
                node["first_line"] = code.co_firstlineno  # a resume
            if stack:
                stack[-1][1]["children"].append(node)
            else:
                roots.append(node)
            stack.append((frame, node))
        elif event == "return":
            try:
                stack = self.local.state[2]
            except AttributeError:
                return
            if stack and stack[-1][0] is frame:
                stack.pop()
                return
            # A frame that started before profiling (a thread's bootstrap
            # frames): nothing to close. A mismatch deeper in the stack
            # cannot happen with CPython's hooks, but never loop on it.
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] is frame:
                    del stack[i:]
                    return

    def forked(self):
        """In a forked child: only the forking thread is left, and what
        ran before the fork is the parent's."""
        state = getattr(self.local, "state", None)
        self.states = []
        if state is not None:
            state[1], state[2] = [], []
            self.states.append(state)

    def result(self):
        out = []
        for ident, roots, stack in self.states:
            out.append({"tid": ident, "calls": roots, "open": len(stack)})
        return out


def write_doc(out_path, threads):
    doc = {"python": "%d.%d.%d" % sys.version_info[:3], "threads": threads}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


def trace_exec_child(out_path):
    """In a process started by exec (oracle_site/sitecustomize.py): its
    calls from here on, written at its exit; a process it forks the same."""
    rec = Recorder()
    written = set()
    real_exit = os._exit

    def announce():
        open("%s.exec.%d" % (out_path, os.getpid()), "w").close()

    def finish():
        sys.setprofile(None)
        threading.setprofile(None)
        if os.getpid() not in written:
            written.add(os.getpid())
            write_doc("%s.child.%d" % (out_path, os.getpid()), rec.result())

    def child_exit(code):
        finish()
        real_exit(code)

    def forked():
        rec.forked()
        announce()

    announce()
    os._exit = child_exit
    atexit.register(finish)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=forked)
    threading.setprofile(rec.profile)
    sys.setprofile(rec.profile)


def run(path, args, out_path):
    path = os.path.abspath(path)
    with open(path, "rb") as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)

    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__
    saved_main = sys.modules["__main__"]
    sys.modules["__main__"] = main
    sys.argv = [path] + list(args)
    sys.path[0] = os.path.dirname(path)

    rec = Recorder()
    status = 0
    parent = os.getpid()
    real_exit = os._exit

    def child_exit(code):
        sys.setprofile(None)
        threading.setprofile(None)
        if os.getpid() != parent:
            write_doc("%s.child.%d" % (out_path, os.getpid()), rec.result())
        real_exit(code)

    os._exit = child_exit
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=rec.forked)
    # processes started by exec: oracle_site/sitecustomize.py
    site = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle_site")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [site] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    os.environ["FT_ORACLE_EXEC_OUT"] = out_path
    threading.setprofile(rec.profile)
    sys.setprofile(rec.profile)
    try:
        exec(code, main.__dict__)
    except SystemExit as e:
        status = e.code
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        sys.modules["__main__"] = saved_main
    if status is None:
        status = 0
    elif not isinstance(status, int):
        sys.stderr.write("%s\n" % (status,))
        status = 1
    return rec.result(), status


def main():
    argv = sys.argv[1:]
    if len(argv) < 3 or argv[0] != "-o":
        sys.stderr.write("usage: oracle.py -o OUT.json WORKLOAD.py [ARGS...]\n")
        return 2
    out_path, workload, args = argv[1], argv[2], argv[3:]
    parent = os.getpid()
    threads, status = run(workload, args, out_path)
    # a forked child that returned instead of calling os._exit
    write_doc(out_path if os.getpid() == parent else "%s.child.%d" % (out_path, os.getpid()),
              threads)
    return status


if __name__ == "__main__":
    sys.exit(main())
