/*
 * The VFS: a mount table, a path walker and a descriptor table over the
 * backends of vfs.h.  Hosted and guest: no console, no command line
 * (mount.c does the guest's mounting).
 *
 * Paths are walked one component at a time.  The walk keeps a stack of
 * the directories it went through, so ".." is the directory the walk
 * came from (the tree's real parent: backends have no parent links), a
 * symlink's relative target continues from the directory holding the
 * link, and ".." at a mount's root leaves the mount.
 */
#include <stdbool.h>
#include <string.h>

#include "fs/vfs.h"

#if __has_include("fs/ext4.h")
#include "fs/ext4.h"     /* declares ext4_backend */
const struct vfs_backend *vfs_block_backend(void) { return &ext4_backend; }
#else
const struct vfs_backend *vfs_block_backend(void) { return NULL; }
#endif

#define WALK_DEPTH   128   /* directories deep */
#define SYMLINKS_MAX 40    /* as Linux's MAXSYMLINKS */
#define FD_BASE      3     /* 0-2 are the console's, by convention */

struct mount {
	bool used;
	const struct vfs_backend *be;
	void *fs;
	uint64_t root;
	int over_mnt;              /* the directory it covers; -1 for "/" */
	uint64_t over_ino;
};

struct ref {
	int mnt;
	uint64_t ino;
};

struct file {
	bool used, dir;
	struct ref r;
	uint64_t off;              /* byte offset, or the backend's readdir cookie */
};

static struct mount mounts[VFS_MOUNTS_MAX];
static struct file files[VFS_FILES_MAX];

static int do_stat(struct ref r, struct vfs_stat *st)
{
	return mounts[r.mnt].be->stat(mounts[r.mnt].fs, r.ino, st);
}

/* The root of the mount over r, if something is mounted there. */
static struct ref cross(struct ref r)
{
	for (bool again = true; again;) {
		again = false;
		for (int i = 0; i < VFS_MOUNTS_MAX; i++)
			if (mounts[i].used && mounts[i].over_mnt == r.mnt && mounts[i].over_ino == r.ino) {
				r = (struct ref){ i, mounts[i].root };
				again = true;
				break;
			}
	}
	return r;
}

