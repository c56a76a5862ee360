/*
 * blkwrite N [SEED]: writes the disk pattern (blkpattern.h, seed default
 * 1) over the first N sectors of the first virtio-blk disk, flushes, and
 * powers off at once.  For the host-side test "data flushed before
 * power-off is in the file": tests/blkpattern.py checks the image after.
 * Exit status 0 when the writes and the flush succeeded, 1 if not, 2 for
 * no disk or bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>

#include "apps/blkpattern.h"
#include "drivers/virtio_blk.h"

#define CHUNK_SECTORS 2048

int main(int argc, char **argv)
{
	struct blk_dev *dev;
	uint64_t n, seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1, chunk, done;
	uint64_t *buf;
	char *end;
	int rc;

	n = argc > 1 ? strtoull(argv[1], &end, 0) : 0;
	if (argc < 2 || end == argv[1] || *end || n == 0) {
		printf("usage: blkwrite SECTORS [SEED]\n");
		return 2;
	}
	dev = blk_open(0);
	if (!dev) {
		printf("blkwrite: no virtio-blk disk (give the VM a drive)\n");
		return 2;
	}
	if (n > blk_capacity(dev)) {
		printf("blkwrite: the disk has %llu sectors, fewer than %llu\n",
		       (unsigned long long)blk_capacity(dev), (unsigned long long)n);
		return 2;
	}
	chunk = blk_max_sectors(dev) < CHUNK_SECTORS ? blk_max_sectors(dev) : CHUNK_SECTORS;
	buf = malloc(chunk * BLK_SECTOR_SIZE);
	if (!buf) {
		printf("blkwrite: no memory for a %llu KiB buffer\n", (unsigned long long)chunk / 2);
		return 2;
	}
	for (done = 0; done < n; done += chunk) {
		uint64_t k = n - done < chunk ? n - done : chunk;

		pattern_fill(buf, seed, done, k);
		rc = blk_write(dev, done, buf, k);
		if (rc) {
			printf("blkwrite: writing sectors %llu-%llu: %s\n", (unsigned long long)done,
			       (unsigned long long)(done + k - 1), blk_strerror(rc));
			return 1;
		}
	}
	rc = blk_flush(dev);
	if (rc) {
		printf("blkwrite: flush: %s\n", blk_strerror(rc));
		return 1;
	}
	printf("blkwrite: wrote %llu sectors with seed %llu, flushed\n", (unsigned long long)n,
	       (unsigned long long)seed);
	return 0;
}
