/*
 * The Flint guest platform: time, sleeping, the kernel command line and
 * fatal errors.  The C library subset lives in <string.h>, <stdio.h>,
 * <stdlib.h> and <assert.h>.
 */
#ifndef FLINT_GUEST_H
#define FLINT_GUEST_H

#include <stdint.h>

/* Nanoseconds since the guest's first instruction; monotonic. */
uint64_t clock_ns(void);

/* The TSC frequency in Hz, as kvmclock (or CPUID) reports it. */
uint64_t clock_tsc_hz(void);

/* Halt (no host CPU use) for at least this long. */
void sleep_ns(uint64_t ns);
void sleep_ms(uint64_t ms);

/*
 * Kernel parameters: the words before the first `--`, plus every
 * `virtio_mmio.device=` word wherever it stands.  For `name=value` returns
 * value, for a bare `name` returns "", and NULL when absent.  _nth returns
 * the n-th occurrence (from 0) of a parameter that may repeat.
 */
const char *cmdline_param(const char *name);
const char *cmdline_param_nth(const char *name, unsigned n);

/* How console output leaves: "flint-buffer" (Flint's UART extension, one
 * exit per flush) or "16550A" (the UART's registers). */
const char *console_path(void);

/*
 * Flint's paravirtual page (include/flint/boot_abi.h); no exits, except
 * one in flint_ready().  Without Flint (QEMU) seq and generation are 0 and
 * flint_ready() does nothing.
 *
 * flint_seq: 1 after boot, one more after every restore from a snapshot;
 *   a change means this VM is a clone (its memory may be shared by others).
 * flint_generation: this VM's random id, new at boot and at every restore.
 * flint_ready: "initialisation done, snapshot me now if you want"
 *   (`flint run --save-at-ready`).  It returns when the monitor is done.
 */
uint32_t flint_seq(void);
/*
 * 64 random bits, unpredictable from earlier outputs when Flint gave host
 * random bytes (the pv page), and different in every clone of a snapshot;
 * without Flint seeded from the TSC (differs per boot, not secret).
 */
uint64_t flint_random(void);
uint64_t flint_generation(void);
void flint_ready(void);

/* argv[0]: the app's name, fixed at build time. */
extern const char flint_app_name[];

/* Prints "guest panic: <message>" and exits with status 127. */
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
