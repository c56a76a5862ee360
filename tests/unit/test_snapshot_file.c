/*
 * The snapshot file (vmm/machine/snapshot/snapshot_file.c): a round trip through a real
 * file (memfd) that checks the sparse memory image, the hostile files the
 * reader must refuse with a message (and never crash on), and the
 * messages a snapshot that does not fit this host or configuration gets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "snapshot_file.h"
#include "state.h"

#define PAGE 4096u

static const struct snap_host host = {
	.cpu_vendor = "GenuineIntel", .cpu_signature = 0x906ea, .cpuid_crc = 0x12345678,
	.kvm_api = 12, .tsc_khz = 2900000,
};

static const uint8_t vcpu0[] = { 1, 2, 3, 4, 5 }, vcpu1[] = { 9, 8, 7 }, uart[] = { 0x55 },
		     blk[] = { 1, 0, 0, 0, 2 }, vmrec[] = { 0xaa, 0xbb };

static const struct snap_route routes[] = {
	{ .gsi = 5, .data = 0x30, .address = 0xfee00000 },
	{ .gsi = 6, .data = 0x31, .address = 0xfee00000 },
};

static struct snap_record vcpus[2], devs[3];

static struct snapshot make_snapshot(uint64_t mem_size)
{
	struct snapshot s = { .host = host, .mem_size = mem_size, .nvcpus = 2, .ndevs = 3, .nroutes = 2 };

	vcpus[0] = (struct snap_record){ .version = 1, .data = vcpu0, .len = sizeof(vcpu0) };
	vcpus[1] = (struct snap_record){ .version = 1, .data = vcpu1, .len = sizeof(vcpu1) };
	devs[0] = (struct snap_record){ .name = "uart", .version = 3, .data = uart, .len = sizeof(uart) };
	devs[1] = (struct snap_record){ .name = "drive", .version = 1, .data = blk, .len = sizeof(blk) };
	devs[2] = (struct snap_record){ .name = "poweroff", .version = 0 };
	s.vm = (struct snap_record){ .version = 1, .data = vmrec, .len = sizeof(vmrec) };
	s.vcpus = vcpus;
	s.devs = devs;
	s.routes = routes;
	return s;
}

static bool record_eq(const struct snap_record *a, const struct snap_record *b)
{
	return !strcmp(a->name, b->name) && a->version == b->version && a->len == b->len &&
	       (a->len == 0 || !memcmp(a->data, b->data, a->len));
}

static void *anon(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

TEST(round_trip_with_sparse_memory)
{
	const uint64_t size = 1u << 20, npages = size / PAGE;
	struct snapshot s = make_snapshot(size), got;
	struct snap_write_stats st;
	struct sysinfo si;
	struct stat sb;
	uint8_t *mem = anon(size), *back;
	char err[256];
	int fd = memfd_create("snap", MFD_CLOEXEC);

	CHECK(mem && fd >= 0);
	memset(mem + 3 * PAGE, 0x11, PAGE);      /* touched */
	mem[10 * PAGE] = 0;                      /* touched, all zero: a hole */
	mem[(npages - 1) * PAGE + PAGE - 1] = 7; /* the last byte */
	CHECK(snap_write(fd, &s, mem, true, &st, err, sizeof(err)) == 0);
	CHECK(st.pages_written == 2);
	CHECK(st.pages_written + st.pages_zero + st.pages_absent == npages);
	/* mincore is trusted only while nothing is swapped out. */
	if (sysinfo(&si) == 0 && si.totalswap == si.freeswap)
		CHECK(st.pages_absent >= npages - 3);

	CHECK(snap_read(fd, "snap.bin", &got, err, sizeof(err)) == 0);
	CHECK(fstat(fd, &sb) == 0);
	CHECK((uint64_t)sb.st_size == got.mem_offset + size);
	CHECK(got.mem_offset % PAGE == 0);
	/* Sparse: two pages of memory plus the metadata page are allocated. */
	CHECK((uint64_t)sb.st_blocks * 512 <= got.mem_offset + 2 * PAGE + PAGE);
	CHECK(lseek(fd, (off_t)got.mem_offset, SEEK_DATA) == (off_t)(got.mem_offset + 3 * PAGE));
	CHECK(lseek(fd, (off_t)(got.mem_offset + 3 * PAGE), SEEK_HOLE) == (off_t)(got.mem_offset + 4 * PAGE));

	CHECK(!memcmp(&got.host, &host, sizeof(host)));
	CHECK(got.mem_size == size && got.nvcpus == 2 && got.ndevs == 3 && got.nroutes == 2);
	CHECK(record_eq(&got.vm, &s.vm));
	for (unsigned i = 0; i < 2; i++) {
		CHECK(record_eq(&got.vcpus[i], &s.vcpus[i]));
		CHECK(!memcmp(&got.routes[i], &routes[i], sizeof(routes[i])));
	}
	for (unsigned i = 0; i < 3; i++)
		CHECK(record_eq(&got.devs[i], &s.devs[i]));
	CHECK(snap_find_dev(&got, "drive") == &got.devs[1]);
	CHECK(snap_find_dev(&got, "net") == NULL);

	back = snap_map_memory(fd, &got, NULL, err, sizeof(err));
	CHECK(back != NULL);
	if (back) {
		CHECK(!memcmp(back, mem, size));
		back[0] = 1; /* private: the file does not change */
		munmap(back, size);
	}
	snap_free(&got);
	CHECK(snap_read(fd, "snap.bin", &got, err, sizeof(err)) == 0);
	back = snap_map_memory(fd, &got, NULL, err, sizeof(err));
	CHECK(back && back[0] == 0);
	if (back)
		munmap(back, size);
	/* Read instead of mapped (hugepages): the same bytes, holes as zero. */
	back = calloc(1, size);
	CHECK(back != NULL);
	if (back) {
		CHECK(snap_read_memory(fd, &got, back, err, sizeof(err)) == 0);
		CHECK(!memcmp(back, mem, size));
		free(back);
	}
	snap_free(&got);
	munmap(mem, size);
	close(fd);
}

