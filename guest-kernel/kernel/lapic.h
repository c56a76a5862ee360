/*
 * The local APIC, programmed from ring 3 through its MMIO page (mapped
 * U|RW like everything else).  Shared by the timer and the device drivers:
 * a software-disabled LAPIC drops fixed interrupts, so whoever expects one
 * enables it first.
 */
#ifndef GUEST_KERNEL_LAPIC_H
#define GUEST_KERNEL_LAPIC_H

#include <stdint.h>

#include "arch/x86_64/cpu.h"

#define LAPIC_ID         0x020
#define LAPIC_SVR        0x0f0
#define LAPIC_LVT_TIMER  0x320
#define LAPIC_LVT_LINT0  0x350
#define LAPIC_TIMER_ICR  0x380
#define LAPIC_TIMER_CCR  0x390
#define LAPIC_TIMER_DCR  0x3e0

static inline void lapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(LAPIC_BASE + reg, v);
}

static inline uint32_t lapic_read(unsigned reg)
{
	return mmio_read32(LAPIC_BASE + reg);
}

/* Software-enables the LAPIC (spurious vector 0xff) and masks LINT0; once. */
void lapic_enable(void);

/* This CPU's APIC ID, the destination for IOAPIC routes. */
uint8_t lapic_id(void);

#endif
