/*
 * What lwIP asks of the platform under NO_SYS: the time in milliseconds
 * (for its timers) and random numbers (TCP initial sequence numbers and
 * ephemeral ports).
 */
#include <stdint.h>

#include <flint.h>

#include "arch/x86_64/cpu.h"
#include "lwip/arch.h"
#include "lwip/sys.h"

u32_t sys_now(void)
{
	return (u32_t)(clock_ns() / 1000000);
}

/* Not cryptographic: enough that two boots do not pick the same sequence numbers. */
unsigned flint_lwip_rand(void)
{
	static uint64_t state;
	uint64_t z;

	if (!state)
		state = rdtsc() | 1;
	/* splitmix64 */
	z = (state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (unsigned)(z ^ (z >> 31));
}
