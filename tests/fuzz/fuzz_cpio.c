/*
 * libFuzzer target for the guest's cpio reader and the VFS above it: any
 * bytes as an initrd.  A mount that succeeds is then walked whole (every
 * directory listed, every node stat'ed, every file read and every link
 * resolved through the VFS), so everything mount let through is used.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fs/cpio.h"
#include "fs/vfs.h"

static unsigned budget;

static void walk(const char *path, int depth)
{
	struct vfs_dirent de;
	struct vfs_stat st;
	char buf[4096], child[VFS_PATH_MAX];
	int fd = vfs_open(path, O_RDONLY);

	if (fd < 0)
		return;
	if (vfs_fstat(fd, &st) == 0 && S_ISREG(st.mode)) {
		while (vfs_read(fd, buf, sizeof(buf)) > 0)
			;
		vfs_pread(fd, buf, 7, st.size / 2);
		vfs_lseek(fd, -1, SEEK_END);
	}
	while (depth < 16 && budget && vfs_readdir(fd, &de) == 1) {
		budget--;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, de.name) >= sizeof(child))
			continue;
		vfs_lstat(child, &st);
		vfs_readlink(child, buf, sizeof(buf));
		walk(child, depth + 1);
	}
	vfs_close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfs_source src = { .mem = data, .len = size };
	struct vfs_stat st;

	if (vfs_mount("/", &cpio_backend, &src) == 0) {
		budget = 4096;
		walk("/", 0);
		vfs_stat("/a/../b/./c", &st);
		vfs_unmount_all();
	}
	return 0;
}
