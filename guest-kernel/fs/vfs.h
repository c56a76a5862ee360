/*
 * STABLE INTERFACE (rootfs branch, 2026-12-01): the ext4 reader codes
 * against it.  Change it only together with guest-kernel/fs/ext4.c.
 *
 * The VFS and its backends.  A backend (cpio.c, ext4.c) is a table of
 * operations on nodes it names with 64-bit numbers of its own choosing
 * (ext4: the inode number; cpio: an index).  The VFS (vfs.c) walks paths
 * one component at a time, follows symlinks, handles "." and ".." and
 * mount points, and turns all of it into POSIX calls (lib/posix_fs.c);
 * a backend never sees a path, only names inside one directory.
 *
 * Every operation returns 0 (or a count) on success and a negative errno
 * value on failure: -ENOENT, -ENOTDIR, -EIO, -EUCLEAN for a corrupt
 * image (Linux's EFSCORRUPTED), -ENOMEM, -EINVAL...  A backend must
 * survive any image: a corrupt one yields errors, never a crash.
 *
 * Freestanding: compiles in the guest (guest-kernel/include) and hosted
 * (the host's libc headers) for the unit tests and the fuzzer.
 */
#ifndef GUEST_FS_VFS_H
#define GUEST_FS_VFS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>     /* S_IF* mode bits: Linux values in both builds */

#include "fs/blockdev.h"

#define VFS_NAME_MAX 255   /* bytes in one path component, as NAME_MAX */
#define VFS_PATH_MAX 1024  /* bytes in a path, NUL included */

/* What a mount reads from: memory (the initrd) or a block device. */
struct vfs_source {
	const void *mem;          /* an image in memory, or NULL */
	uint64_t len;             /* its length in bytes */
	struct blockdev *bdev;    /* a block device, or NULL */
};

struct vfs_stat {
	uint64_t ino;             /* the node number */
	uint32_t mode;            /* S_IFREG/S_IFDIR/S_IFLNK/... | permission bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t size;            /* bytes; a symlink's target length */
	int64_t mtime;            /* seconds since the epoch */
};

struct vfs_dirent {
	uint64_t ino;
	uint32_t type;            /* S_IF* bits of the entry's mode, 0 if unknown */
	char name[VFS_NAME_MAX + 1];  /* NUL-terminated, no '/' */
};

struct vfs_backend {
	const char *name;         /* "cpio", "ext4": what fs.mount= and messages say */
	/*
	 * Checks the image and prepares to serve it: *fs is the backend's
	 * state for the other calls, *root the root directory's node.
	 * -EINVAL if the source is of the wrong kind (memory vs block),
	 * -EUCLEAN if the image is not one of this backend's or is corrupt.
	 */
	int (*mount)(const struct vfs_source *src, void **fs, uint64_t *root);
	void (*unmount)(void *fs);                     /* may be NULL */
	/*
	 * The node called name (namelen bytes, not NUL-terminated, never
	 * "." or "..", never containing '/') in directory dir: 0 and *ino,
	 * -ENOENT if absent, -ENOTDIR if dir is not a directory.
	 */
	int (*lookup)(void *fs, uint64_t dir, const char *name, size_t namelen, uint64_t *ino);
	int (*stat)(void *fs, uint64_t ino, struct vfs_stat *st);
	/*
	 * Up to len bytes of regular file ino from offset off: the count
	 * (0 at or past the end), -EISDIR for a directory, -EINVAL for
	 * another non-regular node.
	 */
	int64_t (*read)(void *fs, uint64_t ino, uint64_t off, void *buf, size_t len);
	/*
	 * The next entry of directory ino after *cookie (0 at first; the
	 * backend's own position, advanced by the call): 1 with *out
	 * filled, 0 at the end, or -errno.  "." and ".." may be returned
	 * or not; the VFS drops them.
	 */
	int (*readdir)(void *fs, uint64_t ino, uint64_t *cookie, struct vfs_dirent *out);
	/*
	 * Symlink ino's target into buf (len bytes, not NUL-terminated, as
	 * readlink(2)): its length, -ERANGE if it does not fit, -EINVAL if
	 * ino is not a symlink.
	 */
	int64_t (*readlink)(void *fs, uint64_t ino, char *buf, size_t len);
};

/* ---- the VFS itself (vfs.c): what lib/posix_fs.c and the tests call ---- */

#define VFS_MOUNTS_MAX 8
#define VFS_FILES_MAX  32  /* open files and directories at once */

/*
 * Mounts backend on src at path (absolute, normalized; "/" first).  The
 * directory path must exist in an existing mount unless it is "/".
 * 0 or -errno (-EBUSY: something is mounted there already).
 */
int vfs_mount(const char *path, const struct vfs_backend *backend, const struct vfs_source *src);
void vfs_unmount_all(void);

/*
 * Mounts what the command line asks for: root=initrd (the first PVH
 * module, cpio newc), root=/dev/vdX (virtio-blk disk X, ext4), and each
 * fs.mount=PATH:SOURCE (SOURCE: initrd, /dev/vdX).  Without root= an
 * initrd is mounted at / when there is one.  Guest only; 0 or -errno,
 * with a console message naming the parameter for every failure.
 */
int vfs_mount_from_cmdline(void);

/*
 * The one backend for a block device (root=/dev/vda): the ext4 reader,
 * when built in, else NULL.  vfs.c takes it from guest-kernel/fs/ext4.h
 * if that header exists (#if __has_include), which must declare
 *     extern const struct vfs_backend ext4_backend;
 * so the build works before and after ext4.c lands.  Hosted builds
 * (rootfs/rootfs.mk) compile every .c file in guest-kernel/fs but mount.c
 * and blockdev_virtio.c, so ext4.c must build against the host libc too.
 */
const struct vfs_backend *vfs_block_backend(void);

/* Path calls: absolute paths, or relative to "/" (there is no cwd). */
int vfs_stat(const char *path, struct vfs_stat *st);     /* follows symlinks */
int vfs_lstat(const char *path, struct vfs_stat *st);    /* does not */
int64_t vfs_readlink(const char *path, char *buf, size_t len);

/* Descriptor calls.  flags: only O_RDONLY (0) and O_DIRECTORY are accepted. */
int vfs_open(const char *path, int flags);               /* a descriptor >= 0 */
int64_t vfs_read(int fd, void *buf, size_t len);
int64_t vfs_pread(int fd, void *buf, size_t len, uint64_t off);
int64_t vfs_lseek(int fd, int64_t off, int whence);      /* SEEK_SET/CUR/END: 0/1/2 */
int vfs_fstat(int fd, struct vfs_stat *st);
int vfs_close(int fd);
/* Directories: a descriptor from vfs_open(); 1 and *out, 0 at the end ("." and ".." skipped). */
int vfs_readdir(int fd, struct vfs_dirent *out);

#endif
