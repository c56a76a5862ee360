/*
 * newlib's system layer for the guest: the dozen functions newlib calls
 * instead of system calls (built with --disable-newlib-supplied-syscalls),
 * as plain ring-3 calls into the guest library: the console for fds 0-2,
 * the VFS (read-only: the initrd and ext4) for the rest, the heap for
 * sbrk, the pv wall clock for gettimeofday, clock_ns() for times.  No
 * trap, no ring 0: a newlib call costs what the guest library's own does.
 *
 * Compiled against newlib's headers (guest-kernel/hosted/hosted.mk), so
 * struct stat, errno and the O_ flags here are newlib's; the VFS speaks
 * Linux errno numbers, mapped below where the two differ.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "include/flint.h"
#include <flint/boot_abi.h>

#include "arch/x86_64/cpu.h"
#include "fs/vfs.h"
#include "kernel/boot_stats.h"
#include "kernel/console.h"
#include "kernel/walltime.h"
#include "lib/stdstreams.h"

#define CONSOLE_FDS 3   /* 0-2: the console; VFS descriptor n is n + 3 */

/* Linux numbers 1-34 are newlib's too; the few the VFS returns above that differ. */
static int set_errno(int64_t linux_rc)
{
	int e = (int)-linux_rc;

	switch (e) {
	case 36: e = ENAMETOOLONG; break;
	case 38: e = ENOSYS; break;
	case 40: e = ELOOP; break;
	case 75: e = EOVERFLOW; break;
	case 95: e = ENOTSUP; break;
	default: break;
	}
	errno = e;
	return -1;
}

static int64_t vfs_ret(int64_t rc) { return rc < 0 ? set_errno(rc) : rc; }

static int mounted(void)
{
	static int state = 1;   /* 1: not tried yet; then the result (0 or -errno) */

	if (state == 1)
		state = vfs_mount_from_cmdline();
	return state;
}

int open(const char *path, int flags, ...)
{
	int rc;

	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND))) {
		errno = EROFS;   /* the guest's file systems are read-only */
		return -1;
	}
	rc = mounted();
	if (rc == 0)
		rc = vfs_open(path, 0);
	return rc < 0 ? set_errno(rc) : rc + CONSOLE_FDS;
}

int close(int fd)
{
	if (fd < CONSOLE_FDS)
		return fd < 0 ? (errno = EBADF, -1) : 0;
	return (int)vfs_ret(vfs_close(fd - CONSOLE_FDS));
}

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t len)
{
	if (fd == 0)
		return stdin_read(buf, len);  /* the console's input (lib/stdstreams.c) */
	if (fd < CONSOLE_FDS) {
		errno = EBADF;
		return -1;
	}
	return vfs_ret(vfs_read(fd - CONSOLE_FDS, buf, len));
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t len)
{
	/* stdout: the virtio-console when offered (lib/stdstreams.c); stderr the UART. */
	if (stdstreams_write(fd, buf, len) < 0) {
		errno = fd < CONSOLE_FDS ? EBADF : EROFS;
		return -1;
	}
	return (_READ_WRITE_RETURN_TYPE)len;
}

off_t lseek(int fd, off_t off, int whence)
{
	if (fd < CONSOLE_FDS) {
		errno = ESPIPE;
		return -1;
	}
	return vfs_ret(vfs_lseek(fd - CONSOLE_FDS, off, whence));
}

int fstat(int fd, struct stat *st)
{
	struct vfs_stat v;
	int rc;

	memset(st, 0, sizeof(*st));
	if (fd < CONSOLE_FDS) {
		st->st_mode = S_IFCHR | 0600;
		return fd < 0 ? (errno = EBADF, -1) : 0;
	}
	rc = vfs_fstat(fd - CONSOLE_FDS, &v);
	if (rc < 0)
		return set_errno(rc);
	st->st_ino = (ino_t)v.ino;
	st->st_mode = v.mode;
	st->st_nlink = (nlink_t)v.nlink;
	st->st_uid = (uid_t)v.uid;
	st->st_gid = (gid_t)v.gid;
	st->st_size = (off_t)v.size;
	st->st_mtime = (time_t)v.mtime;
	st->st_blksize = 4096;
	return 0;
}

int stat(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY), rc;

	if (fd < 0)
		return -1;
	rc = fstat(fd, st);
	close(fd);
	return rc;
}

int isatty(int fd) { return fd >= 0 && fd < CONSOLE_FDS; }

/* Nothing can be written, linked or removed: the file systems are read-only. */
int unlink(const char *path) { (void)path; errno = EROFS; return -1; }
int link(const char *a, const char *b) { (void)a; (void)b; errno = EROFS; return -1; }

/* ---- memory: newlib's malloc grows into the free RAM start.c found ---- */

static uintptr_t heap_cur, heap_end;

/* Called by kernel/start.c before main (and before argv is built). */
void heap_init(uintptr_t start, uintptr_t end)
{
	heap_cur = (start + 15) & ~(uintptr_t)15;
	heap_end = end;
}

void *sbrk(ptrdiff_t incr)
{
	uintptr_t old = heap_cur;

	if (incr < 0 ? (uintptr_t)-incr > heap_cur : (uintptr_t)incr > heap_end - heap_cur) {
		errno = ENOMEM;
		return (void *)-1;
	}
	heap_cur += (uintptr_t)incr;
	return (void *)old;
}

/* ---- leaving, clocks ---- */

_Noreturn void _exit(int status)
{
	stdstreams_exit();
	console_flush();
	flint_boot_stats.tsc_exit = rdtsc();
	outl(FLINT_POWEROFF_PORT, (uint32_t)status);
	for (;;)     /* no power-off device: stay halted, using no host CPU */
		cpu_halt();
}

int getpid(void) { return 1; }

/* raise() and abort() land here: there is one process, so a signal ends it. */
int kill(int pid, int sig)
{
	if (pid != 1) {
		errno = ESRCH;
		return -1;
	}
	printf("guest: signal %d\n", sig);
	_exit(128 + sig);
}

int gettimeofday(struct timeval *tv, void *tz)
{
	uint64_t ns;

	(void)tz;
	if (!walltime_ns(&ns)) {   /* no Flint pv page (QEMU): no wall clock */
		errno = EINVAL;
		return -1;
	}
	tv->tv_sec = (time_t)(ns / 1000000000u);
	tv->tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
	return 0;
}

/* clock(): the guest's CPU time is its time since boot (one task, no idle). */
clock_t times(struct tms *t)
{
	clock_t c = (clock_t)(clock_ns() / (1000000000u / CLOCKS_PER_SEC));

	*t = (struct tms){ .tms_utime = c };
	return c;
}

/* Where sbrk stops: lua.c sizes its default memory limit from it. */
char *flint_heap_end(void) { return (char *)heap_end; }

/* No shell and no processes: system(NULL) says so, anything else fails. */
int system(const char *cmd)
{
	if (!cmd)
		return 0;
	errno = ENOSYS;
	return -1;
}

/* kernel/exit.c's panic, which is not linked here (its exit and abort are newlib's). */
_Noreturn void panic(const char *fmt, ...)
{
	static int panicking;
	va_list ap;

	if (panicking)       /* the console itself failed: leave quietly */
		_exit(127);
	panicking = 1;
	fflush(stdout);
	printf("guest panic: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(127);
}
