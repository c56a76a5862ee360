/*
 * The contract between the Flint monitor and a guest it boots: addresses,
 * ports and structures both sides must agree on.  Freestanding (stdint
 * only) so the guest kernel includes it too.  docs/ARCHITECTURE.md
 * explains each item; change both sides and the doc together.
 */
#ifndef FLINT_BOOT_ABI_H
#define FLINT_BOOT_ABI_H

#include <stdint.h>

/* ---- guest physical memory map ---- */
#define FLINT_START_INFO_GPA   0x1000ull   /* struct hvm_start_info, %ebx at entry */
#define FLINT_MEMMAP_GPA       0x1100ull   /* hvm_memmap_table_entry[FLINT_MEMMAP_MAX] */
#define FLINT_MEMMAP_MAX       8
#define FLINT_CMDLINE_GPA      0x2000ull   /* NUL-terminated, < FLINT_CMDLINE_SIZE */
#define FLINT_CMDLINE_SIZE     0x1000ull
#define FLINT_MODLIST_GPA      0x1800ull   /* hvm_modlist_entry[FLINT_MODULES_MAX], if nr_modules */
#define FLINT_MODULES_MAX      8
#define FLINT_MODULE_ALIGN     0x1000ull   /* modules (the initrd) start on a page */
#define FLINT_KERNEL_MIN_GPA   0x100000ull /* below 1 MiB is the monitor's: kernels may not load there */
#define FLINT_MMIO_HOLE_GPA    0xC0000000ull /* RAM ends at or before this */

/* ---- devices ---- */
#define FLINT_UART_MMIO_GPA    0xD0000000ull /* 16550A, 8 byte-wide registers, stride 1 */
#define FLINT_UART_MMIO_SIZE   0x1000ull
#define FLINT_UART_PIO_BASE    0x3f8         /* the same UART, for console=ttyS0 and QEMU's layout */
#define FLINT_UART_GSI         4
/*
 * Flint's console extension, in the UART's MMIO window past the 16550A's
 * eight registers (a real 16550A, or QEMU, has nothing there):
 *
 * ID (read, 8 bytes): FLINT_UART_EXT_MAGIC in bits 0-31, the largest
 *   buffer TX takes (FLINT_UART_EXT_MAX) in bits 32-63.  Anything else
 *   (QEMU microvm reads 0 there, a bus with nothing behind it all ones)
 *   means no extension: use the 16550A registers.  Reading is the whole
 *   probe: a guest writes nothing before it has seen the magic.
 * TX (write, 8 bytes): len << 32 | gpa hands the monitor the guest bytes
 *   [gpa, gpa + len), which it copies out during the write (the buffer is
 *   the guest's again when the write instruction completes) and outputs in
 *   order with what went through THR.  One write, one exit, per buffer.
 *   gpa is 32 bits because RAM ends below FLINT_MMIO_HOLE_GPA; a buffer
 *   with len 0, len > FLINT_UART_EXT_MAX or any byte outside RAM is
 *   dropped (and counted by the monitor); other widths are ignored.
 * Both are outside the UART's coalesced-write zone, so TX always exits.
 */
#define FLINT_UART_EXT_ID      0x10
#define FLINT_UART_EXT_TX      0x18
#define FLINT_UART_EXT_MAGIC   0x54584c46u   /* "FLXT" */
#define FLINT_UART_EXT_MAX     4096u
#define FLINT_VIRTIO_MMIO_GPA  0xD0001000ull /* device i at + i * FLINT_VIRTIO_MMIO_STRIDE */
#define FLINT_VIRTIO_MMIO_STRIDE 0x1000ull
#define FLINT_VIRTIO_MMIO_SIZE 0x200ull
#define FLINT_VIRTIO_GSI_BASE  5             /* device i uses GSI 5 + i */
#define FLINT_VIRTIO_MAX       16
/*
 * Flint delivers virtio interrupts as MSIs, no IOAPIC involved: GSI
 * FLINT_VIRTIO_GSI_BASE + i arrives at APIC 0 as edge-triggered vector
 * FLINT_VIRTIO_VECTOR_BASE + i.  (Under QEMU microvm the same pins go
 * through its IOAPIC, which the guest programs.)
 */
#define FLINT_VIRTIO_VECTOR_BASE 0x30

/*
 * Power-off: a write of v (1, 2 or 4 bytes) to this port ends the VM and
 * flint exits with status v & 0xff.  The port is QEMU's isa-debug-exit
 * default, so the same guest also stops under QEMU (which exits with
 * (v << 1) | 1 instead).
 */
