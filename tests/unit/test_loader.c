/*
 * The PVH loader and boot info: ELF images are built here in memory, so
 * every malformation is one field away from a known-good image.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flint/boot_abi.h>

#include "boot_info.h"
#include "check.h"
#include "guest_mem.h"
#include "loader_pvh.h"

#define MEM_SIZE (8ull << 20)
#define GUARD_SIZE (64u << 10)
#define GUEST_FILL 0xAA
#define GUARD_FILL 0x5C

/* The known-good image: text, data + bss, notes. */
#define TEXT_OFF 0x1000
#define TEXT_GPA 0x100000ull
#define TEXT_SZ 0x200
#define DATA_OFF 0x2000
#define DATA_GPA 0x101000ull
#define DATA_FILESZ 0x100
#define DATA_MEMSZ 0x3000
#define NOTE_OFF 0x200
#define ENTRY 0x100010u
#define STATS_GPA 0x101040ull
#define IMG_LEN 0x2100

enum { PH_TEXT, PH_DATA, PH_NOTE, PH_EXTRA };

struct img {
	_Alignas(8) uint8_t b[0x3000];
	size_t len;
};

static struct guest_mem gm;
static char dir[64];
static char path[128];
static char err[512];
static struct pvh_image out;

static Elf64_Ehdr *eh(struct img *im)
{
	return (Elf64_Ehdr *)im->b;
}

static Elf64_Phdr *ph(struct img *im, int i)
{
	return (Elf64_Phdr *)(im->b + sizeof(Elf64_Ehdr)) + i;
}

static size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc,
		       uint32_t descsz, size_t align)
{
	Elf64_Nhdr nh = { (uint32_t)strlen(name) + 1, descsz, type };
	size_t off = sizeof(nh);

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + off, name, nh.n_namesz);
	off = (off + nh.n_namesz + align - 1) & ~(align - 1);
	memcpy(p + off, desc, descsz);
	return (off + descsz + align - 1) & ~(align - 1);
}

/* The Xen note's header sits at NOTE_OFF; the Flint note, if any, follows it. */
static Elf64_Nhdr *xen_nhdr(struct img *im)
{
	return (Elf64_Nhdr *)(im->b + NOTE_OFF);
}

static void make_img(struct img *im, bool stats)
{
	uint32_t entry = ENTRY;
	uint64_t sgpa = STATS_GPA;
	size_t notes;

	memset(im, 0, sizeof(*im));
	memcpy(eh(im)->e_ident, ELFMAG, SELFMAG);
	eh(im)->e_ident[EI_CLASS] = ELFCLASS64;
	eh(im)->e_ident[EI_DATA] = ELFDATA2LSB;
	eh(im)->e_ident[EI_VERSION] = EV_CURRENT;
	eh(im)->e_type = ET_EXEC;
	eh(im)->e_machine = EM_X86_64;
	eh(im)->e_version = EV_CURRENT;
	eh(im)->e_entry = ENTRY;
	eh(im)->e_phoff = sizeof(Elf64_Ehdr);
	eh(im)->e_ehsize = sizeof(Elf64_Ehdr);
	eh(im)->e_phentsize = sizeof(Elf64_Phdr);
	eh(im)->e_phnum = 3;

	*ph(im, PH_TEXT) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = TEXT_OFF, .p_vaddr = TEXT_GPA, .p_paddr = TEXT_GPA,
		.p_filesz = TEXT_SZ, .p_memsz = TEXT_SZ, .p_align = 0x1000 };
	*ph(im, PH_DATA) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = DATA_OFF, .p_vaddr = DATA_GPA, .p_paddr = DATA_GPA,
		.p_filesz = DATA_FILESZ, .p_memsz = DATA_MEMSZ, .p_align = 0x1000 };

	notes = put_note(im->b + NOTE_OFF, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4, 4);
	if (stats)
		notes += put_note(im->b + NOTE_OFF + notes, FLINT_NOTE_NAME, FLINT_NOTE_BOOT_STATS,
				  &sgpa, 8, 4);
	*ph(im, PH_NOTE) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R,
		.p_offset = NOTE_OFF, .p_filesz = notes, .p_align = 4 };

	for (int i = 0; i < TEXT_SZ; i++)
		im->b[TEXT_OFF + i] = (uint8_t)(i * 7 + 1);
	for (int i = 0; i < DATA_FILESZ; i++)
		im->b[DATA_OFF + i] = (uint8_t)(i * 13 + 5);
	im->len = IMG_LEN;
}

