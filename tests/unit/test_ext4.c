/*
 * The ext4 reader (guest-kernel/fs/ext4*.c), hosted.
 *
 * tests/unit/ext4_images.sh builds a source tree and mke2fs -d copies of
 * it (ext4 with 4 KiB, 1 KiB and 64 KiB blocks, 64bit + meta_bg, ext3,
 * ext2 block maps; htree directories via e2fsck -D) under build/.  Every
 * image is read back through the VFS backend and compared with the tree:
 * names, types, sizes, bytes, symlink targets.  Then corruptions, placed
 * with debugfs's help (not the reader's), must give errors, not crashes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ext4_walk.h"
#include "fs/ext4_priv.h"

#define DIR_ "build/tests/ext4"
#define SRC DIR_ "/src"

static const struct vfs_backend *B = &ext4_backend;

static bool images_ready(void)
{
	static int state; /* 0 not tried, 1 ready, -1 failed */

	if (!state) {
		struct stat script, stamp;
		int rc = 0;

		/* Rebuilding takes seconds: only when the script is newer than the images. */
		if (stat("tests/unit/ext4_images.sh", &script) < 0 || stat(DIR_ "/stamp", &stamp) < 0 ||
		    script.st_mtime >= stamp.st_mtime)
			rc = system("tests/unit/ext4_images.sh " DIR_);

		state = rc == 0 ? 1 : -1;
		if (state < 0)
			fprintf(stderr, "  tests/unit/ext4_images.sh failed (status %d): "
				"e2fsprogs and python3 installed? (scripts/deps.sh test)\n", rc);
	}
	return state > 0;
}

/* ---- a block device over an image file, counting reads ---- */

struct filedev {
	struct blockdev bd;
	int fd;
	unsigned long reads;
	uint64_t bytes;
};

static int filedev_read(struct blockdev *bd, uint64_t first, uint32_t count, void *buf)
{
	struct filedev *d = bd->ctx;
	size_t len = (size_t)count * bd->block_size;

	if (first > bd->nblocks || count > bd->nblocks - first)
		return -ERANGE;
	if (pread(d->fd, buf, len, (off_t)(first * bd->block_size)) != (ssize_t)len)
		return -EIO;
	d->reads++;
	d->bytes += len;
	return 0;
}

static bool filedev_open(struct filedev *d, const char *img, uint32_t block_size)
{
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->fd = open(img, O_RDONLY);
	if (d->fd < 0 || fstat(d->fd, &st) < 0)
		return false;
	d->bd = (struct blockdev){ .block_size = block_size, .nblocks = (uint64_t)st.st_size / block_size,
				   .read = filedev_read, .ctx = d };
	return true;
}

/* ---- the whole image in a heap buffer (ASan sees every stray byte) ---- */

static uint8_t *load(const char *img, size_t *len)
{
	int fd = open(img, O_RDONLY);
	struct stat st;
	uint8_t *p = NULL;

	if (fd < 0 || fstat(fd, &st) < 0)
		goto out;
	*len = (size_t)st.st_size;
	p = malloc(*len);
	if (p && pread(fd, p, *len, 0) != (ssize_t)*len) {
		free(p);
		p = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	return p;
}

static int mount_mem(const uint8_t *mem, size_t len, void **fs, uint64_t *root)
{
	struct vfs_source src = { .mem = mem, .len = len };

	return B->mount(&src, fs, root);
}

/* ---- debugfs, to place corruptions independently of the reader ---- */

/* The first number matching fmt in the output of `debugfs -R cmd img`, or -1. */
static long long debugfs_num(const char *img, const char *cmd, const char *fmt)
{
	char line[512], sh[512];
	long long v = -1, a, b2, c;
	FILE *f;

	snprintf(sh, sizeof(sh), "PATH=$PATH:/sbin:/usr/sbin debugfs -R '%s' %s 2>/dev/null", cmd, img);
	if (!(f = popen(sh, "r")))
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f)) {
		int n = sscanf(line, fmt, &a, &b2, &c);

		if (n == 1)
			v = a;
		else if (n == 2)
			v = a * 100000000LL + b2; /* pairs: caller splits */
		else if (n == 3)
			v = c;
	}
	pclose(f);
	return v;
}

