/* The snapshot file (snapshot_file.h): writer, hostile-input reader, checks. */
#include "snapshot_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include <zlib.h>

#include "state.h"

/*
 * Header layout, little-endian (SNAP_HEADER_SIZE bytes):
 *   0 magic[8]  8 version  12 header size  16 meta offset (u64)
 *   24 meta length (u64)  32 memory offset (u64)  40 memory size (u64)
 *   48 meta CRC  52 flags (0)  56 reserved (0)  60 CRC of bytes 0-59
 */
#define HDR_CRC_OFF 60u

/* Memory is scanned in chunks: one mincore vector per chunk. */
#define SCAN_PAGES 512u

static uint32_t crc(const void *p, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);
	const uint8_t *b = p;

	/* zlib's length is a uInt: feed it in pieces that fit. */
	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;

		c = crc32(c, b, k);
		b += k;
		n -= k;
	}
	return (uint32_t)c;
}

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", path);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * fstat(2) itself: glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH),
 * a path call a sandbox filter cannot tell from a lookup of any path
 * relative to fd.
 */
static int fd_stat(int fd, struct stat *sb)
{
	return (int)syscall(SYS_fstat, fd, sb);
}

/* ---- host identity ---- */

static void cpuid_insn(uint32_t leaf, uint32_t r[4])
{
	/* Inline: <cpuid.h> would find vmm/machine/cpuid.h first on our include path. */
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

int snap_host_probe(int kvm_fd, int vcpu_fd, const struct kvm_cpuid2 *guest_cpuid,
		    struct snap_host *h, char *err, size_t errlen)
{
	uint32_t r[4];
	uLong c = crc32(0L, Z_NULL, 0);
	int api, khz;

	*h = (struct snap_host){ 0 };
	cpuid_insn(0, r);
	memcpy(h->cpu_vendor, &r[1], 4);
	memcpy(h->cpu_vendor + 4, &r[3], 4);
	memcpy(h->cpu_vendor + 8, &r[2], 4);
	cpuid_insn(1, r);
	h->cpu_signature = r[0];
	/* Only the fields that mean something: the structure's padding is
	 * whatever the CPUID cache or KVM left there. */
	for (uint32_t i = 0; guest_cpuid && i < guest_cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &guest_cpuid->entries[i];
		uint32_t f[7] = { e->function, e->index, e->flags, e->eax, e->ebx, e->ecx, e->edx };

		/* KVM reports the APIC id of the host CPU the query ran on
		 * (leaf 1 EBX[31:24], leaves 0xb and 0x1f EDX), and the guest
		 * gets its own there (cpuid.c): no part of the host's identity. */
		if (e->function == 1)
			f[4] &= 0x00ffffffu;
		if (e->function == 0xb || e->function == 0x1f)
			f[6] = 0;

		c = crc32(c, (const Bytef *)f, sizeof(f));
	}
	h->cpuid_crc = (uint32_t)c;
	api = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	if (api < 0) {
		snprintf(err, errlen, "KVM_GET_API_VERSION: %s", strerror(errno));
		return -1;
	}
	h->kvm_api = (uint32_t)api;
	khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0) {
		snprintf(err, errlen, "KVM_GET_TSC_KHZ: %s", khz < 0 ? strerror(errno) : "no rate");
		return -1;
	}
	h->tsc_khz = (uint32_t)khz;
	return 0;
}

/* ---- shared checks ---- */

