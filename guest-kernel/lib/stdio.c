/* printf and friends: the format engine aimed at memory, stdout or stderr. */
#include <stdio.h>
#include <string.h>

#include "kernel/console.h"
#include "lib/format.h"
#include "lib/stdstreams.h"

struct membuf {
	char *buf;
	size_t size;
	size_t len;
};

static void to_mem(char c, void *ctx)
{
	struct membuf *m = ctx;

	if (m->len + 1 < m->size)
		m->buf[m->len] = c;
	m->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct membuf m = { buf, size, 0 };
	int n = format(to_mem, &m, fmt, ap);

	if (size)
		buf[m.len < size ? m.len : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void to_stdout(char c, void *ctx)
{
	(void)ctx;
	stdout_putc(c);
}

static void to_stderr(char c, void *ctx)
{
	(void)ctx;
	console_putc(c);
}

int vprintf(const char *fmt, va_list ap)
{
	return format(to_stdout, NULL, fmt, ap);
}

/* Formatted output to descriptor 1 (stdout's device) or 2 (the UART). */
int vdprintf(int fd, const char *fmt, va_list ap)
{
	return format(fd == 2 ? to_stderr : to_stdout, NULL, fmt, ap);
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int putchar(int c)
{
	stdout_putc((char)c);
	return (unsigned char)c;
}

int puts(const char *s)
{
	stdout_write(s, strlen(s));
	stdout_putc('\n');
	return 0;
}
