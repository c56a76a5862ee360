/*
 * Everything the guest runs in ring 0: the PVH entry and the interrupt
 * stubs.  On the hosts Flint is built on, ring-0 instructions are emulated
 * (about 1 us each) while ring 3 runs natively, so this file does as little
 * as it can: no loops, no tables built at run time (tables.S holds them,
 * finished at assembly time), and every service is a few instructions.
 * Ring 3 (kernel/start.c onwards) does the real work.
 */
#include "arch/x86_64/layout.h"

#define CR0_PE      (1 << 0)
#define CR0_MP      (1 << 1)
#define CR0_ET      (1 << 4)
#define CR0_NE      (1 << 5)
#define CR0_PG      (1 << 31)
#define CR4_PAE     (1 << 5)
#define CR4_OSFXSR  (1 << 9)     /* ring 3 C code may use SSE */
#define CR4_OSXMMEXCPT (1 << 10)
#define EFER_LME    (1 << 8)

/*
 * The LAPIC EOI register, through the alias that tables.S maps in the top
 * 2 GiB: as a sign-extended 32-bit displacement it needs no register, so
 * the interrupt stubs save and restore nothing.
 */
#define LAPIC_EOI_ALIAS (LAPIC_BASE + LAPIC_EOI - 0x100000000)

/* ---- ELF notes: how the monitor finds the entry and the boot stats ---- */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, ABI_XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_start32

	.section .note.Flint, "a", @note
	.balign 4
	.long 6, 8, ABI_FLINT_NOTE_BOOT_STATS
	.asciz "Flint"
	.balign 4
	.quad flint_boot_stats

/* ---- entry: 32-bit protected mode, paging off, %ebx = hvm_start_info ---- */
	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	rdtsc
	mov %eax, flint_boot_stats + ABI_BOOT_STATS_TSC_ENTRY
	mov %edx, flint_boot_stats + ABI_BOOT_STATS_TSC_ENTRY + 4
	/* Control registers are written whole, never read-modify-written: the
	 * PVH ABI fixes their entry values, and each read is one more
	 * emulated instruction. */
	mov $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	mov $EFER_LME, %eax
	xor %edx, %edx
	wrmsr
	mov $(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG), %eax
	mov %eax, %cr0
	lgdt boot_gdtr
	ljmp $SEL_KCODE, $entry64

	.code64
entry64:
	/* Data segments stay as the monitor left them: 64-bit mode ignores
	 * their bases and the iretq below nulls them for ring 3 anyway. */
	lidt boot_idtr
	mov $SEL_TSS, %eax
	ltr %ax
	mov %ebx, %edi                  /* flint_start(start_info) */
	mov $ring3_entry_frame, %esp    /* a static iretq frame: no pushes */
	iretq

/*
 * Exceptions: the stub pushed the vector on top of the error code.  Hand
 * vector, error code, rip, cs and cr2 to flint_exception() in ring 3 as its
 * five arguments, on the fault stack.  The faulting context is abandoned,
 * so registers need no saving.
 */
exc_common:
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	mov %cr2, %r8
	mov $ring3_exception_frame, %esp
	iretq

/*
 * WRMSR service: %ecx names the MSR, %edx:%eax the value; MSRs off the
 * allow-list are not written.  Writing the TSC deadline also halts: it is
 * only ever armed to wait, and one entry instead of two (this, then the
 * HALT service) saves about a third of a timed wait's cost on kvm_pvm.
 */
svc_wrmsr:
	cmp $MSR_TSC_DEADLINE, %ecx
	jne 1f
	wrmsr
	sti
	hlt
	iretq
1:	cmp $MSR_KVM_SYSTEM_TIME_NEW, %ecx
	jne 2f
	wrmsr
2:	iretq

/* ---- interrupt stubs: one 16-byte slot per vector at ISR_BASE ---- */
	.section .isr, "ax"
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.org vec * ISR_SLOT, 0xcc
	.if vec == VEC_HALT
	  /* The interrupt that ends hlt runs its own stub, which returns
	   * here; the iretq then restores ring 3's IF=0, so no cli. */
	  sti
	  hlt
	  iretq
	.elseif vec == VEC_WRMSR
	  jmp svc_wrmsr
	.elseif vec < 32
	  /* exceptions: a dummy error code where the CPU pushes none */
	  .if vec != 8 && vec != 10 && vec != 11 && vec != 12 && vec != 13 && vec != 14 && vec != 17 && vec != 21 && vec != 29 && vec != 30
	    pushq $0
	  .endif
	  pushq $vec
	  jmp exc_common
	.elseif vec == VEC_SPURIOUS
	  iretq                         /* a spurious interrupt takes no EOI */
	.else
	  /* Timer and devices.  Nothing to record: ring 3 checks the TSC or
	   * the device's rings when hlt returns. */
	  movl $0, LAPIC_EOI_ALIAS
	  iretq
	.endif
	.set vec, vec + 1
	.endr

/*
 * The 64-bit TSS: RSP0 (the stack for entries from ring 3) and an I/O
 * permission bitmap allowing every port.  IOPL 3 alone should suffice, but
 * the hosts Flint is built on (kvm_pvm) keep ring 3 at IOPL 0 and check
 * this bitmap instead.
 */
	.org TSS_BASE - ISR_BASE, 0xcc
	.globl isr_tss
isr_tss:
	.long 0
	.quad ring0_stack_top           /* RSP0 */
	.fill 11, 8, 0                  /* RSP1, RSP2, reserved, IST1-7, reserved */
	.word 0
	.word TSS_IOMAP                 /* offset of the bitmap */
	.fill 65536 / 8, 1, 0           /* 0: port allowed */
	.byte 0xff                      /* the CPU may read one byte past the map */
isr_tss_end:
	.if isr_tss_end - isr_tss != TSS_LIMIT + 1
	.error "TSS_LIMIT does not match the TSS"
	.endif

/* Checked by link.ld against where it placed .isr. */
	.globl flint_isr_base
	.set flint_isr_base, ISR_BASE

	.section .note.GNU-stack, "", @progbits
