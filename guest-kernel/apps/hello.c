/*
 * The smallest useful guest: greets, echoes its arguments one per line
 * ("argv[1] = 42"), and exits with the number in argv[1] (0 if none).
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	printf("Hello from Flint\n");
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	return argc > 1 ? atoi(argv[1]) : 0;
}
