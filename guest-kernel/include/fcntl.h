/* open(): the guest's files are read-only, so O_RDONLY and O_DIRECTORY are all there is. */
#ifndef FLINT_FCNTL_H
#define FLINT_FCNTL_H

#define O_RDONLY    0
#define O_WRONLY    1
#define O_RDWR      2
#define O_ACCMODE   3
#define O_DIRECTORY 0200000
#define O_CLOEXEC   02000000   /* accepted and meaningless: there is no exec */

int open(const char *path, int flags, ...);

#endif