/* Byte offset of path's inode in the image. */
static long long inode_offset(const char *img, const char *path, uint32_t bs)
{
	char cmd[256];
	long long v;

	snprintf(cmd, sizeof(cmd), "imap %s", path);
	v = debugfs_num(img, cmd, " located at block %lld, offset 0x%llx");
	return v < 0 ? -1 : v / 100000000LL * bs + v % 100000000LL;
}

/* Disk block holding logical block lblk of path. */
static long long file_block(const char *img, const char *path, unsigned lblk)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "bmap %s %u", path, lblk);
	return debugfs_num(img, cmd, "%lld");
}

/* ---- comparing an image with the source tree ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_host(const char *path, char **names, int max)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_names);
	return n;
}

struct walkstat {
	int files, dirs, links, bytes_checked_mb;
};

static bool same_bytes(void *fs, uint64_t ino, const char *host, uint64_t off, size_t len, size_t chunk)
{
	uint8_t *want = malloc(len + 1), *got = malloc(len + 1);
	int fd = open(host, O_RDONLY);
	bool ok = want && got && fd >= 0;
	ssize_t hn = ok ? pread(fd, want, len, (off_t)off) : -1;
	size_t done = 0;

	ok = ok && hn >= 0;
	while (ok && done < (size_t)hn) {
		size_t n = (size_t)hn - done < chunk ? (size_t)hn - done : chunk;
		int64_t r = B->read(fs, ino, off + done, got + done, n);

		if (r != (int64_t)n) {
			fprintf(stderr, "  %s: read %zu at %llu gave %lld (%s)\n", host, n,
				(unsigned long long)(off + done), (long long)r, ext4_last_error());
			ok = false;
		}
		done += n;
	}
	if (ok && memcmp(want, got, (size_t)hn)) {
		fprintf(stderr, "  %s: bytes differ in [%llu, +%zd)\n", host, (unsigned long long)off, hn);
		ok = false;
	}
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	return ok;
}

/* Large sparse files: each data segment (SEEK_DATA) and 64 KiB of hole around it. */
static bool same_sparse(void *fs, uint64_t ino, const char *host, uint64_t size)
{
	int fd = open(host, O_RDONLY);
	off_t pos = 0, data, hole;
	bool ok = fd >= 0;

	while (ok && (data = lseek(fd, pos, SEEK_DATA)) >= 0) {
		uint64_t from = data > 65536 ? (uint64_t)data - 65536 : 0;

		hole = lseek(fd, data, SEEK_HOLE);
		uint64_t to = (uint64_t)hole + 65536 < size ? (uint64_t)hole + 65536 : size;
		ok = same_bytes(fs, ino, host, from, (size_t)(to - from), 1 << 20) &&
		     same_bytes(fs, ino, host, from + 1, 5000, 777);
		pos = hole;
	}
	/* a read past the end returns 0 */
	ok = ok && B->read(fs, ino, size, &pos, 1) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static bool compare_dir(void *fs, uint64_t dir, const char *host, struct walkstat *ws)
{
	char *hn[1024], *en[1024];
	struct vfs_dirent de;
	uint64_t cookie = 0;
	int nh = list_host(host, hn, 1024), ne = 0, rc;
	bool ok = nh >= 0;

	ws->dirs++;
	while ((rc = B->readdir(fs, dir, &cookie, &de)) > 0 && ne < 1024)
		if (dir != EXT4_ROOT_INO || strcmp(de.name, "lost+found")) /* mke2fs's own */
			en[ne++] = strdup(de.name);
	if (rc < 0) {
		fprintf(stderr, "  %s: readdir: %d %s\n", host, rc, ext4_last_error());
		ok = false;
	}
	qsort(en, (size_t)ne, sizeof(*en), cmp_names);
	if (ok && ne != nh) {
		fprintf(stderr, "  %s: %d entries, want %d\n", host, ne, nh);
		ok = false;
	}
	for (int i = 0; ok && i < nh; i++) {
		char path[4096], target[4096], got[4096];
		struct stat hs;
		struct vfs_stat st;
		uint64_t ino;

		if (strcmp(hn[i], en[i])) {
			fprintf(stderr, "  %s: entry %s, want %s\n", host, en[i], hn[i]);
			ok = false;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", host, hn[i]);
		if (lstat(path, &hs) < 0 || (rc = B->lookup(fs, dir, hn[i], strlen(hn[i]), &ino)) < 0 ||
		    (rc = B->stat(fs, ino, &st)) < 0) {
			fprintf(stderr, "  %s: lookup/stat failed: %s\n", path, ext4_last_error());
			ok = false;
			break;
		}
		if (st.mode != hs.st_mode || st.uid != hs.st_uid || st.gid != hs.st_gid ||
		    st.mtime != hs.st_mtime || (!S_ISDIR(hs.st_mode) && st.size != (uint64_t)hs.st_size) ||
		    (!S_ISDIR(hs.st_mode) && st.nlink != hs.st_nlink)) {
			fprintf(stderr, "  %s: mode 0%o size %llu mtime %lld, want 0%o %lld %lld\n", path,
				st.mode, (unsigned long long)st.size, (long long)st.mtime, hs.st_mode,
				(long long)hs.st_size, (long long)hs.st_mtime);
			ok = false;
		} else if (S_ISREG(hs.st_mode)) {
			ws->files++;
			if (hs.st_size > (64 << 20)) {
				ok = same_sparse(fs, ino, path, st.size);
			} else {
				ok = same_bytes(fs, ino, path, 0, (size_t)hs.st_size + 10, SIZE_MAX) &&
				     same_bytes(fs, ino, path, 0, (size_t)hs.st_size, 4093) &&
				     same_bytes(fs, ino, path, 0, (size_t)hs.st_size, 4096);
			}
			ok = ok && B->readlink(fs, ino, got, sizeof(got)) == -EINVAL;
		} else if (S_ISLNK(hs.st_mode)) {
			ssize_t tn = readlink(path, target, sizeof(target));
			int64_t gn = B->readlink(fs, ino, got, sizeof(got));

			ws->links++;
			if (gn != tn || memcmp(got, target, (size_t)tn)) {
				fprintf(stderr, "  %s: readlink %lld (%s)\n", path, (long long)gn,
					ext4_last_error());
				ok = false;
			}
			ok = ok && B->readlink(fs, ino, got, (size_t)tn - 1) == -ERANGE &&
			     B->read(fs, ino, 0, got, 1) == -EINVAL;
		} else if (S_ISDIR(hs.st_mode)) {
			ok = compare_dir(fs, ino, path, ws) && B->read(fs, ino, 0, got, 1) == -EISDIR;
		} else {
			ok = B->read(fs, ino, 0, got, 1) == -EINVAL;
		}
		if (!ok)
			fprintf(stderr, "  at %s\n", path);
	}
	for (int i = 0; i < nh; i++)
		free(hn[i]);
	for (int i = 0; i < ne; i++)
		free(en[i]);
	return ok;
}

static void check_image(const char *name, uint32_t dev_block)
{
	char img[256];
	struct filedev d;
	struct walkstat ws = { 0 };
	void *fs;
	uint64_t root;
	int rc;

	CHECK(images_ready());
	snprintf(img, sizeof(img), DIR_ "/%s.img", name);
	CHECK(filedev_open(&d, img, dev_block));
	rc = B->mount(&(struct vfs_source){ .bdev = &d.bd }, &fs, &root);
	if (rc < 0)
		fprintf(stderr, "  mount %s: %d %s\n", img, rc, ext4_last_error());
	CHECK(rc == 0);
	if (rc == 0) {
		CHECK(root == EXT4_ROOT_INO);
		CHECK(compare_dir(fs, root, SRC, &ws));
		/* the tree: 9 size_* + deep + big, sparse, frag + 600 + 2 names; 7 dirs; 3 symlinks */
		CHECK(ws.files == 615 && ws.dirs == 7 && ws.links == 3);
		B->unmount(fs);
	}
	close(d.fd);
}

TEST(ext4_4k_matches_tree) { check_image("ext4", 512); }
TEST(ext4_1k_matches_tree) { check_image("ext4_1k", 512); }
/* fs blocks smaller than the device's: partial device blocks via a bounce block */
TEST(ext4_1k_on_4k_device_matches_tree) { check_image("ext4_1k", 4096); }
TEST(ext4_64k_blocks_match_tree) { check_image("ext4_64k", 4096); }
TEST(ext4_64bit_meta_bg_matches_tree) { check_image("ext4_64bit_metabg", 4096); }
TEST(ext4_meta_bg_64_groups_matches_tree) { check_image("ext4_metabg_1k", 512); }
TEST(ext3_matches_tree) { check_image("ext3", 4096); }
TEST(ext2_1k_block_maps_match_tree) { check_image("ext2_1k", 1024); }
TEST(ext2_4k_block_maps_match_tree) { check_image("ext2_4k", 4096); }

/* The images exercise what they claim to: checked through the inodes themselves. */
TEST(images_have_htree_depth2_extents_and_block_maps)
{
	struct { const char *img; bool extents, htree; int depth; } want[] = {
		{ DIR_ "/ext4.img", true, true, 2 },
		{ DIR_ "/ext4_1k.img", true, true, 2 },
		{ DIR_ "/ext2_1k.img", false, false, -1 },
		{ DIR_ "/ext2_4k.img", false, true, -1 },
	};

	CHECK(images_ready());
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t len;
		uint8_t *mem = load(want[i].img, &len);
		void *fs = NULL;
		uint64_t root, ino;
		struct ext4_inode in;

		CHECK(mem && mount_mem(mem, len, &fs, &root) == 0);
		if (!fs) {
			free(mem);
			continue;
		}
		CHECK(!!(((struct ext4_fs *)fs)->incompat & INCOMPAT_EXTENTS) == want[i].extents);
		CHECK(B->lookup(fs, root, "many", 4, &ino) == 0 && ext4_inode_get(fs, ino, &in) == 0);
		CHECK(!!(in.flags & FL_INDEX) == want[i].htree);
		CHECK(B->lookup(fs, root, "frag", 4, &ino) == 0 && ext4_inode_get(fs, ino, &in) == 0);
		if (want[i].depth >= 0)
			CHECK((in.flags & FL_EXTENTS) && le16(in.block + 6) == want[i].depth);
		else
			CHECK(!(in.flags & FL_EXTENTS));
		B->unmount(fs);
		free(mem);
	}
}

/* Sequential reads: one device read per contiguous run, read-ahead for small reads. */
TEST(sequential_reads_are_coalesced)
{
	struct filedev d;
	void *fs;
	uint64_t root, ino;
	struct vfs_stat st;
	uint8_t *buf = malloc(8 << 20);
	unsigned long before;
	struct timespec t0, t1;

	CHECK(images_ready() && buf);
	CHECK(filedev_open(&d, DIR_ "/ext4.img", 512));
	CHECK(B->mount(&(struct vfs_source){ .bdev = &d.bd }, &fs, &root) == 0);
	CHECK(B->lookup(fs, root, "big", 3, &ino) == 0 && B->stat(fs, ino, &st) == 0);
	CHECK(st.size == 8 << 20);

	before = d.reads;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(B->read(fs, ino, 0, buf, 8 << 20) == 8 << 20);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* one extent (<= 32768 blocks), so a single read into buf, plus none for metadata (cached) */
	printf("ext4: 8 MiB in one call: %lu device reads, %.0f MB/s (host page cache)\n",
	       d.reads - before, 8.388608e6 / ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) * 1e3);
	CHECK(d.reads - before <= 2);

	before = d.reads;
	for (uint64_t off = 0; off < (8 << 20); off += 4096)
		CHECK(B->read(fs, ino, off, buf + off, 4096) == 4096);
	/* 4 KiB reads are served from 128 KiB read-ahead windows */
	printf("ext4: 8 MiB in 4 KiB calls: %lu device reads\n", d.reads - before);
	CHECK(d.reads - before <= (8 << 20) / RA_BYTES + 2);
	CHECK(same_bytes(fs, ino, SRC "/big", 0, 8 << 20, 1 << 20));
	B->unmount(fs);
	close(d.fd);
	free(buf);
}

