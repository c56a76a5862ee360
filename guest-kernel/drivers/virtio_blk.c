/*
 * virtio-blk driver: one request queue (no VIRTIO_BLK_F_MQ), each request
 * a chain of header, data segments and status byte (§5.2.6).
 */
#include <stdio.h>
#include <string.h>

#include <flint.h>

#include "drivers/virtio_blk.h"
#include "drivers/virtio_mmio.h"
#include "drivers/virtq.h"

#define QUEUE_WANT        128
/* Bounds one request when the device sets no limit of its own: a bigger
 * one gains nothing and holds a buffer the size of the whole transfer. */
#define MAX_REQUEST_BYTES (4u << 20)
#define STATUS_UNSET      0xff
#define SYNC_BATCH        16
#define WANTED (1ull << VIRTIO_BLK_F_SIZE_MAX | 1ull << VIRTIO_BLK_F_SEG_MAX | \
		1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH)

struct blk_dev {
	struct virtio_dev *vdev;
	struct virtq *q;
	uint64_t capacity;
	uint32_t block_size;
	uint32_t seg_bytes;          /* largest data segment */
	uint32_t max_segs;           /* data segments per request */
	uint32_t max_sectors;
	bool read_only, send_writes;
	unsigned in_flight;
	struct blk_req *done_head, *done_tail;  /* completed, not yet handed out */
};

static struct blk_dev devs[VIRTIO_MAX_DEVICES];

const char *blk_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case BLK_EIO: return "I/O error reported by the device";
	case BLK_EUNSUPP: return "request not supported by the device";
	case BLK_EROFS: return "the disk is read-only";
	case BLK_ERANGE: return "beyond the end of the disk";
	case BLK_EINVAL: return "empty, too large, or not whole blocks";
	case BLK_EAGAIN: return "queue full";
	case BLK_EPROTO: return "the device returned no valid status";
	default: return "unknown error";
	}
}

/* Limits from the configuration space, each only if its feature was negotiated. */
static void read_config(struct blk_dev *b)
{
	struct virtio_dev *d = b->vdev;
	uint32_t v, ring_segs = virtq_size(b->q) - 2;   /* the header and status take two */
	uint64_t bytes;

	b->capacity = virtio_config_read64(d, VIRTIO_BLK_CFG_CAPACITY);
	b->read_only = virtio_has(d, VIRTIO_BLK_F_RO);
	b->block_size = BLK_SECTOR_SIZE;
	if (virtio_has(d, VIRTIO_BLK_F_BLK_SIZE)) {
		v = virtio_config_read32(d, VIRTIO_BLK_CFG_BLK_SIZE);
		if (v >= BLK_SECTOR_SIZE && v <= MAX_REQUEST_BYTES && !(v & (v - 1)))
			b->block_size = v;
		else
			printf("virtio-blk: ignoring block size %u (not a power of two from 512 up)\n", v);
	}
	b->seg_bytes = MAX_REQUEST_BYTES;
	if (virtio_has(d, VIRTIO_BLK_F_SIZE_MAX)) {
		v = virtio_config_read32(d, VIRTIO_BLK_CFG_SIZE_MAX);
		if (v >= BLK_SECTOR_SIZE && v < b->seg_bytes)
			b->seg_bytes = v & ~(uint32_t)(BLK_SECTOR_SIZE - 1);
	}
	b->max_segs = ring_segs;
	if (virtio_has(d, VIRTIO_BLK_F_SEG_MAX)) {
		v = virtio_config_read32(d, VIRTIO_BLK_CFG_SEG_MAX);
		if (v >= 1 && v < b->max_segs)
			b->max_segs = v;
	}
	bytes = (uint64_t)b->seg_bytes * b->max_segs;
	if (bytes > MAX_REQUEST_BYTES)
		bytes = MAX_REQUEST_BYTES;
	/* whole blocks; a segment holds at least one sector, so this is never 0 */
	bytes &= ~(uint64_t)(b->block_size - 1);
	if (bytes < b->block_size)
		bytes = b->block_size;
	b->max_sectors = (uint32_t)(bytes / BLK_SECTOR_SIZE);
}

