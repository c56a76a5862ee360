/*
 * Split virtqueue, device side (virtio 1.2 §2.7), shared by every device.
 *
 * The guest can rewrite any byte of its rings at any moment, so nothing here
 * trusts a value read twice: each descriptor is loaded once into a local
 * copy, checked, and only host pointers produced by guest_ptr() leave this
 * file.  A violation stops the queue for good (until the transport resets
 * it) and reports once through hooks.fail.
 *
 * Threading: one thread at a time drives a queue (the transport serialises
 * notifies with its per-queue run lock).  `halt` is the only field another
 * thread writes while it does, with an atomic store (made under the
 * transport's lock); virtq_init and a reset write the rest only while no
 * handler can run.  The full rule is at the top of virtio/mmio.c.
 */
#ifndef FLINT_VIRTIO_QUEUE_H
#define FLINT_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

#include "guest_mem.h"

/*
 * Largest queue we accept.  It also bounds a chain (direct plus indirect
 * segments), so a chain fits a fixed array and loops end by count.
 */
#define VIRTQ_SIZE_MAX 256

struct virtq;

/* How a queue reaches its transport; set by whoever creates the queue. */
struct virtq_hooks {
	void *ctx;
	/* The queue broke (guest violated the ring protocol); called once. */
	void (*fail)(void *ctx, struct virtq *q, const char *why);
	/* Used buffers are waiting and the driver wants to hear of them. */
	void (*interrupt)(void *ctx, struct virtq *q);
};

struct virtq_seg {
	uint8_t *p;      /* host pointer, checked: [p, p + len) is guest RAM */
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

/* One descriptor chain, flattened.  Readable segments come first. */
struct virtq_chain {
	uint16_t head;
	uint16_t n;          /* segments */
	uint16_t n_read;     /* seg[0..n_read) readable, seg[n_read..n) writable */
	uint64_t read_bytes, write_bytes;
	struct virtq_seg seg[VIRTQ_SIZE_MAX];
};

struct virtq {
	const struct guest_mem *mem;
	unsigned index;
	uint16_t size;
	uint64_t features;   /* negotiated, whole 64 bits: devices may look */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	struct virtq_hooks hooks;

	uint16_t last_avail;     /* next avail ring slot to consume */
	uint16_t used_idx;       /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx when we last interrupted (EVENT_IDX) */
	bool signalled_valid;
	bool unsignalled;        /* pushed something since the last interrupt */
	bool broken;
	bool halt;               /* atomic: transport wants the handler out */
	/*
	 * The monitor is polling this queue (set by the serving thread around
	 * a handler call, virtio_mmio_serve): virtq_enable_notify then only
	 * looks for new buffers and leaves the driver's notifies off, so a
	 * guest feeding a polled queue spends no notify on it.  The last call
	 * of a poll runs with it clear, which turns notifies back on.
	 */
	bool polled;
	char why[160];           /* the violation, for tests and logs */
};

/*
 * Checks a ring layout and makes `q` ready to use.  Returns 0, or -1 with a
 * reason in why: size not a power of two or above VIRTQ_SIZE_MAX, a ring
 * misaligned (16/2/4), outside guest memory, or overlapping another ring.
 */
int virtq_init(struct virtq *q, const struct guest_mem *m, unsigned index, uint16_t size,
	       uint64_t desc, uint64_t avail, uint64_t used, uint64_t features,
	       const struct virtq_hooks *hooks, char *why, size_t whylen);

/*
 * Takes the next available chain.  Returns 1 (chain in *c), 0 (nothing, or
 * halted) or -1 (violation: the queue is now broken and hooks.fail was
 * called).
 */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/*
 * Gives back the last n chains popped (none of them pushed): the next pops
 * return them again, re-read and re-checked from the ring.  For a device
 * that took buffers before it knew it could fill them (virtio-net RX pops
 * before it reads the tap, and the tap may be empty).  A caller that
 * rewinds too far only makes the queue re-read entries it already served;
 * every pop checks them again, so that costs correctness, never memory
 * safety.
 */
void virtq_unpop(struct virtq *q, uint16_t n);

/*
 * Returns a chain to the driver with `written` bytes written into it.  The
 * used ring says that in 32 bits while a chain's writable part can exceed
 * them (write_bytes is 64 bits): a device refuses such a request (blk
 * fails it with IOERR) rather than report a truncated length, and a
 * `written` above UINT32_MAX that reaches here anyway fails the queue
 * (virtq_fail) instead of being cut modulo 2^32.
 */
void virtq_push(struct virtq *q, uint16_t head, uint64_t written);

/* After a batch of pushes: interrupts unless the driver suppressed it. */
void virtq_notify_driver(struct virtq *q);
/* Consumes the pending-interrupt decision (EVENT_IDX state advances). */
bool virtq_should_interrupt(struct virtq *q);

/*
 * Notify suppression while the device is busy.  enable returns true when
 * buffers arrived in the meantime: the caller then pops again.  While
 * the queue is polled, enable only looks (see `polled`).
 */
void virtq_disable_notify(struct virtq *q);
bool virtq_enable_notify(struct virtq *q);

/* A device-level violation (e.g. a request in the wrong direction). */
void virtq_fail(struct virtq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Byte views of a chain.  `writable` picks the readable or the writable
 * part; offsets count from the start of that part.  chain_iov returns the
 * number of iovecs filled (at most max) covering [off, off + len), or -1 if
 * that range is not all there.
 */
int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint64_t off, uint64_t len,
		    struct iovec *iov, int max);
/* Copies out of / into the chain; returns bytes copied (short at the end). */
size_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *buf, size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *buf, size_t len);

#endif
