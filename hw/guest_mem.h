/* Guest physical memory and the one checked door into it. */
#ifndef FLINT_GUEST_MEM_H
#define FLINT_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Guest RAM is one contiguous range [0, size) mapped at host. */
struct guest_mem {
	uint8_t *host;
	uint64_t size;
};

/*
 * The only way VMM code turns a guest physical address into a host pointer.
 * Returns NULL unless all of [gpa, gpa + len) lies inside guest RAM; len 0
 * is allowed (the address itself must then be <= size).  The add is
 * overflow-checked, so a hostile gpa near UINT64_MAX cannot wrap around.
 */
static inline void *guest_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end) || end > m->size)
		return NULL;
	return m->host + gpa;
}

#endif
