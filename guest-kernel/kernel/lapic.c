#include <stdbool.h>

#include "kernel/lapic.h"

#define SVR_ENABLE  0x100
#define LVT_MASKED  (1u << 16)

void lapic_enable(void)
{
	static bool enabled;

	if (enabled)
		return;
	enabled = true;
	lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	/* KVM leaves LINT0 in ExtINT mode on the boot CPU: an 8259 could then
	 * interrupt our halts with vectors that collide with exceptions. */
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
}

uint8_t lapic_id(void)
{
	return (uint8_t)(lapic_read(LAPIC_ID) >> 24);
}
