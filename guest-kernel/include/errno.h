/* Error numbers: Linux's values, so hosted builds of fs/ see the same ones. */
#ifndef FLINT_ERRNO_H
#define FLINT_ERRNO_H

#define EPERM         1
#define ENOENT        2
#define EIO           5
#define ENXIO         6
#define E2BIG         7
#define EBADF         9
#define ENOMEM       12
#define EACCES       13
#define EFAULT       14
#define EBUSY        16
#define EEXIST       17
#define ENODEV       19
#define ENOTDIR      20
#define EISDIR       21
#define EINVAL       22
#define ENFILE       23
#define EMFILE       24
#define EFBIG        27
#define ENOSPC       28
#define ESPIPE       29
#define EROFS        30
#define ERANGE       34
#define ENAMETOOLONG 36
#define ENOSYS       38
#define ELOOP        40
#define EOVERFLOW    75
#define ENOTSUP      95
#define EUCLEAN     117   /* Linux filesystems' EFSCORRUPTED: a corrupt image */

/* Set by the POSIX calls (open, read, stat...) when they return -1. */
extern int errno;

#endif