/* ---- refusals ---- */

static int mount_patched(const char *img, size_t off, const void *bytes, size_t n)
{
	size_t len;
	uint8_t *mem = load(img, &len);
	void *fs;
	uint64_t root;
	int rc;

	if (!mem)
		return 1;
	memcpy(mem + off, bytes, n);
	rc = mount_mem(mem, len, &fs, &root);
	if (rc == 0)
		B->unmount(fs);
	free(mem);
	return rc;
}

static uint32_t sb_u32(const char *img, unsigned field)
{
	uint8_t b[4] = { 0 };
	int fd = open(img, O_RDONLY);

	if (fd >= 0) {
		if (pread(fd, b, 4, SB_OFFSET + field) != 4)
			memset(b, 0, 4);
		close(fd);
	}
	return le32(b);
}

TEST(refuses_bad_superblocks)
{
	const char *img = DIR_ "/small.img";
	uint8_t zero[4] = { 0 }, v[4];
	uint32_t f;

	CHECK(images_ready());
	CHECK(mount_patched(img, 0, zero, 0) == 0); /* the pristine image mounts */
	CHECK(mount_patched(img, SB_OFFSET + SB_MAGIC, zero, 2) == -EUCLEAN);
	CHECK_CONTAINS(ext4_last_error(), "magic");
	CHECK(mount_patched(img, SB_OFFSET + SB_LOG_BLOCK_SIZE, (uint8_t[]){ 7, 0, 0, 0 }, 4) == -EUCLEAN);
	CHECK_CONTAINS(ext4_last_error(), "64 KiB");
	CHECK(mount_patched(img, SB_OFFSET + SB_INODE_SIZE, (uint8_t[]){ 100, 0 }, 2) == -EUCLEAN);
	CHECK_CONTAINS(ext4_last_error(), "inode size");
	CHECK(mount_patched(img, SB_OFFSET + SB_BLOCKS_COUNT_LO, (uint8_t[]){ 0, 0, 0, 1 }, 4) == -EUCLEAN);
	CHECK_CONTAINS(ext4_last_error(), "truncated");
	CHECK(mount_patched(img, SB_OFFSET + SB_INODES_PER_GROUP, zero, 4) == -EUCLEAN);
	CHECK(mount_patched(img, SB_OFFSET + SB_BLOCKS_PER_GROUP, zero, 4) == -EUCLEAN);
	CHECK(mount_patched(img, SB_OFFSET + SB_INODES_COUNT, (uint8_t[]){ 0xff, 0xff, 0xff, 0xff }, 4) ==
	      -EUCLEAN);

	f = sb_u32(img, SB_FEATURE_INCOMPAT);
	memcpy(v, &(uint32_t){ f | INCOMPAT_RECOVER }, 4);
	CHECK(mount_patched(img, SB_OFFSET + SB_FEATURE_INCOMPAT, v, 4) == -EUCLEAN);
	CHECK_CONTAINS(ext4_last_error(), "e2fsck -fy");
	memcpy(v, &(uint32_t){ f | 0x80000000u }, 4);
	CHECK(mount_patched(img, SB_OFFSET + SB_FEATURE_INCOMPAT, v, 4) == -ENOTSUP);
	CHECK_CONTAINS(ext4_last_error(), "unknown incompatible feature bits 0x80000000");
	memcpy(v, &(uint32_t){ f | INCOMPAT_ENCRYPT }, 4);
	CHECK(mount_patched(img, SB_OFFSET + SB_FEATURE_INCOMPAT, v, 4) == -ENOTSUP);
	CHECK_CONTAINS(ext4_last_error(), "encrypt");
	/* RO_COMPAT bits are fine for a reader that never writes */
	memcpy(v, &(uint32_t){ sb_u32(img, SB_FEATURE_RO_COMPAT) | 0x40000000u }, 4);
	CHECK(mount_patched(img, SB_OFFSET + SB_FEATURE_RO_COMPAT, v, 4) == 0);

	CHECK(mount_patched(DIR_ "/inline.img", 0, zero, 0) == -ENOTSUP);
	CHECK_CONTAINS(ext4_last_error(), "inline_data");
	/* too small to hold a superblock */
	CHECK(mount_mem((const uint8_t *)"x", 1, &(void *){ NULL }, &(uint64_t){ 0 }) == -EUCLEAN);
}

