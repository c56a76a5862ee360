/*
 * printenv [NAME...]: the environment flint-oci handed over (one NAME=VALUE
 * a line), or the values of the NAMEs given; status 1 if one is unset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		for (char **e = environ; e && *e; e++)
			printf("%s\n", *e);
	for (int i = 1; i < argc; i++) {
		const char *v = getenv(argv[i]);

		if (v)
			printf("%s\n", v);
		else
			rc = 1;
	}
	return rc;
}
