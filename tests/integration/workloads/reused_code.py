# Workload: code made at run time and freed before the next is made, so the
# interpreter hands the memory of one code object (and of its name and file
# strings) to the next: modules compiled from distinct file names, exec of
# distinct sources under one file name, a function's __code__ replaced,
# functions built with types.FunctionType, and namedtuple/dataclass classes
# (their methods are generated with exec) made and dropped in turn. Every
# call must carry its own name and file; a name cache keyed by addresses
# names them after the first. The made-up file names sit next to this file
# (they need not exist), so the matrix's --include keeps them; main() calls
# nothing that runs differently from run to run, so its subtree is compared
# unfiltered too (the generated methods' "<string>" frames included).
import gc
import os
import sys
import types
from collections import namedtuple

try:
    import dataclasses
except ImportError:  # 3.6
    dataclasses = None

HERE = os.path.dirname(os.path.abspath(__file__))
ROUNDS = 12


def gate():
    sys.stderr.write("FT_GATE_READY\n")
    sys.stderr.flush()
    sys.stdin.readline()


# The same function names and lines in every module; only the file differs.
MODULE = "def work():\n    return %d\n\n\ndef outer():\n    return work()\n\n\nouter()\n"
# One file name; the function names differ.
SOURCE = "def step_%d():\n    return %d\n\n\nstep_%d()\n"


def compile_modules():
    for i in range(ROUNDS):
        path = os.path.join(HERE, "made_at_run_time_%d.py" % i)
        code = compile(MODULE % i, path, "exec")
        exec(code, {"__name__": "made_%d" % i})
        del code, path
        gc.collect()


def exec_sources():
    for i in range(ROUNDS):
        exec(compile(SOURCE % (i, i, i), os.path.join(HERE, "exec_source.py"), "exec"), {})
        gc.collect()


def replaced():
    return -1


def replace_code():
    for i in range(ROUNDS):
        ns = {}
        exec(compile("def replacement_%d():\n    return %d\n" % (i, i),
                     os.path.join(HERE, "replacement_%d.py" % i), "exec"), ns)
        replaced.__code__ = ns["replacement_%d" % i].__code__
        del ns
        gc.collect()
        replaced()
    replaced.__code__ = (lambda: -1).__code__
    gc.collect()


def function_type():
    for i in range(ROUNDS):
        module = compile("def built_%d():\n    return %d\n" % (i, i),
                         os.path.join(HERE, "built_%d.py" % i), "exec")
        code = [c for c in module.co_consts if isinstance(c, types.CodeType)][0]
        fn = types.FunctionType(code, {})
        del module, code
        fn()
        del fn
        gc.collect()


def gen():
    for i in range(ROUNDS):
        Point = namedtuple("Point%d" % i, ["x%d" % i, "y"])
        Point(i, 2)
        del Point
        if dataclasses is not None:
            C = dataclasses.make_dataclass("C%d" % i, [("a%d" % i, int)])
            c = C(i)
            c == C(i)
            repr(c)
            del C, c
        gc.collect()


def renamed():
    # One code object renamed and called in a tight loop, each copy freed
    # before the next is made: the next copy and its name take the memory
    # of the last at once, with no other call in between (same file string,
    # same line). A cache of a thread's recent names must see the deaths too.
    if not hasattr(types.CodeType, "replace"):  # 3.8+
        return
    module = compile("def renamed():\n    return 0\n", os.path.join(HERE, "renamed.py"), "exec")
    code = [c for c in module.co_consts if isinstance(c, types.CodeType)][0]
    for i in range(ROUNDS):
        name = "renamed_%03d" % i
        fn = types.FunctionType(code.replace(co_name=name), {})
        fn()
        del fn, name


def main():
    compile_modules()
    exec_sources()
    replace_code()
    function_type()
    gen()
    renamed()


if __name__ == "__main__":
    if os.environ.get("FT_GATE"):
        gate()
    main()
