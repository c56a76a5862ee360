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

#endif