struct blk_dev *blk_open(unsigned index)
{
	struct virtio_dev *d = virtio_find(VIRTIO_ID_BLOCK, index);
	struct blk_dev *b;

	if (!d)
		return NULL;
	b = &devs[index];    /* index < VIRTIO_MAX_DEVICES, or there would be no d */
	if (b->vdev == d)
		return b;
	memset(b, 0, sizeof(*b));
	if (!virtio_negotiate(d, WANTED))
		return NULL;
	b->q = virtio_queue_setup(d, 0, QUEUE_WANT);
	if (!b->q) {
		virtio_fail(d);
		return NULL;
	}
	b->vdev = d;
	read_config(b);
	if (!virtio_driver_ok(d)) {
		b->vdev = NULL;
		return NULL;
	}
	return b;
}

uint64_t blk_capacity(const struct blk_dev *b) { return b->capacity; }
bool blk_read_only(const struct blk_dev *b) { return b->read_only; }
uint32_t blk_block_size(const struct blk_dev *b) { return b->block_size; }
uint32_t blk_max_sectors(const struct blk_dev *b) { return b->max_sectors; }
unsigned blk_in_flight(const struct blk_dev *b) { return b->in_flight; }

void blk_test_send_writes_anyway(struct blk_dev *b)
{
	b->send_writes = true;
}

static int check(const struct blk_dev *b, const struct blk_req *r)
{
	uint32_t per_block = b->block_size / BLK_SECTOR_SIZE;

	if (r->op == BLK_FLUSH)
		return 0;
	if (r->op != BLK_READ && r->op != BLK_WRITE)
		return BLK_EINVAL;
	if (r->op == BLK_WRITE && b->read_only && !b->send_writes)
		return BLK_EROFS;
	if (r->nsectors == 0 || r->nsectors > b->max_sectors || !r->buf ||
	    r->sector % per_block || r->nsectors % per_block)
		return BLK_EINVAL;
	if (r->sector > b->capacity || r->nsectors > b->capacity - r->sector)
		return BLK_ERANGE;
	return 0;
}

static void complete_later(struct blk_dev *b, struct blk_req *r)
{
	r->next = NULL;
	if (b->done_tail)
		b->done_tail->next = r;
	else
		b->done_head = r;
	b->done_tail = r;
}

static int submit(struct blk_dev *b, struct blk_req *r, bool sync)
{
	struct virtq_seg segs[2 + QUEUE_WANT];
	uint32_t bytes = r->nsectors * BLK_SECTOR_SIZE;
	unsigned n = 0;
	int err = check(b, r);

	if (err)
		return err;
	r->sync = sync;
	r->done = false;
	r->status = 0;
	if (r->op == BLK_FLUSH && !virtio_has(b->vdev, VIRTIO_BLK_F_FLUSH)) {
		/* A device that does not offer FLUSH writes through (§5.2,
		 * "Device Operation"): nothing to send. */
		r->done = true;
		if (!sync)
			complete_later(b, r);
		return 0;
	}
	r->hdr.type = r->op == BLK_READ ? VIRTIO_BLK_T_IN :
		      r->op == BLK_WRITE ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_FLUSH;
	r->hdr.reserved = 0;
	r->hdr.sector = r->op == BLK_FLUSH ? 0 : r->sector;
	r->dev_status = STATUS_UNSET;
	segs[n++] = (struct virtq_seg){ &r->hdr, sizeof(r->hdr), false };
	if (r->op != BLK_FLUSH) {
		for (uint32_t off = 0; off < bytes; off += b->seg_bytes) {
			uint32_t len = bytes - off < b->seg_bytes ? bytes - off : b->seg_bytes;

			segs[n++] = (struct virtq_seg){ (char *)r->buf + off, len, r->op == BLK_READ };
		}
	}
	segs[n++] = (struct virtq_seg){ (const void *)&r->dev_status, 1, true };
	if (virtq_add(b->q, segs, n, r) < 0)
		return BLK_EAGAIN;
	b->in_flight++;
	return 0;
}

int blk_submit(struct blk_dev *b, struct blk_req *r)
{
	return submit(b, r, false);
}