/* ---- corrupt metadata: errors, never crashes ---- */

struct corrupt {
	uint8_t *mem;
	size_t len;
	void *fs;
	uint64_t root;
	uint32_t bs;
};

static bool corrupt_open(struct corrupt *c, const char *img)
{
	memset(c, 0, sizeof(*c));
	if (!(c->mem = load(img, &c->len)))
		return false;
	if (mount_mem(c->mem, c->len, &c->fs, &c->root) < 0)
		return false;
	c->bs = ((struct ext4_fs *)c->fs)->block_size;
	B->unmount(c->fs); /* remount after patching: nothing stale in the cache */
	c->fs = NULL;
	return true;
}

static int corrupt_remount(struct corrupt *c)
{
	return mount_mem(c->mem, c->len, &c->fs, &c->root);
}

static void corrupt_close(struct corrupt *c)
{
	if (c->fs)
		B->unmount(c->fs);
	free(c->mem);
}

static int64_t read_path(struct corrupt *c, const char *name, uint64_t off, size_t len)
{
	static uint8_t buf[1 << 16];
	uint64_t ino;
	int rc = B->lookup(c->fs, c->root, name, strlen(name), &ino);

	return rc < 0 ? rc : B->read(c->fs, ino, off, buf, len < sizeof(buf) ? len : sizeof(buf));
}

