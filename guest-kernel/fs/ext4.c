/*
 * The ext4 reader's mount, superblock, group descriptors and inodes, file
 * reads, and the VFS backend table.  What it accepts and refuses, and
 * why journal recovery is refused, is in ext4.h.
 *
 * Everything read from the image is checked before it is used as an
 * offset, a count or a block number: the superblock at mount (geometry
 * that the rest relies on), the rest on every use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/ext4_priv.h"

static char last_error[200];

const char *ext4_last_error(void)
{
	return last_error;
}

int ext4_fail(int err, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(last_error, sizeof(last_error), "ext4: ");

	va_start(ap, fmt);
	vsnprintf(last_error + n, sizeof(last_error) - (size_t)n, fmt, ap);
	va_end(ap);
	return err;
}

static const struct {
	uint32_t bit;
	const char *name;
} incompat_names[] = {
	{ INCOMPAT_COMPRESSION, "compression" },
	{ INCOMPAT_JOURNAL_DEV, "journal_dev (this is an external journal, not a filesystem)" },
	{ INCOMPAT_MMP, "mmp (multiple-mount protection)" },
	{ INCOMPAT_DIRDATA, "dirdata" },
	{ INCOMPAT_INLINE_DATA, "inline_data (make the image with -O ^inline_data)" },
	{ INCOMPAT_ENCRYPT, "encrypt" },
	{ INCOMPAT_CASEFOLD, "casefold" },
};

static int check_features(struct ext4_fs *fs)
{
	uint32_t bad;

	if (fs->incompat & INCOMPAT_RECOVER)
		return ext4_fail(-EUCLEAN, "the journal needs recovery, which this read-only reader "
				 "does not do: run e2fsck -fy on the image (or mount it once on Linux)");
	bad = fs->incompat & ~INCOMPAT_SUPPORTED;
	if (!bad)
		return 0;
	for (size_t i = 0; i < sizeof(incompat_names) / sizeof(incompat_names[0]); i++)
		if (bad & incompat_names[i].bit)
			return ext4_fail(-ENOTSUP, "unsupported incompatible feature %s",
					 incompat_names[i].name);
	return ext4_fail(-ENOTSUP, "unknown incompatible feature bits 0x%x", bad);
}

static bool pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

static int parse_super(struct ext4_fs *fs, const uint8_t *sb)
{
	uint32_t log = le32(sb + SB_LOG_BLOCK_SIZE);
	uint64_t gdt_blocks, max_inodes;
	int rc;

	if (le16(sb + SB_MAGIC) != EXT4_MAGIC)
		return ext4_fail(-EUCLEAN, "no ext2/3/4 superblock (magic 0x%04x at byte 1080, want 0x%04x)",
				 le16(sb + SB_MAGIC), EXT4_MAGIC);
	if (log > 6)
		return ext4_fail(-EUCLEAN, "block size 1024 << %u is beyond 64 KiB", log);
	fs->log_block_size = 10 + log;
	fs->block_size = 1u << fs->log_block_size;
	if (le32(sb + SB_REV_LEVEL) == 0) { /* the original ext2: no features, 128-byte inodes */
		fs->inode_size = IN_GOOD_OLD_SIZE;
	} else {
		fs->inode_size = le16(sb + SB_INODE_SIZE);
		fs->compat = le32(sb + SB_FEATURE_COMPAT);
		fs->incompat = le32(sb + SB_FEATURE_INCOMPAT);
		fs->ro_compat = le32(sb + SB_FEATURE_RO_COMPAT);
	}
	if ((rc = check_features(fs)) < 0)
		return rc;
	if (!pow2(fs->inode_size) || fs->inode_size < IN_GOOD_OLD_SIZE || fs->inode_size > fs->block_size)
		return ext4_fail(-EUCLEAN, "inode size %u (want a power of two, 128..%u)", fs->inode_size,
				 fs->block_size);
	fs->desc_size = GD_SIZE_32;
	fs->blocks_count = le32(sb + SB_BLOCKS_COUNT_LO);
	if (fs->incompat & INCOMPAT_64BIT) {
		fs->desc_size = le16(sb + SB_DESC_SIZE);
		if (!pow2(fs->desc_size) || fs->desc_size < GD_SIZE_64 || fs->desc_size > fs->block_size)
			return ext4_fail(-EUCLEAN, "group descriptor size %u (want a power of two, 64..%u)",
					 fs->desc_size, fs->block_size);
		fs->blocks_count |= (uint64_t)le32(sb + SB_BLOCKS_COUNT_HI) << 32;
	}
	fs->first_data_block = le32(sb + SB_FIRST_DATA_BLOCK);
	fs->blocks_per_group = le32(sb + SB_BLOCKS_PER_GROUP);
	fs->inodes_per_group = le32(sb + SB_INODES_PER_GROUP);
	fs->inodes_count = le32(sb + SB_INODES_COUNT);
	fs->first_meta_bg = le32(sb + SB_FIRST_META_BG);
	fs->backup_bgs[0] = le32(sb + SB_BACKUP_BGS);
	fs->backup_bgs[1] = le32(sb + SB_BACKUP_BGS + 4);

	/* The superblock sits at byte 1024, inside block first_data_block. */
	if (fs->first_data_block > SB_OFFSET >> fs->log_block_size ||
	    fs->blocks_count <= fs->first_data_block + 1)
		return ext4_fail(-EUCLEAN, "first data block %u of %llu blocks of %u bytes",
				 fs->first_data_block, (unsigned long long)fs->blocks_count, fs->block_size);
	if (fs->blocks_count > fs->dev_bytes >> fs->log_block_size)
		return ext4_fail(-EUCLEAN, "the superblock says %llu blocks of %u bytes but the device "
				 "holds %llu bytes (truncated image?)", (unsigned long long)fs->blocks_count,
				 fs->block_size, (unsigned long long)fs->dev_bytes);
	if (fs->blocks_per_group == 0 || fs->inodes_per_group == 0 ||
	    fs->inodes_per_group > 8 * fs->block_size)
		return ext4_fail(-EUCLEAN, "%u blocks and %u inodes per group", fs->blocks_per_group,
				 fs->inodes_per_group);
	fs->groups = (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) /
		     fs->blocks_per_group;
	if (fs->groups > UINT32_MAX) /* group numbers are 32-bit on disk */
		return ext4_fail(-EUCLEAN, "%llu block groups of %u blocks",
				 (unsigned long long)fs->groups, fs->blocks_per_group);
	max_inodes = fs->groups * fs->inodes_per_group;
	if (fs->inodes_count < EXT4_ROOT_INO || fs->inodes_count > max_inodes)
		return ext4_fail(-EUCLEAN, "%u inodes in %llu groups of %u", fs->inodes_count,
				 (unsigned long long)fs->groups, fs->inodes_per_group);
	gdt_blocks = (fs->groups * fs->desc_size + fs->block_size - 1) >> fs->log_block_size;
	if (fs->incompat & INCOMPAT_META_BG) {
		if (fs->first_meta_bg > gdt_blocks)
			return ext4_fail(-EUCLEAN, "first meta_bg %u beyond the %llu descriptor blocks",
					 fs->first_meta_bg, (unsigned long long)gdt_blocks);
		gdt_blocks = fs->first_meta_bg;
	}
	if (gdt_blocks > fs->blocks_count - fs->first_data_block - 1)
		return ext4_fail(-EUCLEAN, "%llu group descriptor blocks do not fit in %llu blocks",
				 (unsigned long long)gdt_blocks, (unsigned long long)fs->blocks_count);
	return 0;
}