/* A device name: 1 to SNAP_NAME_MAX - 1 printable ASCII bytes, no space. */
static bool name_ok(const char *n, size_t len)
{
	if (len == 0 || len >= SNAP_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (n[i] <= ' ' || n[i] > '~')
			return false;
	return true;
}

/* Counts, names and routes: what both the writer and the reader insist on. */
/* The counts alone: the reader checks them before it sizes anything by them. */
static const char *counts_bad(const struct snapshot *s)
{
	if (s->nvcpus == 0 || s->nvcpus > SNAP_MAX_VCPUS)
		return "vCPU count out of range";
	if (s->ndevs > SNAP_MAX_DEVICES)
		return "too many devices";
	if (s->nroutes > SNAP_MAX_ROUTES)
		return "too many interrupt routes";
	return NULL;
}

static const char *contents_bad(const struct snapshot *s)
{
	const char *why;

	for (int i = 0; i < 12; i++)
		if (s->host.cpu_vendor[i] < ' ' || s->host.cpu_vendor[i] > '~')
			return "the CPU vendor is not printable";
	if (s->mem_size == 0 || s->mem_size % SNAP_PAGE)
		return "memory size is not a non-zero multiple of 4 KiB";
	if ((why = counts_bad(s)) != NULL)
		return why;
	for (uint32_t i = 0; i < s->ndevs; i++) {
		if (!name_ok(s->devs[i].name, strnlen(s->devs[i].name, SNAP_NAME_MAX)))
			return "a device name is empty, too long or not printable";
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(s->devs[i].name, s->devs[j].name))
				return "a device appears twice";
	}
	for (uint32_t i = 0; i < s->nroutes; i++) {
		if (s->routes[i].gsi >= SNAP_MAX_GSI)
			return "an interrupt route's GSI is out of range";
		for (uint32_t j = 0; j < i; j++)
			if (s->routes[i].gsi == s->routes[j].gsi)
				return "two interrupt routes for one GSI";
	}
	return NULL;
}

/* ---- writer ---- */

static void put_record(struct state_out *o, const struct snap_record *r)
{
	state_put_u32(o, r->version);
	state_put_u32(o, r->len);
	state_put_bytes(o, r->data, r->len);
}

static void put_meta(struct state_out *o, const struct snapshot *s)
{
	state_put_bytes(o, s->host.cpu_vendor, 12);
	state_put_u32(o, s->host.cpu_signature);
	state_put_u32(o, s->host.cpuid_crc);
	state_put_u32(o, s->host.kvm_api);
	state_put_u32(o, s->host.tsc_khz);
	state_put_u64(o, s->mem_size);
	state_put_u32(o, s->nvcpus);
	state_put_u32(o, s->ndevs);
	state_put_u32(o, s->nroutes);
	put_record(o, &s->vm);
	for (uint32_t i = 0; i < s->nroutes; i++) {
		state_put_u32(o, s->routes[i].gsi);
		state_put_u32(o, s->routes[i].data);
		state_put_u64(o, s->routes[i].address);
	}
	for (uint32_t i = 0; i < s->nvcpus; i++)
		put_record(o, &s->vcpus[i]);
	for (uint32_t i = 0; i < s->ndevs; i++) {
		size_t n = strlen(s->devs[i].name);

		state_put_u16(o, (uint16_t)n);
		state_put_bytes(o, s->devs[i].name, n);
		put_record(o, &s->devs[i]);
	}
}

/* pwrite until done: a regular file may still take less than asked. */
static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = pwrite(fd, b, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t acc = 0;

	for (size_t i = 0; i < SNAP_PAGE / 8; i += 8)
		acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7];
	return acc == 0;
}

/* Copies the non-zero (and, with mincore, resident) pages of guest memory
 * to fd at base, in runs: one pwrite per run of consecutive pages. */
static int write_memory(int fd, uint64_t base, const uint8_t *mem, uint64_t size, bool use_mincore,
			struct snap_write_stats *st, char *err, size_t errlen)
{
	unsigned char vec[SCAN_PAGES];
	uint64_t npages = size / SNAP_PAGE, run = 0, nrun = 0;

	for (uint64_t chunk = 0; chunk < npages; chunk += SCAN_PAGES) {
		uint64_t n = npages - chunk < SCAN_PAGES ? npages - chunk : SCAN_PAGES;

		if (use_mincore && mincore((void *)(mem + chunk * SNAP_PAGE), n * SNAP_PAGE, vec) < 0) {
			snprintf(err, errlen, "mincore on guest memory: %s", strerror(errno));
			return -1;
		}
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pg = chunk + i;
			bool keep = false;

			if (use_mincore && !(vec[i] & 1))
				st->pages_absent++;
			else if (page_is_zero(mem + pg * SNAP_PAGE))
				st->pages_zero++;
			else
				keep = true;
			if (keep) {
				if (!nrun)
					run = pg;
				nrun++;
				st->pages_written++;
			}
			if (nrun && (!keep || pg + 1 == npages)) {
				if (pwrite_all(fd, mem + run * SNAP_PAGE, nrun * SNAP_PAGE,
					       base + run * SNAP_PAGE) < 0) {
					snprintf(err, errlen, "writing guest memory: %s", strerror(errno));
					return -1;
				}
				nrun = 0;
			}
		}
	}
	return 0;
}

