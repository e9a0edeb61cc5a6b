"""The interpreters of the test matrix (issue 3): every pyenv CPython
3.8-3.13 present, Debian's /usr/bin/python3.11 and the marker-complete
3.9 build, each with the probe method flowtrace-bpf must pick for it in
launch (-c) and attach (-p) mode, and the methods worth forcing. Also the
pyenv builds too old for interpreter uprobes (2.7, 3.6, 3.7), which must
be refused.

Discovery only globs the file system (no interpreter is run), so it can
happen when the case modules are imported."""

import glob
import os
import re
import shutil
import subprocess

DEBIAN_311 = "/usr/bin/python3.11"
MATRIX_MINORS = (8, 9, 10, 11, 12, 13)  # the pyenv builds the matrix wants
OLD_MINORS = ((2, 7), (3, 6), (3, 7))  # refused: no interpreter uprobes before 3.8
# The CPython 3.14 builds of scripts/build-python314.sh the matrix runs:
# gcc computed gotos and clang tail calls, each also with libpython
# stripped, and the free-threaded 3.14t (gcc, --disable-gil).
PY314_GIL = ("dtrace", "tailcall", "dtrace-strip", "tailcall-strip")
PY314 = PY314_GIL + ("ft",)


class Interp:
    """One interpreter of the matrix.

    name: how case names show it ("pyenv-3.12.1", "debian-3.11", "dtrace-3.9",
          "py3.14-tailcall")
    path: absolute path of the python3.X executable
    minor: (3, X)
    kind: "pyenv", "debian", "dtrace" or "py314"
    """

    def __init__(self, name, path, minor, kind):
        self.name = name
        self.path = path
        self.minor = minor
        self.kind = kind

    @property
    def version(self):
        if self.kind == "py314":
            return "3.14"
        return self.name.split("-", 1)[1]

    def auto_method(self, mode):
        """The method --method auto must pick (src/probe/method.c,
        docs/compatibility.md): never a CPython's markers (switching them
        on can make the target raise SystemError); eval where every call
        enters the eval loop (3.8-3.10) in launch mode, and frame otherwise
        (read-only RESUME handlers on 3.11+; in attach mode, frame also
        sees the frames running at attach leave)."""
        return "eval" if mode == "-c" and self.minor < (3, 11) else "frame"

    def cells(self):
        """(mode, options, the method -v must name): auto in both modes,
        then the other methods that promise exact trees there, forced.
        Not --method eval with -p: it sees frames running at attach only
        when a later event reveals them (docs/compatibility.md), so the
        tree above the attach point is not exact by design. The eval hook
        is refused on 3.11+ (test_errors)."""
        out = []
        for mode in ("-c", "-p"):
            out.append((mode, (), self.auto_method(mode)))
            if self.kind == "dtrace":
                out.append((mode, ("--method", "usdt"), "usdt"))
            if self.minor < (3, 11) and mode == "-c":
                out.append((mode, ("--method", "frame"), "frame"))
        return out

    @staticmethod
    def uprobes(method):
        """The interpreter uprobes (eval, frame) name calls by co_qualname
        (3.11+) and give a resume its code's first line; the markers give
        co_name and the line the resume continues at."""
        return method != "usdt"


def pyenv_root():
    """`pyenv root` when pyenv is on PATH, else $PYENV_ROOT or /root/.pyenv."""
    if shutil.which("pyenv"):
        try:
            out = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, universal_newlines=True, timeout=10)
            if out.returncode == 0 and os.path.isdir(out.stdout.strip()):
                return out.stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            pass
    for d in (os.environ.get("PYENV_ROOT"), "/root/.pyenv", os.path.expanduser("~/.pyenv")):
        if d and os.path.isdir(d):
            return d
    return None


def _pyenv_builds(root, major, minor):
    """(version, path) of every pyenv build of major.minor, newest last."""
    if not root:
        return []
    pat = os.path.join(root, "versions", "%d.%d.*" % (major, minor), "bin",
                       "python%d.%d" % (major, minor))
    found = []
    for path in glob.glob(pat):
        version = path.split(os.sep)[-3]
        # plain CPython releases only: not 3.12.1t, 3.13-dev, pypy, ...
        if re.match(r"^\d+\.\d+\.\d+$", version) and os.access(path, os.X_OK):
            found.append((tuple(int(x) for x in version.split(".")), version, path))
    return [(v, p) for _, v, p in sorted(found)]


class Discovery:
    def __init__(self, py39=None, py314=None, py314_missing=""):
        self.root = pyenv_root()
        self.interps = []
        self.absent = []  # what the matrix wants but this machine lacks
        for minor in MATRIX_MINORS:
            builds = _pyenv_builds(self.root, 3, minor)
            if not builds:
                self.absent.append("pyenv 3.%d" % minor)
            for version, path in builds:
                self.interps.append(Interp("pyenv-" + version, path, (3, minor), "pyenv"))
        if os.access(DEBIAN_311, os.X_OK):
            self.interps.append(Interp("debian-3.11", DEBIAN_311, (3, 11), "debian"))
        else:
            self.absent.append(DEBIAN_311)
        if py39 and os.access(py39, os.X_OK):
            self.interps.append(Interp("dtrace-3.9", py39, (3, 9), "dtrace"))
        else:
            self.absent.append("the marker-complete 3.9")
        for variant in PY314:
            path = (py314 or {}).get(variant)
            if path and os.access(path, os.X_OK):
                self.interps.append(Interp("py3.14-" + variant, path, (3, 14), "py314"))
            else:
                self.absent.append("CPython 3.14 %s (%s)" % (variant, py314_missing or "not built"))
        self.old = []  # (version, path) of builds that must be refused
        for major, minor in OLD_MINORS:
            self.old.extend(_pyenv_builds(self.root, major, minor))

    def summary(self):
        return "interp matrix: found %s; absent: %s" % (
            " ".join(i.name for i in self.interps) or "none",
            ", ".join(self.absent) or "none")