/* Memory mapped from a snapshot: absent pages are in the file, so every
 * page is read (mem_anonymous false) and nothing is lost. */
TEST(resave_of_mapped_memory_keeps_every_page)
{
	const uint64_t size = 64 * PAGE;
	struct snapshot s = make_snapshot(size), got, again;
	struct snap_write_stats st;
	uint8_t *mem = anon(size), *mapped;
	char err[256];
	int fd1 = memfd_create("a", MFD_CLOEXEC), fd2 = memfd_create("b", MFD_CLOEXEC);

	for (unsigned i = 0; i < 64; i += 2)
		mem[i * PAGE + 5] = (uint8_t)(i + 1);
	CHECK(snap_write(fd1, &s, mem, true, NULL, err, sizeof(err)) == 0);
	CHECK(snap_read(fd1, "a", &got, err, sizeof(err)) == 0);
	mapped = snap_map_memory(fd1, &got, NULL, err, sizeof(err));
	CHECK(mapped != NULL);
	CHECK(snap_write(fd2, &s, mapped, false, &st, err, sizeof(err)) == 0);
	CHECK(st.pages_written == 32 && st.pages_absent == 0);
	CHECK(snap_read(fd2, "b", &again, err, sizeof(err)) == 0);
	munmap(mapped, size);
	mapped = snap_map_memory(fd2, &again, NULL, err, sizeof(err));
	CHECK(mapped && !memcmp(mapped, mem, size));
	if (mapped)
		munmap(mapped, size);
	snap_free(&got);
	snap_free(&again);
	munmap(mem, size);
	close(fd1);
	close(fd2);
}

