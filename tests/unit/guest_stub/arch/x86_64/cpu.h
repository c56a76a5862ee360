/* test_guest_virtq's stand-in for the guest's cpu.h: the TSC is the test's simulated clock. */
#ifndef TEST_GUEST_STUB_CPU_H
#define TEST_GUEST_STUB_CPU_H

#include <stdint.h>

uint64_t rdtsc(void);

#endif
