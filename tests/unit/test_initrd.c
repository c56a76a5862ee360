/* Unit tests for vmm/machine/boot/loader_initrd.c: the initrd into a guest_mem buffer (no KVM). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flint/boot_abi.h>

#include "boot_info.h"
#include "check.h"
#include "guarded_mem.h"
#include "loader_initrd.h"

#define WHERE "vm.ini:4"

static char dir[64];

static const char *file_of(size_t size, char *path, size_t plen)
{
	FILE *f;

	if (!dir[0]) {
		strcpy(dir, "/tmp/flint-initrd-XXXXXX");
		if (!mkdtemp(dir))
			return NULL;
	}
	snprintf(path, plen, "%s/initrd-%zu", dir, size);
	f = fopen(path, "wb");
	if (!f)
		return NULL;
	for (size_t i = 0; i < size; i++)
		fputc((int)(i * 13 + 5) & 0xff, f);
	fclose(f);
	return path;
}

static bool untouched(const struct guest_mem *m)
{
	for (uint64_t i = 0; i < m->size; i++)
		if (m->host[i])
			return false;
	return guarded_mem_intact(m);
}

TEST(loads_page_aligned_above_the_kernel)
{
	struct guest_mem m = guarded_mem_new(8 << 20);
	struct initrd_image img = { 0 };
	struct hvm_modlist_entry e;
	char path[128], err[512] = "";
	bool same = true;

	CHECK(file_of(10000, path, sizeof(path)));
	CHECK(initrd_load(&m, path, WHERE, 0x123456, false, &img, err, sizeof(err)) == 0);
	CHECK(img.gpa == 0x124000 && img.size == 10000);
	for (size_t i = 0; i < 10000; i++)
		same &= m.host[img.gpa + i] == (uint8_t)(i * 13 + 5);
	CHECK(same);
	CHECK(m.host[img.gpa - 1] == 0 && m.host[img.gpa + 10000] == 0);
	memcpy(&e, m.host + FLINT_MODLIST_GPA, sizeof(e));
	CHECK(e.paddr == img.gpa && e.size == 10000 && e.cmdline_paddr == 0);
	/* A kernel ending on a page boundary: the initrd starts right there. */
	CHECK(initrd_load(&m, path, WHERE, 0x200000, false, &img, err, sizeof(err)) == 0 && img.gpa == 0x200000);
	CHECK(guarded_mem_intact(&m));
	free(m.host);
}

TEST(announced_in_the_start_info)
{
	struct guest_mem m = guarded_mem_new(8 << 20);
	struct initrd_image img;
	struct hvm_start_info si;
	char path[128], err[512] = "";

	CHECK(file_of(4096, path, sizeof(path)));
	CHECK(initrd_load(&m, path, WHERE, 0x180000, false, &img, err, sizeof(err)) == 0);
	CHECK(boot_info_write(&m, "console=ttyS0", err, sizeof(err)) == 0);
	memcpy(&si, m.host + FLINT_START_INFO_GPA, sizeof(si));
	CHECK(si.nr_modules == 0);
	CHECK(initrd_announce(&m, &img, err, sizeof(err)) == 0);
	memcpy(&si, m.host + FLINT_START_INFO_GPA, sizeof(si));
	CHECK(si.nr_modules == 1 && si.modlist_paddr == FLINT_MODLIST_GPA);
	CHECK(si.magic == HVM_START_MAGIC_VALUE && si.memmap_entries == 3);
	free(m.host);
}

