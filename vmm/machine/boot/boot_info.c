#include "boot_info.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <flint/boot_abi.h>

int boot_info_write(const struct guest_mem *m, const char *cmdline, char *err, size_t errlen)
{
	const struct hvm_memmap_table_entry map[] = {
		{ .addr = 0, .size = 0xA0000, .type = HVM_MEMMAP_TYPE_RAM },
		/* VGA window and BIOS area on a PC; guests expect no RAM there. */
		{ .addr = 0xA0000, .size = FLINT_KERNEL_MIN_GPA - 0xA0000,
		  .type = HVM_MEMMAP_TYPE_RESERVED },
		{ .addr = FLINT_KERNEL_MIN_GPA, .size = m->size - FLINT_KERNEL_MIN_GPA,
		  .type = HVM_MEMMAP_TYPE_RAM },
	};
	const struct hvm_start_info si = {
		.magic = HVM_START_MAGIC_VALUE,
		.version = 1,
		.cmdline_paddr = FLINT_CMDLINE_GPA,
		.memmap_paddr = FLINT_MEMMAP_GPA,
		.memmap_entries = sizeof(map) / sizeof(map[0]),
	};
	size_t len = strlen(cmdline) + 1;
	void *si_p, *map_p, *cmd_p;

	_Static_assert(sizeof(map) / sizeof(map[0]) <= FLINT_MEMMAP_MAX, "memory map too long");
	_Static_assert(FLINT_MEMMAP_GPA >= FLINT_START_INFO_GPA + sizeof(struct hvm_start_info),
		       "start info runs into the memory map");
	_Static_assert(FLINT_MEMMAP_GPA + FLINT_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry)
		       <= FLINT_CMDLINE_GPA, "memory map runs into the command line");

	/* The map's last entry is RAM from 1 MiB up: it must not be empty or upside down. */
	if (m->size <= FLINT_KERNEL_MIN_GPA) {
		snprintf(err, errlen, "guest memory (%" PRIu64 " bytes) must be larger than 1 MiB; "
			 "raise [machine] memory", m->size);
		return -1;
	}
	if (m->size > FLINT_MMIO_HOLE_GPA) {
		snprintf(err, errlen, "guest memory (%" PRIu64 " bytes) runs into the MMIO hole at "
			 "0x%llx; lower [machine] memory to 3G or less", m->size, FLINT_MMIO_HOLE_GPA);
		return -1;
	}
	if (len > FLINT_CMDLINE_SIZE) {
		snprintf(err, errlen, "kernel command line is %zu bytes with its NUL, the boot page "
			 "holds at most %llu: shorten [kernel] cmdline", len, FLINT_CMDLINE_SIZE);
		return -1;
	}
	si_p = guest_ptr(m, FLINT_START_INFO_GPA, sizeof(si));
	map_p = guest_ptr(m, FLINT_MEMMAP_GPA, sizeof(map));
	cmd_p = guest_ptr(m, FLINT_CMDLINE_GPA, len);
	if (!si_p || !map_p || !cmd_p) {
		snprintf(err, errlen, "internal error: boot area outside guest memory");
		return -1;
	}
	memcpy(si_p, &si, sizeof(si));
	memcpy(map_p, map, sizeof(map));
	memcpy(cmd_p, cmdline, len);
	return 0;
}
