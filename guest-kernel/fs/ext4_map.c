/*
 * File block -> disk block: extent trees (ext4) and the old direct and
 * indirect block maps (ext2/3).  Both answer with a run, so a reader can
 * fetch a physically contiguous stretch, or zero-fill a hole, in one go.
 *
 * Hostile images: every header is checked against the space it sits in,
 * every child must be exactly one level below its parent (so a tree that
 * points back at itself ends after at most EXT_MAX_DEPTH reads), and every
 * disk block a run names is checked against the filesystem's size.
 */
#include <errno.h>

#include "fs/ext4_priv.h"

static int check_run(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t pblk, uint64_t len)
{
	if (pblk <= fs->first_data_block || pblk >= fs->blocks_count || len > fs->blocks_count - pblk)
		return ext4_fail(-EUCLEAN, "inode %u: blocks %llu+%llu are outside the filesystem (%llu blocks)",
				 in->ino, (unsigned long long)pblk, (unsigned long long)len,
				 (unsigned long long)fs->blocks_count);
	return 0;
}

/* An extent header in `space` bytes; depth < 0: the root, any depth allowed. */
static int check_header(const struct ext4_inode *in, const uint8_t *h, size_t space, int depth,
			uint64_t blk)
{
	uint16_t magic = le16(h), entries = le16(h + 2), max = le16(h + 4), d = le16(h + 6);

	if (magic != EXT_MAGIC)
		return ext4_fail(-EUCLEAN, "inode %u: extent header magic 0x%04x (want 0x%04x) in %s %llu",
				 in->ino, magic, EXT_MAGIC, blk ? "block" : "i_block", (unsigned long long)blk);
	if (max > (space - EXT_HDR) / EXT_ENTRY || entries > max)
		return ext4_fail(-EUCLEAN, "inode %u: extent node with %u of %u entries in %zu bytes",
				 in->ino, entries, max, space);
	if (depth < 0 ? d > EXT_MAX_DEPTH : d != depth)
		return ext4_fail(-EUCLEAN, "inode %u: extent node of depth %u where %d belongs", in->ino,
				 d, depth < 0 ? EXT_MAX_DEPTH : depth);
	return 0;
}

static int map_extents(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk,
		       struct ext4_run *run)
{
	const uint8_t *node = in->block;
	uint64_t limit = UINT64_MAX; /* where the parent's next subtree starts */
	int rc = check_header(in, node, IN_BLOCK_SIZE, -1, 0);

	if (rc < 0)
		return rc;
	run->pblk = 0;
	run->zero = true;
	if (lblk > UINT32_MAX) { /* extents address 2^32 blocks: past them is a hole */
		run->len = UINT64_MAX - lblk;
		return 0;
	}
	for (unsigned depth = le16(node + 6);; depth--) {
		unsigned entries = le16(node + 2);
		const uint8_t *e = node + EXT_HDR;

		if (depth > 0) {
			unsigned i;
			uint64_t child;

			if (entries == 0)
				return ext4_fail(-EUCLEAN, "inode %u: empty extent index node", in->ino);
			if (lblk < le32(e)) { /* before the first subtree */
				run->len = le32(e) - lblk;
				return 0;
			}
			for (i = 1; i < entries && le32(e + i * EXT_ENTRY) <= lblk; i++)
				;
			if (i < entries && le32(e + i * EXT_ENTRY) < limit)
				limit = le32(e + i * EXT_ENTRY);
			e += (i - 1) * EXT_ENTRY;
			child = le32(e + 4) | (uint64_t)le16(e + 8) << 32;
			if ((rc = check_run(fs, in, child, 1)) < 0 || (rc = ext4_block(fs, child, &node)) < 0 ||
			    (rc = check_header(in, node, fs->block_size, (int)depth - 1, child)) < 0)
				return rc;
			continue;
		}
		for (unsigned i = 0; i < entries; i++, e += EXT_ENTRY) {
			uint64_t start = le32(e), len = le16(e + 4);
			uint64_t pblk = le32(e + 8) | (uint64_t)le16(e + 6) << 32;
			bool unwritten = len > EXT_INIT_MAX_LEN;

			if (unwritten)
				len -= EXT_INIT_MAX_LEN;
			if (len == 0)
				return ext4_fail(-EUCLEAN, "inode %u: extent of length 0 at file block %llu",
						 in->ino, (unsigned long long)start);
			if (lblk < start) {
				run->len = (start < limit ? start : limit) - lblk;
				return 0;
			}
			if (lblk < start + len) {
				if ((rc = check_run(fs, in, pblk, len)) < 0)
					return rc;
				run->len = start + len - lblk;
				if (!unwritten) {
					run->pblk = pblk + (lblk - start);
					run->zero = false;
				}
				return 0;
			}
		}
		run->len = limit - lblk;
		return 0;
	}
}