static void setup(void)
{
	if (gm.host)
		return;
	gm.host = mmap(NULL, MEM_SIZE + GUARD_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gm.host == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	gm.size = MEM_SIZE;
	strcpy(dir, "/tmp/flint-test-loader-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/kernel.elf", dir);
}

__attribute__((destructor)) static void teardown(void)
{
	if (!dir[0])
		return;
	unlink(path);
	rmdir(dir);
}

static void reset_mem(void)
{
	setup();
	memset(gm.host, GUEST_FILL, MEM_SIZE);
	memset(gm.host + MEM_SIZE, GUARD_FILL, GUARD_SIZE);
	memset(&out, 0, sizeof(out));
	err[0] = '\0';
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static bool guard_intact(void)
{
	return all_bytes(gm.host + MEM_SIZE, GUARD_SIZE, GUARD_FILL);
}

static void write_file(const void *data, size_t len)
{
	int fd;

	setup();
	chmod(path, 0600);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
}

/* Loads `p` into fresh guest memory; a failure must leave memory untouched. */
static int load_path(const char *p)
{
	int rc;

	reset_mem();
	rc = pvh_load(&gm, p, &out, err, sizeof(err));
	CHECK(guard_intact());
	if (rc) {
		CHECK(all_bytes(gm.host, MEM_SIZE, GUEST_FILL));
		CHECK(out.entry32 == 0 && out.hi == 0);
		CHECK(err[0] != '\0' && !strchr(err, '\n'));
		CHECK(strncmp(err, "flint: ", 7) != 0);
	}
	return rc;
}

static int load(struct img *im)
{
	write_file(im->b, im->len);
	return load_path(path);
}

/* Loads `im`, expecting failure with `want` in the message (and the path). */
#define CHECK_REJECT(im, want)                   \
	do {                                     \
		CHECK(load(im) == -1);           \
		CHECK_CONTAINS(err, want);       \
		CHECK_CONTAINS(err, path);       \
	} while (0)

/* ---- accepted images ---- */

TEST(load_places_bytes_and_reports_image)
{
	struct img im;

	make_img(&im, true);
	CHECK(load(&im) == 0);
	CHECK(memcmp(guest_ptr(&gm, TEXT_GPA, TEXT_SZ), im.b + TEXT_OFF, TEXT_SZ) == 0);
	CHECK(memcmp(guest_ptr(&gm, DATA_GPA, DATA_FILESZ), im.b + DATA_OFF, DATA_FILESZ) == 0);
	CHECK(out.entry32 == ENTRY);
	CHECK(out.stats_gpa == STATS_GPA);
	CHECK(out.lo == TEXT_GPA);
	CHECK(out.hi == DATA_GPA + DATA_MEMSZ);
}

/*
 * The loader writes the file's bytes and nothing else: the bss is zero
 * because guest memory is fresh at load time (the precondition in
 * loader_pvh.h), so over a pre-filled buffer it keeps the fill.
 */
TEST(load_writes_file_bytes_only)
{
	struct img im;

	make_img(&im, false);
	CHECK(load(&im) == 0);
	CHECK(all_bytes(guest_ptr(&gm, DATA_GPA + DATA_FILESZ, DATA_MEMSZ - DATA_FILESZ),
			DATA_MEMSZ - DATA_FILESZ, GUEST_FILL));
	CHECK(all_bytes(gm.host, TEXT_GPA, GUEST_FILL));
	CHECK(all_bytes(guest_ptr(&gm, TEXT_GPA + TEXT_SZ, DATA_GPA - TEXT_GPA - TEXT_SZ),
			DATA_GPA - TEXT_GPA - TEXT_SZ, GUEST_FILL));
	CHECK(all_bytes(guest_ptr(&gm, DATA_GPA + DATA_MEMSZ, MEM_SIZE - DATA_GPA - DATA_MEMSZ),
			MEM_SIZE - DATA_GPA - DATA_MEMSZ, GUEST_FILL));
	CHECK(out.stats_gpa == 0);
}

/* Pages of [p, p + len) resident in RAM. */
static size_t resident_pages(const uint8_t *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (len + page - 1) / page, count = 0;
	unsigned char *vec = malloc(n);

	if (!vec || mincore((void *)p, len, vec) < 0) {
		free(vec);
		return (size_t)-1;
	}
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/* A 64 MiB bss in fresh guest memory costs no RAM: it is already zero. */
TEST(big_bss_stays_unpopulated)
{
	const uint64_t bss = 64ull << 20, mem_size = 80ull << 20;
	struct guest_mem big = { .size = mem_size };
	const uint8_t *tail;
	struct img im;

	make_img(&im, false);
	ph(&im, PH_DATA)->p_memsz = DATA_FILESZ + bss;
	write_file(im.b, im.len);
	big.host = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(big.host != MAP_FAILED);
	if (big.host == MAP_FAILED)
		return;
	CHECK(pvh_load(&big, path, &out, err, sizeof(err)) == 0);
	/* From the first page boundary after the file's bytes to the end. */
	tail = big.host + ((DATA_GPA + DATA_FILESZ + 0xfff) & ~0xfffull);
	CHECK(resident_pages(tail, big.host + DATA_GPA + DATA_FILESZ + bss - tail) == 0);
	CHECK(all_bytes(guest_ptr(&big, DATA_GPA + DATA_FILESZ, bss), bss, 0));
	munmap(big.host, mem_size);
}

TEST(load_accepts_8_byte_entry_and_foreign_notes)
{
	struct img im;
	uint64_t entry = ENTRY + 4;
	uint8_t gnu[16] = { 1, 2, 3 };
	size_t n;

	make_img(&im, false);
	n = put_note(im.b + NOTE_OFF, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 8, 4);
	n += put_note(im.b + NOTE_OFF + n, "Xen", 99, gnu, 3, 4);
	n += put_note(im.b + NOTE_OFF + n, FLINT_NOTE_NAME, FLINT_NOTE_BOOT_STATS + 1, gnu, 5, 4);
	ph(&im, PH_NOTE)->p_filesz = n;
	/* A GNU-property-style segment: 8-aligned notes. */
	n = put_note(im.b + 0x400, "GNU", NT_GNU_PROPERTY_TYPE_0, gnu, 16, 8);
	*ph(&im, PH_EXTRA) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x400, .p_filesz = n,
		.p_align = 8 };
	eh(&im)->e_phnum = 4;
	CHECK(load(&im) == 0);
	CHECK(out.entry32 == ENTRY + 4);
	CHECK(out.stats_gpa == 0);
}

TEST(load_ignores_empty_load_segment_and_other_types)
{
	struct img im;

	make_img(&im, true);
	*ph(&im, PH_EXTRA) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_paddr = 0 };
	*ph(&im, PH_EXTRA + 1) = (Elf64_Phdr){ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W };
	eh(&im)->e_phnum = 5;
	CHECK(load(&im) == 0);
	CHECK(out.lo == TEXT_GPA);
	CHECK(out.hi == DATA_GPA + DATA_MEMSZ);
}

/* ---- rejected files ---- */

TEST(reject_missing_file)
{
	char p[160];

	setup();
	snprintf(p, sizeof(p), "%s/no-such.elf", dir);
	CHECK(load_path(p) == -1);
	CHECK_CONTAINS(err, p);
	CHECK_CONTAINS(err, "No such file or directory");
	CHECK_CONTAINS(err, "[kernel] path");
}

TEST(reject_unreadable_file)
{
	struct img im;

	if (geteuid() == 0)
		return; /* root reads through mode 000 */
	make_img(&im, false);
	write_file(im.b, im.len);
	chmod(path, 0);
	CHECK(load_path(path) == -1);
	CHECK_CONTAINS(err, "Permission denied");
	chmod(path, 0600);
}

TEST(reject_directory)
{
	setup();
	CHECK(load_path(dir) == -1);
	CHECK_CONTAINS(err, dir);
	CHECK_CONTAINS(err, "is a directory");
}

TEST(reject_empty_file)
{
	write_file("", 0);
	CHECK(load_path(path) == -1);
	CHECK_CONTAINS(err, "is empty");
}

/* Issue 19: a Debian vmlinuz is a bzImage; say so, and what Flint boots. */
TEST(reject_bzimage_says_what_boots)
{
	static unsigned char b[4096];

	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	memcpy(b + 0x202, "HdrS", 4);
	write_file(b, sizeof(b));
	CHECK(load_path(path) == -1);
	CHECK_CONTAINS(err, "[kernel] path = \"");
	CHECK_CONTAINS(err, "not an ELF file: a Linux bzImage");
	CHECK_CONTAINS(err, "vmlinux ELF with a PVH entry note");
	/* Text stays "bad magic", with no word of bzImages. */
	write_file("just text, long enough", 22);
	CHECK(load_path(path) == -1);
	CHECK_CONTAINS(err, "not an ELF file (bad magic)");
}

TEST(reject_truncated_header)
{
	struct img im;

	make_img(&im, false);
	im.len = 20;
	CHECK_REJECT(&im, "truncated ELF header");
}

TEST(reject_bad_magic)
{
	struct img im;

	make_img(&im, false);
	memcpy(im.b, "MZ\x90\0", 4);
	CHECK_REJECT(&im, "not an ELF file");
	im.len = 2;
	CHECK_REJECT(&im, "not an ELF file");
}

TEST(reject_32_bit)
{
	struct img im;

	make_img(&im, false);
	eh(&im)->e_ident[EI_CLASS] = ELFCLASS32;
	CHECK_REJECT(&im, "32-bit ELF (ELFCLASS32)");
}

TEST(reject_big_endian)
{
	struct img im;

	make_img(&im, false);
	eh(&im)->e_ident[EI_DATA] = ELFDATA2MSB;
	CHECK_REJECT(&im, "big-endian");
}

TEST(reject_wrong_machine)
{
	struct img im;

	make_img(&im, false);
	eh(&im)->e_machine = EM_AARCH64;
	CHECK_REJECT(&im, "machine 183, not x86-64");
}

TEST(reject_not_exec)
{
	struct img im;

	make_img(&im, false);
	eh(&im)->e_type = ET_DYN;
	CHECK_REJECT(&im, "position-independent (ET_DYN)");
	eh(&im)->e_type = ET_REL;
	CHECK_REJECT(&im, "need ET_EXEC");
}

TEST(reject_bad_phentsize)
{
	struct img im;

	make_img(&im, false);
	eh(&im)->e_phentsize = 32;
	CHECK_REJECT(&im, "program header entry size is 32 bytes");
}

TEST(reject_phnum_zero_or_huge)
{
	struct img im;

	make_img(&im, false);
	eh(&im)->e_phnum = 0;
	CHECK_REJECT(&im, "no program headers");
	eh(&im)->e_phnum = 1000;
	CHECK_REJECT(&im, "1000 program headers");
	eh(&im)->e_phnum = PN_XNUM;
	CHECK_REJECT(&im, "program headers, Flint accepts at most 64");
}

TEST(reject_phdrs_outside_file)
{
	struct img im;

	make_img(&im, false);
	eh(&im)->e_phoff = IMG_LEN - 10;
	CHECK_REJECT(&im, "program header table");
	CHECK_CONTAINS(err, "outside the file");
	eh(&im)->e_phoff = UINT64_MAX - 8;
	CHECK_REJECT(&im, "outside the file");
}

TEST(reject_segment_past_end_of_file)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_DATA)->p_filesz = 0x200;
	CHECK_REJECT(&im, "segment 1: file bytes [0x2000, +0x200) run past the end of the file");
}

