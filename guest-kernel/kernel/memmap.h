#ifndef GUEST_KERNEL_MEMMAP_H
#define GUEST_KERNEL_MEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#include <flint/boot_abi.h>

/*
 * The largest stretch of RAM in the PVH memory map that lies above the
 * image (image_end), inside the 4 GiB identity map and clear of the boot
 * modules (the initrd) and their list.  Panics if the start info has no
 * memory map or no such RAM.
 */
void memmap_free_ram(const struct hvm_start_info *si, uintptr_t image_end,
		     uintptr_t *start, uintptr_t *end);

/* Whether [addr, addr + len) lies inside one RAM entry of the map and below 4 GiB. */
bool memmap_is_ram(const struct hvm_start_info *si, uint64_t addr, uint64_t len);

#endif
