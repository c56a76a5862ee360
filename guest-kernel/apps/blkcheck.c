/*
 * blkcheck: does the first virtio-blk disk keep what is written to it?
 *
 *   blkcheck [SEED]          write the pattern (blkpattern.h) over the whole
 *                            disk, flush, read it back and verify:
 *                            `blkcheck OK sectors=N`
 *   blkcheck verify [SEED]   only read and verify (the disk was written
 *                            before, by blkcheck, blkwrite or blkpattern.py)
 *   blkcheck ro [SEED]       the disk must be read-only: the driver must
 *                            refuse a write, the device must refuse one sent
 *                            anyway, and the disk must not change:
 *                            `blkcheck RO OK sectors=N`; with SEED, the
 *                            whole disk must also hold that pattern
 *   dev=N                    use the N-th virtio-blk disk instead
 *
 * The seed defaults to 1.  Exit status 0 on success, 1 when the disk
 * fails a check, 2 when there is no disk or the arguments are wrong.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "apps/blkpattern.h"
#include "drivers/virtio_blk.h"

#define CHUNK_SECTORS 2048     /* 1 MiB requests */
#define DEPTH         4        /* requests in flight */

struct slot {
	struct blk_req req;
	uint64_t *buf;
};

static struct blk_dev *dev;
static uint64_t chunk;
static struct slot slots[DEPTH];

static uint64_t ms_since(uint64_t t0)
{
	return (clock_ns() - t0) / 1000000;
}

/*
 * Writes (fill) or reads and checks the pattern over [0, capacity), DEPTH
 * requests in flight.  Returns true if every request succeeded and every
 * sector read matched; otherwise prints the first failure.
 */
static bool pass(enum blk_op op, uint64_t seed)
{
	uint64_t cap = blk_capacity(dev), next = 0, bad = UINT64_MAX;
	unsigned free_slots[DEPTH], nfree = DEPTH, bad_word = 0;
	int err = 0;
	const char *what = op == BLK_WRITE ? "write" : "read";

	for (unsigned i = 0; i < DEPTH; i++)
		free_slots[i] = i;
	while (next < cap || nfree < DEPTH) {
		struct blk_req *r;

		while (next < cap && nfree && !err) {
			struct slot *s = &slots[free_slots[nfree - 1]];
			uint64_t n = cap - next < chunk ? cap - next : chunk;
			int rc;

			if (op == BLK_WRITE)
				pattern_fill(s->buf, seed, next, n);
			s->req = (struct blk_req){ .op = op, .sector = next, .buf = s->buf,
						   .nsectors = (uint32_t)n, .user = s };
			rc = blk_submit(dev, &s->req);
			if (rc == BLK_EAGAIN)
				break;
			if (rc) {
				printf("blkcheck FAIL: %s of sectors %llu-%llu refused: %s\n", what,
				       (unsigned long long)next, (unsigned long long)(next + n - 1),
				       blk_strerror(rc));
				err = rc;
				break;
			}
			nfree--;
			next += n;
		}
		r = blk_wait(dev);
		if (!r)
			break;
		free_slots[nfree++] = (unsigned)((struct slot *)r->user - slots);
		if (r->status) {
			if (!err)
				printf("blkcheck FAIL: %s of sectors %llu-%llu: %s\n", what,
				       (unsigned long long)r->sector,
				       (unsigned long long)(r->sector + r->nsectors - 1),
				       blk_strerror(r->status));
			err = r->status;
		} else if (op == BLK_READ) {
			unsigned w;
			uint64_t i = pattern_check(r->buf, seed, r->sector, r->nsectors, &w);

			if (i < r->nsectors && r->sector + i < bad) {
				bad = r->sector + i;
				bad_word = w;
			}
		}
	}
	if (bad != UINT64_MAX) {
		/* Read the sector again (as the whole block it sits in) to show it. */
		uint64_t per_block = blk_block_size(dev) / BLK_SECTOR_SIZE, first = bad / per_block * per_block;
		uint64_t *got = slots[0].buf + (bad - first) * PATTERN_WORDS;

		if (blk_read(dev, first, slots[0].buf, per_block) == 0)
			printf("blkcheck FAIL: sector %llu differs from the pattern (seed %llu): word %u "
			       "is %#llx, expected %#llx\n", (unsigned long long)bad,
			       (unsigned long long)seed, bad_word, (unsigned long long)got[bad_word],
			       (unsigned long long)pattern_word(seed, bad, bad_word));
		else
			printf("blkcheck FAIL: sector %llu differs from the pattern (seed %llu)\n",
			       (unsigned long long)bad, (unsigned long long)seed);
		return false;
	}
	return err == 0;
}

