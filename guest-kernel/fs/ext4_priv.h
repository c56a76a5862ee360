/*
 * The ext4 reader's insides, shared by ext4.c (mount, inodes, the backend
 * table), ext4_io.c (device reads, block cache, read-ahead), ext4_map.c
 * (file block -> disk block) and ext4_dir.c (directories, symlinks).
 *
 * On-disk fields are read by byte offset with le16()/le32() rather than
 * through packed structs: no alignment or endianness assumptions, and an
 * offset is checked against the buffer it reads from.  Offsets are those
 * of the kernel's Documentation/filesystems/ext4 (superblock, group
 * descriptors, inodes, extent tree, directory entries).
 */
#ifndef GUEST_FS_EXT4_PRIV_H
#define GUEST_FS_EXT4_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/ext4.h"

/* ---- superblock (at byte 1024, 1024 bytes) ---- */
#define SB_OFFSET              1024u
#define SB_SIZE                1024u
#define SB_INODES_COUNT        0
#define SB_BLOCKS_COUNT_LO     4
#define SB_FIRST_DATA_BLOCK    20
#define SB_LOG_BLOCK_SIZE      24
#define SB_BLOCKS_PER_GROUP    32
#define SB_INODES_PER_GROUP    40
#define SB_MAGIC               56
#define SB_REV_LEVEL           76
#define SB_INODE_SIZE          88
#define SB_FEATURE_COMPAT      92
#define SB_FEATURE_INCOMPAT    96
#define SB_FEATURE_RO_COMPAT   100
#define SB_DESC_SIZE           254
#define SB_FIRST_META_BG       260
#define SB_BLOCKS_COUNT_HI     336
#define SB_BACKUP_BGS          588   /* sparse_super2: the two groups with backups */
#define EXT4_MAGIC             0xef53

#define COMPAT_SPARSE_SUPER2   0x0200
#define RO_COMPAT_SPARSE_SUPER 0x0001
#define RO_COMPAT_HUGE_FILE    0x0008

#define INCOMPAT_COMPRESSION   0x00001
#define INCOMPAT_FILETYPE      0x00002
#define INCOMPAT_RECOVER       0x00004
#define INCOMPAT_JOURNAL_DEV   0x00008
#define INCOMPAT_META_BG       0x00010
#define INCOMPAT_EXTENTS       0x00040
#define INCOMPAT_64BIT         0x00080
#define INCOMPAT_MMP           0x00100
#define INCOMPAT_FLEX_BG       0x00200
#define INCOMPAT_EA_INODE      0x00400
#define INCOMPAT_DIRDATA       0x01000
#define INCOMPAT_CSUM_SEED     0x02000
#define INCOMPAT_LARGEDIR      0x04000
#define INCOMPAT_INLINE_DATA   0x08000
#define INCOMPAT_ENCRYPT       0x10000
#define INCOMPAT_CASEFOLD      0x20000
#define INCOMPAT_SUPPORTED (INCOMPAT_FILETYPE | INCOMPAT_META_BG | INCOMPAT_EXTENTS | \
	INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_EA_INODE | INCOMPAT_CSUM_SEED | \
	INCOMPAT_LARGEDIR)

/* ---- group descriptor ---- */
#define GD_INODE_TABLE_LO      8
#define GD_INODE_TABLE_HI      0x28
#define GD_SIZE_32             32
#define GD_SIZE_64             64

/* ---- inode ---- */
#define EXT4_ROOT_INO          2
#define IN_MODE                0
#define IN_UID                 2
#define IN_SIZE_LO             4
#define IN_MTIME               16
#define IN_GID                 24
#define IN_LINKS_COUNT         26
#define IN_BLOCKS_LO           28
#define IN_FLAGS               32
#define IN_BLOCK               40    /* i_block[15]: 60 bytes */
#define IN_BLOCK_SIZE          60
#define IN_FILE_ACL_LO         104
#define IN_SIZE_HIGH           108
#define IN_BLOCKS_HIGH         116
#define IN_FILE_ACL_HIGH       118
#define IN_UID_HIGH            120
#define IN_GID_HIGH            122
#define IN_EXTRA_ISIZE         128
#define IN_MTIME_EXTRA         136   /* low 2 bits: epoch bits 32-33 of i_mtime */
#define IN_GOOD_OLD_SIZE       128

#define FL_INDEX               0x00001000   /* htree directory: read linearly */
#define FL_ENCRYPT             0x00000800
#define FL_HUGE_FILE           0x00040000
#define FL_EXTENTS             0x00080000
#define FL_INLINE_DATA         0x10000000

