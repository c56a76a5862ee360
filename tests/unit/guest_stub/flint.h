/* What the guest code under test takes from <flint.h>, for the host tests (test_guest_*.c). */
#ifndef TEST_GUEST_STUB_FLINT_H
#define TEST_GUEST_STUB_FLINT_H

#include <stdint.h>

const char *cmdline_param(const char *name);
uint64_t clock_tsc_hz(void);
uint32_t flint_seq(void);
uint64_t flint_generation(void);
uint64_t flint_random(void);
void flint_ready(void);
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
