#include "loader_initrd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flint/boot_abi.h>

__attribute__((format(printf, 5, 6)))
static int fail(char *err, size_t errlen, const char *where, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!errlen)
		return -1;
	n = snprintf(err, errlen, "%s: [kernel] initrd %s: ", where ? where : "config", path);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *fmt_size(char *buf, size_t len, uint64_t n)
{
	if (n >= (1ull << 20) && n % (1ull << 20) == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", n >> 20);
	else if (n >= (1ull << 20))
		snprintf(buf, len, "%.1f MiB", (double)n / (1 << 20));
	else
		snprintf(buf, len, "%" PRIu64 " bytes", n);
	return buf;
}

/*
 * Maps the file copy-on-write over the slot: the guest's first read of a
 * page maps the page-cache page, no copy (tests/bench/initrd_copy.c: 64
 * MiB read whole in 24 ms this way, against 195 ms for pread into fresh
 * anonymous memory, nearly all of it page faults).  Returns false if the
 * caller's memory is not ours to remap or the kernel refuses; the slot is
 * then anonymous memory again, for pread.
 */
static bool map_over(const struct guest_mem *m, int fd, uint64_t gpa, uint64_t size)
{
	uint64_t len = (size + 4095) & ~4095ull;
	uint8_t *dst = guest_ptr(m, gpa, len);

	if (!dst || ((uintptr_t)dst & 4095))
		return false;
	if (mmap(dst, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) != MAP_FAILED)
		return true;
	/* A failed MAP_FIXED may have unmapped the range: put anonymous memory back
	 * (if even that fails, pread reports EFAULT). */
	mmap(dst, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
	     -1, 0);
	return false;
}

int initrd_load(const struct guest_mem *m, const char *path, const char *where, uint64_t kernel_end,
		bool map_file, struct initrd_image *out, char *err, size_t errlen)
{
	struct hvm_modlist_entry entry;
	struct stat st;
	uint64_t gpa, end, size, done = 0;
	uint8_t *dst;
	void *list;
	char a[32], b[32];
	int fd, rc = -1;

	/* O_NONBLOCK: a FIFO given by mistake is refused by fstat instead of hanging open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errlen, where, path, "cannot open: %s%s", strerror(errno),
			    errno == ENOENT ? "; check [kernel] initrd" : "");
	if (fstat(fd, &st) < 0) {
		fail(err, errlen, where, path, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		fail(err, errlen, where, path, "is a directory; make an image of it with "
		     "rootfs/mkimage --format cpio DIR OUT");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, errlen, where, path, "is not a regular file");
		goto out;
	}
	size = (uint64_t)st.st_size;
	if (size == 0) {
		fail(err, errlen, where, path, "is empty (0 bytes)");
		goto out;
	}
	gpa = (kernel_end + FLINT_MODULE_ALIGN - 1) & ~(FLINT_MODULE_ALIGN - 1);
	if (gpa < kernel_end || __builtin_add_overflow(gpa, size, &end) || !(dst = guest_ptr(m, gpa, size))) {
		fail(err, errlen, where, path, "is %s, which does not fit in guest memory (%s) above the "
		     "kernel (which ends at 0x%" PRIx64 "); raise [machine] memory", fmt_size(a, sizeof(a), size),
		     fmt_size(b, sizeof(b), m->size), kernel_end);
		goto out;
	}
	list = guest_ptr(m, FLINT_MODLIST_GPA, sizeof(entry));
	if (!list) {
		fail(err, errlen, where, path, "internal error: module list outside guest memory");
		goto out;
	}
	if (map_file && map_over(m, fd, gpa, size))
		done = size;
	while (done < size) {
		size_t chunk = size - done > (1u << 30) ? (1u << 30) : (size_t)(size - done);
		ssize_t n = pread(fd, dst + done, chunk, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(err, errlen, where, path, "read failed at offset %" PRIu64 ": %s", done,
			     strerror(errno));
			goto out;
		}
		if (n == 0) {
			fail(err, errlen, where, path, "file ended at offset %" PRIu64 " of %" PRIu64
			     ": was it changed during the load?", done, size);
			goto out;
		}
		done += (uint64_t)n;
	}
	entry = (struct hvm_modlist_entry){ .paddr = gpa, .size = size };
	memcpy(list, &entry, sizeof(entry));
	*out = (struct initrd_image){ .gpa = gpa, .size = size };
	rc = 0;
out:
	close(fd);
	return rc;
}

int initrd_announce(const struct guest_mem *m, const struct initrd_image *img, char *err, size_t errlen)
{
	struct hvm_start_info *si = guest_ptr(m, FLINT_START_INFO_GPA, sizeof(*si));

	_Static_assert(FLINT_MODLIST_GPA >= FLINT_MEMMAP_GPA + FLINT_MEMMAP_MAX *
		       sizeof(struct hvm_memmap_table_entry), "module list runs into the memory map");
	_Static_assert(FLINT_MODLIST_GPA + FLINT_MODULES_MAX * sizeof(struct hvm_modlist_entry)
		       <= FLINT_CMDLINE_GPA, "module list runs into the command line");
	if (!si || !img->size) {
		snprintf(err, errlen, "internal error: no start info to announce the initrd in");
		return -1;
	}
	si->nr_modules = 1;
	si->modlist_paddr = FLINT_MODLIST_GPA;
	return 0;
}
