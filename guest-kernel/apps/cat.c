/* cat PATH...: each file's bytes to the console, as cat(1).  Status 1 if any could not be read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/console.h"

static int cat(const char *path)
{
	static char buf[16384];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("cat: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		console_write(buf, (size_t)n);
	if (n < 0)
		printf("cat: %s: %s\n", path, strerror(errno));
	close(fd);
	return n < 0;
}

int main(int argc, char **argv)
{
	int status = 0;

	if (argc < 2) {
		puts("usage: cat PATH...");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		status |= cat(argv[i]);
	return status;
}
