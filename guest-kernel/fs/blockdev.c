/* Byte reads on top of block reads, and a block device over memory.  Hosted and guest. */
#include <errno.h>
#include <string.h>

#include "fs/blockdev.h"

int blockdev_pread(struct blockdev *bd, void *buf, size_t len, uint64_t off)
{
	uint8_t bounce[BLOCKDEV_MAX_BLOCK];
	uint8_t *out = buf;
	uint32_t bs = bd->block_size;
	uint64_t end, devsize;

	if (bs < 512 || bs > BLOCKDEV_MAX_BLOCK || (bs & (bs - 1)))
		return -EINVAL;
	if (__builtin_mul_overflow(bd->nblocks, (uint64_t)bs, &devsize))
		devsize = UINT64_MAX;
	if (__builtin_add_overflow(off, (uint64_t)len, &end) || end > devsize)
		return -ERANGE;
	while (len) {
		uint64_t blk = off / bs;
		uint32_t in = (uint32_t)(off % bs);
		int rc;

		if (in == 0 && len >= bs) {
			/* Whole blocks straight into the caller's buffer, at most 1 MiB per call. */
			uint64_t n = len / bs;
			uint32_t count = n > (1u << 20) / bs ? (1u << 20) / bs : (uint32_t)n;

			rc = bd->read(bd, blk, count, out);
			if (rc < 0)
				return rc;
			out += (size_t)count * bs;
			off += (uint64_t)count * bs;
			len -= (size_t)count * bs;
			continue;
		}
		rc = bd->read(bd, blk, 1, bounce);
		if (rc < 0)
			return rc;
		size_t part = bs - in < len ? bs - in : len;
		memcpy(out, bounce + in, part);
		out += part;
		off += part;
		len -= part;
	}
	return 0;
}

static int mem_read(struct blockdev *bd, uint64_t first, uint32_t count, void *buf)
{
	if (first > bd->nblocks || count > bd->nblocks - first)
		return -ERANGE;
	memcpy(buf, bd->mem + first * bd->block_size, (size_t)count * bd->block_size);
	return 0;
}

void blockdev_mem_init(struct blockdev *bd, const void *mem, uint64_t len, uint32_t block_size)
{
	*bd = (struct blockdev){
		.block_size = block_size,
		.nblocks = block_size ? len / block_size : 0,
		.read = mem_read,
		.mem = mem,
	};
}