#define FLINT_POWEROFF_PORT    0xf4

/*
 * Flint's paravirtual page and register: what snapshots and clones need.
 *
 * The info page (struct flint_pv_info at FLINT_PV_INFO_GPA, in the
 * monitor's part of low memory) is written by the monitor while no vCPU
 * runs: at boot before the first instruction, and at every restore before
 * the guest resumes.  Reading it costs the guest no exit.  `seq` is 1 at
 * boot and grows by one at every restore: a guest that remembers the last
 * seq it saw knows it has been cloned and re-reads the rest (reseeding
 * its random numbers, re-reading the wall clock).  Under QEMU the page is
 * all zeroes: magic does not match, there is no generation (0) and
 * flint_ready() does nothing.
 *
 * Wall clock: wall_ns is the host's CLOCK_REALTIME (ns since the epoch)
 * at the moment the guest's TSC read wall_tsc, so the guest's time is
 * wall_ns + (rdtsc() - wall_tsc) * 10^6 / tsc_khz.  The guest TSC never
 * jumps backwards: a restored guest's TSC continues from the value it
 * had when it was saved (the time a VM spent saved does not show in its
 * TSC, only in wall_ns).  Except under kvm_pvm, where the guest's TSC is
 * the host's and cannot be set: there it jumps by the time in between.
 * wall_tsc is always the TSC as the guest reads it, so wall time holds.
 *
 * The register window (FLINT_PV_MMIO_GPA): a 4-byte write of
 * FLINT_PV_READY_VALUE at FLINT_PV_READY says "my initialisation is done,
 * snapshot me now if you want to" (`flint run --save-at-ready`); one exit.
 * Other offsets, widths and values are ignored; reads return 0.  A guest
 * writes it only after seeing FLINT_PV_INFO_MAGIC in the page.
 */
#define FLINT_PV_INFO_GPA      0x3000ull
#define FLINT_PV_INFO_MAGIC    0x4f464e4956504c46ull /* "FLPVINFO" */
#define FLINT_PV_MMIO_GPA      0xD0020000ull
#define FLINT_PV_MMIO_SIZE     0x1000ull
#define FLINT_PV_READY         0x0
#define FLINT_PV_READY_VALUE   0x59444552u           /* "REDY" */

struct flint_pv_info {
	uint64_t magic;          /* FLINT_PV_INFO_MAGIC */
	uint32_t seq;            /* 1 at boot, +1 at every restore */
	uint32_t flags;          /* 0 for now */
	uint64_t generation;     /* this VM's id: new and random at boot and at every restore */
	uint8_t random[32];      /* fresh host random bytes (getrandom) at boot and at every restore */
	uint64_t wall_ns;        /* host CLOCK_REALTIME in ns when ... */
	uint64_t wall_tsc;       /* ... the guest's TSC read this */
};

/* ---- PVH (Xen HVM direct boot) structures, as the Xen ABI defines them ---- */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC_VALUE  0x336ec578u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;        /* 1: memmap fields valid */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

/*
 * One module (Flint: the initrd, [kernel] initrd), as QEMU's -initrd
 * announces it to PVH kernels: nr_modules entries at modlist_paddr.
 */
struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;  /* 0: none */
	uint64_t reserved;
};

#define HVM_MEMMAP_TYPE_RAM      1
#define HVM_MEMMAP_TYPE_RESERVED 2

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

/*
 * Flint's own ELF note (name "Flint").  Optional: a guest that carries it
 * tells the monitor where it records boot timestamps, so `flint --stats`
 * can show guest-side milestones without a single extra exit.  The
 * descriptor is one 64-bit guest physical address of struct
 * flint_boot_stats, which must lie inside a PT_LOAD segment.
 */
#define FLINT_NOTE_NAME        "Flint"
#define FLINT_NOTE_BOOT_STATS  0x464c0001u
#define FLINT_BOOT_STATS_MAGIC 0x54415453544e4c46ull /* "FLNTSTAT" */

struct flint_boot_stats {
	uint64_t magic;          /* FLINT_BOOT_STATS_MAGIC, set statically */
	uint64_t tsc_entry;      /* guest TSC at its first instructions */
	uint64_t tsc_main;       /* guest TSC just before main() */
	uint64_t tsc_exit;       /* guest TSC just before the power-off write */
};

#endif
