/*
 * Guest memory for device tests, followed by guard bytes: a device that
 * writes one byte past guest memory changes a guard, and the test sees it.
 */
#ifndef FLINT_GUARDED_MEM_H
#define FLINT_GUARDED_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"

#define GUARD_BYTES 4096
#define GUARD_FILL 0xa5

/* size bytes of zeroed guest memory; free m->host when done. */
static inline struct guest_mem guarded_mem_new(uint64_t size)
{
	uint8_t *buf = calloc(1, size + GUARD_BYTES);

	if (buf)
		memset(buf + size, GUARD_FILL, GUARD_BYTES);
	return (struct guest_mem){ buf, size };
}

static inline bool guarded_mem_intact(const struct guest_mem *m)
{
	for (unsigned i = 0; i < GUARD_BYTES; i++)
		if (m->host[m->size + i] != GUARD_FILL)
			return false;
	return true;
}

#endif