/* Whether group g holds a superblock backup (and so, with meta_bg, starts with one). */
static bool group_has_super(const struct ext4_fs *fs, uint64_t g)
{
	if (g == 0)
		return true;
	if (fs->compat & COMPAT_SPARSE_SUPER2)
		return g == fs->backup_bgs[0] || g == fs->backup_bgs[1];
	if (g == 1 || !(fs->ro_compat & RO_COMPAT_SPARSE_SUPER))
		return true;
	if (!(g & 1))
		return false;
	for (uint64_t base = 3; base <= 7; base += 2) {
		uint64_t x = base;

		while (x < g)
			x *= base;
		if (x == g)
			return true;
	}
	return false;
}

static int inode_table(struct ext4_fs *fs, uint64_t g, uint64_t *table)
{
	uint32_t per_block = fs->block_size / fs->desc_size;
	uint64_t dblk = g / per_block, blk, itable_blocks;
	const uint8_t *b, *d;
	int rc;

	if (!(fs->incompat & INCOMPAT_META_BG) || dblk < fs->first_meta_bg) {
		blk = fs->first_data_block + 1 + dblk;
	} else {
		/* meta_bg: each meta group's descriptors sit in its first group */
		uint64_t first = dblk * per_block;

		blk = fs->first_data_block + first * fs->blocks_per_group + group_has_super(fs, first);
	}
	if ((rc = ext4_block(fs, blk, &b)) < 0)
		return rc;
	d = b + (g % per_block) * fs->desc_size;
	*table = le32(d + GD_INODE_TABLE_LO);
	if (fs->desc_size >= GD_SIZE_64)
		*table |= (uint64_t)le32(d + GD_INODE_TABLE_HI) << 32;
	itable_blocks = ((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size - 1) >>
			fs->log_block_size;
	if (*table <= fs->first_data_block || *table >= fs->blocks_count ||
	    itable_blocks > fs->blocks_count - *table)
		return ext4_fail(-EUCLEAN, "group %llu: inode table at block %llu is outside the "
				 "filesystem (%llu blocks)", (unsigned long long)g,
				 (unsigned long long)*table, (unsigned long long)fs->blocks_count);
	return 0;
}

int ext4_inode_get(struct ext4_fs *fs, uint64_t ino, struct ext4_inode *in)
{
	uint64_t g, table, byte;
	const uint8_t *b, *r;
	uint32_t type;
	int rc;

	if (ino < 1 || ino > fs->inodes_count)
		return ext4_fail(-EUCLEAN, "inode %llu is outside 1..%u", (unsigned long long)ino,
				 fs->inodes_count);
	g = (ino - 1) / fs->inodes_per_group;
	if ((rc = inode_table(fs, g, &table)) < 0)
		return rc;
	byte = (ino - 1) % fs->inodes_per_group * fs->inode_size;
	if ((rc = ext4_block(fs, table + (byte >> fs->log_block_size), &b)) < 0)
		return rc;
	r = b + (byte & (fs->block_size - 1));

	memset(in, 0, sizeof(*in));
	in->ino = (uint32_t)ino;
	in->mode = le16(r + IN_MODE);
	in->uid = le16(r + IN_UID) | (uint32_t)le16(r + IN_UID_HIGH) << 16;
	in->gid = le16(r + IN_GID) | (uint32_t)le16(r + IN_GID_HIGH) << 16;
	in->links = le16(r + IN_LINKS_COUNT);
	in->flags = le32(r + IN_FLAGS);
	in->size = le32(r + IN_SIZE_LO);
	/* i_size_high was i_dir_acl for directories before largedir */
	if (S_ISREG(in->mode) || (fs->incompat & INCOMPAT_LARGEDIR))
		in->size |= (uint64_t)le32(r + IN_SIZE_HIGH) << 32;
	in->mtime = (int32_t)le32(r + IN_MTIME);
	if (fs->inode_size > IN_GOOD_OLD_SIZE) {
		uint16_t extra = le16(r + IN_EXTRA_ISIZE);

		if (extra >= IN_MTIME_EXTRA + 4 - IN_GOOD_OLD_SIZE &&
		    extra <= fs->inode_size - IN_GOOD_OLD_SIZE)
			in->mtime += (int64_t)(le32(r + IN_MTIME_EXTRA) & 3) << 32;
	}
	in->blocks = le32(r + IN_BLOCKS_LO);
	if (fs->ro_compat & RO_COMPAT_HUGE_FILE)
		in->blocks |= (uint64_t)le16(r + IN_BLOCKS_HIGH) << 32;
	in->file_acl = le32(r + IN_FILE_ACL_LO) | (uint64_t)le16(r + IN_FILE_ACL_HIGH) << 32;
	memcpy(in->block, r + IN_BLOCK, IN_BLOCK_SIZE);

	if (in->links == 0)
		return ext4_fail(-EUCLEAN, "inode %llu is not in use (no links)", (unsigned long long)ino);
	type = in->mode & S_IFMT;
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFCHR &&
	    type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK)
		return ext4_fail(-EUCLEAN, "inode %llu has mode 0%o, not a file type",
				 (unsigned long long)ino, in->mode);
	return 0;
}

