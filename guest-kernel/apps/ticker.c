/*
 * Prints `tick N` (N = 1, 2, 3, ...) every 10 ms, forever: the guest the
 * snapshot tests save and restore.  The count lives in guest memory, so a
 * VM restored after `tick N` goes on with `tick N+1`; the ticker notices
 * the restore (flint_seq() changed) but says nothing, so that every line
 * it prints stays `tick N`.
 */
#include <stdio.h>

#include <flint.h>

int main(void)
{
	uint32_t seq = flint_seq();
	unsigned restores = 0;

	for (unsigned long n = 1;; n++) {
		printf("tick %lu\n", n);
		sleep_ms(10);
		if (flint_seq() != seq) {
			seq = flint_seq();
			restores++;
		}
	}
	return (int)restores;
}