void blk_kick(struct blk_dev *b)
{
	virtq_kick(b->q);
}

/* Takes one completion off the used ring, or NULL. */
static struct blk_req *reap(struct blk_dev *b)
{
	struct blk_req *r = virtq_pop(b->q, NULL);

	if (!r)
		return NULL;
	b->in_flight--;
	switch (r->dev_status) {
	case VIRTIO_BLK_S_OK: r->status = 0; break;
	case VIRTIO_BLK_S_IOERR: r->status = BLK_EIO; break;
	case VIRTIO_BLK_S_UNSUPP: r->status = BLK_EUNSUPP; break;
	default: r->status = BLK_EPROTO; break;
	}
	r->done = true;
	return r;
}

static struct blk_req *take_done(struct blk_dev *b)
{
	struct blk_req *r = b->done_head;

	if (r) {
		b->done_head = r->next;
		if (!b->done_head)
			b->done_tail = NULL;
	}
	return r;
}

struct blk_req *blk_poll(struct blk_dev *b)
{
	struct blk_req *r = take_done(b);

	if (r)
		return r;
	virtq_kick(b->q);
	return reap(b);
}

struct blk_req *blk_wait(struct blk_dev *b)
{
	struct blk_req *r = take_done(b);

	if (r || !b->in_flight)
		return r;
	virtq_wait(b->q);
	return reap(b);
}

/* Waits for any completion; the app's own are kept for blk_poll/blk_wait. */
static void wait_any(struct blk_dev *b)
{
	struct blk_req *c;

	virtq_wait(b->q);
	c = reap(b);
	if (c && !c->sync)
		complete_later(b, c);
}

static void wait_for(struct blk_dev *b, struct blk_req *r)
{
	while (!r->done)
		wait_any(b);
}

/* Runs a transfer as requests of at most max_sectors, up to SYNC_BATCH in flight. */
static int transfer(struct blk_dev *b, enum blk_op op, uint64_t sector, char *buf, uint64_t n)
{
	struct blk_req reqs[SYNC_BATCH];
	unsigned issued = 0, finished = 0;  /* reqs[finished .. issued) (mod N) are in flight */
	int err = 0;

	if (n == 0)
		return BLK_EINVAL;
	if (sector > b->capacity || n > b->capacity - sector)
		return BLK_ERANGE;
	while (n || finished != issued) {
		struct blk_req *r;

		if (n && issued - finished < SYNC_BATCH) {
			uint32_t chunk = n < b->max_sectors ? (uint32_t)n : b->max_sectors;
			int rc;

			r = &reqs[issued % SYNC_BATCH];
			*r = (struct blk_req){ .op = op, .sector = sector, .buf = buf, .nsectors = chunk };
			rc = submit(b, r, true);
			if (rc == 0) {
				issued++;
				sector += chunk;
				buf += (size_t)chunk * BLK_SECTOR_SIZE;
				n -= chunk;
				continue;
			}
			if (rc != BLK_EAGAIN) {
				err = rc;
				n = 0;
				continue;
			}
			if (finished == issued) {   /* the app's own requests fill the ring */
				wait_any(b);
				continue;
			}
		}
		r = &reqs[finished++ % SYNC_BATCH];
		wait_for(b, r);
		if (r->status && !err) {
			err = r->status;
			n = 0;     /* issue no more; drain what is in flight */
		}
	}
	return err;
}

int blk_read(struct blk_dev *b, uint64_t sector, void *buf, uint64_t nsectors)
{
	return transfer(b, BLK_READ, sector, buf, nsectors);
}

int blk_write(struct blk_dev *b, uint64_t sector, const void *buf, uint64_t nsectors)
{
	if (b->read_only && !b->send_writes)
		return BLK_EROFS;
	return transfer(b, BLK_WRITE, sector, (char *)buf, nsectors);
}

int blk_flush(struct blk_dev *b)
{
	struct blk_req r = { .op = BLK_FLUSH };
	int rc;

	while ((rc = submit(b, &r, true)) == BLK_EAGAIN)
		wait_any(b);
	if (rc)
		return rc;
	wait_for(b, &r);
	return r.status;
}
