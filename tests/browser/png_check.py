#!/usr/bin/python3
"""Checks that a screenshot of the html page shows a flame chart.

Usage: png_check.py FILE.png [--top PX] [--bottom PX] [--min-colours N]
                    [--min-ink FRACTION]

Decodes the PNG with zlib alone (no imaging library on the test machines)
and looks at the flame area, the band between --top and --bottom pixels:
it must hold at least --min-colours distinct saturated colours (boxes are
coloured by file and function; the page chrome is greys) and at least
--min-ink of its pixels must be something other than white or the faint
grid. Prints one line of what it saw; exits 0 when the picture passes, 1
when it does not, 2 when the file is not a PNG it can read.
"""
import argparse
import struct
import sys
import zlib


def decode(path):
    """Returns (width, height, rows of (r, g, b) tuples)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if not ihdr:
        raise ValueError("no IHDR")
    width, height, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG: depth %d, colour type %d, interlace %d"
                         % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        off = y * (stride + 1)
        ftype = raw[off]
        line = bytearray(raw[off + 1:off + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xff
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xff
            elif ftype != 0:
                raise ValueError("bad filter type %d" % ftype)
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("png")
    ap.add_argument("--top", type=int, default=170)
    ap.add_argument("--bottom", type=int, default=760)
    ap.add_argument("--min-colours", type=int, default=6)
    ap.add_argument("--min-ink", type=float, default=0.02)
    args = ap.parse_args()
    try:
        width, height, rows = decode(args.png)
    except (OSError, ValueError, zlib.error) as e:
        print("png_check: %s: %s" % (args.png, e))
        return 2
    band = rows[max(0, args.top):min(height, args.bottom)]
    total = sum(len(r) for r in band)
    ink, colours = 0, set()
    for row in band:
        for r, g, b in row:
            if min(r, g, b) < 235:
                ink += 1
            # saturated: a box colour, not chrome grey; quantised so
            # anti-aliased edges do not count as colours of their own
            if max(r, g, b) - min(r, g, b) >= 40:
                colours.add((r >> 4, g >> 4, b >> 4))
    frac = ink / total if total else 0.0
    ok = len(colours) >= args.min_colours and frac >= args.min_ink
    print("png_check: %s: %dx%d, %d colours, %.1f%% ink in rows %d-%d: %s"
          % (args.png, width, height, len(colours), 100 * frac, args.top,
             args.bottom, "ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
