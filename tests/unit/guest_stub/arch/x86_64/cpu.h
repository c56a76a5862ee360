/*
 * The host tests' stand-in for the guest's cpu.h (test_guest_*.c): each
 * test supplies these, so the TSC is its simulated clock and the LAPIC
 * and halts are its simulation.  The guest's own layout.h is the real one.
 */
#ifndef TEST_GUEST_STUB_CPU_H
#define TEST_GUEST_STUB_CPU_H

#include <stdint.h>

#include "arch/x86_64/layout.h"

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

uint64_t rdtsc(void);
struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf);
void mmio_write32(uintptr_t addr, uint32_t v);
uint32_t mmio_read32(uintptr_t addr);
void cpu_halt(void);
void cpu_halt_until(uint64_t tsc_deadline);

#endif