TEST(reject_segment_offset_overflow)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_DATA)->p_offset = UINT64_MAX - 10;
	CHECK_REJECT(&im, "run past the end of the file");
}

TEST(reject_filesz_above_memsz)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_TEXT)->p_memsz = 0x100;
	CHECK_REJECT(&im, "segment 0: p_filesz 0x200 exceeds p_memsz 0x100");
}

TEST(reject_segment_outside_memory)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_DATA)->p_paddr = MEM_SIZE - 0x1000;
	CHECK_REJECT(&im, "segment 1 [0x7ff000, 0x802000) does not fit in guest memory (8 MiB)");
	CHECK_CONTAINS(err, "raise [machine] memory");
	ph(&im, PH_DATA)->p_paddr = FLINT_MMIO_HOLE_GPA - 0x1000;
	CHECK_REJECT(&im, "MMIO hole");
}

TEST(reject_segment_address_wrap)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_DATA)->p_paddr = UINT64_MAX - 0x1000;
	CHECK_REJECT(&im, "wraps around");
}

TEST(reject_segment_below_1mib)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_TEXT)->p_paddr = 0x9f000;
	CHECK_REJECT(&im, "segment 0 [0x9f000, 0x9f200) overlaps the monitor's boot area below 1 MiB");
}

TEST(reject_overlapping_segments)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_DATA)->p_paddr = TEXT_GPA + 0x100;
	CHECK_REJECT(&im, "segments 0 [0x100000, 0x100200) and 1 [0x100100, 0x103100) overlap");
}

