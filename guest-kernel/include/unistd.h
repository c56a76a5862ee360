/* Descriptor calls on the VFS (guest-kernel/fs). */
#ifndef FLINT_UNISTD_H
#define FLINT_UNISTD_H

#include <stddef.h>
#include <sys/stat.h>

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* fd 0 reads the console's input (0 at its end); 3 and up are files. */
ssize_t read(int fd, void *buf, size_t len);
/* fd 1 is stdout, fd 2 stderr (stdio.h says where they go); nothing else is writable. */
ssize_t write(int fd, const void *buf, size_t len);
ssize_t pread(int fd, void *buf, size_t len, off_t off);
off_t lseek(int fd, off_t off, int whence);
int close(int fd);
ssize_t readlink(const char *path, char *buf, size_t len);

#endif
