#include <flint.h>

#include "kernel/memmap.h"

#define IDENTITY_MAP_END 0x100000000ull   /* arch/x86_64/tables.S maps 0-4 GiB */

void memmap_free_ram(const struct hvm_start_info *si, uintptr_t image_end,
		     uintptr_t *start, uintptr_t *end)
{
	const struct hvm_memmap_table_entry *map;
	uint64_t best_start = 0, best_end = 0;

	if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries)
		panic("hvm_start_info (version %u) has no memory map: cannot place the heap",
		      si->version);
	if (si->memmap_paddr >= IDENTITY_MAP_END)
		panic("memory map at 0x%llx lies beyond the 4 GiB identity map",
		      (unsigned long long)si->memmap_paddr);
	map = (const struct hvm_memmap_table_entry *)(uintptr_t)si->memmap_paddr;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		uint64_t s = map[i].addr, e = map[i].addr + map[i].size;

		if (map[i].type != HVM_MEMMAP_TYPE_RAM || e < s)
			continue;
		if (s < image_end)
			s = image_end;
		if (e > IDENTITY_MAP_END)
			e = IDENTITY_MAP_END;
		if (e > s && e - s > best_end - best_start) {
			best_start = s;
			best_end = e;
		}
	}
	if (best_end == best_start)
		panic("no RAM above the image (which ends at %p) in the memory map", (void *)image_end);
	*start = (uintptr_t)best_start;
	*end = (uintptr_t)best_end;
}
