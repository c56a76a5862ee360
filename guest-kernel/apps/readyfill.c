/*
 * A guest with initialisation worth skipping, for --save-at-ready and
 * `make bench`: fills argv[1] MiB (default 0) of heap with a pattern,
 * calls flint_ready(), then with argv[2] = "check" verifies the pattern
 * and prints `readyfill: ok N MiB seq S` (or `readyfill: BAD at OFFSET`,
 * status 1); with "sleep" it prints `readyfill: sleeping` and idles for
 * ever (halted); with neither it exits 0 at once, so a restore's
 * whole-process time is the time to its first instruction after resuming.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>

static uint64_t pattern(uint64_t i)
{
	return i * 0x9e3779b97f4a7c15ull ^ 0x5eed;
}

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	int check = argc > 2 && !strcmp(argv[2], "check");
	int idle = argc > 2 && !strcmp(argv[2], "sleep");
	uint64_t *p = NULL, n = (uint64_t)mib << 17; /* 8-byte words */

	if (mib && !(p = malloc(mib << 20))) {
		printf("readyfill: cannot allocate %lu MiB\n", mib);
		return 2;
	}
	for (uint64_t i = 0; i < n; i++)
		p[i] = pattern(i);
	flint_ready();
	if (idle) {
		printf("readyfill: sleeping\n");
		for (;;)
			sleep_ms(3600 * 1000);
	}
	if (!check)
		return 0;
	for (uint64_t i = 0; i < n; i++)
		if (p[i] != pattern(i)) {
			printf("readyfill: BAD at %llu\n", (unsigned long long)(i * 8));
			return 1;
		}
	printf("readyfill: ok %lu MiB seq %u\n", mib, flint_seq());
	return 0;
}
