/* The block-device interface on a virtio-blk disk (guest only). */
#include <errno.h>

#include "drivers/virtio_blk.h"
#include "fs/blockdev.h"

static int virtio_read(struct blockdev *bd, uint64_t first, uint32_t count, void *buf)
{
	uint32_t per = bd->block_size / BLK_SECTOR_SIZE;
	int rc;

	if (first > bd->nblocks || count > bd->nblocks - first)
		return -ERANGE;
	rc = blk_read(bd->ctx, first * per, buf, (uint64_t)count * per);
	return rc == 0 ? 0 : rc == BLK_ERANGE ? -ERANGE : rc == BLK_EINVAL ? -EINVAL : -EIO;
}

int blockdev_virtio_open(struct blockdev *bd, unsigned index)
{
	struct blk_dev *dev = blk_open(index);
	uint32_t bs;

	if (!dev)
		return -ENODEV;
	/* The filesystem's own reads are at least this granular; the disk's block may be larger. */
	bs = blk_block_size(dev);
	if (bs < BLK_SECTOR_SIZE || bs > BLOCKDEV_MAX_BLOCK || (bs & (bs - 1)))
		return -ENODEV;
	*bd = (struct blockdev){
		.block_size = bs,
		.nblocks = blk_capacity(dev) / (bs / BLK_SECTOR_SIZE),
		.read = virtio_read,
		.ctx = dev,
	};
	return 0;
}
