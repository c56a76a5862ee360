/*
 * Console load: prints argv[1] lines (default 1000) of 63 characters and a
 * newline, then sleeps argv[2] ms (default 0).  For tests of a console
 * nobody reads, and of what console output costs.
 */
#include <stdio.h>
#include <stdlib.h>

#include <flint.h>

int main(int argc, char **argv)
{
	unsigned long lines = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
	unsigned long ms = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;

	for (unsigned long i = 0; i < lines; i++)
		printf("spew %010lu abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\n", i);
	sleep_ms(ms);
	return 0;
}
