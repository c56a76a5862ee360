/* sha256 PATH...: one "DIGEST  PATH" line per file, as sha256sum prints them.  Status 1 on any error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/sha256.h"

static int sum(const char *path)
{
	static char buf[65536];
	struct sha256 s;
	uint8_t d[32];
	char hex[65];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		printf("sha256: %s: %s\n", path, strerror(errno));
		return 1;
	}
	sha256_init(&s);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&s, buf, (size_t)n);
	close(fd);
	if (n < 0) {
		printf("sha256: %s: %s\n", path, strerror(errno));
		return 1;
	}
	sha256_final(&s, d);
	sha256_hex(d, hex);
	printf("%s  %s\n", hex, path);
	return 0;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		puts("usage: sha256 PATH...");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		status |= sum(argv[i]);
	return status;
}
