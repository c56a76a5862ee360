/*
 * Sleeps argv[1] milliseconds (default 0), halted, and says how long it
 * took.  It says "sleeping" first, so a test can tell set-up from idling
 * however slow the host is.  `sleep input` sleeps until a byte of console
 * input comes instead (looking every 10 ms), so a test can end the guest
 * when it is ready rather than after a guessed time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

#include "kernel/console.h"

int main(int argc, char **argv)
{
	bool until_input = argc > 1 && !strcmp(argv[1], "input");
	unsigned long ms = argc > 1 && !until_input ? strtoul(argv[1], NULL, 0) : 0;
	uint64_t t0, dt;

	if (until_input) {
		puts("sleeping until input");
		while (console_getc_nowait() < 0)
			sleep_ms(10);
		puts("input came");
		return 0;
	}
	printf("sleeping %lu ms\n", ms);
	t0 = clock_ns();
	sleep_ms(ms);
	dt = clock_ns() - t0;
	printf("slept %lu ms (measured %llu.%03llu ms)\n", ms, (unsigned long long)(dt / 1000000),
	       (unsigned long long)(dt / 1000 % 1000));
	return 0;
}