/* A read-only disk: writes refused twice over, contents unchanged. */
static int check_read_only(uint64_t seed, bool have_seed)
{
	uint64_t n = blk_capacity(dev) < chunk ? blk_capacity(dev) : chunk;
	uint64_t *before = slots[0].buf, *attempt = slots[1].buf, *after = slots[2].buf;
	int rc;

	if (!blk_read_only(dev)) {
		printf("blkcheck FAIL: the disk is writable (no VIRTIO_BLK_F_RO); ro mode expects a "
		       "read-only drive\n");
		return 1;
	}
	rc = blk_read(dev, 0, before, n);
	if (rc) {
		printf("blkcheck FAIL: reading sectors 0-%llu: %s\n", (unsigned long long)n - 1,
		       blk_strerror(rc));
		return 1;
	}
	for (uint64_t i = 0; i < n * PATTERN_WORDS; i++)
		attempt[i] = ~before[i];
	rc = blk_write(dev, 0, attempt, n);
	if (rc != BLK_EROFS) {
		printf("blkcheck FAIL: the driver did not refuse a write to a read-only disk (%s)\n",
		       blk_strerror(rc));
		return 1;
	}
	blk_test_send_writes_anyway(dev);
	rc = blk_write(dev, 0, attempt, n);
	if (rc == 0) {
		printf("blkcheck FAIL: the device accepted a write to a read-only disk\n");
		return 1;
	}
	printf("blkcheck: the device refused a write: %s\n", blk_strerror(rc));
	rc = blk_read(dev, 0, after, n);
	if (rc || memcmp(before, after, n * BLK_SECTOR_SIZE)) {
		printf("blkcheck FAIL: sectors 0-%llu changed after refused writes%s%s\n",
		       (unsigned long long)n - 1, rc ? ": " : "", rc ? blk_strerror(rc) : "");
		return 1;
	}
	if (have_seed && !pass(BLK_READ, seed))
		return 1;
	printf("blkcheck RO OK sectors=%llu\n", (unsigned long long)blk_capacity(dev));
	return 0;
}

int main(int argc, char **argv)
{
	enum { WRITE_VERIFY, VERIFY, READ_ONLY } mode = WRITE_VERIFY;
	uint64_t seed = 1, t0;
	unsigned index = 0;
	bool have_seed = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "ro")) {
			mode = READ_ONLY;
		} else if (!strcmp(argv[i], "verify")) {
			mode = VERIFY;
		} else if (!strncmp(argv[i], "dev=", 4)) {
			index = (unsigned)strtoul(argv[i] + 4, NULL, 0);
		} else {
			seed = strtoull(argv[i], &end, 0);
			if (end == argv[i] || *end) {
				printf("blkcheck: unknown argument '%s' (want ro, verify, dev=N or a "
				       "seed)\n", argv[i]);
				return 2;
			}
			have_seed = true;
		}
	}
	dev = blk_open(index);
	if (!dev) {
		printf("blkcheck: no virtio-blk disk #%u (give the VM a drive)\n", index);
		return 2;
	}
	chunk = blk_max_sectors(dev) < CHUNK_SECTORS ? blk_max_sectors(dev) : CHUNK_SECTORS;
	for (unsigned i = 0; i < DEPTH; i++) {
		slots[i].buf = malloc(chunk * BLK_SECTOR_SIZE);
		if (!slots[i].buf) {
			printf("blkcheck: no memory for %u buffers of %llu KiB\n", DEPTH,
			       (unsigned long long)chunk / 2);
			return 2;
		}
	}
	printf("blkcheck: %llu sectors (%llu MiB), %s, block %u, requests up to %llu KiB\n",
	       (unsigned long long)blk_capacity(dev), (unsigned long long)blk_capacity(dev) >> 11,
	       blk_read_only(dev) ? "read-only" : "writable", blk_block_size(dev),
	       (unsigned long long)chunk / 2);
	if (mode == READ_ONLY)
		return check_read_only(seed, have_seed);
	if (mode == WRITE_VERIFY) {
		t0 = clock_ns();
		if (!pass(BLK_WRITE, seed))
			return 1;
		rc = blk_flush(dev);
		if (rc) {
			printf("blkcheck FAIL: flush: %s\n", blk_strerror(rc));
			return 1;
		}
		printf("blkcheck: wrote and flushed in %llu ms\n", (unsigned long long)ms_since(t0));
	}
	t0 = clock_ns();
	if (!pass(BLK_READ, seed))
		return 1;
	printf("blkcheck: read and verified in %llu ms\n", (unsigned long long)ms_since(t0));
	printf("blkcheck %sOK sectors=%llu\n", mode == VERIFY ? "verify " : "",
	       (unsigned long long)blk_capacity(dev));
	return 0;
}
