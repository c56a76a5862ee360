/*
 * PVH boot modules (hvm_start_info.modlist_paddr / nr_modules): the
 * initrd, from Flint's [kernel] initrd or QEMU's -initrd.
 */
#ifndef GUEST_KERNEL_MODULES_H
#define GUEST_KERNEL_MODULES_H

#include <stdint.h>

#include <flint/boot_abi.h>

#define MODULES_MAX 8   /* more are ignored */

/* Called once by start.c, before the heap exists. */
void modules_init(const struct hvm_start_info *si);

/*
 * Module i (0 = the initrd) in memory: 0, or -ENOENT if there is none,
 * -EFAULT if the start info puts it (or the list) outside RAM or the
 * 4 GiB identity map (the console says so once).
 */
int module_get(unsigned i, const void **mem, uint64_t *len);

/* The ranges the heap must avoid (each valid module, and the list): how many, into cut. */
unsigned modules_ranges(const struct hvm_start_info *si, uint64_t (*cut)[2], unsigned max);

#endif
