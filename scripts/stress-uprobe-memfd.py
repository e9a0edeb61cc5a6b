#!/usr/bin/env python3
"""Reproducer for the calibration child's fault (docs/design.md, "The
copies' fault"): the kernel leaks a uprobe whose removal a SIGKILL
interrupted, keyed by the address of a memfd's inode, which the kernel soon
reuses for the next memfd; a uprobe registered there at the same offset
joins the leaked one and its hits are emulated as the leaked one's
instruction.

Each attempt, on one CPU:
  1. a "victim" process makes a memfd with the markers' layout (nop; ret
     at 0x0 and 0x10 of its page, as the calibration had), puts perf-event
     uprobes on both (no BPF), calls them, and is SIGKILLed while it closes
     them: some attempts leak (dmesg: "failed to unregister, leaking
     uprobe");
  2. after an RCU grace period (the inode's memory back in its slab), a
     "checker" makes a new memfd, with push %rbp; pop %rbp; ret at the same
     offsets, probes and calls them. Run as a push, they return; run as
     the leaked nop, the ret takes the wrong word and the checker dies.

--offsets fixed puts both at the memfd's first page (the calibration
before the fix); --offsets random puts the checker's code at a random page
of 65536 (the calibration now, src/probe/calibrate.c cal_base()).

Usage (root): scripts/stress-uprobe-memfd.py [--attempts N] [--offsets fixed|random]
Prints the leaks caused and the checkers that died; exit status 0 when no
checker died, 1 when one did, 2 on a setup error.

It leaks uprobes on purpose, and every leaked uprobe stays in the kernel
until reboot: harmless to files, but a calibration child of a flowtrace-bpf
from before the fix (code at offset 0) may meet one and die (the tracer
retries it; an ASan stage reports it). Run it on a machine of your own.
"""
import argparse
import ctypes
import mmap
import os
import random
import signal
import struct
import subprocess
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_PERF_EVENT_OPEN = 298
NR_MEMFD_CREATE = 319
PAGE = 4096
SPAN_PAGES = 65536
NAME = b"stress-calibration"

MARKERS = {0x0: b"\x90\xc3", 0x10: b"\x90\xc3"}
PUSH = {0x0: b"\x55\x5d\xc3", 0x10: b"\x55\x5d\xc3"}


def uprobe_type():
    with open("/sys/bus/event_source/devices/uprobe/type") as f:
        return int(f.read())


def perf_uprobe(ptype, path, offset):
    """A perf-event uprobe on this process (struct perf_event_attr,
    PERF_ATTR_SIZE_VER5: type, size, config, sample_period, ..., config1
    the path, config2 the offset)."""
    pathbuf = ctypes.create_string_buffer(path.encode())
    attr = bytearray(112)
    struct.pack_into("IIQQ", attr, 0, ptype, 112, 0, 1)
    struct.pack_into("QQ", attr, 56, ctypes.addressof(pathbuf), offset)
    buf = (ctypes.c_char * 112).from_buffer(attr)
    fd = libc.syscall(NR_PERF_EVENT_OPEN, buf, 0, -1, -1, 8)  # FD_CLOEXEC
    if fd < 0:
        raise OSError(ctypes.get_errno(), "perf_event_open")
    return fd


def mapping_address():
    # a read-only mmap object does not give its address: the process's one
    # memfd mapping, by name
    found = None
    with open("/proc/self/maps") as f:
        for line in f:
            if NAME.decode() in line:
                found = int(line.split("-")[0], 16)
    return found


def probe_and_call(layout, base, detaching=None):
    """Runs in a child: memfd, uprobes at base+offsets, calls, detach."""
    ptype = uprobe_type()
    fd = libc.syscall(NR_MEMFD_CREATE, NAME, 1)
    if fd < 0:
        os._exit(2)
    page = bytearray(PAGE)
    for off, code in layout.items():
        page[off : off + len(code)] = code
    os.pwrite(fd, bytes(page), base)
    m = mmap.mmap(fd, PAGE, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_EXEC, offset=base)
    addr = mapping_address()
    path = "/proc/self/fd/%d" % fd
    evs = [perf_uprobe(ptype, path, base + off) for off in layout]
    fn_t = ctypes.CFUNCTYPE(None)
    for _ in range(20):
        for off in layout:
            fn_t(addr + off)()
    if detaching is not None:
        os.write(detaching, b"d")
    for e in evs:
        os.close(e)
    m.close()
    os.close(fd)


def leaks_so_far():
    out = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    return out.count("failed to unregister, leaking uprobe")


def child(fn):
    pid = os.fork()
    if pid == 0:
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            print("stress: %s" % e, file=sys.stderr)
            os._exit(2)
        os._exit(0)
    return pid


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=200)
    ap.add_argument("--offsets", choices=("fixed", "random"), default="fixed")
    a = ap.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    leaks0 = leaks_so_far()
    died = 0
    for _ in range(a.attempts):
        r, w = os.pipe()
        victim = child(lambda: (os.close(r), probe_and_call(MARKERS, 0, w)))
        os.close(w)
        os.read(r, 1)
        time.sleep(random.random() * 0.001)
        os.kill(victim, signal.SIGKILL)
        os.waitpid(victim, 0)
        os.close(r)
        time.sleep(0.05)  # the inode's RCU-delayed free
        base = random.randrange(SPAN_PAGES) * PAGE if a.offsets == "random" else 0
        checker = child(lambda: probe_and_call(PUSH, base))
        _, st = os.waitpid(checker, 0)
        if os.WIFSIGNALED(st):
            died += 1
        elif os.WEXITSTATUS(st) == 2:
            print("stress: a checker could not set up (root? uprobe PMU?)", file=sys.stderr)
            return 2
    leaks = leaks_so_far() - leaks0
    print("stress-uprobe-memfd: offsets %s, %d attempts, %d uprobes leaked, %d checkers died"
          % (a.offsets, a.attempts, leaks, died))
    return 1 if died else 0


if __name__ == "__main__":
    sys.exit(main())