/* ---- extent tree ---- */
#define EXT_MAGIC              0xf30a
#define EXT_MAX_DEPTH          5      /* the kernel's EXT4_MAX_EXTENT_DEPTH */
#define EXT_HDR                12
#define EXT_ENTRY              12
#define EXT_INIT_MAX_LEN       32768  /* longer ee_len: unwritten, reads as zeros */

/* ---- directory entries ---- */
#define DE_HDR                 8

/* Block cache: metadata and directory blocks, LRU. */
#define CACHE_BYTES_MAX        (1u << 20)
#define CACHE_SLOTS_MAX        64
#define CACHE_SLOTS_MIN        16
/* Read-ahead window for file data read in pieces smaller than a block run. */
#define RA_BYTES               (128u << 10)

struct ext4_cache_slot {
	uint64_t blk;
	uint64_t used;                  /* LRU stamp; 0 = empty */
	uint8_t *data;
};

struct ext4_fs {
	/* the device */
	const uint8_t *mem;             /* image in memory, or NULL */
	struct blockdev *bdev;          /* or a block device */
	uint64_t dev_bytes;
	uint8_t *bounce;                /* one device block, when fs blocks are smaller */

	/* geometry, from the superblock, all checked at mount */
	uint32_t block_size;            /* 1 KiB .. 64 KiB */
	unsigned log_block_size;        /* log2(block_size) */
	uint64_t blocks_count;
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t inodes_count;
	uint32_t inode_size;
	uint32_t desc_size;
	uint32_t first_meta_bg;
	uint32_t backup_bgs[2];
	uint64_t groups;
	uint32_t incompat, ro_compat, compat;

	/* metadata block cache */
	struct ext4_cache_slot *slots;
	unsigned nslots;
	uint64_t clock;

	/* read-ahead window: disk blocks [ra_blk, ra_blk + ra_count) */
	uint8_t *ra;
	uint64_t ra_blk;
	uint32_t ra_count, ra_max;
};

/* An inode, parsed. */
struct ext4_inode {
	uint32_t ino;
	uint16_t mode;
	uint32_t uid, gid;
	uint16_t links;
	uint64_t size;
	int64_t mtime;
	uint32_t flags;
	uint64_t blocks;                /* i_blocks, 512-byte units unless HUGE_FILE */
	uint64_t file_acl;
	uint8_t block[IN_BLOCK_SIZE];   /* i_block: extent root, block map or fast symlink */
};

/* Where a run of file blocks lives: len blocks from pblk, or a hole (pblk 0). */
struct ext4_run {
	uint64_t pblk;
	uint64_t len;
	bool zero;                      /* read as zeros: a hole or an unwritten extent */
};

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Records the message for ext4_last_error() and returns err (negative). */
int ext4_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ext4_io.c */
int ext4_io_init(struct ext4_fs *fs);
void ext4_io_free(struct ext4_fs *fs);
/* Bytes [off, off + len) of the device, any alignment (for the superblock). */
int ext4_dev_pread(struct ext4_fs *fs, uint64_t off, void *buf, size_t len);
/* A metadata block through the cache; valid until the next ext4_block() call. */
int ext4_block(struct ext4_fs *fs, uint64_t blk, const uint8_t **data);
/* count whole blocks from blk straight into buf: one device read. */
int ext4_read_blocks(struct ext4_fs *fs, uint64_t blk, uint64_t count, void *buf);
/*
 * len bytes at offset off inside the run of disk blocks [blk, blk + avail)
 * (off < block_size), through the read-ahead window.
 */
bool ext4_ra_holds(const struct ext4_fs *fs, uint64_t blk);
int ext4_read_ra(struct ext4_fs *fs, uint64_t blk, uint64_t avail, uint32_t off, void *buf,
		 size_t len);

/* ext4_map.c: the run that holds file block lblk (len >= 1). */
int ext4_map(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk, struct ext4_run *run);

/* ext4.c */
int ext4_inode_get(struct ext4_fs *fs, uint64_t ino, struct ext4_inode *in);
/* File bytes, holes as zeros; in->size is not applied (callers clamp). */
int64_t ext4_file_read(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t off, void *buf,
		       size_t len);

/* ext4_dir.c */
int ext4_dir_next(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t *pos,
		  struct vfs_dirent *out);
int ext4_dir_lookup(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name,
		    size_t namelen, uint64_t *ino);
int64_t ext4_symlink_read(struct ext4_fs *fs, const struct ext4_inode *in, char *buf, size_t len);

#endif