TEST(corrupt_extent_headers_are_errors)
{
	const char *img = DIR_ "/ext4.img";
	struct corrupt c;
	long long at;

	CHECK(images_ready() && corrupt_open(&c, img));
	at = inode_offset(img, "/size_65537", c.bs);
	CHECK(at > 0 && (size_t)at + 256 <= c.len);
	if (at <= 0)
		goto out;
	uint8_t *h = c.mem + at + IN_BLOCK, save[IN_BLOCK_SIZE];

	memcpy(save, h, sizeof(save));
	CHECK(corrupt_remount(&c) == 0 && read_path(&c, "size_65537", 0, 100) == 100);
	B->unmount(c.fs);

	h[0] ^= 0xff; /* magic */
	CHECK(corrupt_remount(&c) == 0 && read_path(&c, "size_65537", 0, 100) == -EUCLEAN);
	CHECK_CONTAINS(ext4_last_error(), "extent header magic");
	B->unmount(c.fs);
	memcpy(h, save, sizeof(save));

	h[6] = 6; /* depth beyond the kernel's 5 */
	CHECK(corrupt_remount(&c) == 0 && read_path(&c, "size_65537", 0, 100) == -EUCLEAN);
	B->unmount(c.fs);
	memcpy(h, save, sizeof(save));

	h[4] = 5; /* max entries beyond what i_block holds */
	CHECK(corrupt_remount(&c) == 0 && read_path(&c, "size_65537", 0, 100) == -EUCLEAN);
	B->unmount(c.fs);
	memcpy(h, save, sizeof(save));

	h[2] = 5; /* entries > max */
	CHECK(corrupt_remount(&c) == 0 && read_path(&c, "size_65537", 0, 100) == -EUCLEAN);
	B->unmount(c.fs);
	memcpy(h, save, sizeof(save));

	/* the first extent's start beyond the filesystem (ee_start_hi) */
	h[EXT_HDR + 6] = 0x7f;
	CHECK(corrupt_remount(&c) == 0 && read_path(&c, "size_65537", 0, 100) == -EUCLEAN);
	CHECK_CONTAINS(ext4_last_error(), "outside the filesystem");
	B->unmount(c.fs);
	memcpy(h, save, sizeof(save));

	/* a length-0 extent */
	h[EXT_HDR + 4] = h[EXT_HDR + 5] = 0;
	CHECK(corrupt_remount(&c) == 0 && read_path(&c, "size_65537", 0, 100) == -EUCLEAN);
	B->unmount(c.fs);
	memcpy(h, save, sizeof(save));
	c.fs = NULL;
out:
	corrupt_close(&c);
}