TEST(reject_no_load_segment)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_TEXT)->p_type = PT_NULL;
	ph(&im, PH_DATA)->p_type = PT_NULL;
	CHECK_REJECT(&im, "no PT_LOAD segment");
}

TEST(reject_no_pvh_note)
{
	struct img im;

	make_img(&im, true);
	xen_nhdr(&im)->n_type = 19;
	CHECK_REJECT(&im, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): is this a PVH kernel?");
	make_img(&im, false);
	ph(&im, PH_NOTE)->p_type = PT_NULL;
	CHECK_REJECT(&im, "no PVH entry note");
}

TEST(reject_truncated_note)
{
	struct img im;

	make_img(&im, false);
	xen_nhdr(&im)->n_namesz = 0x100;
	CHECK_REJECT(&im, "malformed note at offset 0x0");
	make_img(&im, false);
	ph(&im, PH_NOTE)->p_filesz = 8;
	CHECK_REJECT(&im, "a note header needs 12");
	make_img(&im, false);
	xen_nhdr(&im)->n_namesz = UINT32_MAX;
	CHECK_REJECT(&im, "malformed note");
}

TEST(reject_note_huge_descsz)
{
	struct img im;

	make_img(&im, true);
	xen_nhdr(&im)->n_descsz = 0xFFFFFFF0u;
	CHECK_REJECT(&im, "malformed note");
	CHECK_CONTAINS(err, "run past the segment");
}

