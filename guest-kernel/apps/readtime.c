/*
 * readtime PATH [KiB]: reads PATH through the VFS (the initrd by default,
 * ext4 with root=/dev/vda) in calls of KiB (default 1024), twice, timing
 * the second read, and prints `readtime: N bytes in T us, X MB/s`.  The
 * first read pays for warming up (TCG translating code, first touches);
 * the second is what tests/bench/rootfs.sh holds against the host's
 * `cat FILE > /dev/null` from its page cache.  Status 1 if the file cannot
 * be read, 2 for bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flint.h>

static int64_t read_all(const char *path, char *buf, size_t chunk)
{
	int64_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, chunk)) > 0)
		total += n;
	if (n < 0)
		total = -errno;
	close(fd);
	return total;
}

int main(int argc, char **argv)
{
	long kib = argc > 2 ? atol(argv[2]) : 1024;
	uint64_t t0, t1;
	int64_t n;
	char *buf;

	if (argc < 2 || argc > 3 || kib < 1 || kib > 65536) {
		puts("usage: readtime PATH [KiB]   (KiB 1..65536, default 1024)");
		return 2;
	}
	if (!(buf = malloc((size_t)kib << 10))) {
		printf("readtime: no memory for %ld KiB calls\n", kib);
		return 2;
	}
	if ((n = read_all(argv[1], buf, (size_t)kib << 10)) < 0) {
		printf("readtime: %s: %s\n", argv[1], strerror((int)-n));
		return 1;
	}
	t0 = clock_ns();
	n = read_all(argv[1], buf, (size_t)kib << 10);
	t1 = clock_ns();
	if (n < 0) {
		printf("readtime: %s: %s\n", argv[1], strerror((int)-n));
		return 1;
	}
	printf("readtime: %lld bytes in %llu us, %llu MB/s\n", (long long)n,
	       (unsigned long long)((t1 - t0) / 1000), (unsigned long long)(n * 1000 / (int64_t)(t1 - t0 + 1)));
	return 0;
}
