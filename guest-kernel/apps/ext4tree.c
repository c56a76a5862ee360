/*
 * ext4tree: reads an ext2/3/4 filesystem on a virtio-blk disk with the
 * guest's ext4 reader (fs/ext4.h), for tests and measurements.
 *
 *   ext4tree tree             one line per node, depth first:
 *                               d PATH MODE
 *                               f PATH MODE SIZE FNV1A64-OF-CONTENTS
 *                               l PATH TARGET
 *                               o PATH MODE          (devices, fifos, sockets)
 *                             then `ext4tree OK nodes=N`
 *   ext4tree bench PATH [K]   reads PATH in K-KiB calls (default 1024),
 *                             then as many bytes raw from the disk in the
 *                             same calls, twice, timing the second round: `ext4tree bench: ext4 X MB/s, raw
 *                             Y MB/s, N bytes`
 *   dev=N                     the N-th disk (default 0)
 *
 * Exit status 0, 1 when the reader fails (its message is printed), 2 for
 * bad arguments or no disk.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <flint.h>

#include "drivers/virtio_blk.h"
#include "fs/ext4.h"

static const struct vfs_backend *B = &ext4_backend;
static void *fs;
static char path[4096];
static uint8_t *buf;
static size_t bufsize = 1 << 20;
static unsigned long nodes;

static int disk_read(struct blockdev *bd, uint64_t first, uint32_t count, void *out)
{
	uint32_t per = bd->block_size / BLK_SECTOR_SIZE;

	if (first > bd->nblocks || count > bd->nblocks - first)
		return -ERANGE;
	return blk_read(bd->ctx, first * per, out, (uint64_t)count * per) < 0 ? -EIO : 0;
}

static int fail(const char *what, int64_t rc)
{
	printf("ext4tree: %s%s%s: error %lld: %s\n", what, *path ? " " : "", path, (long long)rc,
	       ext4_last_error());
	return 1;
}

static int walk(uint64_t dir, size_t plen)
{
	struct vfs_dirent de;
	uint64_t cookie = 0;
	int rc;

	while ((rc = B->readdir(fs, dir, &cookie, &de)) > 0) {
		size_t nlen = strlen(de.name);
		struct vfs_stat st;
		uint64_t ino;

		if (plen + 1 + nlen >= sizeof(path))
			return fail("path too long under", 0);
		path[plen] = '/';
		memcpy(path + plen + 1, de.name, nlen + 1);
		if ((rc = B->lookup(fs, dir, de.name, nlen, &ino)) < 0)
			return fail("lookup", rc);
		if ((rc = B->stat(fs, ino, &st)) < 0)
			return fail("stat", rc);
		nodes++;
		if (S_ISDIR(st.mode)) {
			printf("d %s %o\n", path, st.mode);
			if ((rc = walk(ino, plen + 1 + nlen)) != 0)
				return rc;
		} else if (S_ISREG(st.mode)) {
			uint64_t h = 0xcbf29ce484222325ull, off = 0;
			int64_t n;

			while ((n = B->read(fs, ino, off, buf, bufsize)) > 0) {
				for (int64_t i = 0; i < n; i++)
					h = (h ^ buf[i]) * 0x100000001b3ull;
				off += (uint64_t)n;
			}
			if (n < 0)
				return fail("read", n);
			printf("f %s %o %llu %016llx\n", path, st.mode, (unsigned long long)off,
			       (unsigned long long)h);
		} else if (S_ISLNK(st.mode)) {
			int64_t n = B->readlink(fs, ino, (char *)buf, 4096);

			if (n < 0)
				return fail("readlink", n);
			printf("l %s %.*s\n", path, (int)n, (char *)buf);
		} else {
			printf("o %s %o\n", path, st.mode);
		}
		path[plen] = 0;
	}
	return rc < 0 ? fail("readdir", rc) : 0;
}

static int bench(struct blk_dev *dev, uint64_t root, const char *file, size_t chunk)
{
	uint64_t ino = root, t0, t1, t2, off = 0;
	const char *p = file;
	int64_t n;
	int rc;

	snprintf(path, sizeof(path), "%s", file);
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len && (rc = B->lookup(fs, ino, p, len, &ino)) < 0)
			return fail("lookup", rc);
		p += len + (e != NULL);
	}
	/* Twice each, the second counted: the first also pays for warming up (TCG translates code). */
	for (int round = 0; round < 2; round++) {
		t0 = clock_ns();
		for (off = 0; (n = B->read(fs, ino, off, buf, chunk)) > 0;)
			off += (uint64_t)n;
		if (n < 0)
			return fail("read", n);
		t1 = clock_ns();
		for (uint64_t done = 0; done < off; done += chunk)
			if (blk_read(dev, done / BLK_SECTOR_SIZE, buf, chunk / BLK_SECTOR_SIZE) < 0)
				return fail("raw read", -EIO);
		t2 = clock_ns();
	}
	printf("ext4tree bench: ext4 %llu MB/s, raw %llu MB/s, %llu bytes in %zu-byte calls\n",
	       (unsigned long long)(off * 1000 / (t1 - t0 + 1)),
	       (unsigned long long)(off * 1000 / (t2 - t1 + 1)), (unsigned long long)off, chunk);
	return 0;
}

int main(int argc, char **argv)
{
	struct blockdev bd;
	struct blk_dev *dev;
	unsigned index = 0;
	uint64_t root;
	int a = 1, rc;

	if (a < argc && !strncmp(argv[a], "dev=", 4))
		index = (unsigned)atoi(argv[a++] + 4);
	if (a >= argc || (strcmp(argv[a], "tree") && strcmp(argv[a], "bench")) ||
	    (!strcmp(argv[a], "bench") && a + 1 >= argc)) {
		printf("usage: ext4tree [dev=N] tree | bench PATH [KiB]\n");
		return 2;
	}
	if (!(dev = blk_open(index))) {
		printf("ext4tree: no virtio-blk disk %u\n", index);
		return 2;
	}
	bd = (struct blockdev){ .block_size = blk_block_size(dev),
				.nblocks = blk_capacity(dev) * BLK_SECTOR_SIZE / blk_block_size(dev),
				.read = disk_read, .ctx = dev };
	if (!strcmp(argv[a], "bench") && a + 2 < argc)
		bufsize = (size_t)atoi(argv[a + 2]) << 10;
	if (bufsize < BLK_SECTOR_SIZE || !(buf = malloc(bufsize < 4096 ? 4096 : bufsize))) {
		printf("ext4tree: bad chunk size\n");
		return 2;
	}
	if ((rc = B->mount(&(struct vfs_source){ .bdev = &bd }, &fs, &root)) < 0) {
		printf("ext4tree: mount: error %d\n", rc); /* the reader has printed why */
		return 1;
	}
	if (!strcmp(argv[a], "bench"))
		return bench(dev, root, argv[a + 1], bufsize);
	if ((rc = walk(root, 0)) != 0)
		return rc;
	printf("ext4tree OK nodes=%lu\n", nodes);
	return 0;
}
