/*
 * The boot timestamps the monitor reads after the run (the Flint ELF note
 * points here).  entry.S writes tsc_entry with constants of its own: the
 * asserts keep them in step with <flint/boot_abi.h>.
 */
#include <stddef.h>

#include <flint/boot_abi.h>

#include "arch/x86_64/layout.h"
#include "kernel/boot_stats.h"

_Static_assert(offsetof(struct flint_boot_stats, tsc_entry) == ABI_BOOT_STATS_TSC_ENTRY,
	       "entry.S stores tsc_entry at ABI_BOOT_STATS_TSC_ENTRY");
_Static_assert(ABI_FLINT_NOTE_BOOT_STATS == FLINT_NOTE_BOOT_STATS, "Flint note type");
_Static_assert(ABI_XEN_ELFNOTE_PHYS32_ENTRY == XEN_ELFNOTE_PHYS32_ENTRY, "Xen note type");

struct flint_boot_stats flint_boot_stats = { .magic = FLINT_BOOT_STATS_MAGIC };
