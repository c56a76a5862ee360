#!/usr/bin/env python3
"""The guest's disk pattern (guest-kernel/apps/blkpattern.h), host side.

    blkpattern.py IMAGE [--seed S] [--sectors N]           check
    blkpattern.py IMAGE [--seed S] [--sectors N] --write   write it

Checks (or writes) the first N 512-byte sectors of IMAGE (default: every
whole sector in the file) against the pattern with seed S (default 1), the
one blkcheck and blkwrite write.  Exit status 0 when all match, 1 at the
first sector that does not (printed), 2 for usage or I/O errors.

The pattern (guest-kernel/README.md, "Disk pattern"): sector s holds 64
little-endian 64-bit words; word i is h(S, s) XOR (i * K) with
h(S, s) = mix((S + 1) * G + s), K = 0xd6e8feb86659fd93,
G = 0x9e3779b97f4a7c15, mix = splitmix64's finalizer, all modulo 2^64.
"""
import argparse
import os
import sys

M64 = (1 << 64) - 1
G = 0x9E3779B97F4A7C15
K = 0xD6E8FEB86659FD93
WORDS = 64
SECTOR = 512

# The words i * K as one 512-byte little-endian integer, and the factor that
# copies a 64-bit value into all 64 words: per sector, the expected bytes are
# then one multiplication and one XOR of Python integers.
K_ALL = sum(((i * K) & M64) << (64 * i) for i in range(WORDS))
REPEAT = sum(1 << (64 * i) for i in range(WORDS))


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def sector_hash(seed, sector):
    return mix(((seed + 1) * G + sector) & M64)


def expected(seed, sector):
    """The 512 bytes sector `sector` should hold."""
    return ((sector_hash(seed, sector) * REPEAT) ^ K_ALL).to_bytes(SECTOR, "little")


def word(seed, sector, i):
    return sector_hash(seed, sector) ^ ((i * K) & M64)


CHUNK = 2048  # sectors per file read or write


def check(f, seed, sectors):
    for base in range(0, sectors, CHUNK):
        n = min(CHUNK, sectors - base)
        data = f.read(n * SECTOR)
        if len(data) < n * SECTOR:
            print(f"blkpattern: the image ends at sector {base + len(data) // SECTOR}, "
                  f"before sector {sectors}")
            return 1
        for k in range(n):
            s = base + k
            got = data[k * SECTOR:(k + 1) * SECTOR]
            if got != expected(seed, s):
                for i in range(WORDS):
                    w = int.from_bytes(got[8 * i:8 * i + 8], "little")
                    if w != word(seed, s, i):
                        print(f"blkpattern: sector {s} differs from the pattern (seed {seed}): "
                              f"word {i} is {w:#x}, expected {word(seed, s, i):#x}")
                        return 1
    print(f"blkpattern OK sectors={sectors} seed={seed}")
    return 0


def write(f, seed, sectors):
    for base in range(0, sectors, CHUNK):
        n = min(CHUNK, sectors - base)
        f.write(b"".join(expected(seed, base + k) for k in range(n)))
    f.flush()
    os.fsync(f.fileno())
    print(f"blkpattern wrote sectors={sectors} seed={seed}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("image")
    p.add_argument("--seed", type=lambda s: int(s, 0), default=1)
    p.add_argument("--sectors", type=lambda s: int(s, 0), default=None,
                   help="how many sectors from the start (default: the whole image)")
    p.add_argument("--write", action="store_true", help="write the pattern instead of checking")
    a = p.parse_args()
    try:
        size = os.path.getsize(a.image)
        sectors = a.sectors if a.sectors is not None else size // SECTOR
        if sectors <= 0 or a.seed < 0 or a.seed > M64:
            p.error("need at least one sector and a seed from 0 to 2^64-1")
        with open(a.image, "r+b" if a.write else "rb") as f:
            return write(f, a.seed, sectors) if a.write else check(f, a.seed, sectors)
    except OSError as e:
        print(f"blkpattern: {a.image}: {e.strerror}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
