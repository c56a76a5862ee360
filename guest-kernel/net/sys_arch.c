/*
 * What lwIP asks of the platform under NO_SYS: the time in milliseconds
 * (for its timers) and random numbers (TCP initial sequence numbers,
 * through LWIP_HOOK_TCP_ISN, and the first local ports).
 */
#include <stdint.h>

#include <flint.h>

#include "lwip/arch.h"
#include "lwip/sys.h"

u32_t sys_now(void)
{
	return (u32_t)(clock_ns() / 1000000);
}

/* kernel/random.c: keyed by the host's random bytes, rekeyed at every restore. */
unsigned flint_lwip_rand(void)
{
	return (unsigned)flint_random();
}