TEST(too_large_names_both_sizes_and_writes_nothing)
{
	struct guest_mem m = guarded_mem_new(4 << 20);
	struct initrd_image img = { .gpa = 7 };
	char path[128], err[512] = "";

	CHECK(file_of(3 << 20, path, sizeof(path)));
	CHECK(initrd_load(&m, path, WHERE, 0x180000, false, &img, err, sizeof(err)) == -1);
	CHECK(!strncmp(err, WHERE ": [kernel] initrd ", strlen(WHERE) + 18));
	CHECK_CONTAINS(err, "is 3 MiB");
	CHECK_CONTAINS(err, "guest memory (4 MiB)");
	CHECK_CONTAINS(err, "raise [machine] memory");
	CHECK(img.gpa == 7 && untouched(&m));
	/* Exactly filling RAM fits; one byte more does not. */
	CHECK(initrd_load(&m, path, WHERE, (4 << 20) - (3 << 20), false, &img, err, sizeof(err)) == 0);
	CHECK(initrd_load(&m, path, WHERE, (4 << 20) - (3 << 20) + 1, false, &img, err, sizeof(err)) == -1);
	/* A kernel end near 2^64 must not wrap the alignment around to 0. */
	CHECK(initrd_load(&m, path, WHERE, UINT64_MAX - 10, false, &img, err, sizeof(err)) == -1);
	free(m.host);
}

TEST(directory_missing_and_empty_refused)
{
	struct guest_mem m = guarded_mem_new(4 << 20);
	struct initrd_image img;
	char path[128], err[512] = "";

	CHECK(file_of(1, path, sizeof(path)));
	CHECK(initrd_load(&m, dir, WHERE, 0x180000, false, &img, err, sizeof(err)) == -1);
	CHECK(!strncmp(err, WHERE ": ", strlen(WHERE) + 2));
	CHECK_CONTAINS(err, "is a directory");
	CHECK_CONTAINS(err, "mkimage");
	CHECK(initrd_load(&m, "/nonexistent/initrd.cpio", WHERE, 0x180000, false, &img, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, WHERE ": [kernel] initrd /nonexistent/initrd.cpio: cannot open: No such file");
	CHECK(file_of(0, path, sizeof(path)));
	CHECK(initrd_load(&m, path, WHERE, 0x180000, false, &img, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "is empty");
	CHECK(initrd_load(&m, "/dev/null", WHERE, 0x180000, false, &img, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "not a regular file");
	CHECK(untouched(&m));
	free(m.host);
}

TEST(mapped_copy_on_write_leaves_the_file_alone)
{
	struct guest_mem m = { .size = 8 << 20 };
	struct initrd_image img;
	char path[128], err[512] = "";
	bool same = true;
	FILE *f;
	int c;

	m.host = mmap(NULL, m.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(m.host != MAP_FAILED);
	CHECK(file_of(10001, path, sizeof(path)));
	m.host[0x200000 + 10001] = 0x77;   /* will be replaced: the page tail past EOF reads 0 */
	CHECK(initrd_load(&m, path, WHERE, 0x1ff001, true, &img, err, sizeof(err)) == 0);
	CHECK(img.gpa == 0x200000 && img.size == 10001);
	for (size_t i = 0; i < 10001; i++)
		same &= m.host[img.gpa + i] == (uint8_t)(i * 13 + 5);
	CHECK(same);
	CHECK(m.host[img.gpa + 10001] == 0 && m.host[img.gpa + 12287] == 0);
	CHECK(m.host[img.gpa + 12288] == 0 && m.host[img.gpa - 1] == 0);
	/* Mapped, not copied: the file shows in our mappings at the slot. */
	char line[512], want[64];
	bool mapped = false;
	FILE *maps = fopen("/proc/self/maps", "r");

	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)(m.host + img.gpa));
	while (maps && fgets(line, sizeof(line), maps))
		mapped |= !strncmp(line, want, strlen(want)) && strstr(line, path);
	if (maps)
		fclose(maps);
	CHECK(mapped);
	/* The guest writes its copy; the file keeps its bytes. */
	m.host[img.gpa] = 0xEE;
	m.host[img.gpa + 12287] = 0xEE;
	f = fopen(path, "rb");
	c = f ? fgetc(f) : -1;
	CHECK(c == 5);
	if (f)
		fclose(f);
	munmap(m.host, m.size);
}

__attribute__((destructor)) static void cleanup(void)
{
	char path[128];

	if (!dir[0])
		return;
	for (size_t s = 0; s <= (3 << 20); s++) {
		snprintf(path, sizeof(path), "%s/initrd-%zu", dir, s);
		unlink(path);
		if (s > 10000 && s < (3 << 20))
			s = (3 << 20) - 1;
	}
	rmdir(dir);
}

CHECK_MAIN()
