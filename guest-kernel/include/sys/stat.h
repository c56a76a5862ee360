/* File status: Linux's mode bits; struct stat holds what the VFS knows. */
#ifndef FLINT_SYS_STAT_H
#define FLINT_SYS_STAT_H

#include <stdint.h>

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000

#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

typedef uint32_t mode_t;
typedef int64_t off_t;
typedef int64_t ssize_t;
typedef int64_t time_t;

struct stat {
	uint64_t st_ino;
	mode_t st_mode;
	uint32_t st_nlink;
	uint32_t st_uid, st_gid;
	off_t st_size;
	time_t st_mtime;
};

int stat(const char *path, struct stat *st);
int lstat(const char *path, struct stat *st);
int fstat(int fd, struct stat *st);

#endif
