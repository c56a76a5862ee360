/*
 * Writes a few well-formed inputs for fuzz_virtq (format described there)
 * into the directory given, so the fuzzer starts from requests that reach
 * deep into the blk path instead of rediscovering ring layout by itself.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>

#define QSIZE_LOG2 3
#define QSIZE (1u << QSIZE_LOG2)
#define AVAIL (16 * QSIZE)
#define HDR 0x400
#define DATA 0x800
#define STATUS 0x300
#define TABLE 0x200
#define LEN 0x1000

static uint8_t in[2 + LEN];
static uint8_t *mem = in + 2;
static unsigned ndesc, nhead;

static void put(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		uint16_t next)
{
	struct vring_desc d = { addr, len, flags, next };

	memcpy(mem + table + 16 * i, &d, sizeof(d));
}

static void reset(uint8_t mode)
{
	memset(in, 0, sizeof(in));
	in[0] = QSIZE_LOG2;
	in[1] = mode;
	ndesc = nhead = 0;
}

/* A direct chain of n descriptors starting at the next free slot. */
static void chain(const uint64_t *addr, const uint32_t *len, const uint16_t *flags, unsigned n)
{
	struct vring_avail *a = (struct vring_avail *)(mem + AVAIL);
	unsigned head = ndesc;

	for (unsigned i = 0; i < n; i++, ndesc++)
		put(0, ndesc, addr[i], len[i], flags[i] | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
		    (uint16_t)(ndesc + 1));
	a->ring[nhead++] = (uint16_t)head;
	a->idx = (uint16_t)nhead;
}

static void blk_request(uint32_t type, uint64_t sector, uint32_t data_len, bool data_writable)
{
	struct virtio_blk_outhdr h = { type, 0, sector };
	uint64_t addr[3] = { HDR, DATA, STATUS };
	uint32_t len[3] = { sizeof(h), data_len, 1 };
	uint16_t flags[3] = { 0, data_writable ? VRING_DESC_F_WRITE : 0, VRING_DESC_F_WRITE };

	memcpy(mem + HDR, &h, sizeof(h));
	if (data_len)
		chain(addr, len, flags, 3);
	else
		chain((uint64_t[]){ HDR, STATUS }, (uint32_t[]){ sizeof(h), 1 },
		      (uint16_t[]){ 0, VRING_DESC_F_WRITE }, 2);
}

static int save(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(in, 1, sizeof(in), f) != sizeof(in) || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct virtio_blk_discard_write_zeroes r = { 4, 8, 0 };
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	reset(0);
	chain((uint64_t[]){ DATA, DATA + 0x100 }, (uint32_t[]){ 16, 64 },
	      (uint16_t[]){ 0, VRING_DESC_F_WRITE }, 2);
	bad |= save(argv[1], "raw-chain");

	reset(1 | 2);
	put(TABLE, 0, DATA, 16, VRING_DESC_F_NEXT, 1);
	put(TABLE, 1, DATA + 0x100, 64, VRING_DESC_F_WRITE, 0);
	chain((uint64_t[]){ TABLE }, (uint32_t[]){ 32 }, (uint16_t[]){ VRING_DESC_F_INDIRECT }, 1);
	bad |= save(argv[1], "raw-indirect");

	reset(4);
	blk_request(VIRTIO_BLK_T_IN, 1, 512, true);
	blk_request(VIRTIO_BLK_T_OUT, 2, 512, false);
	blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	bad |= save(argv[1], "blk-in-out-flush");

	reset(4 | 2);
	blk_request(VIRTIO_BLK_T_GET_ID, 0, 20, true);
	memcpy(mem + DATA + 0x400, &r, sizeof(r));
	chain((uint64_t[]){ HDR + 0x20, DATA + 0x400, STATUS + 1 }, (uint32_t[]){ 16, 16, 1 },
	      (uint16_t[]){ 0, 0, VRING_DESC_F_WRITE }, 3);
	((struct virtio_blk_outhdr *)(mem + HDR + 0x20))->type = VIRTIO_BLK_T_WRITE_ZEROES;
	bad |= save(argv[1], "blk-getid-zeroes");

	reset(4 | 8 | 1);
	put(TABLE, 0, HDR, 16, VRING_DESC_F_NEXT, 1);
	put(TABLE, 1, DATA, 512, VRING_DESC_F_NEXT, 2);
	put(TABLE, 2, STATUS, 1, VRING_DESC_F_WRITE, 0);
	*(struct virtio_blk_outhdr *)(mem + HDR) = (struct virtio_blk_outhdr){ VIRTIO_BLK_T_OUT, 0, 3 };
	chain((uint64_t[]){ TABLE }, (uint32_t[]){ 48 }, (uint16_t[]){ VRING_DESC_F_INDIRECT }, 1);
	bad |= save(argv[1], "blk-ro-indirect-out");
	return bad;
}
