/*
 * Directories and symlinks.
 *
 * Directories are read linearly, block after block, entry after entry.
 * That covers htree (dir_index) directories too: their leaves are
 * ordinary entry blocks, and their index blocks look like one unused
 * entry spanning the block (the root's index hides inside ".."'s record),
 * so a linear walk skips them.  A lookup costs a scan of the directory.
 *
 * Every entry's record length and name length are checked against the
 * block before the name is touched; a directory cannot hold more blocks
 * than the filesystem has, so a corrupt size cannot make a walk endless.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/ext4_priv.h"

struct entry {
	uint32_t ino;                   /* 0: an unused record */
	unsigned type;                  /* the on-disk file type byte (filetype feature) */
	unsigned namelen;
	const uint8_t *name;            /* in the cache: valid until the next block read */
};

static int check_dir(struct ext4_fs *fs, const struct ext4_inode *dir)
{
	if (dir->size > fs->blocks_count << fs->log_block_size)
		return ext4_fail(-EUCLEAN, "directory inode %u claims %llu bytes, more than the "
				 "filesystem holds", dir->ino, (unsigned long long)dir->size);
	return 0;
}

/*
 * The directory block a walk is in: mapped and fetched once for all its
 * entries (the pointer stays valid while the walk reads no other block).
 */
struct cursor {
	uint64_t lblk;                  /* UINT64_MAX: none yet */
	const uint8_t *b;
};

/* The entry at *pos, advancing *pos past it: 1, 0 at the end, or an error. */
static int next_entry(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t *pos,
		      struct cursor *c, struct entry *e)
{
	uint64_t lblk = *pos >> fs->log_block_size;
	uint32_t off = (uint32_t)(*pos & (fs->block_size - 1)), room = fs->block_size - off;
	const uint8_t *d;
	uint32_t rec_len;
	int rc;

	if (*pos >= dir->size)
		return 0;
	if (c->lblk != lblk) {
		struct ext4_run run;

		c->lblk = UINT64_MAX;
		if ((rc = ext4_map(fs, dir, lblk, &run)) < 0)
			return rc;
		if (run.zero)
			return ext4_fail(-EUCLEAN, "directory inode %u has a hole at block %llu",
					 dir->ino, (unsigned long long)lblk);
		if ((rc = ext4_block(fs, run.pblk, &c->b)) < 0)
			return rc;
		c->lblk = lblk;
	}
	if (room < DE_HDR)
		return ext4_fail(-EUCLEAN, "directory inode %u: position %llu is not an entry",
				 dir->ino, (unsigned long long)*pos);
	d = c->b + off;
	rec_len = le16(d + 4);
	/* 64 KiB blocks: a record spanning the block does not fit 16 bits */
	if (fs->block_size == 65536 && (rec_len == 65535 || rec_len == 0))
		rec_len = 65536;
	else if (fs->block_size == 65536)
		rec_len = (rec_len & 65532) | (rec_len & 3) << 16;
	e->ino = le32(d);
	if (fs->incompat & INCOMPAT_FILETYPE) {
		e->namelen = d[6];
		e->type = d[7];
	} else {
		e->namelen = le16(d + 6);
		e->type = 0;
	}
	e->name = d + DE_HDR;
	if (rec_len < DE_HDR || rec_len % 4 || rec_len > room || e->namelen > rec_len - DE_HDR)
		return ext4_fail(-EUCLEAN, "directory inode %u block %llu offset %u: entry of %u bytes "
				 "with a %u-byte name in %u bytes", dir->ino, (unsigned long long)lblk,
				 off, rec_len, e->namelen, room);
	if (e->ino) {
		if (e->ino > fs->inodes_count || e->namelen == 0 || e->namelen > VFS_NAME_MAX ||
		    memchr(e->name, '/', e->namelen) || memchr(e->name, 0, e->namelen))
			return ext4_fail(-EUCLEAN, "directory inode %u block %llu offset %u: bad entry "
					 "(inode %u, name of %u bytes)", dir->ino,
					 (unsigned long long)lblk, off, e->ino, e->namelen);
	}
	*pos += rec_len;
	return 1;
}

static bool is_dot(const struct entry *e)
{
	return (e->namelen == 1 && e->name[0] == '.') ||
	       (e->namelen == 2 && e->name[0] == '.' && e->name[1] == '.');
}

/* The on-disk file type byte (1 file, 2 dir, 3 chr, 4 blk, 5 fifo, 6 sock, 7 symlink). */
static uint32_t type_bits(unsigned t)
{
	static const uint32_t bits[] = { 0, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK,
					 S_IFLNK };

	return t < sizeof(bits) / sizeof(bits[0]) ? bits[t] : 0;
}

int ext4_dir_next(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t *pos,
		  struct vfs_dirent *out)
{
	struct cursor c = { .lblk = UINT64_MAX };
	struct entry e;
	int rc = check_dir(fs, dir);

	if (rc < 0)
		return rc;
	while ((rc = next_entry(fs, dir, pos, &c, &e)) > 0) {
		if (!e.ino || is_dot(&e))
			continue;
		out->ino = e.ino;
		out->type = type_bits(e.type);
		memcpy(out->name, e.name, e.namelen);
		out->name[e.namelen] = 0;
		return 1;
	}
	return rc;
}

int ext4_dir_lookup(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name,
		    size_t namelen, uint64_t *ino)
{
	struct cursor c = { .lblk = UINT64_MAX };
	uint64_t pos = 0;
	struct entry e;
	int rc = check_dir(fs, dir);

	if (rc < 0)
		return rc;
	while ((rc = next_entry(fs, dir, &pos, &c, &e)) > 0) {
		if (e.ino && e.namelen == namelen && !memcmp(e.name, name, namelen)) {
			*ino = e.ino;
			return 0;
		}
	}
	return rc < 0 ? rc : -ENOENT;
}

int64_t ext4_symlink_read(struct ext4_fs *fs, const struct ext4_inode *in, char *buf, size_t len)
{
	uint64_t acl_blocks = in->file_acl ? (in->flags & FL_HUGE_FILE ? 1 : fs->block_size / 512) : 0;
	bool fast = !(in->flags & (FL_EXTENTS | FL_INLINE_DATA)) && in->blocks <= acl_blocks;

	if (in->size == 0 || in->size >= fs->block_size)
		return ext4_fail(-EUCLEAN, "symlink inode %u has a %llu-byte target", in->ino,
				 (unsigned long long)in->size);
	if (in->size > len)
		return -ERANGE;
	if (fast) {
		/* the target sits in i_block itself */
		if (in->size >= IN_BLOCK_SIZE)
			return ext4_fail(-EUCLEAN, "fast symlink inode %u has a %llu-byte target",
					 in->ino, (unsigned long long)in->size);
		memcpy(buf, in->block, (size_t)in->size);
		return (int64_t)in->size;
	}
	return ext4_file_read(fs, in, 0, buf, (size_t)in->size);
}
