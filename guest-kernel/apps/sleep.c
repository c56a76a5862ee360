/* Sleeps argv[1] milliseconds (default 0), halted, and says how long it took. */
#include <stdio.h>
#include <stdlib.h>

#include <flint.h>

int main(int argc, char **argv)
{
	unsigned long ms = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	uint64_t t0 = clock_ns(), dt;

	sleep_ms(ms);
	dt = clock_ns() - t0;
	printf("slept %lu ms (measured %llu.%03llu ms)\n", ms, (unsigned long long)(dt / 1000000),
	       (unsigned long long)(dt / 1000 % 1000));
	return 0;
}
