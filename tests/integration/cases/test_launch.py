"""Launch mode reaching the interpreter the ways users start Python: a #!
script, a symlink to the interpreter, a PATH lookup, the -- form; and
the command's exit status passed through."""

import os

from ftlib import trees
from ftlib.flows import command, launch, module_subtree
from ftlib.harness import (cfg, child_env, expect_rc, expect_trees, need_py39, no_flags, oracle,
                           tool, workload)
from ftlib.registry import case


def scratch(name):
    d = os.path.join(cfg.tmp, name)
    os.makedirs(d, exist_ok=True)
    return d


def expect_fib_module(tr, path):
    no_flags(tr.threads)
    main = tr.main_thread()
    expect_trees(oracle(path)[:1], [trees.Thread(main.tid, None, module_subtree(tr, path))],
                 "oracle, whole <module> subtree")


@case("launch: #! script naming the interpreter")
def shebang():
    py = need_py39()
    d = scratch("shebang")
    script = os.path.join(d, "script.py")
    with open(workload("fib")) as src, open(script, "w") as dst:
        dst.write("#!%s\n" % py)
        dst.write(src.read())
    os.chmod(script, 0o755)
    tr = launch([], command(script))
    expect_fib_module(tr, script)


@case("launch: symlink to the interpreter")
def symlink():
    py = need_py39()
    d = scratch("symlink")
    link = os.path.join(d, "py-link")
    if not os.path.lexists(link):
        os.symlink(py, link)
    path = workload("fib")
    tr = launch([], command(link, path))
    expect_fib_module(tr, path)


@case("launch: interpreter found through PATH")
def path_lookup():
    py = need_py39()
    d = scratch("pathdir")
    name = "ftitest-python"
    link = os.path.join(d, name)
    if not os.path.lexists(link):
        os.symlink(py, link)
    path = workload("fib")
    env = child_env({"PATH": d + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin")})
    tr = launch([], "%s %s" % (name, command(path)), env=env)
    expect_fib_module(tr, path)


@case("launch: -- CMD ARGS form")
def dashdash():
    py = need_py39()
    path = workload("fib")
    tr = launch([], [py, path])
    expect_fib_module(tr, path)


@case("launch: the command's exit code is flowtrace-bpf's")
def exit_code():
    py = need_py39()
    res = tool(["-f", "json", "-o", os.path.join(cfg.tmp, "exit3.json"), "--", py, "-c",
                "import sys; sys.exit(3)"])
    expect_rc(res, 3, "flowtrace-bpf -- python -c 'sys.exit(3)'")


@case("launch: a command killed by SIGTERM gives 128+15")
def exit_signal():
    py = need_py39()
    res = tool(["-f", "json", "-o", os.path.join(cfg.tmp, "exit143.json"), "-c",
                command(py, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")])
    expect_rc(res, 143, "flowtrace-bpf -c 'python killing itself with SIGTERM'")


@case("launch: command not found gives 127")
def not_found():
    res = tool(["-f", "json", "-c", "/nonexistent/ftitest-no-such-command"])
    expect_rc(res, 127)


@case("launch: command not executable gives 126")
def not_executable():
    d = scratch("noexec")
    path = os.path.join(d, "script.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(path, 0o644)
    res = tool(["-f", "json", "-c", command(path)])
    expect_rc(res, 126)
