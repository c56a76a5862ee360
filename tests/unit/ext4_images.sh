#!/usr/bin/env bash
# Makes the ext4 reader's test images (run by build/tests/test_ext4).
# Usage: tests/unit/ext4_images.sh OUTDIR
# OUTDIR/src is the source tree; OUTDIR/NAME.img are mke2fs -d copies of it
# in the layouts the reader must handle.  Nothing here is committed:
# images live under build/.  Exit status 77 when e2fsprogs is missing.
set -eu
out=$1
for t in mke2fs e2fsck debugfs python3; do
	command -v "$t" >/dev/null || PATH=$PATH:/sbin:/usr/sbin command -v "$t" >/dev/null || exit 77
done
export PATH=$PATH:/sbin:/usr/sbin
rm -rf "$out"
mkdir -p "$out/src"
src=$out/src

# Deterministic file contents: the same bytes on every run.
python3 - "$src" <<'EOF'
import os, random, sys
src = sys.argv[1]
r = random.Random(1)
def data(n): return r.randbytes(n)
def put(path, n):
    with open(os.path.join(src, path), "wb") as f: f.write(data(n))
os.makedirs(os.path.join(src, "a/b/c/d"))
for n in (0, 1, 1023, 1024, 1025, 4095, 4096, 4097, 65537):
    put("size_%d" % n, n)
put("a/b/c/d/deep", 3000)
put("big", 8 << 20)                       # contiguous: coalesced reads
# sparse: data at 0, 1 GiB + 5, and the end; 5 GiB apparent (i_size_high)
with open(os.path.join(src, "sparse"), "wb") as f:
    f.write(data(5000)); f.seek((1 << 30) + 5); f.write(data(70000))
    f.truncate(5 << 30); f.seek((5 << 30) - 3000); f.write(data(3000))
# fragmented: 1500 islands of 4 KiB between holes -> an extent tree of depth 2
with open(os.path.join(src, "frag"), "wb") as f:
    for i in range(1500):
        f.seek(i * 8192); f.write(data(4096))
os.makedirs(os.path.join(src, "many"))
for i in range(600):                      # htree after e2fsck -D
    with open(os.path.join(src, "many", "entry-%04d-%s" % (i, "x" * (i % 40))), "w") as f:
        f.write("%d\n" % i)
os.symlink("size_1", os.path.join(src, "fast_link"))
os.symlink("a/b/c/d/" + "../" * 4 + "x" * 180, os.path.join(src, "slow_link"))
os.symlink("a/b", os.path.join(src, "dir_link"))
os.mkfifo(os.path.join(src, "fifo"))
with open(os.path.join(src, "n" * 255), "w") as f: f.write("long name\n")
with open(os.path.join(src, "caf\u00e9 \u2603"), "w") as f: f.write("utf-8 name\n")
os.makedirs(os.path.join(src, "empty_dir"))
EOF

mk() { # name size mke2fs-options...
	local name=$1 size=$2
	shift 2
	truncate -s "$size" "$out/$name.img"
	mke2fs -q -F -E root_owner=0:0 "$@" -d "$src" "$out/$name.img" 2>"$out/$name.log"
}
mk ext4 64M -t ext4
mk ext4_1k 64M -t ext4 -b 1024
mk ext4_64bit_metabg 64M -t ext4 -O 64bit,meta_bg,^resize_inode
mk ext4_64k 128M -t ext4 -b 65536
# meta_bg with 64 groups of 1 MiB, 16 inodes each: descriptors in 4 meta groups
mk ext4_metabg_1k 64M -t ext4 -b 1024 -g 1024 -N 1024 -O 64bit,meta_bg,^resize_inode
mk ext3 64M -t ext3
mk ext2_1k 64M -t ext2 -b 1024
mk ext2_4k 64M -t ext2 -b 4096
# e2fsck -D indexes every directory big enough: "many" becomes an htree
for i in ext4 ext4_1k ext2_4k; do
	e2fsck -fyD "$out/$i.img" >>"$out/$i.log" 2>&1 || [ $? -le 2 ]
done
# Small ones for the refusal tests, which patch a copy per case
mk_small() { # name options...
	local name=$1
	shift
	truncate -s 2M "$out/$name.img"
	mke2fs -q -F "$@" -d "$src/a" "$out/$name.img" 2>"$out/$name.log"
}
mk_small small -t ext4 -O ^has_journal
mk_small inline -t ext4 -O ^has_journal,inline_data
touch "$out/stamp"
