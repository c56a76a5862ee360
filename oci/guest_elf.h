#ifndef FLINT_OCI_GUEST_ELF_H
#define FLINT_OCI_GUEST_ELF_H

#include <stdbool.h>

/*
 * True if fd is an x86-64 ELF64 with a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY),
 * what Flint boots.  A Linux program (the Kubernetes pause container, a
 * shell) has none: flint-oci refuses it rather than run it without a VM.
 */
bool guest_elf_is_flint(int fd);

#endif
