/*
 * Fails on purpose, for the tests: `div0` divides by zero, `pf` reads
 * beyond the 4 GiB identity map, `ud` runs ud2, `panic` panics.
 */
#include <stdio.h>
#include <string.h>

#include <flint.h>

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "div0")) {
		/* both volatile: gcc folds 1 / x into compares, without a divide */
		volatile int zero = 0, dividend = 42;

		printf("fault: dividing by zero\n");
		printf("%d\n", dividend / zero);
	} else if (!strcmp(what, "pf")) {
		volatile int *unmapped = (volatile int *)0x100000000000ull;

		printf("fault: reading %p\n", (void *)unmapped);
		printf("%d\n", *unmapped);
	} else if (!strcmp(what, "ud")) {
		printf("fault: ud2\n");
		__asm__ volatile("ud2");
	} else if (!strcmp(what, "panic")) {
		panic("fault: panic requested");
	}
	printf("usage: fault div0|pf|ud|panic\n");
	return 2;
}