TEST(reject_note_segment_too_big)
{
	struct img im;

	make_img(&im, false);
	ph(&im, PH_NOTE)->p_offset = 0;
	ph(&im, PH_NOTE)->p_filesz = 5000;
	CHECK_REJECT(&im, "PT_NOTE segment 2 is 5000 bytes");
	ph(&im, PH_NOTE)->p_offset = IMG_LEN - 4;
	ph(&im, PH_NOTE)->p_filesz = 20;
	CHECK_REJECT(&im, "run past the end of the file");
}

TEST(reject_pvh_note_bad_descriptor)
{
	struct img im;
	uint64_t high = 0x100000000ull;

	make_img(&im, false);
	xen_nhdr(&im)->n_descsz = 2;
	CHECK_REJECT(&im, "PVH entry note has a 2-byte descriptor (expected 4 or 8)");
	make_img(&im, false);
	ph(&im, PH_NOTE)->p_filesz =
		put_note(im.b + NOTE_OFF, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &high, 8, 4);
	CHECK_REJECT(&im, "above 4 GiB");
}

TEST(reject_two_pvh_notes)
{
	struct img im;
	uint32_t entry = ENTRY;
	size_t n;

	make_img(&im, false);
	n = put_note(im.b + NOTE_OFF, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4, 4);
	n += put_note(im.b + NOTE_OFF + n, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4, 4);
	ph(&im, PH_NOTE)->p_filesz = n;
	CHECK_REJECT(&im, "a second PVH entry note");
}

TEST(reject_entry_outside_executable_segment)
{
	struct img im;
	uint32_t entry = (uint32_t)DATA_GPA;

	make_img(&im, false);
	put_note(im.b + NOTE_OFF, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4, 4);
	CHECK_REJECT(&im, "PVH entry 0x101000 is not inside a loaded executable (PF_X) segment");
	entry = 0x200000;
	put_note(im.b + NOTE_OFF, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4, 4);
	CHECK_REJECT(&im, "not inside a loaded executable");
}

