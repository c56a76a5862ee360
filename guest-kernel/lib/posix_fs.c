/*
 * POSIX file calls over the VFS: -1 and errno instead of the VFS's
 * negative errno values.  The command line's mounts are made at the
 * first call, so apps that never touch a file pay nothing at boot.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/vfs.h"
#include "lib/stdstreams.h"

int errno;

struct flint_dir {
	int fd;
	struct dirent de;
};

static int mounted(void)
{
	static int state = 1;   /* 1: not tried yet; then the result */

	if (state == 1)
		state = vfs_mount_from_cmdline();
	return state;
}

static int64_t ret(int64_t rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

static void to_stat(const struct vfs_stat *v, struct stat *st)
{
	*st = (struct stat){
		.st_ino = v->ino, .st_mode = v->mode, .st_nlink = v->nlink,
		.st_uid = v->uid, .st_gid = v->gid, .st_size = (off_t)v->size, .st_mtime = v->mtime,
	};
}

int open(const char *path, int flags, ...)
{
	int rc = mounted();

	return (int)ret(rc < 0 ? rc : vfs_open(path, flags));
}

/* Descriptors 1 and 2 are the console's output (lib/stdstreams.c: stdout
 * the virtio-console or the UART, stderr the UART); files are read-only. */
ssize_t write(int fd, const void *buf, size_t len)
{
	if (stdstreams_write(fd, buf, len) < 0) {
		errno = EBADF;
		return -1;
	}
	return (ssize_t)len;
}

/* Descriptor 0 is the console's input (lib/stdstreams.c); the rest are files. */
ssize_t read(int fd, void *buf, size_t len)
{
	return fd == 0 ? stdin_read(buf, len) : ret(vfs_read(fd, buf, len));
}
ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	return off < 0 ? ret(-EINVAL) : ret(vfs_pread(fd, buf, len, (uint64_t)off));
}
off_t lseek(int fd, off_t off, int whence) { return ret(vfs_lseek(fd, off, whence)); }
int close(int fd) { return (int)ret(vfs_close(fd)); }

static int stat_common(const char *path, struct stat *st, int (*fn)(const char *, struct vfs_stat *))
{
	struct vfs_stat v;
	int rc = mounted();

	if (rc >= 0)
		rc = fn(path, &v);
	if (rc < 0)
		return (int)ret(rc);
	to_stat(&v, st);
	return 0;
}

int stat(const char *path, struct stat *st) { return stat_common(path, st, vfs_stat); }
int lstat(const char *path, struct stat *st) { return stat_common(path, st, vfs_lstat); }

int fstat(int fd, struct stat *st)
{
	struct vfs_stat v;
	int rc = vfs_fstat(fd, &v);

	if (rc < 0)
		return (int)ret(rc);
	to_stat(&v, st);
	return 0;
}

ssize_t readlink(const char *path, char *buf, size_t len)
{
	int rc = mounted();

	return ret(rc < 0 ? rc : vfs_readlink(path, buf, len));
}

DIR *opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = malloc(sizeof(*d));
	if (!d) {
		vfs_close(fd);
		errno = ENOMEM;
		return NULL;
	}
	d->fd = fd;
	return d;
}

static unsigned char dt(uint32_t type)
{
	switch (type & S_IFMT) {
	case S_IFREG: return DT_REG;
	case S_IFDIR: return DT_DIR;
	case S_IFLNK: return DT_LNK;
	case S_IFCHR: return DT_CHR;
	case S_IFBLK: return DT_BLK;
	case S_IFIFO: return DT_FIFO;
	case S_IFSOCK: return DT_SOCK;
	}
	return DT_UNKNOWN;
}

struct dirent *readdir(DIR *d)
{
	struct vfs_dirent v;
	int rc = vfs_readdir(d->fd, &v);

	if (rc <= 0) {
		if (rc < 0)
			errno = -rc;
		return NULL;
	}
	d->de.d_ino = v.ino;
	d->de.d_type = dt(v.type);
	memcpy(d->de.d_name, v.name, sizeof(d->de.d_name));
	return &d->de;
}

int closedir(DIR *d)
{
	int rc = vfs_close(d->fd);

	free(d);
	return (int)ret(rc);
}
