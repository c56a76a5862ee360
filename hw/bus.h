/*
 * Address-range buses.  A VM has two, PIO and MMIO; every device reaches the
 * guest only through regions it registers here (kvmtool's ioport/mmio
 * split, Solo5's module interface).  Lookups happen on every exit that is
 * not served in the kernel, so the table is small and sorted.
 */
#ifndef FLINT_BUS_H
#define FLINT_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A device's register file.  offset is relative to the region's base; len
 * is 1, 2, 4 or 8.  read fills data[0..len); unhandled bits read as ones
 * (what a real bus returns for nothing there).  Called from vCPU threads
 * (and the event loop for coalesced writes): a device that also changes
 * state from elsewhere takes its own lock.
 */
struct bus_ops {
	void (*read)(void *dev, uint64_t offset, uint8_t *data, uint32_t len);
	void (*write)(void *dev, uint64_t offset, const uint8_t *data, uint32_t len);
};

struct bus_region {
	uint64_t base, len;
	const char *name;
	const struct bus_ops *ops;
	void *dev;
};

#define BUS_MAX_REGIONS 32

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	struct bus_region r[BUS_MAX_REGIONS];
	int n;
};

/* Returns 0, or -1 with errno EEXIST (overlap), ENOSPC (full), EINVAL. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, const char *name,
		 const struct bus_ops *ops, void *dev);
const struct bus_region *bus_find(const struct bus *b, uint64_t addr, uint32_t len);
/* false when no region covers the access: reads then see all ones. */
bool bus_read(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len);
bool bus_write(const struct bus *b, uint64_t addr, const uint8_t *data, uint32_t len);

#endif