TEST(extent_index_loop_is_an_error)
{
	const char *img = DIR_ "/ext4.img";
	struct corrupt c;
	long long at, node;

	CHECK(images_ready() && corrupt_open(&c, img));
	/* frag's tree has depth 2: make the level-1 node's first child point at itself */
	at = inode_offset(img, "/frag", c.bs);
	node = debugfs_num(img, "ex /frag", " %*d/ %*d %*d/ %*d %*u - %*u %lld");
	CHECK(at > 0 && node > 0 && (size_t)(node + 1) * c.bs <= c.len);
	if (at > 0 && node > 0) {
		uint8_t *idx = c.mem + node * c.bs + EXT_HDR;

		CHECK(le16(c.mem + node * c.bs) == EXT_MAGIC && le16(c.mem + node * c.bs + 6) == 1);
		memcpy(idx + 4, &(uint32_t){ (uint32_t)node }, 4);
		memset(idx + 8, 0, 2);
		CHECK(corrupt_remount(&c) == 0 && read_path(&c, "frag", 0, 100) == -EUCLEAN);
		CHECK_CONTAINS(ext4_last_error(), "depth");
	}
	corrupt_close(&c);
}

TEST(corrupt_directory_entries_are_errors)
{
	const char *img = DIR_ "/ext4.img";
	struct corrupt c;
	long long blk;
	struct vfs_dirent de;
	uint64_t ino;

	CHECK(images_ready() && corrupt_open(&c, img));
	blk = file_block(img, "/a/b/c", 0);
	CHECK(blk > 0 && (size_t)(blk + 1) * c.bs <= c.len);
	if (blk <= 0)
		goto out;
	uint8_t *d = c.mem + blk * c.bs, save[65536];
	/* entry 0 is ".", 12 bytes; entry 1 ".." 12 bytes; entry 2 "d" */
	uint8_t *e2 = d + 24;
	const struct { int off, len; uint8_t bytes[4]; const char *what; } bad[] = {
		{ 4, 2, { 13, 0 }, "rec_len not a multiple of 4" },
		{ 4, 2, { 4, 0 }, "rec_len shorter than a header" },
		{ 4, 2, { 0, 0 }, "rec_len 0" },
		{ 4, 2, { 0xfc, 0xff }, "rec_len past the block" },
		{ 6, 1, { 200 }, "name_len past rec_len" },
		{ 0, 4, { 0xff, 0xff, 0xff, 0x7f }, "inode beyond s_inodes_count" },
		{ 8, 1, { '/' }, "a slash in a name" },
	};

	CHECK(e2[8] == 'd' && e2[6] == 1);
	memcpy(save, d, c.bs);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t cookie = 0;
		int rc;

		memcpy(e2 + bad[i].off, bad[i].bytes, (size_t)bad[i].len);
		CHECK(corrupt_remount(&c) == 0);
		CHECK(B->lookup(c.fs, c.root, "a", 1, &ino) == 0 && B->lookup(c.fs, ino, "b", 1, &ino) == 0 &&
		      B->lookup(c.fs, ino, "c", 1, &ino) == 0);
		rc = B->readdir(c.fs, ino, &cookie, &de);
		if (rc != -EUCLEAN)
			fprintf(stderr, "  %s: readdir %d\n", bad[i].what, rc);
		CHECK(rc == -EUCLEAN);
		CHECK(B->lookup(c.fs, ino, "d", 1, &(uint64_t){ 0 }) == -EUCLEAN);
		B->unmount(c.fs);
		memcpy(d, save, c.bs);
	}
	c.fs = NULL;
