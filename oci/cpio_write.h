#ifndef FLINT_OCI_CPIO_WRITE_H
#define FLINT_OCI_CPIO_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Writes the tree under the directory root_fd as a cpio "newc" archive
 * (what Flint's guest mounts at / from its initrd), then one extra regular
 * file extra_name (a path like ".flint/args", its folder added) holding
 * extra[0..extra_len).  The tree's own entry of that folder is left out.
 * Symlinks are stored as links, never followed (the guest resolves them
 * inside its own root); devices, FIFOs and sockets are skipped.  Entries
 * come parents first, names in byte order, times 0, owner 0:0, so one
 * folder gives one archive.  Returns 0, or -1 with a message naming the
 * path in err.
 */
int cpio_write_tree(int root_fd, FILE *out, uint64_t max_bytes, const char *extra_name,
		    const void *extra, size_t extra_len, char *err, size_t errlen);

#endif