int64_t ext4_file_read(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t off, void *buf,
		       size_t len)
{
	uint64_t eof_blocks = (in->size + fs->block_size - 1) >> fs->log_block_size;
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		uint64_t lblk = off >> fs->log_block_size;
		uint32_t boff = (uint32_t)(off & (fs->block_size - 1));
		struct ext4_run run;
		uint64_t run_bytes;
		size_t n = len - done;
		int rc;

		if ((rc = ext4_map(fs, in, lblk, &run)) < 0)
			return rc;
		if (run.len == 0) /* the mappers never say so; a loop guard all the same */
			return ext4_fail(-EUCLEAN, "inode %u: empty run at block %llu", in->ino,
					 (unsigned long long)lblk);
		/* No read-ahead past the end: extents may run on (preallocation). */
		if (lblk < eof_blocks && run.len > eof_blocks - lblk)
			run.len = eof_blocks - lblk;
		run_bytes = run.len > (uint64_t)SIZE_MAX >> fs->log_block_size ? SIZE_MAX
			    : (run.len << fs->log_block_size) - boff;
		if (n > run_bytes)
			n = (size_t)run_bytes;
		if (run.zero) {
			memset(p, 0, n);
		} else if (boff == 0 && n >= fs->block_size &&
			   (n >= RA_BYTES || (n == run_bytes && !ext4_ra_holds(fs, run.pblk)))) {
			/* Big, or the rest of a short run: the window would only add a copy. */
			n &= ~(size_t)(fs->block_size - 1);
			if ((rc = ext4_read_blocks(fs, run.pblk, n >> fs->log_block_size, p)) < 0)
				return rc;
		} else {
			if ((rc = ext4_read_ra(fs, run.pblk, run.len, boff, p, n)) < 0)
				return rc;
			n = (size_t)rc;
		}
		p += n;
		off += n;
		done += n;
	}
	return (int64_t)done;
}

