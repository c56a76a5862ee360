/*
 * Reporting CPU exceptions.  entry.S's common path records nothing itself:
 * it passes vector, error code, rip, cs and cr2 as arguments and irets
 * here, in ring 3 on the fault stack.  The faulting code never resumes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <flint/boot_abi.h>

#include "arch/x86_64/cpu.h"

#define EXIT_EXCEPTION_BASE 128
#define VEC_PAGE_FAULT 14

static const char *const mnemonic[32] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS", "GP",
	"PF", "15", "MF", "AC", "MC", "XM", "VE", "CP", "22", "23", "24", "25", "26", "27",
	"HV", "VC", "SX", "31",
};

static const char *const description[32] = {
	"divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow",
	"bound range exceeded", "invalid opcode", "device not available", "double fault",
	"coprocessor segment overrun", "invalid TSS", "segment not present",
	"stack-segment fault", "general protection", "page fault", "reserved",
	"x87 floating-point error", "alignment check", "machine check",
	"SIMD floating-point error", "virtualization exception", "control protection",
	"reserved", "reserved", "reserved", "reserved", "reserved", "reserved",
	"hypervisor injection", "VMM communication", "security exception", "reserved",
};

_Noreturn void flint_exception(uint64_t vector, uint64_t err, uint64_t rip, uint64_t cs,
			       uint64_t cr2);

_Noreturn void flint_exception(uint64_t vector, uint64_t err, uint64_t rip, uint64_t cs,
			       uint64_t cr2)
{
	static bool reporting;
	int status = EXIT_EXCEPTION_BASE + (int)(vector & 31);

	if (reporting) {     /* faulted while reporting: power off without words */
		outl(FLINT_POWEROFF_PORT, (uint32_t)status);
		for (;;)
			cpu_halt();
	}
	reporting = true;
	printf("guest: exception #%s (%s, vector %u) at rip=0x%llx err=0x%llx",
	       mnemonic[vector & 31], description[vector & 31], (unsigned)vector,
	       (unsigned long long)rip, (unsigned long long)err);
	if (vector == VEC_PAGE_FAULT)
		printf(" cr2=0x%llx", (unsigned long long)cr2);
	if ((cs & 3) == 0)
		printf(" in ring 0");
	printf("\n");
	exit(status);
}
