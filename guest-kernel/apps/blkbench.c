/*
 * blkbench: sequential and random reads and writes, 4 KiB and 64 KiB, on
 * the first virtio-blk disk.  One line per case:
 *
 *   blkbench seq-read 64k: 812.3 MB/s 12996 IOPS
 *
 * (MB = 10^6 bytes.)  Arguments, all optional:
 *   size=32M   data per case (K, M, G suffixes; sequential cases wrap
 *              around a smaller disk)
 *   qd=8       requests kept in flight
 *   time=5     seconds per case at most: a case stops early, and reports
 *              what it did, when this runs out
 *   dev=N      the N-th virtio-blk disk
 * Writes destroy the disk's contents.  Exit status 0, or 1 on an I/O
 * error, 2 for no disk or bad arguments.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "drivers/virtio_blk.h"

#define MAX_QD 64

struct bench_case {
	const char *name;
	enum blk_op op;
	bool random;
	uint32_t sectors;
};

static const struct bench_case cases[] = {
	{ "seq-write 4k", BLK_WRITE, false, 8 },
	{ "seq-write 64k", BLK_WRITE, false, 128 },
	{ "seq-read 4k", BLK_READ, false, 8 },
	{ "seq-read 64k", BLK_READ, false, 128 },
	{ "rand-read 4k", BLK_READ, true, 8 },
	{ "rand-read 64k", BLK_READ, true, 128 },
	{ "rand-write 4k", BLK_WRITE, true, 8 },
	{ "rand-write 64k", BLK_WRITE, true, 128 },
};

static struct blk_dev *dev;
static uint64_t size = 32ull << 20, time_ns = 5000000000ull;
static unsigned qd = 8;
static struct blk_req reqs[MAX_QD];
static char *bufs[MAX_QD];
static uint64_t rng = 0x2545f4914f6cdd1dull;

/* xorshift64*: cheap, and good enough to scatter offsets. */
static uint64_t next_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	*out = v;
	return end != s && *end == '\0' && v > 0;
}

static bool run(const struct bench_case *c)
{
	uint64_t blocks = blk_capacity(dev) / c->sectors, ops = size / (c->sectors * BLK_SECTOR_SIZE);
	uint64_t submitted = 0, completed = 0, t0, ns, bytes, tenths;
	unsigned free_slots[MAX_QD], nfree = qd;

	if (blocks == 0 || c->sectors > blk_max_sectors(dev)) {
		printf("blkbench %s: skipped (disk or request limit too small)\n", c->name);
		return true;
	}
	if (ops == 0)
		ops = 1;
	for (unsigned i = 0; i < qd; i++)
		free_slots[i] = i;
	t0 = clock_ns();
	for (;;) {
		bool more = submitted < ops && clock_ns() - t0 < time_ns;
		struct blk_req *r;

		while (more && nfree) {
			unsigned i = free_slots[nfree - 1];
			uint64_t block = c->random ? next_random() % blocks : submitted % blocks;
			int rc;

			reqs[i] = (struct blk_req){ .op = c->op, .sector = block * c->sectors,
						    .buf = bufs[i], .nsectors = c->sectors };
			rc = blk_submit(dev, &reqs[i]);
			if (rc == BLK_EAGAIN)
				break;
			if (rc) {
				printf("blkbench %s: submit: %s\n", c->name, blk_strerror(rc));
				return false;
			}
			nfree--;
			more = ++submitted < ops;
		}
		r = blk_wait(dev);
		if (!r)
			break;
		free_slots[nfree++] = (unsigned)(r - reqs);
		if (r->status) {
			printf("blkbench %s: sector %llu: %s\n", c->name, (unsigned long long)r->sector,
			       blk_strerror(r->status));
			return false;
		}
		completed++;
	}
	ns = clock_ns() - t0;
	if (ns == 0)
		ns = 1;
	bytes = completed * c->sectors * BLK_SECTOR_SIZE;
	tenths = bytes * 10000 / ns;      /* bytes/ns = GB/s: x 10^4 gives tenths of MB/s */
	printf("blkbench %s: %llu.%llu MB/s %llu IOPS\n", c->name, (unsigned long long)tenths / 10,
	       (unsigned long long)tenths % 10, (unsigned long long)(completed * 1000000000ull / ns));
	return true;
}

int main(int argc, char **argv)
{
	unsigned index = 0;
	uint64_t v;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "size=", 5) && parse_size(a + 5, &size))
			continue;
		if (!strncmp(a, "qd=", 3) && (v = strtoull(a + 3, NULL, 0)) >= 1 && v <= MAX_QD) {
			qd = (unsigned)v;
			continue;
		}
		if (!strncmp(a, "time=", 5) && (v = strtoull(a + 5, NULL, 0)) >= 1) {
			time_ns = v * 1000000000ull;
			continue;
		}
		if (!strncmp(a, "dev=", 4)) {
			index = (unsigned)strtoul(a + 4, NULL, 0);
			continue;
		}
		printf("blkbench: bad argument '%s' (want size=32M, qd=1..%u, time=SECONDS, dev=N)\n",
		       a, MAX_QD);
		return 2;
	}
	dev = blk_open(index);
	if (!dev) {
		printf("blkbench: no virtio-blk disk #%u (give the VM a drive)\n", index);
		return 2;
	}
	for (unsigned i = 0; i < qd; i++) {
		bufs[i] = malloc(64 * 1024);
		if (!bufs[i]) {
			printf("blkbench: no memory for %u buffers of 64 KiB\n", qd);
			return 2;
		}
		/* not zeros: a host may treat zero writes specially */
		for (unsigned j = 0; j < 64 * 1024; j++)
			bufs[i][j] = (char)(j * 7 + i);
	}
	printf("blkbench: disk %llu MiB, qd %u, up to %llu MiB or %llu s per case\n",
	       (unsigned long long)blk_capacity(dev) >> 11, qd, (unsigned long long)size >> 20,
	       (unsigned long long)(time_ns / 1000000000ull));
	if (blk_read_only(dev)) {
		printf("blkbench: the disk is read-only: write cases will fail\n");
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!run(&cases[i]))
			return 1;
	return 0;
}
