/*
 * Sleeps argv[1] milliseconds (default 0), halted, and says how long it
 * took.  It says "sleeping" first, so a test can tell set-up from idling
 * however slow the host is.
 */
#include <stdio.h>
#include <stdlib.h>

#include <flint.h>

int main(int argc, char **argv)
{
	unsigned long ms = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	uint64_t t0, dt;

	printf("sleeping %lu ms\n", ms);
	t0 = clock_ns();
	sleep_ms(ms);
	dt = clock_ns() - t0;
	printf("slept %lu ms (measured %llu.%03llu ms)\n", ms, (unsigned long long)(dt / 1000000),
	       (unsigned long long)(dt / 1000 % 1000));
	return 0;
}
