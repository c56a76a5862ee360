#ifndef GUEST_KERNEL_MEMMAP_H
#define GUEST_KERNEL_MEMMAP_H

#include <stdint.h>

#include <flint/boot_abi.h>

/*
 * The largest stretch of RAM in the PVH memory map that lies above the
 * image (image_end) and inside the 4 GiB identity map.  Panics if the
 * start info has no memory map or no such RAM.
 */
void memmap_free_ram(const struct hvm_start_info *si, uintptr_t image_end,
		     uintptr_t *start, uintptr_t *end);

#endif
