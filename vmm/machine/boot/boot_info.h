/* What the monitor hands a PVH guest besides its image: start info, memory map, command line. */
#ifndef FLINT_BOOT_INFO_H
#define FLINT_BOOT_INFO_H

#include <stddef.h>

#include "guest_mem.h"

/*
 * Writes hvm_start_info at FLINT_START_INFO_GPA, the memory map at
 * FLINT_MEMMAP_GPA and cmdline at FLINT_CMDLINE_GPA, as docs/ARCHITECTURE.md
 * describes.  Returns -1 with one line (no "flint: ", no newline) in err if
 * cmdline (incl. NUL) does not fit FLINT_CMDLINE_SIZE or memory is too small
 * (it must reach past 1 MiB) or too large (it must end before the MMIO hole).
 */
int boot_info_write(const struct guest_mem *m, const char *cmdline, char *err, size_t errlen);

#endif
