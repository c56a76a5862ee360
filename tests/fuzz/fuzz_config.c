/*
 * libFuzzer harness for the configuration parser (config_load, over inih).
 *
 * Input: the INI text up to the first NUL byte, then NUL-separated
 * "section.key=value" overrides as --set would pass them (at most 8).
 * The text goes to a memfd, named to config_load as /proc/self/fd/N, so
 * every input is parsed from a real file without touching the disk.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

#define MAX_SETS 8

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fd = memfd_create("fuzz-config.ini", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t ini_len = nul ? (size_t)(nul - data) : size;
	char *sets[MAX_SETS], *copy = NULL, err[1024];
	struct flint_spec cfg;
	int nsets = 0;

	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, ini_len, 0) != (ssize_t)ini_len)
		abort();
	if (nul) {
		/* The overrides, NUL-terminated by the copy's extra byte. */
		size_t rest = size - ini_len - 1;

		copy = malloc(rest + 1);
		memcpy(copy, nul + 1, rest);
		copy[rest] = 0;
		for (char *p = copy; p < copy + rest + 1 && nsets < MAX_SETS; p += strlen(p) + 1)
			sets[nsets++] = p;
	}
	err[0] = 0;
	if (config_load(&cfg, path, sets, nsets, err, sizeof(err)) == 0) {
		/* Whatever is accepted must hold what the header promises. */
		if (!cfg.kernel_path || cfg.vcpus < 1 || cfg.vcpus > CONFIG_VCPUS_MAX ||
		    cfg.ndrives > CONFIG_DRIVES_MAX)
			abort();
		config_free(&cfg);
	} else if (!err[0] || strchr(err, '\n')) {
		fprintf(stderr, "fuzz_config: bad message: \"%s\"\n", err), abort(); /* a failure always says why, on one line */
	}
	free(copy);
	return 0;
}
