/*
 * Flint's paravirtual page and ready register (include/flint/boot_abi.h),
 * the parts with logic and no KVM: what the page holds at boot and at a
 * restore, and the register window's decoding.  vmm/pv.c supplies the
 * host's random bytes, clocks and the guest's TSC.
 */
#ifndef FLINT_HW_PARAVIRT_H
#define FLINT_HW_PARAVIRT_H

#include <stdint.h>

#include "flint/boot_abi.h"

/* Host random bytes one page takes: the generation (8), then random[]. */
#define PV_RANDOM_BYTES (8 + 32)

/*
 * The page for seq (1 at boot), from fresh host random bytes and one
 * (host CLOCK_REALTIME, guest TSC) pair.  The generation is never 0, which
 * means "no Flint" to a guest.
 */
void pv_info_make(struct flint_pv_info *p, uint32_t seq, const uint8_t rnd[PV_RANDOM_BYTES],
		  uint64_t wall_ns, uint64_t wall_tsc);

/*
 * The seq a restore writes, given the page as the snapshot holds it:
 * one more than its seq.  The page is guest memory, so it may hold
 * anything: without the magic (a guest that wrote over it) the restore
 * still gets a seq other than 1 and 0; a wrap skips 0 ("no Flint").
 */
uint32_t pv_info_next_seq(const struct flint_pv_info *saved);

/*
 * The register window.  Reads are 0; a 4-byte write of
 * FLINT_PV_READY_VALUE at FLINT_PV_READY calls ready(ctx) (if set) on
 * the writing vCPU's thread, and the guest's write completes when it
 * returns; anything else is ignored.  Shaped as struct bus_ops's calls,
 * with a struct pv_window as dev.
 */
struct pv_window {
	void (*ready)(void *ctx);
	void *ctx;
};

void pv_window_read(void *dev, uint64_t offset, uint8_t *data, uint32_t len);
void pv_window_write(void *dev, uint64_t offset, const uint8_t *data, uint32_t len);

#endif