static void put_header(uint8_t hdr[SNAP_HEADER_SIZE], uint64_t meta_len, uint64_t mem_off,
		       uint64_t mem_size, uint32_t meta_crc)
{
	struct state_out o = { 0 };
	uint32_t c;

	state_put_bytes(&o, SNAP_MAGIC, 8);
	state_put_u32(&o, SNAP_VERSION);
	state_put_u32(&o, SNAP_HEADER_SIZE);
	state_put_u64(&o, SNAP_HEADER_SIZE);
	state_put_u64(&o, meta_len);
	state_put_u64(&o, mem_off);
	state_put_u64(&o, mem_size);
	state_put_u32(&o, meta_crc);
	state_put_u32(&o, 0);
	state_put_u32(&o, 0);
	memset(hdr, 0, SNAP_HEADER_SIZE);
	if (!o.failed && o.len == HDR_CRC_OFF)
		memcpy(hdr, o.buf, HDR_CRC_OFF);
	state_out_free(&o);
	c = crc(hdr, HDR_CRC_OFF);
	for (int i = 0; i < 4; i++)
		hdr[HDR_CRC_OFF + i] = (uint8_t)(c >> (8 * i));
}

int snap_write(int fd, const struct snapshot *s, const void *mem, bool mem_anonymous,
	       struct snap_write_stats *st, char *err, size_t errlen)
{
	struct snap_write_stats local = { 0 };
	struct state_out meta = { 0 };
	uint8_t hdr[SNAP_HEADER_SIZE];
	struct sysinfo si;
	struct stat sb;
	uint64_t mem_off, end;
	const char *bad;
	bool use_mincore = false;

	if (sysconf(_SC_PAGESIZE) != SNAP_PAGE) {
		snprintf(err, errlen, "snapshots need 4 KiB host pages");
		return -1;
	}
	if ((uintptr_t)mem % SNAP_PAGE) {
		snprintf(err, errlen, "guest memory is not page-aligned");
		return -1;
	}
	if ((bad = contents_bad(s)) != NULL) {
		snprintf(err, errlen, "cannot save: %s", bad);
		return -1;
	}
	if (fd_stat(fd, &sb) < 0) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return -1;
	}
	/* Never overwrite: the file is a new one the helper just created. */
	if (!S_ISREG(sb.st_mode) || sb.st_size != 0) {
		snprintf(err, errlen, "the snapshot must go to a new, empty regular file");
		return -1;
	}
	put_meta(&meta, s);
	if (meta.failed || meta.len > SNAP_META_MAX) {
		snprintf(err, errlen, "snapshot metadata: %s", meta.failed ? "out of memory" : "too large");
		state_out_free(&meta);
		return -1;
	}
	mem_off = (SNAP_HEADER_SIZE + meta.len + SNAP_PAGE - 1) / SNAP_PAGE * SNAP_PAGE;
	if (__builtin_add_overflow(mem_off, s->mem_size, &end) || end > INT64_MAX) {
		snprintf(err, errlen, "memory size too large");
		state_out_free(&meta);
		return -1;
	}
	/* A swapped-out anonymous page is absent too: trust mincore only while
	 * nothing at all is swapped out. */
	if (mem_anonymous && sysinfo(&si) == 0 && si.totalswap == si.freeswap)
		use_mincore = true;
	/* Full size first: every page not written below stays a hole. */
	if (ftruncate(fd, (off_t)end) < 0 ||
	    pwrite_all(fd, meta.buf, meta.len, SNAP_HEADER_SIZE) < 0) {
		snprintf(err, errlen, "writing the snapshot: %s", strerror(errno));
		state_out_free(&meta);
		return -1;
	}
	put_header(hdr, meta.len, mem_off, s->mem_size, crc(meta.buf, meta.len));
	state_out_free(&meta);
	if (write_memory(fd, mem_off, mem, s->mem_size, use_mincore, &local, err, errlen) < 0)
		return -1;
	/* The header last: a save cut short leaves no valid magic. */
	if (pwrite_all(fd, hdr, sizeof(hdr), 0) < 0) {
		snprintf(err, errlen, "writing the snapshot header: %s", strerror(errno));
		return -1;
	}
	if (st)
		*st = local;
	return 0;
}

