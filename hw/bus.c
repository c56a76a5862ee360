#include "bus.h"

#include <errno.h>
#include <string.h>

int bus_register(struct bus *b, uint64_t base, uint64_t len, const char *name,
		 const struct bus_ops *ops, void *dev)
{
	uint64_t end;
	int i;

	if (len == 0 || !ops || __builtin_add_overflow(base, len, &end)) {
		errno = EINVAL;
		return -1;
	}
	if (b->n == BUS_MAX_REGIONS) {
		errno = ENOSPC;
		return -1;
	}
	for (i = 0; i < b->n; i++)
		if (base < b->r[i].base + b->r[i].len && b->r[i].base < end) {
			errno = EEXIST;
			return -1;
		}
	/* Keep sorted by base so bus_find can stop early. */
	for (i = b->n; i > 0 && b->r[i - 1].base > base; i--)
		b->r[i] = b->r[i - 1];
	b->r[i] = (struct bus_region){ base, len, name, ops, dev };
	b->n++;
	return 0;
}

const struct bus_region *bus_find(const struct bus *b, uint64_t addr, uint32_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(addr, (uint64_t)len, &end))
		return NULL;
	for (int i = 0; i < b->n && b->r[i].base <= addr; i++)
		if (end <= b->r[i].base + b->r[i].len)
			return &b->r[i];
	return NULL;
}

bool bus_read(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len)
{
	const struct bus_region *r = bus_find(b, addr, len);

	memset(data, 0xff, len);
	if (!r || !r->ops->read)
		return r != NULL;
	r->ops->read(r->dev, addr - r->base, data, len);
	return true;
}

bool bus_write(const struct bus *b, uint64_t addr, const uint8_t *data, uint32_t len)
{
	const struct bus_region *r = bus_find(b, addr, len);

	if (!r)
		return false;
	if (r->ops->write)
		r->ops->write(r->dev, addr - r->base, data, len);
	return true;
}