static int resolve(const char *path, bool follow, struct ref *out)
{
	static struct ref stack[WALK_DEPTH];    /* static: 2 KiB off a 64 KiB app stack */
	char buf[2 * VFS_PATH_MAX], link[VFS_PATH_MAX];
	size_t len = strnlen(path, VFS_PATH_MAX), pos = 0;
	int depth = 1, links = 0;
	bool want_dir = len && path[len - 1] == '/';

	if (len == VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (len == 0)
		return -ENOENT;
	if (!mounts[0].used)
		return -ENOENT;
	memcpy(buf, path, len + 1);
	stack[0] = cross((struct ref){ 0, mounts[0].root });
	for (;;) {
		struct vfs_stat st;
		struct ref top = stack[depth - 1], child;
		size_t j, clen, rest;
		bool last;
		int rc;

		while (buf[pos] == '/')
			pos++;
		if (!buf[pos])
			break;
		for (j = pos; buf[j] && buf[j] != '/'; j++)
			;
		clen = j - pos;
		rest = j;
		while (buf[rest] == '/')
			rest++;
		last = !buf[rest];
		if (clen == 1 && buf[pos] == '.') {
			pos = j;
			continue;
		}
		if (clen == 2 && buf[pos] == '.' && buf[pos + 1] == '.') {
			if (depth > 1)
				depth--;
			pos = j;
			continue;
		}
		if (clen > VFS_NAME_MAX)
			return -ENAMETOOLONG;
		rc = mounts[top.mnt].be->lookup(mounts[top.mnt].fs, top.ino, buf + pos, clen, &child.ino);
		if (rc < 0)
			return rc;
		child.mnt = top.mnt;
		child = cross(child);
		rc = do_stat(child, &st);
		if (rc < 0)
			return rc;
		if (S_ISLNK(st.mode) && (!last || follow || want_dir)) {
			int64_t n;

			if (++links > SYMLINKS_MAX)
				return -ELOOP;
			n = mounts[child.mnt].be->readlink(mounts[child.mnt].fs, child.ino, link,
							   sizeof(link) - 1);
			if (n < 0)
				return (int)n;
			if (n == 0)
				return -ENOENT;
			/* The rest of the path goes after the target: target + "/" + rest. */
			size_t rl = strlen(buf + j);
			if ((size_t)n + rl + 1 >= sizeof(buf))
				return -ENAMETOOLONG;
			memmove(buf + n, buf + j, rl + 1);
			memcpy(buf, link, (size_t)n);
			pos = 0;
			if (link[0] == '/')
				depth = 1;
			continue;
		}
		if (!last && !S_ISDIR(st.mode))
			return -ENOTDIR;
		if (depth == WALK_DEPTH)
			return -ENAMETOOLONG;
		stack[depth++] = child;
		pos = j;
	}
	if (want_dir) {
		struct vfs_stat st;
		int rc = do_stat(stack[depth - 1], &st);

		if (rc < 0)
			return rc;
		if (!S_ISDIR(st.mode))
			return -ENOTDIR;
	}
	*out = stack[depth - 1];
	return 0;
}

int vfs_mount(const char *path, const struct vfs_backend *be, const struct vfs_source *src)
{
	struct mount m = { .used = true, .be = be, .over_mnt = -1 };
	int slot = -1, rc;

	if (!be || !path || path[0] != '/')
		return -EINVAL;
	if (!strcmp(path, "/")) {
		if (mounts[0].used)
			return -EBUSY;
		slot = 0;
	} else {
		struct ref r;
		struct vfs_stat st;

		if (!mounts[0].used)
			return -ENOENT;
		rc = resolve(path, true, &r);
		if (rc < 0)
			return rc;
		rc = do_stat(r, &st);
		if (rc < 0)
			return rc;
		if (!S_ISDIR(st.mode))
			return -ENOTDIR;
		/* resolve() crossed into whatever is mounted there already. */
		if (r.ino == mounts[r.mnt].root)
			return -EBUSY;
		m.over_mnt = r.mnt;
		m.over_ino = r.ino;
		for (int i = 1; i < VFS_MOUNTS_MAX && slot < 0; i++)
			if (!mounts[i].used)
				slot = i;
		if (slot < 0)
			return -ENOMEM;
	}
	rc = be->mount(src, &m.fs, &m.root);
	if (rc < 0)
		return rc;
	mounts[slot] = m;
	return 0;
}

void vfs_unmount_all(void)
{
	for (int i = 0; i < VFS_FILES_MAX; i++)
		files[i].used = false;
	for (int i = VFS_MOUNTS_MAX - 1; i >= 0; i--) {
		if (mounts[i].used && mounts[i].be->unmount)
			mounts[i].be->unmount(mounts[i].fs);
		mounts[i].used = false;
	}
}

int vfs_stat(const char *path, struct vfs_stat *st)
{
	struct ref r;
	int rc = resolve(path, true, &r);

	return rc < 0 ? rc : do_stat(r, st);
}

int vfs_lstat(const char *path, struct vfs_stat *st)
{
	struct ref r;
	int rc = resolve(path, false, &r);

	return rc < 0 ? rc : do_stat(r, st);
}

int64_t vfs_readlink(const char *path, char *buf, size_t len)
{
	struct ref r;
	int rc = resolve(path, false, &r);

	if (rc < 0)
		return rc;
	if (len == 0)
		return -EINVAL;
	int64_t n = mounts[r.mnt].be->readlink(mounts[r.mnt].fs, r.ino, buf, len);
	/* readlink(2) truncates instead of failing. */
	if (n == -ERANGE) {
		char tmp[VFS_PATH_MAX];

		n = mounts[r.mnt].be->readlink(mounts[r.mnt].fs, r.ino, tmp, sizeof(tmp));
		if (n < 0)
			return n;
		n = (size_t)n < len ? n : (int64_t)len;
		memcpy(buf, tmp, (size_t)n);
	}
	return n;
}

static struct file *fd_file(int fd)
{
	if (fd < FD_BASE || fd >= FD_BASE + VFS_FILES_MAX || !files[fd - FD_BASE].used)
		return NULL;
	return &files[fd - FD_BASE];
}

int vfs_open(const char *path, int flags)
{
	struct vfs_stat st;
	struct ref r;
	int rc;

	/* Read-only filesystems: O_RDONLY (0), O_DIRECTORY (0200000), O_CLOEXEC (02000000). */
	if (flags & ~(0200000 | 02000000))
		return (flags & 3) ? -EROFS : -EINVAL;
	rc = resolve(path, true, &r);
	if (rc < 0)
		return rc;
	rc = do_stat(r, &st);
	if (rc < 0)
		return rc;
	if ((flags & 0200000) && !S_ISDIR(st.mode))
		return -ENOTDIR;
	for (int i = 0; i < VFS_FILES_MAX; i++)
		if (!files[i].used) {
			files[i] = (struct file){ .used = true, .dir = S_ISDIR(st.mode), .r = r };
			return FD_BASE + i;
		}
	return -EMFILE;
}

int64_t vfs_pread(int fd, void *buf, size_t len, uint64_t off)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (f->dir)
		return -EISDIR;
	if (off > INT64_MAX)
		return -EINVAL;
	return mounts[f->r.mnt].be->read(mounts[f->r.mnt].fs, f->r.ino, off, buf, len);
}

int64_t vfs_read(int fd, void *buf, size_t len)
{
	struct file *f = fd_file(fd);
	int64_t n;

	if (!f)
		return -EBADF;
	n = vfs_pread(fd, buf, len, f->off);
	if (n > 0)
		f->off += (uint64_t)n;
	return n;
}

int64_t vfs_lseek(int fd, int64_t off, int whence)
{
	struct file *f = fd_file(fd);
	struct vfs_stat st;
	int64_t base;
	int rc;

	if (!f)
		return -EBADF;
	if (f->dir) {
		/* A directory rewinds (SEEK_SET 0) and nothing else: cookies are the backend's. */
		if (whence != 0 || off != 0)
			return -EINVAL;
		f->off = 0;
		return 0;
	}
	switch (whence) {
	case 0: base = 0; break;
	case 1: base = (int64_t)f->off; break;
	case 2:
		rc = do_stat(f->r, &st);
		if (rc < 0)
			return rc;
		base = (int64_t)st.size;
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &base))
		return -EOVERFLOW;
	if (base < 0)
		return -EINVAL;
	f->off = (uint64_t)base;
	return base;
}

int vfs_fstat(int fd, struct vfs_stat *st)
{
	struct file *f = fd_file(fd);

	return f ? do_stat(f->r, st) : -EBADF;
}

int vfs_close(int fd)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	f->used = false;
	return 0;
}

int vfs_readdir(int fd, struct vfs_dirent *out)
{
	struct file *f = fd_file(fd);

	if (!f)
		return -EBADF;
	if (!f->dir)
		return -ENOTDIR;
	for (;;) {
		int rc = mounts[f->r.mnt].be->readdir(mounts[f->r.mnt].fs, f->r.ino, &f->off, out);

		if (rc <= 0)
			return rc;
		if (strcmp(out->name, ".") && strcmp(out->name, ".."))
			return 1;
	}
}