/* ---- the VFS backend ---- */

static int ext4_mount(const struct vfs_source *src, void **out, uint64_t *root)
{
	struct ext4_fs *fs = calloc(1, sizeof(*fs));
	struct ext4_inode in;
	uint8_t sb[SB_SIZE];
	int rc;

	if (!fs)
		return ext4_fail(-ENOMEM, "no memory");
	if (src->bdev) {
		struct blockdev *bd = src->bdev;

		if (!pow2(bd->block_size) || bd->block_size < 512 || bd->block_size > BLOCKDEV_MAX_BLOCK ||
		    bd->nblocks > UINT64_MAX / bd->block_size) {
			rc = ext4_fail(-EINVAL, "block device with %u-byte blocks", bd->block_size);
			goto fail;
		}
		fs->bdev = bd;
		fs->dev_bytes = bd->nblocks * bd->block_size;
	} else if (src->mem) {
		fs->mem = src->mem;
		fs->dev_bytes = src->len;
	} else {
		rc = ext4_fail(-EINVAL, "no image to mount");
		goto fail;
	}
	if (fs->dev_bytes < SB_OFFSET + SB_SIZE) {
		rc = ext4_fail(-EUCLEAN, "a %llu-byte device is too small for ext4",
			       (unsigned long long)fs->dev_bytes);
		goto fail;
	}
	if ((rc = ext4_dev_pread(fs, SB_OFFSET, sb, SB_SIZE)) < 0 || (rc = parse_super(fs, sb)) < 0 ||
	    (rc = ext4_io_init(fs)) < 0 || (rc = ext4_inode_get(fs, EXT4_ROOT_INO, &in)) < 0)
		goto fail;
	if (!S_ISDIR(in.mode)) {
		rc = ext4_fail(-EUCLEAN, "the root inode is not a directory (mode 0%o)", in.mode);
		goto fail;
	}
	*out = fs;
	*root = EXT4_ROOT_INO;
	return 0;
fail:
#if !__STDC_HOSTED__
	/* In the guest, say why: the VFS prints only the errno's name. */
	printf("%s\n", last_error);
#endif
	ext4_io_free(fs);
	free(fs);
	return rc;
}

