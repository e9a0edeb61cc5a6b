"""The oracle (oracle.py) in a process a traced one started by exec: a new
run of the same interpreter (multiprocessing's spawn and forkserver,
subprocess) starts under the profile function here, as --follow traces
it afresh. oracle.py puts this directory on PYTHONPATH for its children
and says where to write; another interpreter (another version or build)
writes nothing, as --follow passes it over. Lives outside every workload
filter."""

import os
import sys


def _start():
    out = os.environ.get("FT_ORACLE_EXEC_OUT")
    if not out or os.path.realpath(sys.executable) != os.environ.get("FT_ORACLE_PYTHON"):
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, here)
    try:
        import oracle
    finally:
        del sys.path[0]
    oracle.trace_exec_child(out)


_start()
