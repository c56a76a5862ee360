/*
 * The guest's mounts, from the command line (Linux spelling):
 *   root=initrd          the first PVH module, a cpio newc archive
 *   root=/dev/vda        virtio-blk disk 0 (vdb = 1, ...), through the block backend (ext4)
 *   fs.mount=PATH:SOURCE more mounts, SOURCE as for root=, in command-line order
 * Without root=, an initrd is mounted at / when there is one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <flint.h>

#include "fs/cpio.h"
#include "fs/vfs.h"
#include "kernel/modules.h"

static struct blockdev disks[VFS_MOUNTS_MAX];
static unsigned ndisks;

/* Mounts SOURCE (len bytes of spec) at path; prints why not, naming param. */
static int mount_spec(const char *param, const char *path, const char *spec, size_t len)
{
	struct vfs_source src = { 0 };
	const struct vfs_backend *be;
	int rc;

	if (len == 6 && !memcmp(spec, "initrd", 6)) {
		rc = module_get(0, &src.mem, &src.len);
		if (rc < 0) {
			printf("guest: %s: no initrd (Flint: [kernel] initrd = FILE; QEMU: -initrd FILE)\n", param);
			return rc;
		}
		be = &cpio_backend;
	} else if (len == 8 && !memcmp(spec, "/dev/vd", 7) && spec[7] >= 'a' && spec[7] <= 'p') {
		be = vfs_block_backend();
		if (!be) {
			printf("guest: %s: this guest has no block filesystem (ext4) reader built in\n", param);
			return -ENODEV;
		}
		if (ndisks == VFS_MOUNTS_MAX)
			return -ENOMEM;
		rc = blockdev_virtio_open(&disks[ndisks], (unsigned)(spec[7] - 'a'));
		if (rc < 0) {
			printf("guest: %s: no virtio-blk disk #%d\n", param, spec[7] - 'a');
			return rc;
		}
		src.bdev = &disks[ndisks++];
	} else {
		printf("guest: %s: unknown source '%.*s' (use initrd or /dev/vdX)\n", param, (int)len, spec);
		return -EINVAL;
	}
	rc = vfs_mount(path, be, &src);
	if (rc < 0)
		printf("guest: %s: mounting %s at %s failed: %s\n", param, be->name, path, strerror(-rc));
	return rc;
}

int vfs_mount_from_cmdline(void)
{
	const char *root = cmdline_param("root"), *m;
	char param[VFS_PATH_MAX + 16], path[VFS_PATH_MAX];
	int rc;

	if (root) {
		snprintf(param, sizeof(param), "root=%s", root);
		rc = mount_spec(param, "/", root, strlen(root));
	} else {
		const void *mem;
		uint64_t len;

		if (module_get(0, &mem, &len) < 0)
			return -ENOENT;   /* nothing to mount, and nobody asked */
		rc = mount_spec("the initrd", "/", "initrd", 6);
	}
	if (rc < 0)
		return rc;
	for (unsigned n = 0; (m = cmdline_param_nth("fs.mount", n)); n++) {
		const char *colon = strchr(m, ':');

		snprintf(param, sizeof(param), "fs.mount=%s", m);
		if (!colon || colon == m || (size_t)(colon - m) >= sizeof(path) || m[0] != '/') {
			printf("guest: %s: expected fs.mount=/PATH:SOURCE\n", param);
			return -EINVAL;
		}
		memcpy(path, m, (size_t)(colon - m));
		path[colon - m] = '\0';
		rc = mount_spec(param, path, colon + 1, strlen(colon + 1));
		if (rc < 0)
			return rc;
	}
	return 0;
}