TEST(reject_stats_note_outside_segments)
{
	struct img im;
	uint64_t gpa = DATA_GPA + DATA_MEMSZ - 16;
	size_t xen = 20;

	make_img(&im, true);
	memcpy(im.b + NOTE_OFF + xen + 12 + 8, &gpa, 8);
	CHECK_REJECT(&im, "Flint boot-stats note address [0x103ff0, +32) is not inside a loaded segment");
	gpa = 0x400000;
	memcpy(im.b + NOTE_OFF + xen + 12 + 8, &gpa, 8);
	CHECK_REJECT(&im, "is not inside a loaded segment");
	gpa = STATS_GPA + 4;
	memcpy(im.b + NOTE_OFF + xen + 12 + 8, &gpa, 8);
	CHECK_REJECT(&im, "not 8-byte aligned");
	gpa = UINT64_MAX - 7;
	memcpy(im.b + NOTE_OFF + xen + 12 + 8, &gpa, 8);
	CHECK_REJECT(&im, "is not inside a loaded segment");
}

/* ---- boot info ---- */

TEST(boot_info_layout)
{
	const char *cmd = "console=ttyS0 -- hello";
	struct hvm_start_info si;
	struct hvm_memmap_table_entry map[3];

	reset_mem();
	CHECK(boot_info_write(&gm, cmd, err, sizeof(err)) == 0);
	CHECK(guard_intact());
	memcpy(&si, guest_ptr(&gm, FLINT_START_INFO_GPA, sizeof(si)), sizeof(si));
	CHECK(si.magic == HVM_START_MAGIC_VALUE);
	CHECK(si.version == 1);
	CHECK(si.flags == 0);
	CHECK(si.nr_modules == 0 && si.modlist_paddr == 0);
	CHECK(si.rsdp_paddr == 0);
	CHECK(si.cmdline_paddr == FLINT_CMDLINE_GPA);
	CHECK(si.memmap_paddr == FLINT_MEMMAP_GPA);
	CHECK(si.memmap_entries == 3);

	memcpy(map, guest_ptr(&gm, FLINT_MEMMAP_GPA, sizeof(map)), sizeof(map));
	CHECK(map[0].addr == 0 && map[0].size == 0xA0000 && map[0].type == HVM_MEMMAP_TYPE_RAM);
	CHECK(map[1].addr == 0xA0000 && map[1].size == 0x60000 &&
	      map[1].type == HVM_MEMMAP_TYPE_RESERVED);
	CHECK(map[2].addr == 0x100000 && map[2].size == MEM_SIZE - 0x100000 &&
	      map[2].type == HVM_MEMMAP_TYPE_RAM);

	CHECK(strcmp((const char *)guest_ptr(&gm, FLINT_CMDLINE_GPA, 1), cmd) == 0);
	CHECK(*(uint8_t *)guest_ptr(&gm, FLINT_CMDLINE_GPA + strlen(cmd) + 1, 1) == GUEST_FILL);
}

TEST(boot_info_cmdline_limit)
{
	static char cmd[FLINT_CMDLINE_SIZE + 1];

	memset(cmd, 'x', FLINT_CMDLINE_SIZE - 1);
	reset_mem();
	CHECK(boot_info_write(&gm, cmd, err, sizeof(err)) == 0);
	CHECK(*(uint8_t *)guest_ptr(&gm, FLINT_CMDLINE_GPA + FLINT_CMDLINE_SIZE - 1, 1) == 0);
	CHECK(guard_intact());

	cmd[FLINT_CMDLINE_SIZE - 1] = 'x';
	reset_mem();
	CHECK(boot_info_write(&gm, cmd, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "kernel command line is 4097 bytes");
	CHECK_CONTAINS(err, "shorten [kernel] cmdline");
	CHECK(all_bytes(gm.host, MEM_SIZE, GUEST_FILL));
	CHECK(guard_intact());
}

TEST(boot_info_memory_too_small)
{
	struct guest_mem small;

	reset_mem();
	small = (struct guest_mem){ gm.host, FLINT_KERNEL_MIN_GPA };
	CHECK(boot_info_write(&small, "", err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "larger than 1 MiB");
	CHECK(all_bytes(gm.host, MEM_SIZE, GUEST_FILL));
}

CHECK_MAIN()
