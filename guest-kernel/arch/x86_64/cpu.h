/*
 * What ring 3 needs from the CPU: instructions it may run itself (port
 * I/O works through IOPL 3 and the TSS bitmap; rdtsc and cpuid are
 * unprivileged) and the two ring-0 services of entry.S.  Each service is an `int` into
 * a few emulated ring-0 instructions, so callers use them sparingly.
 */
#ifndef GUEST_ARCH_CPU_H
#define GUEST_ARCH_CPU_H

#include <stdint.h>

#include "arch/x86_64/layout.h"

#define CPU_STR_(x) #x
#define CPU_STR(x) CPU_STR_(x)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* Each cpuid exits to the hypervisor: cache what you learn. */
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* MMIO: the identity map has the U bit everywhere, so ring 3 reaches devices. */
static inline void mmio_write8(uintptr_t addr, uint8_t v)
{
	*(volatile uint8_t *)addr = v;
}

static inline uint8_t mmio_read8(uintptr_t addr)
{
	return *(volatile uint8_t *)addr;
}

static inline uint16_t mmio_read16(uintptr_t addr)
{
	return *(volatile uint16_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

/* One 8-byte access; the clobber orders it after every plain store before
 * it (a device may read memory those stores wrote). */
static inline void mmio_write64(uintptr_t addr, uint64_t v)
{
	__asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

static inline uint64_t mmio_read64(uintptr_t addr)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

/*
 * Waits in hlt with interrupts on until any interrupt arrives.  Memory may
 * have changed meanwhile (devices, kvmclock), hence the clobber.
 */
static inline void cpu_halt(void)
{
	__asm__ volatile("int3" : : : "memory");
}

/* Arms the TSC-deadline timer and halts until it or any other interrupt fires. */
static inline void cpu_halt_until(uint64_t tsc_deadline)
{
	__asm__ volatile("int $" CPU_STR(VEC_WRMSR)
			 : : "c"(MSR_TSC_DEADLINE), "a"((uint32_t)tsc_deadline),
			   "d"((uint32_t)(tsc_deadline >> 32)) : "memory");
}

/* Registers (bit 0 set) or unregisters the kvmclock structure at gpa. */
static inline void cpu_set_kvmclock(uint64_t gpa)
{
	__asm__ volatile("int $" CPU_STR(VEC_WRMSR)
			 : : "c"(MSR_KVM_SYSTEM_TIME_NEW), "a"((uint32_t)gpa),
			   "d"((uint32_t)(gpa >> 32)) : "memory");
}

#endif
