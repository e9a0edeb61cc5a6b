"""The workloads and the oracle run on every CPython 3.6-3.13 that pyenv
provides (no tracer involved): they are meant to stay portable."""

import os

from ftlib.harness import Fail, Proc, Skip, cfg, child_env
from ftlib.registry import case

from .test_errors import pyenv_pythons

# serve, serve_loop and async_service wait for stdin (async_service
# through the event loop, which cannot poll a file); attach_loop calls until
# killed; fifo_over_file runs only in a user and mount namespace of its own
# (test_attach.py); fork_reuse's status says whether the allocator gave an
# address back, the precondition of its --follow case (test_follow.py), not
# portability
SKIP = {"serve", "serve_loop", "async_service", "attach_loop", "fifo_over_file", "fork_reuse"}
# workloads of a feature that starts at a later CPython: asyncio's task view
# (--by-task) is 3.8+, as asyncio.run() and task names are; eager tasks
# (asyncio.eager_task_factory) are 3.12+
SINCE = {"async_task_view": (3, 8), "async_task_reuse": (3, 8), "async_ticker": (3, 8),
         "async_eager": (3, 12)}


@case("portability: workloads and oracle run on pyenv CPython 3.6-3.13")
def portable():
    root, found = pyenv_pythons()
    found = [(v, py) for v, py in found if not v.startswith("2.")]  # 2.7: refused, not run
    if not found:
        raise Skip("no pyenv CPython 3.x found")
    wdir = os.path.join(cfg.here, "workloads")
    names = sorted(f[:-3] for f in os.listdir(wdir) if f.endswith(".py") and f[:-3] not in SKIP)
    failures = []
    for version, py in found:
        procs = []
        for name in names:
            if tuple(int(x) for x in version.split(".")[:2]) < SINCE.get(name, (3, 0)):
                continue
            out = os.path.join(cfg.tmp, "portable-%s-%s.json" % (version, name))
            procs.append((name, Proc([py, os.path.join(cfg.here, "oracle.py"), "-o", out,
                                      os.path.join(wdir, name + ".py")], env=child_env())))
        for name, p in procs:
            rc = p.wait(60, "oracle on %s with pyenv %s" % (name, version))
            if rc != 0:
                failures.append("%s on %s: status %s\n%s" % (name, version, rc,
                                                               p.stderr_tail(4)))
    if failures:
        raise Fail("\n".join(failures))
    return "%d workloads on %s" % (len(names), ", ".join(v for v, _ in found))