/* ---- reader ---- */

static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	uint8_t *b = p;

	while (n) {
		ssize_t k = pread(fd, b, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = 0; /* end of file: the caller says "truncated" */
			return -1;
		}
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* A span of len bytes inside the record, without copying. */
static bool get_span(struct state_in *in, uint32_t len, const uint8_t **p)
{
	if (in->why || len > in->len - in->off) {
		state_fail(in, "truncated");
		*p = NULL;
		return false;
	}
	*p = len ? in->p + in->off : NULL;
	in->off += len;
	return true;
}

static bool get_record(struct state_in *in, struct snap_record *r)
{
	state_get_u32(in, &r->version);
	state_get_u32(in, &r->len);
	return get_span(in, r->len, &r->data);
}

/* What snap_read allocates in one block. */
struct storage {
	struct snap_route routes[SNAP_MAX_ROUTES];
	struct snap_record vcpus[SNAP_MAX_VCPUS];
	struct snap_record devs[SNAP_MAX_DEVICES];
	uint8_t meta[];
};

static const char *decode_meta(struct state_in *in, struct snapshot *s, struct storage *st)
{
	const char *why;
	uint64_t mem_size;

	state_get_bytes(in, s->host.cpu_vendor, 12);
	s->host.cpu_vendor[12] = 0;
	state_get_u32(in, &s->host.cpu_signature);
	state_get_u32(in, &s->host.cpuid_crc);
	state_get_u32(in, &s->host.kvm_api);
	state_get_u32(in, &s->host.tsc_khz);
	state_get_u64(in, &mem_size);
	state_get_u32(in, &s->nvcpus);
	state_get_u32(in, &s->ndevs);
	state_get_u32(in, &s->nroutes);
	if (in->why)
		return in->why;
	if (mem_size != s->mem_size)
		return "the memory size in the metadata differs from the header's";
	if ((why = counts_bad(s)) != NULL)
		return why;
	get_record(in, &s->vm);
	for (uint32_t i = 0; i < s->nroutes; i++) {
		state_get_u32(in, &st->routes[i].gsi);
		state_get_u32(in, &st->routes[i].data);
		state_get_u64(in, &st->routes[i].address);
	}
	for (uint32_t i = 0; i < s->nvcpus; i++)
		get_record(in, &st->vcpus[i]);
	for (uint32_t i = 0; i < s->ndevs && !in->why; i++) {
		struct snap_record *d = &st->devs[i];
		uint16_t n = 0;

		state_get_u16(in, &n);
		if (n == 0 || n >= SNAP_NAME_MAX) {
			state_fail(in, "a device name is empty or too long");
			break;
		}
		state_get_bytes(in, d->name, n);
		d->name[n] = 0;
		get_record(in, d);
	}
	if (!state_in_done(in))
		return in->why;
	s->routes = st->routes;
	s->vcpus = st->vcpus;
	s->devs = st->devs;
	return contents_bad(s);
}

int snap_read(int fd, const char *path, struct snapshot *s, char *err, size_t errlen)
{
	uint8_t hdr[SNAP_HEADER_SIZE];
	struct state_in in;
	struct stat sb;
	struct storage *st;
	uint32_t version, hsize, meta_crc, flags, reserved, hcrc;
	uint64_t meta_off, meta_len, mem_off, mem_size, mem_end;
	const char *why;

	*s = (struct snapshot){ 0 };
	if (fd_stat(fd, &sb) < 0)
		return fail(err, errlen, path, "%s", strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return fail(err, errlen, path, "not a regular file");
	if (sb.st_size < (off_t)SNAP_HEADER_SIZE)
		return fail(err, errlen, path, "truncated: %lld bytes, shorter than a snapshot header",
			    (long long)sb.st_size);
	if (pread_all(fd, hdr, sizeof(hdr), 0) < 0)
		return fail(err, errlen, path, "reading the header: %s", errno ? strerror(errno) : "truncated");
	if (memcmp(hdr, SNAP_MAGIC, 8))
		return fail(err, errlen, path, "not a Flint snapshot (no \"%s\" magic)", SNAP_MAGIC);
	in = state_in_make(hdr + 8, HDR_CRC_OFF - 8 + 4);
	state_get_u32(&in, &version);
	state_get_u32(&in, &hsize);
	state_get_u64(&in, &meta_off);
	state_get_u64(&in, &meta_len);
	state_get_u64(&in, &mem_off);
	state_get_u64(&in, &mem_size);
	state_get_u32(&in, &meta_crc);
	state_get_u32(&in, &flags);
	state_get_u32(&in, &reserved);
	state_get_u32(&in, &hcrc);
	if (!state_in_done(&in))
		return fail(err, errlen, path, "header: %s", in.why);
	if (version != SNAP_VERSION)
		return fail(err, errlen, path, "snapshot format version %" PRIu32 ", this flint reads version %u",
			    version, SNAP_VERSION);
	if (hcrc != crc(hdr, HDR_CRC_OFF))
		return fail(err, errlen, path, "header checksum mismatch: the file is corrupt");
	if (hsize != SNAP_HEADER_SIZE || meta_off != SNAP_HEADER_SIZE || flags || reserved)
		return fail(err, errlen, path, "header has an unknown layout (size %" PRIu32
			    ", metadata at %" PRIu64 ", flags 0x%" PRIx32 ")", hsize, meta_off, flags);
	if (meta_len > SNAP_META_MAX)
		return fail(err, errlen, path, "metadata length %" PRIu64 " exceeds the %u-byte limit",
			    meta_len, SNAP_META_MAX);
	if (mem_off % SNAP_PAGE || mem_size % SNAP_PAGE || mem_size == 0)
		return fail(err, errlen, path, "guest memory at offset %" PRIu64 ", %" PRIu64
			    " bytes: not page-aligned", mem_off, mem_size);
	if (meta_off + meta_len > mem_off)
		return fail(err, errlen, path, "metadata [%" PRIu64 ", %" PRIu64
			    ") overlaps guest memory at %" PRIu64, meta_off, meta_off + meta_len, mem_off);
	if (__builtin_add_overflow(mem_off, mem_size, &mem_end) || mem_end > (uint64_t)sb.st_size)
		return fail(err, errlen, path, "truncated: %lld bytes, its memory image needs %" PRIu64
			    " bytes from offset %" PRIu64, (long long)sb.st_size, mem_size, mem_off);
	if (mem_end < (uint64_t)sb.st_size)
		return fail(err, errlen, path, "%" PRIu64 " unknown bytes after the memory image",
			    (uint64_t)sb.st_size - mem_end);
	st = malloc(sizeof(*st) + (meta_len ? meta_len : 1));
	if (!st)
		return fail(err, errlen, path, "out of memory");
	if (pread_all(fd, st->meta, meta_len, meta_off) < 0) {
		free(st);
		return fail(err, errlen, path, "reading the metadata: %s", errno ? strerror(errno) : "truncated");
	}
	if (meta_crc != crc(st->meta, meta_len)) {
		free(st);
		return fail(err, errlen, path, "metadata checksum mismatch: the file is corrupt");
	}
	s->mem_size = mem_size;
	s->mem_offset = mem_off;
	in = state_in_make(st->meta, meta_len);
	if ((why = decode_meta(&in, s, st)) != NULL) {
		free(st);
		*s = (struct snapshot){ 0 };
		return fail(err, errlen, path, "metadata: %s", why);
	}
	s->storage = st;
	return 0;
}

void snap_free(struct snapshot *s)
{
	free(s->storage);
	*s = (struct snapshot){ 0 };
}

const struct snap_record *snap_find_dev(const struct snapshot *s, const char *name)
{
	for (uint32_t i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i].name, name))
			return &s->devs[i];
	return NULL;
}

