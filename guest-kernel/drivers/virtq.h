/*
 * Split virtqueues (virtio 1.2 §2.7), driver side, polled from ring 3.
 * Buffers are guest-physical = virtual (the guest identity-maps its
 * memory), so callers pass plain pointers.  Not thread-safe: one CPU.
 */
#ifndef GUEST_DRIVERS_VIRTQ_H
#define GUEST_DRIVERS_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

struct virtio_dev;
struct virtq;

/* One buffer of a chain. */
struct virtq_seg {
	const void *addr;
	uint32_t len;
	bool device_writes;   /* true: the device fills it (VIRTQ_DESC_F_WRITE) */
};

/* Ring memory, zeroed, interrupts suppressed; virtio_mmio.c hands the addresses to the device. */
struct virtq *virtq_alloc(struct virtio_dev *d, unsigned qidx, unsigned size);
void virtq_addresses(const struct virtq *q, uint64_t *desc, uint64_t *avail, uint64_t *used);

unsigned virtq_size(const struct virtq *q);
/* Descriptors not in flight: a chain of n buffers needs n. */
unsigned virtq_free(const struct virtq *q);

/*
 * Makes a chain of n buffers available to the device (device-readable
 * ones should come first, §2.7.4) and returns 0; -1 if fewer than n
 * descriptors are free.  The device may see it at once, but is told only
 * by virtq_kick() (or virtq_wait()), so several adds cost one notify.
 */
int virtq_add(struct virtq *q, const struct virtq_seg *segs, unsigned n, void *token);

/* Notifies the device of new chains, unless EVENT_IDX says it is already looking. */
void virtq_kick(struct virtq *q);

/* A completed chain's token and the bytes the device wrote, or NULL if none is ready. */
void *virtq_pop(struct virtq *q, uint32_t *len);

/*
 * Returns once virtq_pop() has something: kicks what is pending, polls
 * the used ring for up to virtio.poll_us (a kernel parameter, default
 * 200 µs), then halts until the device interrupts.  Panics after 30 s
 * without a completion, saying what the device reports.
 */
void virtq_wait(struct virtq *q);

/*
 * Like virtq_wait(), but gives up when the TSC reaches `deadline`
 * (UINT64_MAX: never) instead of panicking after 30 s: for devices that
 * may rightly stay silent, such as a network card's receive queue while a
 * server waits for clients.  True if virtq_pop() has something.  The
 * guest halts all the while, waking at most once a second.
 */
bool virtq_wait_until(struct virtq *q, uint64_t deadline);

#endif
