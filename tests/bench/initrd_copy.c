/*
 * How should the monitor put a 64 MiB initrd into guest RAM?  No KVM
 * here, so this measures the host side of the two candidates into an
 * anonymous mapping like guest RAM (MAP_PRIVATE|MAP_NORESERVE):
 *   read: pread() the file into the slot (what vmm/machine/boot/loader_initrd.c does);
 *   mmap: MAP_PRIVATE|MAP_FIXED the file over the slot.
 * For each, the set-up alone and set-up plus the guest reading every page
 * once (a read per 4 KiB page, as a cpio walk or sha256 would), page
 * cache warm.  Prints the median of N runs in ms.
 * Usage: initrd_copy FILE [RUNS]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SLOT_OFF (2u << 20)   /* the slot starts 2 MiB into "guest RAM", above a kernel */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i += 4096)
		acc ^= p[i];
	sink = acc;
}

/* One run: returns set-up ms in *setup and set-up + reading in *total. */
static int one(int fd, size_t size, int use_mmap, double *setup, double *total)
{
	size_t ram = SLOT_OFF + size + (16u << 20);
	uint8_t *mem = mmap(NULL, ram, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double t0, t1;

	if (mem == MAP_FAILED)
		return -1;
	t0 = now_ms();
	if (use_mmap) {
		if (mmap(mem + SLOT_OFF, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)
			return -1;
	} else {
		for (size_t done = 0; done < size;) {
			ssize_t n = pread(fd, mem + SLOT_OFF + done, size - done, (off_t)done);

			if (n <= 0)
				return -1;
			done += (size_t)n;
		}
	}
	t1 = now_ms();
	touch(mem + SLOT_OFF, size);
	*setup = t1 - t0;
	*total = now_ms() - t0;
	munmap(mem, ram);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 9, fd;
	struct stat st;
	double s[2][64], t[2][64];

	if (argc < 2 || runs < 1 || runs > 64) {
		fprintf(stderr, "usage: %s FILE [RUNS <= 64]\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 2;
	}
	for (int i = 0; i < runs; i++)          /* interleaved, so drift hits both */
		for (int m = 0; m < 2; m++)
			if (one(fd, (size_t)st.st_size, m, &s[m][i], &t[m][i]) < 0) {
				perror("run");
				return 1;
			}
	for (int m = 0; m < 2; m++) {
		qsort(s[m], runs, sizeof(double), cmp);
		qsort(t[m], runs, sizeof(double), cmp);
		printf("%s: set-up %.2f ms, set-up + reading every page %.2f ms (median of %d, %lld MiB)\n",
		       m ? "mmap MAP_PRIVATE|MAP_FIXED" : "pread into the slot", s[m][runs / 2], t[m][runs / 2],
		       runs, (long long)st.st_size >> 20);
	}
	return 0;
}
