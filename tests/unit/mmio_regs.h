/*
 * The transport under test, reached as a driver reaches it: 4-byte
 * register accesses through its bus interface.  A test file includes this
 * once and points `t` at the virtio-mmio transport it drives.  Reads start
 * from all-ones, so a register the transport forgets to fill shows.
 */
#ifndef FLINT_TEST_MMIO_REGS_H
#define FLINT_TEST_MMIO_REGS_H

#include <stdint.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "virtio.h"

static struct virtio_mmio *t;

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_bus_ops.write(t, off, (const uint8_t *)&v, 4);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v;

	memset(&v, 0xff, sizeof(v));
	virtio_mmio_bus_ops.read(t, off, (uint8_t *)&v, 4);
	return v;
}

/*
 * The driver's bring-up (virtio 1.2 §3.1.1) in one go: `features`, then
 * nq queues of qn entries, queue q's rings at base + stride * q
 * (descriptors), + 0x1000 (available), + 0x2000 (used); then DRIVER_OK.
 */
static inline void mmio_bring_up(uint64_t features, unsigned nq, uint32_t qn, uint32_t base, uint32_t stride)
{
	wr(VIRTIO_MMIO_STATUS, 1);
	wr(VIRTIO_MMIO_STATUS, 3);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned q = 0; q < nq; q++) {
		wr(VIRTIO_MMIO_QUEUE_SEL, q);
		wr(VIRTIO_MMIO_QUEUE_NUM, qn);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, base + stride * q);
		wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, base + stride * q + 0x1000);
		wr(VIRTIO_MMIO_QUEUE_USED_LOW, base + stride * q + 0x2000);
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

#endif
