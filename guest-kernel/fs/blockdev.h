/*
 * STABLE INTERFACE (rootfs branch, 2026-12-01): the ext4 reader codes
 * against it.
 *
 * A block device, read-only: what a filesystem reader needs from a disk.
 * In the guest it sits on virtio-blk (blockdev_virtio.c); in hosted tests
 * on a buffer (blockdev_mem_init) or anything else that fills the table.
 * Errors are negative errno values.
 */
#ifndef GUEST_FS_BLOCKDEV_H
#define GUEST_FS_BLOCKDEV_H

#include <stddef.h>
#include <stdint.h>

#define BLOCKDEV_MAX_BLOCK 4096   /* largest block_size blockdev_pread() handles */

struct blockdev {
	uint32_t block_size;      /* bytes: a power of two, 512..BLOCKDEV_MAX_BLOCK */
	uint64_t nblocks;         /* device size in blocks */
	/*
	 * Reads count whole blocks starting at block first into buf (no
	 * alignment needed): 0, -ERANGE if they run past nblocks, -EIO.
	 */
	int (*read)(struct blockdev *bd, uint64_t first, uint32_t count, void *buf);
	void *ctx;                /* the implementation's */
	const uint8_t *mem;       /* blockdev_mem_init's buffer */
};

/*
 * len bytes at byte offset off, any alignment: whole blocks go straight
 * into buf, partial ones through a bounce block.  0, -ERANGE past the
 * end of the device, -EIO.
 */
int blockdev_pread(struct blockdev *bd, void *buf, size_t len, uint64_t off);

/* A device over [mem, mem + len); a tail shorter than a block is not part of it. */
void blockdev_mem_init(struct blockdev *bd, const void *mem, uint64_t len, uint32_t block_size);

/* Guest only: virtio-blk disk index (0 = /dev/vda).  0 or -ENODEV. */
int blockdev_virtio_open(struct blockdev *bd, unsigned index);

#endif
