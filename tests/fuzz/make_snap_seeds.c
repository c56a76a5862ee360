/*
 * Writes well-formed snapshot files for fuzz_snapshot into the directory
 * given, through the real writer: one with no devices and one with a few
 * devices, routes and two vCPUs, so the fuzzer starts past the header.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "snapshot_file.h"

static void seed(const char *dir, const char *name, const struct snapshot *s)
{
	char path[4096], err[512];
	uint8_t *mem = mmap(NULL, s->mem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (mem == MAP_FAILED || fd < 0)
		exit(1);
	mem[s->mem_size / 2] = 0x42;
	if (snap_write(fd, s, mem, true, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "make_snap_seeds: %s\n", err);
		exit(1);
	}
	close(fd);
	munmap(mem, s->mem_size);
}

int main(int argc, char **argv)
{
	static const uint8_t a[] = { 1, 2, 3, 4 }, b[] = { 5, 6 };
	struct snap_record vcpus[2] = { { .version = 1, .data = a, .len = 4 }, { .version = 1, .data = b, .len = 2 } };
	struct snap_record devs[3] = {
		{ .name = "uart", .version = 1, .data = b, .len = 2 },
		{ .name = "drive", .version = 2, .data = a, .len = 4 },
		{ .name = "poweroff" },
	};
	struct snap_route routes[2] = { { 5, 0x30, 0xfee00000 }, { 6, 0x31, 0xfee00000 } };
	struct snapshot s = {
		.host = { .cpu_vendor = "GenuineIntel", .cpu_signature = 0x906ea, .kvm_api = 12, .tsc_khz = 2900000 },
		.mem_size = 2 * 4096, .nvcpus = 1, .vm = { .version = 1, .data = b, .len = 2 }, .vcpus = vcpus,
	};

	if (argc != 2)
		return 2;
	seed(argv[1], "minimal.snap", &s);
	s.nvcpus = 2;
	s.ndevs = 3;
	s.devs = devs;
	s.nroutes = 2;
	s.routes = routes;
	seed(argv[1], "devices.snap", &s);
	return 0;
}
