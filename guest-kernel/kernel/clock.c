/*
 * Time is the TSC, read natively from ring 3.  Its frequency comes from
 * kvmclock (one ring-0 wrmsr to register the structure, then plain memory
 * reads), else from CPUID.  Nothing happens until the first clock or sleep
 * call, so apps that never ask for time pay nothing at boot.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "arch/x86_64/cpu.h"
#include "kernel/boot_stats.h"
#include "kernel/clock.h"

#define NSEC_PER_SEC 1000000000ull
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

/* pvclock_vcpu_time_info, as KVM writes it */
struct pvclock {
	uint32_t version;          /* odd while KVM updates the rest */
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

/* KVM wants it inside one page; 64-byte alignment guarantees that. */
static volatile struct pvclock kvmclock __attribute__((aligned(64)));
static uint64_t tsc_hz;

static uint64_t hz_from_kvmclock(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	uint32_t version, mul;
	int8_t shift;
	uint64_t hz;

	if (!(r.ecx & CPUID_1_ECX_HYPERVISOR))
		return 0;
	r = cpuid(0x40000000, 0);
	if (r.eax < 0x40000001 || memcmp(&r.ebx, "KVMK", 4) || memcmp(&r.ecx, "VMKV", 4) ||
	    memcmp(&r.edx, "M\0\0\0", 4))
		return 0;
	if (!(cpuid(0x40000001, 0).eax & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	cpu_set_kvmclock((uintptr_t)&kvmclock | 1);
	do {
		version = kvmclock.version;
		__asm__ volatile("" ::: "memory");
		mul = kvmclock.tsc_to_system_mul;
		shift = kvmclock.tsc_shift;
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != kvmclock.version);
	if (!mul)
		return 0;
	/* ns = (ticks << shift) * mul >> 32, so Hz = 1e9 * 2^32 / (mul << shift) */
	hz = (NSEC_PER_SEC << 32) / mul;
	return shift >= 0 ? hz >> shift : hz << -shift;
}

static uint64_t hz_from_cpuid(void)
{
	struct cpuid_regs r;
	uint32_t max_basic = cpuid(0, 0).eax;

	if (max_basic >= 0x15) {
		r = cpuid(0x15, 0);           /* TSC/crystal ratio ebx/eax, crystal Hz in ecx */
		if (r.eax && r.ebx && r.ecx)
			return (uint64_t)r.ecx * r.ebx / r.eax;
	}
	if (cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR && cpuid(0x40000000, 0).eax >= 0x40000010) {
		r = cpuid(0x40000010, 0);     /* TSC kHz, VMware's leaf */
		if (r.eax)
			return (uint64_t)r.eax * 1000;
	}
	if (max_basic >= 0x16) {
		r = cpuid(0x16, 0);           /* base MHz: nominal, close enough for sleeping */
		if (r.eax)
			return (uint64_t)r.eax * 1000000;
	}
	return 0;
}

/*
 * Last resort, for emulators that tell the guest nothing (QEMU's TCG has
 * no kvmclock and empty CPUID timing leaves): `tsc_khz=N` on the command
 * line, which the test scripts take from the host (TCG's TSC is the
 * host's).
 */
static uint64_t hz_from_cmdline(void)
{
	const char *v = cmdline_param("tsc_khz");
	char *end;
	unsigned long khz;

	if (!v)
		return 0;
	khz = strtoul(v, &end, 10);
	return *end || !khz || khz > 100000000ul ? 0 : (uint64_t)khz * 1000;
}

uint64_t clock_tsc_hz(void)
{
	if (!tsc_hz) {
		tsc_hz = hz_from_kvmclock();
		if (!tsc_hz)
			tsc_hz = hz_from_cpuid();
		if (!tsc_hz)
			tsc_hz = hz_from_cmdline();
		if (!tsc_hz)
			panic("cannot learn the TSC frequency: no kvmclock (CPUID 0x40000001 bit 3), "
			      "CPUID leaves 0x15, 0x16 and 0x40000010 are empty, and no tsc_khz= "
			      "on the command line");
	}
	return tsc_hz;
}

/* Split at whole seconds so that 64 bits never overflow (for TSCs under 18 GHz). */
uint64_t clock_tsc_to_ns(uint64_t ticks)
{
	uint64_t hz = clock_tsc_hz();

	return ticks / hz * NSEC_PER_SEC + ticks % hz * NSEC_PER_SEC / hz;
}

/* Saturates: a sleep of centuries is a sleep forever. */
uint64_t clock_ns_to_tsc(uint64_t ns)
{
	uint64_t hz = clock_tsc_hz(), sec = ns / NSEC_PER_SEC;

	if (sec > UINT64_MAX / hz - 1)
		return UINT64_MAX;
	return sec * hz + ns % NSEC_PER_SEC * hz / NSEC_PER_SEC;
}

uint64_t clock_ns(void)
{
	return clock_tsc_to_ns(rdtsc() - flint_boot_stats.tsc_entry);
}
