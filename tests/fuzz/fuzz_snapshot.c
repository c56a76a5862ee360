/*
 * libFuzzer harness for the snapshot reader (vmm/machine/snapshot/snapshot_file.c): the
 * input is the snapshot file, read through a memfd the way `flint run
 * --restore` reads one.  The harness recomputes the header's and the
 * metadata's CRC-32 first (unless the header's reserved word is non-zero,
 * which keeps the checksum paths fuzzed too): otherwise almost no input
 * would get past the checksums to the parser behind them.  A snapshot the
 * reader accepts is checked against itself, every record is read, and
 * its memory is mapped and touched, so ASan sees any length or offset
 * the reader let through unchecked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "snapshot_file.h"

static int fd = -1;
static uint8_t *buf;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fd = memfd_create("fuzz.snap", MFD_CLOEXEC);
	buf = malloc(1 << 20);
	if (fd < 0 || !buf)
		abort();
	return 0;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static unsigned sum(const struct snap_record *r)
{
	unsigned s = r->version;

	for (uint32_t i = 0; i < r->len; i++)
		s += r->data[i];
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot s;
	const char *names[SNAP_MAX_DEVICES];
	volatile unsigned acc = 0;
	char err[1024] = "";

	if (size > (1 << 20))
		return 0;
	memcpy(buf, data, size);
	if (size >= SNAP_HEADER_SIZE && le(buf + 56, 4) == 0) {
		uint64_t meta_len = le(buf + 24, 8);

		if (meta_len <= size - SNAP_HEADER_SIZE)
			put32(buf + 48, (uint32_t)crc32(0, buf + SNAP_HEADER_SIZE, (uInt)meta_len));
		put32(buf + 60, (uint32_t)crc32(0, buf, 60));
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, buf, size, 0) != (ssize_t)size))
		abort();
	if (snap_read(fd, "fuzz.snap", &s, err, sizeof(err)) < 0) {
		/* Every refusal says why, on one line, naming the file. */
		if (strncmp(err, "fuzz.snap: ", 11) || strchr(err, '\n'))
			abort();
		return 0;
	}
	for (uint32_t i = 0; i < s.ndevs; i++)
		names[i] = s.devs[i].name;
	if (snap_check(&s, "fuzz.snap", &s.host, s.mem_size, s.nvcpus, names, s.ndevs, err, sizeof(err)))
		abort(); /* a snapshot fits the machine it describes */
	acc += sum(&s.vm);
	for (uint32_t i = 0; i < s.nvcpus; i++)
		acc += sum(&s.vcpus[i]);
	for (uint32_t i = 0; i < s.ndevs; i++) {
		acc += sum(&s.devs[i]);
		if (snap_find_dev(&s, s.devs[i].name) != &s.devs[i])
			abort();
	}
	for (uint32_t i = 0; i < s.nroutes; i++)
		acc += s.routes[i].gsi;
	{
		uint8_t *mem = snap_map_memory(fd, &s, NULL, err, sizeof(err));

		uint8_t *copy = calloc(1, s.mem_size);

		if (!mem || !copy)
			abort(); /* the reader checked that the image is inside the file */
		acc += mem[0] + mem[s.mem_size - 1];
		/* Read instead of mapped: exactly the mapping's bytes. */
		if (snap_read_memory(fd, &s, copy, err, sizeof(err)) || memcmp(copy, mem, s.mem_size))
			abort();
		free(copy);
		munmap(mem, s.mem_size);
	}
	snap_free(&s);
	(void)acc;
	return 0;
}
