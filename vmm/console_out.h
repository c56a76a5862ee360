/*
 * Where the console's guest output goes, prepared so that writing it can
 * never stop flint: descriptors that can stall (pipes, terminals, FIFOs,
 * sockets) are made non-blocking, SIGPIPE is ignored, a FIFO without a
 * reader is an error at start rather than a hang, and the first write
 * failure is said once on stderr (non-blocking too: stderr may be the same
 * full pipe).  The UART (virtio/uart.c) does the writing and the
 * buffering; this owns the descriptors and the messages.
 */
#ifndef FLINT_CONSOLE_OUT_H
#define FLINT_CONSOLE_OUT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct config;

struct console_out {
	int fd;               /* -1: output discarded */
	bool own_fd;          /* opened here (a file, or stdout reopened): close it */
	int restore_fd;       /* O_NONBLOCK was set on this shared descriptor: clear it at close */
	int restore_flags;
	int report_fd;        /* messages: stderr, reopened non-blocking where it could stall */
	bool own_report;
	char what[80];        /* "stdout" or "file:PATH", for messages */
	atomic_bool failed;   /* the one failure message was said */
};

/* [console] output from cfg: stdout, none or file:PATH.  -1 with err set. */
int console_out_open(struct console_out *o, const struct config *cfg, char *err, size_t errlen);

/*
 * Uses fd (not closed by console_out_close unless it had to be reopened)
 * for output named `what`: a descriptor that can stall is replaced by a
 * non-blocking one on the same file (reopened through /proc/self/fd, so
 * whoever shares it keeps its blocking mode), or failing that switched to
 * O_NONBLOCK until console_out_close.  Regular files and block devices
 * are used as they are.
 */
int console_out_adopt(struct console_out *o, int fd, const char *what, char *err, size_t errlen);

/* Opens PATH for output without ever blocking: a FIFO with no reader is an error. */
int console_out_open_file(struct console_out *o, const char *path, char *err, size_t errlen);
/* What console_out_open_file(PATH) would refuse, found without creating or
 * truncating anything (`flint check`): 0, or -1 with its message in err. */
int console_out_check_file(const char *path, char *err, size_t errlen);

/* Says, once, that writing failed with errno err and the rest is discarded. */
void console_out_failed(struct console_out *o, int err);

/* One message line on the report descriptor; never blocks, may be lost. */
__attribute__((format(printf, 2, 3)))
void console_out_say(struct console_out *o, const char *fmt, ...);

void console_out_close(struct console_out *o);

#endif
