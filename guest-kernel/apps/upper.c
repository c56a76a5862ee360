/*
 * upper [BYTES]: stdin to stdout in upper case (ASCII letters; every other
 * byte passes as it is) until the end of input, then exit 0.  BYTES stops
 * after that many bytes instead, for consoles that cannot say where their
 * input ends (a UART; QEMU's single-port virtconsole).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[64 << 10];
	unsigned long long left = ~0ull;
	char *end;
	ssize_t n = 0;

	if (argc > 2 || (argc == 2 && ((left = strtoull(argv[1], &end, 0)), *end || end == argv[1]))) {
		fprintf(stderr, "usage: upper [BYTES]\n");
		return 2;
	}
	while (left && (n = read(0, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] >= 'a' && buf[i] <= 'z')
				buf[i] = (char)(buf[i] - 'a' + 'A');
		if (write(1, buf, (size_t)n) != n) {
			fprintf(stderr, "upper: write failed\n");
			return 1;
		}
		left -= (unsigned long long)n;
	}
	if (n < 0) {
		fprintf(stderr, "upper: read failed\n");
		return 1;
	}
	return 0;
}