TEST(writer_refuses_what_a_reader_would)
{
	struct snapshot s = make_snapshot(4 * PAGE);
	uint8_t *mem = anon(4 * PAGE);
	char err[256];
	int fd = memfd_create("w", MFD_CLOEXEC);

	CHECK(write(fd, "x", 1) == 1);
	CHECK(snap_write(fd, &s, mem, true, NULL, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "new, empty regular file");
	CHECK(ftruncate(fd, 0) == 0);
	strcpy(devs[2].name, "drive");
	CHECK(snap_write(fd, &s, mem, true, NULL, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "twice");
	s = make_snapshot(4 * PAGE + 1);
	CHECK(snap_write(fd, &s, mem, true, NULL, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "multiple of 4 KiB");
	s = make_snapshot(4 * PAGE);
	s.nvcpus = 0;
	CHECK(snap_write(fd, &s, mem, true, NULL, err, sizeof(err)) == -1);
	munmap(mem, 4 * PAGE);
	close(fd);
}

/* ---- hostile files ---- */

/* A whole valid snapshot file, in memory. */
static uint8_t *good_file(size_t *len)
{
	struct snapshot s = make_snapshot(4 * PAGE);
	uint8_t *mem = anon(4 * PAGE), *buf;
	char err[256];
	int fd = memfd_create("g", MFD_CLOEXEC);
	struct stat sb;

	mem[PAGE] = 1;
	if (snap_write(fd, &s, mem, true, NULL, err, sizeof(err)) < 0 || fstat(fd, &sb) < 0)
		abort();
	*len = (size_t)sb.st_size;
	buf = malloc(*len);
	if (!buf || pread(fd, buf, *len, 0) != (ssize_t)*len)
		abort();
	munmap(mem, 4 * PAGE);
	close(fd);
	return buf;
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Recomputes the header's CRC (and the metadata's, if fix_meta): the
 * checks behind the checksums must hold on their own. */
static void fix_crcs(uint8_t *f, size_t len, bool fix_meta)
{
	uint64_t meta_len = rd32(f + 24) | (uint64_t)rd32(f + 28) << 32;

	if (fix_meta && 64 + meta_len <= len)
		le32(f + 48, (uint32_t)crc32(0, f + 64, (uInt)meta_len));
	le32(f + 60, (uint32_t)crc32(0, f, 60));
}

/* Reads f (len bytes) as a file; returns the reader's message ("" on success). */
static const char *read_buf(const uint8_t *f, size_t len)
{
	static char err[512];
	struct snapshot s;
	int fd = memfd_create("h", MFD_CLOEXEC);

	if (fd < 0 || (len && write(fd, f, len) != (ssize_t)len))
		abort();
	err[0] = 0;
	if (snap_read(fd, "evil.snap", &s, err, sizeof(err)) == 0) {
		snap_free(&s);
		err[0] = 0;
	}
	close(fd);
	return err;
}

TEST(good_file_reads)
{
	size_t len;
	uint8_t *f = good_file(&len);

	CHECK(!strcmp(read_buf(f, len), ""));
	free(f);
}

TEST(hostile_headers_are_refused)
{
	size_t len;
	uint8_t *g = good_file(&len), *f = malloc(len + 1);
	uint64_t mem_off;

	mem_off = rd32(g + 32) | (uint64_t)rd32(g + 36) << 32;
#define VARIANT(edit, fix, want)                                \
	do {                                                    \
		memcpy(f, g, len);                              \
		edit;                                           \
		if (fix)                                        \
			fix_crcs(f, len, true);                 \
		CHECK_CONTAINS(read_buf(f, len), want);         \
	} while (0)
	VARIANT(f[0] = 'X', false, "evil.snap: not a Flint snapshot");
	VARIANT(le32(f + 8, 2), true, "evil.snap: snapshot format version 2, this flint reads version 1");
	VARIANT(f[20] ^= 1, false, "header checksum mismatch");
	VARIANT(f[70] ^= 0x40, false, "metadata checksum mismatch");
	VARIANT(le32(f + 12, 128), true, "unknown layout");
	VARIANT(le64(f + 16, 4096), true, "unknown layout");
	VARIANT(le32(f + 52, 1), true, "unknown layout");
	VARIANT(le64(f + 24, 1ull << 40), true, "exceeds");
	VARIANT(le64(f + 24, mem_off), true, "overlaps guest memory");
	VARIANT(le64(f + 32, mem_off + 1), true, "not page-aligned");
	VARIANT(le64(f + 40, 4 * PAGE + 12), true, "not page-aligned");
	VARIANT(le64(f + 40, 0), true, "not page-aligned");
	VARIANT(le64(f + 40, 8 * PAGE), true, "truncated");
	VARIANT(le64(f + 40, UINT64_MAX - 4095), true, "truncated");
	VARIANT(le64(f + 32, UINT64_MAX - 4095), true, "truncated");
	/* Header and metadata agree with each other only in the checked fields. */
	VARIANT(le64(f + 40, 3 * PAGE), true, "unknown bytes after the memory image");
	memcpy(f, g, len);
	f[len] = 0;
	CHECK_CONTAINS(read_buf(f, len + 1), "1 unknown bytes after");
#undef VARIANT
	free(f);
	free(g);
}

/* Every prefix of a good file is refused, with a message. */
TEST(truncated_files_are_refused)
{
	size_t len;
	uint8_t *g = good_file(&len);

	for (size_t cut = 0; cut < len; cut += cut < 512 ? 1 : 509)
		CHECK(strlen(read_buf(g, cut)) > 0);
	CHECK_CONTAINS(read_buf(g, 10), "truncated");
	CHECK_CONTAINS(read_buf(g, len - 1), "truncated");
	free(g);
}

/*
 * Metadata that passes its checksum but not the checks: built by hand
 * (the writer refuses to produce it), `how` names the fault.
 */
static const char *read_meta(const char *how)
{
	struct state_out m = { 0 };
	uint32_t ndevs = !strcmp(how, "many devices") ? 100000 : 2;
	uint32_t nvcpus = !strcmp(how, "no vcpus") ? 0 : !strcmp(how, "many vcpus") ? 5000 : 1;
	uint32_t nroutes = !strcmp(how, "many routes") ? 1u << 31 : 2;
	uint8_t *f;
	size_t meta_len, mem_off, len;
	const char *err;

	state_put_bytes(&m, !strcmp(how, "vendor") ? "Genuine\nntel" : "GenuineIntel", 12);
	state_put_u32(&m, 1);
	state_put_u32(&m, 2);
	state_put_u32(&m, 12);
	state_put_u32(&m, 1000);
	state_put_u64(&m, !strcmp(how, "mem size") ? 8 * PAGE : PAGE);
	state_put_u32(&m, nvcpus);
	state_put_u32(&m, ndevs);
	state_put_u32(&m, nroutes);
	state_put_u32(&m, 1); /* VM record */
	state_put_u32(&m, !strcmp(how, "vm len") ? 0xffffff00u : 2);
	state_put_u16(&m, 0);
	for (uint32_t i = 0; i < 2; i++) {
		state_put_u32(&m, !strcmp(how, "gsi") ? 4096 : !strcmp(how, "same gsi") ? 5 : 5 + i);
		state_put_u32(&m, 0x30);
		state_put_u64(&m, 0xfee00000);
	}
	state_put_u32(&m, 1); /* vCPU 0 */
	state_put_u32(&m, 1);
	state_put_u8(&m, 0);
	for (uint32_t i = 0; i < 2; i++) {
		const char *name = !strcmp(how, "same name") ? "uart" : i ? "drive" : "uart";

		if (!strcmp(how, "empty name")) {
			state_put_u16(&m, 0);
		} else if (!strcmp(how, "long name")) {
			state_put_u16(&m, 64);
			state_put_bytes(&m, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64);
		} else if (!strcmp(how, "space name")) {
			state_put_u16(&m, 3);
			state_put_bytes(&m, "a b", 3);
		} else {
			state_put_u16(&m, (uint16_t)strlen(name));
			state_put_bytes(&m, name, strlen(name));
		}
		state_put_u32(&m, 1);
		state_put_u32(&m, !strcmp(how, "dev len") && i ? 3 : 2);
		state_put_u16(&m, 0);
	}
	if (!strcmp(how, "trailing"))
		state_put_u8(&m, 0);
	meta_len = m.len;
	mem_off = (64 + meta_len + PAGE - 1) / PAGE * PAGE;
	len = mem_off + PAGE;
	f = calloc(1, len);
	memcpy(f, SNAP_MAGIC, 8);
	le32(f + 8, 1);
	le32(f + 12, 64);
	le64(f + 16, 64);
	le64(f + 24, meta_len);
	le64(f + 32, mem_off);
	le64(f + 40, PAGE);
	memcpy(f + 64, m.buf, meta_len);
	fix_crcs(f, len, true);
	err = read_buf(f, len);
	free(f);
	state_out_free(&m);
	return err;
}

TEST(hostile_metadata_is_refused)
{
	static const struct {
		const char *how, *why;
	} cases[] = {
		{ "vendor", "not printable" },
		{ "mem size", "differs from the header" },
		{ "no vcpus", "vCPU count" },
		{ "many vcpus", "vCPU count" },
		{ "many devices", "too many devices" },
		{ "many routes", "too many interrupt routes" },
		{ "vm len", "truncated" },
		{ "gsi", "GSI is out of range" },
		{ "same gsi", "two interrupt routes" },
		{ "same name", "twice" },
		{ "empty name", "empty or too long" },
		{ "long name", "empty or too long" },
		{ "space name", "not printable" },
		{ "dev len", "truncated" },
		{ "trailing", "trailing" },
	};

	CHECK(!strcmp(read_meta("none"), ""));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *err = read_meta(cases[i].how);

		CHECK_CONTAINS(err, "evil.snap: metadata: ");
		CHECK_CONTAINS(err, cases[i].why);
	}
}

/* ---- fitting the host and the configuration ---- */

TEST(mismatches_name_the_file_and_the_difference)
{
	struct snapshot s = make_snapshot(64u << 20);
	const char *names[] = { "uart", "drive", "poweroff" }, *other[] = { "uart", "net", "poweroff" };
	struct snap_host h = host;
	char err[512];

	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 2, names, 3, err, sizeof(err)) == 0);
	CHECK(snap_check(&s, "snap.bin", &h, 128u << 20, 2, names, 3, err, sizeof(err)) == -1);
	CHECK(!strcmp(err, "snap.bin: memory is 64 MiB, the configuration asks for 128 MiB"));
	CHECK(snap_check(&s, "snap.bin", &h, (64u << 20) + 4096, 2, names, 3, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "memory is 64 MiB, the configuration asks for 65540 KiB");
	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 1, names, 3, err, sizeof(err)) == -1);
	CHECK(!strcmp(err, "snap.bin: 2 vCPUs saved, the configuration asks for 1"));
	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 2, names, 2, err, sizeof(err)) == -1);
	CHECK(!strcmp(err, "snap.bin: 3 devices saved (uart, drive, poweroff), the configuration has 2 (uart, drive)"));
	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 2, other, 3, err, sizeof(err)) == -1);
	CHECK(!strcmp(err, "snap.bin: device 2 is \"drive\" in the snapshot, \"net\" in the configuration"));
	strcpy(h.cpu_vendor, "AuthenticAMD");
	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 2, names, 3, err, sizeof(err)) == -1);
	CHECK(!strcmp(err, "snap.bin: saved on a GenuineIntel CPU, this host's is AuthenticAMD"));
	h = host;
	h.cpu_signature = 0x50657;
	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 2, names, 3, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "signature 0x906ea (family, model, stepping), this host's is 0x50657");
	h = host;
	h.cpuid_crc = 1;
	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 2, names, 3, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "other CPUID features");
	h = host;
	h.kvm_api = 13;
	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 2, names, 3, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "KVM API version 12, this host's is 13");
	h = host;
	h.tsc_khz = 3000000;
	CHECK(snap_check(&s, "snap.bin", &h, 64u << 20, 2, names, 3, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "2900000 kHz guest TSC, this host's runs at 3000000 kHz");
}

CHECK_MAIN()
