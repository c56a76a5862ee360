/*
 * Prints `tick N` (N = 1, 2, 3, ...) every 10 ms, forever: the guest the
 * snapshot tests save and restore.  The count lives in guest memory, so a
 * VM restored after `tick N` goes on with `tick N+1`; the ticker notices
 * the restore (flint_seq() changed) but says nothing, so that every line
 * it prints stays `tick N`.  `ticker R` also says it is ready
 * (flint_ready(), for `flint run --save-at-ready`) right after `tick R`.
 */
#include <stdio.h>
#include <stdlib.h>

#include <flint.h>

int main(int argc, char **argv)
{
	unsigned long ready_at = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	uint32_t seq = flint_seq();
	unsigned restores = 0;

	for (unsigned long n = 1;; n++) {
		printf("tick %lu\n", n);
		if (n == ready_at)
			flint_ready();
		sleep_ms(10);
		if (flint_seq() != seq) {
			seq = flint_seq();
			restores++;
		}
	}
	return (int)restores;
}