/* "64 MiB", "1 GiB", "68 KiB" or "4097 bytes": as exact as the value. */
static const char *size_text(char *buf, size_t n, uint64_t v)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (u < 4 && v && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, "%" PRIu64 " %s", v, unit[u]);
	return buf;
}

static void list_text(char *buf, size_t n, const char *const *names, unsigned count)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < count && off < n; i++) {
		int k = snprintf(buf + off, n - off, "%s%s", i ? ", " : "", names[i]);

		if (k < 0)
			break;
		off += (size_t)k;
	}
}

int snap_check(const struct snapshot *s, const char *path, const struct snap_host *here,
	       uint64_t mem_size, unsigned nvcpus, const char *const *dev_names, unsigned ndevs,
	       char *err, size_t errlen)
{
	char a[32], b[32];

	if (s->mem_size != mem_size)
		return fail(err, errlen, path, "memory is %s, the configuration asks for %s",
			    size_text(a, sizeof(a), s->mem_size), size_text(b, sizeof(b), mem_size));
	if (s->nvcpus != nvcpus)
		return fail(err, errlen, path, "%" PRIu32 " vCPU%s saved, the configuration asks for %u",
			    s->nvcpus, s->nvcpus == 1 ? "" : "s", nvcpus);
	if (s->ndevs != ndevs) {
		const char *saved[SNAP_MAX_DEVICES];
		char sl[512], cl[512];

		for (uint32_t i = 0; i < s->ndevs; i++)
			saved[i] = s->devs[i].name;
		list_text(sl, sizeof(sl), saved, s->ndevs);
		list_text(cl, sizeof(cl), dev_names, ndevs);
		return fail(err, errlen, path, "%" PRIu32 " devices saved (%s), the configuration has %u (%s)",
			    s->ndevs, sl, ndevs, cl);
	}
	for (unsigned i = 0; i < ndevs; i++)
		if (strcmp(s->devs[i].name, dev_names[i]))
			return fail(err, errlen, path, "device %u is \"%s\" in the snapshot, \"%s\" in the configuration",
				    i + 1, s->devs[i].name, dev_names[i]);
	if (strcmp(s->host.cpu_vendor, here->cpu_vendor))
		return fail(err, errlen, path, "saved on a %s CPU, this host's is %s",
			    s->host.cpu_vendor, here->cpu_vendor);
	if (s->host.cpu_signature != here->cpu_signature)
		return fail(err, errlen, path, "saved on a CPU with signature 0x%" PRIx32
			    " (family, model, stepping), this host's is 0x%" PRIx32,
			    s->host.cpu_signature, here->cpu_signature);
	if (s->host.cpuid_crc != here->cpuid_crc)
		return fail(err, errlen, path, "saved with other CPUID features (crc 0x%08" PRIx32
			    ") than this host gives guests (crc 0x%08" PRIx32 ")",
			    s->host.cpuid_crc, here->cpuid_crc);
	if (s->host.kvm_api != here->kvm_api)
		return fail(err, errlen, path, "saved with KVM API version %" PRIu32 ", this host's is %" PRIu32,
			    s->host.kvm_api, here->kvm_api);
	if (s->host.tsc_khz != here->tsc_khz)
		return fail(err, errlen, path, "saved with a %" PRIu32 " kHz guest TSC, this host's runs at %" PRIu32
			    " kHz", s->host.tsc_khz, here->tsc_khz);
	return 0;
}

