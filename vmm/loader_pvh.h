/* The PVH kernel loader: an ELF64 x86-64 image into guest memory. */
#ifndef FLINT_LOADER_PVH_H
#define FLINT_LOADER_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

struct pvh_image {
	uint32_t entry32;     /* XEN_ELFNOTE_PHYS32_ENTRY */
	uint64_t stats_gpa;   /* Flint note's struct flint_boot_stats address, 0 if absent */
	uint64_t lo, hi;      /* lowest and highest+1 guest physical address loaded */
};

/*
 * Loads ELF64 x86-64 kernel `path` into guest memory as docs/ARCHITECTURE.md
 * ("Guest boot ABI") describes.  Every header, segment and note is checked
 * before the first byte of guest memory is written, so a rejected image
 * leaves guest memory as it was (short of the file changing under us).
 * On error returns -1 and writes one line, without "flint: " and without
 * newline, into err, naming the file and the problem:
 *     [kernel] path = "x.elf": segment 1 [0x100000, 0x5000000) does not fit
 *     in guest memory (64 MiB); raise [machine] memory
 * (callers put where the path was given in front).
 * `out` is written only on success.
 *
 * Precondition: guest memory is fresh (all zero: a new anonymous mapping,
 * as vm_create and `flint check` make).  The loader writes only the file's
 * bytes and leaves the zero tail of each segment (its bss) untouched, so
 * those pages cost no RAM until the guest uses them.
 */
int pvh_load(const struct guest_mem *m, const char *path, struct pvh_image *out, char *err,
	     size_t errlen);

#endif
