/* The cpio "newc" reader (Linux initramfs format) as a VFS backend over memory. */
#ifndef GUEST_FS_CPIO_H
#define GUEST_FS_CPIO_H

#include "fs/vfs.h"

/* Mounts from vfs_source.mem/len only (an initrd module); -EUCLEAN for a corrupt archive. */
extern const struct vfs_backend cpio_backend;

#define CPIO_ENTRIES_MAX (1u << 20)   /* more in one archive is refused (-E2BIG) */

#endif
