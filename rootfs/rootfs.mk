# Example images (`make` builds them), the hosted guest-filesystem tests and
# the cpio fuzzer.  Included from the top Makefile.  The example tree is
# rootfs/examples plus a 4 MiB file generated here (never committed).

ROOTFS_OUT   := build/rootfs
ROOTFS_TREE  := $(ROOTFS_OUT)/tree
ROOTFS_EXAMPLES := $(shell find rootfs/examples 2>/dev/null)
MKIMAGE      := rootfs/mkimage

.PHONY: rootfs
all: rootfs
rootfs: $(ROOTFS_OUT)/example.cpio $(ROOTFS_OUT)/example.ext4

# A copy of the examples plus big.bin: 4 MiB of SHA-256 counter output, the
# same bytes every build (reproducible images need reproducible input).
$(ROOTFS_OUT)/tree.stamp: $(ROOTFS_EXAMPLES) rootfs/rootfs.mk
	@rm -rf $(ROOTFS_TREE) && mkdir -p $(ROOTFS_OUT)
	cp -a rootfs/examples $(ROOTFS_TREE)
	python3 -c 'import hashlib,sys; sys.stdout.buffer.write(b"".join(hashlib.sha256(i.to_bytes(8,"little")).digest() for i in range(131072)))' > $(ROOTFS_TREE)/big.bin
	@touch $@

$(ROOTFS_OUT)/example.cpio: $(ROOTFS_OUT)/tree.stamp $(MKIMAGE)
	$(MKIMAGE) --format cpio $(ROOTFS_TREE) $@

$(ROOTFS_OUT)/example.ext4: $(ROOTFS_OUT)/tree.stamp $(MKIMAGE)
	$(MKIMAGE) --format ext4 $(ROOTFS_TREE) $@

# The guest's filesystem code built for the host (no guest-only files), sanitized.
GUESTFS_HOSTED := $(filter-out guest-kernel/fs/mount.c guest-kernel/fs/blockdev_virtio.c, \
	$(sort $(wildcard guest-kernel/fs/*.c))) guest-kernel/lib/sha256.c
GUESTFS_CFLAGS := -std=c11 -D_GNU_SOURCE -Iguest-kernel -Iinclude -Itests/unit -O1 -g $(WARN)

build/tests/test_guestfs: tests/unit/test_guestfs.c $(GUESTFS_HOSTED) $(wildcard guest-kernel/fs/*.h) \
		$(ROOTFS_OUT)/example.cpio $(ROOTFS_OUT)/example.ext4
	@mkdir -p $(@D)
	$(CC) $(GUESTFS_CFLAGS) $(SAN) -o $@ tests/unit/test_guestfs.c $(GUESTFS_HOSTED)

unit-tests: build/tests/test_guestfs

# `make bench-initrd`: the host-side cost of reading vs mapping a 64 MiB initrd.
.PHONY: bench-initrd
build/bench/initrd_copy: tests/bench/initrd_copy.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 $(WARN) -o $@ $<
bench-initrd: build/bench/initrd_copy
	head -c 64M /dev/urandom > build/bench/initrd-64M.bin
	build/bench/initrd_copy build/bench/initrd-64M.bin 15