int snap_read_memory(int fd, const struct snapshot *s, void *dst, char *err, size_t errlen)
{
	off_t pos = (off_t)s->mem_offset, end = (off_t)(s->mem_offset + s->mem_size);

	while (pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			return 0; /* nothing but holes to the end */
		if (data < 0 || (hole = lseek(fd, data, SEEK_HOLE)) < 0) {
			snprintf(err, errlen, "reading guest memory from the snapshot: %s", strerror(errno));
			return -1;
		}
		if (data >= end)
			return 0;
		if (hole > end)
			hole = end;
		if (pread_all(fd, (uint8_t *)dst + (data - (off_t)s->mem_offset), (size_t)(hole - data),
			      (uint64_t)data) < 0) {
			snprintf(err, errlen, "reading guest memory from the snapshot: %s",
				 errno ? strerror(errno) : "the file is shorter than its header says");
			return -1;
		}
		pos = hole;
	}
	return 0;
}

void *snap_map_memory(int fd, const struct snapshot *s, void *addr, char *err, size_t errlen)
{
	void *p;

	if (s->mem_size > SIZE_MAX || s->mem_offset > (uint64_t)INT64_MAX) {
		snprintf(err, errlen, "guest memory too large to map");
		return NULL;
	}
	p = mmap(addr, (size_t)s->mem_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_NORESERVE | (addr ? MAP_FIXED : 0), fd, (off_t)s->mem_offset);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "mapping guest memory from the snapshot: %s", strerror(errno));
		return NULL;
	}
	return p;
}
