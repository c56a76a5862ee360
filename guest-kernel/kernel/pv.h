#ifndef GUEST_KERNEL_PV_H
#define GUEST_KERNEL_PV_H

#include <stdbool.h>
#include <stdint.h>

#include <flint/boot_abi.h>

/* Where the monitor's info page is: FLINT_PV_INFO_GPA (the host tests supply their own). */
const volatile struct flint_pv_info *pv_info_page(void);

/*
 * A consistent copy of the page, and the TSC read while it was current
 * (*tsc may be NULL).  False without Flint (the magic does not match).
 */
bool pv_read(struct flint_pv_info *out, uint64_t *tsc);

#endif
