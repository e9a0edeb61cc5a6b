"""Reads the state of a process's python markers from its memory: the
first byte of each probe site (0x90, a nop, when no uprobe is in; 0xcc,
int3, while one is) and each semaphore (0 unless a tracer is attached).
Addresses come from `readelf -n` (stapsdt notes) and `readelf -l` (load
segments) on the binary, placed with /proc/PID/maps."""

import os
import re
import subprocess

NOP = 0x90
INT3 = 0xCC


class ProbeError(Exception):
    pass


def _readelf(args, path):
    r = subprocess.run(["readelf", "-W"] + args + [path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if r.returncode != 0:
        raise ProbeError("readelf %s %s failed: %s" % (" ".join(args), path, r.stderr.strip()))
    return r.stdout


def notes(path, provider="python"):
    """[{"name", "location", "semaphore"}] for the provider's stapsdt notes."""
    out = []
    cur = {}
    for line in _readelf(["-n"], path).splitlines():
        line = line.strip()
        m = re.search(r"Provider: (\S+)", line)  # -W puts it after the note header
        if m:
            cur = {"provider": m.group(1)}
        elif line.startswith("Name:") and cur:
            cur["name"] = line.split(":", 1)[1].strip()
        elif line.startswith("Location:") and cur:
            fields = dict(re.findall(r"(\w+): (0x[0-9a-fA-F]+)", line))
            cur["location"] = int(fields["Location"], 16)
            cur["semaphore"] = int(fields.get("Semaphore", "0"), 16)
            if cur.get("provider") == provider:
                out.append(cur)
            cur = {}
    return out


def load_segments(path):
    """[(file offset, vaddr, filesz)] of the PT_LOAD segments."""
    segs = []
    for line in _readelf(["-l"], path).splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
    if not segs:
        raise ProbeError("%s has no LOAD segments" % path)
    return segs


def _file_offset(segs, vaddr):
    for off, va, filesz in segs:
        if va <= vaddr < va + filesz:
            return vaddr - va + off
    raise ProbeError("address 0x%x is in no file-backed segment" % vaddr)


def _mappings(pid, path):
    st = os.stat(path)
    maps = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split(None, 5)
            if len(fields) < 6:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if int(fields[4]) != st.st_ino:
                continue
            if os.path.realpath(fields[5].strip()) != os.path.realpath(path):
                continue
            maps.append((start, end, int(fields[2], 16)))
    return maps


def runtime_address(pid, path, vaddr, segs=None):
    off = _file_offset(segs or load_segments(path), vaddr)
    for start, end, moff in _mappings(pid, path):
        if moff <= off < moff + (end - start):
            return start + off - moff
    raise ProbeError("PID %d has no mapping of %s covering file offset 0x%x" % (pid, path, off))


def read_mem(pid, addr, n):
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as f:
        f.seek(addr)
        data = f.read(n)
    if len(data) != n:
        raise ProbeError("short read of PID %d memory at 0x%x" % (pid, addr))
    return data


def state(pid, path):
    """{probe name: (first byte of the site, semaphore value or None,
    site address, semaphore address)} for the python probes of path as
    mapped in pid."""
    segs = load_segments(path)
    out = {}
    for note in notes(path):
        site = runtime_address(pid, path, note["location"], segs)
        byte = read_mem(pid, site, 1)[0]
        sem = sem_addr = None
        if note["semaphore"]:
            sem_addr = runtime_address(pid, path, note["semaphore"], segs)
            sem = int.from_bytes(read_mem(pid, sem_addr, 2), "little")
        if note["name"] in out:  # several sites for one probe: report the first that is set
            prev = out[note["name"]]
            if prev[0] != NOP:
                continue
        out[note["name"]] = (byte, sem, site, sem_addr)
    return out


def marker_binary(pid):
    """The mapped ELF of pid carrying python:function__entry (the
    executable or a libpython), as a path openable from here."""
    seen = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split(None, 5)
            if len(fields) < 6 or not fields[5].startswith("/"):
                continue
            path = fields[5].strip()
            if path in seen or path.endswith(" (deleted)"):
                continue
            seen.add(path)
            base = os.path.basename(path)
            if not (base.startswith("libpython") or os.path.realpath(path) == os.path.realpath(
                    "/proc/%d/exe" % pid)):
                continue
            try:
                if any(n["name"] == "function__entry" for n in notes(path)):
                    return path
            except ProbeError:
                continue
    raise ProbeError("PID %d maps no ELF with python:function__entry" % pid)


def describe(st):
    return ", ".join("%s: site 0x%02x, semaphore %s" % (name, v[0], v[1])
                     for name, v in sorted(st.items()))


def offset_bytes(pid, path, offsets):
    """The first byte at each file offset of path as mapped in pid (0xcc
    while a uprobe is there), and the byte the file holds there."""
    out = []
    maps = _mappings(pid, path)
    with open(path, "rb") as f:
        for off in offsets:
            addr = next((start + off - moff for start, end, moff in maps
                         if moff <= off < moff + (end - start)), None)
            if addr is None:
                raise ProbeError("PID %d has no mapping of %s covering file offset 0x%x"
                                 % (pid, path, off))
            f.seek(off)
            out.append((read_mem(pid, addr, 1)[0], f.read(1)[0]))
    return out
