/* The pv page's contents and the ready register (paravirt.h). */
#include "paravirt.h"

#include <string.h>

void pv_info_make(struct flint_pv_info *p, uint32_t seq, const uint8_t rnd[PV_RANDOM_BYTES],
		  uint64_t wall_ns, uint64_t wall_tsc)
{
	uint64_t gen;

	memcpy(&gen, rnd, sizeof(gen));
	*p = (struct flint_pv_info){
		.magic = FLINT_PV_INFO_MAGIC,
		.seq = seq,
		/* one chance in 2^64 of a 0: taking 1 then costs nothing measurable */
		.generation = gen ? gen : 1,
		.wall_ns = wall_ns,
		.wall_tsc = wall_tsc,
	};
	memcpy(p->random, rnd + sizeof(gen), sizeof(p->random));
}

uint32_t pv_info_next_seq(const struct flint_pv_info *saved)
{
	uint32_t seq;

	if (saved->magic != FLINT_PV_INFO_MAGIC)
		return 2;
	seq = saved->seq + 1;
	return seq ? seq : 1;
}

void pv_window_read(void *dev, uint64_t offset, uint8_t *data, uint32_t len)
{
	(void)dev;
	(void)offset;
	memset(data, 0, len);
}

void pv_window_write(void *dev, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct pv_window *w = dev;
	uint32_t v;

	if (offset != FLINT_PV_READY || len != 4)
		return;
	v = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
	if (v == FLINT_PV_READY_VALUE && w->ready)
		w->ready(w->ctx);
}
