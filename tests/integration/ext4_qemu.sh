#!/usr/bin/env bash
# The guest's ext4 reader inside a VM: build/guest/ext4tree.elf boots under
# QEMU microvm (KVM when usable, else TCG, so it runs on machines without
# /dev/kvm too), walks mke2fs images of a generated tree on a read-only
# virtio-blk disk and prints every node with a hash of its bytes; the host
# computes the same listing from the tree and the two must match.
source "$(dirname "$0")/lib.sh"

ELF=build/guest/ext4tree.elf
. tests/lib/qemu_accel.sh
export PATH=$PATH:/sbin:/usr/sbin

# boot IMAGE ARGS: ext4tree's output in $OUT, QEMU's status in $rc
boot() {
	rc=0
	timeout 120 qemu-system-x86_64 -M microvm,acpi=off $ACCEL -m 64M -nodefaults \
		-no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-global virtio-mmio.force-legacy=false \
		-drive "id=d0,file=$1,format=raw,if=none,readonly=on" -device virtio-blk-device,drive=d0 \
		-kernel "$ELF" -append "$TSC -- $2" >"$OUT" 2>"$ERR" || rc=$?
}

make_tree() {
	[ -d "$TMP/src" ] && return 0
	python3 - "$TMP/src" <<'EOF'
import os, random, sys
src = sys.argv[1]
r = random.Random(7)
os.makedirs(os.path.join(src, "etc/deep/er"))
for n in (0, 1, 4095, 4096, 4097, 200000):
    open(os.path.join(src, "f%d" % n), "wb").write(r.randbytes(n))
open(os.path.join(src, "big"), "wb").write(r.randbytes(3 << 20))
with open(os.path.join(src, "sparse"), "wb") as f:
    f.write(b"head"); f.seek(20 << 20); f.write(b"tail")
with open(os.path.join(src, "frag"), "wb") as f:
    for i in range(40):
        f.seek(i * 8192); f.write(r.randbytes(4096))
os.makedirs(os.path.join(src, "many"))
for i in range(300):
    open(os.path.join(src, "many", "name-%03d" % i), "w").write(str(i))
open(os.path.join(src, "etc/deep/er/file"), "w").write("deep\n")
os.symlink("f1", os.path.join(src, "fast"))
os.symlink("etc/" + "x" * 150, os.path.join(src, "slow"))
os.mkfifo(os.path.join(src, "fifo"))
EOF
	# What ext4tree must print, from the tree itself (FNV-1a 64 of each file).
	python3 - "$TMP/src" >"$TMP/want" <<'EOF'
import os, stat, sys
src = sys.argv[1]
def fnv(path):
    h = 0xcbf29ce484222325
    for b in open(path, "rb").read():
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h
for root, dirs, files in os.walk(src):
    for n in dirs + files:
        p = os.path.join(root, n); rel = p[len(src):]; st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode): print("l %s %s" % (rel, os.readlink(p)))
        elif stat.S_ISDIR(st.st_mode): print("d %s %o" % (rel, st.st_mode))
        elif stat.S_ISREG(st.st_mode): print("f %s %o %d %016x" % (rel, st.st_mode, st.st_size, fnv(p)))
        else: print("o %s %o" % (rel, st.st_mode))
EOF
	sort -o "$TMP/want" "$TMP/want"
}

# tree_matches NAME MKE2FS-OPTIONS...: the guest's listing of that image is the tree's
tree_matches() {
	needs qemu mke2fs python3
	[ -f "$ELF" ] || fail "$ELF missing: run make guest"
	make_tree
	local img=$TMP/$1.img
	shift
	truncate -s 32M "$img"
	mke2fs -q -F "$@" -d "$TMP/src" "$img"
	e2fsck -fyD "$img" >/dev/null 2>&1 || [ $? -le 2 ]
	boot "$img" tree
	grep -q '^ext4tree OK nodes=' "$OUT" || fail "status $rc; output: $(head -c 800 "$OUT")"
	grep -v -e '^ext4tree OK' -e '/lost+found' "$OUT" | sort >"$TMP/got"
	diff "$TMP/want" "$TMP/got" >&2 || fail "the guest's listing differs from the tree"
}
ext4_4k_in_guest() { tree_matches ext4 -t ext4; }
ext4_1k_in_guest() { tree_matches ext4_1k -t ext4 -b 1024; }
ext2_block_maps_in_guest() { tree_matches ext2 -t ext2; }

# A corrupt image: the reader says what is wrong, the guest does not crash.
refuses_corrupt_superblock_in_guest() {
	needs qemu mke2fs python3
	[ -f "$ELF" ] || fail "$ELF missing: run make guest"
	make_tree
	truncate -s 32M "$TMP/bad.img"
	mke2fs -q -F -t ext4 -d "$TMP/src" "$TMP/bad.img"
	printf '\0\0' | dd of="$TMP/bad.img" bs=1 seek=1080 conv=notrunc status=none
	boot "$TMP/bad.img" tree
	grep -q '^ext4: no ext2/3/4 superblock (magic 0x0000 at byte 1080' "$OUT" &&
		grep -q '^ext4tree: mount: error -117$' "$OUT" ||
		fail "status $rc; output: $(head -c 800 "$OUT")"
}

t ext4_4k_in_guest
t ext4_1k_in_guest
t ext2_block_maps_in_guest
t refuses_corrupt_superblock_in_guest
exit $((failures > 0))