static void ext4_unmount(void *fs)
{
	ext4_io_free(fs);
	free(fs);
}

static int ext4_stat(void *fsp, uint64_t ino, struct vfs_stat *st)
{
	struct ext4_inode in;
	int rc = ext4_inode_get(fsp, ino, &in);

	if (rc < 0)
		return rc;
	*st = (struct vfs_stat){ .ino = ino, .mode = in.mode, .nlink = in.links, .uid = in.uid,
				 .gid = in.gid, .size = in.size, .mtime = in.mtime };
	return 0;
}

static int ext4_lookup(void *fsp, uint64_t dir, const char *name, size_t namelen, uint64_t *ino)
{
	struct ext4_inode in;
	int rc = ext4_inode_get(fsp, dir, &in);

	if (rc < 0)
		return rc;
	if (!S_ISDIR(in.mode))
		return -ENOTDIR;
	return ext4_dir_lookup(fsp, &in, name, namelen, ino);
}

static int64_t ext4_read(void *fsp, uint64_t ino, uint64_t off, void *buf, size_t len)
{
	struct ext4_inode in;
	int rc = ext4_inode_get(fsp, ino, &in);

	if (rc < 0)
		return rc;
	if (S_ISDIR(in.mode))
		return -EISDIR;
	if (!S_ISREG(in.mode))
		return -EINVAL;
	if (off >= in.size)
		return 0;
	if (len > in.size - off)
		len = (size_t)(in.size - off);
	if (len > INT64_MAX)
		len = INT64_MAX;
	return ext4_file_read(fsp, &in, off, buf, len);
}

static int ext4_readdir(void *fsp, uint64_t ino, uint64_t *cookie, struct vfs_dirent *out)
{
	struct ext4_inode in;
	int rc = ext4_inode_get(fsp, ino, &in);

	if (rc < 0)
		return rc;
	if (!S_ISDIR(in.mode))
		return -ENOTDIR;
	return ext4_dir_next(fsp, &in, cookie, out);
}

static int64_t ext4_readlink(void *fsp, uint64_t ino, char *buf, size_t len)
{
	struct ext4_inode in;
	int rc = ext4_inode_get(fsp, ino, &in);

	if (rc < 0)
		return rc;
	if (!S_ISLNK(in.mode))
		return -EINVAL;
	return ext4_symlink_read(fsp, &in, buf, len);
}

const struct vfs_backend ext4_backend = {
	.name = "ext4",
	.mount = ext4_mount,
	.unmount = ext4_unmount,
	.lookup = ext4_lookup,
	.stat = ext4_stat,
	.read = ext4_read,
	.readdir = ext4_readdir,
	.readlink = ext4_readlink,
};
