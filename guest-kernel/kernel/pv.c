/*
 * Flint's paravirtual info page and ready register (the contract is in
 * include/flint/boot_abi.h).  The page costs no exit to read; it changes
 * only at a restore, which can fall between any two instructions, so
 * every read is bracketed by two reads of seq (the monitor adds one to seq
 * at every restore) and retried if they differ.
 */
#include <stddef.h>

#include <flint.h>

#include "arch/x86_64/cpu.h"
#include "kernel/clock.h"
#include "kernel/pv.h"

bool pv_read(struct flint_pv_info *out, uint64_t *tsc)
{
	const volatile struct flint_pv_info *p = pv_info_page();
	uint32_t seq;

	do {
		if (p->magic != FLINT_PV_INFO_MAGIC)
			return false;
		seq = p->seq;
		__asm__ volatile("" ::: "memory");
		out->magic = p->magic;
		out->seq = seq;
		out->flags = p->flags;
		out->generation = p->generation;
		for (unsigned i = 0; i < sizeof(out->random); i++)
			out->random[i] = p->random[i];
		out->wall_ns = p->wall_ns;
		out->wall_tsc = p->wall_tsc;
		if (tsc)
			*tsc = rdtsc();
		__asm__ volatile("" ::: "memory");
	} while (seq != p->seq);
	return true;
}

uint32_t flint_seq(void)
{
	const volatile struct flint_pv_info *p = pv_info_page();

	return p->magic == FLINT_PV_INFO_MAGIC ? p->seq : 0;
}

uint64_t flint_generation(void)
{
	struct flint_pv_info info;

	return pv_read(&info, NULL) ? info.generation : 0;
}

/*
 * Only after the magic: under QEMU the window is unassigned and the write
 * would be lost or worse.  The clock is set up first: learning the TSC's
 * frequency costs CPUID exits and a ring-0 wrmsr, which belong in the
 * snapshot taken here, not on the path of every request that follows
 * (the first wait on a virtio queue asks for it).
 */
void flint_ready(void)
{
	clock_tsc_hz();
	if (pv_info_page()->magic == FLINT_PV_INFO_MAGIC)
		mmio_write32(FLINT_PV_MMIO_GPA + FLINT_PV_READY, FLINT_PV_READY_VALUE);
}
