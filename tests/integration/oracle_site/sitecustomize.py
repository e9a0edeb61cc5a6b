"""The oracle (oracle.py) in a process a traced one started by exec: a new
run of the same interpreter (multiprocessing's spawn and forkserver,
subprocess) starts under the profile function here, as --follow traces
it afresh; so does another CPython (another version or build), which
--follow traces with a probe set of its own. oracle.py puts this
directory on PYTHONPATH for its children and says where to write. Lives
outside every workload filter."""

import os
import sys


def _start():
    out = os.environ.get("FT_ORACLE_EXEC_OUT")
    if not out:
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, here)
    try:
        import oracle
    finally:
        del sys.path[0]
    oracle.trace_exec_child(out)


_start()