out:
	corrupt_close(&c);
}

TEST(corrupt_inode_table_pointer_is_an_error)
{
	const char *img = DIR_ "/ext4_1k.img";
	struct corrupt c;

	CHECK(images_ready() && corrupt_open(&c, img));
	/* 1 KiB blocks: group descriptors in block 2; bg_inode_table_lo at 8 */
	memcpy(c.mem + 2 * 1024 + GD_INODE_TABLE_LO, &(uint32_t){ 0xfffffff0u }, 4);
	CHECK(corrupt_remount(&c) == -EUCLEAN);
	CHECK_CONTAINS(ext4_last_error(), "inode table");
	c.fs = NULL;
	corrupt_close(&c);
}

/* Hostile bytes in the metadata the reader touches: many random flips, walked each time. */
static int log_blocks[4096], nlog;

static int logging_read(struct blockdev *bd, uint64_t first, uint32_t count, void *buf)
{
	const uint8_t *mem = bd->ctx;

	if (first > bd->nblocks || count > bd->nblocks - first)
		return -ERANGE;
	if (count == 1 && nlog < 4096)
		log_blocks[nlog++] = (int)first;
	memcpy(buf, mem + first * bd->block_size, (size_t)count * bd->block_size);
	return 0;
}

static void random_corruption(const char *img)
{
	struct corrupt c;
	struct blockdev bd;
	unsigned seed = 12345, mounted = 0;

	CHECK(images_ready() && corrupt_open(&c, img));
	/* which blocks does a walk read one at a time? (metadata, directories) */
	bd = (struct blockdev){ .block_size = c.bs, .nblocks = c.len / c.bs, .read = logging_read,
				.ctx = c.mem };
	nlog = 0;
	CHECK(ext4_walk_image(&(struct vfs_source){ .bdev = &bd }, 100000) == 0);
	CHECK(nlog > 10);
	for (int iter = 0; iter < 300 && nlog > 0; iter++) {
		size_t offs[8];
		uint8_t old[8];
		int n = 1 + (int)(rand_r(&seed) % 8);

		for (int k = 0; k < n; k++) {
			size_t blk = (size_t)log_blocks[rand_r(&seed) % (unsigned)nlog];

			offs[k] = blk * c.bs + (size_t)rand_r(&seed) % c.bs;
			old[k] = c.mem[offs[k]];
			c.mem[offs[k]] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		}
		mounted += ext4_walk_image(&(struct vfs_source){ .mem = c.mem, .len = c.len }, 3000) == 0;
		for (int k = n - 1; k >= 0; k--)
			c.mem[offs[k]] = old[k];
	}
	/* most flips leave the superblock alone: the walks did run */
	CHECK(mounted > 100);
	corrupt_close(&c);
}

TEST(random_metadata_corruption_ext4_1k) { random_corruption(DIR_ "/ext4_1k.img"); }
TEST(random_metadata_corruption_ext2_1k) { random_corruption(DIR_ "/ext2_1k.img"); }

CHECK_MAIN()
