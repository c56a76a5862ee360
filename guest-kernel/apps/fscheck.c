/*
 * fscheck [ROOT]: fills the whole heap with a pattern, then prints the
 * SHA-256 of every regular file under ROOT (default /) as sha256sum
 * would, paths in byte order.  If the heap overlapped the initrd (the
 * guest must carve modules out of its heap), the fill would show up in
 * the digests; tests compare them with the host's.  Status 1 on errors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sha256.h"

static char **paths;
static size_t npaths, cap;
static int status;

static void collect(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		printf("fscheck: %s: %s\n", dir, strerror(errno));
		status = 1;
		return;
	}
	while ((de = readdir(d))) {
		size_t dl = strlen(dir), nl = strlen(de->d_name);
		char *p = malloc(dl + nl + 2);
		struct stat st;

		if (!p)
			exit(2);
		memcpy(p, dir, dl);
		if (!dl || dir[dl - 1] != '/')
			p[dl++] = '/';
		memcpy(p + dl, de->d_name, nl + 1);
		if (lstat(p, &st) < 0) {
			printf("fscheck: %s: %s\n", p, strerror(errno));
			status = 1;
		} else if (S_ISDIR(st.st_mode)) {
			collect(p);
		} else if (S_ISREG(st.st_mode)) {
			if (npaths == cap) {
				cap = cap ? 2 * cap : 64;
				paths = realloc(paths, cap * sizeof(*paths));
				if (!paths)
					exit(2);
			}
			paths[npaths++] = p;
			continue;
		}
		free(p);
	}
	closedir(d);
}

/* Everything malloc will still give, in 64 KiB pieces, filled; returns MiB. */
static size_t fill_heap(void)
{
	size_t total = 0;
	void *p;

	while ((p = malloc(65536))) {
		memset(p, 0xa5, 65536);
		total += 65536;
	}
	return total >> 20;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	size_t mib;

	collect(argc > 1 ? argv[1] : "/");
	/* Insertion sort, as in ls: a few hundred paths at most here. */
	for (size_t i = 1; i < npaths; i++) {
		char *x = paths[i];
		size_t j = i;

		for (; j > 0 && strcmp(paths[j - 1], x) > 0; j--)
			paths[j] = paths[j - 1];
		paths[j] = x;
	}
	mib = fill_heap();
	for (size_t i = 0; i < npaths; i++) {
		struct sha256 s;
		uint8_t d[32];
		char hex[65];
		ssize_t n;
		int fd = open(paths[i], O_RDONLY);

		if (fd < 0) {
			printf("fscheck: %s: %s\n", paths[i], strerror(errno));
			status = 1;
			continue;
		}
		sha256_init(&s);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			sha256_update(&s, buf, (size_t)n);
		close(fd);
		sha256_final(&s, d);
		sha256_hex(d, hex);
		printf("%s  %s\n", hex, paths[i]);
	}
	printf("fscheck: %zu files, %zu MiB of heap filled first\n", npaths, mib);
	return status;
}
