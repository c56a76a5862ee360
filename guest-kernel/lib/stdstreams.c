/*
 * Descriptors 0, 1 and 2: where the guest's input and output go (the
 * FILE streams stdin, stdout and stderr in lib/file.c write and read
 * through them).  stdin and stdout use the
 * virtio-console when the monitor offers one (Flint's [console] device =
 * virtio, QEMU's virtconsole), the UART otherwise; stderr, the kernel's
 * early messages and panics always use the UART, so they never mix with
 * a program's output.
 *
 * stdout is buffered here: flushed after a write that holds a '\n' (as a
 * terminal's would be, but once per write, not once per line), when the
 * buffer fills, before a read of stdin, and at exit, which also waits
 * until the device has taken everything.  Messages the console
 * driver prints about itself while it is busy go to the UART, so nothing
 * here recurses into the driver.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "drivers/virtio_console.h"
#include "kernel/console.h"
#include "lib/stdstreams.h"

static bool use_virtio;   /* decided once, by stdstreams_init */
static bool in_driver;    /* inside the virtio-console driver: print to the UART */
static bool full_buffering; /* stdout_buffer_fully(): no flush at '\n' */
static char obuf[4096];
static size_t oused;

void stdstreams_init(void)
{
	in_driver = true;
	use_virtio = vcons_open();
	in_driver = false;
}

static bool virtio_out(void)
{
	return use_virtio && !in_driver;
}

static void flush_out(void)
{
	if (!oused)
		return;
	in_driver = true;
	vcons_write(obuf, oused);
	in_driver = false;
	oused = 0;
}

void stdout_write(const char *s, size_t n)
{
	if (!virtio_out()) {
		console_write(s, n);
		return;
	}
	/* Large writes skip the buffer (after what it holds, to keep the order). */
	if (n >= sizeof(obuf)) {
		flush_out();
		in_driver = true;
		vcons_write(s, n);
		in_driver = false;
		return;
	}
	/* One device write per call that holds a newline, not one per line: a
	 * response written whole (lua.elf --serve) leaves in one buffer.  After
	 * stdout_buffer_fully() (a function's answer), only a full buffer
	 * and the exit write it out. */
	bool line = !full_buffering && memchr(s, '\n', n) != NULL;

	while (n) {
		size_t take = sizeof(obuf) - oused < n ? sizeof(obuf) - oused : n;

		memcpy(obuf + oused, s, take);
		oused += take;
		s += take;
		n -= take;
		if (oused == sizeof(obuf))
			flush_out();
	}
	if (line)
		flush_out();
}

void stdout_buffer_fully(void)
{
	full_buffering = true;
}

int stdstreams_write(int fd, const void *buf, size_t len)
{
	if (fd == 1) {
		stdout_write(buf, len);
	} else if (fd == 2) {
		console_write(buf, len);
		console_flush();
	} else {
		return -1;
	}
	return 0;
}

void stdout_putc(char c)
{
	stdout_write(&c, 1);
}

void stdstreams_exit(void)
{
	if (!virtio_out())
		return;
	flush_out();
	in_driver = true;
	vcons_drain();
	in_driver = false;
}

ssize_t stdin_read(void *buf, size_t len)
{
	size_t n;

	if (!len)
		return 0;
	if (!virtio_out()) {
		console_flush();
		return (ssize_t)console_read(buf, len);
	}
	flush_out();
	in_driver = true;
	n = vcons_read(buf, len);
	in_driver = false;
	return (ssize_t)n;
}

void stdstreams_flush(int fd)
{
	if (fd != 2)
		flush_out();
	if (fd != 1 || !virtio_out())
		console_flush();
}
