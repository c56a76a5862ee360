/* A directory tree as a cpio newc archive (cpio_write.h). */
#include "cpio_write.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CPIO_PATH_MAX 1023 /* guest-kernel/fs/vfs.h VFS_PATH_MAX, NUL excluded */
#define CPIO_DEPTH_MAX 64

struct writer {
	FILE *out;
	uint64_t written, max;
	uint32_t ino;
	const char *skip; /* top-level name replaced by the extra file's folder */
	char *err;
	size_t errlen;
};

static int put(struct writer *w, const void *p, size_t n)
{
	if (w->written + n > w->max) {
		snprintf(w->err, w->errlen, "the root file system needs more than %llu bytes as an initrd",
			 (unsigned long long)w->max);
		return -1;
	}
	if (n && fwrite(p, 1, n, w->out) != n) {
		snprintf(w->err, w->errlen, "writing the initrd: %s", strerror(errno));
		return -1;
	}
	w->written += n;
	return 0;
}

static int pad4(struct writer *w)
{
	static const char zero[4];

	return put(w, zero, (4 - w->written % 4) % 4);
}

static int header(struct writer *w, const char *name, uint32_t mode, uint32_t nlink, uint64_t size)
{
	char h[111];

	if (size > UINT32_MAX) {
		snprintf(w->err, w->errlen, "%s: over 4 GiB, more than a cpio entry holds", name);
		return -1;
	}
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", w->ino++,
		 mode, 0u, 0u, nlink, 0u, (uint32_t)size, 0u, 0u, 0u, 0u, (uint32_t)strlen(name) + 1, 0u);
	return put(w, h, 110) < 0 || put(w, name, strlen(name) + 1) < 0 ? -1 : pad4(w);
}

static int copy_file(struct writer *w, int fd, const char *name, uint64_t size)
{
	char buf[65536];
	uint64_t left = size;

	while (left) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(w->err, w->errlen, "%s: %s", name, n ? strerror(errno) : "changed size while read");
			return -1;
		}
		if (put(w, buf, (size_t)n) < 0)
			return -1;
		left -= (uint64_t)n;
	}
	return pad4(w);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(struct writer *w, int dir_fd, char *path, size_t plen, int depth);

static int entry(struct writer *w, int dir_fd, const char *name, char *path, size_t plen, int depth)
{
	size_t nlen = strlen(name);
	struct stat st;
	int rc = 0, fd;

	if (plen + (plen ? 1 : 0) + nlen > CPIO_PATH_MAX) {
		snprintf(w->err, w->errlen, "%s/%s: path over %d bytes, more than the guest takes", path, name,
			 CPIO_PATH_MAX);
		return -1;
	}
	if (plen)
		path[plen++] = '/';
	memcpy(path + plen, name, nlen + 1);
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(w->err, w->errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[CPIO_PATH_MAX + 1];
		ssize_t n = readlinkat(dir_fd, name, target, sizeof(target));

		if (n < 0 || n > CPIO_PATH_MAX) {
			snprintf(w->err, w->errlen, "%s: %s", path, n < 0 ? strerror(errno) : "link target too long");
			return -1;
		}
		return header(w, path, S_IFLNK | 0777, 1, (uint64_t)n) < 0 || put(w, target, (size_t)n) < 0 ?
			       -1 : pad4(w);
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return 0;
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0) {
		snprintf(w->err, w->errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		rc = header(w, path, S_IFDIR | (st.st_mode & 07777), 2, 0) < 0 ? -1 :
		     walk(w, fd, path, plen + nlen, depth + 1);
	else
		rc = header(w, path, S_IFREG | (st.st_mode & 07777), 1, (uint64_t)st.st_size) < 0 ? -1 :
		     copy_file(w, fd, path, (uint64_t)st.st_size);
	close(fd);
	return rc;
}

static int walk(struct writer *w, int dir_fd, char *path, size_t plen, int depth)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	int rc = 0, fd;
	DIR *dir;

	if (depth > CPIO_DEPTH_MAX) {
		snprintf(w->err, w->errlen, "%s: folders nested over %d deep", path, CPIO_DEPTH_MAX);
		return -1;
	}
	fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		snprintf(w->err, w->errlen, "%s: %s", plen ? path : "root", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..") ||
		    (depth == 0 && w->skip && !strcmp(d->d_name, w->skip)))
			continue;
		if (n == cap) {
			char **g = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof(*names));

			if (!g)
				break;
			names = g;
		}
		if (!(names[n] = strdup(d->d_name)))
			break;
		n++;
	}
	if (d) {
		snprintf(w->err, w->errlen, "%s: out of memory", plen ? path : "root");
		rc = -1;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = entry(w, dirfd(dir), names[i], path, plen, depth);
		path[plen] = '\0';
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return rc;
}

int cpio_write_tree(int root_fd, FILE *out, uint64_t max_bytes, const char *extra_name,
		    const void *extra, size_t extra_len, char *err, size_t errlen)
{
	struct writer w = { .out = out, .max = max_bytes, .ino = 1, .err = err, .errlen = errlen };
	char path[CPIO_PATH_MAX + 2] = "", folder[CPIO_PATH_MAX + 1];
	const char *slash = extra_name ? strchr(extra_name, '/') : NULL;
	char skip[256];

	if (slash && (size_t)(slash - extra_name) < sizeof(skip)) {
		memcpy(skip, extra_name, (size_t)(slash - extra_name));
		skip[slash - extra_name] = '\0';
		w.skip = skip;
	}
	if (header(&w, ".", S_IFDIR | 0755, 2, 0) < 0 || walk(&w, root_fd, path, 0, 0) < 0)
		return -1;
	if (extra_name) {
		if (w.skip) {
			snprintf(folder, sizeof(folder), "%s", w.skip);
			if (header(&w, folder, S_IFDIR | 0755, 2, 0) < 0)
				return -1;
		}
		if (header(&w, extra_name, S_IFREG | 0444, 1, extra_len) < 0 || put(&w, extra, extra_len) < 0 ||
		    pad4(&w) < 0)
			return -1;
	}
	if (header(&w, "TRAILER!!!", 0, 1, 0) < 0)
		return -1;
	while (w.written % 512)
		if (put(&w, "", 1) < 0)
			return -1;
	if (fflush(out) != 0) {
		snprintf(err, errlen, "writing the initrd: %s", strerror(errno));
		return -1;
	}
	return 0;
}
