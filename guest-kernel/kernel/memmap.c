#include <flint.h>

#include "kernel/memmap.h"
#include "kernel/modules.h"

#define IDENTITY_MAP_END 0x100000000ull   /* arch/x86_64/tables.S maps 0-4 GiB */

static const struct hvm_memmap_table_entry *memmap(const struct hvm_start_info *si)
{
	if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries)
		panic("hvm_start_info (version %u) has no memory map: cannot place the heap",
		      si->version);
	if (si->memmap_paddr >= IDENTITY_MAP_END ||
	    si->memmap_entries > (IDENTITY_MAP_END - si->memmap_paddr) / sizeof(struct hvm_memmap_table_entry))
		panic("memory map at 0x%llx lies beyond the 4 GiB identity map",
		      (unsigned long long)si->memmap_paddr);
	return (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
}

bool memmap_is_ram(const struct hvm_start_info *si, uint64_t addr, uint64_t len)
{
	const struct hvm_memmap_table_entry *map = memmap(si);
	uint64_t end;

	if (__builtin_add_overflow(addr, len, &end) || end > IDENTITY_MAP_END)
		return false;
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (map[i].type == HVM_MEMMAP_TYPE_RAM && addr >= map[i].addr &&
		    map[i].addr + map[i].size >= map[i].addr && end <= map[i].addr + map[i].size)
			return true;
	return false;
}

/* The largest part of [s, e) that overlaps none of the ranges from index i on. */
static void largest_gap(const uint64_t (*cut)[2], unsigned n, unsigned i, uint64_t s, uint64_t e,
			uint64_t *bs, uint64_t *be)
{
	for (; i < n; i++)
		if (cut[i][0] < e && cut[i][1] > s)
			break;
	if (i == n) {
		if (e > s && e - s > *be - *bs) {
			*bs = s;
			*be = e;
		}
		return;
	}
	if (cut[i][0] > s)
		largest_gap(cut, n, i + 1, s, cut[i][0], bs, be);
	if (cut[i][1] < e)
		largest_gap(cut, n, i + 1, cut[i][1], e, bs, be);
}

void memmap_free_ram(const struct hvm_start_info *si, uintptr_t image_end,
		     uintptr_t *start, uintptr_t *end)
{
	const struct hvm_memmap_table_entry *map = memmap(si);
	uint64_t best_start = 0, best_end = 0, cut[MODULES_MAX + 1][2];
	unsigned ncut = modules_ranges(si, cut, MODULES_MAX + 1);

	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		uint64_t s = map[i].addr, e = map[i].addr + map[i].size;

		if (map[i].type != HVM_MEMMAP_TYPE_RAM || e < s)
			continue;
		if (s < image_end)
			s = image_end;
		if (e > IDENTITY_MAP_END)
			e = IDENTITY_MAP_END;
		if (e > s)
			largest_gap(cut, ncut, 0, s, e, &best_start, &best_end);
	}
	if (best_end == best_start)
		panic("no RAM above the image (which ends at %p) in the memory map", (void *)image_end);
	*start = (uintptr_t)best_start;
	*end = (uintptr_t)best_end;
}
