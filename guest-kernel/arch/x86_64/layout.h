/*
 * Ring-0 constants shared by entry.S, tables.S and the ring-3 wrappers in
 * cpu.h.  Plain #defines only: the assembler includes this file too.
 */
#ifndef GUEST_ARCH_LAYOUT_H
#define GUEST_ARCH_LAYOUT_H

/*
 * The interrupt stubs sit at a fixed address so that the static IDT can
 * split each stub address into gate fields at assembly time (the assembler
 * cannot mask or shift a relocatable symbol).  link.ld places .isr here and
 * checks it; one 16-byte slot per vector, the TSS right after the last.
 */
#define ISR_BASE       0x101000
#define ISR_SLOT       16
#define TSS_BASE       (ISR_BASE + 256 * ISR_SLOT)
#define TSS_IOMAP      0x68    /* the I/O bitmap follows the 104-byte TSS */
#define TSS_LIMIT      (TSS_IOMAP + 65536 / 8)   /* bitmap and its 0xff terminator */

/* GDT selectors.  User data before user code, as SYSRET would want. */
#define SEL_KCODE      0x08
#define SEL_KDATA      0x10
#define SEL_UDATA      0x1b    /* GDT entry 3, RPL 3 */
#define SEL_UCODE      0x23    /* GDT entry 4, RPL 3 */
#define SEL_TSS        0x28    /* 16-byte descriptor: entries 5 and 6 */

/* Ring 3 runs with IOPL 3 (port I/O without exits to ring 0) and IF clear. */
#define RFLAGS_USER    0x3002

/*
 * Interrupt vectors.  The two ring-0 services borrow the #BP and #OF
 * vectors because kvm_pvm (the hosts Flint is built on) turns any other
 * `int n` from ring 3, `int $0x80` included, into #UD; `int3` and `int $4`
 * reach the guest's IDT.  Neither exception arises on its own in 64-bit
 * code (into is invalid there), short of a stray int3.
 */
#define VEC_HALT               3      /* service `int3`: sti; hlt */
#define VEC_WRMSR              4      /* service `int $4`: wrmsr, allow-listed MSRs only;
					 * the TSC deadline then halts */
#define VEC_TIMER              0x20   /* LAPIC timer */
#define VEC_DEVICE_FIRST       0x30   /* 0x30-0x3f: device interrupts */
#define VEC_SPURIOUS           0xff   /* LAPIC spurious vector: no EOI */

#define MSR_EFER               0xc0000080
#define MSR_TSC_DEADLINE       0x6e0
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

#define LAPIC_BASE             0xfee00000
#define LAPIC_EOI              0xb0

/*
 * The ELF notes and the boot stats offset, repeated from
 * <flint/boot_abi.h> (which is C only); kernel/boot_stats.c checks that
 * both agree.
 */
#define ABI_XEN_ELFNOTE_PHYS32_ENTRY 18
#define ABI_FLINT_NOTE_BOOT_STATS    0x464c0001
#define ABI_BOOT_STATS_TSC_ENTRY     8

#endif
