/*
 * The first C code, entered from entry.S already in ring 3 (IOPL 3,
 * interrupts off) on the user stack, with the PVH start info.  Everything
 * a kernel would do at boot is done here, at native speed.
 */
#include <stdint.h>
#include <stdlib.h>

#include <flint.h>
#include <flint/boot_abi.h>

#include "arch/x86_64/cpu.h"
#include "kernel/args_file.h"
#include "kernel/boot_stats.h"
#include "kernel/cmdline.h"
#include "lib/stdstreams.h"
#include "kernel/console.h"
#include "kernel/memmap.h"
#include "kernel/modules.h"
#include "lib/heap.h"

extern char _end[];    /* link.ld: end of the image */

#define HUGE_2M ((uintptr_t)2 << 20)

int main(int argc, char **argv);
_Noreturn void flint_start(const struct hvm_start_info *si);

_Noreturn void flint_start(const struct hvm_start_info *si)
{
	uintptr_t heap_start, heap_end, huge_start;
	char **argv;
	int argc;

	/* The x87 control word is whatever the monitor left (MXCSR comes out
	 * of reset right); one unprivileged instruction makes it known. */
	__asm__ volatile("fninit");
	if (si->magic != HVM_START_MAGIC_VALUE)
		panic("start info at %p has magic 0x%x, not 0x%x: boot through PVH", (const void *)si,
		      si->magic, HVM_START_MAGIC_VALUE);
	/* beyond the 4 GiB identity map it would fault: treat as absent */
	cmdline_init(si->cmdline_paddr >> 32 ? NULL : (const char *)(uintptr_t)si->cmdline_paddr);
	console_init(cmdline_param("earlycon"));
	modules_init(si);
	memmap_free_ram(si, (uintptr_t)_end, &heap_start, &heap_end);
	/* The page tables' 2 MiB region is mapped 4 KiB at a time (link.ld):
	 * start the heap at the next one when a whole one is left after it. */
	huge_start = (heap_start + HUGE_2M - 1) & ~(HUGE_2M - 1);
	if (huge_start + HUGE_2M <= heap_end)
		heap_start = huge_start;
	heap_init(heap_start, heap_end);
	argv = cmdline_argv(&argc);
	if (!argv)
		panic("no memory for argv (heap %p-%p)", (void *)heap_start, (void *)heap_end);
	stdstreams_init();
	args_file_load(&argc, &argv);
	flint_boot_stats.tsc_main = rdtsc();
	exit(main(argc, argv));
}
