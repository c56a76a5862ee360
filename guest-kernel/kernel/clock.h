#ifndef GUEST_KERNEL_CLOCK_H
#define GUEST_KERNEL_CLOCK_H

#include <stdint.h>

/* Conversions at the TSC frequency; the first use finds the frequency. */
uint64_t clock_tsc_to_ns(uint64_t ticks);
uint64_t clock_ns_to_tsc(uint64_t ns);

#endif
