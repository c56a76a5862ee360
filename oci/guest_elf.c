/* Telling a Flint guest from a Linux program (guest_elf.h). */
#include "guest_elf.h"

#include <elf.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define PHDRS_MAX 64
#define NOTES_MAX 4096
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static bool has_pvh_note(const unsigned char *n, size_t len)
{
	size_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr h;
		size_t name, desc;

		memcpy(&h, n + off, sizeof(h));
		off += sizeof(h);
		name = ((size_t)h.n_namesz + 3) & ~(size_t)3;
		desc = ((size_t)h.n_descsz + 3) & ~(size_t)3;
		if (name > len - off || desc > len - off - name)
			return false;
		if (h.n_type == XEN_ELFNOTE_PHYS32_ENTRY && h.n_namesz == 4 && !memcmp(n + off, "Xen", 4))
			return true;
		off += name + desc;
	}
	return false;
}

bool guest_elf_is_flint(int fd)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[PHDRS_MAX];
	unsigned char notes[NOTES_MAX];

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > PHDRS_MAX ||
	    pread(fd, ph, eh.e_phnum * sizeof(Elf64_Phdr), (off_t)eh.e_phoff) !=
		    (ssize_t)(eh.e_phnum * sizeof(Elf64_Phdr)))
		return false;
	for (int i = 0; i < eh.e_phnum; i++) {
		ssize_t n;

		if (ph[i].p_type != PT_NOTE || ph[i].p_filesz > NOTES_MAX || ph[i].p_offset > INT64_MAX)
			continue;
		n = pread(fd, notes, ph[i].p_filesz, (off_t)ph[i].p_offset);
		if (n == (ssize_t)ph[i].p_filesz && has_pvh_note(notes, (size_t)n))
			return true;
	}
	return false;
}
