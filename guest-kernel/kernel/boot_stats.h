#ifndef GUEST_KERNEL_BOOT_STATS_H
#define GUEST_KERNEL_BOOT_STATS_H

#include <flint/boot_abi.h>

extern struct flint_boot_stats flint_boot_stats;

#endif
