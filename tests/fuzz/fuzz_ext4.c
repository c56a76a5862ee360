/*
 * libFuzzer harness for the guest's ext4 reader (guest-kernel/fs/ext4*.c).
 *
 * Input: a whole filesystem image, seeded with small mke2fs images
 * (tests/fuzz/run_ext4.sh).  It is copied into a heap block of exactly
 * its size, so ASan flags any read outside it, mounted, and walked with
 * the unit test's bounded walk (tests/unit/ext4_walk.h): every entry
 * stat'ed, files and symlinks read, directories entered.  Inputs of odd
 * length are read again through a block device of 4 KiB blocks, larger
 * than the 1 KiB filesystem blocks of the seeds: the bounce-block path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ext4_walk.h"

static int mem_read(struct blockdev *bd, uint64_t first, uint32_t count, void *buf)
{
	if (first > bd->nblocks || count > bd->nblocks - first)
		return -ERANGE;
	memcpy(buf, bd->mem + first * bd->block_size, (size_t)count * bd->block_size);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = malloc(size ? size : 1);
	struct blockdev bd = { .block_size = 4096, .nblocks = size / 4096, .read = mem_read };

	if (!img)
		return 0;
	memcpy(img, data, size);
	ext4_walk_image(&(struct vfs_source){ .mem = img, .len = size }, 2000);
	if (size & 1) {
		bd.mem = img;
		ext4_walk_image(&(struct vfs_source){ .bdev = &bd }, 2000);
	}
	free(img);
	return 0;
}
