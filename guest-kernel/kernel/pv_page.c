/* Apart from kernel/pv.c so that the host tests can put the page elsewhere. */
#include <stdint.h>

#include "kernel/pv.h"

const volatile struct flint_pv_info *pv_info_page(void)
{
	return (const volatile struct flint_pv_info *)(uintptr_t)FLINT_PV_INFO_GPA;
}
