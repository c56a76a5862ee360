/*
 * The virtio-mmio transport's own state, shared by its register file
 * (virtio/mmio.c, which states the locking rule) and its snapshot record
 * (virtio/mmio_state.c).  Nothing else includes this.
 */
#ifndef FLINT_VIRTIO_MMIO_IMPL_H
#define FLINT_VIRTIO_MMIO_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_config.h>

#include "virtio.h"

#define S_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER VIRTIO_CONFIG_S_DRIVER
#define S_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK VIRTIO_CONFIG_S_DRIVER_OK
#define S_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET
#define S_FAILED VIRTIO_CONFIG_S_FAILED

struct vq_slot {
	pthread_mutex_t run;
	struct virtio_mmio *t;
	unsigned index;
	uint32_t num;
	uint64_t desc, avail, used;
	bool ready;  /* QueueReady as the driver reads it */
	bool live;   /* host told to deliver notifies; the device may serve */
	struct virtq q;
};

struct virtio_mmio {
	pthread_mutex_t lock;
	const struct guest_mem *mem;
	const char *name;
	const struct virtio_dev_ops *ops;
	void *dev;
	struct virtio_host host;
	uint64_t offered;
	uint64_t driver_features;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint32_t status, isr;
	/* Set by a load with ISR bits up: the next notify raises the
	 * interrupt again, once the machine runs (virtio_mmio_load). */
	bool reraise;
	/* A hostile guest could otherwise fill the host's log. */
	bool logged_violation, logged_status;
	struct vq_slot q[];
};

/* What every queue reports through, with ctx = its vq_slot. */
extern const struct virtq_hooks virtio_mmio_queue_hooks;

/* Whether the transport can honour every feature in `driver`. */
static inline bool virtio_mmio_features_ok(uint64_t driver, uint64_t offered)
{
	return !(driver & ~offered) && (driver & (1ull << VIRTIO_F_VERSION_1));
}

#endif