/*
 * The run from index i of a leaf pointer array (n entries): consecutive
 * disk blocks, or consecutive zeros (a hole).
 */
static int leaf_run(struct ext4_fs *fs, const struct ext4_inode *in, const uint8_t *arr, unsigned n,
		    unsigned i, struct ext4_run *run)
{
	uint32_t first = le32(arr + 4 * i);
	unsigned j = i + 1;

	if (first == 0) {
		while (j < n && le32(arr + 4 * j) == 0)
			j++;
		*run = (struct ext4_run){ .pblk = 0, .len = j - i, .zero = true };
		return 0;
	}
	while (j < n && le32(arr + 4 * j) == (uint64_t)first + (j - i)) /* no wrap past 2^32 */
		j++;
	*run = (struct ext4_run){ .pblk = first, .len = j - i, .zero = false };
	return check_run(fs, in, first, j - i);
}

static int map_blockmap(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk,
			struct ext4_run *run)
{
	unsigned logp = fs->log_block_size - 2, p = 1u << logp; /* pointers per block */
	unsigned level;
	uint32_t ptr;
	int rc;

	if (lblk < 12)
		return leaf_run(fs, in, in->block, 12, (unsigned)lblk, run);
	lblk -= 12;
	/* level 1: single indirect (i_block[12]), 2: double, 3: triple */
	for (level = 1; level <= 3; level++) {
		if (lblk < (uint64_t)1 << (logp * level))
			break;
		lblk -= (uint64_t)1 << (logp * level);
	}
	if (level > 3) { /* beyond what a block map addresses */
		*run = (struct ext4_run){ .pblk = 0, .len = UINT64_MAX - lblk, .zero = true };
		return 0;
	}
	ptr = le32(in->block + 4 * (11 + level));
	for (;; level--) {
		uint64_t span = (uint64_t)1 << (logp * level); /* blocks under ptr */
		const uint8_t *arr;

		if (ptr == 0) {
			*run = (struct ext4_run){ .pblk = 0, .len = span - (lblk & (span - 1)), .zero = true };
			return 0;
		}
		if ((rc = check_run(fs, in, ptr, 1)) < 0 || (rc = ext4_block(fs, ptr, &arr)) < 0)
			return rc;
		if (level == 1)
			return leaf_run(fs, in, arr, p, (unsigned)(lblk & (p - 1)), run);
		ptr = le32(arr + 4 * ((lblk >> (logp * (level - 1))) & (p - 1)));
	}
}

int ext4_map(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk, struct ext4_run *run)
{
	if (in->flags & FL_INLINE_DATA)
		return ext4_fail(-ENOTSUP, "inode %u keeps its data inline (inline_data), "
				 "which this reader does not read", in->ino);
	if (in->flags & FL_EXTENTS) {
		if (!(fs->incompat & INCOMPAT_EXTENTS))
			return ext4_fail(-EUCLEAN, "inode %u uses extents on a filesystem without the "
					 "extents feature", in->ino);
		return map_extents(fs, in, lblk, run);
	}
	return map_blockmap(fs, in, lblk, run);
}
