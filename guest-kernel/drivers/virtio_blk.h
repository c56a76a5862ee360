/*
 * virtio-blk (virtio 1.2 §5.2): disks in 512-byte sectors.
 *
 * Synchronous calls (blk_read, blk_write, blk_flush) split large
 * transfers into requests the device accepts and keep them all in flight.
 * The asynchronous ones (blk_submit, blk_kick, blk_poll, blk_wait) let an
 * app keep its own requests in flight; both kinds may be mixed.  Errors
 * are negative BLK_E* values; blk_strerror() names them.
 *
 * Buffers need no alignment: guest memory is identity-mapped, so a
 * buffer is one physically contiguous segment.
 */
#ifndef GUEST_DRIVERS_VIRTIO_BLK_H
#define GUEST_DRIVERS_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio_spec.h"

#define BLK_SECTOR_SIZE 512

#define BLK_EIO      (-1)   /* the device reported an I/O error */
#define BLK_EUNSUPP  (-2)   /* the device does not support the request */
#define BLK_EROFS    (-3)   /* a write to a read-only disk (refused by the driver) */
#define BLK_ERANGE   (-4)   /* beyond the end of the disk */
#define BLK_EINVAL   (-5)   /* empty, larger than blk_max_sectors(), or not whole blocks */
#define BLK_EAGAIN   (-6)   /* the queue is full: wait for a completion, then retry */
#define BLK_EPROTO   (-7)   /* the device completed the request without a valid status */

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH };

/*
 * One request.  The caller owns it and must leave it in place, untouched,
 * from blk_submit() until blk_poll() or blk_wait() hands it back.
 */
struct blk_req {
	enum blk_op op;
	uint64_t sector;                   /* BLK_READ, BLK_WRITE */
	void *buf;
	uint32_t nsectors;
	void *user;                        /* the caller's, untouched */
	int status;                        /* at completion: 0 or BLK_E* */
	/* the driver's */
	struct virtio_blk_req_hdr hdr;     /* read by the device */
	volatile uint8_t dev_status;       /* written by the device */
	bool sync, done;
	struct blk_req *next;              /* on the list of completions not yet handed out */
};

struct blk_dev;

/*
 * The index-th (from 0) virtio-blk device on the command line, initialized
 * on first use; the same handle afterwards.  NULL if there is no such
 * device or it could not be set up (the console says why).
 */
struct blk_dev *blk_open(unsigned index);

uint64_t blk_capacity(const struct blk_dev *dev);      /* in 512-byte sectors */
bool blk_read_only(const struct blk_dev *dev);         /* VIRTIO_BLK_F_RO */
uint32_t blk_block_size(const struct blk_dev *dev);    /* bytes; requests are whole blocks */
uint32_t blk_max_sectors(const struct blk_dev *dev);   /* largest request, from seg_max and size_max */
unsigned blk_in_flight(const struct blk_dev *dev);

int blk_read(struct blk_dev *dev, uint64_t sector, void *buf, uint64_t nsectors);
int blk_write(struct blk_dev *dev, uint64_t sector, const void *buf, uint64_t nsectors);
/* Makes completed writes durable.  Without VIRTIO_BLK_F_FLUSH the device writes through: 0 at once. */
int blk_flush(struct blk_dev *dev);

/*
 * Queues req (op, sector, buf, nsectors set; nsectors at most
 * blk_max_sectors()).  Returns 0, or a BLK_E* error with nothing queued;
 * BLK_EAGAIN means the ring is full.  The device is told at blk_kick(),
 * blk_poll() or blk_wait(), so a batch of submits costs one notification.
 */
int blk_submit(struct blk_dev *dev, struct blk_req *req);
void blk_kick(struct blk_dev *dev);
/* A completed request (its status set), or NULL if none has completed yet. */
struct blk_req *blk_poll(struct blk_dev *dev);
/* Waits for a completed request; NULL if none is in flight. */
struct blk_req *blk_wait(struct blk_dev *dev);

const char *blk_strerror(int err);

/*
 * For tests of the device's own checks: send writes to a read-only disk
 * instead of refusing them with BLK_EROFS.
 */
void blk_test_send_writes_anyway(struct blk_dev *dev);

#endif
