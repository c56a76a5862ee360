#include "console_out.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "path_check.h"

static void console_out_init(struct console_out *o, const char *what)
{
	*o = (struct console_out){ .fd = -1, .restore_fd = -1, .report_fd = STDERR_FILENO };
	snprintf(o->what, sizeof(o->what), "%s", what);
}

/* Writes to these finish in bounded time (or fail): they need nothing. */
static bool never_stalls(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

/* A new, non-blocking descriptor for the file fd is open on; -1 if none. */
static int reopen_nonblocking(int fd)
{
	char path[40];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/*
 * A descriptor for the same file that writes without blocking.  *own is
 * set when it is a new descriptor; *restore_fd when fd itself had to be
 * switched (sockets, a pipe whose reader is already gone, no /proc).
 */
static int nonblocking(int fd, bool *own, int *restore_fd, int *restore_flags)
{
	int nfd, fl;

	*own = false;
	if (fcntl(fd, F_GETFL) < 0)
		return -1;
	if (never_stalls(fd))
		return fd;
	nfd = reopen_nonblocking(fd);
	if (nfd >= 0) {
		*own = true;
		return nfd;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	if (!(fl & O_NONBLOCK)) {
		if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return -1;
		*restore_fd = fd;
		*restore_flags = fl;
	}
	return fd;
}

static void ignore_sigpipe(void)
{
	/* Process-wide: a write to a pipe whose reader left must fail with
	 * EPIPE (reported once) instead of killing flint.  main() sets it
	 * too, first thing, for stderr. */
	signal(SIGPIPE, SIG_IGN);
}

static void setup_report(struct console_out *o)
{
	int fd;

	/* stderr's own descriptor stays as it is (flint's other messages use
	 * it through stdio); without a reopen, messages use it directly. */
	if (never_stalls(STDERR_FILENO) || (fd = reopen_nonblocking(STDERR_FILENO)) < 0)
		return;
	o->report_fd = fd;
	o->own_report = true;
}

int console_out_adopt(struct console_out *o, int fd, const char *what, char *err, size_t errlen)
{
	int nfd;

	console_out_init(o, what);
	ignore_sigpipe();
	setup_report(o);
	nfd = nonblocking(fd, &o->own_fd, &o->restore_fd, &o->restore_flags);
	if (nfd < 0) {
		snprintf(err, errlen, "console: %s: %s", what, strerror(errno));
		console_out_close(o);
		return -1;
	}
	o->fd = nfd;
	return 0;
}

static void open_error(const char *path, int e, char *err, size_t errlen)
{
	if (e == ENXIO)
		snprintf(err, errlen, "%s is a FIFO with no reader: start the reader first, "
			 "or use a regular file", path);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(e));
}

int console_out_check_file(const char *path, char *err, size_t errlen)
{
	/* Neither created nor truncated: a check changes nothing. */
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int e = fd < 0 ? errno : 0;

	if (fd >= 0)
		close(fd);
	if (e == ENOENT)
		e = path_creatable(path);
	if (!e)
		return 0;
	open_error(path, e, err, errlen);
	return -1;
}

int console_out_open_file(struct console_out *o, const char *path, char *err, size_t errlen)
{
	char what[80];
	int fd;

	snprintf(what, sizeof(what), "file:%s", path);
	console_out_init(o, what);
	ignore_sigpipe();
	setup_report(o);
	/* O_NONBLOCK: opening a FIFO for writing waits for a reader otherwise,
	 * before the guest even starts; it also keeps later writes from
	 * blocking on FIFOs and terminals (regular files ignore it). */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0) {
		open_error(path, errno, err, errlen);
		console_out_close(o);
		return -1;
	}
	o->fd = fd;
	o->own_fd = true;
	return 0;
}

int console_out_open(struct console_out *o, const struct config *cfg, char *err, size_t errlen)
{
	char why[512];

	switch (cfg->console_output) {
	case CONSOLE_OUT_STDOUT:
		return console_out_adopt(o, STDOUT_FILENO, "stdout", err, errlen);
	case CONSOLE_OUT_NONE:
		console_out_init(o, "none");
		return 0;
	case CONSOLE_OUT_FILE:
		if (console_out_open_file(o, cfg->console_path, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: [console] output = file:%s: %s",
				 spec_where(cfg, "console", "output", 0), cfg->console_path, why);
			return -1;
		}
		return 0;
	}
	console_out_init(o, "none");
	return 0;
}

void console_out_say(struct console_out *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* One write, so lines from different threads do not mix; a full
	 * stderr loses the message rather than stalling a vCPU. */
	if (write(o->report_fd, line, (size_t)n) < 0)
		return;
}

void console_out_failed(struct console_out *o, int err)
{
	if (atomic_exchange(&o->failed, true))
		return;
	if (err == EPIPE)
		console_out_say(o, "flint: console: the reader of %s went away (EPIPE); guest output "
				"is discarded from now on, the VM keeps running\n", o->what);
	else
		console_out_say(o, "flint: console: cannot write guest output to %s: %s; the rest of "
				"it is discarded\n", o->what, strerror(err));
}

void console_out_close(struct console_out *o)
{
	if (o->own_fd && o->fd >= 0)
		close(o->fd);
	if (o->restore_fd >= 0)
		fcntl(o->restore_fd, F_SETFL, o->restore_flags);
	if (o->own_report)
		close(o->report_fd);
	o->fd = o->restore_fd = -1;
	o->own_fd = o->own_report = false;
	o->report_fd = STDERR_FILENO;
}
