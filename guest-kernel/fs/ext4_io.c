/*
 * The ext4 reader's device side: byte reads over memory or a block
 * device, a small LRU cache for metadata and directory blocks, and a
 * read-ahead window for file data.
 *
 * File data does not go through the cache: a sequential read would evict
 * every inode-table and extent block it needs.  Reads of a whole
 * read-ahead window or more go straight into the caller's buffer, one
 * device read per physically contiguous run; smaller ones are served from
 * the window, refilled with up to RA_BYTES of the run at a time, so a
 * reader taking 4 KiB at a time still sees 128 KiB device requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ext4_priv.h"

/* A block device's read takes a 32-bit count: split larger transfers. */
#define DEV_CHUNK_BYTES (64u << 20)

static int bdev_read(struct ext4_fs *fs, uint64_t off, void *buf, size_t len)
{
	struct blockdev *bd = fs->bdev;
	uint32_t dbs = bd->block_size;
	uint8_t *p = buf;

	while (len) {
		uint64_t first = off / dbs;
		uint32_t skip = (uint32_t)(off % dbs);
		size_t n;
		int rc;

		if (skip == 0 && len >= dbs) {
			/* Whole device blocks: straight into the caller's buffer. */
			n = len - len % dbs;
			if (n > DEV_CHUNK_BYTES)
				n = DEV_CHUNK_BYTES;
			rc = bd->read(bd, first, (uint32_t)(n / dbs), p);
		} else {
			/* A partial device block (file system blocks smaller than the device's). */
			if (!fs->bounce && !(fs->bounce = malloc(dbs)))
				return ext4_fail(-ENOMEM, "no memory for a %u-byte bounce block", dbs);
			rc = bd->read(bd, first, 1, fs->bounce);
			n = dbs - skip < len ? dbs - skip : len;
			if (rc == 0)
				memcpy(p, fs->bounce + skip, n);
		}
		if (rc < 0)
			return ext4_fail(rc, "device read of %zu bytes at byte %llu failed (%d)", n,
					 (unsigned long long)off, rc);
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int ext4_dev_pread(struct ext4_fs *fs, uint64_t off, void *buf, size_t len)
{
	if (off > fs->dev_bytes || len > fs->dev_bytes - off)
		return ext4_fail(-EIO, "read of %zu bytes at byte %llu runs past the device's %llu bytes",
				 len, (unsigned long long)off, (unsigned long long)fs->dev_bytes);
	if (fs->mem) {
		memcpy(buf, fs->mem + off, len);
		return 0;
	}
	return bdev_read(fs, off, buf, len);
}

int ext4_read_blocks(struct ext4_fs *fs, uint64_t blk, uint64_t count, void *buf)
{
	/* Block numbers come from the image: only the superblock's range is valid. */
	if (blk <= fs->first_data_block || blk >= fs->blocks_count || count > fs->blocks_count - blk)
		return ext4_fail(-EUCLEAN, "blocks %llu..%llu are outside the filesystem (%llu blocks)",
				 (unsigned long long)blk, (unsigned long long)(blk + count - 1),
				 (unsigned long long)fs->blocks_count);
	return ext4_dev_pread(fs, blk << fs->log_block_size, buf, (size_t)(count << fs->log_block_size));
}

int ext4_io_init(struct ext4_fs *fs)
{
	unsigned n = CACHE_BYTES_MAX / fs->block_size;

	if (n > CACHE_SLOTS_MAX)
		n = CACHE_SLOTS_MAX;
	if (n < CACHE_SLOTS_MIN)
		n = CACHE_SLOTS_MIN;
	fs->slots = calloc(n, sizeof(*fs->slots));
	if (!fs->slots)
		return ext4_fail(-ENOMEM, "no memory for the block cache");
	fs->nslots = n;
	for (unsigned i = 0; i < n; i++)
		if (!(fs->slots[i].data = malloc(fs->block_size)))
			return ext4_fail(-ENOMEM, "no memory for the block cache (%u x %u bytes)", n,
					 fs->block_size);
	fs->ra_max = RA_BYTES / fs->block_size;
	if (fs->ra_max < 1)
		fs->ra_max = 1;
	if (!(fs->ra = malloc((size_t)fs->ra_max * fs->block_size)))
		return ext4_fail(-ENOMEM, "no memory for the read-ahead window");
	return 0;
}

void ext4_io_free(struct ext4_fs *fs)
{
	if (fs->slots)
		for (unsigned i = 0; i < fs->nslots; i++)
			free(fs->slots[i].data);
	free(fs->slots);
	free(fs->ra);
	free(fs->bounce);
}

int ext4_block(struct ext4_fs *fs, uint64_t blk, const uint8_t **data)
{
	struct ext4_cache_slot *victim = &fs->slots[0];
	int rc;

	/* 64 slots at most: a linear scan costs less than keeping a hash. */
	for (unsigned i = 0; i < fs->nslots; i++) {
		struct ext4_cache_slot *s = &fs->slots[i];

		if (s->used && s->blk == blk) {
			s->used = ++fs->clock;
			*data = s->data;
			return 0;
		}
		if (s->used < victim->used)
			victim = s;
	}
	victim->used = 0;
	rc = ext4_read_blocks(fs, blk, 1, victim->data);
	if (rc < 0)
		return rc;
	victim->blk = blk;
	victim->used = ++fs->clock;
	*data = victim->data;
	return 0;
}

bool ext4_ra_holds(const struct ext4_fs *fs, uint64_t blk)
{
	return fs->ra_count && blk >= fs->ra_blk && blk - fs->ra_blk < fs->ra_count;
}

int ext4_read_ra(struct ext4_fs *fs, uint64_t blk, uint64_t avail, uint32_t off, void *buf,
		 size_t len)
{
	uint64_t have;
	size_t n;
	int rc;

	if (!ext4_ra_holds(fs, blk)) {
		uint32_t count = avail < fs->ra_max ? (uint32_t)avail : fs->ra_max;

		fs->ra_count = 0;
		rc = ext4_read_blocks(fs, blk, count, fs->ra);
		if (rc < 0)
			return rc;
		fs->ra_blk = blk;
		fs->ra_count = count;
	}
	/* Bytes of the window from (blk, off) on, within the caller's run. */
	have = fs->ra_blk + fs->ra_count - blk;
	if (have > avail)
		have = avail;
	have = (have << fs->log_block_size) - off;
	n = len < have ? len : (size_t)have;
	memcpy(buf, fs->ra + ((blk - fs->ra_blk) << fs->log_block_size) + off, n);
	return (int)n;
}
