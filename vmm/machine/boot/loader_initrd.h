/* The initrd: a file loaded into guest memory as PVH module 0 (docs/ARCHITECTURE.md, boot ABI). */
#ifndef FLINT_LOADER_INITRD_H
#define FLINT_LOADER_INITRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

struct initrd_image {
	uint64_t gpa;     /* where it starts: page-aligned, above the kernel */
	uint64_t size;    /* bytes */
};

/*
 * Loads file `path` (set at `where`, e.g. "config.ini:4") at the first
 * page boundary at or above kernel_end and writes its module list entry
 * at FLINT_MODLIST_GPA.  With map_file (m->host must then be an mmap()ed
 * region the loader may remap) the file is mapped copy-on-write over
 * the slot instead of read into it: the guest's pages come from the page
 * cache as it touches them.  The file is checked (a regular file, not empty,
 * fits in RAM above the kernel) before guest memory is written.  On
 * error returns -1 with one line in err naming where, the file and the
 * problem, e.g.
 *     config.ini:4: [kernel] initrd big.cpio (80 MiB) does not fit in guest
 *     memory (64 MiB) above the kernel (which ends at 0x11a000); raise [machine] memory
 */
int initrd_load(const struct guest_mem *m, const char *path, const char *where, uint64_t kernel_end,
		bool map_file, struct initrd_image *out, char *err, size_t errlen);

/* After boot_info_write(): points hvm_start_info at the module list (nr_modules = 1). */
int initrd_announce(const struct guest_mem *m, const struct initrd_image *img, char *err, size_t errlen);

#endif
