/*
 * The IOAPIC, for QEMU microvm's device lines (Flint routes its GSIs to
 * MSIs in the monitor and needs none of this).  Two registers per chip:
 * write the index to IOREGSEL, then read or write IOWIN.
 */
#include <stdio.h>

#include "arch/x86_64/cpu.h"
#include "kernel/ioapic.h"

#define IOAPIC_BASE       0xfec00000u
#define IOAPIC_STRIDE     0x10000u     /* QEMU microvm's ioapic2 */
#define IOAPIC_PINS       24
#define IOAPIC_CHIPS      2
#define IOREGSEL          0x00
#define IOWIN             0x10
#define IOAPIC_VER        0x01         /* bits 16-23: index of the last entry */
#define IOAPIC_REDTBL     0x10         /* entry n: 0x10 + 2n (low), + 1 (high) */
#define REDTBL_MASKED     (1u << 16)

static uint32_t reg_read(uintptr_t base, uint32_t reg)
{
	mmio_write32(base + IOREGSEL, reg);
	return mmio_read32(base + IOWIN);
}

static void reg_write(uintptr_t base, uint32_t reg, uint32_t v)
{
	mmio_write32(base + IOREGSEL, reg);
	mmio_write32(base + IOWIN, v);
}

bool ioapic_route_edge(unsigned pin, uint8_t vector, uint8_t apic_id)
{
	uintptr_t base = IOAPIC_BASE + (uintptr_t)(pin / IOAPIC_PINS) * IOAPIC_STRIDE;
	unsigned entry = pin % IOAPIC_PINS;
	uint32_t ver;

	if (pin >= IOAPIC_PINS * IOAPIC_CHIPS) {
		printf("ioapic: pin %u does not exist (at most %u pins)\n", pin,
		       IOAPIC_PINS * IOAPIC_CHIPS);
		return false;
	}
	/* Absent MMIO reads as all ones on QEMU; a real chip's version is small. */
	ver = reg_read(base, IOAPIC_VER);
	if (ver == 0xffffffffu || ((ver >> 16) & 0xff) < entry) {
		printf("ioapic: no IOAPIC at %#lx has pin %u (version register %#x)\n",
		       (unsigned long)base, entry, ver);
		return false;
	}
	/* Destination first, then unmask with the low half, so the entry
	 * never fires half written.  Fixed delivery, physical destination,
	 * active high, edge (bits 8-15 all zero). */
	reg_write(base, IOAPIC_REDTBL + 2 * entry, REDTBL_MASKED);
	reg_write(base, IOAPIC_REDTBL + 2 * entry + 1, (uint32_t)apic_id << 24);
	reg_write(base, IOAPIC_REDTBL + 2 * entry, vector);
	return true;
}
