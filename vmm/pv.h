/*
 * The pv device (vmm/pv.c): Flint's paravirtual info page and ready
 * register (include/flint/boot_abi.h, docs/ARCHITECTURE.md "Boot ABI").
 * The module registers the register window; these two write the page.
 * Both read vCPU 0's TSC (KVM_GET_MSRS) and call getrandom, so they run
 * on the main thread once the vCPUs exist and before any of them runs
 * (or resumes), and before the sandbox (whose main filter allows neither
 * call after that).
 */
#ifndef FLINT_PV_H
#define FLINT_PV_H

#include <stddef.h>

struct machine;

/* Boot: seq 1, a fresh generation and random bytes, the wall clock
 * paired with vCPU 0's TSC as it is now. */
int pv_boot(struct machine *m, char *err, size_t errlen);

/*
 * Restore: call after guest memory and the vCPUs' state (their TSC)
 * are back.  seq becomes one more than the snapshot's page says, with a
 * new generation and random bytes, and the wall clock paired with the
 * restored TSC, so the guest's time jumps by the time it spent saved
 * while its TSC goes on from where it stopped.
 */
int pv_restore(struct machine *m, char *err, size_t errlen);

#endif
