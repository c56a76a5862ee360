/*
 * The CPU's tables, complete at assembly time so that ring 0 never writes
 * them (writing the 2048 page-directory entries at run time would cost
 * about 10 ms of emulated instructions here): page tables, GDT, IDT, the
 * two iretq frames into ring 3, and the stacks.
 */
#include "arch/x86_64/layout.h"

#define PTE_P   0x001
#define PTE_RW  0x002
#define PTE_US  0x004   /* ring 3 reaches all of it: RAM and MMIO */
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_A   0x020   /* accessed and dirty preset: the CPU has nothing to write back */
#define PTE_D   0x040
#define PTE_PS  0x080   /* 2 MiB page */
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)
#define PDE_RAM   (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_PS)
#define PDE_MMIO  (PDE_RAM | PTE_PCD | PTE_PWT)

	/* A section of their own, which link.ld puts in a 2 MiB region of its
	 * own: KVM write-protects the pages that hold page tables, and so
	 * cannot map any 2 MiB region that holds one with a single entry. */
	.section .pagetables, "aw"
/*
 * Identity map of 0-4 GiB with 2 MiB pages; the last GiB (MMIO hole) is
 * uncached.  PML4[511] and PDPT[511] also map that last GiB at the top of
 * the address space (0xffffffffc0000000), so ring 0 can reach the LAPIC
 * with a 32-bit sign-extended address; the same PDPT entry makes a
 * harmless second alias at 511 GiB.
 */
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.quad boot_pdpt + PTE_TABLE
	.fill 510, 8, 0
	.quad boot_pdpt + PTE_TABLE

	.balign 4096
boot_pdpt:
	.quad boot_pd + 0 * 4096 + PTE_TABLE
	.quad boot_pd + 1 * 4096 + PTE_TABLE
	.quad boot_pd + 2 * 4096 + PTE_TABLE
	.quad boot_pd + 3 * 4096 + PTE_TABLE
	.fill 507, 8, 0
	.quad boot_pd + 3 * 4096 + PTE_TABLE

	.balign 4096
boot_pd:
	.set i, 0
	.rept 2048
	.if i < 1536
	  .quad (i << 21) | PDE_RAM
	.else
	  .quad (i << 21) | PDE_MMIO
	.endif
	.set i, i + 1
	.endr

	.section .data.cpu_tables, "aw"
	.balign 16
boot_gdt:
	.quad 0
	.quad 0x00af9b000000ffff        /* 0x08 kernel code, 64-bit */
	.quad 0x00cf93000000ffff        /* 0x10 kernel data */
	.quad 0x00cff3000000ffff        /* 0x18 user data, DPL 3 */
	.quad 0x00affb000000ffff        /* 0x20 user code, 64-bit, DPL 3 */
	/* 0x28: available 64-bit TSS (ltr marks it busy: the GDT is writable) */
	.word TSS_LIMIT
	.word TSS_BASE & 0xffff
	.byte (TSS_BASE >> 16) & 0xff
	.byte 0x89
	.byte 0
	.byte (TSS_BASE >> 24) & 0xff
	.long 0
	.long 0
boot_gdt_end:

	/* lgdt runs in 32-bit mode: a 32-bit base */
	.globl boot_gdtr
boot_gdtr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.balign 16
	.globl boot_idtr
boot_idtr:
	.word 256 * 16 - 1
	.quad boot_idt

/*
 * Interrupt gates (IF cleared on entry) to the slot of each vector.  Only
 * the services may be raised from ring 3 (DPL 3); any other `int` from
 * ring 3 is a #GP (#UD on kvm_pvm), reported like any exception.
 */
	.balign 16
boot_idt:
	.set vec, 0
	.rept 256
	.word (ISR_BASE + ISR_SLOT * vec) & 0xffff
	.word SEL_KCODE
	.byte 0
	.if vec == VEC_HALT || vec == VEC_WRMSR
	  .byte 0xee
	.else
	  .byte 0x8e
	.endif
	.word (ISR_BASE + ISR_SLOT * vec) >> 16
	.long 0
	.long 0
	.set vec, vec + 1
	.endr

/*
 * iretq frames (rip, cs, rflags, rsp, ss), read in place.  The stack
 * pointers sit 8 below a 16-byte boundary, as if a call had pushed a
 * return address, which is what the C ABI expects at a function's entry.
 */
	.balign 8
	.globl ring3_entry_frame
ring3_entry_frame:
	.quad flint_start, SEL_UCODE, RFLAGS_USER, user_stack_top - 8, SEL_UDATA
	.globl ring3_exception_frame
ring3_exception_frame:
	.quad flint_exception, SEL_UCODE, RFLAGS_USER, fault_stack_top - 8, SEL_UDATA

	.section .bss.stacks, "aw", @nobits
	.balign 16
	.space 4096
	.globl ring0_stack_top
ring0_stack_top:
	.space 16384
fault_stack_top:
	.space 65536
user_stack_top:

	.section .note.GNU-stack, "", @progbits
