#include "loader_pvh.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <flint/boot_abi.h>

/* ELF fields are read in host order after checking ELFDATA2LSB. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the loader assumes a little-endian host");

/* A real PVH kernel has a handful; more means a corrupt header, and the bound keeps phdrs on the stack. */
#define PVH_MAX_PHNUM 64
/* Notes are a few dozen bytes; the bound keeps the note buffer on the stack. */
#define PVH_MAX_NOTE_SEG 4096

struct loader {
	const struct guest_mem *m;
	const char *path;
	int fd;
	uint64_t fsize;
	char *err;
	size_t errlen;
};

struct notes {
	bool have_entry;
	uint32_t entry32;
	bool have_stats;
	uint64_t stats_gpa;
};

__attribute__((format(printf, 2, 3)))
static int fail(const struct loader *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!l->errlen)
		return -1;
	n = snprintf(l->err, l->errlen, "[kernel] path = \"%s\": ", l->path);
	if (n >= 0 && (size_t)n < l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err + n, l->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *fmt_size(char *buf, size_t len, uint64_t n)
{
	if (n && n % (1ull << 30) == 0)
		snprintf(buf, len, "%" PRIu64 " GiB", n >> 30);
	else if (n && n % (1ull << 20) == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", n >> 20);
	else if (n && n % (1ull << 10) == 0)
		snprintf(buf, len, "%" PRIu64 " KiB", n >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", n);
	return buf;
}

static bool file_range_ok(const struct loader *l, uint64_t off, uint64_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) && end <= l->fsize;
}

static int read_exact(const struct loader *l, void *buf, uint64_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		/* Linux caps one read at about 2 GiB; larger segments take several. */
		size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t n = pread(l->fd, p, chunk, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(l, "read of 0x%" PRIx64 " bytes at offset 0x%" PRIx64 " failed: %s",
				    len, off, strerror(errno));
		if (n == 0)
			return fail(l, "file ended at offset 0x%" PRIx64 " while loading: "
				    "was it changed during the load?", off);
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int check_ehdr(const struct loader *l, const Elf64_Ehdr *eh)
{
	uint64_t phsize = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);

	if (eh->e_ident[EI_CLASS] == ELFCLASS32)
		return fail(l, "is a 32-bit ELF (ELFCLASS32); Flint boots 64-bit x86-64 kernels (ELFCLASS64)");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return fail(l, "unknown ELF class %u; Flint boots 64-bit x86-64 kernels (ELFCLASS64)",
			    eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] == ELFDATA2MSB)
		return fail(l, "is big-endian (ELFDATA2MSB); x86-64 kernels are little-endian");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(l, "unknown ELF data encoding %u; x86-64 kernels are little-endian (ELFDATA2LSB)",
			    eh->e_ident[EI_DATA]);
	if (eh->e_machine != EM_X86_64)
		return fail(l, "is built for ELF machine %u, not x86-64 (EM_X86_64 = %u)",
			    eh->e_machine, EM_X86_64);
	if (eh->e_type == ET_DYN)
		return fail(l, "is position-independent (ET_DYN), but PVH loads at fixed physical "
			    "addresses: link the kernel as ET_EXEC (-static -no-pie)");
	if (eh->e_type != ET_EXEC)
		return fail(l, "is not an executable (e_type %u, need ET_EXEC)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(l, "program header entry size is %u bytes, ELF64 needs %zu: corrupt ELF header",
			    eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0)
		return fail(l, "has no program headers: is it a linked executable?");
	if (eh->e_phnum > PVH_MAX_PHNUM)
		return fail(l, "has %u program headers, Flint accepts at most %d: corrupt ELF header?",
			    eh->e_phnum, PVH_MAX_PHNUM);
	if (!file_range_ok(l, eh->e_phoff, phsize))
		return fail(l, "program header table [0x%" PRIx64 ", +0x%" PRIx64 ") lies outside "
			    "the file (%" PRIu64 " bytes): truncated or corrupt kernel",
			    (uint64_t)eh->e_phoff, phsize, l->fsize);
	return 0;
}

static int check_load(const struct loader *l, int i, const Elf64_Phdr *ph)
{
	uint64_t end;
	char sz[32];

	if (!file_range_ok(l, ph->p_offset, ph->p_filesz))
		return fail(l, "segment %d: file bytes [0x%" PRIx64 ", +0x%" PRIx64 ") run past the end "
			    "of the file (%" PRIu64 " bytes): truncated or corrupt kernel",
			    i, (uint64_t)ph->p_offset, (uint64_t)ph->p_filesz, l->fsize);
	if (ph->p_filesz > ph->p_memsz)
		return fail(l, "segment %d: p_filesz 0x%" PRIx64 " exceeds p_memsz 0x%" PRIx64,
			    i, (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
	if (ph->p_memsz == 0)
		return 0;
	if (__builtin_add_overflow(ph->p_paddr, ph->p_memsz, &end))
		return fail(l, "segment %d: p_paddr 0x%" PRIx64 " + p_memsz 0x%" PRIx64
			    " wraps around the address space", i, (uint64_t)ph->p_paddr,
			    (uint64_t)ph->p_memsz);
	if (ph->p_paddr < FLINT_KERNEL_MIN_GPA)
		return fail(l, "segment %d [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps the monitor's boot "
			    "area below 1 MiB; link the kernel at 0x%llx or above",
			    i, (uint64_t)ph->p_paddr, end, FLINT_KERNEL_MIN_GPA);
	if (end > FLINT_MMIO_HOLE_GPA)
		return fail(l, "segment %d [0x%" PRIx64 ", 0x%" PRIx64 ") reaches past the end of "
			    "possible RAM (0x%llx, where the MMIO hole begins); link the kernel lower",
			    i, (uint64_t)ph->p_paddr, end, FLINT_MMIO_HOLE_GPA);
	if (!guest_ptr(l->m, ph->p_paddr, ph->p_memsz))
		return fail(l, "segment %d [0x%" PRIx64 ", 0x%" PRIx64 ") does not fit in guest "
			    "memory (%s); raise [machine] memory", i, (uint64_t)ph->p_paddr, end,
			    fmt_size(sz, sizeof(sz), l->m->size));
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool note_is(const uint8_t *name, uint32_t namesz, const char *want)
{
	return namesz == strlen(want) + 1 && memcmp(name, want, namesz) == 0;
}

static int take_note(const struct loader *l, int seg, const Elf64_Nhdr *nh, const uint8_t *name,
		     const uint8_t *desc, struct notes *n)
{
	if (note_is(name, nh->n_namesz, "Xen") && nh->n_type == XEN_ELFNOTE_PHYS32_ENTRY) {
		uint64_t entry;

		if (n->have_entry)
			return fail(l, "PT_NOTE segment %d: a second PVH entry note "
				    "(XEN_ELFNOTE_PHYS32_ENTRY); keep exactly one", seg);
		if (nh->n_descsz == 4) {
			uint32_t e32;

			memcpy(&e32, desc, 4);
			entry = e32;
		} else if (nh->n_descsz == 8) {
			memcpy(&entry, desc, 8);
		} else {
			return fail(l, "PT_NOTE segment %d: PVH entry note has a %u-byte descriptor "
				    "(expected 4 or 8)", seg, nh->n_descsz);
		}
		if (entry > UINT32_MAX)
			return fail(l, "PVH entry 0x%" PRIx64 " is above 4 GiB, but the entry runs in "
				    "32-bit mode", entry);
		n->have_entry = true;
		n->entry32 = (uint32_t)entry;
	} else if (note_is(name, nh->n_namesz, FLINT_NOTE_NAME) &&
		   nh->n_type == FLINT_NOTE_BOOT_STATS) {
		if (n->have_stats)
			return fail(l, "PT_NOTE segment %d: a second Flint boot-stats note; keep "
				    "exactly one", seg);
		if (nh->n_descsz != 8)
			return fail(l, "PT_NOTE segment %d: Flint boot-stats note has a %u-byte "
				    "descriptor (expected 8)", seg, nh->n_descsz);
		memcpy(&n->stats_gpa, desc, 8);
		n->have_stats = true;
	}
	/* Other notes (build id, GNU properties, future Flint types) are not ours to judge. */
	return 0;
}

static int parse_notes(const struct loader *l, int seg, const uint8_t *p, uint64_t len,
		       uint64_t align, struct notes *n)
{
	uint64_t off = 0;

	while (off < len) {
		Elf64_Nhdr nh;
		uint64_t name_off, desc_off, desc_end, next;

		if (len - off < sizeof(nh))
			return fail(l, "PT_NOTE segment %d: malformed note at offset 0x%" PRIx64
				    ": %" PRIu64 " bytes left, a note header needs %zu",
				    seg, off, len - off, sizeof(nh));
		memcpy(&nh, p + off, sizeof(nh));
		name_off = off + sizeof(nh);
		/* Padding aligns the descriptor's offset, not the name's size: they differ for 8-aligned notes. */
		if (__builtin_add_overflow(name_off, (uint64_t)nh.n_namesz, &desc_off) ||
		    (desc_off = align_up(desc_off, align)) > len ||
		    __builtin_add_overflow(desc_off, (uint64_t)nh.n_descsz, &desc_end) ||
		    desc_end > len)
			return fail(l, "PT_NOTE segment %d: malformed note at offset 0x%" PRIx64
				    ": name (%u bytes) and descriptor (%u bytes) run past the "
				    "segment's %" PRIu64 " bytes", seg, off, nh.n_namesz,
				    nh.n_descsz, len);
		if (take_note(l, seg, &nh, p + name_off, p + desc_off, n))
			return -1;
		/* Tolerate a producer that leaves out the last descriptor's padding. */
		next = align_up(desc_end, align);
		off = next < len ? next : len;
	}
	return 0;
}

static int read_notes(const struct loader *l, int i, const Elf64_Phdr *ph, struct notes *n)
{
	uint8_t buf[PVH_MAX_NOTE_SEG];

	if (!file_range_ok(l, ph->p_offset, ph->p_filesz))
		return fail(l, "PT_NOTE segment %d: file bytes [0x%" PRIx64 ", +0x%" PRIx64 ") run "
			    "past the end of the file (%" PRIu64 " bytes): truncated or corrupt kernel",
			    i, (uint64_t)ph->p_offset, (uint64_t)ph->p_filesz, l->fsize);
	if (ph->p_filesz > sizeof(buf))
		return fail(l, "PT_NOTE segment %d is %" PRIu64 " bytes; Flint reads at most %zu "
			    "bytes of notes per segment", i, (uint64_t)ph->p_filesz, sizeof(buf));
	if (read_exact(l, buf, ph->p_filesz, ph->p_offset))
		return -1;
	/* GNU property notes are 8-aligned in their own segment; everything else uses 4. */
	return parse_notes(l, i, buf, ph->p_filesz, ph->p_align == 8 ? 8 : 4, n);
}

static bool is_loaded(const Elf64_Phdr *ph)
{
	return ph->p_type == PT_LOAD && ph->p_memsz > 0;
}

/* Whether [gpa, gpa + len) lies inside one loaded segment whose flags include `flags`. */
static bool inside_segment(const Elf64_Phdr *ph, int phnum, uint64_t gpa, uint64_t len,
			   uint32_t flags)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end))
		return false;
	for (int i = 0; i < phnum; i++)
		if (is_loaded(&ph[i]) && (ph[i].p_flags & flags) == flags &&
		    gpa >= ph[i].p_paddr && end <= ph[i].p_paddr + ph[i].p_memsz)
			return true;
	return false;
}

static int check_overlaps(const struct loader *l, const Elf64_Phdr *ph, int phnum)
{
	for (int i = 0; i < phnum; i++)
		for (int j = i + 1; j < phnum; j++) {
			const Elf64_Phdr *a = &ph[i], *b = &ph[j];

			if (!is_loaded(a) || !is_loaded(b))
				continue;
			if (a->p_paddr < b->p_paddr + b->p_memsz && b->p_paddr < a->p_paddr + a->p_memsz)
				return fail(l, "segments %d [0x%" PRIx64 ", 0x%" PRIx64 ") and %d [0x%"
					    PRIx64 ", 0x%" PRIx64 ") overlap in guest memory",
					    i, (uint64_t)a->p_paddr, (uint64_t)(a->p_paddr + a->p_memsz),
					    j, (uint64_t)b->p_paddr, (uint64_t)(b->p_paddr + b->p_memsz));
		}
	return 0;
}

/* Linux's x86 boot protocol: "HdrS" at 0x202, the real-mode header of a
 * bzImage (Documentation/arch/x86/boot.rst). */
static bool is_bzimage(const struct loader *l)
{
	char magic[4];

	return l->fsize >= 0x206 && pread(l->fd, magic, sizeof(magic), 0x202) == sizeof(magic) &&
	       !memcmp(magic, "HdrS", 4);
}

static int load_fd(struct loader *l, struct pvh_image *out)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[PVH_MAX_PHNUM];
	struct notes notes = { 0 };
	struct stat st;
	uint64_t lo = UINT64_MAX, hi = 0;
	int phnum, nload = 0;

	if (fstat(l->fd, &st) < 0)
		return fail(l, "cannot stat: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return fail(l, "is a directory, not a kernel image; check [kernel] path");
	if (!S_ISREG(st.st_mode))
		return fail(l, "is not a regular file; check [kernel] path");
	l->fsize = (uint64_t)st.st_size;
	if (l->fsize == 0)
		return fail(l, "is empty (0 bytes); was the kernel build interrupted?");

	memset(&eh, 0, sizeof(eh));
	if (read_exact(l, &eh, l->fsize < sizeof(eh) ? l->fsize : sizeof(eh), 0))
		return -1;
	if (l->fsize < SELFMAG || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
		if (is_bzimage(l))
			return fail(l, "not an ELF file: a Linux bzImage (like Debian's /boot/vmlinuz), which "
				    "Flint does not boot; give the uncompressed vmlinux ELF with a PVH entry "
				    "note instead (Linux built with CONFIG_PVH=y)");
		return fail(l, "not an ELF file (bad magic); [kernel] path must name the linked kernel ELF");
	}
	if (l->fsize < sizeof(eh))
		return fail(l, "truncated ELF header: the file is %" PRIu64 " bytes, an ELF64 header "
			    "needs %zu", l->fsize, sizeof(eh));
	if (check_ehdr(l, &eh))
		return -1;
	phnum = eh.e_phnum;
	if (read_exact(l, ph, (uint64_t)phnum * sizeof(ph[0]), eh.e_phoff))
		return -1;

	for (int i = 0; i < phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			if (check_load(l, i, &ph[i]))
				return -1;
			if (ph[i].p_memsz) {
				nload++;
				if (ph[i].p_paddr < lo)
					lo = ph[i].p_paddr;
				if (ph[i].p_paddr + ph[i].p_memsz > hi)
					hi = ph[i].p_paddr + ph[i].p_memsz;
			}
		} else if (ph[i].p_type == PT_NOTE && ph[i].p_filesz) {
			if (read_notes(l, i, &ph[i], &notes))
				return -1;
		}
	}
	if (!nload)
		return fail(l, "has no PT_LOAD segment with contents: nothing to load");
	if (check_overlaps(l, ph, phnum))
		return -1;
	if (!notes.have_entry)
		return fail(l, "no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): is this a PVH kernel?");
	if (!inside_segment(ph, phnum, notes.entry32, 1, PF_X))
		return fail(l, "PVH entry 0x%" PRIx32 " is not inside a loaded executable (PF_X) segment",
			    notes.entry32);
	if (notes.have_stats && notes.stats_gpa % 8)
		return fail(l, "Flint boot-stats note address 0x%" PRIx64 " is not 8-byte aligned",
			    notes.stats_gpa);
	if (notes.have_stats &&
	    !inside_segment(ph, phnum, notes.stats_gpa, sizeof(struct flint_boot_stats), 0))
		return fail(l, "Flint boot-stats note address [0x%" PRIx64 ", +%zu) is not inside a "
			    "loaded segment", notes.stats_gpa, sizeof(struct flint_boot_stats));

	/* Straight from the file into guest memory: no bounce buffer on the boot path. */
	for (int i = 0; i < phnum; i++) {
		uint8_t *dst;

		if (!is_loaded(&ph[i]))
			continue;
		dst = guest_ptr(l->m, ph[i].p_paddr, ph[i].p_memsz);
		if (!dst)
			return fail(l, "segment %d: internal error: unchecked guest range", i);
		/*
		 * Only the file's bytes: the rest of the segment (the bss) is
		 * zero already in fresh guest memory (the precondition in
		 * loader_pvh.h).  Writing zeros over it would populate every
		 * page: a 3 GiB bss would cost 3 GiB of RAM before the guest ran.
		 */
		if (read_exact(l, dst, ph[i].p_filesz, ph[i].p_offset))
			return -1;
	}

	*out = (struct pvh_image){
		.entry32 = notes.entry32,
		.stats_gpa = notes.have_stats ? notes.stats_gpa : 0,
		.lo = lo,
		.hi = hi,
	};
	return 0;
}

int pvh_load(const struct guest_mem *m, const char *path, struct pvh_image *out, char *err,
	     size_t errlen)
{
	struct loader l = { .m = m, .path = path, .fd = -1, .err = err, .errlen = errlen };
	int rc;

	/* O_NONBLOCK so a FIFO given by mistake is rejected by fstat instead of hanging open. */
	l.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (l.fd < 0) {
		int e = errno;

		return fail(&l, "cannot open: %s%s", strerror(e),
			    e == ENOENT ? "; check [kernel] path" : "");
	}
	rc = load_fd(&l, out);
	close(l.fd);
	return rc;
}
