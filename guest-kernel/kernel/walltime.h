#ifndef GUEST_KERNEL_WALLTIME_H
#define GUEST_KERNEL_WALLTIME_H

#include <stdbool.h>
#include <stdint.h>

/* Nanoseconds since the epoch from the pv page; false without Flint. */
bool walltime_ns(uint64_t *ns);

#endif
