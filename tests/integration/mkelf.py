#!/usr/bin/env python3
"""Writes a minimal PVH ELF64 kernel whose code is the given hex bytes,
loaded and entered at 1 MiB.  Used to boot deliberately broken guests."""
import struct, sys

path, code = sys.argv[1], bytes.fromhex(sys.argv[2])
base = 0x100000
note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", base)
ehsize, phsize = 64, 56
code_off = ehsize + 2 * phsize
note_off = code_off + len(code)
ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack(
    "<HHIQQQIHHHHHH", 2, 62, 1, base, ehsize, 0, 0, ehsize, phsize, 2, 64, 0, 0)
load = struct.pack("<IIQQQQQQ", 1, 5, code_off, base, base, len(code), len(code), 0x1000)
pnote = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(note), len(note), 4)
with open(path, "wb") as f:
    f.write(ehdr + load + pnote + code + note)
