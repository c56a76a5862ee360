/*
 * libFuzzer harness for the PVH loader: the input is the kernel ELF file.
 * It is written to a memfd and loaded by path (/proc/self/fd/N), through
 * the same open/fstat/pread path `flint run` takes, into 16 MiB of guest
 * memory followed by a guard page, so ASan or a fault flags any write
 * outside guest memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "loader_pvh.h"

#define MEM_SIZE (16u << 20)

static int fd = -1;
static char path[64];
static struct guest_mem mem;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p;

	(void)argc, (void)argv;
	fd = memfd_create("fuzz-kernel.elf", MFD_CLOEXEC);
	p = mmap(NULL, MEM_SIZE + page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fd < 0 || p == MAP_FAILED || mprotect(p + MEM_SIZE, page, PROT_NONE) < 0)
		abort();
	mem = (struct guest_mem){ p, MEM_SIZE };
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pvh_image img = { 0 };
	char err[1024] = "";

	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (pvh_load(&mem, path, &img, err, sizeof(err)) == 0) {
		/* What it reports must be what it checked. */
		if (img.lo < (1u << 20) || img.hi > MEM_SIZE || img.lo >= img.hi ||
		    img.entry32 < img.lo || img.entry32 >= img.hi)
			abort();
	} else if (!err[0] || strchr(err, '\n')) {
		abort();
	}
	return 0;
}
